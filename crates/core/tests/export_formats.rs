//! Exports: the Aegis vault opened by an independent implementation (Python `cryptography`,
//! `tests/oracle/aegis_decrypt.py`) and by Countersign's own importer; otpauth lines; the
//! Countersign copy with a password slot; versioned backups.

use std::io::Write;
use std::process::{Command, Stdio};

use countersign_core::export::{self, backup::Backups};
use countersign_core::import::{self, Credentials, Format, Selection};
use countersign_core::{Account, CreateOptions, KdfParams, Password, Unlock, Vault};
use countersign_oath::KeyUri;

fn accounts() -> Vec<Account> {
    [
        "otpauth://totp/GitHub:alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=GitHub",
        "otpauth://totp/Bank:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA&issuer=Bank&algorithm=SHA256&digits=8&period=60",
        "otpauth://hotp/VPN:bob?secret=MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U&issuer=VPN&counter=42",
    ]
    .iter()
    .map(|u| Account::from_key_uri(KeyUri::parse(u).unwrap(), 1))
    .collect()
}

fn python_with_cryptography() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import cryptography"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("NOTICE: python3 with `cryptography` is missing: the independent Aegis check is skipped");
    }
    ok
}

fn python_decrypt(path: &std::path::Path, password: &str) -> (i32, String) {
    let script = format!(
        "{}/tests/oracle/aegis_decrypt.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut child = Command::new("python3")
        .arg(script)
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(password.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn aegis_export_is_opened_by_an_independent_python_implementation() {
    if !python_with_cryptography() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aegis.json");
    let json = export::aegis(&accounts(), &Password::new("export pw")).unwrap();
    std::fs::write(&path, json).unwrap();
    let (status, db) = python_decrypt(&path, "export pw");
    assert_eq!(status, 0);
    let db: serde_json::Value = serde_json::from_str(&db).unwrap();
    assert_eq!(db["version"], 2);
    let entries = db["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0]["type"], "totp");
    assert_eq!(entries[0]["issuer"], "GitHub");
    assert_eq!(entries[0]["name"], "alice@example.com");
    assert_eq!(entries[0]["info"]["secret"], "JBSWY3DPEHPK3PXP");
    assert_eq!(entries[1]["info"]["algo"], "SHA256");
    assert_eq!(entries[1]["info"]["digits"], 8);
    assert_eq!(entries[1]["info"]["period"], 60);
    assert_eq!(entries[2]["type"], "hotp");
    assert_eq!(entries[2]["info"]["counter"], 42);
    // And a wrong password opens no slot.
    assert_eq!(python_decrypt(&path, "wrong").0, 2);
}

#[test]
fn aegis_export_reimports_into_the_same_accounts() {
    let original = accounts();
    let json = export::aegis_with_cost(&original, &Password::new("pw"), 1 << 10).unwrap();
    let creds = Credentials {
        password: Some(Password::new("pw")),
        key: None,
    };
    let preview = import::preview(json.as_bytes(), None, &creds, &[], 1).unwrap();
    assert_eq!(preview.format, Format::Aegis);
    assert_eq!(preview.accounts().len(), 3);
    for (a, b) in original.iter().zip(preview.accounts()) {
        assert!(a.is_duplicate_of(b));
        assert_eq!(a.otp.kind, b.otp.kind);
        assert_eq!(a.otp.digits, b.otp.digits);
        assert_eq!(a.otp.algorithm, b.otp.algorithm);
    }
}

#[test]
fn aegis_export_refuses_an_empty_password() {
    assert!(export::aegis(&accounts(), &Password::new("")).is_err());
}

#[test]
fn otpauth_export_prints_one_parseable_uri_per_account() {
    let text = export::otpauth(&accounts());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    for (line, account) in lines.iter().zip(accounts()) {
        let uri = KeyUri::parse(line).unwrap();
        assert_eq!(uri.otp.secret, account.otp.secret);
        assert_eq!(uri.account, account.name);
    }
}

#[test]
fn countersign_export_opens_with_its_password_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("copy.csv1");
    export::countersign_with_kdf(
        &accounts(),
        &out,
        Password::new("copy pw"),
        KdfParams::INSECURE_FAST_FOR_TESTS,
    )
    .unwrap();
    let copy = Vault::open(&out, &Unlock::password_only(Password::new("copy pw"))).unwrap();
    assert_eq!(copy.accounts().len(), 3);
    assert!(Vault::open(&out, &Unlock::password_only(Password::new("nope"))).is_err());
    // It never overwrites.
    assert!(export::countersign_with_kdf(
        &accounts(),
        &out,
        Password::new("x"),
        KdfParams::INSECURE_FAST_FOR_TESTS
    )
    .is_err());
}

#[test]
fn backups_made_in_the_same_second_keep_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let backups = Backups::new(dir.path(), 2);
    let kdf = KdfParams::INSECURE_FAST_FOR_TESTS;
    let list = accounts();
    let made: Vec<_> = (1..=3)
        .map(|n| {
            backups
                .backup_with_kdf(&list[..n], Password::new("b"), 1_700_000_000, kdf)
                .unwrap()
        })
        .collect();
    assert_eq!(
        backups.list().unwrap(),
        made[1..].to_vec(),
        "oldest first, first one pruned"
    );
    assert!(!made[0].exists());
    let newest = Vault::open(&made[2], &Unlock::password_only(Password::new("b"))).unwrap();
    assert_eq!(newest.accounts().len(), 3);
}

#[test]
fn a_backup_made_in_the_same_second_as_pruned_ones_is_never_the_one_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let backups = Backups::new(dir.path(), 2);
    let kdf = KdfParams::INSECURE_FAST_FOR_TESTS;
    let list = accounts();
    let mut newest = Vec::new();
    for n in 1..=5 {
        let made = backups
            .backup_with_kdf(
                &list[..n.min(list.len())],
                Password::new("b"),
                1_700_000_000,
                kdf,
            )
            .unwrap();
        assert!(made.exists(), "backup {n} survived its own pruning");
        assert_eq!(
            backups.list().unwrap().last(),
            Some(&made),
            "backup {n} is the newest"
        );
        newest.push(made);
    }
    assert_eq!(backups.list().unwrap(), newest[3..].to_vec());
}

#[test]
fn pruning_deletes_only_backup_files_and_leaves_other_files_alone() {
    let dir = tempfile::tempdir().unwrap();
    let foreign = [
        "notes.txt",
        "countersign-backup-notes.csv1",
        "countersign-backup-20000101T000000Z.csv1.bak",
        "vault.csv1",
    ];
    for name in foreign {
        std::fs::write(dir.path().join(name), b"not ours").unwrap();
    }
    let backups = Backups::new(dir.path(), 1);
    let kdf = KdfParams::INSECURE_FAST_FOR_TESTS;
    let list = accounts();
    for at in [1_700_000_000, 1_700_000_100, 1_700_000_200] {
        backups
            .backup_with_kdf(&list, Password::new("b"), at, kdf)
            .unwrap();
    }
    let kept = backups.list().unwrap();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0].to_str().unwrap().contains("20231114T221640Z"));
    for name in foreign {
        assert_eq!(
            std::fs::read(dir.path().join(name)).unwrap(),
            b"not ours",
            "{name} was left alone"
        );
    }
}

#[test]
fn backups_keep_the_last_n_and_know_when_accounts_changed() {
    let dir = tempfile::tempdir().unwrap();
    let backups = Backups::new(dir.path().join("backups"), 2);
    let mut list = accounts();
    assert!(backups.needs_backup(&list), "no backup yet");
    let kdf = KdfParams::INSECURE_FAST_FOR_TESTS;
    let first = backups
        .backup_with_kdf(&list, Password::new("b"), 1_700_000_000, kdf)
        .unwrap();
    assert!(first
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .contains("20231114T221320Z"));
    assert!(!backups.needs_backup(&list));
    // Using a code changes nothing worth a backup.
    list[0].last_used = Some(1_700_000_100);
    assert!(!backups.needs_backup(&list));
    list.pop();
    assert!(backups.needs_backup(&list), "an account was removed");
    backups
        .backup_with_kdf(&list, Password::new("b"), 1_700_000_200, kdf)
        .unwrap();
    backups
        .backup_with_kdf(&list, Password::new("b"), 1_700_000_300, kdf)
        .unwrap();
    let kept = backups.list().unwrap();
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(!first.exists(), "the oldest was pruned");
    assert_eq!(backups.last_backup_at(), Some(1_700_000_300));
    let newest = Vault::open(
        kept.last().unwrap(),
        &Unlock::password_only(Password::new("b")),
    )
    .unwrap();
    assert_eq!(newest.accounts().len(), 2);
}

#[test]
fn an_exported_vault_imports_into_another_vault_in_one_save() {
    let dir = tempfile::tempdir().unwrap();
    let mut target = Vault::create(
        dir.path().join("t.csv1"),
        CreateOptions::password_only(Password::new("t"))
            .with_kdf(KdfParams::INSECURE_FAST_FOR_TESTS),
    )
    .unwrap();
    let text = export::otpauth(&accounts());
    let preview = import::preview(
        text.as_bytes(),
        None,
        &Credentials::default(),
        target.accounts(),
        5,
    )
    .unwrap();
    let report = import::apply(&mut target, &preview, &Selection::default()).unwrap();
    assert_eq!(report.added.len(), 3);
}
