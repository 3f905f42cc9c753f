//! Password-only vaults and the account operations. These need no keystore.

mod vault_support;

use countersign_core::vault::file::{damaged_path, previous_path};
use countersign_core::{AccountPatch, Error, Password, Unlock, Vault};
use countersign_oath::{Kind, Secret};
use vault_support::*;

fn open(path: &std::path::Path) -> Vault {
    Vault::open(path, &Unlock::password_only(password())).expect("open")
}

#[test]
fn password_only_vault_round_trips_accounts() {
    let (_dir, path) = vault_path();
    let mut vault = Vault::create(&path, password_only()).unwrap();
    let a = vault.add_account(totp("GitHub", "alice", 1)).unwrap();
    let b = vault
        .add_account(totp("Example", "bob@example.com", 2))
        .unwrap();

    let reopened = open(&path);
    let ids: Vec<_> = reopened.accounts().iter().map(|x| x.id).collect();
    assert_eq!(ids, [a, b]);
    assert_eq!(reopened.account(a).unwrap().issuer, "GitHub");
    assert_eq!(
        reopened.account(b).unwrap().otp.secret.as_bytes(),
        secret(2).as_bytes()
    );
    assert_eq!(reopened.info().generation, 3, "create + two saves");
    assert!(!reopened.info().keystore_slot);
}

#[test]
fn the_file_holds_no_plaintext() {
    let (_dir, path) = vault_path();
    let mut vault = Vault::create(&path, password_only()).unwrap();
    vault
        .add_account(totp("VerySecretIssuer", "alice-the-user", 1))
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    for needle in [
        &b"VerySecretIssuer"[..],
        b"alice-the-user",
        secret(1).as_bytes(),
        secret(1).to_base32().as_bytes(),
        b"accounts",
        PASSWORD.as_bytes(),
    ] {
        assert!(
            !contains(&bytes, needle),
            "{:?} in the file",
            String::from_utf8_lossy(needle)
        );
    }
}

#[test]
fn wrong_password_is_reported_and_the_right_one_opens() {
    let (_dir, path) = vault_path();
    Vault::create(&path, password_only()).unwrap();
    let err = Vault::open(&path, &Unlock::password_only(Password::new("nope"))).unwrap_err();
    assert!(matches!(err, Error::WrongPassword), "{err:?}");
    assert_eq!(err.code(), "wrong_password");
    open(&path);
}

#[test]
fn opening_without_a_password_asks_for_one() {
    let (_dir, path) = vault_path();
    Vault::create(&path, password_only()).unwrap();
    let err = Vault::open(&path, &Unlock::keystore()).unwrap_err();
    assert!(matches!(err, Error::PasswordRequired), "{err:?}");
}

#[test]
fn create_refuses_to_overwrite_and_to_make_a_slotless_vault() {
    let (_dir, path) = vault_path();
    Vault::create(&path, password_only()).unwrap();
    let before = std::fs::read(&path).unwrap();
    let err = Vault::create(&path, password_only()).unwrap_err();
    assert!(matches!(err, Error::VaultExists { .. }), "{err:?}");
    assert_eq!(std::fs::read(&path).unwrap(), before);

    let (_dir2, other) = vault_path();
    let mut none = password_only();
    none.password = None;
    let err = Vault::create(&other, none).unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert!(!other.exists());

    let err = Vault::create(&other, password_only().with_password(Password::new(""))).unwrap_err();
    assert_eq!(err.code(), "invalid_input");
}

#[test]
fn missing_vault_is_vault_not_found() {
    let (_dir, path) = vault_path();
    let err = Vault::open(&path, &Unlock::password_only(password())).unwrap_err();
    assert!(matches!(err, Error::VaultNotFound { .. }));
    assert_eq!(err.code(), "vault_not_found");
}

#[test]
fn a_file_that_is_not_a_vault_says_so_and_is_left_alone() {
    let (_dir, path) = vault_path();
    std::fs::write(&path, b"otpauth://totp/x?secret=AAAA\n").unwrap();
    let err = Vault::open(&path, &Unlock::password_only(password())).unwrap_err();
    assert_eq!(err.code(), "not_a_vault");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"otpauth://totp/x?secret=AAAA\n"
    );
}

#[test]
fn add_accounts_is_all_or_nothing() {
    let (_dir, path) = vault_path();
    let mut vault = Vault::create(&path, password_only()).unwrap();
    vault.add_account(totp("A", "a", 1)).unwrap();
    let before = std::fs::read(&path).unwrap();

    let first = totp("B", "b", 2);
    let mut clash = totp("C", "c", 3);
    clash.id = first.id;
    let err = vault.add_accounts(vec![first, clash]).unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert_eq!(vault.accounts().len(), 1, "nothing added in memory");
    assert_eq!(std::fs::read(&path).unwrap(), before, "nothing written");

    let ids = vault
        .add_accounts(
            (10..20)
                .map(|n| totp("Many", &format!("user{n}"), n))
                .collect(),
        )
        .unwrap();
    assert_eq!(ids.len(), 10);
    assert_eq!(vault.info().generation, 3, "one save for ten accounts");
    assert_eq!(open(&path).accounts().len(), 11);
}

#[test]
fn update_patches_only_the_given_fields() {
    let (_dir, path) = vault_path();
    let mut vault = Vault::create(&path, password_only()).unwrap();
    let mut acc = totp("GitHub", "alice", 1);
    acc.group = Some("Work".into());
    let id = vault.add_account(acc).unwrap();
    vault
        .update_account(
            id,
            AccountPatch {
                name: Some("alice@work".into()),
                favourite: Some(true),
                group: Some(None),
                ..AccountPatch::default()
            },
        )
        .unwrap();
    let reopened = open(&path);
    let acc = reopened.account(id).unwrap();
    assert_eq!(acc.issuer, "GitHub");
    assert_eq!(acc.name, "alice@work");
    assert!(acc.favourite);
    assert_eq!(acc.group, None);
}

#[test]
fn remove_and_reorder_keep_positions_dense() {
    let (_dir, path) = vault_path();
    let mut vault = Vault::create(&path, password_only()).unwrap();
    let ids = vault
        .add_accounts((0..4).map(|n| totp("I", &format!("n{n}"), n)).collect())
        .unwrap();
    let removed = vault.remove_account(ids[1]).unwrap();
    assert_eq!(removed.name, "n1");
    vault.reorder(&[ids[3], ids[0], ids[2]]).unwrap();

    let reopened = open(&path);
    let names: Vec<_> = reopened
        .accounts()
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["n3", "n0", "n2"]);
    let positions: Vec<_> = reopened.accounts().iter().map(|a| a.position).collect();
    assert_eq!(positions, [0, 1, 2]);

    let err = vault.remove_account(ids[1]).unwrap_err();
    assert_eq!(err.code(), "account_not_found");
    assert_eq!(
        vault.reorder(&[ids[0]]).unwrap_err().code(),
        "invalid_input"
    );
    assert_eq!(
        vault.reorder(&[ids[0], ids[0], ids[2]]).unwrap_err().code(),
        "invalid_input"
    );
}

#[test]
fn find_matches_issuer_name_and_group_case_insensitively() {
    let (_dir, path) = vault_path();
    let mut vault = Vault::create(&path, password_only()).unwrap();
    let gh = vault.add_account(totp("GitHub", "alice", 1)).unwrap();
    let mut work = totp("Example", "bob", 2);
    work.group = Some("Work Stuff".into());
    let ex = vault.add_account(work).unwrap();
    let ids = |q: &str| vault.find(q).iter().map(|a| a.id).collect::<Vec<_>>();
    assert_eq!(ids("github"), [gh]);
    assert_eq!(ids("ALI"), [gh]);
    assert_eq!(ids("work"), [ex]);
    assert_eq!(ids(""), [gh, ex]);
    assert!(ids("nothing").is_empty());
}

#[test]
fn next_hotp_returns_rfc_4226_codes_and_persists_the_counter() {
    // RFC 4226 appendix D: secret "12345678901234567890", counters 0.. give these codes.
    let rfc = ["755224", "287082", "359152"];
    let (_dir, path) = vault_path();
    let mut vault = Vault::create(&path, password_only()).unwrap();
    let secret = Secret::from_bytes(b"12345678901234567890".to_vec());
    let id = vault.add_account(hotp("RFC", "4226", secret, 0)).unwrap();
    assert_eq!(vault.next_hotp(id).unwrap().as_str(), rfc[0]);
    assert_eq!(vault.next_hotp(id).unwrap().as_str(), rfc[1]);

    let mut reopened = open(&path);
    assert_eq!(
        reopened.account(id).unwrap().otp.kind,
        Kind::Hotp { counter: 2 }
    );
    assert_eq!(reopened.next_hotp(id).unwrap().as_str(), rfc[2]);

    let totp_id = reopened.add_account(totp("T", "t", 9)).unwrap();
    assert_eq!(
        reopened.next_hotp(totp_id).unwrap_err().code(),
        "invalid_input"
    );
}

#[test]
fn touch_records_last_use() {
    let (_dir, path) = vault_path();
    let mut vault = Vault::create(&path, password_only()).unwrap();
    let id = vault.add_account(totp("A", "a", 1)).unwrap();
    vault.touch(id, 1_800_000_000).unwrap();
    assert_eq!(
        open(&path).account(id).unwrap().last_used,
        Some(1_800_000_000)
    );
}

#[test]
fn duplicate_of_finds_the_same_secret_issuer_and_name() {
    let (_dir, path) = vault_path();
    let mut vault = Vault::create(&path, password_only()).unwrap();
    let id = vault.add_account(totp("GitHub", "alice", 1)).unwrap();
    assert_eq!(vault.duplicate_of(&totp("github", "ALICE", 1)), Some(id));
    assert_eq!(vault.duplicate_of(&totp("GitHub", "alice", 2)), None);
    assert_eq!(vault.duplicate_of(&totp("GitHub", "bob", 1)), None);
}

#[test]
fn changing_the_password_keeps_the_contents_and_drops_the_old_password() {
    let (_dir, path) = vault_path();
    let mut vault = Vault::create(&path, password_only()).unwrap();
    vault.add_account(totp("A", "a", 1)).unwrap();
    vault
        .set_password_with(
            Some(Password::new("new password")),
            countersign_core::KdfParams::INSECURE_FAST_FOR_TESTS,
        )
        .unwrap();
    let err = Vault::open(&path, &Unlock::password_only(password())).unwrap_err();
    assert!(matches!(err, Error::WrongPassword));
    let reopened =
        Vault::open(&path, &Unlock::password_only(Password::new("new password"))).unwrap();
    assert_eq!(reopened.accounts().len(), 1);

    let err = vault.set_password(None).unwrap_err();
    assert_eq!(
        err.code(),
        "invalid_input",
        "the only slot cannot be removed"
    );
}

#[test]
fn status_reads_the_header_without_a_password() {
    let (_dir, path) = vault_path();
    let vault = Vault::create(&path, password_only()).unwrap();
    let status = Vault::status(&path).unwrap();
    assert_eq!(status.id, vault.id());
    assert_eq!(status.version, 1);
    assert_eq!(status.generation, 1);
    assert!(!status.keystore_slot);
    assert_eq!(
        status.password_slot,
        Some(countersign_core::KdfParams::INSECURE_FAST_FOR_TESTS)
    );
    assert!(!status.previous_exists);
}

#[test]
fn each_save_keeps_the_previous_generation_whole() {
    let (_dir, path) = vault_path();
    let mut vault = Vault::create(&path, password_only()).unwrap();
    vault.add_account(totp("A", "a", 1)).unwrap();
    let gen2 = std::fs::read(&path).unwrap();
    vault.add_account(totp("B", "b", 2)).unwrap();
    assert_eq!(std::fs::read(previous_path(&path)).unwrap(), gen2);
    let prev = Vault::open_previous(&path, &Unlock::password_only(password())).unwrap();
    assert_eq!(prev.accounts().len(), 1);
    // No stray temp files are left behind.
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, ["vault.csv1", "vault.csv1.prev"]);
}

#[test]
fn a_damaged_file_offers_the_previous_generation_which_restores() {
    let (_dir, path) = vault_path();
    let mut vault = Vault::create(&path, password_only()).unwrap();
    vault.add_account(totp("A", "a", 1)).unwrap();
    vault.add_account(totp("B", "b", 2)).unwrap();
    drop(vault);

    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&path, &bytes).unwrap();

    let err = Vault::open(&path, &Unlock::password_only(password())).unwrap_err();
    match &err {
        Error::VaultTampered { previous, .. } => {
            assert_eq!(previous.as_deref(), Some(previous_path(&path).as_path()))
        }
        other => panic!("expected VaultTampered, got {other:?}"),
    }
    assert_eq!(err.code(), "vault_tampered");
    assert!(err.to_string().contains("previous generation"), "{err}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "damaged file untouched"
    );

    let mut restored = Vault::open_previous(&path, &Unlock::password_only(password())).unwrap();
    assert_eq!(restored.accounts().len(), 1);
    let prev_before = std::fs::read(previous_path(&path)).unwrap();
    restored.add_account(totp("C", "c", 3)).unwrap();
    assert_eq!(
        std::fs::read(damaged_path(&path)).unwrap(),
        bytes,
        "damaged file kept aside"
    );
    assert_eq!(std::fs::read(previous_path(&path)).unwrap(), prev_before);
    let names: Vec<_> = open(&path)
        .accounts()
        .iter()
        .map(|a| a.name.clone())
        .collect();
    assert_eq!(names, ["a", "c"]);
}

#[test]
fn a_save_over_another_programs_newer_save_is_refused() {
    let (_dir, path) = vault_path();
    let mut first = Vault::create(&path, password_only()).unwrap();
    let mut second = open(&path);
    second.add_account(totp("B", "b", 2)).unwrap();
    let after_second = std::fs::read(&path).unwrap();

    let err = first.add_account(totp("A", "a", 1)).unwrap_err();
    assert_eq!(err.code(), "vault_changed");
    assert!(
        first.accounts().is_empty(),
        "the refused change is not kept in memory"
    );
    assert_eq!(std::fs::read(&path).unwrap(), after_second);
}

#[test]
fn activations_are_stored_and_their_keys_never_debug_print() {
    let (_dir, path) = vault_path();
    let mut vault = Vault::create(&path, password_only()).unwrap();
    vault
        .edit_activations(|acts| {
            acts.push(countersign_core::Activation {
                server: "https://mfa.example.com".into(),
                device_id: "dev-1".into(),
                device_key: zeroize::Zeroizing::new(vec![0xde, 0xad, 0xbe, 0xef]),
                user: "alice".into(),
                ..Default::default()
            });
            Ok(())
        })
        .unwrap();
    let reopened = open(&path);
    let act = &reopened.activations()[0];
    assert_eq!(act.server, "https://mfa.example.com");
    assert_eq!(&act.device_key[..], &[0xde, 0xad, 0xbe, 0xef]);
    let debug = format!("{act:?}");
    assert!(!debug.contains("dead") && !debug.contains("222"), "{debug}");
}

#[cfg(unix)]
#[test]
fn vault_files_are_private_to_the_user() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/folder/vault.csv1");
    let mut vault = Vault::create(&path, password_only()).unwrap();
    vault.add_account(totp("A", "a", 1)).unwrap();
    for p in [path.clone(), previous_path(&path)] {
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", p.display());
    }
    let mode = std::fs::metadata(path.parent().unwrap())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o700);
}

#[test]
fn a_save_deletes_temp_files_that_killed_saves_left_behind() {
    let (dir, path) = vault_path();
    let mut vault = Vault::create(&path, password_only()).unwrap();
    let stale = dir.path().join("vault.csv1.tmp-0123456789ab");
    let fresh = dir.path().join("vault.csv1.tmp-ba9876543210");
    let unrelated = dir.path().join("notes.txt.tmp-0123456789ab");
    for p in [&stale, &fresh, &unrelated] {
        std::fs::write(p, b"half a vault").unwrap();
    }
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for p in [&stale, &unrelated] {
        std::fs::File::options()
            .write(true)
            .open(p)
            .unwrap()
            .set_modified(an_hour_ago)
            .unwrap();
    }
    vault.add_account(totp("A", "a", 1)).unwrap();
    assert!(!stale.exists(), "an old leftover temp file is deleted");
    assert!(fresh.exists(), "a recent one may be another save in flight");
    assert!(unrelated.exists(), "other files are not touched");
}
