//! Scanning QR codes to add accounts: image files (the open dialog and drag and drop give a
//! path), pasted images (bytes), camera frames (grey bytes) and the screen (captured in memory).
//!
//! Every decoded text is classified by the core. Accounts found are not added at once: they are
//! kept here, described to the UI without their secrets, and added by [`add_scanned`] once the
//! user confirms. Google Authenticator exports ("1 of 3") are collected across scans until every
//! code is in.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use countersign_core::qr::{self, Content, Decoded, QrError, TransferCollector, TransferProgress};
use countersign_core::Account;
use serde::Serialize;
use tauri::ipc::{InvokeBody, Request};
use tauri::{Runtime, State};

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;
use crate::views::AccountView;

/// The largest image file scanned (a screenshot or photo is far smaller).
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// What scanning keeps between commands: transfer codes seen so far and the accounts waiting
/// for the user's confirmation. Managed by Tauri (see [`crate::with_commands`]).
#[derive(Default)]
pub struct ScanState {
    inner: Mutex<ScanInner>,
}

#[derive(Default)]
struct ScanInner {
    transfers: TransferCollector,
    /// Accounts found by a scan, by token; only the latest scan's are kept.
    ready: HashMap<u64, Vec<Account>>,
    next_token: u64,
}

impl ScanState {
    fn lock(&self) -> MutexGuard<'_, ScanInner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What a scan found, for the UI.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanOutcome {
    /// Every code read, in the order found, with a sentence saying what it is.
    pub codes: Vec<FoundCode>,
    /// Accounts ready to be added once the user confirms (none when nothing usable was found).
    pub ready: Option<ReadyAccounts>,
}

/// One QR code read from an image.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FoundCode {
    /// `account`, `transfer`, `activation`, `other`, or `invalid` (looked like one of the first
    /// three but does not parse).
    pub kind: &'static str,
    /// What the code holds and what happens next, without any secret.
    pub message: String,
    /// For `activation`: the `countersign://activate` URI, to hand to the push activation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activation_uri: Option<String>,
}

/// Accounts a scan found, shown to the user before they are added.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadyAccounts {
    /// What [`add_scanned`] takes to add them.
    pub token: String,
    /// The accounts (no secrets), each marked when the vault already has it.
    pub accounts: Vec<ScannedAccount>,
}

/// An account found by a scan.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScannedAccount {
    /// The account as it would be added.
    #[serde(flatten)]
    pub account: AccountView,
    /// The vault already has an account with the same secret, issuer and name.
    pub duplicate: bool,
}

/// What [`add_scanned`] and an import (`import_apply`) did.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddedAccounts {
    /// The accounts added, as saved.
    pub added: Vec<AccountView>,
    /// Duplicates left out.
    pub skipped_duplicates: usize,
}

/// Reads the QR codes in an image file (chosen in the open dialog, or dropped on the window).
#[tauri::command]
pub async fn scan_file<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    scan: State<'_, ScanState>,
    path: String,
) -> CommandResult<ScanOutcome> {
    let decoded = super::off_thread("the scan", move || {
        let bytes = read_image_file(&path)?;
        qr::decode_image_bytes(&bytes).map_err(qr_error)
    })
    .await??;
    Ok(outcome(&state, &scan, decoded))
}

/// Reads the QR codes in an image's bytes (a pasted image), sent as the raw request body.
#[tauri::command]
pub async fn scan_image<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    scan: State<'_, ScanState>,
    request: Request<'_>,
) -> CommandResult<ScanOutcome> {
    let bytes = raw_body(&request)?;
    let decoded = super::off_thread("the scan", move || {
        qr::decode_image_bytes(&bytes).map_err(qr_error)
    })
    .await??;
    Ok(outcome(&state, &scan, decoded))
}

/// Reads the QR codes in a camera frame: the raw body is `width × height` grey bytes, the
/// headers `x-frame-width` and `x-frame-height` give the size.
#[tauri::command]
pub async fn scan_frame<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    scan: State<'_, ScanState>,
    request: Request<'_>,
) -> CommandResult<ScanOutcome> {
    let side = |name: &str| -> CommandResult<u32> {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| CommandError::invalid(format!("the frame's {name} header is missing")))
    };
    let (width, height) = (side("x-frame-width")?, side("x-frame-height")?);
    let luma = raw_body(&request)?;
    let decoded = super::off_thread("the scan", move || {
        qr::decode_luma(width, height, luma).map_err(qr_error)
    })
    .await??;
    Ok(outcome(&state, &scan, decoded))
}

/// Captures every monitor and reads the QR codes on them. The frames stay in memory.
#[tauri::command]
pub async fn scan_screen<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    scan: State<'_, ScanState>,
) -> CommandResult<ScanOutcome> {
    let decoded = super::off_thread("the scan", || qr::scan_screens().map_err(qr_error)).await??;
    Ok(outcome(&state, &scan, decoded))
}

/// Classifies a text read by another scanner (the phone's barcode scanner) as if it had been
/// read from an image.
#[tauri::command]
pub async fn scan_text<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    scan: State<'_, ScanState>,
    text: String,
) -> CommandResult<ScanOutcome> {
    let decoded = Decoded::new(text, qr::Engine::Rqrr);
    Ok(outcome(&state, &scan, vec![decoded]))
}

/// Adds the accounts a scan found, in one vault save. Duplicates of accounts in the vault are
/// left out unless `keep_duplicates`. The token is used up.
#[tauri::command]
pub async fn add_scanned<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    scan: State<'_, ScanState>,
    token: String,
    keep_duplicates: bool,
) -> CommandResult<AddedAccounts> {
    let key: u64 = token
        .parse()
        .map_err(|_| CommandError::invalid("this scan result is not known; scan again"))?;
    let accounts = scan
        .lock()
        .ready
        .remove(&key)
        .ok_or_else(|| CommandError::invalid("this scan result is not known; scan again"))?;
    state.with_vault(|vault, _| {
        let mut chosen = Vec::new();
        let mut skipped_duplicates = 0;
        for account in accounts {
            let duplicate = vault.duplicate_of(&account).is_some()
                || chosen.iter().any(|c: &Account| c.is_duplicate_of(&account));
            if duplicate && !keep_duplicates {
                skipped_duplicates += 1;
                continue;
            }
            chosen.push(account);
        }
        let ids = if chosen.is_empty() {
            Vec::new()
        } else {
            vault.add_accounts(chosen)?
        };
        let added = ids
            .into_iter()
            .map(|id| vault.account(id).map(AccountView::from))
            .collect::<Result<_, _>>()?;
        Ok(AddedAccounts {
            added,
            skipped_duplicates,
        })
    })
}

/// Turns decoded codes into what the UI shows, keeping the accounts found for [`add_scanned`].
fn outcome(state: &AppState, scan: &ScanState, decoded: Vec<Decoded>) -> ScanOutcome {
    let now = super::unix_now() as i64;
    let mut inner = scan.lock();
    let mut codes = Vec::new();
    let mut found: Vec<Account> = Vec::new();
    for code in decoded {
        let mut activation_uri = None;
        let message = match &code.content {
            Content::Account(uri) => {
                found.push(Account::from_key_uri(uri.clone(), now));
                format!("{}: ready to add", code.content)
            }
            Content::Transfer(batch) => match inner.transfers.add(batch.clone()) {
                TransferProgress::Complete(uris) => {
                    let count = uris.len();
                    found.extend(uris.into_iter().map(|uri| Account::from_key_uri(uri, now)));
                    format!(
                        "Google Authenticator export complete: {count} account{} ready to add",
                        if count == 1 { "" } else { "s" }
                    )
                }
                TransferProgress::Waiting {
                    scanned,
                    total,
                    missing,
                    ..
                } => format!(
                    "Google Authenticator export: {scanned} of {total} codes scanned; scan code{} {} next",
                    if missing.len() == 1 { "" } else { "s" },
                    missing
                        .iter()
                        .map(i32::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                TransferProgress::Duplicate => {
                    "this Google Authenticator transfer code was already scanned".to_owned()
                }
                TransferProgress::Inconsistent(reason) => {
                    format!("this Google Authenticator transfer code does not fit the others: {reason}")
                }
                _ => code.content.to_string(),
            },
            Content::Activation(_) => {
                activation_uri = Some(code.text().to_owned());
                format!(
                    "Push sign-in activation found ({})",
                    code.content
                )
            }
            _ => format!("Not an account: {}", code.content),
        };
        let kind = if code.content.is_usable() {
            code.content.kind().as_str()
        } else if matches!(code.content, Content::Other(_)) {
            "other"
        } else {
            "invalid"
        };
        codes.push(FoundCode {
            kind,
            message,
            activation_uri,
        });
    }
    let ready = (!found.is_empty()).then(|| {
        let accounts = state
            .with_vault(|vault, _| {
                Ok(found
                    .iter()
                    .map(|account| ScannedAccount {
                        account: AccountView::from(account),
                        duplicate: vault.duplicate_of(account).is_some(),
                    })
                    .collect::<Vec<_>>())
            })
            .unwrap_or_else(|_| {
                found
                    .iter()
                    .map(|account| ScannedAccount {
                        account: AccountView::from(account),
                        duplicate: false,
                    })
                    .collect()
            });
        inner.next_token += 1;
        let token = inner.next_token;
        // Only the latest scan waits for confirmation.
        inner.ready.clear();
        inner.ready.insert(token, found);
        ReadyAccounts {
            token: token.to_string(),
            accounts,
        }
    });
    ScanOutcome { codes, ready }
}

fn read_image_file(path: &str) -> CommandResult<Vec<u8>> {
    let unreadable = |e: std::io::Error| CommandError {
        code: "file_unreadable",
        message: format!("cannot read {path}: {e}"),
        field: None,
    };
    let metadata = std::fs::metadata(path).map_err(unreadable)?;
    if !metadata.is_file() {
        return Err(CommandError::invalid(format!("{path} is not a file")));
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(qr_error(QrError::UnreadableImage(format!(
            "the file is {} MiB; images up to {} MiB are scanned",
            metadata.len() / (1024 * 1024),
            MAX_FILE_BYTES / (1024 * 1024)
        ))));
    }
    std::fs::read(path).map_err(unreadable)
}

fn raw_body(request: &Request<'_>) -> CommandResult<Vec<u8>> {
    match request.body() {
        InvokeBody::Raw(bytes) => Ok(bytes.clone()),
        InvokeBody::Json(_) => Err(CommandError::invalid(
            "send the image as raw bytes, not JSON",
        )),
    }
}

/// A QR error as `{code, message}` (the core's stable code).
pub(crate) fn qr_error(error: QrError) -> CommandError {
    CommandError {
        code: error.code(),
        message: error.to_string(),
        field: None,
    }
}
