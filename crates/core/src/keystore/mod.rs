//! The OS keystore slot: the key that unwraps a vault's keystore slot, kept in the platform's
//! credential store through keyring v4 (`keyring-core` plus one native store per platform).
//!
//! - Entry naming: service [`SERVICE`], user `vault-<vault id>`, so two vaults never share an
//!   entry. The stored value is the 32-byte keystore key as 64 lowercase hex digits (KWallet's
//!   Secret Service only keeps UTF-8 text).
//! - The password the app encrypts a vault's automatic backups with (so it can write them
//!   without asking) is a second entry: service [`SERVICE`], user `backup-password-<vault id>`,
//!   value the password's UTF-8 text.
//! - Every call runs on its own thread, never on the caller's (an async runtime's worker may be
//!   the caller; Secret Service clients can panic inside a runtime), and is bounded by
//!   [`timeout`]: a locked keyring that waits for an unlock prompt gives
//!   [`Error::KeystoreTimeout`], not a hang.
//! - The platform store is made and installed with `keyring_core::set_default_store` at first
//!   use, unless the embedding program installed one already.

mod platform;

use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Duration;

use keyring_core::{CredentialStore, Entry};
use std::sync::Arc;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::password::Password;
use crate::vault::format::KEY_LEN;
use crate::vault::VaultId;

/// The keystore service name every vault entry uses.
pub const SERVICE: &str = "countersign";

/// How long a keystore call may take before it counts as hung (a locked keyring).
pub fn timeout() -> Duration {
    Duration::from_secs(10)
}

/// The keystore user name of a vault's entry: `vault-<uuid>`.
pub fn entry_user(vault: &VaultId) -> String {
    format!("vault-{vault}")
}

/// Stores (or replaces) the keystore key of a vault.
pub(crate) fn store_key(vault: &VaultId, key: &Zeroizing<[u8; KEY_LEN]>) -> Result<()> {
    let hex = Zeroizing::new(to_hex(&key[..]));
    let user = entry_user(vault);
    call(move |store| {
        let entry = Entry::new_in_store(&store, SERVICE, &user)?;
        entry.set_password(&hex)
    })
}

/// Loads the keystore key of a vault: [`Error::KeystoreEntryMissing`] when there is none.
pub(crate) fn load_key(vault: &VaultId) -> Result<Zeroizing<[u8; KEY_LEN]>> {
    let user = entry_user(vault);
    let text = call(move |store| {
        let entry = Entry::new_in_store(&store, SERVICE, &user)?;
        entry.get_password().map(Zeroizing::new)
    })?;
    from_hex(&text).ok_or(Error::KeystoreEntryMissing)
}

/// Deletes the keystore entry of a vault. Deleting an entry that does not exist succeeds.
///
/// After this, the vault opens only through its password slot (if it has one).
pub fn delete_key(vault: &VaultId) -> Result<()> {
    let user = entry_user(vault);
    match call(move |store| {
        let entry = Entry::new_in_store(&store, SERVICE, &user)?;
        entry.delete_credential()
    }) {
        Err(Error::KeystoreEntryMissing) => Ok(()),
        other => other,
    }
}

/// The keystore user name of a vault's automatic-backup password: `backup-password-<uuid>`.
pub fn backup_password_user(vault: &VaultId) -> String {
    format!("backup-password-{vault}")
}

/// Stores (or replaces) the password a vault's automatic backups are encrypted with.
pub fn store_backup_password(vault: &VaultId, password: &Password) -> Result<()> {
    if password.is_empty() {
        return Err(Error::InvalidInput("the backup password is empty".into()));
    }
    let text = Zeroizing::new(password.as_str().to_owned());
    let user = backup_password_user(vault);
    call(move |store| {
        let entry = Entry::new_in_store(&store, SERVICE, &user)?;
        entry.set_password(&text)
    })
}

/// Loads a vault's automatic-backup password: [`Error::KeystoreEntryMissing`] when none is
/// stored.
pub fn backup_password(vault: &VaultId) -> Result<Password> {
    let user = backup_password_user(vault);
    let mut text = call(move |store| {
        let entry = Entry::new_in_store(&store, SERVICE, &user)?;
        entry.get_password().map(Zeroizing::new)
    })?;
    if text.is_empty() {
        return Err(Error::KeystoreEntryMissing);
    }
    Ok(Password::new(std::mem::take(&mut *text)))
}

/// Deletes a vault's automatic-backup password. Deleting one that does not exist succeeds.
pub fn delete_backup_password(vault: &VaultId) -> Result<()> {
    let user = backup_password_user(vault);
    match call(move |store| {
        let entry = Entry::new_in_store(&store, SERVICE, &user)?;
        entry.delete_credential()
    }) {
        Err(Error::KeystoreEntryMissing) => Ok(()),
        other => other,
    }
}

/// Checks that the keystore answers (a throwaway lookup), for status screens and `doctor`.
pub fn check_available() -> Result<()> {
    match call(|store| {
        let entry = Entry::new_in_store(&store, SERVICE, "availability-check")?;
        entry.get_password().map(Zeroizing::new)
    }) {
        Ok(_) | Err(Error::KeystoreEntryMissing) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The store every call uses: installed on first use. A failed attempt is not cached, so a
/// keystore started later is picked up.
static STORE: Mutex<Option<Arc<CredentialStore>>> = Mutex::new(None);

fn store() -> keyring_core::Result<Arc<CredentialStore>> {
    let mut slot = STORE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(store) = slot.as_ref() {
        return Ok(store.clone());
    }
    let store = match keyring_core::get_default_store() {
        Some(store) => store,
        None => {
            let store = platform::new_store()?;
            keyring_core::set_default_store(store.clone());
            store
        }
    };
    *slot = Some(store.clone());
    Ok(store)
}

/// Runs a keystore operation on a fresh thread and waits at most [`timeout`] for it.
fn call<T, F>(op: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(Arc<CredentialStore>) -> keyring_core::Result<T> + Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("countersign-keystore".into())
        .spawn(move || {
            let result = store().and_then(op);
            // The receiver may have given up (timeout); nothing to do then.
            let _ = tx.send(result);
        });
    if let Err(e) = spawned {
        return Err(Error::KeystoreUnavailable {
            detail: format!("could not start the keystore thread: {e}"),
            hint: platform::HINT,
        });
    }
    match rx.recv_timeout(timeout()) {
        Ok(result) => result.map_err(map_error),
        // A hung call (a locked keyring waiting on a prompt) keeps its thread until it returns;
        // it holds no lock of ours.
        Err(mpsc::RecvTimeoutError::Timeout) => Err(Error::KeystoreTimeout {
            seconds: timeout().as_secs(),
        }),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(Error::KeystoreUnavailable {
            detail: "the keystore call failed unexpectedly".into(),
            hint: platform::HINT,
        }),
    }
}

fn map_error(e: keyring_core::Error) -> Error {
    use keyring_core::Error as K;
    match e {
        K::NoEntry => Error::KeystoreEntryMissing,
        // The bytes of a badly encoded entry are never put in a message.
        K::BadEncoding(_) | K::BadDataFormat(..) => Error::KeystoreEntryMissing,
        K::NoStorageAccess(inner) => Error::KeystoreUnavailable {
            detail: format!("access denied or keyring locked: {inner}"),
            hint: platform::HINT,
        },
        K::PlatformFailure(inner) => Error::KeystoreUnavailable {
            detail: inner.to_string(),
            hint: platform::HINT,
        },
        other => Error::KeystoreUnavailable {
            detail: other.to_string(),
            hint: platform::HINT,
        },
    }
}

fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0xf)] as char);
    }
    out
}

fn from_hex(text: &str) -> Option<Zeroizing<[u8; KEY_LEN]>> {
    let digits = text.trim().as_bytes();
    if digits.len() != KEY_LEN * 2 {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    for (i, pair) in digits.chunks_exact(2).enumerate() {
        key[i] = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_encoding_round_trips_and_refuses_wrong_lengths() {
        let key = Zeroizing::new([0xa5u8; KEY_LEN]);
        let text = to_hex(&key[..]);
        assert_eq!(text.len(), 64);
        assert_eq!(*from_hex(&text).unwrap(), *key);
        assert!(from_hex(&text[..62]).is_none());
        assert!(from_hex(&"zz".repeat(32)).is_none());
    }
}
