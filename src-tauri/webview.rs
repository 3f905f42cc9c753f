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
//!
//! The window itself is created hidden on desktop and shown once its page has loaded
//! ([`create_main_window`], [`on_page_load`]). Shown at once, WebKitGTK drew it before its web
//! process was ready, and in about half of all starts the UI thread then sat in a 500 ms timed
//! wait before the page began to load (seen with `perf trace`: a futex wait on the main thread
//! ending in `ETIMEDOUT` after 500 ms). Shown when the load starts, the same wait still hit one
//! start in eight, between the page's response and its script. Shown when the page has loaded,
//! none of the 89 starts measured waited (`tests/e2e/bench.mjs` prints each start-up step). The page is a
//! small bundled file, so this costs a few milliseconds, and spares a blank white window on
//! every platform.

use std::sync::atomic::{AtomicBool, Ordering};

use tauri::webview::{PageLoadEvent, PageLoadPayload};
use tauri::{App, AppHandle, Manager, Runtime, Webview, WebviewWindowBuilder};

use crate::commands::bench;

/// The label of the app's one window, as `tauri.conf.json` names it.
pub const MAIN_WINDOW: &str = "main";

/// How long after creation the main window is shown even if its page never loaded.
#[cfg(desktop)]
const SHOW_ANYWAY_AFTER: std::time::Duration = std::time::Duration::from_secs(3);

/// Whether the main window has been shown for the first time.
static SHOWN: AtomicBool = AtomicBool::new(false);

/// Creates the main window from its entry in `tauri.conf.json` (marked `"create": false`, so
/// Tauri leaves it to this), hidden on desktop until [`on_page_load`] shows it.
pub fn create_main_window<R: Runtime>(app: &App<R>) -> Result<(), Box<dyn std::error::Error>> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|window| window.label == MAIN_WINDOW)
        .ok_or("tauri.conf.json has no window labelled \"main\"")?;
    let builder = WebviewWindowBuilder::from_config(app.handle(), config)?;
    #[cfg(desktop)]
    let builder = builder.visible(false);
    builder.build()?;
    #[cfg(desktop)]
    {
        let handle = app.handle().clone();
        std::thread::spawn(move || {
            std::thread::sleep(SHOW_ANYWAY_AFTER);
            show_first_time(&handle);
        });
    }
    Ok(())
}

/// The page-load hook of every webview: records the step for the start-up benchmark, and shows
/// the main window the first time its page has loaded.
pub fn on_page_load<R: Runtime>(webview: &Webview<R>, payload: &PageLoadPayload<'_>) {
    match payload.event() {
        PageLoadEvent::Started => bench::mark("page-load-started"),
        PageLoadEvent::Finished => {
            bench::mark("page-load-finished");
            show_first_time(webview.app_handle());
        }
    }
}

/// Shows the main window unless it was shown before (later loads must not bring back a window
/// the user closed to the tray).
fn show_first_time<R: Runtime>(app: &AppHandle<R>) {
    if SHOWN.swap(true, Ordering::SeqCst) {
        return;
    }
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.show();
        bench::mark("window-shown");
    }
}

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
        let Some(window) = app.get_webview_window(MAIN_WINDOW) else {
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
