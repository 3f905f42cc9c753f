//! Shared helpers for the vault integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use countersign_core::{Account, CreateOptions, KdfParams, Password};
use countersign_oath::{Algorithm, Digits, Otp, Period, Secret};

/// The password every test vault uses.
pub const PASSWORD: &str = "correct horse battery staple";

pub fn password() -> Password {
    Password::new(PASSWORD)
}

/// A password-only vault with cheap Argon2id, for tests that do not need the keystore.
pub fn password_only() -> CreateOptions {
    CreateOptions::password_only(password()).with_kdf(KdfParams::INSECURE_FAST_FOR_TESTS)
}

/// A keystore vault that also has a cheap password slot.
pub fn keystore_and_password() -> CreateOptions {
    CreateOptions::default()
        .with_password(password())
        .with_kdf(KdfParams::INSECURE_FAST_FOR_TESTS)
}

/// A fresh folder and a vault path inside it (not yet existing).
pub fn vault_path() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("vault.csv1");
    (dir, path)
}

/// A distinct secret per `n` (20 bytes, like most services).
pub fn secret(n: u32) -> Secret {
    let mut bytes = b"countersign-secret!!".to_vec();
    bytes[..4].copy_from_slice(&n.to_be_bytes());
    Secret::from_bytes(bytes)
}

pub fn totp(issuer: &str, name: &str, n: u32) -> Account {
    let otp = Otp::new_totp(
        secret(n),
        Algorithm::Sha1,
        Digits::new(6).expect("6 digits"),
        Period::new(30).expect("30 s"),
    );
    account(issuer, name, otp)
}

pub fn hotp(issuer: &str, name: &str, secret: Secret, counter: u64) -> Account {
    let otp = Otp::new_hotp(
        secret,
        Algorithm::Sha1,
        Digits::new(6).expect("6 digits"),
        counter,
    );
    account(issuer, name, otp)
}

fn account(issuer: &str, name: &str, otp: Otp) -> Account {
    Account {
        id: countersign_core::AccountId::new_random(),
        issuer: issuer.into(),
        name: name.into(),
        otp,
        icon: None,
        group: None,
        favourite: false,
        position: 0,
        created: 1_700_000_000,
        last_used: None,
    }
}

/// True when `needle` occurs anywhere in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
