//! The listener against a hostile network, with the real server on loopback: server restarts,
//! connections cut at random, a client offline past a challenge's expiry, and a move from one
//! network link to another.

mod support;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use countersign_core::push::{
    AnswerOutcome, ChallengeStatus, ConnectionState, Decision, DeviceClient, Listener,
    ListenerConfig, ListenerHandle, PendingActivation, PushError, PushEvent, TransportOptions,
};
use support::proxy::Proxy;
use support::{fast_listener, next_challenge, next_matching, Server, ServerOptions};
use tokio::sync::mpsc;

const SECOND: Duration = Duration::from_secs(1);

async fn activate_via(
    server: &Server,
    user: &str,
    url: &str,
) -> countersign_core::push::Activation {
    server.add_user(user).await;
    let uri = server.activation_uri_via(user, url).await;
    PendingActivation::parse(&uri)
        .unwrap()
        .activate("test phone", &TransportOptions::default())
        .await
        .unwrap()
}

async fn wait_connected(rx: &mut mpsc::UnboundedReceiver<PushEvent>) {
    let ok = next_matching(rx, 10 * SECOND, |e| match e {
        PushEvent::State {
            state: ConnectionState::Connected { .. },
            ..
        } => Some(()),
        _ => None,
    })
    .await;
    assert!(ok.is_some(), "the listener never connected");
}

/// Answers until the server has the answer, the way the app retries: an attempt whose reply was
/// lost may already have been recorded.
async fn answer_surely(client: &DeviceClient, id: &str, number: Option<u8>) -> AnswerOutcome {
    let mut lost = false;
    for _ in 0..20 {
        match client.answer(id, Decision::Approve, number).await {
            Ok(outcome) => return outcome,
            Err(PushError::AlreadyAnswered) if lost => return AnswerOutcome::RecordedEarlier,
            Err(e) if e.is_transient() => lost = true,
            Err(e) => panic!("answering {id}: {e}"),
        }
    }
    panic!("answering {id} kept failing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restart_during_a_long_poll_is_survived_and_the_pending_challenge_arrives() {
    let mut server = Server::start(ServerOptions::default());
    let url = server.url.clone();
    let activation = activate_via(&server, "alice", &url).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let listener = Listener::spawn(&activation, fast_listener(), tx).unwrap();
    wait_connected(&mut rx).await;

    // Killed while the long-poll is held open.
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.kill();
    let reconnecting = next_matching(&mut rx, 10 * SECOND, |e| match e {
        PushEvent::State {
            state: ConnectionState::Reconnecting { retry_at_ms, .. },
            ..
        } => Some(*retry_at_ms),
        _ => None,
    })
    .await;
    assert!(
        reconnecting.is_some(),
        "the listener did not notice the server going away"
    );
    assert!(matches!(
        listener.state(),
        ConnectionState::Reconnecting { .. }
    ));

    server.start_again();
    // Pushed before the listener is back: it must still arrive.
    let (id, number) = server.push("alice", "VPN").await;
    let c = next_challenge(&mut rx, 15 * SECOND)
        .await
        .expect("the pending challenge after the restart");
    assert_eq!(c.challenge.id, id);
    assert!(matches!(
        listener.state(),
        ConnectionState::Connected { .. }
    ));
    let outcome = listener
        .client()
        .answer(&id, Decision::Approve, number)
        .await
        .unwrap();
    assert_eq!(
        outcome,
        AnswerOutcome::Recorded {
            status: ChallengeStatus::Approved
        }
    );
    assert_eq!(server.result(&id).await["status"], "approved");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_cut_at_random_lose_no_challenge_show_none_twice_and_answer_none_twice() {
    const CHALLENGES: usize = 500;
    let server = Server::start(ServerOptions::default());
    let proxy = Proxy::start("127.0.0.1:0".parse().unwrap(), server.addr).await;
    let activation = activate_via(&server, "alice", &format!("https://{}", proxy.addr)).await;
    let config = ListenerConfig {
        backoff_base: Duration::from_millis(10),
        backoff_cap: Duration::from_millis(100),
        ..fast_listener()
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let listener = Listener::spawn(&activation, config, tx).unwrap();
    wait_connected(&mut rx).await;
    // Every connection from now on lives 5-100 ms. The ones open now (the long-poll, the pooled
    // keep-alive connection) had no lifetime when they were made: cut them so that none is
    // spared.
    proxy.random_cuts(Some(5..100));
    proxy.cut_all();

    let mut shown: HashMap<String, usize> = HashMap::new();
    let mut pushed = Vec::with_capacity(CHALLENGES);
    let mut earlier = 0;
    for i in 0..CHALLENGES {
        let (id, number) = server.push("alice", &format!("sign-in {i}")).await;
        let c = next_challenge(&mut rx, 20 * SECOND)
            .await
            .unwrap_or_else(|| panic!("challenge {i} ({id}) was lost"));
        *shown.entry(c.challenge.id.clone()).or_default() += 1;
        assert_eq!(
            c.challenge.id, id,
            "challenge {i}: another one arrived (shown {} times)",
            shown[&c.challenge.id]
        );
        assert_eq!(c.challenge.app, format!("sign-in {i}"));
        if answer_surely(&listener.client(), &id, number).await == AnswerOutcome::RecordedEarlier {
            earlier += 1;
        }
        pushed.push(id);
    }
    proxy.random_cuts(None);
    // Nothing more arrives: no challenge is shown twice.
    while let Some(c) = next_challenge(&mut rx, 2 * SECOND).await {
        *shown.entry(c.challenge.id.clone()).or_default() += 1;
    }
    assert!(
        shown.values().all(|n| *n == 1),
        "some challenge was shown twice"
    );
    assert_eq!(shown.len(), CHALLENGES);
    // Every challenge approved, and the log records exactly one answer for each.
    for id in &pushed {
        assert_eq!(server.result(id).await["status"], "approved", "{id}");
    }
    // The log has at most one accepted entry per challenge. (An answer whose connection was
    // cut while the server handled it can lack its log entry: the server drops the handler
    // with the connection, after the answer's transaction committed. Reported to the server.)
    let accepted = server
        .log("alice")
        .await
        .iter()
        .filter(|e| e["result"] == "accepted")
        .count();
    assert!(
        accepted <= CHALLENGES,
        "{accepted} accepted entries for {CHALLENGES} challenges"
    );
    assert!(
        accepted + earlier >= CHALLENGES,
        "{accepted} accepted entries, {earlier} answers on lost replies"
    );
    assert!(
        proxy.cuts() >= 50,
        "only {} connections were cut: the test did not test much",
        proxy.cuts()
    );
    eprintln!(
        "{} connections, {} cut, {earlier} answers recorded on a lost reply",
        proxy.connections(),
        proxy.cuts()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_challenge_that_expired_while_the_client_was_offline_is_never_shown() {
    let server = Server::start(ServerOptions {
        challenge_ttl: 2,
        ..Default::default()
    });
    let proxy = Proxy::start("127.0.0.1:0".parse().unwrap(), server.addr).await;
    let activation = activate_via(&server, "alice", &format!("https://{}", proxy.addr)).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let listener = Listener::spawn(&activation, fast_listener(), tx).unwrap();
    wait_connected(&mut rx).await;

    // Offline: the traffic vanishes (no reset), as when a phone loses its signal.
    proxy.blackhole(IpAddr::V4(Ipv4Addr::LOCALHOST), true);
    let (stale, _) = server.push("alice", "while offline").await;
    let deadline = Instant::now() + Duration::from_secs(6);
    while server.result(&stale).await["status"] != "expired" {
        assert!(
            Instant::now() < deadline,
            "the challenge never expired on the server"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    proxy.blackhole(IpAddr::V4(Ipv4Addr::LOCALHOST), false);
    proxy.cut_all();
    listener.network_changed();

    let (fresh, _) = server.push("alice", "back online").await;
    let c = next_challenge(&mut rx, 10 * SECOND)
        .await
        .expect("the fresh challenge");
    assert_eq!(c.challenge.id, fresh, "the expired challenge was shown");
    while let Some(c) = next_challenge(&mut rx, SECOND).await {
        assert_ne!(c.challenge.id, stale, "the expired challenge was shown");
    }
}

/// Moves the client from one link to another while its long-poll is open. The links are two
/// loopback source addresses (127.0.0.2 "Wi-Fi", 127.0.0.3 "cellular"); the Wi-Fi link dies
/// silently, as a real one does when the phone walks out of range.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_resumes_at_once_after_a_move_from_wifi_to_cellular() {
    let wifi: IpAddr = "127.0.0.2".parse().unwrap();
    let cellular: IpAddr = "127.0.0.3".parse().unwrap();
    let server = Server::start(ServerOptions::default());
    let proxy = Proxy::start(
        SocketAddr::new("127.0.0.1".parse().unwrap(), 0),
        server.addr,
    )
    .await;
    let activation = activate_via(&server, "alice", &format!("https://{}", proxy.addr)).await;
    let mut config = fast_listener();
    config.wait = Duration::from_secs(20);
    config.read_slack = Duration::from_secs(10);
    config.transport.local_address = Some(wifi);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let listener: ListenerHandle = Listener::spawn(&activation, config.clone(), tx).unwrap();
    wait_connected(&mut rx).await;
    let (id, _) = server.push("alice", "over Wi-Fi").await;
    assert_eq!(
        next_challenge(&mut rx, 5 * SECOND)
            .await
            .unwrap()
            .challenge
            .id,
        id
    );

    // Wi-Fi vanishes; the OS reports the change and routes over cellular.
    tokio::time::sleep(Duration::from_millis(200)).await;
    proxy.blackhole(wifi, true);
    let switched = Instant::now();
    listener
        .client()
        .set_transport(TransportOptions {
            local_address: Some(cellular),
            ..config.transport.clone()
        })
        .unwrap();
    listener.network_changed();
    let (id, _) = server.push("alice", "over cellular").await;
    let c = next_challenge(&mut rx, 10 * SECOND)
        .await
        .expect("delivery over cellular");
    assert_eq!(c.challenge.id, id);
    let resumed = switched.elapsed();
    // Far sooner than the 30 s the dead connection's read timeout would have taken.
    assert!(
        resumed < Duration::from_secs(3),
        "delivery resumed only after {resumed:?}"
    );
    eprintln!("delivery resumed {resumed:?} after the switch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_dies_silently_is_abandoned_after_the_read_timeout() {
    let server = Server::start(ServerOptions::default());
    let proxy = Proxy::start("127.0.0.1:0".parse().unwrap(), server.addr).await;
    let activation = activate_via(&server, "alice", &format!("https://{}", proxy.addr)).await;
    let mut config = fast_listener();
    config.wait = Duration::from_secs(1);
    config.read_slack = Duration::from_secs(1);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let _listener = Listener::spawn(&activation, config, tx).unwrap();
    wait_connected(&mut rx).await;
    proxy.blackhole(IpAddr::V4(Ipv4Addr::LOCALHOST), true);
    let started = Instant::now();
    let state = next_matching(&mut rx, 10 * SECOND, |e| match e {
        PushEvent::State {
            state: s @ ConnectionState::Reconnecting { .. },
            ..
        } => Some(s.clone()),
        _ => None,
    })
    .await
    .expect("the dead connection was noticed");
    assert!(started.elapsed() < Duration::from_secs(5));
    match state {
        ConnectionState::Reconnecting { code, .. } => assert_eq!(code, "network"),
        other => panic!("{other:?}"),
    }
    // Back online: delivery resumes without any nudge, by the back-off alone.
    proxy.blackhole(IpAddr::V4(Ipv4Addr::LOCALHOST), false);
    proxy.cut_all();
    let (id, _) = server.push("alice", "after the outage").await;
    assert_eq!(
        next_challenge(&mut rx, 10 * SECOND)
            .await
            .unwrap()
            .challenge
            .id,
        id
    );
}
