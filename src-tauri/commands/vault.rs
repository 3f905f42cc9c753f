//! Opening, locking and the vault password.

use countersign_core::{Password, Unlock, Vault};
use tauri::{Runtime, State};

use crate::error::{CommandError, CommandResult};
use crate::state::{AppState, VaultState};

/// Whether the vault is open and whether it has a password. The first call opens it (see
/// [`AppState::vault_state`]).
#[tauri::command]
pub async fn vault_state<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
) -> CommandResult<VaultState> {
    state.vault_state()
}

/// Opens the vault with its password; a wrong one fails with `wrong_password`.
#[tauri::command]
pub async fn unlock<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    password: String,
) -> CommandResult<VaultState> {
    state.unlock(Password::new(password))
}

/// Locks the app: the vault closes and its key is forgotten.
#[tauri::command]
pub async fn lock<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
) -> CommandResult<VaultState> {
    state.lock()
}

/// Sets, changes (`current` must be right) or removes (`password: null`) the vault password.
#[tauri::command]
pub async fn set_password<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    current: Option<String>,
    password: Option<String>,
) -> CommandResult<VaultState> {
    let had_password = state.with_vault(|vault, _| Ok(vault.info().password_slot.is_some()))?;
    if had_password {
        let current = current
            .filter(|c| !c.is_empty())
            .ok_or_else(|| CommandError::field("current-password", "enter the current password"))?;
        // Opening a second, read-only handle checks the password without touching the file.
        Vault::open(
            state.vault_path(),
            &Unlock::password_only(Password::new(current)),
        )?;
    }
    let password = password.map(Password::new);
    state.with_vault(|vault, _| Ok(vault.set_password(password)?))?;
    state.vault_state()
}
