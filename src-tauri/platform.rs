//! What differs between desktop and mobile: where the vault lives.

use std::path::PathBuf;

use tauri::{AppHandle, Runtime};

/// The vault file: `$COUNTERSIGN_VAULT`, else the platform data folder the CLI uses too.
#[cfg(desktop)]
pub fn vault_path<R: Runtime>(_app: &AppHandle<R>) -> Result<PathBuf, Box<dyn std::error::Error>> {
    Ok(countersign_core::paths::default_vault_path()?)
}

/// The vault file: `$COUNTERSIGN_VAULT`, else the app's sandboxed data folder (Android, iOS).
#[cfg(mobile)]
pub fn vault_path<R: Runtime>(app: &AppHandle<R>) -> Result<PathBuf, Box<dyn std::error::Error>> {
    use tauri::Manager;
    if let Some(path) =
        std::env::var_os(countersign_core::paths::VAULT_ENV).filter(|v| !v.is_empty())
    {
        return Ok(PathBuf::from(path));
    }
    Ok(app
        .path()
        .app_data_dir()?
        .join(countersign_core::paths::VAULT_FILE_NAME))
}
