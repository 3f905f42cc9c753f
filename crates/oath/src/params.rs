//! Validated code length and time step.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The number of decimal digits of a HOTP/TOTP code: 6 to 10.
///
/// RFC 4226 asks for at least 6; codes are the 31-bit truncated HMAC value modulo 10^digits,
/// so 10 digits is the most that carries information.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Digits(u8);

impl Digits {
    /// Six digits, what nearly every service uses.
    pub const SIX: Digits = Digits(6);
    /// Eight digits.
    pub const EIGHT: Digits = Digits(8);
    /// The fewest digits accepted.
    pub const MIN: u8 = 6;
    /// The most digits accepted.
    pub const MAX: u8 = 10;

    /// Checks that `digits` is within 6..=10.
    pub fn new(digits: u8) -> Result<Digits, DigitsError> {
        if (Self::MIN..=Self::MAX).contains(&digits) {
            Ok(Digits(digits))
        } else {
            Err(DigitsError { found: digits })
        }
    }

    /// The number of digits.
    pub const fn value(self) -> u8 {
        self.0
    }
}

impl Default for Digits {
    fn default() -> Self {
        Digits::SIX
    }
}

impl fmt::Display for Digits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl TryFrom<u8> for Digits {
    type Error = DigitsError;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Digits::new(value)
    }
}

impl From<Digits> for u8 {
    fn from(value: Digits) -> Self {
        value.0
    }
}

/// A code length outside 6..=10.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{found} digits is not supported (codes have 6 to 10 digits)")]
pub struct DigitsError {
    /// The length that was given.
    pub found: u8,
}

/// The TOTP time step in seconds: 1 s to one day (86 400 s).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Period(u32);

impl Period {
    /// Thirty seconds, the default of RFC 6238 and of `otpauth://` URIs.
    pub const THIRTY_SECONDS: Period = Period(30);
    /// The shortest period accepted, in seconds.
    pub const MIN: u32 = 1;
    /// The longest period accepted, in seconds (one day).
    pub const MAX: u32 = 86_400;

    /// Checks that `seconds` is within 1..=86 400.
    pub fn new(seconds: u32) -> Result<Period, PeriodError> {
        if (Self::MIN..=Self::MAX).contains(&seconds) {
            Ok(Period(seconds))
        } else {
            Err(PeriodError { found: seconds })
        }
    }

    /// The period in seconds.
    pub const fn seconds(self) -> u32 {
        self.0
    }
}

impl Default for Period {
    fn default() -> Self {
        Period::THIRTY_SECONDS
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} s", self.0)
    }
}

impl TryFrom<u32> for Period {
    type Error = PeriodError;

    fn try_from(value: u32) -> Result<Self, Self::Error> {
        Period::new(value)
    }
}

impl From<Period> for u32 {
    fn from(value: Period) -> Self {
        value.0
    }
}

/// A time step outside 1 s..=1 day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a period of {found} s is not supported (1 s to 86400 s)")]
pub struct PeriodError {
    /// The period that was given, in seconds.
    pub found: u32,
}
