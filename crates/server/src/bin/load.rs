//! `countersign-load`: a load tool for `countersign-server`.
//!
//! It starts the real server binary on loopback ports with fresh data folders — one node on
//! SQLite, or `--nodes N` nodes sharing a fresh database on the PostgreSQL cluster `--postgres`
//! names — then:
//!
//! 1. activates `--devices` simulated devices (one user each) through the real APIs;
//! 2. opens one long-poll per device (device `i` on node `i % N`) and reports the servers'
//!    resident memory per idle connection (`VmRSS` from `/proc`, before and after), then holds
//!    them for `--idle-seconds` and reports the load that costs (the long-polls' safety-net
//!    rereads);
//! 3. creates challenges at `--rate` per second for `--seconds`, each through another node than
//!    the one its device polls when there are several, and reports the delivery latency
//!    (relying-party request sent → challenge received and its signature verified on the
//!    device), p50/p99, and the load during the phase;
//! 4. runs `--verifications` TOTP verifications (one user each) and reports the rate.
//!
//! "Load" is the servers' CPU time and, on PostgreSQL, the database's: transactions and rows
//! per second from `pg_stat_database` and the CPU time of its backends serving the benchmark
//! database.
//!
//! Targets (2-core machine): 10,000 idle long-polls at ≤ 16 KB each; p99 delivery ≤ 20 ms at
//! 200 challenges/s. Traffic goes to 127.0.0.1 only, and every loop is bounded.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use countersign_oath::{Algorithm, Digits, Otp, Period, Secret};
use countersign_protocol::wire::{ActivateRequest, ActivateResponse, ChallengeBatch};
use countersign_protocol::{ActivationUri, PublicKey, SignedRequest, SigningKey};
use serde_json::{json, Value};
use tokio::sync::Semaphore;

#[derive(Debug, Parser)]
#[command(
    name = "countersign-load",
    about = "Load tool for countersign-server (loopback only)"
)]
struct Args {
    /// The server binary (default: countersign-server next to this one).
    #[arg(long)]
    server: Option<PathBuf>,
    /// Simulated devices holding idle long-polls.
    #[arg(long, default_value_t = 10_000)]
    devices: usize,
    /// Challenges per second during the delivery phase.
    #[arg(long, default_value_t = 200)]
    rate: u32,
    /// Length of the delivery phase in seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// TOTP verifications to run (one user each).
    #[arg(long, default_value_t = 5_000)]
    verifications: usize,
    /// Concurrent requests in the setup and verification phases.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Serve plain HTTP instead of TLS (as behind a TLS-terminating proxy).
    #[arg(long)]
    no_tls: bool,
    /// A PostgreSQL cluster URL (e.g. from `scripts/pg.sh start`): the nodes share a fresh
    /// database on it. Without it, one node runs on SQLite.
    #[arg(long, value_name = "URL")]
    postgres: Option<String>,
    /// Server nodes (several need `--postgres`).
    #[arg(long, default_value_t = 1)]
    nodes: usize,
    /// Seconds to hold the idle long-polls while measuring the load they cause.
    #[arg(long, default_value_t = 20)]
    idle_seconds: u64,
    /// The servers' `long_poll_recheck_seconds` (default: the server's own).
    #[arg(long)]
    recheck_seconds: Option<u64>,
}

const KEY: &str = "load-test-api-key-0123456789";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

struct Dev {
    key: SigningKey,
    id: String,
    user: String,
    server_key: PublicKey,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let limit = rlimit::increase_nofile_limit(u64::MAX)?;
    if (limit as usize) < args.devices + 100 {
        return Err(format!("open file limit {limit} is too low for {} connections; raise the hard limit (ulimit -Hn)", args.devices).into());
    }
    if args.nodes == 0 || (args.nodes > 1 && args.postgres.is_none()) {
        return Err("several nodes need --postgres (SQLite is one node)".into());
    }
    let server_bin = match args.server.clone() {
        Some(p) => p,
        None => std::env::current_exe()?.with_file_name("countersign-server"),
    };
    let db = match &args.postgres {
        Some(cluster) => Some(DbStats::fresh(cluster).await?),
        None => None,
    };
    let mut nodes = Vec::with_capacity(args.nodes);
    for n in 0..args.nodes {
        let node = Node::start(&server_bin, &args, db.as_ref().map(|d| d.url.as_str()), n);
        match node {
            Ok(node) => nodes.push(node),
            Err(e) => {
                drop(nodes);
                return Err(e);
            }
        }
    }
    for node in &nodes {
        println!(
            "server pid {} at {} ({}, {})",
            node.pid,
            node.base,
            if args.no_tls { "plain HTTP" } else { "TLS" },
            if db.is_some() { "PostgreSQL" } else { "SQLite" }
        );
    }
    run(&args, &nodes, db).await
}

/// One server process on its own data folder (killed, folder removed, on drop).
struct Node {
    child: std::process::Child,
    pid: u32,
    base: String,
    data: PathBuf,
}

impl Node {
    fn start(
        bin: &std::path::Path,
        args: &Args,
        database_url: Option<&str>,
        n: usize,
    ) -> Result<Node, Box<dyn std::error::Error>> {
        let data =
            std::env::temp_dir().join(format!("countersign-load-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&data)?;
        let mut database = database_url
            .map(|u| format!("database_url = \"{u}\"\n"))
            .unwrap_or_default();
        if let Some(seconds) = args.recheck_seconds {
            database.push_str(&format!("long_poll_recheck_seconds = {seconds}\n"));
        }
        std::fs::write(
            data.join("countersign-server.toml"),
            format!(
                "api_keys = [\"{KEY}\"]\npushes_per_minute = 1000\nchallenge_ttl_seconds = 120\ntls = {}\n{database}",
                !args.no_tls
            ),
        )?;
        let mut child = Command::new(bin)
            .args([
                "--data",
                data.to_str().ok_or("temp path")?,
                "serve",
                "--listen",
                "127.0.0.1:0",
            ])
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .spawn()?;
        let pid = child.id();
        let mut lines = BufReader::new(child.stdout.take().ok_or("stdout")?).lines();
        let mut base = String::new();
        for line in lines.by_ref() {
            let line = line?;
            if let Some(url) = line.strip_prefix("countersign-server listening on ") {
                base = url.trim().to_owned();
            }
            if line.starts_with("challenge-signing key") {
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        let node = Node {
            child,
            pid,
            base,
            data,
        };
        if node.base.is_empty() {
            return Err("the server did not start (see its output above)".into());
        }
        Ok(node)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// CPU seconds (user + system) a process has used; 0 when it is gone.
fn cpu_seconds(pid: u32) -> f64 {
    // Fields 14 and 15 of /proc/PID/stat, after the parenthesised command name, in clock ticks
    // (USER_HZ, 100 on Linux).
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some((f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?) / 100.0)
        })
        .unwrap_or(0.0)
}

/// The benchmark database on PostgreSQL and a connection to read its statistics.
struct DbStats {
    url: String,
    name: String,
    admin: tokio::sync::Mutex<sqlx::PgConnection>,
}

/// Cumulative counters at one instant.
#[derive(Debug, Clone, Copy, Default)]
struct Snapshot {
    at: Option<Instant>,
    server_cpu: f64,
    db_cpu: f64,
    commits: i64,
    rows_read: i64,
    rows_written: i64,
}

impl DbStats {
    async fn fresh(cluster: &str) -> Result<DbStats, Box<dyn std::error::Error>> {
        use sqlx::Connection;
        let name = format!("cs_load_{}", std::process::id());
        let mut admin = sqlx::PgConnection::connect(cluster).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&mut admin)
            .await?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await?;
        let mut url = url::Url::parse(cluster)?;
        url.set_path(&name);
        Ok(DbStats {
            url: url.to_string(),
            name,
            admin: tokio::sync::Mutex::new(admin),
        })
    }

    async fn snapshot(&self, s: &mut Snapshot) -> Result<(), sqlx::Error> {
        use sqlx::Row;
        let mut admin = self.admin.lock().await;
        // Statistics reach the shared counters at most once a second per backend.
        let row = sqlx::query(
            "SELECT xact_commit, tup_returned + tup_fetched AS rows_read,
                    tup_inserted + tup_updated + tup_deleted AS rows_written
             FROM pg_stat_database WHERE datname = $1",
        )
        .bind(&self.name)
        .fetch_one(&mut *admin)
        .await?;
        s.commits = row.try_get("xact_commit")?;
        s.rows_read = row.try_get("rows_read")?;
        s.rows_written = row.try_get("rows_written")?;
        let pids: Vec<i32> =
            sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE datname = $1")
                .bind(&self.name)
                .fetch_all(&mut *admin)
                .await?;
        s.db_cpu = pids.iter().map(|&p| cpu_seconds(p as u32)).sum();
        Ok(())
    }
}

async fn snapshot(nodes: &[Node], db: Option<&DbStats>) -> Snapshot {
    let mut s = Snapshot {
        at: Some(Instant::now()),
        server_cpu: nodes.iter().map(|n| cpu_seconds(n.pid)).sum(),
        ..Snapshot::default()
    };
    if let Some(db) = db {
        if let Err(e) = db.snapshot(&mut s).await {
            eprintln!("reading pg_stat_database: {e}");
        }
    }
    s
}

/// Prints the load between two snapshots.
fn report_load(what: &str, a: &Snapshot, b: &Snapshot, with_db: bool) {
    let secs = match (a.at, b.at) {
        (Some(a), Some(b)) => (b - a).as_secs_f64().max(0.001),
        _ => return,
    };
    let mut line = format!(
        "load {what}: servers {:.0} % CPU",
        (b.server_cpu - a.server_cpu) / secs * 100.0
    );
    if with_db {
        line.push_str(&format!(
            "; PostgreSQL backends {:.0} % CPU, {:.0} commits/s, {:.0} rows read/s, {:.0} rows written/s",
            (b.db_cpu - a.db_cpu) / secs * 100.0,
            (b.commits - a.commits) as f64 / secs,
            (b.rows_read - a.rows_read) as f64 / secs,
            (b.rows_written - a.rows_written) as f64 / secs,
        ));
    }
    println!("{line} (over {secs:.1} s)");
}

fn client(max_idle: usize) -> reqwest::Client {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true) // loopback benchmark against the generated certificate
        .pool_max_idle_per_host(max_idle)
        .timeout(Duration::from_secs(120))
        .build()
        .expect("HTTP client")
}

async fn rp(
    http: &reqwest::Client,
    base: &str,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> Result<Value, String> {
    let r = http
        .request(method, format!("{base}{path}"))
        .bearer_auth(KEY)
        .json(&body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = r.status();
    let v: Value = r.json().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("{path}: {status} {v}"));
    }
    Ok(v)
}

async fn setup_device(http: reqwest::Client, base: String, i: usize) -> Result<Dev, String> {
    let user = format!("load-{i}");
    rp(
        &http,
        &base,
        reqwest::Method::POST,
        "/v1/users",
        json!({"id": user}),
    )
    .await?;
    let act = rp(
        &http,
        &base,
        reqwest::Method::POST,
        &format!("/v1/users/{user}/activations"),
        json!({}),
    )
    .await?;
    let text = act["uri"].as_str().ok_or("uri")?;
    // Behind `--no-tls` the server's URL is http://, which the app's parser refuses; the load
    // tool only needs the code then.
    let code = match ActivationUri::parse(text) {
        Ok(uri) => uri.code.expose().to_owned(),
        Err(_) => url::Url::parse(text)
            .map_err(|e| e.to_string())?
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .ok_or("no code in the activation URI")?,
    };
    let key = SigningKey::generate().map_err(|e| e.to_string())?;
    let body = serde_json::to_vec(&ActivateRequest {
        code,
        public_key: key.public_key(),
        device_name: format!("sim {i}"),
    })
    .map_err(|e| e.to_string())?;
    let signed = SignedRequest::sign(&key, None, "POST", "/v1/activate", &body, now())
        .map_err(|e| e.to_string())?;
    let mut req = http
        .post(format!("{base}/v1/activate"))
        .header("content-type", "application/json")
        .body(body);
    for (n, v) in signed.headers() {
        req = req.header(n, v);
    }
    let resp: ActivateResponse = req
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    Ok(Dev {
        key,
        id: resp.device_id,
        user,
        server_key: resp.server_public_key,
    })
}

async fn metric(http: &reqwest::Client, base: &str, name: &str) -> f64 {
    let Ok(r) = http.get(format!("{base}/metrics")).send().await else {
        return -1.0;
    };
    let text = r.text().await.unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

async fn run(
    args: &Args,
    nodes: &[Node],
    db: Option<DbStats>,
) -> Result<(), Box<dyn std::error::Error>> {
    let db = db.as_ref();
    let n = nodes.len();
    let base_of = |i: usize| nodes[i % n].base.clone();
    let rss = || nodes.iter().map(|node| rss_kib(node.pid)).sum::<u64>();
    let base = nodes[0].base.as_str();
    let setup_http = client(args.concurrency * 2);
    // 1. Devices.
    let started = Instant::now();
    let sem = Arc::new(Semaphore::new(args.concurrency));
    let mut tasks = Vec::with_capacity(args.devices);
    for i in 0..args.devices {
        let permit = sem.clone().acquire_owned().await?;
        let (http, base) = (setup_http.clone(), base_of(i));
        tasks.push(tokio::spawn(async move {
            let d = setup_device(http, base, i).await;
            drop(permit);
            d
        }));
    }
    let mut devices = Vec::with_capacity(args.devices);
    for t in tasks {
        devices.push(t.await??);
    }
    println!(
        "activated {} devices in {:.1} s",
        devices.len(),
        started.elapsed().as_secs_f64()
    );

    // 2. Idle long-polls.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before = rss();
    let sent_at: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let latencies: Arc<Mutex<Vec<f64>>> = Arc::default();
    let stop = Arc::new(tokio::sync::Notify::new());
    let poll_http = client(args.devices + 10);
    let mut pollers = Vec::with_capacity(devices.len());
    for (i, d) in devices.into_iter().enumerate() {
        let (http, base, sent_at, latencies, stop) = (
            poll_http.clone(),
            base_of(i),
            sent_at.clone(),
            latencies.clone(),
            stop.clone(),
        );
        pollers.push(tokio::spawn(async move {
            let mut cursor = 0u64;
            loop {
                let target = format!("/v1/devices/{}/challenges?since={cursor}&wait=45", d.id);
                let Ok(signed) =
                    SignedRequest::sign(&d.key, Some(&d.id), "GET", &target, b"", now())
                else {
                    return;
                };
                let mut req = http.get(format!("{base}{target}"));
                for (n, v) in signed.headers() {
                    req = req.header(n, v);
                }
                let response = tokio::select! {
                    r = req.send() => r,
                    _ = stop.notified() => return,
                };
                let Ok(response) = response else { continue };
                let Ok(batch) = response.json::<ChallengeBatch>().await else {
                    continue;
                };
                let received = Instant::now();
                for c in &batch.challenges {
                    if c.verify(&d.server_key, now()).is_ok() {
                        if let Some(t0) =
                            sent_at.lock().map(|mut m| m.remove(&d.user)).ok().flatten()
                        {
                            latencies
                                .lock()
                                .map(|mut l| l.push((received - t0).as_secs_f64() * 1000.0))
                                .ok();
                        }
                    }
                }
                cursor = batch.cursor;
            }
        }));
    }
    let metrics_http = client(2);
    let wait_start = Instant::now();
    let mut open = 0.0;
    while wait_start.elapsed() < Duration::from_secs(120) {
        open = 0.0;
        for node in nodes {
            open += metric(&metrics_http, &node.base, "countersign_device_long_polls").await;
        }
        if open >= pollers.len() as f64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after = rss();
    let per_conn =
        (rss_after.saturating_sub(rss_before)) as f64 * 1024.0 / pollers.len().max(1) as f64;
    println!(
        "idle long-polls: {open} open; server RSS {rss_before} KiB -> {rss_after} KiB: {:.1} KB per idle long-poll (target <= 16 KB)",
        per_conn / 1000.0
    );

    let idle_start = snapshot(nodes, db).await;
    tokio::time::sleep(Duration::from_secs(args.idle_seconds)).await;
    let idle_end = snapshot(nodes, db).await;
    report_load(
        &format!("holding {open} idle long-polls"),
        &idle_start,
        &idle_end,
        db.is_some(),
    );

    // 3. Delivery latency.
    let users: Vec<String> = (0..pollers.len()).map(|i| format!("load-{i}")).collect();
    let push_http = client(256);
    let total = (u64::from(args.rate) * args.seconds) as usize;
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(args.rate)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let phase = Instant::now();
    let phase_start = snapshot(nodes, db).await;
    let mut pushes = Vec::with_capacity(total);
    for i in 0..total {
        ticker.tick().await;
        let user = users[i % users.len()].clone();
        // Through the node after the device's: across nodes whenever there are several.
        let (http, base, sent_at) = (push_http.clone(), base_of(i + 1), sent_at.clone());
        pushes.push(tokio::spawn(async move {
            sent_at
                .lock()
                .map(|mut m| m.insert(user.clone(), Instant::now()))
                .ok();
            rp(
                &http,
                &base,
                reqwest::Method::POST,
                &format!("/v1/users/{user}/push"),
                json!({"app": "load"}),
            )
            .await
        }));
    }
    let mut failed = 0;
    for p in pushes {
        if !matches!(p.await, Ok(Ok(_))) {
            failed += 1;
        }
    }
    let elapsed = phase.elapsed().as_secs_f64();
    let phase_end = snapshot(nodes, db).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut lat = latencies.lock().map(|l| l.clone()).unwrap_or_default();
    lat.sort_by(|a, b| a.total_cmp(b));
    println!(
        "delivery: {total} challenges in {elapsed:.1} s ({:.0}/s, {failed} failed), {} delivered; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (target p99 <= 20 ms)",
        total as f64 / elapsed,
        lat.len(),
        percentile(&lat, 0.50),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(f64::NAN)
    );
    report_load(
        &format!("creating {:.0} challenges/s", total as f64 / elapsed),
        &phase_start,
        &phase_end,
        db.is_some(),
    );
    stop.notify_waiters();
    for p in &pollers {
        p.abort();
    }
    drop(poll_http);

    // 4. TOTP verifications.
    if args.verifications > 0 {
        let mut otps = Vec::with_capacity(args.verifications);
        for i in 0..args.verifications {
            let user = format!("totp-{i}");
            rp(
                &setup_http,
                base,
                reqwest::Method::POST,
                "/v1/users",
                json!({"id": user}),
            )
            .await?;
            let t = rp(
                &setup_http,
                base,
                reqwest::Method::POST,
                &format!("/v1/users/{user}/totp"),
                json!({}),
            )
            .await?;
            let secret = Secret::from_base32(t["secret"].as_str().ok_or("secret")?)?;
            otps.push((
                user,
                Otp::new_totp(secret, Algorithm::Sha1, Digits::new(6)?, Period::new(30)?),
            ));
        }
        let started = Instant::now();
        let mut tasks = Vec::with_capacity(otps.len());
        for (user, otp) in otps {
            let permit = sem.clone().acquire_owned().await?;
            let (http, base) = (setup_http.clone(), base.to_owned());
            tasks.push(tokio::spawn(async move {
                let code = otp.code_at(now());
                let r = rp(
                    &http,
                    &base,
                    reqwest::Method::POST,
                    &format!("/v1/users/{user}/verify"),
                    json!({"code": code.as_str()}),
                )
                .await;
                drop(permit);
                r
            }));
        }
        let mut ok = 0;
        for t in tasks {
            if matches!(t.await, Ok(Ok(_))) {
                ok += 1;
            }
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "TOTP verifications: {ok}/{} accepted in {secs:.2} s: {:.0} verifications/s ({} concurrent)",
            args.verifications,
            args.verifications as f64 / secs,
            args.concurrency
        );
    }
    Ok(())
}
