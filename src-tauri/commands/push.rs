//! Push sign-in approvals: activate, list with connection states, answer, remove.
//!
//! The listeners and their events live in [`crate::push`]; these commands are the UI's handles
//! on it.

use countersign_core::push::{ActivationSummary, Decision, PendingActivation};
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};

use crate::error::CommandResult;
use crate::push::{
    push_error, visible, HistoryEntry, PushAccountView, PushService, PushSnapshot, RemovalView,
};
use crate::state::AppState;

/// What the confirm screen shows before a device is activated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivationView {
    /// The server's base URL.
    pub server: String,
    /// The user id the device will approve sign-ins for.
    pub user: String,
    /// The server's display name.
    pub issuer: String,
    /// The server's challenge-signing key fingerprint (colon hex), to compare with what the
    /// administrator shows.
    pub key_fingerprint: String,
    /// The pinned TLS certificate fingerprint (colon hex) of a self-signed server.
    pub tls_fingerprint: Option<String>,
    /// Unix seconds after which the activation code is refused.
    pub expires: u64,
}

impl From<ActivationSummary> for ActivationView {
    fn from(s: ActivationSummary) -> Self {
        ActivationView {
            server: s.server,
            user: s.user,
            issuer: s.issuer,
            key_fingerprint: s.key_fingerprint,
            tls_fingerprint: s.tls_fingerprint,
            expires: s.expires,
        }
    }
}

/// Reads a `countersign://activate` URI for the confirm screen; a bad one fails with
/// `invalid_activation_uri`, naming what is wrong. Nothing is stored or sent.
#[tauri::command]
pub async fn push_parse_activation<R: Runtime>(
    _app: AppHandle<R>,
    uri: String,
) -> CommandResult<ActivationView> {
    let pending = PendingActivation::parse(uri.trim()).map_err(push_error)?;
    Ok(pending.summary().into())
}

/// Activates this device with the server the URI names and starts listening. With `replace`
/// (a device id), that account is removed and the new one takes its name and place.
#[tauri::command]
pub async fn push_activate<R: Runtime>(
    app: AppHandle<R>,
    push: State<'_, PushService>,
    uri: String,
    replace: Option<String>,
) -> CommandResult<PushAccountView> {
    let pending = PendingActivation::parse(uri.trim()).map_err(push_error)?;
    push.activate(&app, pending, replace).await
}

/// The push accounts with their connection states, the pending requests and the history.
/// Starts the listeners the first time (and any missing one since).
#[tauri::command]
pub async fn push_accounts<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    push: State<'_, PushService>,
) -> CommandResult<PushSnapshot> {
    let activations = state.with_vault(|vault, _| Ok(visible(vault)))?;
    push.sync(&app, &activations);
    push.retry_removals_later(&app);
    Ok(push.snapshot())
}

/// Approves (with the number the sign-in page shows, for number matching), denies or reports
/// a pending request. Needs the vault open.
#[tauri::command]
pub async fn push_answer<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    push: State<'_, PushService>,
    id: String,
    decision: Decision,
    number: Option<u8>,
) -> CommandResult<HistoryEntry> {
    state.with_vault(|_, _| Ok(()))?;
    push.answer(&app, &id, decision, number).await
}

/// Removes a push account: deactivates the device on the server (best effort, retried later
/// when offline) and deletes its key.
#[tauri::command]
pub async fn push_remove<R: Runtime>(
    app: AppHandle<R>,
    push: State<'_, PushService>,
    device_id: String,
) -> CommandResult<RemovalView> {
    push.remove(&app, &device_id).await
}
