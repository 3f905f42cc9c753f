//! Preferences.

use tauri::{Runtime, State};

use crate::backup;
use crate::error::{CommandError, CommandResult};
use crate::settings::Settings;
use crate::state::AppState;

/// The saved settings.
#[tauri::command]
pub async fn settings<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
) -> CommandResult<Settings> {
    Ok(state.settings())
}

/// Saves new settings and returns them as stored. Turning automatic backups on needs a folder
/// and a backup password in the keystore (the error names the missing one); a change to the
/// backup settings looks at once (after the debounce) whether a backup is due.
#[tauri::command]
pub async fn save_settings<R: Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    settings: Settings,
) -> CommandResult<Settings> {
    let before = state.settings();
    let settings = settings.validated()?;
    if settings.auto_backup && !before.auto_backup {
        let has_password = super::backup::blocking(app.clone(), backup::password_set).await?;
        if !has_password {
            return Err(CommandError::field(
                "backupPassword",
                "set a backup password first: automatic backups are encrypted with it",
            ));
        }
    }
    let saved = state.set_settings(settings)?;
    let backup_changed = (saved.auto_backup, &saved.backup_folder, saved.backup_keep)
        != (
            before.auto_backup,
            &before.backup_folder,
            before.backup_keep,
        );
    if backup_changed {
        state.backup.clear_error();
        if saved.auto_backup {
            // Locked: the next unlock looks anyway.
            let _ = state.with_vault(|vault, _| {
                state.backup.nudge(vault);
                Ok(())
            });
        }
        tauri::async_runtime::spawn_blocking(move || backup::emit_status(&app));
    }
    Ok(saved)
}
