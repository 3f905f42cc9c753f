//! Not activated, remove, re-add: against the real server on loopback.

mod support;

use std::time::Duration;

use countersign_core::push::store::{self, Removal};
use countersign_core::push::{
    AnswerOutcome, ChallengeStatus, ConnectionState, Decision, Listener, PendingActivation,
    PushError, PushEvent, TransportOptions,
};
use support::{fast_listener, next_challenge, next_matching, Server, ServerOptions};
use tokio::sync::mpsc;

const SECOND: Duration = Duration::from_secs(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_reset_shows_not_activated_and_remove_then_re_add_works_again_and_again() {
    let server = Server::start(ServerOptions::default());
    server.add_user("alice").await;
    let dir = tempfile::tempdir().unwrap();
    let mut vault = support::vault(&dir);
    let transport = TransportOptions::default();
    let first = PendingActivation::parse(&server.activation_uri("alice").await).unwrap();
    store::add_activation(
        &mut vault,
        first.activate("phone", &transport).await.unwrap(),
        None,
    )
    .unwrap();
    // The user named it and moved it.
    vault
        .edit_activations(|list| {
            list[0].label = "Work sign-ins".into();
            list[0].position = 7;
            Ok(())
        })
        .unwrap();

    for round in 0..3 {
        let current = store::visible(&vault)[0].clone();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let listener = Listener::spawn(&current, fast_listener(), tx).unwrap();
        let (id, number) = server.push("alice", "VPN").await;
        let c = next_challenge(&mut rx, 10 * SECOND)
            .await
            .unwrap_or_else(|| panic!("round {round}: no challenge"));
        assert_eq!(c.challenge.id, id);
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

        // The administrator resets the user: the server forgets the device.
        server.reset_user("alice").await;
        let message = next_matching(&mut rx, 10 * SECOND, |e| match e {
            PushEvent::State {
                state: ConnectionState::NotActivated { message },
                ..
            } => Some(message.clone()),
            _ => None,
        })
        .await
        .unwrap_or_else(|| panic!("round {round}: not-activated never shown"));
        assert!(
            message.starts_with("Authentication request is not for an activated account"),
            "{message}"
        );
        let answer = listener.client().answer(&id, Decision::Deny, None).await;
        assert!(
            matches!(answer, Err(PushError::NotActivated { .. })),
            "{answer:?}"
        );
        assert!(store::mark_not_activated(&mut vault, &current.device_id).unwrap());
        listener.stop().await;

        // One flow: remove it and scan the new activation QR.
        let fresh = PendingActivation::parse(&server.activation_uri("alice").await).unwrap();
        let replaced =
            store::replace_activation(&mut vault, &current.device_id, &fresh, "phone", &transport)
                .await
                .unwrap();
        assert_ne!(replaced.device_id, current.device_id);
        assert_eq!(
            replaced.label, "Work sign-ins",
            "round {round}: the name was lost"
        );
        assert_eq!(replaced.position, 7, "round {round}: the place was lost");
        assert!(!replaced.not_activated);
        assert_eq!(
            vault.activations().len(),
            1,
            "round {round}: the old keys were kept"
        );
        assert_ne!(*vault.activations()[0].device_key, *current.device_key);
    }

    // And the last one works.
    let current = store::visible(&vault)[0].clone();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let listener = Listener::spawn(&current, fast_listener(), tx).unwrap();
    let (id, number) = server.push("alice", "VPN").await;
    assert_eq!(
        next_challenge(&mut rx, 10 * SECOND)
            .await
            .unwrap()
            .challenge
            .id,
        id
    );
    listener
        .client()
        .answer(&id, Decision::Approve, number)
        .await
        .unwrap();
    assert_eq!(server.result(&id).await["status"], "approved");
}

#[tokio::test]
async fn removing_an_account_deactivates_the_device_on_the_server_and_deletes_its_key() {
    let server = Server::start(ServerOptions::default());
    server.add_user("alice").await;
    let dir = tempfile::tempdir().unwrap();
    let mut vault = support::vault(&dir);
    let transport = TransportOptions::default();
    let pending = PendingActivation::parse(&server.activation_uri("alice").await).unwrap();
    let activation = pending.activate("phone", &transport).await.unwrap();
    store::add_activation(&mut vault, activation.clone(), None).unwrap();
    let removal = store::remove_activation(&mut vault, &activation.device_id, &transport)
        .await
        .unwrap();
    assert!(matches!(removal, Removal::Done(_)), "{removal:?}");
    assert!(vault.activations().is_empty());
    let (status, body) = server.try_push("alice", "VPN").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("no_device")),
        "{body}"
    );
}

#[tokio::test]
async fn a_removal_while_offline_hides_the_account_and_is_retried_later() {
    let mut server = Server::start(ServerOptions::default());
    server.add_user("alice").await;
    let dir = tempfile::tempdir().unwrap();
    let mut vault = support::vault(&dir);
    let transport = TransportOptions {
        connect_timeout: SECOND,
        request_timeout: 2 * SECOND,
        ..Default::default()
    };
    let pending = PendingActivation::parse(&server.activation_uri("alice").await).unwrap();
    let activation = pending.activate("phone", &transport).await.unwrap();
    store::add_activation(&mut vault, activation.clone(), None).unwrap();

    server.kill();
    let removal = store::remove_activation(&mut vault, &activation.device_id, &transport)
        .await
        .unwrap();
    assert!(matches!(removal, Removal::Deferred(..)), "{removal:?}");
    assert!(
        store::visible(&vault).is_empty(),
        "a removed account stays visible"
    );
    assert_eq!(
        vault.activations().len(),
        1,
        "the key is needed until the server confirms"
    );
    assert_eq!(
        store::retry_removals(&mut vault, &transport).await.unwrap(),
        1
    );

    server.start_again();
    assert_eq!(
        store::retry_removals(&mut vault, &transport).await.unwrap(),
        0
    );
    assert!(vault.activations().is_empty());
    let (status, body) = server.try_push("alice", "VPN").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("no_device")),
        "{body}"
    );
}
