//! The push client: activate this device with a Countersign server, listen for sign-in
//! approval requests by long-poll, answer them, and remove the activation again.
//!
//! The wire format, the signed strings and the signature checks live in
//! `countersign-protocol`; this module is the device's side of that protocol over HTTPS.
//!
//! # Flow
//!
//! 1. [`PendingActivation::parse`] reads a scanned `countersign://activate` URI. Show the user
//!    [`PendingActivation::summary`] (server, user, issuer, key fingerprint) to confirm.
//! 2. [`PendingActivation::activate`] generates the P-256 device key, calls `POST /v1/activate`,
//!    checks that the server's challenge key matches the URI's fingerprint, and returns the
//!    [`Activation`] to keep; [`store::add_activation`] puts it in the vault.
//! 3. [`Listener::spawn`] runs one long-poll loop per activation on the current tokio runtime
//!    and reports [`PushEvent`]s: verified, fresh, never-repeated challenges, and the
//!    connection's [`ConnectionState`].
//! 4. [`DeviceClient::answer`] approves, denies or reports fraud, with the number the user
//!    picked.
//! 5. [`store::remove_activation`] deactivates the device on the server (best effort; retried
//!    by [`store::retry_removals`]) and deletes the key.
//!
//! # Transport
//!
//! A server with a self-signed certificate is pinned by the SHA-256 of its certificate (the
//! activation URI's `tls` parameter): [`tls::pinned_config`] accepts exactly that certificate
//! and nothing else. Without a pin the usual WebPKI roots apply.

mod backoff;
mod clock;
mod error;
mod events;

pub mod activation;
pub mod client;
pub mod listener;
pub mod store;
pub mod tls;

pub use crate::account::Activation;
pub use activation::{ActivationSummary, PendingActivation};
pub use backoff::Backoff;
pub use client::{AnswerOutcome, DeviceClient, TransportOptions};
pub use clock::{ClockEstimator, ClockOffset};
pub use error::PushError;
pub use events::{ClockOffsetEvent, ConnectionState, IncomingChallenge, PushEvent};
pub use listener::{Listener, ListenerConfig, ListenerHandle};

pub use countersign_protocol::wire::{ChallengeStatus, Decision};
pub use countersign_protocol::Challenge;

/// The current Unix time in milliseconds from the local clock.
pub(crate) fn unix_millis() -> i64 {
    // A clock before 1970 is a broken machine; 0 keeps arithmetic sane rather than panicking.
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
