//! The one error type of this crate.
//!
//! Every variant is something a caller (the CLI, the app shell) can act on, and [`Error::code`]
//! gives the stable snake_case code the UI switches on. Messages say what went wrong and what to
//! do about it; they never carry secret material, and a decryption failure never says which byte
//! or key was wrong.

use std::path::PathBuf;

use crate::account::AccountId;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The OS keystore (Secret Service, Keychain, Credential Manager, Android Keystore) could not
    /// be reached at all.
    #[error("the OS keystore is not available ({detail}). {hint}")]
    KeystoreUnavailable {
        /// What the keystore library reported (no secret material).
        detail: String,
        /// How to fix it on this platform.
        hint: &'static str,
    },

    /// The OS keystore did not answer in time, most often because it is locked and waiting for
    /// an unlock prompt nobody answers.
    #[error(
        "the OS keystore did not answer within {seconds} s; it is probably locked. Unlock it \
         (log in to the desktop session, or run `gnome-keyring-daemon --unlock`) and retry, \
         or open the vault with its password"
    )]
    KeystoreTimeout {
        /// How long the call was given.
        seconds: u64,
    },

    /// The keystore answered, but holds no usable key for this vault (deleted, or replaced).
    #[error(
        "the OS keystore has no key for this vault (it was deleted or replaced); open the vault \
         with its password, or restore the keystore entry"
    )]
    KeystoreEntryMissing,

    /// The vault has a password slot and the keystore slot could not open it: a password is
    /// needed.
    #[error("this vault needs its password to open (the keystore could not unlock it)")]
    PasswordRequired,

    /// The password did not open the password slot.
    #[error("wrong password")]
    WrongPassword,

    /// The vault has no slot that could open it with what was offered (for example no keystore
    /// slot and no password slot, or a password given for a vault without a password slot).
    #[error("this vault cannot be opened this way: {reason}")]
    NoUsableSlot {
        /// Which slots exist and what was tried.
        reason: String,
    },

    /// The file decrypted to nothing this version understands, or failed its integrity check:
    /// it was damaged or modified. It was left untouched.
    #[error(
        "the vault file {} is damaged or was modified and cannot be decrypted; it was left untouched{}",
        path.display(),
        previous_hint(previous)
    )]
    VaultTampered {
        /// The damaged file.
        path: PathBuf,
        /// The previous generation, when one exists: `Vault::open_previous` opens it.
        previous: Option<PathBuf>,
    },

    /// The file is not a Countersign vault at all.
    #[error("{} is not a Countersign vault file", path.display())]
    NotAVault {
        /// The file.
        path: PathBuf,
    },

    /// The vault was written by a newer Countersign with a format this version cannot read.
    #[error(
        "the vault {} uses format version {version}, which this version of Countersign cannot \
         read; upgrade Countersign",
        path.display()
    )]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// The format version in its header.
        version: u16,
    },

    /// No vault file at the path.
    #[error("no vault at {}; create one first", path.display())]
    VaultNotFound {
        /// Where one was looked for.
        path: PathBuf,
    },

    /// Creating a vault where one already exists.
    #[error("a vault already exists at {}; it was left untouched", path.display())]
    VaultExists {
        /// The existing file.
        path: PathBuf,
    },

    /// The file changed on disk since this vault was opened (another program saved it); saving
    /// now would lose that program's changes.
    #[error(
        "the vault {} was changed by another program since it was opened; reopen it and retry",
        path.display()
    )]
    VaultChanged {
        /// The file.
        path: PathBuf,
    },

    /// No account with this id.
    #[error("no account with id {id}")]
    AccountNotFound {
        /// The id asked for.
        id: AccountId,
    },

    /// Input that cannot be acted on; the message says what is wrong.
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// Reading or writing a file failed.
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        /// What was being done ("read", "write", "rename", ...).
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

fn previous_hint(previous: &Option<PathBuf>) -> String {
    match previous {
        Some(p) => format!(
            "; the previous generation {} can be opened instead",
            p.display()
        ),
        None => String::new(),
    }
}

impl Error {
    /// A stable snake_case code for this error, for UIs and scripts to switch on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::KeystoreUnavailable { .. } => "keystore_unavailable",
            Error::KeystoreTimeout { .. } => "keystore_timeout",
            Error::KeystoreEntryMissing => "keystore_entry_missing",
            Error::PasswordRequired => "password_required",
            Error::WrongPassword => "wrong_password",
            Error::NoUsableSlot { .. } => "no_usable_slot",
            Error::VaultTampered { .. } => "vault_tampered",
            Error::NotAVault { .. } => "not_a_vault",
            Error::UnsupportedVersion { .. } => "vault_version_unsupported",
            Error::VaultNotFound { .. } => "vault_not_found",
            Error::VaultExists { .. } => "vault_exists",
            Error::VaultChanged { .. } => "vault_changed",
            Error::AccountNotFound { .. } => "account_not_found",
            Error::InvalidInput(_) => "invalid_input",
            Error::Io { .. } => "io",
        }
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
