//! Code verification against a user's software TOTP and hardware tokens.

use std::str::FromStr;

use countersign_oath::{Algorithm, Digits, Kind, Otp, Period, Secret};

use crate::state::Inner;
use crate::store::{TokenRow, User};

/// What checking a code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The code is valid and is now used up.
    Accepted {
        /// `totp`, `hardware_totp` or `hardware_hotp`.
        mode: &'static str,
        /// The token serial for hardware tokens.
        token: Option<String>,
    },
    /// The code is one that was accepted before.
    Reused {
        /// Mode of the token it belongs to.
        mode: &'static str,
        /// The token serial for hardware tokens.
        token: Option<String>,
    },
    /// No token of the user produces this code now.
    Wrong,
}

/// Builds the `Otp` a stored token row describes; `None` (and an error log) for a row that
/// cannot be read, which then never verifies anything.
pub fn otp_of(row: &TokenRow) -> Option<Otp> {
    let build = || -> Result<Otp, String> {
        let secret = Secret::from_base32(&row.secret).map_err(|e| e.to_string())?;
        let algorithm = Algorithm::from_str(&row.algorithm).map_err(|e| e.to_string())?;
        let digits = Digits::new(u8::try_from(row.digits).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
        Ok(match row.kind.as_str() {
            "hotp" => Otp::new_hotp(secret, algorithm, digits, row.counter.max(0) as u64),
            _ => {
                let period = Period::new(u32::try_from(row.period).map_err(|e| e.to_string())?)
                    .map_err(|e| e.to_string())?;
                Otp::new_totp(secret, algorithm, digits, period)
            }
        })
    };
    match build() {
        Ok(otp) => Some(otp),
        Err(e) => {
            tracing::error!(token = %row.serial, error = %e, "stored token cannot be read");
            None
        }
    }
}

/// Checks `code` for `user` at `now` and uses it up when it is valid.
pub async fn check_code(
    state: &Inner,
    user: &User,
    code: &str,
    now: i64,
) -> Result<Outcome, sqlx::Error> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.is_empty() || code.len() > 10 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Outcome::Wrong);
    }
    let now_u = now.max(0) as u64;
    let window = state.config.totp_window;
    let store = &state.store;

    if let Some(row) = store.software_token(&user.id).await? {
        if let Some(otp) = otp_of(&row) {
            if let Some(offset) = otp.verify(&code, now_u, window) {
                let step = now / row.period + offset;
                return Ok(if store.use_software_step(&user.id, step).await? {
                    Outcome::Accepted {
                        mode: "totp",
                        token: None,
                    }
                } else {
                    Outcome::Reused {
                        mode: "totp",
                        token: None,
                    }
                });
            }
        }
    }

    for row in store.hardware_tokens_for_verify(&user.id).await? {
        let Some(otp) = otp_of(&row) else { continue };
        let token = Some(row.serial.clone());
        match otp.kind {
            Kind::Hotp { counter } => {
                let look_ahead = state.config.hotp_look_ahead;
                if let Some(matched) = otp.verify_hotp(&code, counter, look_ahead) {
                    return Ok(
                        if store
                            .use_hardware_counter(&row.serial, matched as i64)
                            .await?
                        {
                            Outcome::Accepted {
                                mode: "hardware_hotp",
                                token,
                            }
                        } else {
                            Outcome::Reused {
                                mode: "hardware_hotp",
                                token,
                            }
                        },
                    );
                }
                // A code from just before the stored counter was used already.
                let back = u64::from(look_ahead).min(counter);
                if back > 0
                    && otp
                        .verify_hotp(&code, counter - back, (back - 1) as u32)
                        .is_some()
                {
                    return Ok(Outcome::Reused {
                        mode: "hardware_hotp",
                        token,
                    });
                }
            }
            _ => {
                let shifted = (now + row.drift * row.period).max(0) as u64;
                if let Some(offset) = otp.verify(&code, shifted, window) {
                    let step = shifted as i64 / row.period + offset;
                    let drift = row.drift + offset;
                    return Ok(
                        if store.use_hardware_step(&row.serial, step, drift).await? {
                            Outcome::Accepted {
                                mode: "hardware_totp",
                                token,
                            }
                        } else {
                            Outcome::Reused {
                                mode: "hardware_totp",
                                token,
                            }
                        },
                    );
                }
            }
        }
    }
    Ok(Outcome::Wrong)
}

/// HOTP resynchronisation (RFC 4226 §7.4): finds two consecutive codes within `window`
/// counters after the stored one and moves the counter past them. Returns the new counter.
pub fn resync_counter(
    otp: &Otp,
    counter: u64,
    first: &str,
    second: &str,
    window: u32,
) -> Option<u64> {
    let mut from = counter;
    let end = counter.saturating_add(u64::from(window));
    while from <= end {
        let matched = otp.verify_hotp(first, from, (end - from) as u32)?;
        if otp.verify_hotp(second, matched + 1, 0).is_some() {
            return Some(matched + 2);
        }
        from = matched + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resync_needs_two_consecutive_codes() {
        // RFC 4226 appendix D secret "12345678901234567890".
        let secret = Secret::from_bytes(b"12345678901234567890".to_vec());
        let otp = Otp::new_hotp(secret, Algorithm::Sha1, Digits::new(6).unwrap(), 0);
        // Counters 5 and 6: 254676, 287922 (RFC 4226 appendix D).
        assert_eq!(resync_counter(&otp, 0, "254676", "287922", 50), Some(7));
        assert_eq!(resync_counter(&otp, 0, "254676", "162583", 50), None);
        assert_eq!(resync_counter(&otp, 0, "254676", "287922", 4), None);
    }
}
