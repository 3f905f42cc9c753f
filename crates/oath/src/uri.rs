//! `otpauth://` Key URIs.
//! (Module docs with the accepted grammar follow with the implementation.)

use std::fmt;

use crate::{Otp, SecretError};

/// An account as an `otpauth://` URI describes it.
///
/// `Debug` and `Display` never show the secret; [`KeyUri::to_uri`] does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyUri {
    /// How codes are computed, with the secret.
    pub otp: Otp,
    /// The service, from the `issuer` parameter or the label prefix.
    pub issuer: Option<String>,
    /// The account name (the label after `Issuer:`).
    pub account: String,
    /// The `image` parameter (an icon URL some services send).
    pub image: Option<String>,
    /// Parameters this crate does not interpret, in order, decoded; written back by
    /// [`KeyUri::to_uri`].
    pub extra: Vec<(String, String)>,
}

impl KeyUri {
    /// Parses an `otpauth://` URI.
    pub fn parse(uri: &str) -> Result<KeyUri, UriError> {
        let _ = uri;
        todo!()
    }

    /// Formats as an `otpauth://` URI, secret included.
    pub fn to_uri(&self) -> String {
        todo!()
    }
}

impl fmt::Display for KeyUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.issuer {
            Some(issuer) => write!(f, "{issuer}: {}", self.account),
            None => f.write_str(&self.account),
        }
    }
}

impl std::str::FromStr for KeyUri {
    type Err = UriError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KeyUri::parse(s)
    }
}

/// What is wrong with an `otpauth://` URI. Each variant names the part at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UriError {
    /// The URI does not start with `otpauth://`.
    #[error("not an otpauth URI: it must start with `otpauth://`")]
    Scheme,
    /// The type (host) is not `totp`, `hotp` or `steam`.
    #[error("unknown OTP type `{found}` (expected totp, hotp or steam)")]
    Type {
        /// The type that was given.
        found: String,
    },
    /// There is no label, or it is empty and there is no `issuer` parameter either.
    #[error("the label (`Issuer:account` after the type) is missing")]
    MissingLabel,
    /// A part is not valid percent-encoded UTF-8.
    #[error("the {part} is not valid percent-encoded UTF-8")]
    Encoding {
        /// `label` or `parameter NAME`.
        part: String,
    },
    /// No `secret` parameter.
    #[error("the `secret` parameter is missing")]
    MissingSecret,
    /// The `secret` parameter is not base32.
    #[error("the `secret` parameter is invalid: {0}")]
    Secret(#[source] SecretError),
    /// The `algorithm` parameter is not SHA1, SHA256 or SHA512.
    #[error("the `algorithm` parameter `{found}` is not supported (SHA1, SHA256 or SHA512)")]
    Algorithm {
        /// The value that was given.
        found: String,
    },
    /// The `digits` parameter is not a number from 6 to 10 (5 only for Steam).
    #[error("the `digits` parameter `{found}` is not supported (6 to 10)")]
    Digits {
        /// The value that was given.
        found: String,
    },
    /// The `period` parameter is not a number of seconds from 1 to 86400.
    #[error("the `period` parameter `{found}` is not supported (1 to 86400 seconds)")]
    Period {
        /// The value that was given.
        found: String,
    },
    /// A `hotp` URI has no `counter` parameter.
    #[error("the `counter` parameter is missing (required for hotp)")]
    MissingCounter,
    /// The `counter` parameter is not a non-negative 64-bit integer.
    #[error("the `counter` parameter `{found}` is not a non-negative integer")]
    Counter {
        /// The value that was given.
        found: String,
    },
    /// A parameter this crate interprets appears more than once.
    #[error("the `{name}` parameter appears more than once")]
    DuplicateParameter {
        /// The parameter's name.
        name: String,
    },
}
