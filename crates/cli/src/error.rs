//! The CLI's error: a message for the person at the terminal and a documented exit code.

use std::fmt;

use countersign_core::Error as CoreError;

/// Exit codes, documented in `countersign --help` and the README.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitCode {
    /// Something failed that fits no other code (I/O, keystore trouble other than locking).
    Failure = 1,
    /// The command line was wrong (clap uses 2 as well).
    Usage = 2,
    /// No vault, or no account matches.
    NotFound = 3,
    /// The vault stayed locked: password required or wrong, keystore unreachable.
    Locked = 4,
    /// The vault file is damaged, was modified, or has an unknown format.
    Damaged = 5,
    /// Input was malformed (a URI, a secret, a file to import).
    Input = 6,
}

/// An error to print (without a backtrace) before exiting with its code.
#[derive(Debug)]
pub struct CliError {
    /// What went wrong and what to do about it.
    pub message: String,
    /// The exit code.
    pub exit: ExitCode,
}

impl CliError {
    /// The command line asks for something impossible.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            exit: ExitCode::Usage,
        }
    }

    /// Input (a URI, a secret, a file) was malformed.
    pub fn input(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            exit: ExitCode::Input,
        }
    }

    /// Nothing matched.
    pub fn not_found(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            exit: ExitCode::NotFound,
        }
    }

    /// Anything else.
    pub fn failure(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            exit: ExitCode::Failure,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<CoreError> for CliError {
    fn from(err: CoreError) -> Self {
        let exit = match err.code() {
            "vault_not_found" | "account_not_found" => ExitCode::NotFound,
            "password_required"
            | "wrong_password"
            | "keystore_unavailable"
            | "keystore_timeout"
            | "keystore_entry_missing"
            | "no_usable_slot" => ExitCode::Locked,
            "vault_tampered" | "not_a_vault" | "vault_version_unsupported" => ExitCode::Damaged,
            "invalid_input" => ExitCode::Input,
            _ => ExitCode::Failure,
        };
        CliError {
            message: err.to_string(),
            exit,
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(err: std::io::Error) -> Self {
        CliError::failure(format!("I/O error: {err}"))
    }
}
