//! Exports: leaving must be as easy as arriving.
//!
//! - [`otpauth`]: one `otpauth://` URI per line. **Plaintext**: anyone who reads the file has
//!   every secret; front ends warn before writing it.
//! - [`aegis`]: an encrypted Aegis vault (`aegis-export-*.json`) that Aegis opens with the
//!   password. Layout (see `import::apps` for the reading side): a password slot
//!   (`type` 1) with `scrypt(password, 32-byte random salt, N = 2^15, r = 8, p = 1)` sealing a
//!   random 256-bit master key with AES-256-GCM; the database
//!   `{"version": 2, "entries": [...]}` sealed under the master key with AES-256-GCM, base64 in
//!   `db`, nonce and tag in `header.params` (hex).
//! - [`countersign`]: a copy of the vault with a password slot only (no keystore slot), so it
//!   opens on another machine.
//! - [`google_qr`]: Google Authenticator transfer QR codes (PNG), as many as needed.
//! - [`backup`]: automatic versioned backups to a folder, keeping the last N.

pub mod backup;

use std::path::Path;

use countersign_oath::Kind;
use serde_json::json;
use zeroize::Zeroizing;

use crate::account::Account;
use crate::import::crypto;
use crate::password::Password;
use crate::vault::{CreateOptions, KdfParams, Vault};

/// What `countersign export --format` can write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ExportFormat {
    /// `otpauth://` URIs, one per line (plaintext).
    Otpauth,
    /// Encrypted Aegis vault JSON.
    Aegis,
    /// A Countersign vault with a password slot.
    Countersign,
    /// Google Authenticator transfer QR codes.
    GoogleQr,
}

impl std::str::FromStr for ExportFormat {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<ExportFormat, crate::Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "otpauth" | "uris" => Ok(ExportFormat::Otpauth),
            "aegis" => Ok(ExportFormat::Aegis),
            "countersign" => Ok(ExportFormat::Countersign),
            "google-qr" | "google" => Ok(ExportFormat::GoogleQr),
            other => Err(crate::Error::InvalidInput(format!(
                "unknown export format {other:?}: expected otpauth, aegis, countersign or google-qr"
            ))),
        }
    }
}

/// The Aegis scrypt cost Countersign writes (Aegis's own default).
pub const AEGIS_SCRYPT_N: u64 = 1 << 15;
const AEGIS_SCRYPT_R: u32 = 8;
const AEGIS_SCRYPT_P: u32 = 1;

/// One `otpauth://` URI per line, in vault order. Contains every secret in plaintext.
pub fn otpauth(accounts: &[Account]) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::new());
    for account in accounts {
        out.push_str(&account.to_key_uri().to_uri());
        out.push('\n');
    }
    out
}

/// An encrypted Aegis vault holding `accounts`, openable in Aegis with `password`.
pub fn aegis(accounts: &[Account], password: &Password) -> Result<String, crate::Error> {
    aegis_with_cost(accounts, password, AEGIS_SCRYPT_N)
}

/// [`aegis`] with another scrypt cost `n` (a power of two; tests use a small one).
pub fn aegis_with_cost(
    accounts: &[Account],
    password: &Password,
    n: u64,
) -> Result<String, crate::Error> {
    if password.is_empty() {
        return Err(crate::Error::InvalidInput(
            "an Aegis export needs a non-empty password".into(),
        ));
    }
    let entries: Vec<serde_json::Value> = accounts.iter().map(aegis_entry).collect();
    let db = Zeroizing::new(
        serde_json::to_vec(&json!({ "version": 2, "entries": entries }))
            .map_err(|e| crate::Error::InvalidInput(format!("could not encode the export: {e}")))?,
    );
    let master = Zeroizing::new(crypto::random::<32>());
    let (db_nonce, db_sealed, db_tag) = crypto::gcm_seal(&master, &db);

    let salt = crypto::random::<32>();
    let slot_key = crypto::scrypt(
        password.as_bytes(),
        &salt,
        n,
        AEGIS_SCRYPT_R,
        AEGIS_SCRYPT_P,
    )
    .map_err(crate::Error::InvalidInput)?;
    let (key_nonce, key_sealed, key_tag) = crypto::gcm_seal(&slot_key, &master[..]);

    let vault = json!({
        "version": 1,
        "header": {
            "slots": [{
                "type": 1,
                "uuid": uuid::Uuid::new_v4().to_string(),
                "key": crypto::hex(&key_sealed),
                "key_params": { "nonce": crypto::hex(&key_nonce), "tag": crypto::hex(&key_tag) },
                "n": n,
                "r": AEGIS_SCRYPT_R,
                "p": AEGIS_SCRYPT_P,
                "salt": crypto::hex(&salt),
                "repaired": true,
                "is_backup": false,
            }],
            "params": { "nonce": crypto::hex(&db_nonce), "tag": crypto::hex(&db_tag) },
        },
        "db": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &db_sealed),
    });
    serde_json::to_string_pretty(&vault)
        .map_err(|e| crate::Error::InvalidInput(format!("could not encode the export: {e}")))
}

fn aegis_entry(account: &Account) -> serde_json::Value {
    let otp = &account.otp;
    let (kind, info) = match otp.kind {
        Kind::Totp { period } => ("totp", json!({ "period": u32::from(period) })),
        Kind::Hotp { counter } => ("hotp", json!({ "counter": counter })),
        Kind::Steam { period } => ("steam", json!({ "period": u32::from(period) })),
    };
    let mut info = info;
    info["secret"] = json!(otp.secret.to_base32());
    info["algo"] = json!(otp.algorithm.to_string());
    info["digits"] = json!(if kind == "steam" {
        5
    } else {
        u8::from(otp.digits)
    });
    json!({
        "type": kind,
        "uuid": account.id.to_string(),
        "name": account.name,
        "issuer": account.issuer,
        "note": "",
        "favorite": account.favourite,
        "icon": null,
        "group": account.group,
        "info": info,
    })
}

/// Writes a copy of `vault`'s accounts to a new Countersign vault at `out` that opens with
/// `password` alone (no keystore slot). Refuses to overwrite an existing file.
pub fn countersign(vault: &Vault, out: &Path, password: Password) -> Result<(), crate::Error> {
    countersign_with_kdf(vault.accounts(), out, password, KdfParams::DEFAULT)
}

/// [`countersign`] from a list of accounts with a chosen Argon2id cost (tests use a fast one).
pub fn countersign_with_kdf(
    accounts: &[Account],
    out: &Path,
    password: Password,
    kdf: KdfParams,
) -> Result<(), crate::Error> {
    if password.is_empty() {
        return Err(crate::Error::InvalidInput(
            "a Countersign export needs a non-empty password".into(),
        ));
    }
    let mut copy = Vault::create(out, CreateOptions::password_only(password).with_kdf(kdf))?;
    if !accounts.is_empty() {
        copy.add_accounts(accounts.to_vec())?;
        // The save kept the empty first generation as `.prev`; an export is one file.
        let prev = crate::vault::file::previous_path(out);
        match std::fs::remove_file(&prev) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(crate::Error::io("remove", prev, e)),
        }
    }
    Ok(())
}

/// Google Authenticator transfer QR codes as PNG images (several when the accounts do not fit
/// in one code).
#[cfg(feature = "qr")]
pub fn google_qr(accounts: &[Account]) -> Result<Vec<Vec<u8>>, crate::Error> {
    crate::qr::transfer_pngs(accounts)
        .map_err(|e| crate::Error::InvalidInput(format!("could not make the QR codes: {e}")))
}

/// Google Authenticator transfer QR codes: not available in a build without the `qr` feature.
#[cfg(not(feature = "qr"))]
pub fn google_qr(_accounts: &[Account]) -> Result<Vec<Vec<u8>>, crate::Error> {
    Err(crate::Error::InvalidInput(
        "QR export is not available: this build has no QR support (the `qr` feature)".into(),
    ))
}
