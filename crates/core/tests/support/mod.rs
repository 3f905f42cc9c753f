//! Test support for the push tests: the real `countersign-server` binary on loopback, a
//! relying party that talks to its API, vaults, and a TCP proxy that cuts connections.
//!
//! The server binary is `$COUNTERSIGN_SERVER_BIN`, else `countersign-server` next to the test
//! binary's folder (build it first: `cargo build -p countersign-server` with the same target
//! folder).
#![allow(dead_code)]

pub mod proxy;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use countersign_core::push::tls::pinned_config;
use countersign_core::push::{ListenerConfig, PushEvent, TransportOptions};
use countersign_core::vault::{CreateOptions, KdfParams, Vault};
use countersign_core::Password;
use countersign_protocol::Fingerprint;
use serde_json::{json, Value};
use tokio::sync::mpsc;

/// The API key the test servers accept.
pub const API_KEY: &str = "test-relying-party-key-0123456789";

/// Settings for a test server.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Seconds a challenge can be answered.
    pub challenge_ttl: u64,
    /// Address to listen on.
    pub listen: SocketAddr,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            challenge_ttl: 60,
            listen: "127.0.0.1:0".parse().unwrap(),
        }
    }
}

/// A running `countersign-server` with its own data folder.
pub struct Server {
    pub dir: tempfile::TempDir,
    child: Option<Child>,
    pub addr: SocketAddr,
    pub url: String,
    pub tls: Fingerprint,
    rp: reqwest::Client,
    netns: Option<String>,
}

pub fn server_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("COUNTERSIGN_SERVER_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().unwrap().parent().unwrap();
    let bin = debug.join("countersign-server");
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build -p countersign-server` (same CARGO_TARGET_DIR) or set COUNTERSIGN_SERVER_BIN",
        bin.display()
    );
    bin
}

impl Server {
    /// Starts a server on an ephemeral loopback port.
    pub fn start(options: ServerOptions) -> Server {
        Server::start_in(options, None)
    }

    /// Starts a server inside network namespace `netns` (`ip netns exec`), or on this host.
    pub fn start_in(options: ServerOptions, netns: Option<&str>) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let config = format!(
            "server_name = \"Test MFA\"\napi_keys = [\"{API_KEY}\"]\nchallenge_ttl_seconds = {}\npushes_per_minute = 1000000\n",
            options.challenge_ttl
        );
        std::fs::write(dir.path().join("countersign-server.toml"), config).unwrap();
        let (child, addr, tls) = spawn(&dir.path().to_path_buf(), options.listen, netns);
        // No pooled connections: a test that moves links must not reuse one over the old link.
        let rp = reqwest::Client::builder()
            .use_preconfigured_tls(pinned_config(tls))
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        Server {
            url: format!("https://{addr}"),
            dir,
            child: Some(child),
            addr,
            tls,
            rp,
            netns: netns.map(str::to_owned),
        }
    }

    /// Kills the server (SIGKILL: no graceful shutdown).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the server again on the same address and data folder.
    pub fn start_again(&mut self) {
        self.kill();
        let (child, addr, _) = spawn(
            &self.dir.path().to_path_buf(),
            self.addr,
            self.netns.as_deref(),
        );
        assert_eq!(addr, self.addr);
        self.child = Some(child);
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .rp
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(API_KEY);
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.unwrap();
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, value)
    }

    /// Adds a user.
    pub async fn add_user(&self, id: &str) {
        let (status, body) = self
            .call(reqwest::Method::POST, "/v1/users", Some(json!({"id": id})))
            .await;
        assert_eq!(status, 201, "{body}");
    }

    /// A new activation URI for `user`.
    pub async fn activation_uri(&self, user: &str) -> String {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                &format!("/v1/users/{user}/activations"),
                Some(json!({})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["uri"].as_str().unwrap().to_owned()
    }

    /// Sends a push with number matching; returns `(id, number)`.
    pub async fn push(&self, user: &str, app: &str) -> (String, Option<u8>) {
        let (status, body) = self.try_push(user, app).await;
        assert_eq!(status, 201, "{body}");
        (
            body["id"].as_str().unwrap().to_owned(),
            body["number"].as_u64().map(|n| n as u8),
        )
    }

    /// Sends a push; returns the status and body as they come.
    pub async fn try_push(&self, user: &str, app: &str) -> (u16, Value) {
        let body = json!({"app": app, "client_ip": "198.51.100.7", "location": "Lisbon, PT"});
        self.call(
            reqwest::Method::POST,
            &format!("/v1/users/{user}/push"),
            Some(body),
        )
        .await
    }

    /// The relying party's view of a challenge.
    pub async fn result(&self, id: &str) -> Value {
        let (status, body) = self
            .call(reqwest::Method::GET, &format!("/v1/push/{id}"), None)
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Resets the user (deletes their devices).
    pub async fn reset_user(&self, user: &str) {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                &format!("/v1/users/{user}/reset"),
                Some(json!({})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    /// The authentication log entries of `user` (newest first).
    pub async fn log(&self, user: &str) -> Vec<Value> {
        let (status, body) = self
            .call(
                reqwest::Method::GET,
                &format!("/v1/log?user={user}&limit=10000"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body.as_array().cloned().unwrap_or_default()
    }

    /// Makes the relying party reach the server at `url` (e.g. inside a namespace).
    pub fn set_url(&mut self, url: &str) {
        self.url = url.trim_end_matches('/').to_owned();
    }

    /// An activation URI for `user` that points the device at `server_url` instead.
    pub async fn activation_uri_via(&self, user: &str, server_url: &str) -> String {
        let mut uri =
            countersign_protocol::ActivationUri::parse(&self.activation_uri(user).await).unwrap();
        uri.server = server_url.parse().unwrap();
        uri.to_uri()
    }

    /// The user as the server shows it.
    pub async fn user(&self, user: &str) -> Value {
        self.call(reqwest::Method::GET, &format!("/v1/users/{user}"), None)
            .await
            .1
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn spawn(
    data: &PathBuf,
    listen: SocketAddr,
    netns: Option<&str>,
) -> (Child, SocketAddr, Fingerprint) {
    let mut command = match netns {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns]).arg(server_binary());
            c
        }
        None => Command::new(server_binary()),
    };
    let mut child = command
        .arg("--data")
        .arg(data)
        .arg("serve")
        .arg("--listen")
        .arg(listen.to_string())
        .env_remove("COUNTERSIGN_DATA")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(if std::env::var_os("PUSH_TEST_SERVER_LOG").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .spawn()
        .expect("start countersign-server");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut addr = None;
    let mut tls = None;
    while let Some(Ok(line)) = lines.next() {
        if let Some(rest) = line.strip_prefix("countersign-server listening on https://") {
            addr = Some(rest.trim().parse::<SocketAddr>().unwrap());
        }
        if let Some((_, fp)) = line.split_once("SHA-256 fingerprint: ") {
            tls = Some(fp.trim().parse::<Fingerprint>().unwrap());
        }
        if line.starts_with("challenge-signing key fingerprint") {
            break;
        }
    }
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (
        child,
        addr.expect("server printed its address"),
        tls.expect("server printed its TLS fingerprint"),
    )
}

/// A password-only vault with cheap KDF parameters (the keystore is not the point here).
pub fn vault(dir: &tempfile::TempDir) -> Vault {
    let options = CreateOptions {
        keystore: false,
        password: Some(Password::new("pw".to_owned())),
        kdf: KdfParams::INSECURE_FAST_FOR_TESTS,
    };
    Vault::create(dir.path().join("vault.csv1"), options).unwrap()
}

/// A listener configuration for tests: short waits and back-off.
pub fn fast_listener() -> ListenerConfig {
    ListenerConfig {
        wait: Duration::from_secs(5),
        read_slack: Duration::from_secs(2),
        backoff_base: Duration::from_millis(20),
        backoff_cap: Duration::from_millis(300),
        transport: TransportOptions {
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(3),
            ..Default::default()
        },
        route_check: Some(Duration::from_millis(100)),
    }
}

/// Waits up to `limit` for an event matching `pick`; other events are skipped.
pub async fn next_matching<T>(
    rx: &mut mpsc::UnboundedReceiver<PushEvent>,
    limit: Duration,
    mut pick: impl FnMut(&PushEvent) -> Option<T>,
) -> Option<T> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let event = tokio::time::timeout_at(deadline, rx.recv()).await.ok()??;
        if std::env::var_os("PUSH_TEST_EVENTS").is_some() {
            eprintln!("{:?} {event:?}", std::time::SystemTime::now());
        }
        if let Some(t) = pick(&event) {
            return Some(t);
        }
    }
}

/// Waits for the next challenge event.
pub async fn next_challenge(
    rx: &mut mpsc::UnboundedReceiver<PushEvent>,
    limit: Duration,
) -> Option<countersign_core::push::IncomingChallenge> {
    next_matching(rx, limit, |e| match e {
        PushEvent::Challenge(c) => Some(c.clone()),
        _ => None,
    })
    .await
}
