//! The Tauri shell of Countersign: adapters from the UI to `countersign-core`.
//!
//! No OTP, crypto or vault logic lives here: each command in [`commands`] is a few lines over
//! the core, errors cross to the UI as `{code, message}` ([`error::CommandError`]), and secrets
//! never cross at all (the UI gets codes, not keys).
#![forbid(unsafe_code)]

pub mod backup;
mod camera;
pub mod clipboard;
pub mod commands;
pub mod error;
mod platform;
pub mod push;
pub mod settings;
pub mod state;
#[cfg(desktop)]
pub mod tray;
pub mod views;
mod webview;

use std::sync::Arc;

use tauri::{Manager, Runtime};

use crate::clipboard::{CodeCopier, SystemClipboard};
use crate::push::PushService;
use crate::settings::SettingsFile;
use crate::state::AppState;

/// Registers every command on `builder`; shared by [`run`] and the `tauri::test` tests.
pub fn with_commands<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    // State the QR, import and export commands keep between calls.
    let builder = builder
        .manage(commands::scan::ScanState::default())
        .manage(commands::files::ImportState::default());
    builder.invoke_handler(tauri::generate_handler![
        commands::vault::vault_state,
        commands::vault::unlock,
        commands::vault::lock,
        commands::vault::set_password,
        commands::accounts::list_accounts,
        commands::accounts::codes,
        commands::accounts::add_account_uri,
        commands::accounts::validate_account,
        commands::accounts::add_account,
        commands::accounts::update_account,
        commands::accounts::remove_account,
        commands::accounts::reorder,
        commands::accounts::next_hotp,
        commands::accounts::copy_code,
        commands::settings::settings,
        commands::settings::save_settings,
        commands::backup::backup_status,
        commands::backup::set_backup_password,
        commands::backup::backup_now,
        commands::bench::mark_first_code,
        commands::push::push_parse_activation,
        commands::push::push_activate,
        commands::push::push_accounts,
        commands::push::push_answer,
        commands::push::push_remove,
        commands::scan::scan_file,
        commands::scan::scan_image,
        commands::scan::scan_frame,
        commands::scan::scan_screen,
        commands::scan::scan_text,
        commands::scan::add_scanned,
        commands::transfer::account_qr,
        commands::transfer::transfer_qr,
        commands::files::import_formats,
        commands::files::import_preview,
        commands::files::import_apply,
        commands::files::export_file,
    ])
}

/// Starts the app. On mobile this is the entry point the platform calls.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    commands::bench::mark("run");
    webview::before_start();
    let builder = tauri::Builder::default()
        .on_page_load(webview::on_page_load)
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init());
    #[cfg(desktop)]
    let builder = builder.on_window_event(tray::on_window_event);
    #[cfg(mobile)]
    let builder = builder.plugin(tauri_plugin_barcode_scanner::init());
    let result = with_commands(builder)
        .setup(|app| {
            commands::bench::mark("setup");
            // First, so the web process starts while the rest is set up.
            webview::create_main_window(app)?;
            webview::make_lean(app);
            camera::enable(app);
            let handle = app.handle().clone();
            let vault_path = platform::vault_path(&handle)?;
            let settings = SettingsFile::new(app.path().app_config_dir()?.join("settings.json"));
            let copier = CodeCopier::new(Arc::new(SystemClipboard(handle.clone())));
            app.manage(AppState::new(vault_path, settings, copier));
            backup::start(&handle);
            app.manage(PushService::default());
            #[cfg(desktop)]
            {
                if let Err(e) = tray::install(&handle) {
                    eprintln!("countersign: no tray icon ({e}); closing the window quits");
                }
                use tauri_plugin_notification::NotificationExt;
                let shown = handle.clone();
                let _ = handle
                    .notification()
                    .on_action(move |_| tray::show_window(&shown));
            }
            commands::bench::mark("setup-done");
            // Open the vault (keystore, file, decryption) while the webview loads; the UI's
            // first `vault_state` waits for this instead of starting the work itself. Push
            // listeners start as soon as it is open, so requests arrive even before the UI asks.
            std::thread::spawn(move || {
                let opened = handle
                    .state::<AppState>()
                    .vault_state()
                    .is_ok_and(|state| state.unlocked);
                commands::bench::mark("vault-opened");
                if opened {
                    tauri::async_runtime::spawn(async move {
                        let _ = handle.state::<PushService>().resync(&handle);
                    });
                }
            });
            Ok(())
        })
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("countersign: the app could not start: {e}");
        std::process::exit(1);
    }
}
