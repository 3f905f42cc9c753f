//! Accounts: list, codes, add, edit, remove, reorder, HOTP, copy.

use std::time::Duration;

use countersign_core::Account;
use countersign_oath::{KeyUri, Kind};
use tauri::{Runtime, State};

use super::unix_now;
use crate::error::{CommandError, CommandResult};
use crate::state::AppState;
use crate::views::{account_id, AccountView, CodeWindow, FieldError, NewAccount, PatchInput};

/// Every account (no secrets), in the vault's order.
#[tauri::command]
pub async fn list_accounts<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
) -> CommandResult<Vec<AccountView>> {
    state.with_vault(|vault, _| Ok(vault.accounts().iter().map(AccountView::from).collect()))
}

/// The current and next codes of the time-based accounts among `ids` (the rows on screen).
/// HOTP accounts and ids no longer in the vault are left out.
#[tauri::command]
pub async fn codes<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    ids: Vec<String>,
) -> CommandResult<Vec<CodeWindow>> {
    let ids = ids
        .iter()
        .map(String::as_str)
        .map(account_id)
        .collect::<CommandResult<Vec<_>>>()?;
    let now = unix_now();
    state.with_vault(|vault, _| {
        Ok(ids
            .iter()
            .filter_map(|id| vault.account(*id).ok())
            .filter_map(|account| CodeWindow::of(account, now))
            .collect())
    })
}

/// Adds the account an `otpauth://` URI describes. A bad URI fails with `invalid_input` on the
/// field `uri`, naming the part that is wrong; nothing is saved then.
#[tauri::command]
pub async fn add_account_uri<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    uri: String,
) -> CommandResult<AccountView> {
    let key = KeyUri::parse(uri.trim()).map_err(|e| CommandError::field("uri", e.to_string()))?;
    add(&state, Account::from_key_uri(key, now_i64()))
}

/// The problems with a manual "add account" form, one per field (empty when it can be saved).
#[tauri::command]
pub async fn validate_account<R: Runtime>(
    _app: tauri::AppHandle<R>,
    account: NewAccount,
) -> CommandResult<Vec<FieldError>> {
    Ok(account.problems())
}

/// Adds an account from the manual form; the first problem fails with its field named.
#[tauri::command]
pub async fn add_account<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    account: NewAccount,
) -> CommandResult<AccountView> {
    let account =
        account
            .parse(now_i64())
            .map_err(|problems| match problems.into_iter().next() {
                Some(p) => CommandError::field(p.field, p.message),
                None => CommandError::invalid("the account could not be read"),
            })?;
    add(&state, account)
}

fn add(state: &AppState, account: Account) -> CommandResult<AccountView> {
    state.with_vault(|vault, _| {
        if let Some(existing) = vault.duplicate_of(&account) {
            let label = vault
                .account(existing)
                .map(Account::label)
                .unwrap_or_default();
            return Err(CommandError::invalid(format!(
                "{label} is already in the vault"
            )));
        }
        let id = vault.add_account(account)?;
        Ok(AccountView::from(vault.account(id)?))
    })
}

/// Edits issuer, name, group, favourite or icon; returns the account as saved.
#[tauri::command]
pub async fn update_account<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
    patch: PatchInput,
) -> CommandResult<AccountView> {
    let id = account_id(&id)?;
    let patch = patch.into_patch()?;
    state.with_vault(|vault, _| {
        let account = vault.account(id)?;
        if patch.name.as_deref().unwrap_or(&account.name).is_empty()
            && patch
                .issuer
                .as_deref()
                .unwrap_or(&account.issuer)
                .is_empty()
        {
            return Err(CommandError::field(
                "name",
                "an account needs a name or an issuer",
            ));
        }
        vault.update_account(id, patch)?;
        Ok(AccountView::from(vault.account(id)?))
    })
}

/// Removes an account (the UI has asked for confirmation).
#[tauri::command]
pub async fn remove_account<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
) -> CommandResult<()> {
    let id = account_id(&id)?;
    state.with_vault(|vault, hotp| {
        vault.remove_account(id)?;
        hotp.remove(&id);
        Ok(())
    })
}

/// Puts the accounts in this order (every account once).
#[tauri::command]
pub async fn reorder<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    ids: Vec<String>,
) -> CommandResult<()> {
    let ids = ids
        .iter()
        .map(String::as_str)
        .map(account_id)
        .collect::<CommandResult<Vec<_>>>()?;
    state.with_vault(|vault, _| Ok(vault.reorder(&ids)?))
}

/// The next HOTP code: the counter advances and is saved before the code is shown.
#[tauri::command]
pub async fn next_hotp<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
) -> CommandResult<String> {
    let id = account_id(&id)?;
    state.with_vault(|vault, hotp| {
        let code = vault.next_hotp(id)?;
        let text = code.as_str().to_owned();
        hotp.insert(id, code);
        Ok(text)
    })
}

/// Copies the account's current code (for HOTP: the code last shown) to the clipboard and
/// records the use. Returns the seconds until the clipboard is cleared (0: it is not).
#[tauri::command]
pub async fn copy_code<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
) -> CommandResult<u32> {
    let id = account_id(&id)?;
    let now = unix_now();
    let clear_seconds = state.settings().clipboard_clear_seconds;
    state.with_vault(|vault, hotp| {
        let account = vault.account(id)?;
        let code = match account.otp.kind {
            Kind::Hotp { .. } => hotp
                .get(&id)
                .cloned()
                .ok_or_else(|| CommandError::invalid("show the next code first, then copy it"))?,
            _ => account.otp.code_at(now),
        };
        let clear_after =
            (clear_seconds > 0).then(|| Duration::from_secs(u64::from(clear_seconds)));
        state
            .copier
            .copy(code.as_str(), clear_after)
            .map_err(CommandError::clipboard)?;
        vault.touch(id, now_i64())?;
        Ok(clear_seconds)
    })
}

fn now_i64() -> i64 {
    i64::try_from(unix_now()).unwrap_or(i64::MAX)
}
