//! A keystore that never answers (a locked keyring waiting on a prompt nobody sees) gives a
//! timeout error, not a hang. The D-Bus "session bus" here is a socket that accepts
//! connections and then says nothing.
#![cfg(unix)]

use std::os::unix::net::UnixListener;
use std::time::{Duration, Instant};

use countersign_core::{keystore, CreateOptions, Error, Vault};

#[test]
fn a_keystore_that_never_answers_times_out_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("silent-bus");
    let listener = UnixListener::bind(&socket).unwrap();
    let silent = std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().take(4) {
            // Keep every connection open and never write a byte.
            held.push(conn);
        }
        std::thread::sleep(Duration::from_secs(60));
    });
    std::env::set_var(
        "DBUS_SESSION_BUS_ADDRESS",
        format!("unix:path={}", socket.display()),
    );

    let path = dir.path().join("vault.csv1");
    let started = Instant::now();
    let err = Vault::create(&path, CreateOptions::default()).unwrap_err();
    let waited = started.elapsed();
    assert!(matches!(err, Error::KeystoreTimeout { .. }), "{err:?}");
    assert_eq!(err.code(), "keystore_timeout");
    assert!(err.to_string().contains("locked"), "{err}");
    assert!(waited >= keystore::timeout(), "gave up early: {waited:?}");
    assert!(
        waited < keystore::timeout() + Duration::from_secs(5),
        "took {waited:?}"
    );
    assert!(!path.exists());
    drop(silent);
}
