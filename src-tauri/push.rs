//! Push sign-in approvals in the app: one core [`Listener`] per activation on tauri's async
//! runtime, the requests waiting for an answer, a short history of answered and expired ones,
//! and the events that keep the UI up to date.
//!
//! The listeners, signatures, back-off and cursors are the core's (`countersign_core::push`);
//! this module only keeps what the window shows and forwards it:
//!
//! * [`SNAPSHOT_EVENT`] carries the whole [`PushSnapshot`] (accounts with their connection state,
//!   pending requests, history) after every change;
//! * [`CHALLENGE_EVENT`] carries a new request, so the UI opens the approval sheet; the OS
//!   notification and bringing the window forward happen here.
//!
//! The listeners keep running while the vault is locked (a sign-in request still reaches the
//! user), but answering needs the vault open. The vault lock is never held across a network
//! call, except by [`PushService::remove`] (bounded by [`REMOVAL_TRANSPORT`]'s timeouts), whose
//! core call edits the vault around its one request.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use countersign_core::push::{
    store, Activation, AnswerOutcome, ChallengeStatus, ClockOffsetEvent, ConnectionState, Decision,
    DeviceClient, IncomingChallenge, Listener, ListenerConfig, ListenerHandle, PendingActivation,
    PushError, PushEvent, TransportOptions,
};
use countersign_core::Vault;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::mpsc;

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;

/// The event with the whole [`PushSnapshot`], sent after every change.
pub const SNAPSHOT_EVENT: &str = "push:snapshot";
/// The event with a new sign-in request ([`ChallengeView`]).
pub const CHALLENGE_EVENT: &str = "push:challenge";
/// How many answered or expired requests the history keeps.
pub const HISTORY_KEPT: usize = 20;

/// Timeouts for the one request a removal makes: a removal that cannot reach the server is
/// deferred (and retried later), so it need not wait long — and it holds the vault meanwhile.
pub const REMOVAL_TRANSPORT: TransportOptions = TransportOptions {
    local_address: None,
    connect_timeout: Duration::from_secs(3),
    request_timeout: Duration::from_secs(5),
};

/// The push side of the app, managed by Tauri next to [`AppState`].
pub struct PushService {
    inner: Mutex<Inner>,
    config: ListenerConfig,
    /// A retry of deferred removals is under way (one at a time).
    retrying: Arc<AtomicBool>,
}

#[derive(Default)]
struct Inner {
    /// The pump's channel, once started.
    events: Option<mpsc::UnboundedSender<PushEvent>>,
    /// The activations the user sees, by position (no keys: [`AccountInfo`]).
    accounts: Vec<AccountInfo>,
    listeners: HashMap<String, ListenerHandle>,
    states: HashMap<String, StateView>,
    clocks: HashMap<String, ClockOffsetEvent>,
    /// Requests waiting for an answer, oldest first.
    pending: Vec<IncomingChallenge>,
    /// Newest first, at most [`HISTORY_KEPT`].
    history: VecDeque<HistoryEntry>,
}

#[derive(Clone)]
struct AccountInfo {
    device_id: String,
    label: String,
    server: String,
    user: String,
    issuer: String,
    position: u32,
}

impl From<&Activation> for AccountInfo {
    fn from(a: &Activation) -> Self {
        AccountInfo {
            device_id: a.device_id.clone(),
            label: a.label.clone(),
            server: a.server.clone(),
            user: a.user.clone(),
            issuer: a.issuer.clone(),
            position: a.position,
        }
    }
}

/// Everything the push part of the window shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PushSnapshot {
    /// The push accounts, in the vault's order.
    pub accounts: Vec<PushAccountView>,
    /// Requests waiting for an answer, oldest first.
    pub pending: Vec<ChallengeView>,
    /// Answered and expired requests, newest first.
    pub history: Vec<HistoryEntry>,
}

/// A push account (an activation) as the UI sees it: no keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PushAccountView {
    /// The device id the server gave this activation.
    pub device_id: String,
    /// The name shown ("issuer: user" unless renamed).
    pub label: String,
    /// The server's base URL.
    pub server: String,
    /// The user at the server.
    pub user: String,
    /// The server's display name.
    pub issuer: String,
    /// Sort position among the accounts.
    pub position: u32,
    /// The connection, as the listener last reported it.
    pub state: StateView,
    /// Server clock minus local clock, once measured.
    pub clock_offset_ms: Option<i64>,
    /// The local clock is far enough off that TOTP codes may be refused.
    pub clock_warning: bool,
}

/// A connection state as the UI sees it (tag `state`, camelCase fields).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(
    tag = "state",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum StateView {
    /// The first poll is on its way.
    Connecting,
    /// The last poll got an answer.
    Connected {
        /// Local Unix ms since when.
        since_ms: i64,
    },
    /// The connection failed; the next attempt is at `retry_at_ms`.
    Reconnecting {
        /// Failed attempts in a row.
        attempt: u32,
        /// Local Unix ms of the next attempt.
        retry_at_ms: i64,
        /// The error's stable code.
        code: String,
        /// What failed.
        message: String,
    },
    /// The server no longer knows the device: remove and re-add.
    NotActivated {
        /// "Authentication request is not for an activated account ...".
        message: String,
    },
    /// The stored activation cannot be used (a damaged entry): remove it.
    Damaged {
        /// What is wrong with it.
        message: String,
    },
    /// Not listening (the listener was stopped).
    Stopped,
}

impl From<ConnectionState> for StateView {
    fn from(s: ConnectionState) -> Self {
        match s {
            ConnectionState::Connecting => StateView::Connecting,
            ConnectionState::Connected { since_ms } => StateView::Connected { since_ms },
            ConnectionState::Reconnecting {
                attempt,
                retry_at_ms,
                code,
                message,
            } => StateView::Reconnecting {
                attempt,
                retry_at_ms,
                code,
                message,
            },
            ConnectionState::NotActivated { message } => StateView::NotActivated { message },
            ConnectionState::Stopped => StateView::Stopped,
        }
    }
}

/// A sign-in request as the approval sheet shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChallengeView {
    /// The request id (answer with it).
    pub id: String,
    /// The push account it arrived on.
    pub device_id: String,
    /// That account's name.
    pub account_label: String,
    /// The application being signed in to.
    pub app: String,
    /// The user at the server.
    pub user: String,
    /// The server's display name.
    pub issuer: String,
    /// The sign-in's IP address, if the relying party gave it.
    pub client_ip: Option<String>,
    /// The sign-in's location, if the relying party gave it.
    pub location: Option<String>,
    /// Unix seconds (server clock) when it was created.
    pub created: u64,
    /// The three numbers to pick from (empty: approve / deny only).
    pub options: Vec<u8>,
    /// When it expires, in local Unix ms (the server's expiry corrected by the measured clock
    /// offset, so the countdown is right even on a skewed local clock).
    pub expires_at_ms: i64,
    /// Local Unix ms when it arrived.
    pub received_ms: i64,
}

/// An answered or expired request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// The request.
    pub challenge: ChallengeView,
    /// `approved`, `denied` (also a wrong number), `fraud`, `expired`, `replaced` (a newer
    /// request took its place), `answered` (answered before, by a lost attempt or elsewhere).
    pub outcome: &'static str,
    /// Local Unix ms when it ended here.
    pub at_ms: i64,
}

/// How a removal ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemovalView {
    /// The removed account's name.
    pub label: String,
    /// The server could not be told yet; the app retries later, and the key is kept until then.
    pub deferred: bool,
    /// Why the server could not be told (when deferred).
    pub message: Option<String>,
}

/// A push error as the UI gets it: the core's stable code and message.
pub fn push_error(error: PushError) -> CommandError {
    match error {
        PushError::Vault(e) => e.into(),
        e => CommandError {
            code: e.code(),
            message: e.to_string(),
            field: None,
        },
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every change below is a few assignments: a panic in one leaves nothing half-done.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Default for PushService {
    fn default() -> Self {
        PushService::new(ListenerConfig::default())
    }
}

impl PushService {
    /// A service whose listeners use `config`.
    pub fn new(config: ListenerConfig) -> Self {
        PushService {
            inner: Mutex::new(Inner::default()),
            config,
            retrying: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Makes the listeners match `activations` (the visible ones from the vault): starts one
    /// for each new activation, stops those no longer there, and starts the event pump the
    /// first time. Must run inside tauri's async runtime.
    pub fn sync<R: Runtime>(&self, app: &AppHandle<R>, activations: &[Activation]) {
        let mut stopped = Vec::new();
        {
            let mut inner = lock(&self.inner);
            let tx = match &inner.events {
                Some(tx) => tx.clone(),
                None => {
                    let (tx, rx) = mpsc::unbounded_channel();
                    tauri::async_runtime::spawn(pump(app.clone(), rx));
                    inner.events = Some(tx.clone());
                    tx
                }
            };
            let mut accounts: Vec<AccountInfo> =
                activations.iter().map(AccountInfo::from).collect();
            accounts.sort_by_key(|a| a.position);
            let keep: Vec<String> = accounts.iter().map(|a| a.device_id.clone()).collect();
            let gone: Vec<String> = inner
                .listeners
                .keys()
                .filter(|id| !keep.contains(*id))
                .cloned()
                .collect();
            for id in gone {
                if let Some(h) = inner.listeners.remove(&id) {
                    stopped.push(h);
                }
                inner.states.remove(&id);
                inner.clocks.remove(&id);
                inner.pending.retain(|c| c.device_id != id);
            }
            for a in activations {
                if inner.listeners.contains_key(&a.device_id) {
                    continue;
                }
                match Listener::spawn(a, self.config.clone(), tx.clone()) {
                    Ok(handle) => {
                        inner
                            .states
                            .insert(a.device_id.clone(), handle.state().into());
                        inner.listeners.insert(a.device_id.clone(), handle);
                    }
                    Err(e) => {
                        inner.states.insert(
                            a.device_id.clone(),
                            StateView::Damaged {
                                message: e.to_string(),
                            },
                        );
                    }
                }
            }
            inner.accounts = accounts;
        }
        for h in stopped {
            tauri::async_runtime::spawn(h.stop());
        }
        self.publish(app);
    }

    /// Stops every listener and forgets the pending requests (the history stays).
    pub async fn stop_all(&self) {
        let handles: Vec<ListenerHandle> = {
            let mut inner = lock(&self.inner);
            inner.pending.clear();
            inner.states.clear();
            inner.listeners.drain().map(|(_, h)| h).collect()
        };
        for h in handles {
            h.stop().await;
        }
    }

    /// Whether any listener is running (the window then hides to the tray instead of quitting).
    pub fn listening(&self) -> bool {
        !lock(&self.inner).listeners.is_empty()
    }

    /// What the UI shows now.
    pub fn snapshot(&self) -> PushSnapshot {
        let inner = lock(&self.inner);
        let label_of = |device: &str| {
            inner
                .accounts
                .iter()
                .find(|a| a.device_id == device)
                .map(|a| a.label.clone())
                .unwrap_or_default()
        };
        PushSnapshot {
            accounts: inner
                .accounts
                .iter()
                .map(|a| {
                    let clock = inner.clocks.get(&a.device_id);
                    PushAccountView {
                        device_id: a.device_id.clone(),
                        label: a.label.clone(),
                        server: a.server.clone(),
                        user: a.user.clone(),
                        issuer: a.issuer.clone(),
                        position: a.position,
                        state: inner
                            .states
                            .get(&a.device_id)
                            .cloned()
                            .unwrap_or(StateView::Stopped),
                        clock_offset_ms: clock.map(|c| c.offset_ms),
                        clock_warning: clock.is_some_and(|c| c.endangers_totp),
                    }
                })
                .collect(),
            pending: inner
                .pending
                .iter()
                .map(|c| view(c, label_of(&c.device_id)))
                .collect(),
            history: inner.history.iter().cloned().collect(),
        }
    }

    /// Sends the snapshot to the UI.
    pub fn publish<R: Runtime>(&self, app: &AppHandle<R>) {
        let _ = app.emit(SNAPSHOT_EVENT, self.snapshot());
    }

    /// Answers the pending request `id`. A number-matching request needs `number` to approve.
    /// An answer that ends the request (recorded, or refused because it was answered, replaced
    /// or expired) moves it to the history; a network failure leaves it pending to try again.
    pub async fn answer<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        id: &str,
        decision: Decision,
        number: Option<u8>,
    ) -> CommandResult<HistoryEntry> {
        let (challenge, client) = {
            let inner = lock(&self.inner);
            let challenge = inner
                .pending
                .iter()
                .find(|c| c.challenge.id == id)
                .cloned()
                .ok_or_else(|| push_error(PushError::UnknownChallenge { id: id.to_owned() }))?;
            let client: Option<Arc<DeviceClient>> = inner
                .listeners
                .get(&challenge.device_id)
                .map(ListenerHandle::client);
            (challenge, client)
        };
        let client = client
            .ok_or_else(|| push_error(PushError::UnknownActivation(challenge.device_id.clone())))?;
        if challenge.millis_left(now_ms()) <= 0 {
            self.finish(app, id, "expired");
            return Err(push_error(PushError::ChallengeExpired));
        }
        if decision == Decision::Approve && challenge.number_matching() && number.is_none() {
            return Err(CommandError::field(
                "number",
                "pick the number the sign-in page shows",
            ));
        }
        let number = number.filter(|_| decision == Decision::Approve);
        match client.answer(id, decision, number).await {
            Ok(AnswerOutcome::Recorded { status }) => Ok(self.finish(app, id, outcome(status))),
            Ok(AnswerOutcome::RecordedEarlier) => Ok(self.finish(app, id, "answered")),
            Err(e) => {
                let ended = match &e {
                    PushError::AlreadyAnswered => Some("answered"),
                    PushError::ChallengeExpired => Some("expired"),
                    PushError::UnknownChallenge { .. } => Some("replaced"),
                    _ => None,
                };
                if let Some(outcome) = ended {
                    self.finish(app, id, outcome);
                }
                Err(push_error(e))
            }
        }
    }

    /// Moves a pending request to the history and tells the UI.
    fn finish<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        id: &str,
        outcome: &'static str,
    ) -> HistoryEntry {
        let entry = {
            let mut inner = lock(&self.inner);
            let Some(index) = inner.pending.iter().position(|c| c.challenge.id == id) else {
                drop(inner);
                return self.history_entry(id).unwrap_or_else(|| HistoryEntry {
                    challenge: ChallengeView::unknown(id),
                    outcome,
                    at_ms: now_ms(),
                });
            };
            let c = inner.pending.remove(index);
            let account_label = label(&inner.accounts, &c.device_id);
            let entry = HistoryEntry {
                challenge: view(&c, account_label),
                outcome,
                at_ms: now_ms(),
            };
            inner.history.push_front(entry.clone());
            inner.history.truncate(HISTORY_KEPT);
            entry
        };
        self.publish(app);
        entry
    }

    fn history_entry(&self, id: &str) -> Option<HistoryEntry> {
        lock(&self.inner)
            .history
            .iter()
            .find(|h| h.challenge.id == id)
            .cloned()
    }

    /// Moves the requests that expired to the history; returns whether any did.
    fn sweep_expired(&self) -> bool {
        let now = now_ms();
        let mut inner = lock(&self.inner);
        let (expired, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut inner.pending)
            .into_iter()
            .partition(|c| c.millis_left(now) <= 0);
        inner.pending = waiting;
        for c in &expired {
            let entry = HistoryEntry {
                challenge: view(c, label(&inner.accounts, &c.device_id)),
                outcome: "expired",
                at_ms: now,
            };
            inner.history.push_front(entry);
        }
        inner.history.truncate(HISTORY_KEPT);
        !expired.is_empty()
    }

    /// Records a new request; false when it is known already (pending or in the history).
    fn add_pending(&self, c: IncomingChallenge) -> Option<ChallengeView> {
        let mut inner = lock(&self.inner);
        let id = &c.challenge.id;
        if inner.pending.iter().any(|p| &p.challenge.id == id)
            || inner.history.iter().any(|h| &h.challenge.id == id)
        {
            return None;
        }
        let shown = view(&c, label(&inner.accounts, &c.device_id));
        inner.pending.push(c);
        Some(shown)
    }

    fn set_state(&self, device_id: &str, state: StateView) {
        lock(&self.inner).states.insert(device_id.to_owned(), state);
    }

    fn set_clock(&self, device_id: &str, offset: ClockOffsetEvent) {
        lock(&self.inner)
            .clocks
            .insert(device_id.to_owned(), offset);
    }

    /// Stops the listener of `device_id` (before it is removed or replaced).
    pub async fn stop(&self, device_id: &str) {
        let handle = {
            let mut inner = lock(&self.inner);
            inner.pending.retain(|c| c.device_id != device_id);
            inner.listeners.remove(device_id)
        };
        if let Some(h) = handle {
            h.stop().await;
        }
    }

    /// Removes a push account: its listener stops, the device is deactivated on the server
    /// (best effort: deferred and retried when the server cannot be reached) and its key
    /// deleted.
    pub async fn remove<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        device_id: &str,
    ) -> CommandResult<RemovalView> {
        let known = app.state::<AppState>().with_vault(|vault, _| {
            Ok(vault.activations().iter().any(|a| a.device_id == device_id))
        })?;
        if !known {
            return Err(push_error(PushError::UnknownActivation(
                device_id.to_owned(),
            )));
        }
        self.stop(device_id).await;
        let removal = with_vault_blocking(app, {
            let device_id = device_id.to_owned();
            move |vault| {
                tauri::async_runtime::block_on(store::remove_activation(
                    vault,
                    &device_id,
                    &REMOVAL_TRANSPORT,
                ))
                .map_err(push_error)
            }
        })
        .await?;
        self.resync(app)?;
        Ok(match removal {
            store::Removal::Done(p) => RemovalView {
                label: p.label,
                deferred: false,
                message: None,
            },
            store::Removal::Deferred(p, why) => RemovalView {
                label: p.label,
                deferred: true,
                message: Some(why),
            },
        })
    }

    /// Activates this device with the server of `pending` and stores the activation; with
    /// `replace`, the old activation is removed first (the way back from "not activated") and
    /// the new one takes its name and place. Nothing changes when the activation fails.
    pub async fn activate<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        pending: PendingActivation,
        replace: Option<String>,
    ) -> CommandResult<PushAccountView> {
        let state = app.state::<AppState>();
        if let Some(old) = &replace {
            let known = state.with_vault(|vault, _| {
                Ok(vault.activations().iter().any(|a| &a.device_id == old))
            })?;
            if !known {
                return Err(push_error(PushError::UnknownActivation(old.clone())));
            }
        } else {
            state.with_vault(|_, _| Ok(()))?;
        }
        // The network part runs without the vault: the UI stays responsive meanwhile.
        let activation = pending
            .activate(&device_name(), &TransportOptions::default())
            .await
            .map_err(push_error)?;
        let device_id = activation.device_id.clone();
        match replace {
            Some(old) => {
                self.stop(&old).await;
                let replaced = with_vault_blocking(app, move |vault| {
                    let removal = tauri::async_runtime::block_on(store::remove_activation(
                        vault,
                        &old,
                        &REMOVAL_TRANSPORT,
                    ))
                    .map_err(push_error)?;
                    store::add_activation(vault, activation, Some(removal.placement().clone()))
                        .map_err(push_error)
                })
                .await;
                if let Err(e) = replaced {
                    // Whatever is in the vault now gets its listener back.
                    let _ = self.resync(app);
                    return Err(e);
                }
            }
            None => {
                state.with_vault(|vault, _| {
                    store::add_activation(vault, activation, None).map_err(push_error)
                })?;
            }
        }
        self.resync(app)?;
        self.snapshot()
            .accounts
            .into_iter()
            .find(|a| a.device_id == device_id)
            .ok_or_else(|| CommandError::internal("the new push account was not saved"))
    }

    /// Syncs the listeners with the vault as it is now.
    pub fn resync<R: Runtime>(&self, app: &AppHandle<R>) -> CommandResult<()> {
        let activations = app
            .state::<AppState>()
            .with_vault(|vault, _| Ok(visible(vault)))?;
        self.sync(app, &activations);
        Ok(())
    }

    /// Retries, in the background, the deactivations that could not reach their server.
    pub fn retry_removals_later<R: Runtime>(&self, app: &AppHandle<R>) {
        let waiting = app
            .state::<AppState>()
            .with_vault(|vault, _| Ok(vault.activations().iter().any(|a| a.pending_removal)))
            .unwrap_or(false);
        if !waiting || self.retrying.swap(true, Ordering::AcqRel) {
            return;
        }
        let app = app.clone();
        let retrying = self.retrying.clone();
        tauri::async_runtime::spawn(async move {
            let _ = with_vault_blocking(&app, |vault| {
                tauri::async_runtime::block_on(store::retry_removals(vault, &REMOVAL_TRANSPORT))
                    .map_err(push_error)
            })
            .await;
            retrying.store(false, Ordering::Release);
        });
    }
}

/// The activations the user sees (not those being removed), with their keys.
pub fn visible(vault: &Vault) -> Vec<Activation> {
    store::visible(vault).into_iter().cloned().collect()
}

/// Runs `f` on the open vault on a blocking thread (it may wait on the network).
async fn with_vault_blocking<R: Runtime, T: Send + 'static>(
    app: &AppHandle<R>,
    f: impl FnOnce(&mut Vault) -> CommandResult<T> + Send + 'static,
) -> CommandResult<T> {
    let app = app.clone();
    crate::commands::off_thread("the vault task", move || {
        app.state::<AppState>().with_vault(|vault, _| f(vault))
    })
    .await?
}

/// Receives the listeners' events for as long as the app runs, and sweeps expired requests.
async fn pump<R: Runtime>(app: AppHandle<R>, mut events: mpsc::UnboundedReceiver<PushEvent>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { return };
                handle(&app, event);
            }
            _ = tick.tick() => {
                let push = app.state::<PushService>();
                if push.sweep_expired() {
                    push.publish(&app);
                }
            }
        }
    }
}

fn handle<R: Runtime>(app: &AppHandle<R>, event: PushEvent) {
    let push = app.state::<PushService>();
    match event {
        PushEvent::Challenge(c) => {
            let Some(shown) = push.add_pending(c) else {
                return;
            };
            let _ = app.emit(CHALLENGE_EVENT, &shown);
            announce(app, &shown);
        }
        PushEvent::State { device_id, state } => {
            if let ConnectionState::NotActivated { .. } = state {
                // Remembered in the vault, so the account shows "not activated" after a restart
                // too. Off the runtime: the vault lock may be held by a removal.
                let app = app.clone();
                let id = device_id.clone();
                tauri::async_runtime::spawn_blocking(move || {
                    let _ = app.state::<AppState>().with_vault(|vault, _| {
                        store::mark_not_activated(vault, &id).map_err(push_error)
                    });
                });
            }
            push.set_state(&device_id, state.into());
        }
        PushEvent::Clock { device_id, offset } => push.set_clock(&device_id, offset),
        // Bad signatures, duplicates and expired requests are not shown.
        PushEvent::Dropped { .. } => return,
    }
    push.publish(app);
}

/// Tells the user about a new request: an OS notification, and the window brought forward so
/// the approval sheet is in front of them. Both are best effort (no notification daemon, no
/// window on a headless machine).
fn announce<R: Runtime>(app: &AppHandle<R>, c: &ChallengeView) {
    if let Some(notifications) = app.try_state::<tauri_plugin_notification::Notification<R>>() {
        let mut from = Vec::new();
        from.extend(c.client_ip.clone());
        from.extend(c.location.clone());
        let from = if from.is_empty() {
            String::new()
        } else {
            format!(" from {}", from.join(", "))
        };
        let _ = notifications
            .builder()
            .title(format!("Sign-in request: {}", c.app))
            .body(format!(
                "{} at {}{from}. Open Countersign to approve or deny.",
                c.user, c.issuer
            ))
            .show();
    }
    if let Some(window) = app.get_webview_window(crate::webview::MAIN_WINDOW) {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

fn view(c: &IncomingChallenge, account_label: String) -> ChallengeView {
    let expires_ms = i64::try_from(c.challenge.expires)
        .unwrap_or(i64::MAX / 1000)
        .saturating_mul(1000);
    ChallengeView {
        id: c.challenge.id.clone(),
        device_id: c.device_id.clone(),
        account_label,
        app: c.challenge.app.clone(),
        user: c.challenge.user.clone(),
        issuer: c.challenge.issuer.clone(),
        client_ip: c.challenge.client_ip.clone(),
        location: c.challenge.location.clone(),
        created: c.challenge.created,
        options: c.challenge.options.clone(),
        expires_at_ms: expires_ms - c.clock_offset_ms,
        received_ms: c.received_ms,
    }
}

impl ChallengeView {
    fn unknown(id: &str) -> Self {
        ChallengeView {
            id: id.to_owned(),
            device_id: String::new(),
            account_label: String::new(),
            app: String::new(),
            user: String::new(),
            issuer: String::new(),
            client_ip: None,
            location: None,
            created: 0,
            options: Vec::new(),
            expires_at_ms: 0,
            received_ms: 0,
        }
    }
}

fn label(accounts: &[AccountInfo], device_id: &str) -> String {
    accounts
        .iter()
        .find(|a| a.device_id == device_id)
        .map(|a| a.label.clone())
        .unwrap_or_default()
}

fn outcome(status: ChallengeStatus) -> &'static str {
    status.as_str()
}

/// The name the server shows for this device.
fn device_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty() && h.len() <= 100 && !h.chars().any(char::is_control));
    match host {
        Some(h) => format!("Countersign app on {h}"),
        None => "Countersign app".to_owned(),
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn states_cross_with_a_snake_case_tag_and_camel_case_fields() {
        let s: StateView = ConnectionState::Reconnecting {
            attempt: 3,
            retry_at_ms: 1234,
            code: "network".into(),
            message: "m".into(),
        }
        .into();
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            json!({"state": "reconnecting", "attempt": 3, "retryAtMs": 1234, "code": "network", "message": "m"})
        );
        let s: StateView = ConnectionState::NotActivated {
            message: "gone".into(),
        }
        .into();
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            json!({"state": "not_activated", "message": "gone"})
        );
    }
}
