//! Preferences.

use tauri::{Runtime, State};

use crate::error::CommandResult;
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

/// Saves new settings and returns them as stored.
#[tauri::command]
pub async fn save_settings<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    settings: Settings,
) -> CommandResult<Settings> {
    state.set_settings(settings)
}
