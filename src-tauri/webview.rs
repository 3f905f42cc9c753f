//! How the desktop webview is set up to stay small.
//!
//! The app shows one short list and a few dialogs, which the CPU paints quickly. On Linux
//! WebKitGTK composites with OpenGL by default: under a software GL (Xvfb, virtual machines,
//! remote desktops) that costs the web process about 60 MB of resident memory for no visible
//! gain, and on a GPU it holds textures for a page that hardly changes. So hardware
//! acceleration is off, and the cache model is the one for a single local document (no page
//! cache, small memory caches). `scripts/bench.sh app` measures the effect.
//!
//! The setting on the webview alone comes too late: the web process has set up compositing by
//! then (measured: 194 MB resident instead of 167 MB). WebKitGTK's documented switch
//! `WEBKIT_DISABLE_COMPOSITING_MODE` is read when it starts, so [`before_start`] sets it
//! unless the user has set it either way.

use tauri::{App, Runtime};

/// Sets the environment WebKitGTK reads at start-up. Called first thing in [`crate::run`],
/// before any thread exists (changing the environment is not thread-safe).
pub fn before_start() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
}

/// Applies the settings to the main window's webview where the platform has them.
pub fn make_lean<R: Runtime>(app: &App<R>) {
    #[cfg(target_os = "linux")]
    {
        use tauri::Manager;
        let Some(window) = app.get_webview_window("main") else {
            return;
        };
        let result = window.with_webview(|webview| {
            use webkit2gtk::{
                CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt,
            };
            let view = webview.inner();
            if let Some(settings) = WebViewExt::settings(&view) {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
            if let Some(context) = view.context() {
                context.set_cache_model(CacheModel::DocumentViewer);
            }
        });
        if let Err(e) = result {
            eprintln!("countersign: the webview settings could not be applied: {e}");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = app;
}
