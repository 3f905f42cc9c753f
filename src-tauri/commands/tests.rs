//! The commands through Tauri's IPC (`tauri::test` mock runtime) over a real vault file.
//!
//! The vaults here have a password slot only (fast Argon2id parameters), so no keystore is
//! needed; the keystore path is exercised end to end in `tests/e2e` with a real Secret Service.
//! The clipboard is in memory here; the real one is checked end to end with xclip.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{json, Value};
use tauri::test::{mock_builder, mock_context, noop_assets, MockRuntime};
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

use crate::clipboard::tests::MemoryClipboard;
use crate::clipboard::TextClipboard;

const PASSWORD: &str = "correct horse battery staple";
/// RFC 4226 Appendix D secret ("12345678901234567890") in base32.
const RFC4226_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const GITHUB_URI: &str =
    "otpauth://totp/GitHub:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=GitHub";

struct Harness {
    _app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    clipboard: Arc<MemoryClipboard>,
    vault_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Harness {
    /// An app over a fresh password-only vault, not yet unlocked.
    fn new() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let vault_path = super::ipc::password_vault(dir.path(), PASSWORD);
        Harness::open(dir, vault_path)
    }

    /// Another app process over the same files (a restart).
    fn restart(self) -> Harness {
        let Harness {
            _dir, vault_path, ..
        } = self;
        Harness::open(_dir, vault_path)
    }

    fn open(dir: tempfile::TempDir, vault_path: PathBuf) -> Harness {
        let clipboard = Arc::new(MemoryClipboard::default());
        let state = super::ipc::app_state(dir.path(), &vault_path, clipboard.clone());
        let app = crate::with_commands(mock_builder())
            .manage(state)
            .build(mock_context(noop_assets()))
            .unwrap();
        let window = WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();
        Harness {
            _app: app,
            window,
            clipboard,
            vault_path,
            _dir: dir,
        }
    }

    fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        super::ipc::invoke(&self.window, cmd, args)
    }

    fn ok(&self, cmd: &str, args: Value) -> Value {
        super::ipc::ok(&self.window, cmd, args)
    }

    fn unlocked() -> Harness {
        let harness = Harness::new();
        harness.ok("vault_state", json!({}));
        harness.ok("unlock", json!({ "password": PASSWORD }));
        harness
    }

    fn add_github(&self) -> String {
        let added = self.ok("add_account_uri", json!({ "uri": GITHUB_URI }));
        added["id"].as_str().unwrap().to_owned()
    }
}

fn file_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn errors_cross_as_exactly_code_and_message() {
    let app = Harness::new();
    app.ok("vault_state", json!({}));
    let error = app
        .invoke("unlock", json!({ "password": "not it" }))
        .unwrap_err();
    assert_eq!(
        error,
        json!({ "code": "wrong_password", "message": "wrong password" })
    );
}

#[test]
fn a_vault_with_a_password_starts_locked_and_refuses_to_list() {
    let app = Harness::new();
    let state = app.ok("vault_state", json!({}));
    assert_eq!(state["unlocked"], json!(false));
    assert_eq!(state["hasPassword"], json!(true));
    assert_eq!(
        app.invoke("list_accounts", json!({})).unwrap_err()["code"],
        json!("locked")
    );
    let state = app.ok("unlock", json!({ "password": PASSWORD }));
    assert_eq!(state["unlocked"], json!(true));
    assert_eq!(app.ok("list_accounts", json!({})), json!([]));
}

#[test]
fn an_added_account_is_listed_without_its_secret() {
    let app = Harness::unlocked();
    let id = app.add_github();
    let list = app.ok("list_accounts", json!({}));
    assert_eq!(list.as_array().unwrap().len(), 1);
    let account = &list[0];
    assert_eq!(account["id"], json!(id));
    assert_eq!(account["issuer"], json!("GitHub"));
    assert_eq!(account["name"], json!("alice@example.com"));
    assert_eq!(account["kind"], json!("totp"));
    assert_eq!(account["period"], json!(30));
    assert_eq!(account["digits"], json!(6));
    let text = list.to_string();
    assert!(
        !text.contains("JBSWY3DPEHPK3PXP"),
        "the secret crossed to the UI: {text}"
    );
    assert!(account.get("secret").is_none() && account.get("otp").is_none());
}

#[test]
fn codes_are_the_current_totp_codes_with_their_expiry() {
    let app = Harness::unlocked();
    let id = app.add_github();
    let before = super::unix_now();
    let windows = app.ok("codes", json!({ "ids": [id] }));
    let window = &windows[0];
    let valid_until = window["validUntil"].as_u64().unwrap();
    assert_eq!(valid_until % 30, 0);
    assert!(valid_until > before && valid_until <= before + 31);
    let otp = countersign_oath::KeyUri::parse(GITHUB_URI).unwrap().otp;
    assert_eq!(
        window["code"],
        json!(otp.code_at(valid_until - 30).as_str())
    );
    assert_eq!(window["next"], json!(otp.code_at(valid_until).as_str()));
}

#[test]
fn a_bad_uri_names_the_uri_field_and_saves_nothing() {
    let app = Harness::unlocked();
    let before = file_bytes(&app.vault_path);
    let error = app
        .invoke(
            "add_account_uri",
            json!({ "uri": "otpauth://totp/Bad?secret=not*base32" }),
        )
        .unwrap_err();
    assert_eq!(error["code"], json!("invalid_input"));
    assert_eq!(error["field"], json!("uri"));
    assert!(
        error["message"].as_str().unwrap().contains("secret"),
        "{error}"
    );
    assert_eq!(app.ok("list_accounts", json!({})), json!([]));
    assert_eq!(file_bytes(&app.vault_path), before);
}

#[test]
fn the_manual_form_reports_each_bad_field() {
    let app = Harness::unlocked();
    let problems = app.ok(
        "validate_account",
        json!({ "account": { "issuer": "X", "name": " ", "secret": "JBSW1", "kind": "totp",
                             "algorithm": "MD5", "digits": 11, "period": null, "counter": 0 } }),
    );
    let fields: Vec<&str> = problems
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "secret", "algorithm", "digits", "period"]);
    let error = app
        .invoke(
            "add_account",
            json!({ "account": { "issuer": "X", "name": "me", "secret": "", "kind": "totp",
                                 "algorithm": "SHA1", "digits": 6, "period": 30 } }),
        )
        .unwrap_err();
    assert_eq!(error["field"], json!("secret"));
    assert_eq!(app.ok("list_accounts", json!({})), json!([]));
}

#[test]
fn hotp_codes_follow_rfc_4226_and_the_counter_is_saved() {
    let app = Harness::unlocked();
    let added = app.ok(
        "add_account",
        json!({ "account": { "issuer": "Bank", "name": "me", "secret": RFC4226_SECRET, "kind": "hotp",
                             "algorithm": "SHA1", "digits": 6, "period": 30, "counter": 0, "group": "Money" } }),
    );
    let id = added["id"].as_str().unwrap().to_owned();
    assert_eq!(added["group"], json!("Money"));
    assert_eq!(app.ok("next_hotp", json!({ "id": id })), json!("755224"));
    assert_eq!(app.ok("next_hotp", json!({ "id": id })), json!("287082"));
    assert_eq!(app.ok("copy_code", json!({ "id": id })), json!(30));
    assert_eq!(app.clipboard.read().as_deref(), Some("287082"));
    let app = app.restart();
    app.ok("unlock", json!({ "password": PASSWORD }));
    assert_eq!(app.ok("list_accounts", json!({}))[0]["counter"], json!(2));
    assert_eq!(app.ok("next_hotp", json!({ "id": id })), json!("359152"));
}

#[test]
fn copying_puts_the_current_code_on_the_clipboard_and_records_the_use() {
    let app = Harness::unlocked();
    let id = app.add_github();
    let code = app.ok("codes", json!({ "ids": [id] }))[0]["code"].clone();
    assert_eq!(app.ok("copy_code", json!({ "id": id })), json!(30));
    // The code may have rolled over between the two calls; both are the account's codes.
    let copied = app.clipboard.read().unwrap();
    let otp = countersign_oath::KeyUri::parse(GITHUB_URI).unwrap().otp;
    let now = super::unix_now();
    assert!(
        copied == code || copied == otp.code_at(now).as_str(),
        "{copied} vs {code}"
    );
    assert!(
        app.ok("list_accounts", json!({}))[0]["lastUsed"]
            .as_i64()
            .unwrap()
            >= now as i64 - 5
    );
}

#[test]
fn an_edit_survives_a_restart_and_null_clears_while_absent_keeps() {
    let app = Harness::unlocked();
    let id = app.add_github();
    app.ok(
        "update_account",
        json!({ "id": id, "patch": { "name": "alice-work", "group": "Work", "favourite": true } }),
    );
    let edited = app.ok(
        "update_account",
        json!({ "id": id, "patch": { "issuer": "GitHub Enterprise" } }),
    );
    assert_eq!(edited["group"], json!("Work"));
    let app = app.restart();
    app.ok("unlock", json!({ "password": PASSWORD }));
    let account = &app.ok("list_accounts", json!({}))[0];
    assert_eq!(account["issuer"], json!("GitHub Enterprise"));
    assert_eq!(account["name"], json!("alice-work"));
    assert_eq!(account["favourite"], json!(true));
    let cleared = app.ok(
        "update_account",
        json!({ "id": id, "patch": { "group": null } }),
    );
    assert_eq!(cleared["group"], json!(null));
    assert_eq!(cleared["name"], json!("alice-work"));
}

#[test]
fn an_edit_refuses_an_empty_name_or_a_non_image_icon() {
    let app = Harness::unlocked();
    let id = app.add_github();
    let error = app
        .invoke(
            "update_account",
            json!({ "id": id, "patch": { "name": "  " } }),
        )
        .unwrap_err();
    assert_eq!(error["field"], json!("name"));
    let error = app
        .invoke(
            "update_account",
            json!({ "id": id, "patch": { "icon": "https://tracker.example/pixel.gif" } }),
        )
        .unwrap_err();
    assert_eq!(error["field"], json!("icon"));
    assert_eq!(
        app.ok("list_accounts", json!({}))[0]["name"],
        json!("alice@example.com")
    );
}

#[test]
fn remove_and_reorder_change_the_list() {
    let app = Harness::unlocked();
    let github = app.add_github();
    let other = app.ok(
        "add_account_uri",
        json!({ "uri": "otpauth://totp/Proton:bob?secret=GEZDGNBVGY3TQOJQ" }),
    )["id"]
        .clone();
    app.ok("reorder", json!({ "ids": [other, github] }));
    let names: Vec<Value> = app
        .ok("list_accounts", json!({}))
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["issuer"].clone())
        .collect();
    assert_eq!(names, [json!("Proton"), json!("GitHub")]);
    app.ok("remove_account", json!({ "id": github }));
    assert_eq!(
        app.ok("list_accounts", json!({})).as_array().unwrap().len(),
        1
    );
    let error = app
        .invoke("remove_account", json!({ "id": github }))
        .unwrap_err();
    assert_eq!(error["code"], json!("account_not_found"));
}

#[test]
fn the_same_account_twice_is_refused() {
    let app = Harness::unlocked();
    app.add_github();
    let error = app
        .invoke("add_account_uri", json!({ "uri": GITHUB_URI }))
        .unwrap_err();
    assert_eq!(error["code"], json!("invalid_input"));
    assert!(
        error["message"].as_str().unwrap().contains("already"),
        "{error}"
    );
}

#[test]
fn locking_forgets_the_vault_until_the_password_is_given_again() {
    let app = Harness::unlocked();
    app.add_github();
    let state = app.ok("lock", json!({}));
    assert_eq!(state["unlocked"], json!(false));
    assert_eq!(
        app.invoke("codes", json!({ "ids": [] })).unwrap_err()["code"],
        json!("locked")
    );
    assert_eq!(
        app.invoke("unlock", json!({ "password": "nope" }))
            .unwrap_err()["code"],
        json!("wrong_password")
    );
    app.ok("unlock", json!({ "password": PASSWORD }));
    assert_eq!(
        app.ok("list_accounts", json!({})).as_array().unwrap().len(),
        1
    );
}

#[test]
fn changing_the_password_needs_the_current_one() {
    let app = Harness::unlocked();
    let error = app
        .invoke(
            "set_password",
            json!({ "current": "wrong", "password": "a new password" }),
        )
        .unwrap_err();
    assert_eq!(error["code"], json!("wrong_password"));
    app.ok(
        "set_password",
        json!({ "current": PASSWORD, "password": "a new password" }),
    );
    let app = app.restart();
    app.ok("vault_state", json!({}));
    assert_eq!(
        app.invoke("unlock", json!({ "password": PASSWORD }))
            .unwrap_err()["code"],
        json!("wrong_password")
    );
    assert_eq!(
        app.ok("unlock", json!({ "password": "a new password" }))["unlocked"],
        json!(true)
    );
}

#[test]
fn settings_are_saved_and_out_of_range_values_refused() {
    let app = Harness::new();
    let defaults = app.ok("settings", json!({}));
    assert_eq!(
        defaults,
        json!({ "lockAfterMinutes": 5, "clipboardClearSeconds": 30, "showNextCode": true, "sortOrder": "custom",
                "autoBackup": false, "backupFolder": null, "backupKeep": 10 })
    );
    let changed = json!({ "lockAfterMinutes": 1, "clipboardClearSeconds": 0, "showNextCode": false, "sortOrder": "lastUsed",
                          "autoBackup": false, "backupFolder": null, "backupKeep": 10 });
    assert_eq!(
        app.ok("save_settings", json!({ "settings": changed })),
        changed
    );
    let app = app.restart();
    assert_eq!(app.ok("settings", json!({})), changed);
    let error = app
        .invoke(
            "save_settings",
            json!({ "settings": { "lockAfterMinutes": 100000 } }),
        )
        .unwrap_err();
    assert_eq!(error["field"], json!("lockAfterMinutes"));
}

// The QR, import and export commands (helper "qr-app").
#[path = "tests_qr.rs"]
mod qr;
