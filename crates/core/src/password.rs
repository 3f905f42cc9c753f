//! [`Password`]: a vault password that is wiped from memory when dropped.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

/// A password for a vault's password slot.
///
/// The bytes are zeroized on drop and never printed by `Debug`. Leading and trailing whitespace
/// is kept: a password is what the user typed (front ends strip the one trailing newline of
/// `--password-stdin` themselves, see [`Password::from_stdin_line`]).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Password(String);

impl Password {
    /// Wraps a password. Empty passwords are refused where a password slot is made
    /// ([`crate::vault::Vault::set_password`]), not here, so a typed-in empty password can still
    /// be reported as wrong.
    pub fn new(password: impl Into<String>) -> Self {
        Password(password.into())
    }

    /// A password read as one line (from stdin or an environment variable): drops one trailing
    /// `\n` or `\r\n`, nothing else.
    pub fn from_stdin_line(mut line: String) -> Self {
        if line.ends_with('\n') {
            line.pop();
            if line.ends_with('\r') {
                line.pop();
            }
        }
        Password(line)
    }

    /// The password text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The password bytes (UTF-8), as fed to Argon2id.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// True when the password is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Password {
    fn from(value: String) -> Self {
        Password(value)
    }
}

impl From<&str> for Password {
    fn from(value: &str) -> Self {
        Password(value.to_owned())
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..redacted..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_password() {
        let p = Password::new("hunter2");
        assert_eq!(format!("{p:?}"), "Password(..redacted..)");
    }

    #[test]
    fn stdin_line_loses_exactly_one_line_ending() {
        assert_eq!(Password::from_stdin_line("pw \r\n".into()).as_str(), "pw ");
        assert_eq!(Password::from_stdin_line("pw\n\n".into()).as_str(), "pw\n");
        assert_eq!(Password::from_stdin_line("pw".into()).as_str(), "pw");
    }
}
