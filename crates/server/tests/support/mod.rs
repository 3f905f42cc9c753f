//! Test support: the real `countersign-server` binary on an ephemeral loopback port, a
//! relying-party client, and a device client built on `countersign-protocol` only.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use countersign_protocol::wire::{
    ActivateRequest, ActivateResponse, AnswerRequest, AnswerResponse, ChallengeBatch, Decision,
};
use countersign_protocol::{
    ActivationUri, Fingerprint, Nonce, PublicKey, SignedRequest, SigningKey,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The API key every test server accepts.
pub const API_KEY: &str = "test-api-key-0123456789";

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_countersign-server")
}

/// The environment variable naming a PostgreSQL cluster for the tests that need one
/// (`scripts/pg.sh` starts a throwaway one; `make test` always sets it).
pub const POSTGRES_ENV: &str = "COUNTERSIGN_TEST_POSTGRES_URL";

/// The database a test server runs on.
#[derive(Clone, Debug)]
pub enum Db {
    /// SQLite in the server's data folder (the default).
    Sqlite,
    /// A PostgreSQL database of its own (its URL).
    Postgres(String),
}

impl Db {
    /// A fresh, empty PostgreSQL database on the cluster [`POSTGRES_ENV`] names, or `None`
    /// after printing why the test is skipped when the variable is unset.
    pub async fn postgres(test: &str) -> Option<Db> {
        let Some(url) = std::env::var(POSTGRES_ENV).ok().filter(|u| !u.is_empty()) else {
            eprintln!(
                "SKIPPED {test}: {POSTGRES_ENV} is not set (run it with scripts/pg.sh run cargo test ..., as `make test` does)"
            );
            return None;
        };
        Some(Db::Postgres(fresh_database(&url).await))
    }

    /// The config-file line that selects this database.
    pub fn config(&self) -> String {
        match self {
            Db::Sqlite => String::new(),
            Db::Postgres(url) => format!("database_url = \"{url}\"\n"),
        }
    }

    /// The PostgreSQL URL, if it is one.
    pub fn postgres_url(&self) -> Option<&str> {
        match self {
            Db::Sqlite => None,
            Db::Postgres(url) => Some(url),
        }
    }
}

/// Creates a database with a unique name on the cluster `url` points at; returns its URL.
pub async fn fresh_database(url: &str) -> String {
    use sqlx::Connection;
    let name = format!("cs_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("{POSTGRES_ENV} names a cluster that refuses us: {e}"));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create a test database");
    admin.close().await.ok();
    let mut fresh = url::Url::parse(url).expect("a valid PostgreSQL URL");
    fresh.set_path(&name);
    fresh.to_string()
}

/// Declares each named `async fn NAME(db: Db)` as two tests, `NAME::sqlite` and
/// `NAME::postgres` (skipped, saying why, when no PostgreSQL cluster is configured).
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name($crate::support::Db::Sqlite).await;
                }

                #[tokio::test]
                async fn postgres() {
                    if let Some(db) = $crate::support::Db::postgres(concat!(stringify!($name), "::postgres")).await {
                        super::$name(db).await;
                    }
                }
            }
        )*
    };
}

/// A running server process (killed on drop).
pub struct Server {
    pub child: Child,
    pub url: String,
    pub tls_fingerprint: Option<Fingerprint>,
    pub dir: PathBuf,
}

impl Server {
    /// Starts a server on a fresh data folder with `extra` TOML settings.
    pub fn start(dir: &Path, extra: &str) -> Server {
        Self::start_on(&Db::Sqlite, dir, extra)
    }

    /// Starts a server on a fresh data folder and database `db` with `extra` TOML settings.
    pub fn start_on(db: &Db, dir: &Path, extra: &str) -> Server {
        Self::start_with_env(db, dir, extra, &[])
    }

    /// Like [`Server::start_on`], with extra environment variables for the server process.
    pub fn start_with_env(db: &Db, dir: &Path, extra: &str, env: &[(&str, &str)]) -> Server {
        std::fs::create_dir_all(dir).unwrap();
        let config = format!("api_keys = [\"{API_KEY}\"]\n{}{extra}\n", db.config());
        std::fs::write(dir.join("countersign-server.toml"), config).unwrap();
        Self::spawn(dir, env)
    }

    /// Starts a server on a fresh temporary data folder (deleted when the returned guard drops)
    /// and database `db`, with `extra` TOML settings.
    pub fn temp(db: &Db, extra: &str) -> (tempfile::TempDir, Server) {
        let dir = tempfile::tempdir().unwrap();
        let server = Self::start_on(db, dir.path(), extra);
        (dir, server)
    }

    /// The relying party creates `user` and an activation through this server; a device
    /// activates through `device_base` (this server's URL, or another node's).
    pub async fn user_with_device(&self, user: &str, device_base: &str) -> Device {
        let rp = self.rp();
        assert_eq!(rp.create_user(user).await.status, StatusCode::CREATED);
        let uri = rp.activation(user).await;
        Device::activate(&uri, device_base)
            .await
            .expect("activation succeeds")
    }

    /// Starts a server on an existing data folder.
    pub fn restart(dir: &Path) -> Server {
        Self::spawn(dir, &[])
    }

    fn spawn(dir: &Path, env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(binary())
            .envs(env.iter().copied())
            .args([
                "--data",
                dir.to_str().unwrap(),
                "serve",
                "--listen",
                "127.0.0.1:0",
            ])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start countersign-server");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut url = None;
        let mut tls_fingerprint = None;
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("countersign-server listening on ") {
                url = Some(rest.trim().to_owned());
            }
            if let Some((_, fp)) = line.split_once("SHA-256 fingerprint: ") {
                tls_fingerprint = Some(fp.trim().parse().unwrap());
            }
            if line.starts_with("challenge-signing key fingerprint") {
                break;
            }
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            url: url.expect("server printed its URL"),
            tls_fingerprint,
            dir: dir.to_owned(),
        }
    }

    /// Kills the process at once (no graceful shutdown), like a crash.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Runs an admin command on this server's data folder; returns (success, stdout, stderr).
    pub fn admin(&self, args: &[&str]) -> (bool, String, String) {
        admin(&self.dir, args)
    }

    pub fn rp(&self) -> Rp {
        Rp {
            http: http(),
            base: self.url.clone(),
            key: API_KEY.to_owned(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn admin(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(binary())
        .arg("--data")
        .arg(dir)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn http() -> reqwest::Client {
    // The test server's certificate is self-signed; `tls_fingerprint_matches_the_served_certificate`
    // checks it is the one printed.
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .tls_info(true)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// A response's status and JSON body.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

impl Reply {
    /// The `error.code` of an error body.
    pub fn code(&self) -> &str {
        self.body["error"]["code"]
            .as_str()
            .unwrap_or("<no error code>")
    }

    async fn of(r: reqwest::Response) -> Reply {
        let status = r.status();
        let text = r.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply { status, body }
    }
}

/// The relying party.
pub struct Rp {
    pub http: reqwest::Client,
    pub base: String,
    pub key: String,
}

impl Rp {
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        Reply::of(req.send().await.unwrap()).await
    }

    pub async fn create_user(&self, id: &str) -> Reply {
        self.call(Method::POST, "/v1/users", Some(json!({"id": id, "first_name": "Ada", "last_name": "Lovelace", "email": format!("{id}@example.com"), "phone": "+44 20 0000 0000"}))).await
    }

    pub async fn activation(&self, user: &str) -> String {
        let r = self
            .call(Method::POST, &format!("/v1/users/{user}/activations"), None)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
        r.body["uri"].as_str().unwrap().to_owned()
    }

    pub async fn push(&self, user: &str) -> Reply {
        self.call(
            Method::POST,
            &format!("/v1/users/{user}/push"),
            Some(json!({"app": "VPN", "client_ip": "192.0.2.7", "location": "Lisbon"})),
        )
        .await
    }

    pub async fn result(&self, id: &str, wait: u64) -> Reply {
        self.call(Method::GET, &format!("/v1/push/{id}?wait={wait}"), None)
            .await
    }

    pub async fn verify(&self, user: &str, code: &str) -> Reply {
        self.call(
            Method::POST,
            &format!("/v1/users/{user}/verify"),
            Some(json!({"code": code, "client_ip": "198.51.100.1"})),
        )
        .await
    }

    pub async fn log(&self, user: &str) -> Vec<Value> {
        let r = self
            .call(Method::GET, &format!("/v1/log?user={user}"), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{r:?}");
        r.body.as_array().unwrap().clone()
    }
}

/// A device: a P-256 key and the state the app keeps after activation.
pub struct Device {
    pub http: reqwest::Client,
    pub base: String,
    pub key: SigningKey,
    pub id: String,
    pub user: String,
    pub server_key: PublicKey,
    pub cursor: u64,
}

/// Sends a signed device request with full control over what is signed (for forgeries).
#[allow(clippy::too_many_arguments)]
pub async fn signed_call(
    http: &reqwest::Client,
    base: &str,
    key: &SigningKey,
    device: Option<&str>,
    method: Method,
    target: &str,
    body: &[u8],
    timestamp: u64,
) -> (Reply, SignedRequest) {
    let signed =
        SignedRequest::sign(key, device, method.as_str(), target, body, timestamp).unwrap();
    (
        send_signed(http, base, &signed, method, target, body).await,
        signed,
    )
}

/// Sends a request with the given signing headers.
pub async fn send_signed(
    http: &reqwest::Client,
    base: &str,
    signed: &SignedRequest,
    method: Method,
    target: &str,
    body: &[u8],
) -> Reply {
    let mut req = http.request(method, format!("{base}{target}"));
    for (name, value) in signed.headers() {
        req = req.header(name, value);
    }
    if !body.is_empty() {
        req = req
            .header("content-type", "application/json")
            .body(body.to_vec());
    }
    Reply::of(req.send().await.unwrap()).await
}

impl Device {
    /// Activates with the URI from a QR code; checks the server key against the URI's `fp`.
    pub async fn activate(uri: &str, base: &str) -> Result<Device, Reply> {
        let parsed = ActivationUri::parse(uri).expect("valid activation URI");
        let key = SigningKey::generate().unwrap();
        let http = http();
        let body = serde_json::to_vec(&ActivateRequest {
            code: parsed.code.expose().to_owned(),
            public_key: key.public_key(),
            device_name: "test phone".into(),
        })
        .unwrap();
        let (reply, _) = signed_call(
            &http,
            base,
            &key,
            None,
            Method::POST,
            "/v1/activate",
            &body,
            now(),
        )
        .await;
        if reply.status != StatusCode::CREATED {
            return Err(reply);
        }
        let resp: ActivateResponse = serde_json::from_value(reply.body).unwrap();
        assert_eq!(
            resp.server_public_key.fingerprint(),
            parsed.fingerprint,
            "server key matches the QR code's fp"
        );
        Ok(Device {
            http,
            base: base.to_owned(),
            key,
            id: resp.device_id,
            user: resp.user,
            server_key: resp.server_public_key,
            cursor: resp.cursor,
        })
    }

    pub async fn call(&self, method: Method, target: &str, body: &[u8]) -> Reply {
        signed_call(
            &self.http,
            &self.base,
            &self.key,
            Some(&self.id),
            method,
            target,
            body,
            now(),
        )
        .await
        .0
    }

    /// One long-poll; verifies every challenge's server signature and moves the cursor.
    pub async fn poll(&mut self, wait: u64) -> Result<ChallengeBatch, Reply> {
        let target = format!(
            "/v1/devices/{}/challenges?since={}&wait={wait}",
            self.id, self.cursor
        );
        let reply = self.call(Method::GET, &target, b"").await;
        if reply.status != StatusCode::OK {
            return Err(reply);
        }
        let batch: ChallengeBatch = serde_json::from_value(reply.body).unwrap();
        for c in &batch.challenges {
            c.verify(&self.server_key, now())
                .expect("challenge signed by the server");
        }
        self.cursor = batch.cursor;
        Ok(batch)
    }

    /// One long-poll that reports a dead server or an error reply as `Err` instead of
    /// panicking (for fail-over between nodes).
    pub async fn try_poll(&mut self, wait: u64) -> Result<ChallengeBatch, String> {
        let target = format!(
            "/v1/devices/{}/challenges?since={}&wait={wait}",
            self.id, self.cursor
        );
        let signed = SignedRequest::sign(&self.key, Some(&self.id), "GET", &target, b"", now())
            .map_err(|e| e.to_string())?;
        let mut req = self.http.get(format!("{}{target}", self.base));
        for (name, value) in signed.headers() {
            req = req.header(name, value);
        }
        let response = req.send().await.map_err(|e| format!("transport: {e}"))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| format!("transport: {e}"))?;
        if status != StatusCode::OK {
            return Err(format!("{status}: {text}"));
        }
        let batch: ChallengeBatch = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        for c in &batch.challenges {
            c.verify(&self.server_key, now())
                .map_err(|e| format!("challenge signature: {e}"))?;
        }
        self.cursor = batch.cursor;
        Ok(batch)
    }

    pub async fn answer(&self, challenge: &str, decision: Decision, number: Option<u8>) -> Reply {
        let body = serde_json::to_vec(&AnswerRequest { decision, number }).unwrap();
        self.call(
            Method::POST,
            &format!("/v1/challenges/{challenge}/answer"),
            &body,
        )
        .await
    }

    pub async fn answered(
        &self,
        challenge: &str,
        decision: Decision,
        number: Option<u8>,
    ) -> AnswerResponse {
        let r = self.answer(challenge, decision, number).await;
        assert_eq!(r.status, StatusCode::OK, "{r:?}");
        serde_json::from_value(r.body).unwrap()
    }

    pub async fn deactivate(&self) -> Reply {
        self.call(Method::DELETE, &format!("/v1/devices/{}", self.id), b"")
            .await
    }

    pub fn with_base(mut self, base: &str) -> Device {
        self.base = base.to_owned();
        self
    }
}

/// A fresh nonce (for building requests by hand).
pub fn nonce() -> Nonce {
    Nonce::generate().unwrap()
}

/// A value from the server's `/metrics` (0 when absent).
pub async fn metric(server_url: &str, name: &str) -> f64 {
    let text = http()
        .get(format!("{server_url}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or(0.0)
}

/// Opens a 40 s long-poll for `device` on `device.base`; once `watched` (a server URL) counts
/// it among its open long-polls, runs `remove`. Returns the poll's reply and how long it took
/// to end after `remove` finished.
pub async fn long_poll_ended_by<F>(device: &Device, watched: &str, remove: F) -> (Reply, Duration)
where
    F: std::future::Future<Output = ()>,
{
    let target = format!(
        "/v1/devices/{}/challenges?since={}&wait=40",
        device.id, device.cursor
    );
    let poll = device.call(Method::GET, &target, b"");
    ended_by(poll, watched, "countersign_device_long_polls", remove).await
}

/// Waits (through `rp`, up to 40 s) for the result of challenge `id`, and runs `remove` once
/// that wait is open on the node at `watched`; returns the answer and how long after the
/// removal it came.
pub async fn result_wait_ended_by<F>(
    rp: &Rp,
    watched: &str,
    id: &str,
    remove: F,
) -> (Reply, Duration)
where
    F: std::future::Future<Output = ()>,
{
    ended_by(
        rp.result(id, 40),
        watched,
        "countersign_result_long_polls",
        remove,
    )
    .await
}

/// Runs the held request `waiting` and, once the gauge `gauge` of `watched` (a server URL)
/// counts it, runs `remove`; returns the request's reply and how long after `remove` finished
/// it came.
async fn ended_by<W, F>(waiting: W, watched: &str, gauge: &str, remove: F) -> (Reply, Duration)
where
    W: std::future::Future<Output = Reply>,
    F: std::future::Future<Output = ()>,
{
    let removal = async {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while metric(watched, gauge).await < 1.0 {
            assert!(
                std::time::Instant::now() < deadline,
                "the held request never showed in {gauge}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        remove.await;
        std::time::Instant::now()
    };
    let (reply, removed_at) = tokio::join!(waiting, removal);
    (reply, removed_at.elapsed())
}

/// Checks what a relying party waiting on a challenge got when its user was reset (`expired`,
/// `user_reset`) or deleted (`404 unknown_challenge`).
pub fn assert_removal_seen(result: &Reply, deleted: bool) {
    if deleted {
        assert_eq!(
            (result.status, result.code()),
            (StatusCode::NOT_FOUND, "unknown_challenge"),
            "{result:?}"
        );
    } else {
        assert_eq!(result.status, StatusCode::OK, "{result:?}");
        assert_eq!(
            (&result.body["status"], &result.body["reason"]),
            (&json!("expired"), &json!("user_reset"))
        );
    }
}
