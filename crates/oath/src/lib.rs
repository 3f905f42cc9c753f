//! OTP algorithms (HOTP, TOTP, Steam), `otpauth://` Key URIs and Google Authenticator transfer
//! URIs. Pure: no I/O, no clock — time is always a parameter.
//!
//! ```
//! use countersign_oath::KeyUri;
//!
//! let uri = KeyUri::parse("otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example")?;
//! let code = uri.otp.code_at(59);
//! assert_eq!(code.as_str().len(), 6);
//! # Ok::<(), countersign_oath::UriError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod algorithm;
pub mod migration;
mod otp;
mod params;
pub mod pskc;
mod secret;
pub mod tokencsv;
pub mod uri;

pub use algorithm::{Algorithm, UnknownAlgorithm};
pub use otp::{Code, Kind, Otp, STEAM_ALPHABET, STEAM_CODE_LENGTH};
pub use params::{Digits, DigitsError, Period, PeriodError};
pub use secret::{Secret, SecretError};
pub use uri::{KeyUri, UriError};
