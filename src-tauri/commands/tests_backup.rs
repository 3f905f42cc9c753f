//! Automatic backups through Tauri's IPC (`tauri::test` mock runtime): real vault files, real
//! backup files, and the backup password in a real Secret Service (run under
//! `scripts/with-keyring.sh`, as `scripts/test.sh rust` does). The worker runs as in the app,
//! with a one-second debounce and a cheap Argon2id cost.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use countersign_core::export::backup::Backups;
use countersign_core::{keystore, KdfParams, Password, Unlock, Vault};
use serde_json::{json, Value};
use tauri::test::{mock_builder, mock_context, noop_assets, MockRuntime};
use tauri::{App, Listener, Manager, WebviewWindow, WebviewWindowBuilder};

use crate::backup::STATUS_EVENT;
use crate::settings::SettingsFile;
use crate::state::AppState;

const VAULT_PASSWORD: &str = "correct horse battery staple";
const BACKUP_PASSWORD: &str = "backup: tr0ub4dor&3";
const DEBOUNCE: Duration = Duration::from_secs(1);
/// How long a test waits for something the worker does (generous: the machine may be busy).
const DEADLINE: Duration = Duration::from_secs(30);
const GITHUB_URI: &str =
    "otpauth://totp/GitHub:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=GitHub";
/// RFC 4226 Appendix D secret ("12345678901234567890") in base32.
const RFC4226_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

struct Harness {
    app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    dir: tempfile::TempDir,
    vault_path: PathBuf,
    /// Every status the worker sent to the UI.
    events: Arc<Mutex<Vec<Value>>>,
}

impl Harness {
    /// An app over a fresh password-only vault, unlocked, with the backup worker running.
    fn unlocked() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let vault_path = super::ipc::password_vault(dir.path(), VAULT_PASSWORD);
        let state = super::ipc::app_state(dir.path(), &vault_path, Default::default());
        state
            .backup
            .tune(DEBOUNCE, KdfParams::INSECURE_FAST_FOR_TESTS);
        let app = crate::with_commands(mock_builder())
            .manage(state)
            .build(mock_context(noop_assets()))
            .unwrap();
        crate::backup::start(app.handle());
        let events = Arc::new(Mutex::new(Vec::new()));
        let seen = events.clone();
        app.listen_any(STATUS_EVENT, move |event| {
            let status: Value = serde_json::from_str(event.payload()).unwrap();
            seen.lock().unwrap().push(status);
        });
        let window = WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();
        let harness = Harness {
            app,
            window,
            dir,
            vault_path,
            events,
        };
        harness.ok("vault_state", json!({}));
        harness.ok("unlock", json!({ "password": VAULT_PASSWORD }));
        harness
    }

    fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        super::ipc::invoke(&self.window, cmd, args)
    }

    fn ok(&self, cmd: &str, args: Value) -> Value {
        super::ipc::ok(&self.window, cmd, args)
    }

    fn folder(&self) -> PathBuf {
        self.dir.path().join("backups")
    }

    fn settings_path(&self) -> PathBuf {
        self.dir.path().join("settings.json")
    }

    fn vault_id(&self) -> countersign_core::VaultId {
        self.app
            .state::<AppState>()
            .with_vault(|v, _| Ok(v.id()))
            .unwrap()
    }

    fn settings(auto: bool, folder: Option<&Path>, keep: u32) -> Value {
        json!({ "settings": {
            "lockAfterMinutes": 5, "clipboardClearSeconds": 30, "showNextCode": true,
            "sortOrder": "custom", "autoBackup": auto, "backupFolder": folder, "backupKeep": keep,
        } })
    }

    /// Stores the backup password and turns automatic backups on into `folder`.
    fn turn_on(&self, folder: &Path, keep: u32) {
        self.ok(
            "set_backup_password",
            json!({ "password": BACKUP_PASSWORD }),
        );
        self.ok("save_settings", Harness::settings(true, Some(folder), keep));
    }

    fn add(&self, issuer: &str, secret: &str) -> String {
        let uri = format!("otpauth://totp/{issuer}:me?secret={secret}&issuer={issuer}");
        let added = self.ok("add_account_uri", json!({ "uri": uri }));
        added["id"].as_str().unwrap().to_owned()
    }

    fn status(&self) -> Value {
        self.ok("backup_status", json!({}))
    }

    fn backups(&self, folder: &Path) -> Vec<PathBuf> {
        Backups::new(folder, 1).list().unwrap()
    }

    /// Waits until the folder holds `n` backups (failing after [`DEADLINE`]).
    fn wait_for_backups(&self, folder: &Path, n: usize) -> Vec<PathBuf> {
        wait_until(&format!("{n} backup(s) in {}", folder.display()), || {
            let list = self.backups(folder);
            (list.len() == n).then_some(list)
        })
    }

    /// Waits until the worker has sent a status that satisfies `check`.
    fn wait_for_event(&self, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        wait_until(what, || {
            self.events
                .lock()
                .unwrap()
                .iter()
                .rev()
                .find(|s| check(s))
                .cloned()
        })
    }
}

fn wait_until<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = f() {
            return value;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn open_backup(path: &Path, password: &str) -> Vault {
    Vault::open(path, &Unlock::password_only(Password::new(password))).unwrap()
}

fn labels(vault: &Vault) -> Vec<String> {
    vault.accounts().iter().map(|a| a.label()).collect()
}

#[test]
fn backup_settings_round_trip_and_bad_values_are_refused_naming_the_field() {
    let app = Harness::unlocked();
    let folder = app.folder();
    let defaults = app.ok("settings", json!({}));
    assert_eq!(defaults["autoBackup"], json!(false));
    assert_eq!(defaults["backupFolder"], Value::Null);
    assert_eq!(defaults["backupKeep"], json!(10));

    let saved = app.ok("save_settings", Harness::settings(false, Some(&folder), 7));
    assert_eq!(saved["backupFolder"], json!(folder));
    assert_eq!(saved["backupKeep"], json!(7));
    assert_eq!(app.ok("settings", json!({})), saved);
    // Another start reads them back from the file.
    let reloaded = SettingsFile::new(app.settings_path()).load();
    assert_eq!(reloaded.backup_folder.as_deref(), Some(folder.as_path()));
    assert_eq!(reloaded.backup_keep, 7);

    let on_disk = std::fs::read(app.settings_path()).unwrap();
    let refused = [
        (Harness::settings(false, Some(&folder), 0), "backupKeep"),
        (Harness::settings(false, Some(&folder), 101), "backupKeep"),
        (
            Harness::settings(false, Some(Path::new("relative/backups")), 5),
            "backupFolder",
        ),
        (Harness::settings(true, None, 5), "backupFolder"),
        // No backup password in the keystore yet.
        (Harness::settings(true, Some(&folder), 5), "backupPassword"),
    ];
    for (settings, field) in refused {
        let error = app.invoke("save_settings", settings.clone()).unwrap_err();
        assert_eq!(error["code"], json!("invalid_input"), "{settings}");
        assert_eq!(error["field"], json!(field), "{settings}: {error}");
        assert!(!error["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(
        std::fs::read(app.settings_path()).unwrap(),
        on_disk,
        "a refused save leaves the file as it was"
    );
    assert_eq!(app.ok("settings", json!({})), saved);
}

#[test]
fn the_backup_password_goes_to_the_keystore_and_never_into_the_settings_file() {
    let app = Harness::unlocked();
    let short = app
        .invoke("set_backup_password", json!({ "password": "1234567" }))
        .unwrap_err();
    assert_eq!(short["field"], json!("backupPassword"));
    assert!(short["message"].as_str().unwrap().contains('8'), "{short}");
    assert_eq!(app.status()["passwordSet"], json!(false));

    app.turn_on(&app.folder(), 10);
    assert_eq!(app.status()["passwordSet"], json!(true));
    assert_eq!(
        keystore::backup_password(&app.vault_id()).unwrap().as_str(),
        BACKUP_PASSWORD
    );
    let settings = std::fs::read_to_string(app.settings_path()).unwrap();
    assert!(settings.contains("\"autoBackup\": true"), "{settings}");
    assert!(
        !settings.contains(BACKUP_PASSWORD) && !settings.contains("tr0ub4dor"),
        "the backup password is in the settings file: {settings}"
    );
    keystore::delete_backup_password(&app.vault_id()).unwrap();
}

#[test]
fn a_change_makes_exactly_one_backup_after_the_debounce_and_a_burst_makes_one() {
    let app = Harness::unlocked();
    let folder = app.folder();
    app.turn_on(&folder, 10);
    // Turning on looks at once; an empty vault has nothing to back up.
    app.wait_for_event("the status after turning on", |s| {
        s["enabled"] == json!(true)
    });
    assert!(app.backups(&folder).is_empty());

    let changed = Instant::now();
    app.ok("add_account_uri", json!({ "uri": GITHUB_URI }));
    let first = app.wait_for_backups(&folder, 1);
    assert!(
        changed.elapsed() >= DEBOUNCE,
        "the backup waited for the debounce"
    );
    std::thread::sleep(DEBOUNCE * 3);
    assert_eq!(app.backups(&folder), first, "one change, one backup");
    assert_eq!(
        labels(&open_backup(&first[0], BACKUP_PASSWORD)),
        ["GitHub (alice@example.com)"]
    );

    // A burst of edits well inside the debounce makes one more file, holding all of them.
    for (issuer, secret) in [("A", "MFRGGZDF"), ("B", "MFRGGZDG"), ("C", "MFRGGZDH")] {
        app.add(issuer, secret);
    }
    let second = app.wait_for_backups(&folder, 2);
    std::thread::sleep(DEBOUNCE * 3);
    assert_eq!(app.backups(&folder), second, "a burst makes one backup");
    assert_eq!(
        labels(&open_backup(&second[1], BACKUP_PASSWORD)),
        ["GitHub (alice@example.com)", "A (me)", "B (me)", "C (me)"]
    );

    // Copying a code saves the vault but changes nothing a backup holds.
    let id = app.ok("list_accounts", json!({}))[0]["id"].clone();
    app.ok("copy_code", json!({ "id": id }));
    std::thread::sleep(DEBOUNCE * 3);
    assert_eq!(app.backups(&folder), second, "a copy makes no backup");
    keystore::delete_backup_password(&app.vault_id()).unwrap();
}

#[test]
fn keeping_n_prunes_the_oldest_backups_and_leaves_other_files_alone() {
    let app = Harness::unlocked();
    let folder = app.folder();
    std::fs::create_dir_all(&folder).unwrap();
    let foreign = ["notes.txt", "countersign-backup-mine.csv1", "vault.csv1"];
    for name in foreign {
        std::fs::write(folder.join(name), b"not the app's").unwrap();
    }
    app.ok(
        "set_backup_password",
        json!({ "password": BACKUP_PASSWORD }),
    );
    app.ok("save_settings", Harness::settings(false, Some(&folder), 2));
    app.add("A", "MFRGGZDF");
    let mut written = Vec::new();
    for _ in 0..4 {
        app.ok("backup_now", json!({}));
        written.push(app.backups(&folder).last().unwrap().clone());
    }
    let kept = app.backups(&folder);
    assert_eq!(kept, written[2..].to_vec(), "the newest two are kept");
    assert_eq!(app.status()["backups"], json!(2));
    for name in foreign {
        assert_eq!(
            std::fs::read(folder.join(name)).unwrap(),
            b"not the app's",
            "{name} was left alone"
        );
    }
    keystore::delete_backup_password(&app.vault_id()).unwrap();
}

#[test]
fn an_app_backup_opens_with_the_backup_password_and_holds_the_accounts() {
    let app = Harness::unlocked();
    let folder = app.folder();
    app.ok(
        "set_backup_password",
        json!({ "password": BACKUP_PASSWORD }),
    );
    app.ok("save_settings", Harness::settings(false, Some(&folder), 10));
    app.ok("add_account_uri", json!({ "uri": GITHUB_URI }));
    let hotp = app.ok(
        "add_account",
        json!({ "account": { "issuer": "Bank", "name": "me", "secret": RFC4226_SECRET, "kind": "hotp",
                             "algorithm": "SHA1", "digits": 6, "period": 30, "counter": 0, "group": null } }),
    );
    assert_eq!(
        app.ok("next_hotp", json!({ "id": hotp["id"] })),
        json!("755224")
    );
    let status = app.ok("backup_now", json!({}));
    assert_eq!(status["needsBackup"], json!(false));
    assert_eq!(status["backups"], json!(1));
    assert!(status["lastBackupAt"].as_i64().unwrap() > 1_700_000_000);

    let path = &app.backups(&folder)[0];
    let backup = open_backup(path, BACKUP_PASSWORD);
    let vault = open_backup(&app.vault_path, VAULT_PASSWORD);
    assert_eq!(labels(&backup), ["GitHub (alice@example.com)", "Bank (me)"]);
    for (copy, original) in backup.accounts().iter().zip(vault.accounts()) {
        assert_eq!(copy.id, original.id);
        assert_eq!(copy.otp.secret.as_bytes(), original.otp.secret.as_bytes());
        assert_eq!(
            copy.otp.kind, original.otp.kind,
            "the HOTP counter as saved"
        );
    }
    // The first code after a restore is the next unused one.
    let id = backup.accounts()[1].id;
    let dir = tempfile::tempdir().unwrap();
    let copy_path = dir.path().join("restored.csv1");
    std::fs::copy(path, &copy_path).unwrap();
    let mut restored = open_backup(&copy_path, BACKUP_PASSWORD);
    assert_eq!(restored.next_hotp(id).unwrap().as_str(), "287082");
    assert!(matches!(
        Vault::open(path, &Unlock::password_only(Password::new("not it"))),
        Err(countersign_core::Error::WrongPassword)
    ));
    keystore::delete_backup_password(&app.vault_id()).unwrap();
}

#[test]
fn an_unwritable_folder_is_reported_and_the_vault_save_still_succeeds() {
    let app = Harness::unlocked();
    // A folder inside a regular file cannot be made, not even by root.
    let blocker = app.dir.path().join("not-a-folder");
    std::fs::write(&blocker, b"a file").unwrap();
    let folder = blocker.join("backups");
    app.turn_on(&folder, 10);

    let added = app.add("Kept", "MFRGGZDF");
    let status = app.wait_for_event("the failure", |s| !s["error"].is_null());
    assert_eq!(status["error"]["code"], json!("backup_failed"));
    let message = status["error"]["message"].as_str().unwrap();
    assert!(message.contains(&folder.display().to_string()), "{message}");
    assert_eq!(status["needsBackup"], json!(true));
    assert_eq!(app.status()["error"], status["error"]);
    // The vault save went through: in memory, and on disk.
    assert_eq!(app.ok("list_accounts", json!({}))[0]["id"], json!(added));
    assert_eq!(
        labels(&open_backup(&app.vault_path, VAULT_PASSWORD)),
        ["Kept (me)"]
    );
    // "Back up now" says the same.
    let error = app.invoke("backup_now", json!({})).unwrap_err();
    assert_eq!(error["code"], json!("backup_failed"));

    // A missing keystore entry is named as such.
    let writable = app.folder();
    app.ok(
        "save_settings",
        Harness::settings(true, Some(&writable), 10),
    );
    keystore::delete_backup_password(&app.vault_id()).unwrap();
    app.events.lock().unwrap().clear();
    app.add("Second", "MFRGGZDG");
    let status = app.wait_for_event("the missing password", |s| !s["error"].is_null());
    assert_eq!(status["error"]["code"], json!("backup_password_missing"));
    assert!(status["error"]["message"]
        .as_str()
        .unwrap()
        .contains("backup password"));
    assert!(app.backups(&writable).is_empty());
    assert_eq!(
        app.ok("list_accounts", json!({})).as_array().unwrap().len(),
        2
    );

    // Setting the password again retries, and the error goes away.
    app.ok(
        "set_backup_password",
        json!({ "password": BACKUP_PASSWORD }),
    );
    app.wait_for_backups(&writable, 1);
    let status = app.wait_for_event("the recovery", |s| {
        s["error"].is_null() && s["needsBackup"] == json!(false)
    });
    assert_eq!(status["backups"], json!(1));
    keystore::delete_backup_password(&app.vault_id()).unwrap();
}

#[test]
fn the_reminder_shows_after_a_change_and_goes_after_a_backup() {
    let app = Harness::unlocked();
    let folder = app.folder();
    let empty = app.status();
    assert_eq!(
        empty["needsBackup"],
        json!(false),
        "an empty vault needs none"
    );
    assert_eq!(empty["changes"], json!(0));

    app.add("A", "MFRGGZDF");
    let status = app.status();
    assert_eq!(status["needsBackup"], json!(true), "never backed up");
    assert_eq!(status["enabled"], json!(false));
    assert_eq!(status["changes"], json!(1));
    // The UI hears of it without asking.
    app.wait_for_event("the reminder", |s| s["needsBackup"] == json!(true));

    app.ok(
        "set_backup_password",
        json!({ "password": BACKUP_PASSWORD }),
    );
    app.ok("save_settings", Harness::settings(false, Some(&folder), 10));
    let status = app.ok("backup_now", json!({}));
    assert_eq!(status["needsBackup"], json!(false));
    assert!(status["lastBackupAt"].is_i64());

    let id = app.ok("list_accounts", json!({}))[0]["id"].clone();
    app.ok("copy_code", json!({ "id": id }));
    let status = app.status();
    assert_eq!(status["needsBackup"], json!(false), "a copy is no change");
    assert_eq!(status["changes"], json!(1));

    app.ok(
        "update_account",
        json!({ "id": id, "patch": { "issuer": "Renamed" } }),
    );
    let status = app.status();
    assert_eq!(status["needsBackup"], json!(true), "an edit is a change");
    assert_eq!(status["changes"], json!(2));
    assert!(app.backups(&folder).len() == 1, "off: nothing written");
    keystore::delete_backup_password(&app.vault_id()).unwrap();
}
