//! The push protocol end to end against the real binary: activation, long-poll delivery,
//! signed answers, number matching, and every forgery refused with its code.

#[macro_use]
mod support;

use std::time::Duration;

use countersign_protocol::wire::{ChallengeStatus, Decision};
use countersign_protocol::{Fingerprint, SigningKey};
use reqwest::{Method, StatusCode};
use support::*;

async fn user_with_device(s: &Server, user: &str) -> Device {
    s.user_with_device(user, &s.url).await
}

async fn whole_flow_activation_push_long_poll_signed_answer_result(db: Db) {
    let (_dir, s) = Server::temp(&db, "");
    let rp = s.rp();
    let mut device = user_with_device(&s, "alice").await;
    assert_eq!(device.user, "alice");

    // The device is already waiting when the challenge is created.
    let poll = tokio::spawn(async move {
        let batch = device.poll(20).await.expect("poll succeeds");
        (device, batch)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let push = rp.push("alice").await;
    assert_eq!(push.status, StatusCode::CREATED, "{push:?}");
    let id = push.body["id"].as_str().unwrap().to_owned();
    let number = push.body["number"].as_u64().unwrap() as u8;

    let (device, batch) = tokio::time::timeout(Duration::from_secs(5), poll)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(batch.challenges.len(), 1);
    let c = &batch.challenges[0].challenge;
    assert_eq!(
        (c.id.as_str(), c.user.as_str(), c.app.as_str()),
        (id.as_str(), "alice", "VPN")
    );
    assert_eq!(c.client_ip.as_deref(), Some("192.0.2.7"));
    assert_eq!(c.location.as_deref(), Some("Lisbon"));
    assert_eq!(c.options.len(), 3);
    assert!(
        c.options.contains(&number),
        "the sign-in page's number is among the options"
    );
    assert_eq!(batch.cursor, c.seq);

    // The relying party long-polls while the user decides.
    let rp2 = s.rp();
    let id2 = id.clone();
    let waiting = tokio::spawn(async move { rp2.result(&id2, 20).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        device
            .answered(&id, Decision::Approve, Some(number))
            .await
            .status,
        ChallengeStatus::Approved
    );
    let result = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(result.status, StatusCode::OK);
    assert_eq!(result.body["status"], "approved");
    assert_eq!(result.body["device"], device.id.as_str());

    // The next poll does not deliver the answered challenge again.
    let mut device = device;
    assert!(device.poll(0).await.unwrap().challenges.is_empty());

    let log = rp.log("alice").await;
    let row = log
        .iter()
        .find(|r| r["mode"] == "push")
        .expect("push logged");
    assert_eq!(row["result"], "accepted");
    assert_eq!(row["device_id"], device.id.as_str());
    assert_eq!(row["first_name"], "Ada");
    assert_eq!(row["email"], "alice@example.com");
    assert_eq!(row["client_ip"], "192.0.2.7");
    assert_eq!(row["server_name"], "Countersign");
    assert_eq!(row["server_ip"], "127.0.0.1");
}

async fn approving_with_the_wrong_number_denies_the_sign_in(db: Db) {
    let (_dir, s) = Server::temp(&db, "");
    let rp = s.rp();
    let mut device = user_with_device(&s, "bob").await;
    let push = rp.push("bob").await;
    let number = push.body["number"].as_u64().unwrap() as u8;
    let id = push.body["id"].as_str().unwrap();
    let batch = device.poll(5).await.unwrap();
    let wrong = *batch.challenges[0]
        .challenge
        .options
        .iter()
        .find(|&&o| o != number)
        .unwrap();
    assert_eq!(
        device
            .answered(id, Decision::Approve, Some(wrong))
            .await
            .status,
        ChallengeStatus::Denied
    );
    let result = rp.result(id, 0).await;
    assert_eq!(result.body["status"], "denied");
    assert_eq!(result.body["reason"], "wrong_number");
    // Without a number at all it is denied too.
    let push = rp.push("bob").await;
    let id = push.body["id"].as_str().unwrap();
    assert_eq!(
        device.answered(id, Decision::Approve, None).await.status,
        ChallengeStatus::Denied
    );
}

async fn tls_fingerprint_printed_is_the_served_certificate(db: Db) {
    let (_dir, s) = Server::temp(&db, "");
    let r = http()
        .get(format!("{}/healthz", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let info = r
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .expect("TLS info");
    let served = Fingerprint::of(info.peer_certificate().expect("peer certificate"));
    assert_eq!(Some(served), s.tls_fingerprint);
    // The activation URI pins the same certificate.
    let rp = s.rp();
    rp.create_user("carol").await;
    let uri = countersign_protocol::ActivationUri::parse(&rp.activation("carol").await).unwrap();
    assert_eq!(uri.tls, Some(served));
}

async fn activation_code_is_single_use(db: Db) {
    let (_dir, s) = Server::temp(&db, "");
    let rp = s.rp();
    rp.create_user("dave").await;
    let uri = rp.activation("dave").await;
    Device::activate(&uri, &s.url)
        .await
        .expect("first use works");
    let again = Device::activate(&uri, &s.url)
        .await
        .err()
        .expect("second use fails");
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, "activation_used")
    );
    let mut forged = countersign_protocol::ActivationUri::parse(&uri).unwrap();
    forged.code = countersign_protocol::ActivationCode::generate().unwrap();
    let r = Device::activate(&forged.to_uri(), &s.url)
        .await
        .err()
        .expect("unknown code fails");
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::NOT_FOUND, "unknown_activation")
    );
    let r = rp
        .call(Method::POST, "/v1/users/nobody/activations", None)
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::NOT_FOUND, "unknown_user")
    );
}

async fn activation_code_expires(db: Db) {
    let (_dir, s) = Server::temp(&db, "activation_ttl_seconds = 1");
    let rp = s.rp();
    rp.create_user("erin").await;
    let uri = rp.activation("erin").await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = Device::activate(&uri, &s.url)
        .await
        .err()
        .expect("expired code fails");
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::GONE, "activation_expired")
    );
}

async fn forged_device_requests_are_refused_with_their_codes(db: Db) {
    let (_dir, s) = Server::temp(&db, "");
    let a = user_with_device(&s, "frank").await;
    let b = user_with_device(&s, "grace").await;
    let target = format!("/v1/devices/{}/challenges?since=0&wait=0", a.id);

    // Bad signature: a valid request with one signature bit flipped.
    let mut signed =
        countersign_protocol::SignedRequest::sign(&a.key, Some(&a.id), "GET", &target, b"", now())
            .unwrap();
    let mut raw = *signed.signature.as_bytes();
    raw[10] ^= 1;
    signed.signature = countersign_protocol::encoding::b64url(&raw)
        .parse()
        .unwrap();
    let r = send_signed(&a.http, &s.url, &signed, Method::GET, &target, b"").await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "bad_signature")
    );

    // Replayed nonce: the same signed request twice.
    let (first, signed) = signed_call(
        &a.http,
        &s.url,
        &a.key,
        Some(&a.id),
        Method::GET,
        &target,
        b"",
        now(),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK);
    let r = send_signed(&a.http, &s.url, &signed, Method::GET, &target, b"").await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "replayed_nonce")
    );

    // Stale timestamp: correctly signed two minutes ago (and two minutes ahead).
    for skew in [-120i64, 120] {
        let ts = (now() as i64 + skew) as u64;
        let (r, _) = signed_call(
            &a.http,
            &s.url,
            &a.key,
            Some(&a.id),
            Method::GET,
            &target,
            b"",
            ts,
        )
        .await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNAUTHORIZED, "stale_timestamp")
        );
    }

    // Another device's key: B signs a request that claims to be A.
    let (r, _) = signed_call(
        &b.http,
        &s.url,
        &b.key,
        Some(&a.id),
        Method::GET,
        &target,
        b"",
        now(),
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "bad_signature")
    );

    // B, correctly signed as itself, cannot poll A's queue.
    let r = b.call(Method::GET, &target, b"").await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "device_mismatch")
    );

    // A stranger with an id the server never issued learns nothing.
    let stranger = SigningKey::generate().unwrap();
    let (r, _) = signed_call(
        &a.http,
        &s.url,
        &stranger,
        Some("no-such-device"),
        Method::GET,
        "/v1/devices/no-such-device/challenges",
        b"",
        now(),
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "bad_signature")
    );

    // Missing signing headers.
    let r = Reply_of(
        a.http
            .get(format!("{}{target}", s.url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "malformed_signature")
    );
}

#[allow(non_snake_case)]
async fn Reply_of(r: reqwest::Response) -> Reply {
    let status = r.status();
    let body = r.json().await.unwrap_or(serde_json::Value::Null);
    Reply { status, body }
}

async fn revoked_device_gets_device_not_activated_only_with_a_valid_signature(db: Db) {
    let (_dir, s) = Server::temp(&db, "");
    let a = user_with_device(&s, "heidi").await;
    assert_eq!(a.deactivate().await.status, StatusCode::NO_CONTENT);
    let target = format!("/v1/devices/{}/challenges?since=0&wait=0", a.id);
    let r = a.call(Method::GET, &target, b"").await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::GONE, "device_not_activated")
    );
    let stranger = SigningKey::generate().unwrap();
    let (r, _) = signed_call(
        &a.http,
        &s.url,
        &stranger,
        Some(&a.id),
        Method::GET,
        &target,
        b"",
        now(),
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "bad_signature")
    );

    // An admin reset revokes the user's devices the same way.
    let b = user_with_device(&s, "ivan").await;
    let reset = s
        .rp()
        .call(Method::POST, "/v1/users/ivan/reset", None)
        .await;
    assert_eq!(reset.status, StatusCode::OK);
    let r = b
        .call(
            Method::GET,
            &format!("/v1/devices/{}/challenges", b.id),
            b"",
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::GONE, "device_not_activated")
    );
}

async fn second_answer_conflicts_and_expired_challenge_is_gone(db: Db) {
    let (_dir, s) = Server::temp(&db, "challenge_ttl_seconds = 1");
    let rp = s.rp();
    let mut device = user_with_device(&s, "judy").await;
    let push = rp.push("judy").await;
    let id = push.body["id"].as_str().unwrap().to_owned();
    device.poll(2).await.unwrap();
    assert_eq!(
        device.answered(&id, Decision::Deny, None).await.status,
        ChallengeStatus::Denied
    );
    let r = device
        .answer(
            &id,
            Decision::Approve,
            push.body["number"].as_u64().map(|n| n as u8),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "already_answered")
    );
    assert_eq!(rp.result(&id, 0).await.body["status"], "denied");

    let push = rp.push("judy").await;
    let id = push.body["id"].as_str().unwrap().to_owned();
    // The relying party's long-poll ends when the challenge expires.
    let result = rp.result(&id, 10).await;
    assert_eq!(result.body["status"], "expired");
    let r = device
        .answer(
            &id,
            Decision::Approve,
            push.body["number"].as_u64().map(|n| n as u8),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::GONE, "challenge_expired")
    );
    let log = rp.log("judy").await;
    assert!(
        log.iter()
            .any(|r| r["mode"] == "push" && r["result"] == "expired"),
        "{log:?}"
    );
}

async fn new_push_replaces_the_pending_one_and_fraud_blocks_pushes(db: Db) {
    let (_dir, s) = Server::temp(&db, "");
    let rp = s.rp();
    let mut device = user_with_device(&s, "ken").await;
    let first = rp.push("ken").await.body["id"].as_str().unwrap().to_owned();
    let second = rp.push("ken").await.body["id"].as_str().unwrap().to_owned();
    let first_result = rp.result(&first, 0).await;
    assert_eq!(first_result.body["status"], "replaced");
    let batch = device.poll(0).await.unwrap();
    assert_eq!(
        batch.challenges.len(),
        1,
        "only the newest challenge is pending"
    );
    assert_eq!(batch.challenges[0].challenge.id, second);

    assert_eq!(
        device
            .answered(&second, Decision::ReportFraud, None)
            .await
            .status,
        ChallengeStatus::Fraud
    );
    let blocked = rp.push("ken").await;
    assert_eq!(
        (blocked.status, blocked.code()),
        (StatusCode::FORBIDDEN, "fraud_blocked")
    );
    let unblock = rp.call(Method::POST, "/v1/users/ken/unblock", None).await;
    assert_eq!(unblock.status, StatusCode::OK);
    assert_eq!(rp.push("ken").await.status, StatusCode::CREATED);
}

async fn pushes_are_rate_limited_per_user(db: Db) {
    let (_dir, s) = Server::temp(&db, "pushes_per_minute = 3");
    let rp = s.rp();
    user_with_device(&s, "leo").await;
    user_with_device(&s, "mia").await;
    for _ in 0..3 {
        assert_eq!(rp.push("leo").await.status, StatusCode::CREATED);
    }
    let limited = rp.push("leo").await;
    assert_eq!(
        (limited.status, limited.code()),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    assert_eq!(
        rp.push("mia").await.status,
        StatusCode::CREATED,
        "other users are not limited"
    );
}

async fn an_answer_whose_client_hangs_up_is_committed_with_its_log_row(db: Db) {
    // The server pauses 1.5 s inside the answer (fault injection), the device gives up after
    // 300 ms and closes the connection. The answer must still be recorded, with its log row.
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_with_env(
        &db,
        dir.path(),
        "",
        &[("COUNTERSIGN_FAULT_ANSWER_DELAY_MS", "1500")],
    );
    let rp = s.rp();
    let mut device = user_with_device(&s, "oscar").await;
    let push = rp.push("oscar").await;
    let id = push.body["id"].as_str().unwrap().to_owned();
    let number = push.body["number"].as_u64().unwrap() as u8;
    assert_eq!(device.poll(5).await.unwrap().challenges.len(), 1);

    let impatient = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let body = serde_json::to_vec(&countersign_protocol::wire::AnswerRequest {
        decision: Decision::Approve,
        number: Some(number),
    })
    .unwrap();
    let target = format!("/v1/challenges/{id}/answer");
    let signed = countersign_protocol::SignedRequest::sign(
        &device.key,
        Some(&device.id),
        "POST",
        &target,
        &body,
        now(),
    )
    .unwrap();
    let mut req = impatient
        .post(format!("{}{target}", s.url))
        .header("content-type", "application/json")
        .body(body);
    for (name, value) in signed.headers() {
        req = req.header(name, value);
    }
    let hung_up = req.send().await;
    assert!(
        hung_up.as_ref().is_err_and(|e| e.is_timeout()),
        "the client gave up before the answer was done: {hung_up:?}"
    );

    let result = rp.result(&id, 10).await;
    assert_eq!(result.body["status"], "approved", "{result:?}");
    let pushes: Vec<_> = rp
        .log("oscar")
        .await
        .into_iter()
        .filter(|r| r["mode"] == "push")
        .collect();
    assert_eq!(pushes.len(), 1, "{pushes:?}");
    assert_eq!(pushes[0]["result"], "accepted");
    assert_eq!(pushes[0]["device_id"], device.id.as_str());
}

/// How soon a removal must end a long-poll that would otherwise wait 40 s: the in-process
/// wake-up takes milliseconds, a removal by another process at most one housekeeping round.
const ENDS_AT_ONCE: Duration = Duration::from_secs(3);

fn assert_ended_not_activated(reply: &Reply, took: Duration, what: &str) {
    assert_eq!(reply.status, StatusCode::GONE, "{what}: {reply:?}");
    assert_eq!(reply.code(), "device_not_activated", "{what}");
    assert!(
        took < ENDS_AT_ONCE,
        "{what}: the long-poll ended {took:?} after the removal"
    );
}

async fn an_open_long_poll_ends_with_device_not_activated_when_its_user_is_reset(db: Db) {
    let (_dir, s) = Server::temp(&db, "");
    let device = user_with_device(&s, "rita").await;
    let (reply, took) = long_poll_ended_by(&device, &s.url, async {
        let r = s
            .rp()
            .call(Method::POST, "/v1/users/rita/reset", None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{r:?}");
    })
    .await;
    assert_ended_not_activated(&reply, took, "API reset");
}

async fn a_relying_party_waiting_for_a_result_hears_at_once_when_the_user_is_reset_or_deleted(
    db: Db,
) {
    let (_dir, s) = Server::temp(&db, "");
    let rp = s.rp();
    for (user, delete) in [("rose", false), ("ross", true)] {
        user_with_device(&s, user).await;
        let push = rp.push(user).await;
        let id = push.body["id"].as_str().unwrap().to_owned();
        let (result, took) = result_wait_ended_by(&rp, &s.url, &id, async {
            let r = if delete {
                rp.call(Method::DELETE, &format!("/v1/users/{user}"), None)
                    .await
            } else {
                rp.call(Method::POST, &format!("/v1/users/{user}/reset"), None)
                    .await
            };
            assert!(r.status.is_success(), "{r:?}");
        })
        .await;
        assert!(
            took < ENDS_AT_ONCE,
            "{user}: the wait ended {took:?} after the removal"
        );
        assert_removal_seen(&result, delete);
    }
}

async fn an_open_long_poll_ends_with_device_not_activated_when_its_user_is_deleted(db: Db) {
    let (_dir, s) = Server::temp(&db, "");
    let device = user_with_device(&s, "dora").await;
    let (reply, took) = long_poll_ended_by(&device, &s.url, async {
        let r = s.rp().call(Method::DELETE, "/v1/users/dora", None).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{r:?}");
    })
    .await;
    assert_ended_not_activated(&reply, took, "API delete");
}

async fn an_open_long_poll_ends_with_device_not_activated_when_the_device_deactivates(db: Db) {
    let (_dir, s) = Server::temp(&db, "");
    let device = user_with_device(&s, "dean").await;
    let (reply, took) = long_poll_ended_by(&device, &s.url, async {
        let r = device.deactivate().await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{r:?}");
    })
    .await;
    assert_ended_not_activated(&reply, took, "deactivation");
}

async fn an_open_long_poll_ends_with_device_not_activated_when_an_admin_command_resets_or_deletes_its_user(
    db: Db,
) {
    let (_dir, s) = Server::temp(&db, "long_poll_recheck_seconds = 600");
    for (user, command) in [("cleo", "reset"), ("carl", "delete")] {
        let device = user_with_device(&s, user).await;
        let (reply, took) = long_poll_ended_by(&device, &s.url, async {
            let dir = s.dir.clone();
            let (ok, out, err) =
                tokio::task::spawn_blocking(move || admin(&dir, &["user", command, user]))
                    .await
                    .unwrap();
            assert!(ok, "user {command}: {out} {err}");
        })
        .await;
        assert_ended_not_activated(&reply, took, &format!("admin command user {command}"));
    }
}

on_both_databases!(
    an_answer_whose_client_hangs_up_is_committed_with_its_log_row,
    whole_flow_activation_push_long_poll_signed_answer_result,
    approving_with_the_wrong_number_denies_the_sign_in,
    tls_fingerprint_printed_is_the_served_certificate,
    activation_code_is_single_use,
    activation_code_expires,
    forged_device_requests_are_refused_with_their_codes,
    revoked_device_gets_device_not_activated_only_with_a_valid_signature,
    second_answer_conflicts_and_expired_challenge_is_gone,
    new_push_replaces_the_pending_one_and_fraud_blocks_pushes,
    pushes_are_rate_limited_per_user,
    an_open_long_poll_ends_with_device_not_activated_when_its_user_is_reset,
    an_open_long_poll_ends_with_device_not_activated_when_its_user_is_deleted,
    a_relying_party_waiting_for_a_result_hears_at_once_when_the_user_is_reset_or_deleted,
    an_open_long_poll_ends_with_device_not_activated_when_the_device_deactivates,
    an_open_long_poll_ends_with_device_not_activated_when_an_admin_command_resets_or_deletes_its_user,
);
