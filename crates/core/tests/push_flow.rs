//! Push end to end against the real `countersign-server` on loopback: activation, approve,
//! deny, report fraud, number matching, pinning, the clock offset.

mod support;

use std::time::Duration;

use countersign_core::push::{
    store, AnswerOutcome, ChallengeStatus, ConnectionState, Decision, Listener, PendingActivation,
    PushError, PushEvent, TransportOptions,
};
use countersign_core::vault::{Unlock, Vault};
use countersign_core::Password;
use countersign_protocol::{ActivationUri, Fingerprint};
use support::{fast_listener, next_challenge, next_matching, Server, ServerOptions};
use tokio::sync::mpsc;

const SECOND: Duration = Duration::from_secs(1);

/// Starts a server with user `alice`, activates a device into a fresh vault, starts its listener.
struct Setup {
    server: Server,
    _dir: tempfile::TempDir,
    vault: Vault,
    listener: countersign_core::push::ListenerHandle,
    events: mpsc::UnboundedReceiver<PushEvent>,
}

async fn setup() -> Setup {
    let server = Server::start(ServerOptions::default());
    server.add_user("alice").await;
    let uri = server.activation_uri("alice").await;
    let pending = PendingActivation::parse(&uri).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut vault = support::vault(&dir);
    let activation = pending
        .activate("test phone", &TransportOptions::default())
        .await
        .unwrap();
    store::add_activation(&mut vault, activation.clone(), None).unwrap();
    let (tx, events) = mpsc::unbounded_channel();
    let listener = Listener::spawn(&vault.activations()[0], fast_listener(), tx).unwrap();
    Setup {
        server,
        _dir: dir,
        vault,
        listener,
        events,
    }
}

impl Setup {
    /// Answers challenge `id` through the listener's client, checks the server recorded it with
    /// `expected` status, and returns what the relying party's result poll sees.
    async fn answer(
        &self,
        id: &str,
        decision: Decision,
        number: Option<u8>,
        expected: ChallengeStatus,
    ) -> serde_json::Value {
        let outcome = self
            .listener
            .client()
            .answer(id, decision, number)
            .await
            .unwrap();
        assert_eq!(outcome, AnswerOutcome::Recorded { status: expected });
        self.server.result(id).await
    }
}

#[tokio::test]
async fn activation_push_and_approval_with_the_right_number_reach_the_relying_party() {
    let server = Server::start(ServerOptions::default());
    server.add_user("alice").await;
    let uri = server.activation_uri("alice").await;

    // What the user confirms: server, user, issuer and the key fingerprint.
    let pending = PendingActivation::parse(&uri).unwrap();
    let summary = pending.summary();
    assert_eq!(summary.server, format!("{}/", server.url));
    assert_eq!(summary.user, "alice");
    assert_eq!(summary.issuer, "Test MFA");
    assert_eq!(
        summary.tls_fingerprint.as_deref(),
        Some(server.tls.colon_hex().as_str())
    );
    assert_eq!(summary.key_fingerprint.len(), 32 * 3 - 1);

    let (status, body) = server.try_push("alice", "Corporate VPN").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("no_device")),
        "{body}"
    );

    let dir = tempfile::tempdir().unwrap();
    let mut vault = support::vault(&dir);
    let activation = pending
        .activate("test phone", &TransportOptions::default())
        .await
        .unwrap();
    store::add_activation(&mut vault, activation, None).unwrap();

    // The activation survives closing and reopening the vault.
    let path = dir.path().join("vault.csv1");
    drop(vault);
    let vault = Vault::open(&path, &Unlock::password_only(Password::new("pw"))).unwrap();
    let stored = vault.activations()[0].clone();
    assert_eq!(stored.user, "alice");
    assert_eq!(stored.label, "Test MFA: alice");
    assert_eq!(stored.tls_fingerprint, server.tls.to_string());

    let (tx, mut rx) = mpsc::unbounded_channel();
    let listener = Listener::spawn(&stored, fast_listener(), tx).unwrap();
    let connected = next_matching(&mut rx, 10 * SECOND, |e| match e {
        PushEvent::State {
            state: ConnectionState::Connected { .. },
            ..
        } => Some(()),
        _ => None,
    })
    .await;
    assert!(connected.is_some(), "the listener never connected");

    let (id, number) = server.push("alice", "Corporate VPN").await;
    let number = number.expect("number matching is on by default");
    let incoming = next_challenge(&mut rx, 10 * SECOND)
        .await
        .expect("challenge delivered");
    assert_eq!(incoming.challenge.id, id);
    assert_eq!(incoming.challenge.app, "Corporate VPN");
    assert_eq!(incoming.challenge.user, "alice");
    assert_eq!(
        incoming.challenge.client_ip.as_deref(),
        Some("198.51.100.7")
    );
    assert_eq!(incoming.challenge.location.as_deref(), Some("Lisbon, PT"));
    assert_eq!(incoming.challenge.options.len(), 3);
    assert!(incoming.challenge.options.contains(&number));
    assert!(incoming.millis_left(countersign_now_ms()) > 50_000);

    let outcome = listener
        .client()
        .answer(&id, Decision::Approve, Some(number))
        .await
        .unwrap();
    assert_eq!(
        outcome,
        AnswerOutcome::Recorded {
            status: ChallengeStatus::Approved
        }
    );
    let result = server.result(&id).await;
    assert_eq!(result["status"], "approved", "{result}");
    assert_eq!(result["device"], stored.device_id.as_str());

    // A second answer is refused, not recorded twice.
    let again = listener.client().answer(&id, Decision::Deny, None).await;
    assert!(
        matches!(again, Err(PushError::AlreadyAnswered)),
        "{again:?}"
    );
    assert_eq!(server.result(&id).await["status"], "approved");
    listener.stop().await;
}

fn countersign_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test]
async fn deny_is_reported_to_the_relying_party_as_user_denied() {
    let mut s = setup().await;
    let (id, _) = s.server.push("alice", "Mail").await;
    let c = next_challenge(&mut s.events, 10 * SECOND).await.unwrap();
    assert_eq!(c.challenge.id, id);
    let r = s
        .answer(&id, Decision::Deny, None, ChallengeStatus::Denied)
        .await;
    assert_eq!(
        (r["status"].as_str(), r["reason"].as_str()),
        (Some("denied"), Some("user_denied")),
        "{r}"
    );
    drop(s.vault);
}

#[tokio::test]
async fn a_wrong_number_denies_the_sign_in() {
    let mut s = setup().await;
    let (id, number) = s.server.push("alice", "Mail").await;
    let c = next_challenge(&mut s.events, 10 * SECOND).await.unwrap();
    let wrong = *c
        .challenge
        .options
        .iter()
        .find(|o| Some(**o) != number)
        .unwrap();
    let r = s
        .answer(&id, Decision::Approve, Some(wrong), ChallengeStatus::Denied)
        .await;
    assert_eq!(
        (r["status"].as_str(), r["reason"].as_str()),
        (Some("denied"), Some("wrong_number")),
        "{r}"
    );
}

#[tokio::test]
async fn reporting_fraud_blocks_later_pushes() {
    let mut s = setup().await;
    let (id, _) = s.server.push("alice", "Payroll").await;
    next_challenge(&mut s.events, 10 * SECOND).await.unwrap();
    let r = s
        .answer(&id, Decision::ReportFraud, None, ChallengeStatus::Fraud)
        .await;
    assert_eq!(r["status"], "fraud", "{r}");
    let (status, body) = s.server.try_push("alice", "Payroll").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "fraud_blocked");
    // Nothing reaches the device.
    assert!(next_challenge(&mut s.events, SECOND).await.is_none());
}

#[tokio::test]
async fn a_server_key_that_does_not_match_the_fingerprint_is_refused_and_nothing_is_stored() {
    let server = Server::start(ServerOptions::default());
    server.add_user("alice").await;
    let mut uri = ActivationUri::parse(&server.activation_uri("alice").await).unwrap();
    uri.fingerprint = Fingerprint::of(b"some other key");
    let pending = PendingActivation::parse(&uri.to_uri()).unwrap();
    let err = pending
        .activate("phone", &TransportOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, PushError::ServerKeyMismatch), "{err:?}");
    assert_eq!(err.code(), "server_key_mismatch");
}

#[tokio::test]
async fn a_tls_certificate_other_than_the_pinned_one_is_refused() {
    let server = Server::start(ServerOptions::default());
    server.add_user("alice").await;
    let mut uri = ActivationUri::parse(&server.activation_uri("alice").await).unwrap();
    uri.tls = Some(Fingerprint::of(b"another certificate"));
    let pending = PendingActivation::parse(&uri.to_uri()).unwrap();
    let err = pending
        .activate("phone", &TransportOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, PushError::TlsPinMismatch { .. }), "{err:?}");
    // The code was not burnt: the genuine server still takes it.
    uri.tls = Some(server.tls);
    let ok = PendingActivation::parse(&uri.to_uri())
        .unwrap()
        .activate("phone", &TransportOptions::default())
        .await;
    assert!(ok.is_ok(), "{ok:?}");
}

#[tokio::test]
async fn an_activation_code_works_once() {
    let server = Server::start(ServerOptions::default());
    server.add_user("alice").await;
    let pending = PendingActivation::parse(&server.activation_uri("alice").await).unwrap();
    pending
        .activate("phone", &TransportOptions::default())
        .await
        .unwrap();
    let err = pending
        .activate("phone", &TransportOptions::default())
        .await
        .unwrap_err();
    match err {
        PushError::Server { code, .. } => assert_eq!(code, "activation_used"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_clock_offset_to_the_server_is_measured() {
    let mut s = setup().await;
    let offset = next_matching(&mut s.events, 10 * SECOND, |e| match e {
        PushEvent::Clock { offset, .. } => Some(*offset),
        _ => None,
    })
    .await
    .expect("a clock event");
    // Same machine, same clock: the true offset is 0 and must lie within the stated bounds.
    assert!(
        offset.offset_ms.abs() <= offset.uncertainty_ms,
        "{offset:?}"
    );
    assert!(offset.uncertainty_ms <= 1000, "{offset:?}");
    assert!(!offset.endangers_totp);
    let live = s.listener.client().clock_offset().unwrap();
    assert!(live.offset_ms.abs() <= live.uncertainty_ms);
}
