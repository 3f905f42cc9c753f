//! Moving accounts out as QR codes: one account as an `otpauth://` code, or chosen accounts as
//! Google Authenticator transfer codes ("1 of N"). Both reveal secrets: the UI asks first.

use countersign_core::qr;
use countersign_core::Account;
use serde::Serialize;
use tauri::{Runtime, State};

use super::scan::qr_error;
use crate::error::{CommandError, CommandResult};
use crate::state::AppState;
use crate::views::account_id;

/// One account as an `otpauth://` QR code (SVG). Reveals the secret: the UI confirms first.
#[tauri::command]
pub async fn account_qr<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
) -> CommandResult<String> {
    let id = account_id(&id)?;
    state.with_vault(|vault, _| qr::account_svg(vault.account(id)?).map_err(qr_error))
}

/// One page of a Google Authenticator transfer export.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferPage {
    /// 1-based page number.
    pub number: usize,
    /// Pages in the export.
    pub total: usize,
    /// How many accounts this page's code carries.
    pub accounts: usize,
    /// The QR code (SVG).
    pub svg: String,
}

/// The chosen accounts as Google Authenticator transfer codes, in order, to scan with a phone
/// one after the other. Fails naming the first account the format cannot carry.
#[tauri::command]
pub async fn transfer_qr<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    ids: Vec<String>,
) -> CommandResult<Vec<TransferPage>> {
    if ids.is_empty() {
        return Err(CommandError::invalid(
            "choose at least one account to export",
        ));
    }
    let ids = ids
        .iter()
        .map(String::as_str)
        .map(account_id)
        .collect::<CommandResult<Vec<_>>>()?;
    let accounts: Vec<Account> = state.with_vault(|vault, _| {
        ids.iter()
            .map(|id| vault.account(*id).cloned().map_err(CommandError::from))
            .collect()
    })?;
    let svgs = qr::transfer_svgs(&accounts).map_err(qr_error)?;
    let total = svgs.len();
    Ok(svgs
        .into_iter()
        .enumerate()
        .map(|(index, svg)| TransferPage {
            number: index + 1,
            total,
            accounts: accounts
                .len()
                .saturating_sub(index * qr::TRANSFER_ACCOUNTS_PER_CODE)
                .min(qr::TRANSFER_ACCOUNTS_PER_CODE),
            svg,
        })
        .collect())
}
