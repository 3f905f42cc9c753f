//! Push delivery as a user feels it, with the core's listener as the client and the real
//! `countersign-server` on loopback.
//!
//! * **delivery latency**: from the relying party sending `POST /v1/users/{id}/push` to the
//!   listener reporting the verified challenge, p50/p99 over 1,000 challenges. Target: p99
//!   under 100 ms on loopback (the long-poll is already open when the push arrives).
//! * **time to resume after a cut**: every connection is cut (a TCP proxy between client and
//!   server), a push is sent at once, and the time until it is delivered is measured, p50/p99
//!   over 100 cuts. Target: p99 under 1 s with the default back-off (the first retry comes
//!   after 0.5–1 s; a network-change nudge skips it, measured separately).
//!
//! Run: `cargo build -p countersign-server --release && cargo bench -p countersign-core --bench push`
//! (the server binary is `$COUNTERSIGN_SERVER_BIN`, else found next to the bench's target folder).

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use countersign_core::push::Listener;
use countersign_core::push::{ListenerConfig, PendingActivation, PushEvent, TransportOptions};
use support::proxy::Proxy;
use support::{Server, ServerOptions};
use tokio::sync::mpsc;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    println!(
        "{name}: n={} p50={:.2} ms p99={:.2} ms max={:.2} ms mean={:.2} ms",
        samples.len(),
        percentile(&samples, 0.5).as_secs_f64() * 1e3,
        percentile(&samples, 0.99).as_secs_f64() * 1e3,
        samples.last().unwrap().as_secs_f64() * 1e3,
        mean.as_secs_f64() * 1e3,
    );
}

async fn next_challenge(rx: &mut mpsc::UnboundedReceiver<PushEvent>, id: &str) {
    loop {
        match tokio::time::timeout(Duration::from_secs(30), rx.recv()).await {
            Ok(Some(PushEvent::Challenge(c))) if c.challenge.id == id => return,
            Ok(Some(_)) => {}
            _ => panic!("challenge {id} not delivered"),
        }
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` asks for the list of benchmarks.
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let samples: usize = std::env::var("PUSH_BENCH_CHALLENGES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1000);
        let server = Server::start(ServerOptions::default());
        let proxy = Proxy::start("127.0.0.1:0".parse().unwrap(), server.addr).await;
        server.add_user("bench").await;
        let uri = server
            .activation_uri_via("bench", &format!("https://{}", proxy.addr))
            .await;
        let activation = PendingActivation::parse(&uri)
            .unwrap()
            .activate("bench", &TransportOptions::default())
            .await
            .unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let listener = Listener::spawn(&activation, ListenerConfig::default(), tx).unwrap();
        // Warm up: the first poll connects and is held open.
        let (id, _) = server.push("bench", "warm-up").await;
        next_challenge(&mut rx, &id).await;

        let mut delivery = Vec::with_capacity(samples);
        for i in 0..samples {
            // Let the listener's next long-poll be held open, as it is between real sign-ins.
            tokio::time::sleep(Duration::from_millis(5)).await;
            let start = Instant::now();
            let (id, _) = server.push("bench", &format!("bench {i}")).await;
            next_challenge(&mut rx, &id).await;
            delivery.push(start.elapsed());
        }
        report(
            "delivery latency (push sent -> challenge verified on the device)",
            delivery,
        );

        let cuts = samples / 10;
        let mut resume = Vec::with_capacity(cuts);
        for i in 0..cuts {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let start = Instant::now();
            proxy.cut_all();
            let (id, _) = server.push("bench", &format!("after cut {i}")).await;
            next_challenge(&mut rx, &id).await;
            resume.push(start.elapsed());
        }
        report("resume after a cut (default back-off, no nudge)", resume);

        let mut nudged = Vec::with_capacity(cuts);
        for i in 0..cuts {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let start = Instant::now();
            proxy.cut_all();
            listener.network_changed();
            let (id, _) = server.push("bench", &format!("after nudge {i}")).await;
            next_challenge(&mut rx, &id).await;
            nudged.push(start.elapsed());
        }
        report("resume after a cut with a network-change nudge", nudged);
        listener.stop().await;
    });
}
