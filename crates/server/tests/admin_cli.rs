//! The admin commands of the real binary, against a running server's data folder.

#[macro_use]
mod support;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use support::*;

async fn admin_commands_manage_users_keys_activations_and_report(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_on(&db, dir.path(), "");

    let (ok, out, err) = s.admin(&[
        "user",
        "add",
        "alice",
        "--first-name",
        "Alice",
        "--email",
        "alice@example.com",
    ]);
    assert!(ok, "{out}{err}");
    let (ok, _, err) = s.admin(&["user", "add", "alice"]);
    assert!(!ok && err.contains("exists already"), "{err}");
    let (ok, out, _) = s.admin(&["--json", "user", "list"]);
    assert!(ok);
    let users: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(users[0]["id"], "alice");
    assert_eq!(users[0]["email"], "alice@example.com");

    // An API key made by the CLI works against the running server; a wrong one does not.
    let (ok, key, err) = s.admin(&["apikey", "create", "--name", "tests"]);
    assert!(ok, "{err}");
    let key = key.trim().to_owned();
    assert!(key.starts_with("csk_"), "{key}");
    let rp = Rp {
        http: http(),
        base: s.url.clone(),
        key: key.clone(),
    };
    assert_eq!(
        rp.call(Method::GET, "/v1/users/alice", None).await.status,
        StatusCode::OK
    );
    let mut wrong = key.clone();
    wrong.pop();
    let bad = Rp {
        http: http(),
        base: s.url.clone(),
        key: wrong,
    };
    assert_eq!(
        bad.call(Method::GET, "/v1/users/alice", None).await.code(),
        "unauthorized"
    );

    // Activation: URI, terminal QR code, PNG and SVG files; the URI activates a device.
    let png = dir.path().join("alice.png");
    let svg = dir.path().join("alice.svg");
    let (ok, out, err) = s.admin(&[
        "activation",
        "create",
        "alice",
        "--png",
        png.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let uri = out.lines().next().unwrap();
    assert!(
        uri.starts_with("countersign://activate?v=1&server=https"),
        "{uri}"
    );
    assert!(
        out.contains('█') || out.contains('▀') || out.contains('▄'),
        "terminal QR code printed"
    );
    assert_eq!(&std::fs::read(&png).unwrap()[..8], b"\x89PNG\r\n\x1a\n");
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
    let device = Device::activate(uri, &s.url)
        .await
        .expect("CLI activation URI works");
    let (ok, out, _) = s.admin(&["user", "show", "alice"]);
    assert!(ok && out.contains(&device.id), "{out}");

    // A push and a failed verification give log rows and report lines.
    let push = rp.push("alice").await;
    assert_eq!(push.status, StatusCode::CREATED);
    device
        .answered(
            push.body["id"].as_str().unwrap(),
            countersign_protocol::wire::Decision::Deny,
            None,
        )
        .await;
    let (ok, _, _) = s.admin(&["user", "totp", "alice"]);
    assert!(ok);
    assert_eq!(rp.verify("alice", "000000").await.code(), "wrong_code");

    let (ok, out, _) = s.admin(&["--json", "log", "--user", "alice"]);
    assert!(ok);
    let log: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(log
        .iter()
        .any(|r| r["mode"] == "push" && r["result"] == "denied" && r["reason"] == "user_denied"));
    let (ok, out, _) = s.admin(&["log", "--result", "denied"]);
    assert!(ok && out.lines().count() == 3, "{out}");

    let (ok, out, _) = s.admin(&["--json", "report", "auth"]);
    assert!(ok);
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    let total: i64 = rows.iter().map(|r| r["count"].as_i64().unwrap()).sum();
    assert_eq!(total, 2);
    let (ok, out, _) = s.admin(&["--json", "report", "usage"]);
    assert!(ok);
    let usage: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (
            usage["users_configured"].as_i64(),
            usage["verifications"].as_i64()
        ),
        (Some(1), Some(2))
    );

    // The same reports over the API, including absurd periods.
    let r = rp.call(Method::GET, "/v1/reports/usage", None).await;
    assert_eq!(r.body["verifications"], 2);
    let r = rp
        .call(
            Method::GET,
            &format!("/v1/reports/auth?from={}&to={}", i64::MIN, i64::MIN + 1),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = rp
        .call(Method::GET, "/v1/reports/auth?from=10&to=5", None)
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "invalid_period")
    );

    // Reset: the device is gone and must activate again.
    let (ok, _, _) = s.admin(&["user", "reset", "alice"]);
    assert!(ok);
    let r = device
        .call(
            Method::GET,
            &format!("/v1/devices/{}/challenges", device.id),
            b"",
        )
        .await;
    assert_eq!(r.code(), "device_not_activated");
    let (ok, _, _) = s.admin(&["user", "delete", "alice"]);
    assert!(ok);
    assert_eq!(
        rp.call(Method::GET, "/v1/users/alice", None).await.code(),
        "unknown_user"
    );
    let (ok, _, err) = s.admin(&["user", "show", "alice"]);
    assert!(!ok && err.contains("no user"), "{err}");
}

async fn openapi_health_and_metrics_are_served(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_on(&db, dir.path(), "");
    let h = http();
    let spec: Value = h
        .get(format!("{}/openapi.json", s.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = spec["paths"].as_object().unwrap();
    for p in [
        "/v1/users",
        "/v1/users/{id}/push",
        "/v1/push/{id}",
        "/v1/activate",
        "/v1/devices/{id}/challenges",
        "/v1/challenges/{id}/answer",
        "/v1/users/{id}/verify",
        "/v1/log",
    ] {
        assert!(paths.contains_key(p), "{p} missing from /openapi.json");
    }
    assert_eq!(
        h.get(format!("{}/healthz", s.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok\n"
    );
    s.rp().create_user("bob").await;
    let metrics = h
        .get(format!("{}/metrics", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("countersign_device_long_polls"),
        "{metrics}"
    );
    let r = h.get(format!("{}/nope", s.url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
}

on_both_databases!(
    admin_commands_manage_users_keys_activations_and_report,
    openapi_health_and_metrics_are_served,
);
