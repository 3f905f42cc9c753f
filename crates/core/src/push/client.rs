//! Signed device requests over HTTPS: activate, long-poll, answer, deactivate.

use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;

use countersign_protocol::wire::{
    ActivateRequest, ActivateResponse, AnswerRequest, AnswerResponse, ChallengeBatch,
    ChallengeStatus, Decision, ErrorBody,
};
use countersign_protocol::{
    Challenge, ChallengeError, Fingerprint, PublicKey, SignedChallenge, SignedRequest, SigningKey,
};
use reqwest::Method;
use serde::Serialize;
use url::Url;

use super::clock::{ClockEstimator, ClockOffset};
use super::error::PushError;
use super::tls::{pinned_config, PIN_MISMATCH};
use super::unix_millis;
use crate::account::Activation;

/// How the client reaches servers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportOptions {
    /// Connect from this local address (pick a network interface); `None` lets the OS route.
    pub local_address: Option<IpAddr>,
    /// Give up on a TCP + TLS connect after this long.
    pub connect_timeout: Duration,
    /// Give up on an ordinary (not long-poll) request after this long.
    pub request_timeout: Duration,
}

impl Default for TransportOptions {
    fn default() -> Self {
        TransportOptions {
            local_address: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(20),
        }
    }
}

/// What became of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum AnswerOutcome {
    /// The server recorded this answer: `approved`, `denied` (also a wrong number) or `fraud`.
    Recorded {
        /// The challenge's final status.
        status: ChallengeStatus,
    },
    /// A first attempt's reply was lost and the retry found the challenge answered: the lost
    /// attempt was recorded (the server takes one answer only).
    RecordedEarlier,
}

/// One activation's signed connection to its server. Cheap to share behind an `Arc`.
pub struct DeviceClient {
    server: Url,
    device_id: String,
    key: SigningKey,
    server_key: PublicKey,
    http: Mutex<reqwest::Client>,
    tls_pin: Option<Fingerprint>,
    transport: Mutex<TransportOptions>,
    clock: Mutex<ClockEstimator>,
}

impl std::fmt::Debug for DeviceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceClient")
            .field("server", &self.server.as_str())
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

impl DeviceClient {
    /// A client for a stored activation.
    pub fn new(activation: &Activation, transport: TransportOptions) -> Result<Self, PushError> {
        let server = Url::parse(&activation.server)
            .map_err(|_| PushError::CorruptActivation("server URL"))?;
        let key = SigningKey::from_pkcs8(&activation.device_key)
            .map_err(|_| PushError::CorruptActivation("device key"))?;
        let server_key: PublicKey = activation
            .server_public_key
            .parse()
            .map_err(|_| PushError::CorruptActivation("server public key"))?;
        if server_key.fingerprint().to_string()
            != activation.server_key_fingerprint.to_ascii_lowercase()
        {
            return Err(PushError::CorruptActivation("server key fingerprint"));
        }
        let tls_pin = match activation.tls_fingerprint.as_str() {
            "" => None,
            fp => Some(
                fp.parse()
                    .map_err(|_| PushError::CorruptActivation("TLS fingerprint"))?,
            ),
        };
        let http = build_http(tls_pin, &transport)?;
        Ok(DeviceClient {
            server,
            device_id: activation.device_id.clone(),
            key,
            server_key,
            http: Mutex::new(http),
            tls_pin,
            transport: Mutex::new(transport),
            clock: Mutex::new(ClockEstimator::new()),
        })
    }

    /// The device id.
    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    /// The server's base URL.
    pub fn server(&self) -> &Url {
        &self.server
    }

    /// The measured offset of the server's clock from the local one, once a response came.
    pub fn clock_offset(&self) -> Option<ClockOffset> {
        lock(&self.clock).offset()
    }

    /// Drops every pooled connection (after a network change, or a connection that hung).
    pub fn reset_connections(&self) -> Result<(), PushError> {
        let transport = lock(&self.transport).clone();
        let fresh = build_http(self.tls_pin, &transport)?;
        *lock(&self.http) = fresh;
        Ok(())
    }

    /// Changes how connections are made (e.g. the local address after moving to another
    /// network) and drops the pooled ones.
    pub fn set_transport(&self, transport: TransportOptions) -> Result<(), PushError> {
        *lock(&self.transport) = transport;
        self.reset_connections()
    }

    fn request_timeout(&self) -> Duration {
        lock(&self.transport).request_timeout
    }

    /// Checks a received challenge's signature with the key pinned at activation and that it
    /// has not expired on the server's clock.
    pub fn verify(&self, signed: &SignedChallenge) -> Result<Challenge, ChallengeError> {
        let offset = self.clock_offset().map_or(0, |o| o.offset_ms);
        let server_now = u64::try_from((unix_millis() + offset) / 1000).unwrap_or(0);
        signed.verify(&self.server_key, server_now).cloned()
    }

    /// One long-poll: the pending challenges after `since`, waiting up to `wait` for one. The
    /// request is abandoned after `wait + slack` (a connection that died silently).
    pub async fn poll(
        &self,
        since: u64,
        wait: Duration,
        slack: Duration,
    ) -> Result<ChallengeBatch, PushError> {
        let path = format!("/v1/devices/{}/challenges", self.device_id);
        let query = format!("since={since}&wait={}", wait.as_secs());
        let bytes = self
            .call(Method::GET, &path, Some(&query), Vec::new(), wait + slack)
            .await?;
        parse_batch(&bytes)
    }

    /// The local address the OS would send from to reach the server now (`None` without a
    /// route). A change means the device moved to another network.
    pub async fn route_source(&self) -> Option<IpAddr> {
        let port = self.server.port_or_known_default()?;
        let remote = match self.server.host()? {
            url::Host::Ipv4(ip) => SocketAddr::new(IpAddr::V4(ip), port),
            url::Host::Ipv6(ip) => SocketAddr::new(IpAddr::V6(ip), port),
            url::Host::Domain(name) => tokio::net::lookup_host((name, port)).await.ok()?.next()?,
        };
        let local = lock(&self.transport).local_address;
        let bind = match (local, remote) {
            (Some(ip), _) => SocketAddr::new(ip, 0),
            (None, SocketAddr::V4(_)) => SocketAddr::from(([0, 0, 0, 0], 0)),
            (None, SocketAddr::V6(_)) => SocketAddr::from(([0u16; 8], 0)),
        };
        // Connecting a UDP socket sends nothing: it only asks the kernel for the route.
        let socket = std::net::UdpSocket::bind(bind).ok()?;
        socket.connect(remote).ok()?;
        socket.local_addr().ok().map(|a| a.ip())
    }

    /// The challenges pending now (no waiting), verified; any that fail verification or have
    /// expired are left out.
    pub async fn pending(&self) -> Result<Vec<Challenge>, PushError> {
        let batch = self.poll(0, Duration::ZERO, self.request_timeout()).await?;
        Ok(batch
            .challenges
            .iter()
            .filter_map(|s| self.verify(s).ok())
            .collect())
    }

    /// Answers a challenge. Transient failures are retried a few times; a retry that finds
    /// the challenge answered reports [`AnswerOutcome::RecordedEarlier`].
    pub async fn answer(
        &self,
        challenge_id: &str,
        decision: Decision,
        number: Option<u8>,
    ) -> Result<AnswerOutcome, PushError> {
        if !countersign_protocol::request::is_id(challenge_id) {
            return Err(PushError::UnknownChallenge {
                id: challenge_id.to_owned(),
            });
        }
        let path = format!("/v1/challenges/{challenge_id}/answer");
        let body = serde_json::to_vec(&AnswerRequest { decision, number }).map_err(|e| {
            PushError::BadResponse {
                detail: e.to_string(),
            }
        })?;
        let mut lost_attempt = false;
        let mut delay = Duration::from_millis(100);
        for attempt in 0..5 {
            match self
                .call(
                    Method::POST,
                    &path,
                    None,
                    body.clone(),
                    self.request_timeout(),
                )
                .await
            {
                Ok(bytes) => {
                    let reply: AnswerResponse =
                        serde_json::from_slice(&bytes).map_err(|e| PushError::BadResponse {
                            detail: format!("answer: {e}"),
                        })?;
                    return Ok(AnswerOutcome::Recorded {
                        status: reply.status,
                    });
                }
                Err(PushError::AlreadyAnswered) if lost_attempt => {
                    return Ok(AnswerOutcome::RecordedEarlier)
                }
                Err(e) if e.is_transient() && attempt < 4 => {
                    lost_attempt |= matches!(e, PushError::Network { .. });
                    if matches!(e, PushError::Network { .. }) {
                        self.reset_connections()?;
                    }
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(e) => return Err(e),
            }
        }
        Err(PushError::Network {
            server: self.server.to_string(),
            detail: "the answer could not be delivered".into(),
        })
    }

    /// Tells the server to forget this device (`DELETE /v1/devices/{id}`).
    pub async fn deactivate(&self) -> Result<(), PushError> {
        let path = format!("/v1/devices/{}", self.device_id);
        self.call(
            Method::DELETE,
            &path,
            None,
            Vec::new(),
            self.request_timeout(),
        )
        .await
        .map(|_| ())
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        query: Option<&str>,
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<Vec<u8>, PushError> {
        let http = lock(&self.http).clone();
        let req = Request {
            method,
            path,
            query,
            body,
            timeout,
        };
        send(
            &http,
            &self.server,
            &self.clock,
            &req,
            &self.key,
            Some(&self.device_id),
        )
        .await
    }
}

/// Parses the body of a long-poll response (outside data: the fuzz target
/// `push_challenge_batch` feeds it arbitrary bytes).
pub fn parse_batch(body: &[u8]) -> Result<ChallengeBatch, PushError> {
    serde_json::from_slice(body).map_err(|e| PushError::BadResponse {
        detail: format!("challenge batch: {e}"),
    })
}

/// Activates a new device key with a one-time code (`POST /v1/activate`).
pub(crate) async fn activate(
    server: &Url,
    tls_pin: Option<Fingerprint>,
    transport: &TransportOptions,
    key: &SigningKey,
    request: &ActivateRequest,
) -> Result<ActivateResponse, PushError> {
    let http = build_http(tls_pin, transport)?;
    let clock = Mutex::new(ClockEstimator::new());
    let body = serde_json::to_vec(request).map_err(|e| PushError::BadResponse {
        detail: e.to_string(),
    })?;
    let req = Request {
        method: Method::POST,
        path: "/v1/activate",
        query: None,
        body,
        timeout: transport.request_timeout,
    };
    let bytes = send(&http, server, &clock, &req, key, None).await?;
    serde_json::from_slice(&bytes).map_err(|e| PushError::BadResponse {
        detail: format!("activation: {e}"),
    })
}

struct Request<'a> {
    method: Method,
    path: &'a str,
    query: Option<&'a str>,
    body: Vec<u8>,
    timeout: Duration,
}

/// Signs and sends one request; on `stale_timestamp` (a skewed local clock) signs again with
/// the offset the refusal's `Date` header revealed.
async fn send(
    http: &reqwest::Client,
    server: &Url,
    clock: &Mutex<ClockEstimator>,
    req: &Request<'_>,
    key: &SigningKey,
    device: Option<&str>,
) -> Result<Vec<u8>, PushError> {
    let mut url = server.clone();
    let prefix = server.path().trim_end_matches('/');
    url.set_path(&format!("{prefix}{}", req.path));
    url.set_query(req.query);
    let target = &url[url::Position::BeforePath..];
    let network = |e: reqwest::Error| network_error(server, &e);
    let mut retried_clock = false;
    loop {
        let offset = lock(clock).offset().map_or(0, |o| o.offset_ms);
        let now = u64::try_from((unix_millis() + offset) / 1000).unwrap_or(0);
        let signed = SignedRequest::sign(key, device, req.method.as_str(), target, &req.body, now)
            .map_err(|e| PushError::BadResponse {
                detail: e.to_string(),
            })?;
        let mut builder = http
            .request(req.method.clone(), url.clone())
            .timeout(req.timeout);
        for (name, value) in signed.headers() {
            builder = builder.header(name, value);
        }
        if !req.body.is_empty() {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(req.body.clone());
        }
        let sent = unix_millis();
        let response = builder.send().await.map_err(network)?;
        let received = unix_millis();
        if let Some(date) = response
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        {
            let date_ms = i64::try_from(date.as_millis()).unwrap_or(i64::MAX);
            lock(clock).observe(sent, received, date_ms);
        }
        let status = response.status();
        let bytes = response.bytes().await.map_err(network)?.to_vec();
        if status.is_success() {
            return Ok(bytes);
        }
        let err = server_error(server, status.as_u16(), &bytes);
        if let PushError::Server { code, .. } = &err {
            if code == "stale_timestamp" && !retried_clock {
                retried_clock = true;
                continue;
            }
        }
        return Err(err);
    }
}

fn server_error(server: &Url, status: u16, body: &[u8]) -> PushError {
    let Ok(ErrorBody { error }) = serde_json::from_slice::<ErrorBody>(body) else {
        return PushError::Server {
            status,
            code: "http_error".into(),
            message: format!("HTTP {status} without an error body"),
        };
    };
    match error.code.as_str() {
        "device_not_activated" => PushError::NotActivated {
            server: server.to_string(),
        },
        "already_answered" => PushError::AlreadyAnswered,
        "challenge_expired" => PushError::ChallengeExpired,
        "unknown_challenge" => PushError::UnknownChallenge { id: String::new() },
        _ => PushError::Server {
            status,
            code: error.code,
            message: error.message,
        },
    }
}

fn network_error(server: &Url, err: &reqwest::Error) -> PushError {
    let mut detail = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        let text = s.to_string();
        if text.contains(PIN_MISMATCH) {
            return PushError::TlsPinMismatch {
                server: server.to_string(),
            };
        }
        detail.push_str(": ");
        detail.push_str(&text);
        source = s.source();
    }
    PushError::Network {
        server: server.to_string(),
        detail,
    }
}

fn build_http(
    tls_pin: Option<Fingerprint>,
    transport: &TransportOptions,
) -> Result<reqwest::Client, PushError> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(transport.connect_timeout)
        .pool_idle_timeout(Duration::from_secs(50))
        .tcp_keepalive(Duration::from_secs(20))
        .http1_only()
        .local_address(transport.local_address)
        .user_agent(concat!("countersign/", env!("CARGO_PKG_VERSION")));
    if let Some(pin) = tls_pin {
        builder = builder.use_preconfigured_tls(pinned_config(pin));
    }
    builder.build().map_err(|e| PushError::Network {
        server: String::new(),
        detail: format!("HTTP client: {e}"),
    })
}

/// Locks a mutex whose data stays valid even if a holder panicked (plain values only).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
