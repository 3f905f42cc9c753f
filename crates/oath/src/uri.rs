//! `otpauth://` Key URIs, the format of enrollment QR codes.
//!
//! ```text
//! otpauth://TYPE/LABEL?PARAMETERS
//! TYPE   = totp | hotp | steam                    (case-insensitive)
//! LABEL  = [ISSUER ":"] ACCOUNT                   (percent-encoded; the colon may be %3A)
//! PARAMETERS: secret (required, base32), issuer, algorithm (SHA1 | SHA256 | SHA512),
//!             digits (6-10), period (seconds, 1-86400, default 30), counter (hotp, required),
//!             image, encoder; anything else is kept as is
//! ```
//!
//! What this parser accepts, and the rules it applies where apps disagree:
//!
//! - **Issuer.** The label is split at its first colon: before it is the label's issuer,
//!   after it the account. Leading spaces of the account are dropped (with or without a
//!   colon). When the `issuer` parameter is present and not empty it wins, also when the
//!   label's prefix differs: Google's Key URI format recommends the parameter and makes the
//!   prefix the fallback, and apps that disagree usually put a display name in the label. The
//!   account is still the part after the colon. With neither, the issuer is `None`. A label
//!   with no account and no issuer is [`UriError::MissingLabel`].
//! - **Percent-encoding.** The label and parameters are percent-decoded and must be UTF-8.
//!   In parameter values a `+` also means a space (HTML form encoding, which many
//!   generators use); in the label it is a literal `+`.
//! - **Secrets** are base32 in any case, with or without `=` padding, spaces or hyphens, and
//!   of any length (80-bit secrets are common).
//! - **Parameter names** this crate interprets are matched case-insensitively and may appear
//!   once ([`UriError::DuplicateParameter`]). Other parameters are kept in
//!   [`KeyUri::extra`] in order and written back by [`KeyUri::to_uri`]; so are `period` on a
//!   hotp URI and `counter` on a totp URI, which mean nothing there.
//! - **Steam Guard** codes are recognised three ways, as other apps write them:
//!   `otpauth://steam/...` (Aegis, andOTP), `otpauth://totp/...&encoder=steam` (KeePassXC),
//!   and `otpauth://totp/...` with issuer `Steam` and `digits=5` (Steam's own 5-character
//!   codes; a Steam-issued 6-digit TOTP stays TOTP). Their `digits` must be absent or 5 and
//!   `algorithm` absent or SHA1. [`KeyUri::to_uri`] writes `otpauth://steam/`.
//! - A `#fragment` is ignored.
//!
//! Formatting writes `Issuer:account` with the `issuer` parameter, the secret in upper-case
//! unpadded base32, and `algorithm`, `digits` and `period`/`counter` always, so that parsing
//! the output gives back an equal [`KeyUri`]. An issuer containing a colon is written only as
//! the parameter; an account containing a colon without an issuer prefix gets an empty prefix
//! (`:a:b`) so that it is not read as one.

use std::fmt;

use zeroize::Zeroizing;

use crate::{Algorithm, Digits, Kind, Otp, Period, Secret, SecretError};

/// The issuer that, with `digits=5`, marks a totp URI as Steam Guard.
const STEAM_ISSUER: &str = "Steam";

/// An account as an `otpauth://` URI describes it.
///
/// The accepted syntax and the rules for ambiguous cases are in the [module docs](crate::uri).
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
    ///
    /// See the [module docs](crate::uri) for what is accepted and the rules applied.
    pub fn parse(uri: &str) -> Result<KeyUri, UriError> {
        let uri = uri.trim();
        let rest = strip_prefix_ignore_case(uri, "otpauth://").ok_or(UriError::Scheme)?;
        let rest = rest.split('#').next().unwrap_or_default();
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (kind_name, label) = match path.split_once('/') {
            Some((kind_name, label)) => (kind_name, Some(label)),
            None => (path, None),
        };
        let base_kind = BaseKind::parse(kind_name)?;
        let label = label.ok_or(UriError::MissingLabel)?;
        let label = percent_decode(label, false).ok_or_else(|| UriError::Encoding {
            part: "label".to_owned(),
        })?;
        let params = Parameters::parse(query)?;
        params.into_key_uri(base_kind, &label)
    }

    /// Formats as an `otpauth://` URI, secret included.
    pub fn to_uri(&self) -> String {
        let (kind_name, kind_params): (&str, Vec<(&str, String)>) = match self.otp.kind {
            Kind::Totp { period } => (
                "totp",
                vec![
                    ("algorithm", self.otp.algorithm.to_string()),
                    ("digits", self.otp.digits.to_string()),
                    ("period", period.seconds().to_string()),
                ],
            ),
            Kind::Hotp { counter } => (
                "hotp",
                vec![
                    ("algorithm", self.otp.algorithm.to_string()),
                    ("digits", self.otp.digits.to_string()),
                    ("counter", counter.to_string()),
                ],
            ),
            Kind::Steam { period } => (
                "steam",
                vec![
                    ("digits", crate::STEAM_CODE_LENGTH.to_string()),
                    ("period", period.seconds().to_string()),
                ],
            ),
        };
        let issuer = self.issuer.as_deref().filter(|issuer| !issuer.is_empty());
        let prefix = issuer.filter(|issuer| !issuer.contains(':'));
        let mut uri = format!("otpauth://{kind_name}/");
        match prefix {
            Some(prefix) => {
                percent_encode_into(&mut uri, prefix);
                uri.push(':');
            }
            None if self.account.contains(':') => uri.push(':'),
            None => {}
        }
        percent_encode_into(&mut uri, &self.account);
        uri.push_str("?secret=");
        uri.push_str(&Zeroizing::new(self.otp.secret.to_base32()));
        if let Some(issuer) = issuer {
            push_param(&mut uri, "issuer", issuer);
        }
        for (name, value) in &kind_params {
            push_param(&mut uri, name, value);
        }
        if let Some(image) = &self.image {
            push_param(&mut uri, "image", image);
        }
        for (name, value) in &self.extra {
            push_param(&mut uri, name, value);
        }
        uri
    }
}

/// The URI's type before Steam detection.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BaseKind {
    Totp,
    Hotp,
    Steam,
}

impl BaseKind {
    fn parse(name: &str) -> Result<BaseKind, UriError> {
        [
            ("totp", BaseKind::Totp),
            ("hotp", BaseKind::Hotp),
            ("steam", BaseKind::Steam),
        ]
        .into_iter()
        .find(|(known, _)| name.eq_ignore_ascii_case(known))
        .map(|(_, kind)| kind)
        .ok_or_else(|| UriError::Type {
            found: name.to_owned(),
        })
    }
}

/// The query, decoded: the interpreted parameters once each, the rest in order.
#[derive(Default)]
struct Parameters {
    secret: Option<Zeroizing<String>>,
    issuer: Option<String>,
    algorithm: Option<String>,
    digits: Option<String>,
    period: Option<String>,
    counter: Option<String>,
    image: Option<String>,
    encoder: Option<String>,
    extra: Vec<(String, String)>,
}

impl Parameters {
    fn parse(query: &str) -> Result<Parameters, UriError> {
        let mut params = Parameters::default();
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = percent_decode(raw_name, true).ok_or_else(|| UriError::Encoding {
                part: format!("parameter name `{raw_name}`"),
            })?;
            let value = percent_decode(raw_value, true).ok_or_else(|| UriError::Encoding {
                part: format!("`{name}` parameter"),
            })?;
            let slot = match name.to_ascii_lowercase().as_str() {
                "secret" => {
                    if params.secret.is_some() {
                        return Err(UriError::DuplicateParameter { name });
                    }
                    params.secret = Some(Zeroizing::new(value));
                    continue;
                }
                "issuer" => &mut params.issuer,
                "algorithm" => &mut params.algorithm,
                "digits" => &mut params.digits,
                "period" => &mut params.period,
                "counter" => &mut params.counter,
                "image" => &mut params.image,
                "encoder" => &mut params.encoder,
                _ => {
                    params.extra.push((name, value));
                    continue;
                }
            };
            if slot.is_some() {
                return Err(UriError::DuplicateParameter { name });
            }
            *slot = Some(value);
        }
        Ok(params)
    }

    fn into_key_uri(mut self, base_kind: BaseKind, label: &str) -> Result<KeyUri, UriError> {
        let (label_issuer, account) = match label.split_once(':') {
            Some((prefix, account)) => (Some(prefix), account),
            None => (None, label),
        };
        let account = account.trim_start_matches(' ');
        let issuer = self
            .issuer
            .take()
            .filter(|issuer| !issuer.is_empty())
            .or_else(|| label_issuer.filter(|p| !p.is_empty()).map(str::to_owned));
        if account.is_empty() && issuer.is_none() {
            return Err(UriError::MissingLabel);
        }

        let secret = self.secret.take().ok_or(UriError::MissingSecret)?;
        let secret = Secret::from_base32(&secret).map_err(UriError::Secret)?;

        let is_steam = match base_kind {
            BaseKind::Steam => true,
            BaseKind::Hotp => false,
            BaseKind::Totp => {
                let encoder_steam = self
                    .encoder
                    .as_deref()
                    .is_some_and(|encoder| encoder.eq_ignore_ascii_case("steam"));
                let steam_issuer = issuer
                    .as_deref()
                    .is_some_and(|issuer| issuer.eq_ignore_ascii_case(STEAM_ISSUER));
                encoder_steam || (steam_issuer && self.digits.as_deref() == Some("5"))
            }
        };

        let algorithm = match self.algorithm.take() {
            None => Algorithm::Sha1,
            Some(found) => match found.parse::<Algorithm>() {
                Ok(Algorithm::Sha1) => Algorithm::Sha1,
                Ok(other) if !is_steam => other,
                _ => return Err(UriError::Algorithm { found }),
            },
        };
        let digits = match self.digits.take() {
            None => Digits::SIX,
            Some(found) if is_steam && found.trim() == "5" => Digits::SIX,
            Some(found) if is_steam => return Err(UriError::Digits { found }),
            Some(found) => found
                .trim()
                .parse::<u8>()
                .ok()
                .and_then(|digits| Digits::new(digits).ok())
                .ok_or(UriError::Digits { found })?,
        };
        let mut period = || -> Result<Period, UriError> {
            match self.period.take() {
                None => Ok(Period::THIRTY_SECONDS),
                Some(found) => found
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .and_then(|seconds| Period::new(seconds).ok())
                    .ok_or(UriError::Period { found }),
            }
        };
        let kind = match base_kind {
            BaseKind::Hotp => {
                let found = self.counter.take().ok_or(UriError::MissingCounter)?;
                let counter = found
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| UriError::Counter { found })?;
                Kind::Hotp { counter }
            }
            _ if is_steam => Kind::Steam { period: period()? },
            _ => Kind::Totp { period: period()? },
        };

        // Parameters that mean nothing for this kind go back with the unknown ones.
        let mut extra = self.extra;
        let leftovers = [
            ("period", self.period),
            ("counter", self.counter),
            ("encoder", self.encoder.filter(|_| !is_steam)),
        ];
        for (name, value) in leftovers {
            if let Some(value) = value {
                extra.push((name.to_owned(), value));
            }
        }

        Ok(KeyUri {
            otp: Otp {
                kind,
                algorithm,
                digits,
                secret,
            },
            issuer,
            account: account.to_owned(),
            image: self.image,
            extra,
        })
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Decodes `%XX` escapes (and `+` as a space when `plus_is_space`); `None` for a broken
/// escape or bytes that are not UTF-8.
pub(crate) fn percent_decode(text: &str, plus_is_space: bool) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let high = hex_value(*bytes.get(i + 1)?)?;
                let low = hex_value(*bytes.get(i + 2)?)?;
                out.push((high << 4) | low);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn hex_value(byte: u8) -> Option<u8> {
    // to_digit(16) is at most 15.
    char::from(byte).to_digit(16).map(|value| value as u8)
}

/// Appends `text` with everything but RFC 3986 unreserved characters (and `@`) escaped.
pub(crate) fn percent_encode_into(out: &mut String, text: &str) {
    for &byte in text.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'@') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
}

fn push_param(uri: &mut String, name: &str, value: &str) {
    uri.push('&');
    percent_encode_into(uri, name);
    uri.push('=');
    percent_encode_into(uri, value);
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
