//! The push commands through Tauri's IPC (`tauri::test` mock runtime), against the real
//! `countersign-server` binary on loopback (see the core's `tests/support`: build the server
//! first with `cargo build -p countersign-server` in the same target folder).
//!
//! The vaults have a password slot only (fast Argon2id), so no keystore is needed here; the app
//! window with a real Secret Service is covered by `tests/e2e/push.mjs`.

#[path = "../../crates/core/tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use countersign_core::{Password, Vault};
use serde_json::{json, Value};
use support::{Server, ServerOptions};
use tauri::test::{mock_builder, mock_context, noop_assets, MockRuntime};
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

use crate::push::PushService;

const PASSWORD: &str = "push tests password";
const NOT_ACTIVATED: &str = "Authentication request is not for an activated account";

struct Harness {
    _app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    vault_path: PathBuf,
    rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

impl Harness {
    /// An app over a fresh password-only vault, unlocked, with quick listener timings.
    fn new() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let vault_path = super::ipc::password_vault(dir.path(), PASSWORD);
        let state = super::ipc::app_state(dir.path(), &vault_path, Default::default());
        let app = crate::with_commands(mock_builder())
            .manage(state)
            .manage(PushService::new(support::fast_listener()))
            .build(mock_context(noop_assets()))
            .unwrap();
        let window = WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let harness = Harness {
            _app: app,
            window,
            vault_path,
            rt,
            _dir: dir,
        };
        harness.ok("vault_state", json!({}));
        harness.ok("unlock", json!({ "password": PASSWORD }));
        harness
    }

    fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        super::ipc::invoke(&self.window, cmd, args)
    }

    fn ok(&self, cmd: &str, args: Value) -> Value {
        super::ipc::ok(&self.window, cmd, args)
    }

    /// Polls `push_accounts` until `pick` finds something in the snapshot.
    fn wait_for<T>(&self, what: &str, mut pick: impl FnMut(&Value) -> Option<T>) -> T {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let snapshot = self.ok("push_accounts", json!({}));
            if let Some(found) = pick(&snapshot) {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {snapshot}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_for_state(&self, device: &str, state: &str) -> Value {
        self.wait_for(&format!("{device} to be {state}"), |s| {
            s["accounts"]
                .as_array()?
                .iter()
                .find(|a| a["deviceId"] == device && a["state"]["state"] == state)
                .cloned()
        })
    }

    fn wait_for_pending(&self, id: &str) -> Value {
        self.wait_for(&format!("request {id}"), |s| {
            s["pending"]
                .as_array()?
                .iter()
                .find(|c| c["id"] == id)
                .cloned()
        })
    }

    /// A server with `user`, and this app activated for them; returns the device id.
    fn activated(&self, user: &str) -> (Server, String) {
        self.activated_with(user, ServerOptions::default())
    }

    fn activated_with(&self, user: &str, options: ServerOptions) -> (Server, String) {
        let server = Server::start(options);
        self.rt.block_on(server.add_user(user));
        let uri = self.rt.block_on(server.activation_uri(user));
        let account = self.ok("push_activate", json!({ "uri": uri, "replace": null }));
        let device = account["deviceId"].as_str().unwrap().to_owned();
        self.wait_for_state(&device, "connected");
        (server, device)
    }

    fn vault_activations(&self) -> Vec<countersign_core::push::Activation> {
        let vault = Vault::open(
            &self.vault_path,
            &countersign_core::Unlock::password_only(Password::new(PASSWORD)),
        )
        .unwrap();
        vault.activations().to_vec()
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn an_activation_link_is_read_for_the_confirm_screen_and_a_bad_one_names_its_fault() {
    let app = Harness::new();
    let server = Server::start(ServerOptions::default());
    app.rt.block_on(server.add_user("alice"));
    let uri = app.rt.block_on(server.activation_uri("alice"));
    let summary = app.ok(
        "push_parse_activation",
        json!({ "uri": format!(" {uri}\n") }),
    );
    assert_eq!(summary["user"], "alice");
    assert_eq!(summary["issuer"], "Test MFA");
    assert_eq!(summary["server"], format!("{}/", server.url));
    let fingerprint = summary["keyFingerprint"].as_str().unwrap();
    assert_eq!(fingerprint.split(':').count(), 32, "{fingerprint}");
    assert_eq!(
        summary["tlsFingerprint"]
            .as_str()
            .unwrap()
            .replace(':', "")
            .to_lowercase(),
        server.tls.to_string()
    );
    assert!(app.vault_activations().is_empty(), "reading stores nothing");

    let without_fp = uri
        .split('&')
        .filter(|p| !p.starts_with("fp="))
        .collect::<Vec<_>>()
        .join("&");
    let error = app
        .invoke("push_parse_activation", json!({ "uri": without_fp }))
        .unwrap_err();
    assert_eq!(error["code"], "invalid_activation_uri", "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("fp"),
        "the message names the missing parameter: {error}"
    );
    assert_eq!(
        error.as_object().unwrap().len(),
        2,
        "exactly code and message"
    );
}

#[test]
fn activate_receive_and_approve_with_the_number_reaches_the_relying_party() {
    let app = Harness::new();
    let (server, device) = app.activated("alice");
    let stored = app.vault_activations();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].device_id, device);
    assert_eq!(stored[0].label, "Test MFA: alice");

    let (id, number) = app.rt.block_on(server.push("alice", "Intranet"));
    let number = number.unwrap();
    let pending = app.wait_for_pending(&id);
    assert_eq!(pending["app"], "Intranet");
    assert_eq!(pending["clientIp"], "198.51.100.7");
    assert_eq!(pending["location"], "Lisbon, PT");
    assert_eq!(pending["accountLabel"], "Test MFA: alice");
    let options: Vec<u64> = pending["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(options.len(), 3);
    assert!(options.contains(&u64::from(number)));
    let left = pending["expiresAtMs"].as_i64().unwrap() - now_ms();
    assert!((50_000..=61_000).contains(&left), "{left} ms left");

    let no_number = app
        .invoke(
            "push_answer",
            json!({ "id": id, "decision": "approve", "number": null }),
        )
        .unwrap_err();
    assert_eq!(no_number["code"], "invalid_input");
    assert_eq!(no_number["field"], "number");
    assert_eq!(
        app.rt.block_on(server.result(&id))["status"],
        "pending",
        "nothing was sent"
    );

    let answered = app.ok(
        "push_answer",
        json!({ "id": id, "decision": "approve", "number": number }),
    );
    assert_eq!(answered["outcome"], "approved");
    assert_eq!(app.rt.block_on(server.result(&id))["status"], "approved");
    let snapshot = app.ok("push_accounts", json!({}));
    assert_eq!(snapshot["pending"], json!([]));
    assert_eq!(snapshot["history"][0]["challenge"]["id"], id.as_str());
    assert_eq!(snapshot["history"][0]["outcome"], "approved");

    let again = app
        .invoke("push_answer", json!({ "id": id, "decision": "deny" }))
        .unwrap_err();
    assert_eq!(again["code"], "unknown_challenge", "{again}");
}

#[test]
fn deny_a_wrong_number_and_report_fraud_cross_to_the_server() {
    let app = Harness::new();
    let (server, _) = app.activated("bob");

    let (denied, _) = app.rt.block_on(server.push("bob", "Mail"));
    app.wait_for_pending(&denied);
    let out = app.ok(
        "push_answer",
        json!({ "id": denied, "decision": "deny", "number": null }),
    );
    assert_eq!(out["outcome"], "denied");
    assert_eq!(app.rt.block_on(server.result(&denied))["status"], "denied");

    let (wrong, number) = app.rt.block_on(server.push("bob", "Mail"));
    let pending = app.wait_for_pending(&wrong);
    let other = pending["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .find(|n| *n != u64::from(number.unwrap()))
        .unwrap();
    let out = app.ok(
        "push_answer",
        json!({ "id": wrong, "decision": "approve", "number": other }),
    );
    assert_eq!(out["outcome"], "denied", "a wrong number denies");
    assert_eq!(app.rt.block_on(server.result(&wrong))["status"], "denied");

    let (fraud, _) = app.rt.block_on(server.push("bob", "Payroll"));
    app.wait_for_pending(&fraud);
    let out = app.ok(
        "push_answer",
        json!({ "id": fraud, "decision": "report_fraud", "number": null }),
    );
    assert_eq!(out["outcome"], "fraud");
    assert_eq!(app.rt.block_on(server.result(&fraud))["status"], "fraud");
    assert_eq!(
        app.rt.block_on(server.try_push("bob", "Payroll")).0,
        403,
        "fraud blocks later pushes"
    );
}

#[test]
fn a_user_reset_shows_not_activated_and_re_adding_takes_the_old_name_and_place() {
    let app = Harness::new();
    let (server, old) = app.activated("carol");
    app.rt.block_on(server.reset_user("carol"));
    let account = app.wait_for_state(&old, "not_activated");
    assert!(
        account["state"]["message"]
            .as_str()
            .unwrap()
            .starts_with(NOT_ACTIVATED),
        "{account}"
    );
    // Remembered in the vault, so a restart shows it too.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !app.vault_activations()[0].not_activated {
        assert!(Instant::now() < deadline, "not_activated was not saved");
        std::thread::sleep(Duration::from_millis(50));
    }

    let uri = app.rt.block_on(server.activation_uri("carol"));
    let new = app.ok("push_activate", json!({ "uri": uri, "replace": old }));
    let new_device = new["deviceId"].as_str().unwrap().to_owned();
    assert_ne!(new_device, old);
    assert_eq!(new["label"], account["label"]);
    assert_eq!(new["position"], account["position"]);
    let stored = app.vault_activations();
    assert_eq!(stored.len(), 1, "the old activation and its key are gone");
    assert_eq!(stored[0].device_id, new_device);
    app.wait_for_state(&new_device, "connected");
    let snapshot = app.ok("push_accounts", json!({}));
    assert_eq!(snapshot["accounts"].as_array().unwrap().len(), 1);

    let (id, number) = app.rt.block_on(server.push("carol", "VPN"));
    app.wait_for_pending(&id);
    app.ok(
        "push_answer",
        json!({ "id": id, "decision": "approve", "number": number }),
    );
    assert_eq!(app.rt.block_on(server.result(&id))["status"], "approved");
}

#[test]
fn remove_deactivates_the_device_on_the_server_and_deletes_the_key() {
    let app = Harness::new();
    let (server, device) = app.activated("dave");
    let removed = app.ok("push_remove", json!({ "deviceId": device }));
    assert_eq!(
        removed,
        json!({ "label": "Test MFA: dave", "deferred": false, "message": null })
    );
    assert!(app.vault_activations().is_empty());
    assert_eq!(app.ok("push_accounts", json!({}))["accounts"], json!([]));
    let (status, body) = app.rt.block_on(server.try_push("dave", "VPN"));
    assert_eq!(status, 409, "the server no longer has a device: {body}");

    let again = app
        .invoke("push_remove", json!({ "deviceId": device }))
        .unwrap_err();
    assert_eq!(again["code"], "unknown_activation");
}

#[test]
fn answering_needs_the_vault_open_and_the_request_waits_meanwhile() {
    let app = Harness::new();
    let (server, _) = app.activated("erin");
    let (id, number) = app.rt.block_on(server.push("erin", "Wiki"));
    app.wait_for_pending(&id);
    app.ok("lock", json!({}));
    let refused = app
        .invoke(
            "push_answer",
            json!({ "id": id, "decision": "approve", "number": number }),
        )
        .unwrap_err();
    assert_eq!(refused["code"], "locked");
    assert_eq!(app.rt.block_on(server.result(&id))["status"], "pending");
    app.ok("unlock", json!({ "password": PASSWORD }));
    let out = app.ok(
        "push_answer",
        json!({ "id": id, "decision": "approve", "number": number }),
    );
    assert_eq!(out["outcome"], "approved");
}

#[test]
fn an_unanswered_request_moves_to_the_history_as_expired() {
    let app = Harness::new();
    let (server, _) = app.activated_with(
        "frank",
        ServerOptions {
            challenge_ttl: 3,
            ..ServerOptions::default()
        },
    );
    let (id, number) = app.rt.block_on(server.push("frank", "Git"));
    app.wait_for_pending(&id);
    let entry = app.wait_for("the request to expire", |s| {
        s["history"]
            .as_array()?
            .iter()
            .find(|h| h["challenge"]["id"] == id.as_str())
            .cloned()
    });
    assert_eq!(entry["outcome"], "expired");
    assert_eq!(app.ok("push_accounts", json!({}))["pending"], json!([]));
    let late = app
        .invoke(
            "push_answer",
            json!({ "id": id, "decision": "approve", "number": number }),
        )
        .unwrap_err();
    assert_eq!(late["code"], "unknown_challenge", "{late}");
}
