//! A server restart in the middle of a flow loses nothing that was committed.

#[macro_use]
mod support;

use countersign_oath::{Algorithm, Digits, Otp, Period, Secret};
use countersign_protocol::wire::{ChallengeStatus, Decision};
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::*;

async fn crash_and_restart_mid_flow_loses_nothing_committed(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_on(&db, dir.path(), "");
    let rp = s.rp();
    rp.create_user("alice").await;
    let uri = rp.activation("alice").await;
    let mut device = Device::activate(&uri, &s.url).await.unwrap();
    let totp = rp
        .call(Method::POST, "/v1/users/alice/totp", Some(json!({})))
        .await;
    let secret = Secret::from_base32(totp.body["secret"].as_str().unwrap()).unwrap();
    let otp = Otp::new_totp(
        secret,
        Algorithm::Sha1,
        Digits::new(6).unwrap(),
        Period::new(30).unwrap(),
    );
    let code = otp.code_at(now());
    assert_eq!(
        rp.verify("alice", code.as_str()).await.status,
        StatusCode::OK
    );
    let push = rp.push("alice").await;
    let id = push.body["id"].as_str().unwrap().to_owned();
    let number = push.body["number"].as_u64().unwrap() as u8;
    let server_key = device.server_key;

    // Crash: SIGKILL, no graceful shutdown.
    s.kill();
    let s = Server::restart(dir.path());
    let rp = s.rp();
    device = device.with_base(&s.url);

    // The pending challenge, the device, its key and the server's signing key all survived.
    let batch = device.poll(5).await.expect("device still activated");
    assert_eq!(batch.challenges.len(), 1);
    assert_eq!(batch.challenges[0].challenge.id, id);
    batch.challenges[0]
        .verify(&server_key, now())
        .expect("same server key after restart");
    assert_eq!(
        device
            .answered(&id, Decision::Approve, Some(number))
            .await
            .status,
        ChallengeStatus::Approved
    );
    assert_eq!(rp.result(&id, 0).await.body["status"], "approved");
    // The accepted TOTP step survived: the code is still refused as reused.
    assert_eq!(
        rp.verify("alice", code.as_str()).await.code(),
        "code_reused"
    );
    // The log kept every row.
    let log = rp.log("alice").await;
    assert!(log
        .iter()
        .any(|r| r["mode"] == "totp" && r["result"] == "accepted"));
    assert!(log
        .iter()
        .any(|r| r["mode"] == "push" && r["result"] == "accepted"));
}

on_both_databases!(crash_and_restart_mid_flow_loses_nothing_committed,);
