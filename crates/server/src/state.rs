//! What every request handler shares.

use std::net::IpAddr;
use std::sync::atomic::AtomicI64;
use std::sync::Arc;

use countersign_protocol::{Fingerprint, SigningKey};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::config::Config;
use crate::hub::Hub;
use crate::store::{LogEntry, LogSource, Store, User};

/// Shared state (cheap to clone).
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

/// The shared state's contents.
pub struct Inner {
    /// Configuration.
    pub config: Config,
    /// Database.
    pub store: Store,
    /// Long-poll wake-ups.
    pub hub: Hub,
    /// The key that signs challenges.
    pub server_key: SigningKey,
    /// The TLS certificate's fingerprint, when self-signed (goes into activation URIs).
    pub tls_pin: Option<Fingerprint>,
    /// Base URL devices use.
    pub public_url: String,
    /// The server's IP address for the log.
    pub server_ip: Option<IpAddr>,
    /// Prometheus metrics.
    pub metrics: Metrics,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// Label set of the authentication counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AuthLabels {
    /// Mode.
    pub mode: String,
    /// Result.
    pub result: String,
}

/// Label set of the device request counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// Outcome (`ok` or an error code).
    pub outcome: String,
}

/// Prometheus metrics.
pub struct Metrics {
    /// The registry `/metrics` encodes.
    pub registry: Registry,
    /// Authentications logged, by mode and result.
    pub authentications: Family<AuthLabels, Counter>,
    /// Signed device requests, by outcome.
    pub device_requests: Family<OutcomeLabels, Counter>,
    /// Challenges created.
    pub challenges_created: Counter,
    /// Device long-polls being held open.
    pub device_polls: Gauge<i64, AtomicI64>,
    /// Relying-party long-polls being held open.
    pub result_polls: Gauge<i64, AtomicI64>,
    /// Seconds from challenge creation to delivery on a long-poll.
    pub delivery_seconds: Histogram,
    /// Times the PostgreSQL `LISTEN` connection was (re)established.
    pub listener_connects: Counter,
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("countersign");
        let authentications = Family::<AuthLabels, Counter>::default();
        registry.register(
            "authentications",
            "Authentications logged, by mode and result",
            authentications.clone(),
        );
        let device_requests = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "device_requests",
            "Signed device requests, by outcome",
            device_requests.clone(),
        );
        let challenges_created = Counter::default();
        registry.register(
            "challenges_created",
            "Push challenges created",
            challenges_created.clone(),
        );
        let device_polls = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "device_long_polls",
            "Device long-polls held open",
            device_polls.clone(),
        );
        let result_polls = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "result_long_polls",
            "Relying-party result long-polls held open",
            result_polls.clone(),
        );
        let delivery_seconds =
            Histogram::new([0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0]);
        registry.register(
            "challenge_delivery_seconds",
            "Challenge creation to long-poll delivery",
            delivery_seconds.clone(),
        );
        let listener_connects = Counter::default();
        registry.register(
            "listener_connects",
            "Times the PostgreSQL LISTEN connection was established (reconnects after the first)",
            listener_connects.clone(),
        );
        Self {
            registry,
            listener_connects,
            authentications,
            device_requests,
            challenges_created,
            device_polls,
            result_polls,
            delivery_seconds,
        }
    }
}

impl Inner {
    /// Builds the state.
    pub fn new(
        config: Config,
        store: Store,
        server_key: SigningKey,
        tls_pin: Option<Fingerprint>,
        public_url: String,
        server_ip: Option<IpAddr>,
    ) -> Self {
        Self {
            config,
            store,
            hub: Hub::default(),
            server_key,
            tls_pin,
            public_url,
            server_ip,
            metrics: Metrics::new(),
        }
    }

    /// What this node copies into the log rows it writes.
    pub fn log_source(&self) -> LogSource {
        LogSource {
            server_name: self.config.server_name.clone(),
            server_ip: self.server_ip.map(|ip| ip.to_string()),
        }
    }

    /// Counts a log row written by the store (the authentications metric).
    pub fn count_auth(&self, entry: &LogEntry) {
        self.metrics
            .authentications
            .get_or_create(&AuthLabels {
                mode: entry.mode.clone(),
                result: entry.result.clone(),
            })
            .inc();
    }

    /// Appends an authentication log row for `user` (whose details are copied into it).
    pub async fn log_auth(&self, user: &User, event: AuthEvent<'_>) -> Result<(), sqlx::Error> {
        let entry = LogEntry {
            id: uuid::Uuid::new_v4().to_string(),
            time: now(),
            user_id: user.id.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            email: user.email.clone(),
            phone: user.phone.clone(),
            device_id: event.device.map(str::to_owned),
            mode: event.mode.to_owned(),
            result: event.result.to_owned(),
            reason: event.reason.map(str::to_owned),
            server_name: self.config.server_name.clone(),
            server_ip: self.server_ip.map(|ip| ip.to_string()),
            client_ip: event.client_ip.map(str::to_owned),
        };
        self.count_auth(&entry);
        self.store.log(&entry).await
    }
}

/// One authentication to log.
#[derive(Debug, Clone, Copy)]
pub struct AuthEvent<'a> {
    /// `push`, `totp`, `hardware_totp`, `hardware_hotp`, `app_password`.
    pub mode: &'a str,
    /// `accepted`, `denied`, `fraud`, `expired`.
    pub result: &'a str,
    /// Why it was denied.
    pub reason: Option<&'a str>,
    /// Device id or token serial.
    pub device: Option<&'a str>,
    /// Client IP.
    pub client_ip: Option<&'a str>,
}

/// Unix seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}
