//! The HMAC hash function of an OTP account.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The hash function HOTP/TOTP runs HMAC with (RFC 6238 section 1.2).
///
/// Displays as `SHA1`, `SHA256` or `SHA512`, the spelling `otpauth://` URIs use; parses those
/// case-insensitively, with or without a hyphen (`sha-256`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Algorithm {
    /// HMAC-SHA-1, the default of RFC 4226 and of almost every service.
    #[default]
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl Algorithm {
    /// The canonical name: `SHA1`, `SHA256` or `SHA512`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }

    pub(crate) const fn to_totp_rs(self) -> totp_rs::Algorithm {
        match self {
            Algorithm::Sha1 => totp_rs::Algorithm::SHA1,
            Algorithm::Sha256 => totp_rs::Algorithm::SHA256,
            Algorithm::Sha512 => totp_rs::Algorithm::SHA512,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not the name of a supported algorithm.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unsupported algorithm `{found}` (expected SHA1, SHA256 or SHA512)")]
pub struct UnknownAlgorithm {
    /// The text that was given.
    pub found: String,
}

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim();
        let known = [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512];
        known
            .into_iter()
            .find(|alg| {
                let canonical = alg.as_str();
                name.eq_ignore_ascii_case(canonical)
                    || name.replacen('-', "", 1).eq_ignore_ascii_case(canonical)
            })
            .ok_or_else(|| UnknownAlgorithm {
                found: s.to_owned(),
            })
    }
}
