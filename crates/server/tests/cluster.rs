//! Several nodes on one PostgreSQL: two real server binaries, each on its own loopback port,
//! share a fresh database. A device long-polls one node while the relying party talks to the
//! other; a node dies mid-poll; a signed request is replayed to the other node; the LISTEN
//! connection drops while a push is sent; rate limits and throttling count across nodes.
//!
//! Needs `COUNTERSIGN_TEST_POSTGRES_URL` (`scripts/pg.sh run cargo test ...`, as `make test`
//! does); without it every test here prints that it was skipped and why.

#[macro_use]
mod support;

use std::time::{Duration, Instant};

use countersign_protocol::wire::{ChallengeStatus, Decision};
use countersign_protocol::SignedRequest;
use reqwest::{Method, StatusCode};
use sqlx::Connection;
use support::*;

/// Long enough that a test passing quickly shows the notification (or the reread after a
/// reconnect) did the work, not the safety-net timer.
const NO_TIMER: &str = "long_poll_recheck_seconds = 600\n";

struct Cluster {
    db: String,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
    a: Option<Server>,
    b: Server,
}

impl Cluster {
    async fn start(test: &str, extra: &str) -> Option<Cluster> {
        let db = Db::postgres(test).await?;
        let ((dir_a, a), (dir_b, b)) = (Server::temp(&db, extra), Server::temp(&db, extra));
        assert_ne!(a.url, b.url, "two nodes, two ports");
        Some(Cluster {
            db: db.postgres_url().unwrap().to_owned(),
            _dirs: (dir_a, dir_b),
            a: Some(a),
            b,
        })
    }

    fn a(&self) -> &Server {
        self.a.as_ref().expect("node A runs")
    }

    /// The relying party creates `user`; the device activates through node A.
    async fn user_with_device_on_a(&self, user: &str) -> Device {
        self.b.user_with_device(user, &self.a().url).await
    }
}

#[tokio::test]
async fn a_push_through_node_b_reaches_a_device_long_polling_node_a() {
    let Some(c) = Cluster::start(
        "a_push_through_node_b_reaches_a_device_long_polling_node_a",
        NO_TIMER,
    )
    .await
    else {
        return;
    };
    let mut device = c.user_with_device_on_a("alice").await;
    let poll = tokio::spawn(async move {
        let batch = device.poll(30).await.expect("poll on node A");
        (device, batch)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = Instant::now();
    let push = c.b.rp().push("alice").await;
    assert_eq!(push.status, StatusCode::CREATED, "{push:?}");
    let id = push.body["id"].as_str().unwrap().to_owned();
    let number = push.body["number"].as_u64().unwrap() as u8;
    let (device, batch) = tokio::time::timeout(Duration::from_secs(5), poll)
        .await
        .expect("delivered across nodes within 5 s")
        .unwrap();
    let latency = sent.elapsed();
    assert_eq!(batch.challenges.len(), 1);
    assert_eq!(batch.challenges[0].challenge.id, id);
    assert!(
        latency < Duration::from_secs(2),
        "the NOTIFY woke node A ({latency:?})"
    );

    // And back: the relying party waits on node A while the device answers through node B.
    let rp_a = c.a().rp();
    let id2 = id.clone();
    let waiting = tokio::spawn(async move { rp_a.result(&id2, 30).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let device = device.with_base(&c.b.url);
    assert_eq!(
        device
            .answered(&id, Decision::Approve, Some(number))
            .await
            .status,
        ChallengeStatus::Approved
    );
    let result = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("the result long-poll on node A is woken by the answer on node B")
        .unwrap();
    assert_eq!(result.body["status"], "approved", "{result:?}");
}

#[tokio::test]
async fn node_a_killed_mid_poll_the_device_moves_to_node_b_and_gets_the_pending_challenge_once() {
    let Some(mut c) = Cluster::start(
        "node_a_killed_mid_poll_the_device_moves_to_node_b_and_gets_the_pending_challenge_once",
        NO_TIMER,
    )
    .await
    else {
        return;
    };
    let mut device = c.user_with_device_on_a("bob").await;
    let a_url = c.a().url.clone();
    let poll = tokio::spawn(async move {
        let outcome = device.try_poll(30).await;
        (device, outcome)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    c.a.take().unwrap().kill(); // SIGKILL: no graceful shutdown
    let (mut device, outcome) = tokio::time::timeout(Duration::from_secs(10), poll)
        .await
        .expect("the poll on the dead node ends")
        .unwrap();
    let err = outcome.expect_err("the poll on the killed node fails");
    assert!(err.starts_with("transport"), "{err}");

    let push = c.b.rp().push("bob").await;
    assert_eq!(push.status, StatusCode::CREATED, "{push:?}");
    let id = push.body["id"].as_str().unwrap().to_owned();
    let number = push.body["number"].as_u64().unwrap() as u8;

    // The device fails over: node A refuses connections, node B answers from the cursor.
    let mut received = Vec::new();
    for base in [a_url.as_str(), c.b.url.as_str(), c.b.url.as_str()] {
        device.base = base.to_owned();
        if let Ok(batch) = device.try_poll(2).await {
            received.extend(batch.challenges.into_iter().map(|c| c.challenge.id));
        }
    }
    assert_eq!(received, vec![id.clone()], "delivered once, nothing lost");

    let first = device.answer(&id, Decision::Approve, Some(number)).await;
    assert_eq!(first.status, StatusCode::OK, "{first:?}");
    let second = device.answer(&id, Decision::Approve, Some(number)).await;
    assert_eq!(
        (second.status, second.code()),
        (StatusCode::CONFLICT, "already_answered")
    );
    let result = c.b.rp().result(&id, 0).await;
    assert_eq!(result.body["status"], "approved");
    let pushes: Vec<_> =
        c.b.rp()
            .log("bob")
            .await
            .into_iter()
            .filter(|r| r["mode"] == "push")
            .collect();
    assert_eq!(pushes.len(), 1, "one log row for one answer: {pushes:?}");
    assert_eq!(pushes[0]["result"], "accepted");
}

#[tokio::test]
async fn a_signed_request_replayed_to_the_other_node_is_refused() {
    let Some(c) =
        Cluster::start("a_signed_request_replayed_to_the_other_node_is_refused", "").await
    else {
        return;
    };
    let device = c.user_with_device_on_a("carol").await;

    // A long-poll request.
    let target = format!("/v1/devices/{}/challenges?since=0&wait=0", device.id);
    let signed =
        SignedRequest::sign(&device.key, Some(&device.id), "GET", &target, b"", now()).unwrap();
    let first = send_signed(&device.http, &c.a().url, &signed, Method::GET, &target, b"").await;
    assert_eq!(first.status, StatusCode::OK, "{first:?}");
    let replay = send_signed(&device.http, &c.b.url, &signed, Method::GET, &target, b"").await;
    assert_eq!(
        (replay.status, replay.code()),
        (StatusCode::UNAUTHORIZED, "replayed_nonce")
    );

    // An answer: the replay is refused for its nonce before the challenge is even looked at.
    let push = c.b.rp().push("carol").await;
    let id = push.body["id"].as_str().unwrap();
    let body = serde_json::to_vec(&serde_json::json!({"decision": "deny"})).unwrap();
    let target = format!("/v1/challenges/{id}/answer");
    let signed =
        SignedRequest::sign(&device.key, Some(&device.id), "POST", &target, &body, now()).unwrap();
    let first = send_signed(
        &device.http,
        &c.b.url,
        &signed,
        Method::POST,
        &target,
        &body,
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{first:?}");
    let replay = send_signed(
        &device.http,
        &c.a().url,
        &signed,
        Method::POST,
        &target,
        &body,
    )
    .await;
    assert_eq!(
        (replay.status, replay.code()),
        (StatusCode::UNAUTHORIZED, "replayed_nonce")
    );
}

/// Turns the NOTIFY trigger off or on: pushes made while it is off reach other nodes only by
/// rereading the database.
async fn notifications(db_url: &str, on: bool) {
    let mut conn = sqlx::PgConnection::connect(db_url).await.unwrap();
    let verb = if on { "ENABLE" } else { "DISABLE" };
    sqlx::query(&format!(
        "ALTER TABLE challenges {verb} TRIGGER challenges_notify"
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn a_node_that_lost_its_listen_connection_rereads_after_reconnecting() {
    let Some(c) = Cluster::start(
        "a_node_that_lost_its_listen_connection_rereads_after_reconnecting",
        NO_TIMER,
    )
    .await
    else {
        return;
    };
    let mut device = c.user_with_device_on_a("dave").await;
    let a_url = c.a().url.clone();
    assert_eq!(
        metric(&a_url, "countersign_listener_connects_total").await,
        1.0,
        "node A listens"
    );
    let poll = tokio::spawn(async move { device.poll(45).await.expect("poll on node A") });
    tokio::time::sleep(Duration::from_millis(300)).await;

    // A push node A never hears about (as if sent while its LISTEN connection was down).
    notifications(&c.db, false).await;
    let push = c.b.rp().push("dave").await;
    assert_eq!(push.status, StatusCode::CREATED, "{push:?}");
    let id = push.body["id"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!poll.is_finished(), "node A was not told");

    // Cut the LISTEN connections: node A reconnects, and its held poll rereads from its cursor.
    let mut conn = sqlx::PgConnection::connect(&c.db).await.unwrap();
    let cut: i64 = sqlx::query_scalar(
        "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1",
    )
    .bind(countersign_server::listen::APPLICATION_NAME)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(cut, 2, "one LISTEN connection per node");
    let batch = tokio::time::timeout(Duration::from_secs(10), poll)
        .await
        .expect("the held poll rereads once node A listens again")
        .unwrap();
    assert_eq!(batch.challenges.len(), 1);
    assert_eq!(batch.challenges[0].challenge.id, id);
    assert_eq!(
        metric(&a_url, "countersign_listener_connects_total").await,
        2.0,
        "node A listened again"
    );
    notifications(&c.db, true).await;
}

#[tokio::test]
async fn a_held_poll_rereads_on_its_timer_without_any_notification() {
    // The timer alone delivers: with no NOTIFY at all, a poll held by node A still sees a push
    // made through node B within a recheck interval (2 s, spread ±25 %).
    let Some(c) = Cluster::start(
        "a_held_poll_rereads_on_its_timer_without_any_notification",
        "long_poll_recheck_seconds = 2\n",
    )
    .await
    else {
        return;
    };
    let mut device = c.user_with_device_on_a("erin").await;
    notifications(&c.db, false).await;
    let poll = tokio::spawn(async move { device.poll(30).await.expect("poll on node A") });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let push = c.b.rp().push("erin").await;
    assert_eq!(push.status, StatusCode::CREATED, "{push:?}");
    let batch = tokio::time::timeout(Duration::from_secs(6), poll)
        .await
        .expect("the recheck timer delivers")
        .unwrap();
    assert_eq!(batch.challenges.len(), 1);
    notifications(&c.db, true).await;
}

#[tokio::test]
async fn push_rate_limits_and_verification_throttling_count_across_nodes() {
    let Some(c) = Cluster::start(
        "push_rate_limits_and_verification_throttling_count_across_nodes",
        "pushes_per_minute = 3\nthrottle_free_failures = 2\nthrottle_max_seconds = 60\n",
    )
    .await
    else {
        return;
    };
    let _device = c.user_with_device_on_a("frank").await;
    let (rp_a, rp_b) = (c.a().rp(), c.b.rp());
    // Three pushes spread over both nodes use up the minute's budget; the fourth is refused
    // wherever it is sent, and only the last push is still pending.
    let mut ids = Vec::new();
    for rp in [&rp_a, &rp_b, &rp_a] {
        let push = rp.push("frank").await;
        assert_eq!(push.status, StatusCode::CREATED, "{push:?}");
        ids.push(push.body["id"].as_str().unwrap().to_owned());
    }
    for rp in [&rp_b, &rp_a] {
        let refused = rp.push("frank").await;
        assert_eq!(
            (refused.status, refused.code()),
            (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
        );
    }
    let statuses: Vec<_> = statuses_of(&rp_b, &ids).await;
    assert_eq!(statuses, vec!["replaced", "replaced", "pending"]);

    // Two wrong codes on node A, one on node B: the back-off applies on both.
    let r = rp_b
        .call(
            Method::POST,
            "/v1/users/frank/totp",
            Some(serde_json::json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    for rp in [&rp_a, &rp_a, &rp_b] {
        assert_eq!(rp.verify("frank", "000000").await.code(), "wrong_code");
    }
    for rp in [&rp_a, &rp_b] {
        let throttled = rp.verify("frank", "000000").await;
        assert_eq!(
            (throttled.status, throttled.code()),
            (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts")
        );
    }
}

async fn statuses_of(rp: &Rp, ids: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for id in ids {
        let r = rp.result(id, 0).await;
        out.push(r.body["status"].as_str().unwrap_or("?").to_owned());
    }
    out
}

#[tokio::test]
async fn concurrent_pushes_on_both_nodes_never_exceed_the_rate_limit_or_leave_two_pending() {
    let Some(c) = Cluster::start(
        "concurrent_pushes_on_both_nodes_never_exceed_the_rate_limit_or_leave_two_pending",
        "pushes_per_minute = 3\n",
    )
    .await
    else {
        return;
    };
    let _device = c.user_with_device_on_a("grace").await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let rp = if i % 2 == 0 { c.a().rp() } else { c.b.rp() };
        tasks.push(tokio::spawn(async move { rp.push("grace").await }));
    }
    let mut created = Vec::new();
    let mut limited = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            StatusCode::CREATED => created.push(r.body["id"].as_str().unwrap().to_owned()),
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            other => panic!("unexpected {other}: {r:?}"),
        }
    }
    assert_eq!((created.len(), limited), (3, 9));
    let statuses = statuses_of(&c.b.rp(), &created).await;
    assert_eq!(
        statuses.iter().filter(|s| *s == "pending").count(),
        1,
        "one pending challenge per user: {statuses:?}"
    );
}

#[tokio::test]
async fn a_reset_or_delete_on_node_b_ends_the_long_poll_held_by_node_a_at_once() {
    let Some(c) = Cluster::start(
        "a_reset_or_delete_on_node_b_ends_the_long_poll_held_by_node_a_at_once",
        NO_TIMER,
    )
    .await
    else {
        return;
    };
    for (user, method, path, status) in [
        ("rita", Method::POST, "/v1/users/rita/reset", StatusCode::OK),
        (
            "dora",
            Method::DELETE,
            "/v1/users/dora",
            StatusCode::NO_CONTENT,
        ),
    ] {
        let device = c.user_with_device_on_a(user).await;
        let (reply, took) = long_poll_ended_by(&device, &c.a().url, async {
            let r = c.b.rp().call(method.clone(), path, None).await;
            assert_eq!(r.status, status, "{r:?}");
        })
        .await;
        assert_eq!(reply.status, StatusCode::GONE, "{path}: {reply:?}");
        assert_eq!(reply.code(), "device_not_activated");
        assert!(
            took < Duration::from_secs(2),
            "{path} on node B ended node A's long-poll {took:?} later (it waits 40 s otherwise)"
        );
    }
}

#[tokio::test]
async fn a_reset_or_delete_on_node_b_ends_a_result_wait_held_by_node_a_at_once() {
    let Some(c) = Cluster::start(
        "a_reset_or_delete_on_node_b_ends_a_result_wait_held_by_node_a_at_once",
        NO_TIMER,
    )
    .await
    else {
        return;
    };
    for (user, method, path, deleted) in [
        ("rose", Method::POST, "/v1/users/rose/reset", false),
        ("ross", Method::DELETE, "/v1/users/ross", true),
    ] {
        c.user_with_device_on_a(user).await;
        let push = c.b.rp().push(user).await;
        let id = push.body["id"].as_str().unwrap().to_owned();
        let (result, took) = result_wait_ended_by(&c.a().rp(), &c.a().url, &id, async {
            let r = c.b.rp().call(method.clone(), path, None).await;
            assert!(r.status.is_success(), "{r:?}");
        })
        .await;
        assert_removal_seen(&result, deleted);
        assert!(
            took < Duration::from_secs(2),
            "{path} on node B ended node A's result wait {took:?} later (it waits 40 s otherwise)"
        );
    }
}
