//! HOTP (RFC 4226), TOTP (RFC 6238) and Steam Guard codes.
//!
//! The HMAC and the dynamic truncation come from `totp-rs`: every code is its
//! `Totp::generate(counter)` with a one-second step, so the time step and the HOTP counter
//! are both just "the counter" here. The one case `totp-rs` cannot do is 10 digits: it reduces
//! the truncated value modulo `10^digits` in a `u32`, and 10^10 does not fit, so it panics.
//! A 10-digit code is the whole 31-bit truncated value, zero-padded; [`ten_digit_code`]
//! computes it from `totp-rs`'s HMAC output.

use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::{Algorithm, Digits, Period, Secret};

/// Steam Guard's code alphabet: 26 characters, no vowels or look-alikes.
pub const STEAM_ALPHABET: &str = "23456789BCDFGHJKMNPQRTVWXY";

/// Steam Guard codes are always this many characters.
pub const STEAM_CODE_LENGTH: usize = 5;

/// How the counter an OTP is computed from moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Kind {
    /// Time-based (RFC 6238): the counter is `unix_seconds / period`.
    Totp {
        /// Length of one time step.
        period: Period,
    },
    /// Event-based (RFC 4226): the counter moves on each use.
    Hotp {
        /// The counter the next code is computed from.
        counter: u64,
    },
    /// Steam Guard: TOTP with HMAC-SHA-1 whose code is 5 characters of [`STEAM_ALPHABET`].
    Steam {
        /// Length of one time step (Steam uses 30 s).
        period: Period,
    },
}

/// Everything needed to compute an account's codes.
///
/// For [`Kind::Steam`], `algorithm` and `digits` are ignored: Steam codes are always HMAC-SHA-1
/// and 5 characters. [`Otp::new_steam`] sets them to SHA-1 and 6 so they read sensibly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Otp {
    /// TOTP, HOTP or Steam, with the period or counter.
    pub kind: Kind,
    /// The HMAC hash function.
    pub algorithm: Algorithm,
    /// The code length.
    pub digits: Digits,
    /// The shared key.
    pub secret: Secret,
}

impl Otp {
    /// A TOTP account.
    pub fn new_totp(secret: Secret, algorithm: Algorithm, digits: Digits, period: Period) -> Otp {
        Otp {
            kind: Kind::Totp { period },
            algorithm,
            digits,
            secret,
        }
    }

    /// A HOTP account whose next code uses `counter`.
    pub fn new_hotp(secret: Secret, algorithm: Algorithm, digits: Digits, counter: u64) -> Otp {
        Otp {
            kind: Kind::Hotp { counter },
            algorithm,
            digits,
            secret,
        }
    }

    /// A Steam Guard account (SHA-1, 30 s, 5 characters).
    pub fn new_steam(secret: Secret) -> Otp {
        Otp {
            kind: Kind::Steam {
                period: Period::THIRTY_SECONDS,
            },
            algorithm: Algorithm::Sha1,
            digits: Digits::SIX,
            secret,
        }
    }

    /// The code at `unix_seconds` for TOTP and Steam; for HOTP, the code of the stored counter
    /// (time plays no part).
    pub fn code_at(&self, unix_seconds: u64) -> Code {
        self.code_for_counter(self.counter_at(unix_seconds))
    }

    /// The code to show now: [`Otp::code_at`] under a name that reads well for HOTP too.
    pub fn current(&self, unix_seconds: u64) -> Code {
        self.code_at(unix_seconds)
    }

    /// The code for an explicit counter value, whatever the kind (for TOTP and Steam the
    /// counter is the time step number).
    pub fn hotp(&self, counter: u64) -> Code {
        self.code_for_counter(counter)
    }

    /// Seconds until the code shown at `unix_seconds` changes (1..=period); `None` for HOTP.
    pub fn seconds_left(&self, unix_seconds: u64) -> Option<u32> {
        let period = self.period()?;
        let period = u64::from(period.seconds());
        // The remainder is below the period, which is a u32.
        Some((period - unix_seconds % period) as u32)
    }

    /// The time step, for TOTP and Steam.
    pub fn period(&self) -> Option<Period> {
        match self.kind {
            Kind::Totp { period } | Kind::Steam { period } => Some(period),
            Kind::Hotp { .. } => None,
        }
    }

    /// The number of characters codes have (5 for Steam).
    pub fn code_length(&self) -> usize {
        match self.kind {
            Kind::Steam { .. } => STEAM_CODE_LENGTH,
            _ => usize::from(self.digits.value()),
        }
    }

    /// Checks `code` against the time steps within `window` steps of `unix_seconds`
    /// (TOTP, Steam) or against the stored counter and the `window` counters after it (HOTP).
    ///
    /// Returns the offset (in steps or counters) of the first match, trying the current step
    /// first, then -1, +1, -2, +2... Spaces in `code` are ignored; Steam codes are compared
    /// case-insensitively. The caller must remember used steps: a code is valid only once.
    /// The cost is one HMAC per step tried, so keep `window` small (RFC 6238 suggests 1).
    pub fn verify(&self, code: &str, unix_seconds: u64, window: u32) -> Option<i64> {
        let code = self.normalise_candidate(code)?;
        match self.kind {
            Kind::Hotp { counter } => self
                .verify_hotp(&code, counter, window)
                .map(|matched| (matched - counter) as i64),
            Kind::Totp { .. } | Kind::Steam { .. } => {
                let origin = self.counter_at(unix_seconds);
                let generator = self.generator();
                let window = i64::from(window);
                let offsets = std::iter::once(0).chain((1..=window).flat_map(|step| [-step, step]));
                offsets.into_iter().find(|&offset| {
                    origin
                        .checked_add_signed(offset)
                        .is_some_and(|counter| generator.code(counter).ct_eq(&code))
                })
            }
        }
    }

    /// HOTP look-ahead (RFC 4226 section 7.4): checks `code` against `counter` and the
    /// `look_ahead` counters after it, returning the counter that matched. The server should
    /// then store `matched + 1` as the next counter.
    pub fn verify_hotp(&self, code: &str, counter: u64, look_ahead: u32) -> Option<u64> {
        let code = self.normalise_candidate(code)?;
        let generator = self.generator();
        (0..=u64::from(look_ahead))
            .map_while(|offset| counter.checked_add(offset))
            .find(|&candidate| generator.code(candidate).ct_eq(&code))
    }

    fn counter_at(&self, unix_seconds: u64) -> u64 {
        match self.kind {
            Kind::Totp { period } | Kind::Steam { period } => {
                unix_seconds / u64::from(period.seconds())
            }
            Kind::Hotp { counter } => counter,
        }
    }

    /// Strips spaces and, for Steam, upper-cases; `None` when the length cannot match.
    fn normalise_candidate(&self, code: &str) -> Option<Zeroizing<String>> {
        let mut text = Zeroizing::new(String::with_capacity(code.len()));
        for character in code.chars().filter(|c| !c.is_whitespace()) {
            text.push(match self.kind {
                Kind::Steam { .. } => character.to_ascii_uppercase(),
                _ => character,
            });
        }
        (text.len() == self.code_length()).then_some(text)
    }

    fn code_for_counter(&self, counter: u64) -> Code {
        self.generator().code(counter)
    }

    fn generator(&self) -> Generator {
        let (algorithm, digits) = match self.kind {
            Kind::Steam { .. } => (totp_rs::Algorithm::Steam, STEAM_CODE_LENGTH as u8),
            _ => (self.algorithm.to_totp_rs(), self.digits.value()),
        };
        // A one-second step makes `generate(t)` the HOTP value of counter `t`. The builder's
        // checks (128-bit minimum secret, 6-8 digits) are RFC recommendations that real
        // accounts break, so it is built unchecked; `Digits` and `Period` hold the real limits.
        let totp = totp_rs::Builder::new()
            .with_algorithm(algorithm)
            .with_digits(digits)
            .with_step_duration(1)
            .with_secret(self.secret.as_bytes().to_vec())
            .build_noncompliant();
        Generator {
            totp,
            ten_digits: digits == 10,
        }
    }
}

/// `totp-rs` set up for one account (its secret copy is zeroized on drop), reused across the
/// counters a verification tries.
struct Generator {
    totp: totp_rs::Totp,
    ten_digits: bool,
}

impl Generator {
    fn code(&self, counter: u64) -> Code {
        if self.ten_digits {
            return ten_digit_code(self.totp.sign(counter).as_ref());
        }
        Code(Zeroizing::new(self.totp.generate(counter).to_string()))
    }
}

/// RFC 4226 section 5.3 dynamic truncation, shown whole: the 31-bit value is below 10^10, so
/// the 10-digit code is the value itself, zero-padded. `totp-rs` panics computing 10^10 in a
/// `u32`, which is why this one case is done here.
fn ten_digit_code(hmac: &[u8]) -> Code {
    // HMAC-SHA-1/256/512 outputs are 20, 32 or 64 bytes; offset + 3 <= 15 + 3 stays inside.
    let offset = usize::from(hmac[hmac.len() - 1] & 0x0f);
    let value = u32::from_be_bytes([
        hmac[offset],
        hmac[offset + 1],
        hmac[offset + 2],
        hmac[offset + 3],
    ]) & 0x7fff_ffff;
    Code(Zeroizing::new(format!("{value:010}")))
}

/// A one-time code: decimal digits, or 5 Steam characters. Wiped from memory when dropped;
/// `Debug` does not show it (`Display` does: that is what it is for).
#[derive(Clone)]
pub struct Code(Zeroizing<String>);

impl Code {
    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison with a candidate of the same length.
    fn ct_eq(&self, other: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), other.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Code(..redacted..)")
    }
}

impl PartialEq for Code {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other.as_str())
    }
}

impl Eq for Code {}

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}
