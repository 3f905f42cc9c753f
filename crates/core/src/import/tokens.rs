//! Token files (PSKC, CSV) as accounts: one account per token, named by its serial number.
//!
//! PSKC keys become HOTP or TOTP accounts: the digits are the `ResponseFormat` length (6 when
//! absent), the hash comes from `Suite` (`HMAC-SHA256`, ...; SHA-1 when absent), TOTP's period
//! from `TimeInterval` (30 s when absent), HOTP's counter from `Counter` (0 when absent). The
//! issuer is the key's `Issuer` (else the manufacturer) and the name its serial number (else
//! friendly name, user or key id). Keys that cannot be an authenticator account (OCRA, PIN,
//! non-decimal responses, check digits, no secret) are listed as entry errors.

use countersign_oath::pskc::{self, KeyAlgorithm, PskcError};
use countersign_oath::tokencsv::{self, CsvError};
use countersign_oath::Algorithm;

use super::{Candidate, Credentials, EntryError, Format, ImportError, Parsed, RawOtp};

pub(super) fn pskc(text: &str, credentials: &Credentials) -> Result<Parsed, ImportError> {
    let credential = match (&credentials.key, &credentials.password) {
        (Some(key), _) => pskc::Credential::Key(key),
        (None, Some(password)) => pskc::Credential::Password(password.as_bytes()),
        (None, None) => pskc::Credential::None,
    };
    // A file protected by a password ignores a key and the other way round: pass what fits.
    let credential = match (pskc::protection(text), credential) {
        (Ok(pskc::Protection::Password), pskc::Credential::Key(_)) => match &credentials.password {
            Some(p) => pskc::Credential::Password(p.as_bytes()),
            None => pskc::Credential::None,
        },
        (_, c) => c,
    };
    let container = pskc::parse(text, credential).map_err(pskc_error)?;
    let mut parsed = Parsed::default();
    for (i, key) in container.keys.into_iter().enumerate() {
        let source = match &key.id {
            Some(id) => format!("key {} (Id {id})", i + 1),
            None => format!("key {}", i + 1),
        };
        parsed.push(source, pskc_candidate(key));
    }
    Ok(parsed)
}

fn pskc_candidate(key: pskc::Key) -> Result<Candidate, String> {
    let kind = match &key.algorithm {
        Some(KeyAlgorithm::Hotp) => "hotp",
        Some(KeyAlgorithm::Totp) => "totp",
        Some(KeyAlgorithm::Other(uri)) => {
            return Err(format!("algorithm {uri} is not HOTP or TOTP"));
        }
        None => return Err("the key names no algorithm".into()),
        Some(_) => return Err("unknown algorithm".into()),
    };
    if let Some(rf) = &key.response {
        if rf.encoding.as_deref().is_some_and(|e| e != "DECIMAL") {
            return Err(format!(
                "{} responses are not supported (only DECIMAL)",
                rf.encoding.as_deref().unwrap_or_default()
            ));
        }
        if rf.check_digit {
            return Err("responses with a check digit are not supported".into());
        }
    }
    let algorithm = match key.suite.as_deref().map(str::to_ascii_uppercase) {
        Some(s) if s.contains("SHA512") || s.contains("SHA-512") => Algorithm::Sha512,
        Some(s) if s.contains("SHA256") || s.contains("SHA-256") => Algorithm::Sha256,
        _ => Algorithm::Sha1,
    };
    let algorithm_name = algorithm.to_string();
    let otp = RawOtp {
        kind,
        secret: key.secret.clone(),
        algorithm: Some(&algorithm_name),
        digits: key.response.as_ref().and_then(|r| r.length).map(i64::from),
        period: key
            .time_interval
            .map(|t| i64::try_from(t).unwrap_or(i64::MAX)),
        counter: key.counter.map(|c| i64::try_from(c).unwrap_or(i64::MAX)),
    }
    .build()?;
    let issuer = key
        .issuer
        .clone()
        .or_else(|| key.manufacturer.clone())
        .unwrap_or_default();
    let name = key
        .serial
        .clone()
        .or_else(|| key.friendly_name.clone())
        .or_else(|| key.user_id.clone())
        .or_else(|| key.id.clone())
        .unwrap_or_else(|| "token".into());
    Ok(Candidate {
        issuer,
        name,
        otp,
        group: None,
        favourite: false,
        icon: None,
    })
}

fn pskc_error(e: PskcError) -> ImportError {
    let format = Format::Pskc;
    match e {
        PskcError::KeyRequired { key_name } => ImportError::KeyRequired { key_name },
        PskcError::PasswordRequired => ImportError::PasswordRequired { format },
        PskcError::DecryptionFailed => ImportError::WrongPassword { format },
        PskcError::MacMismatch { .. } => ImportError::Tampered {
            format,
            reason: e.to_string(),
        },
        PskcError::WrongKeyLength { .. } => ImportError::InvalidKey(e.to_string()),
        PskcError::UnsupportedEncryption(_)
        | PskcError::UnsupportedMac(_)
        | PskcError::UnsupportedKeyDerivation(_) => ImportError::Unsupported {
            format,
            what: e.to_string(),
        },
        other => ImportError::Malformed {
            format,
            reason: other.to_string(),
        },
    }
}

pub(super) fn csv(text: &str) -> Result<Parsed, ImportError> {
    let file = tokencsv::parse(text).map_err(|e: CsvError| ImportError::Malformed {
        format: Format::Csv,
        reason: e.to_string(),
    })?;
    let mut parsed = Parsed::default();
    for row in file.rows {
        let source = format!("line {}", row.line);
        let algorithm = row.algorithm.map(|a| a.to_string());
        let otp = RawOtp {
            kind: if row.hotp { "hotp" } else { "totp" },
            secret: Some(row.secret),
            algorithm: algorithm.as_deref(),
            digits: row.digits.map(i64::from),
            period: row.time_interval.map(i64::from),
            counter: row.counter.map(|c| i64::try_from(c).unwrap_or(i64::MAX)),
        }
        .build();
        parsed.push(
            source,
            otp.map(|otp| Candidate {
                issuer: String::new(),
                name: row.serial,
                otp,
                group: None,
                favourite: false,
                icon: None,
            }),
        );
    }
    parsed
        .errors
        .extend(file.errors.into_iter().map(|e| EntryError {
            source: format!("line {}", e.line),
            reason: e.reason,
        }));
    Ok(parsed)
}
