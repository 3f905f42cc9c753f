//! No keystore reachable: creating a keystore vault fails with an error that says how to fix
//! it, and password-only vaults work. One test per file: it points this process's D-Bus
//! session address at nothing before any keystore call.

mod vault_support;

use countersign_core::{CreateOptions, Error, Unlock, Vault};
use vault_support::*;

#[test]
fn without_a_keystore_creation_fails_clearly_and_password_only_vaults_work() {
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var(
        "DBUS_SESSION_BUS_ADDRESS",
        format!("unix:path={}", dir.path().join("no-bus-here").display()),
    );

    let path = dir.path().join("vault.csv1");
    let err = Vault::create(&path, CreateOptions::default()).unwrap_err();
    assert!(matches!(err, Error::KeystoreUnavailable { .. }), "{err:?}");
    assert_eq!(err.code(), "keystore_unavailable");
    let message = err.to_string();
    for hint in [
        "gnome-keyring",
        "KWallet",
        "--password-stdin",
        "COUNTERSIGN_PASSWORD",
    ] {
        assert!(message.contains(hint), "{hint:?} missing from: {message}");
    }
    assert!(
        !path.exists(),
        "no vault file is written without its key slot"
    );

    // Asking for a keystore slot and a password still fails: a slot asked for is never
    // silently left out.
    let err = Vault::create(&path, keystore_and_password()).unwrap_err();
    assert_eq!(err.code(), "keystore_unavailable");

    let mut vault = Vault::create(&path, password_only()).unwrap();
    vault.add_account(totp("Headless", "server", 1)).unwrap();
    let reopened = Vault::open(&path, &Unlock::keystore_or_password(password())).unwrap();
    assert_eq!(reopened.accounts().len(), 1);
    let err = Vault::open(&path, &Unlock::keystore()).unwrap_err();
    assert!(matches!(err, Error::PasswordRequired), "{err:?}");

    // Turning the keystore slot on needs the keystore: refused, vault unchanged.
    let before = std::fs::read(&path).unwrap();
    assert_eq!(
        vault.set_keystore(true).unwrap_err().code(),
        "keystore_unavailable"
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
}
