//! The long-poll listener: one tokio task per activation.
//!
//! Each round asks the server for the challenges after the cursor and waits up to
//! [`ListenerConfig::wait`] for one (the first round after a (re)connection does not wait, so
//! the connection is confirmed at once). The request is abandoned after `wait + read_slack`, so a
//! connection that died without a reset (a vanished Wi-Fi, a NAT that forgot the flow) is
//! noticed. Failures back off with jitter up to about a minute; a healthy poll resets the
//! back-off; [`ListenerHandle::network_changed`] abandons the current request and reconnects
//! at once over fresh connections.
//!
//! Every challenge's server signature is checked with the key pinned at activation before it
//! is reported; expired ones (on the server's clock) and ids already reported are dropped.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use countersign_protocol::ChallengeError;
use tokio::sync::{mpsc, watch, Notify};
use tokio::task::JoinHandle;

use super::backoff::Backoff;
use super::client::{DeviceClient, TransportOptions};
use super::error::PushError;
use super::events::{ConnectionState, IncomingChallenge, PushEvent};
use super::unix_millis;
use crate::account::Activation;

/// How a listener polls and backs off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerConfig {
    /// How long the server may hold a poll open (the server caps it at 45 s). Shorter keeps
    /// NAT mappings and mobile links alive.
    pub wait: Duration,
    /// Extra time on top of `wait` before a silent request is abandoned.
    pub read_slack: Duration,
    /// The first reconnection delay (before jitter).
    pub backoff_base: Duration,
    /// The longest reconnection delay.
    pub backoff_cap: Duration,
    /// How connections are made.
    pub transport: TransportOptions,
    /// How often to ask the OS which local address routes to the server; when it changes
    /// (Wi-Fi ↔ cellular, VPN, a new network), the listener reconnects at once as if
    /// [`ListenerHandle::network_changed`] had been called. `None` leaves that to the app.
    pub route_check: Option<Duration>,
}

impl Default for ListenerConfig {
    fn default() -> Self {
        ListenerConfig {
            wait: Duration::from_secs(25),
            read_slack: Duration::from_secs(10),
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(60),
            transport: TransportOptions::default(),
            route_check: Some(Duration::from_secs(2)),
        }
    }
}

/// Starts listeners.
#[derive(Debug)]
pub struct Listener;

impl Listener {
    /// Starts listening for `activation` on the current tokio runtime; events go to `events`.
    pub fn spawn(
        activation: &Activation,
        config: ListenerConfig,
        events: mpsc::UnboundedSender<PushEvent>,
    ) -> Result<ListenerHandle, PushError> {
        let client = Arc::new(DeviceClient::new(activation, config.transport.clone())?);
        let initial = if activation.not_activated {
            ConnectionState::NotActivated {
                message: not_activated_message(&client),
            }
        } else {
            ConnectionState::Connecting
        };
        let (state_tx, state_rx) = watch::channel(initial);
        let (stop_tx, stop_rx) = watch::channel(false);
        let nudge = Arc::new(Notify::new());
        if let Some(period) = config.route_check {
            tokio::spawn(watch_route(
                client.clone(),
                period,
                nudge.clone(),
                stop_rx.clone(),
            ));
        }
        let task = tokio::spawn(run(Loop {
            client: client.clone(),
            config,
            events,
            state: state_tx,
            nudge: nudge.clone(),
            stop: stop_rx,
            cursor: activation.cursor,
            not_activated: activation.not_activated,
        }));
        Ok(ListenerHandle {
            client,
            state: state_rx,
            nudge,
            stop: stop_tx,
            task: Some(task),
        })
    }

    /// Starts a listener for every activation the user sees (skipping those being removed).
    /// Activations that cannot start (a damaged entry) are returned with their error.
    pub fn spawn_all(
        activations: &[Activation],
        config: &ListenerConfig,
        events: &mpsc::UnboundedSender<PushEvent>,
    ) -> (Vec<ListenerHandle>, Vec<(String, PushError)>) {
        let mut handles = Vec::new();
        let mut failed = Vec::new();
        for a in activations.iter().filter(|a| !a.pending_removal) {
            match Listener::spawn(a, config.clone(), events.clone()) {
                Ok(h) => handles.push(h),
                Err(e) => failed.push((a.device_id.clone(), e)),
            }
        }
        (handles, failed)
    }
}

/// Controls one running listener. Dropping it stops the listener.
#[derive(Debug)]
pub struct ListenerHandle {
    client: Arc<DeviceClient>,
    state: watch::Receiver<ConnectionState>,
    nudge: Arc<Notify>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl ListenerHandle {
    /// The activation's device id.
    pub fn device_id(&self) -> &str {
        self.client.device_id()
    }

    /// The signed client, to answer the challenges this listener reports.
    pub fn client(&self) -> Arc<DeviceClient> {
        self.client.clone()
    }

    /// The connection state now.
    pub fn state(&self) -> ConnectionState {
        self.state.borrow().clone()
    }

    /// A receiver that sees every state change.
    pub fn watch_state(&self) -> watch::Receiver<ConnectionState> {
        self.state.clone()
    }

    /// The network changed (Wi-Fi ↔ cellular, VPN up/down, wake from sleep): abandon the
    /// current request and reconnect now over fresh connections, with the back-off reset.
    pub fn network_changed(&self) {
        self.nudge.notify_one();
    }

    /// Stops the listener and waits for its task to end.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ListenerHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

struct Loop {
    client: Arc<DeviceClient>,
    config: ListenerConfig,
    events: mpsc::UnboundedSender<PushEvent>,
    state: watch::Sender<ConnectionState>,
    nudge: Arc<Notify>,
    stop: watch::Receiver<bool>,
    cursor: u64,
    not_activated: bool,
}

/// Ids already reported, remembered up to a bound (oldest forgotten first).
struct Seen {
    set: HashSet<String>,
    order: VecDeque<String>,
}

const SEEN_KEPT: usize = 4096;

impl Seen {
    fn insert(&mut self, id: &str) -> bool {
        if !self.set.insert(id.to_owned()) {
            return false;
        }
        self.order.push_back(id.to_owned());
        while self.order.len() > SEEN_KEPT {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }
}

fn not_activated_message(client: &DeviceClient) -> String {
    PushError::NotActivated {
        server: client.server().to_string(),
    }
    .to_string()
}

async fn run(mut l: Loop) {
    let device_id = l.client.device_id().to_owned();
    let mut backoff = Backoff::new(l.config.backoff_base, l.config.backoff_cap);
    let mut seen = Seen {
        set: HashSet::new(),
        order: VecDeque::new(),
    };
    let mut connected = false;
    let mut reported_offset: Option<i64> = None;
    let emit = |events: &mpsc::UnboundedSender<PushEvent>, e: PushEvent| events.send(e).is_ok();
    let set_state = |l: &Loop, s: ConnectionState| -> bool {
        l.state.send_replace(s.clone());
        emit(
            &l.events,
            PushEvent::State {
                device_id: device_id.clone(),
                state: s,
            },
        )
    };
    if l.not_activated {
        // Stored as not activated: say so and poll only when nudged (the server may have been
        // restored from a backup that still knows the device).
        if !set_state(
            &l,
            ConnectionState::NotActivated {
                message: not_activated_message(&l.client),
            },
        ) {
            return;
        }
        tokio::select! {
            _ = l.stop.changed() => { set_state(&l, ConnectionState::Stopped); return; }
            _ = l.nudge.notified() => {}
        }
    }
    if !set_state(&l, ConnectionState::Connecting) {
        return;
    }
    loop {
        if *l.stop.borrow() {
            break;
        }
        let result = tokio::select! {
            biased;
            _ = l.stop.changed() => break,
            _ = l.nudge.notified() => {
                let _ = l.client.reset_connections();
                backoff.reset();
                continue;
            }
            // After (re)connecting, a poll that does not wait: it confirms the connection and
            // measures the clock at once; the long waits follow.
            r = l.client.poll(l.cursor, if connected { l.config.wait } else { Duration::ZERO }, l.config.read_slack) => r,
        };
        match result {
            Ok(batch) => {
                backoff.reset();
                if !connected {
                    connected = true;
                    if !set_state(
                        &l,
                        ConnectionState::Connected {
                            since_ms: unix_millis(),
                        },
                    ) {
                        return;
                    }
                }
                if let Some(offset) = l.client.clock_offset() {
                    if reported_offset.is_none_or(|r| (r - offset.offset_ms).abs() >= 1000) {
                        reported_offset = Some(offset.offset_ms);
                        emit(
                            &l.events,
                            PushEvent::Clock {
                                device_id: device_id.clone(),
                                offset: offset.into(),
                            },
                        );
                    }
                }
                for signed in &batch.challenges {
                    let id = signed.challenge.id.clone();
                    let event = match l.client.verify(signed) {
                        Ok(challenge) if seen.insert(&challenge.id) => {
                            PushEvent::Challenge(IncomingChallenge {
                                device_id: device_id.clone(),
                                server: l.client.server().to_string(),
                                challenge,
                                received_ms: unix_millis(),
                                clock_offset_ms: l.client.clock_offset().map_or(0, |o| o.offset_ms),
                            })
                        }
                        Ok(_) => dropped(&device_id, id, "duplicate"),
                        Err(ChallengeError::Expired) => {
                            seen.insert(&id);
                            dropped(&device_id, id, "expired")
                        }
                        Err(_) => dropped(&device_id, id, "bad_signature"),
                    };
                    if !emit(&l.events, event) {
                        return;
                    }
                }
                l.cursor = l.cursor.max(batch.cursor);
            }
            Err(PushError::NotActivated { .. }) => {
                connected = false;
                if !set_state(
                    &l,
                    ConnectionState::NotActivated {
                        message: not_activated_message(&l.client),
                    },
                ) {
                    return;
                }
                tokio::select! {
                    _ = l.stop.changed() => break,
                    _ = l.nudge.notified() => {}
                }
            }
            Err(e) => {
                // A connection that was healthy and then broke (a NAT timeout, a proxy, a server
                // restart) is retried at once; back-off starts when that retry fails too.
                let was_connected = std::mem::replace(&mut connected, false);
                if matches!(e, PushError::Network { .. }) {
                    let _ = l.client.reset_connections();
                }
                let delay = if was_connected {
                    Duration::ZERO
                } else {
                    backoff.next_delay()
                };
                let retry_at_ms =
                    unix_millis() + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
                let state = ConnectionState::Reconnecting {
                    attempt: backoff.attempt(),
                    retry_at_ms,
                    code: e.code().to_owned(),
                    message: e.to_string(),
                };
                if !set_state(&l, state) {
                    return;
                }
                tokio::select! {
                    _ = l.stop.changed() => break,
                    _ = l.nudge.notified() => {
                        let _ = l.client.reset_connections();
                        backoff.reset();
                    }
                    _ = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
    set_state(&l, ConnectionState::Stopped);
}

/// Nudges the listener when the local address that routes to the server changes.
async fn watch_route(
    client: Arc<DeviceClient>,
    period: Duration,
    nudge: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = None;
    let mut first = true;
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            _ = tick.tick() => {}
        }
        let now = client.route_source().await;
        if !first && now != last {
            nudge.notify_one();
        }
        first = false;
        last = now;
    }
}

fn dropped(device_id: &str, challenge_id: String, reason: &str) -> PushEvent {
    PushEvent::Dropped {
        device_id: device_id.to_owned(),
        challenge_id,
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_ids_are_reported_once_and_forgotten_oldest_first() {
        let mut seen = Seen {
            set: HashSet::new(),
            order: VecDeque::new(),
        };
        assert!(seen.insert("a"));
        assert!(!seen.insert("a"));
        for i in 0..SEEN_KEPT {
            seen.insert(&i.to_string());
        }
        assert!(
            seen.insert("a"),
            "the oldest id is forgotten past the bound"
        );
        assert_eq!(seen.order.len(), SEEN_KEPT);
    }
}
