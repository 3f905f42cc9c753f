//! The tray icon (desktop): with push accounts listening, closing the window hides it to the
//! tray, so sign-in requests keep arriving; the tray menu shows the window again or quits.

use tauri::menu::{Menu, MenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Runtime, Window, WindowEvent};

use crate::push::PushService;

/// Managed once the tray icon exists: only then may closing the window hide it.
pub struct TrayInstalled;

/// Adds the tray icon. Fails where the desktop has no tray support (the app then quits when
/// the window closes, as without push accounts).
pub fn install<R: Runtime>(app: &AppHandle<R>) -> Result<(), Box<dyn std::error::Error>> {
    let show = MenuItem::with_id(app, "show", "Show Countersign", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&show, &quit])?;
    let mut builder = TrayIconBuilder::with_id("main")
        .tooltip("Countersign: listening for sign-in requests")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "show" => show_window(app),
            "quit" => app.exit(0),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                show_window(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    // Loading the indicator library panics where it is missing (libayatana-appindicator on
    // Linux); that is "no tray here", not a reason to fail the app.
    let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| builder.build(app)));
    match built {
        Ok(Ok(_tray)) => {
            app.manage(TrayInstalled);
            Ok(())
        }
        Ok(Err(e)) => Err(e.into()),
        Err(_) => Err("the system tray is not available".into()),
    }
}

/// Closing the main window while push accounts listen hides it to the tray instead.
pub fn on_window_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    if let WindowEvent::CloseRequested { api, .. } = event {
        let app = window.app_handle();
        let listening = app
            .try_state::<PushService>()
            .is_some_and(|push| push.listening());
        if listening && app.try_state::<TrayInstalled>().is_some() {
            api.prevent_close();
            let _ = window.hide();
        }
    }
}

/// Shows, restores and focuses the main window.
pub fn show_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(crate::webview::MAIN_WINDOW) {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}
