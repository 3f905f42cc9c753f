//! The desktop camera for scanning QR codes.
//!
//! On Linux the webview is WebKitGTK, which ships with media streams (`getUserMedia`) turned off
//! and denies every permission request nobody answers. Here the main window's webview gets
//! media streams on, and its requests for a camera alone (not a microphone, not the screen) are
//! granted: the app shows only its own bundled pages, and the UI asks for the camera only when
//! the user presses "Use the camera". Frames are grabbed in the page and decoded in Rust
//! (`scan_frame`). On macOS and Windows the system asks the user itself; on phones the barcode
//! scanner plugin is used instead.

use tauri::{App, Manager, Runtime};

/// Turns on camera access in the main window's webview where the platform needs it.
pub fn enable<R: Runtime>(app: &App<R>) {
    #[cfg(target_os = "linux")]
    if let Some(window) = app.get_webview_window(crate::webview::MAIN_WINDOW) {
        let result = window.with_webview(|webview| {
            use webkit2gtk::glib::prelude::Cast;
            use webkit2gtk::{
                PermissionRequestExt, SettingsExt, UserMediaPermissionRequest,
                UserMediaPermissionRequestExt, WebViewExt,
            };
            let view = webview.inner();
            if let Some(settings) = WebViewExt::settings(&view) {
                settings.set_enable_media_stream(true);
            }
            view.connect_permission_request(|_, request| {
                match request.downcast_ref::<UserMediaPermissionRequest>() {
                    Some(media) if media.is_for_video_device() && !media.is_for_audio_device() => {
                        request.allow();
                        true
                    }
                    _ => false,
                }
            });
        });
        if let Err(e) = result {
            eprintln!("countersign: the camera cannot be enabled: {e}");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = app;
}
