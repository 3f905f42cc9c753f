//! Code verification against the real binary: TOTP once only, back-off and lockout, hardware
//! tokens (CSV import, assignment, HOTP look-ahead and resynchronisation), app passwords.

#[macro_use]
mod support;

use countersign_oath::{Algorithm, Digits, Otp, Secret};
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::*;

async fn enrol(rp: &Rp, user: &str) -> Otp {
    assert_eq!(rp.create_user(user).await.status, StatusCode::CREATED);
    let r = rp
        .call(
            Method::POST,
            &format!("/v1/users/{user}/totp"),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    let uri = r.body["uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    let secret = Secret::from_base32(r.body["secret"].as_str().unwrap()).unwrap();
    Otp::new_totp(
        secret,
        Algorithm::Sha1,
        Digits::new(6).unwrap(),
        countersign_oath::Period::new(30).unwrap(),
    )
}

async fn totp_code_is_accepted_once_and_a_replay_is_refused(db: Db) {
    let (_dir, s) = Server::temp(&db, "");
    let rp = s.rp();
    let otp = enrol(&rp, "alice").await;
    let code = otp.code_at(now());
    let ok = rp.verify("alice", code.as_str()).await;
    assert_eq!(ok.status, StatusCode::OK, "{ok:?}");
    assert_eq!(ok.body["mode"], "totp");
    let replay = rp.verify("alice", code.as_str()).await;
    assert_eq!(
        (replay.status, replay.code()),
        (StatusCode::CONFLICT, "code_reused")
    );
    // The previous step's code is inside the ±1 window but older than the accepted one.
    let older = otp.code_at(now() - 30);
    let r = rp.verify("alice", older.as_str()).await;
    assert_eq!(r.code(), "code_reused");

    let log = rp.log("alice").await;
    assert!(log
        .iter()
        .any(|r| r["result"] == "accepted" && r["mode"] == "totp"));
    assert!(log
        .iter()
        .any(|r| r["result"] == "denied" && r["reason"] == "code_reused"));
    assert_eq!(log[0]["client_ip"], "198.51.100.1");
}

async fn codes_outside_the_one_step_window_are_wrong(db: Db) {
    let (_dir, s) = Server::temp(&db, "");
    let rp = s.rp();
    let otp = enrol(&rp, "bob").await;
    let far = otp.code_at(now() + 90);
    let r = rp.verify("bob", far.as_str()).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "wrong_code"));
    let next = otp.code_at(now() + 30);
    assert_eq!(rp.verify("bob", next.as_str()).await.status, StatusCode::OK);
}

async fn failed_attempts_back_off_then_lock_out_until_unblocked(db: Db) {
    let (_dir, s) = Server::temp(
        &db,
        "throttle_free_failures = 2\nthrottle_max_seconds = 1\nlockout_failures = 4",
    );
    let rp = s.rp();
    let otp = enrol(&rp, "carol").await;
    // Two free failures, then back-off.
    for _ in 0..2 {
        assert_eq!(rp.verify("carol", "000000").await.code(), "wrong_code");
    }
    assert_eq!(rp.verify("carol", "000000").await.code(), "wrong_code");
    let throttled = rp.verify("carol", otp.code_at(now()).as_str()).await;
    assert_eq!(
        (throttled.status, throttled.code()),
        (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts")
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(rp.verify("carol", "000000").await.code(), "wrong_code");
    // Four consecutive failures: locked, even with a right code, until an admin unblocks.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let locked = rp.verify("carol", otp.code_at(now()).as_str()).await;
    assert_eq!(
        (locked.status, locked.code()),
        (StatusCode::LOCKED, "locked_out")
    );
    let (ok, out, err) = s.admin(&["user", "unblock", "carol"]);
    assert!(ok, "{out}{err}");
    assert_eq!(
        rp.verify("carol", otp.code_at(now()).as_str()).await.status,
        StatusCode::OK
    );
}

async fn verification_errors_name_the_problem(db: Db) {
    let (_dir, s) = Server::temp(&db, "");
    let rp = s.rp();
    let r = rp.verify("nobody", "123456").await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::NOT_FOUND, "unknown_user")
    );
    rp.create_user("dan").await;
    let r = rp.verify("dan", "123456").await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "no_factor"));
    let r = rp
        .call(
            Method::POST,
            "/v1/users/dan/verify",
            Some(json!({"kode": "1"})),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "malformed_body")
    );
    let r = rp
        .http
        .post(format!("{}/v1/users/dan/verify", rp.base))
        .bearer_auth(API_KEY)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "malformed_body");
    let no_key = Rp {
        http: http(),
        base: s.url.clone(),
        key: "wrong".into(),
    };
    let r = no_key.verify("dan", "123456").await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
}

async fn hardware_hotp_token_imported_from_csv_verifies_with_look_ahead_and_resyncs(db: Db) {
    let (dir, s) = Server::temp(&db, "hotp_look_ahead = 3");
    let rp = s.rp();
    rp.create_user("erin").await;
    // RFC 4226 appendix D secret, as base32.
    let csv = "serial,secret,type,counter\nHW-1,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,hotp,0\n";
    let file = dir.path().join("tokens.csv");
    std::fs::write(&file, csv).unwrap();
    let (ok, out, err) = s.admin(&["token", "import", file.to_str().unwrap(), "--format", "csv"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("imported 1 token"), "{out}");
    let (ok, out, err) = s.admin(&["token", "assign", "HW-1", "erin"]);
    assert!(ok, "{out}{err}");

    // RFC 4226 codes: counter 0 = 755224, 1 = 287082, 2 = 359152, ... 9 = 520489.
    let r = rp.verify("erin", "755224").await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(
        (r.body["mode"].as_str(), r.body["token"].as_str()),
        (Some("hardware_hotp"), Some("HW-1"))
    );
    assert_eq!(rp.verify("erin", "755224").await.code(), "code_reused");
    // Counter 3 is within the look-ahead of 3 from counter 1.
    assert_eq!(rp.verify("erin", "969429").await.status, StatusCode::OK);
    // Counter 9 is beyond it...
    assert_eq!(rp.verify("erin", "520489").await.code(), "wrong_code");
    // ...until the token is resynchronised with two consecutive codes (7 and 8).
    let (ok, out, err) = s.admin(&["token", "resync", "HW-1", "162583", "399871"]);
    assert!(ok, "{out}{err}");
    assert_eq!(rp.verify("erin", "520489").await.status, StatusCode::OK);
}

async fn app_passwords_are_created_verified_and_deleted(db: Db) {
    let (_dir, s) = Server::temp(&db, "");
    let rp = s.rp();
    rp.create_user("fay").await;
    let r = rp
        .call(
            Method::POST,
            "/v1/users/fay/app-passwords",
            Some(json!({"name": "mail"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let password = r.body["password"].as_str().unwrap().to_owned();
    let check = |p: String| {
        let rp = &rp;
        async move {
            rp.call(
                Method::POST,
                "/v1/users/fay/app-passwords/verify",
                Some(json!({"password": p})),
            )
            .await
        }
    };
    assert_eq!(check(password.clone()).await.status, StatusCode::OK);
    assert_eq!(check("nope".into()).await.code(), "wrong_password");
    let r = rp
        .call(Method::DELETE, "/v1/users/fay/app-passwords", None)
        .await;
    assert_eq!(r.body["deleted"], 1);
    assert_eq!(check(password).await.code(), "wrong_password");
}

async fn pskc_token_imported_from_rfc6030_figure_3_is_assigned_to_its_user_and_verifies(db: Db) {
    let (dir, s) = Server::temp(&db, "");
    let user = "UID=jsmith,DC=example-bank,DC=net";
    let (ok, out, err) = s.admin(&["user", "add", user]);
    assert!(ok, "{out}{err}");
    let file = dir.path().join("figure3.pskc");
    std::fs::write(
        &file,
        include_str!("../../oath/tests/data/pskc/rfc6030/figure3.xml"),
    )
    .unwrap();
    let (ok, out, err) = s.admin(&["token", "import", file.to_str().unwrap()]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("imported 1 token"), "{out}");
    let (ok, out, _) = s.admin(&["token", "list", "--user", user]);
    assert!(ok && out.contains("987654321\thotp"), "{out}");
    // RFC 4226 secret, 8 digits: counter 0 gives 84755224, counter 1 gives 94287082.
    let rp = s.rp();
    let r = rp.verify(user, "84755224").await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(r.body["token"], "987654321");
    assert_eq!(rp.verify(user, "84755224").await.code(), "code_reused");
    assert_eq!(rp.verify(user, "94287082").await.status, StatusCode::OK);
}

on_both_databases!(
    totp_code_is_accepted_once_and_a_replay_is_refused,
    codes_outside_the_one_step_window_are_wrong,
    failed_attempts_back_off_then_lock_out_until_unblocked,
    verification_errors_name_the_problem,
    hardware_hotp_token_imported_from_csv_verifies_with_look_ahead_and_resyncs,
    app_passwords_are_created_verified_and_deleted,
    pskc_token_imported_from_rfc6030_figure_3_is_assigned_to_its_user_and_verifies,
);
