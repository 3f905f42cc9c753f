//! Automatic backups: their status, the backup password (kept in the OS keystore), and "Back up
//! now". The settings themselves (on/off, folder, how many to keep) are saved with the other
//! settings ([`super::settings::save_settings`]); the writing is in [`crate::backup`].

use countersign_core::Password;
use tauri::{Runtime, State};

use crate::backup::{self, BackupStatus};
use crate::error::CommandResult;
use crate::state::AppState;

/// Whether backups are on, where they go, when the last one was written, whether the accounts
/// changed since, and why the last automatic one failed.
#[tauri::command]
pub async fn backup_status<R: Runtime>(app: tauri::AppHandle<R>) -> CommandResult<BackupStatus> {
    blocking(app, backup::status).await
}

/// Stores the backup password in the OS keystore (never in the settings file); at least
/// [`backup::MIN_PASSWORD_CHARS`] characters. A backup that waited for it is written after the
/// debounce.
#[tauri::command]
pub async fn set_backup_password<R: Runtime>(
    app: tauri::AppHandle<R>,
    password: String,
) -> CommandResult<BackupStatus> {
    let password = Password::new(password);
    let emitter = app.clone();
    let status = blocking(app, move |state| {
        backup::set_password(state, password)?;
        if state.settings().auto_backup {
            state.with_vault(|vault, _| {
                state.backup.nudge(vault);
                Ok(())
            })?;
        }
        backup::status(state)
    })
    .await?;
    tauri::async_runtime::spawn_blocking(move || backup::emit_status(&emitter));
    Ok(status)
}

/// Writes a backup now into the chosen folder (automatic backups on or off), then prunes the
/// oldest beyond the number kept.
#[tauri::command]
pub async fn backup_now<R: Runtime>(app: tauri::AppHandle<R>) -> CommandResult<BackupStatus> {
    let emitter = app.clone();
    let result = blocking(app, |state| {
        backup::backup_now(state)?;
        backup::status(state)
    })
    .await;
    // The banner and settings follow the outcome, whichever button was used.
    tauri::async_runtime::spawn_blocking(move || backup::emit_status(&emitter));
    result
}

/// Runs `f` with the app state on a blocking thread (keystore calls and file I/O).
pub(crate) async fn blocking<R: Runtime, T: Send + 'static>(
    app: tauri::AppHandle<R>,
    f: impl FnOnce(&AppState) -> CommandResult<T> + Send + 'static,
) -> CommandResult<T> {
    super::off_thread("the backup task", move || {
        let state: State<'_, AppState> = tauri::Manager::state(&app);
        f(&state)
    })
    .await?
}
