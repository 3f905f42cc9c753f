//! Vaults with a keystore slot, against a real Secret Service.
//!
//! Run under `scripts/with-keyring.sh` (a throwaway gnome-keyring on a private D-Bus session).

mod vault_support;

use countersign_core::vault::file::previous_path;
use countersign_core::vault::format::{VaultFile, DIGEST_LEN};
use countersign_core::{keystore, Error, Password, Unlock, Vault};
use vault_support::*;

fn require_keystore() {
    if let Err(e) = keystore::check_available() {
        panic!(
            "these tests need a running Secret Service (run them under scripts/with-keyring.sh): {e}"
        );
    }
}

#[test]
fn vault_round_trips_through_the_real_secret_service() {
    require_keystore();
    let (_dir, path) = vault_path();
    let mut vault = Vault::create(&path, countersign_core::CreateOptions::default()).unwrap();
    let id = vault.add_account(totp("GitHub", "alice", 1)).unwrap();
    drop(vault);

    let status = Vault::status(&path).unwrap();
    assert!(status.keystore_slot);
    assert_eq!(status.password_slot, None);

    let reopened = Vault::open(&path, &Unlock::keystore()).unwrap();
    assert_eq!(reopened.account(id).unwrap().name, "alice");
    assert_eq!(
        reopened.account(id).unwrap().otp.secret.as_bytes(),
        secret(1).as_bytes()
    );
}

#[test]
fn deleted_keystore_entry_still_opens_with_the_password() {
    require_keystore();
    let (_dir, path) = vault_path();
    let mut vault = Vault::create(&path, keystore_and_password()).unwrap();
    vault.add_account(totp("A", "a", 1)).unwrap();
    let vault_id = vault.id();
    drop(vault);

    keystore::delete_key(&vault_id).unwrap();
    let err = Vault::open(&path, &Unlock::keystore()).unwrap_err();
    assert!(matches!(err, Error::PasswordRequired), "{err:?}");

    let reopened = Vault::open(&path, &Unlock::keystore_or_password(password())).unwrap();
    assert_eq!(reopened.accounts().len(), 1);
}

#[test]
fn wrong_password_after_keystore_loss_is_wrong_password() {
    require_keystore();
    let (_dir, path) = vault_path();
    let vault = Vault::create(&path, keystore_and_password()).unwrap();
    keystore::delete_key(&vault.id()).unwrap();
    let err =
        Vault::open(&path, &Unlock::keystore_or_password(Password::new("guess"))).unwrap_err();
    assert!(matches!(err, Error::WrongPassword), "{err:?}");
    assert_eq!(err.to_string(), "wrong password");
}

#[test]
fn keystore_only_vault_without_its_entry_says_the_entry_is_missing() {
    require_keystore();
    let (_dir, path) = vault_path();
    let vault = Vault::create(&path, countersign_core::CreateOptions::default()).unwrap();
    keystore::delete_key(&vault.id()).unwrap();
    let err = Vault::open(&path, &Unlock::keystore()).unwrap_err();
    assert_eq!(err.code(), "keystore_entry_missing", "{err:?}");
}

#[test]
fn two_vaults_have_separate_keystore_entries() {
    require_keystore();
    let (_d1, p1) = vault_path();
    let (_d2, p2) = vault_path();
    let v1 = Vault::create(&p1, countersign_core::CreateOptions::default()).unwrap();
    let v2 = Vault::create(&p2, countersign_core::CreateOptions::default()).unwrap();
    assert_ne!(
        keystore::entry_user(&v1.id()),
        keystore::entry_user(&v2.id())
    );
    keystore::delete_key(&v1.id()).unwrap();
    Vault::open(&p2, &Unlock::keystore()).expect("the other vault still opens");
}

#[test]
fn keystore_slot_can_be_removed_and_added_back() {
    require_keystore();
    let (_dir, path) = vault_path();
    let mut vault = Vault::create(&path, keystore_and_password()).unwrap();
    vault.set_keystore(false).unwrap();
    assert!(!Vault::status(&path).unwrap().keystore_slot);
    assert!(matches!(
        Vault::open(&path, &Unlock::keystore()).unwrap_err(),
        Error::PasswordRequired
    ));
    vault.set_keystore(true).unwrap();
    Vault::open(&path, &Unlock::keystore()).expect("keystore slot back");
    vault.set_password(None).unwrap();
    assert_eq!(Vault::status(&path).unwrap().password_slot, None);
    assert_eq!(
        vault.set_keystore(false).unwrap_err().code(),
        "invalid_input"
    );
}

/// Byte ranges of a two-slot vault file, named for the failure messages.
fn regions(bytes: &[u8]) -> Vec<(&'static str, std::ops::Range<usize>)> {
    // Keystore slot: kind(1) len(2) body(60); password slot: kind(1) len(2) body(88).
    let slots_start = 35;
    let keystore_end = slots_start + 3 + 60;
    let password_end = keystore_end + 3 + 88;
    let nonce_end = password_end + 12;
    let ct_start = nonce_end + 4;
    let tag_start = bytes.len() - DIGEST_LEN - 16;
    vec![
        ("magic", 0..8),
        ("version", 8..10),
        ("vault id", 10..26),
        ("generation", 26..34),
        ("slot count", 34..35),
        ("keystore slot", slots_start..keystore_end),
        ("password slot", keystore_end..password_end),
        ("nonce", password_end..nonce_end),
        ("ciphertext length", nonce_end..ct_start),
        ("ciphertext", ct_start..tag_start),
        ("tag", tag_start..bytes.len() - DIGEST_LEN),
        ("digest", bytes.len() - DIGEST_LEN..bytes.len()),
    ]
}

#[test]
fn one_flipped_byte_anywhere_is_refused_and_the_file_is_left_untouched() {
    require_keystore();
    let (_dir, path) = vault_path();
    let mut vault = Vault::create(&path, keystore_and_password()).unwrap();
    vault.add_account(totp("GitHub", "alice", 1)).unwrap();
    vault.add_account(totp("Example", "bob", 2)).unwrap();
    drop(vault);
    let good = std::fs::read(&path).unwrap();
    // The layout assumption behind `regions` holds for this file.
    let parsed = VaultFile::parse(&good).unwrap();
    assert_eq!(parsed.slots.len(), 2);
    let unlock = Unlock::keystore_or_password(password());

    for (region, range) in regions(&good) {
        for i in range {
            let mut bad = good.clone();
            bad[i] ^= 0x04;
            std::fs::write(&path, &bad).unwrap();
            let err = Vault::open(&path, &unlock).unwrap_err();
            let expected = match region {
                "magic" => "not_a_vault",
                "version" => "vault_version_unsupported",
                _ => "vault_tampered",
            };
            assert_eq!(err.code(), expected, "{region} byte {i}: {err}");
            if let Error::VaultTampered { previous, .. } = &err {
                assert_eq!(previous.as_deref(), Some(previous_path(&path).as_path()));
                // The message names the files; apart from them, no number in it is the offset.
                let message = err
                    .to_string()
                    .replace(&previous_path(&path).display().to_string(), "")
                    .replace(&path.display().to_string(), "");
                assert!(
                    !message
                        .split(|c: char| !c.is_ascii_digit())
                        .any(|number| number == i.to_string()),
                    "no byte offsets: {err}"
                );
            }
            assert_eq!(
                std::fs::read(&path).unwrap(),
                bad,
                "{region} byte {i}: file changed"
            );
        }
    }
}

/// A forger who also recomputes the integrity digest still cannot get a modified file opened:
/// AES-GCM authenticates the header as associated data and the slots seal the key.
#[test]
fn a_flipped_byte_with_a_recomputed_digest_never_opens() {
    require_keystore();
    let (_dir, path) = vault_path();
    let mut vault = Vault::create(&path, keystore_and_password()).unwrap();
    vault.add_account(totp("GitHub", "alice", 1)).unwrap();
    drop(vault);
    let good = std::fs::read(&path).unwrap();
    let unlock = Unlock::keystore_or_password(password());

    for (region, range) in regions(&good) {
        if matches!(region, "magic" | "version" | "digest") {
            continue;
        }
        // Every byte of the header and slots; a sample of the ciphertext; the whole tag.
        let step = if region == "ciphertext" { 7 } else { 1 };
        for i in range.step_by(step) {
            let mut bad = good[..good.len() - DIGEST_LEN].to_vec();
            bad[i] ^= 0x04;
            let digest = ring::digest::digest(&ring::digest::SHA256, &bad);
            bad.extend_from_slice(digest.as_ref());
            std::fs::write(&path, &bad).unwrap();
            let err = Vault::open(&path, &unlock).unwrap_err();
            // Changing the vault id points at another keystore entry and another password
            // slot binding: the password slot then fails to open, like a wrong password.
            let allowed: &[&str] = if region == "vault id" {
                &["vault_tampered", "wrong_password"]
            } else {
                &["vault_tampered"]
            };
            assert!(allowed.contains(&err.code()), "{region} byte {i}: {err}");
            assert_eq!(std::fs::read(&path).unwrap(), bad);
        }
    }
}

#[test]
fn a_backup_password_is_its_own_keystore_entry_beside_the_vault_key() {
    require_keystore();
    let (_dir, path) = vault_path();
    let vault = Vault::create(&path, countersign_core::CreateOptions::default()).unwrap();
    let id = vault.id();
    drop(vault);
    assert!(matches!(
        keystore::backup_password(&id),
        Err(Error::KeystoreEntryMissing)
    ));

    keystore::store_backup_password(&id, &Password::new("backup pw 1")).unwrap();
    keystore::store_backup_password(&id, &Password::new("backup pw 2")).unwrap();
    assert_eq!(
        keystore::backup_password(&id).unwrap().as_str(),
        "backup pw 2"
    );
    // The vault key is untouched by the second entry.
    assert_eq!(Vault::open(&path, &Unlock::keystore()).unwrap().id(), id);

    keystore::delete_backup_password(&id).unwrap();
    keystore::delete_backup_password(&id).unwrap();
    assert!(matches!(
        keystore::backup_password(&id),
        Err(Error::KeystoreEntryMissing)
    ));
    assert!(Vault::open(&path, &Unlock::keystore()).is_ok());
    assert!(keystore::store_backup_password(&id, &Password::new("")).is_err());
}
