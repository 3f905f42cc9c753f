//! Signed device requests.
//!
//! Every request a device makes carries four headers:
//!
//! | header                  | value                                              |
//! |-------------------------|----------------------------------------------------|
//! | `countersign-device`    | the device id (absent on `POST /v1/activate`)      |
//! | `countersign-timestamp` | unix seconds, decimal                              |
//! | `countersign-nonce`     | 16 random bytes, base64url (16 to 64 characters)   |
//! | `countersign-signature` | ECDSA P-256 over the canonical request, base64url  |
//!
//! The canonical request is five lines after the version, joined by `\n` with no final newline:
//!
//! ```text
//! v1
//! METHOD            upper case
//! /path?query       the request target exactly as sent
//! 1700000000        the timestamp header
//! nonce             the nonce header
//! e3b0c442...       lower-case hex SHA-256 of the body (of nothing for GET/DELETE)
//! ```

use std::fmt;
use std::str::FromStr;

use ring::rand::{SecureRandom, SystemRandom};

use crate::encoding::{b64url, sha256_hex};
use crate::keys::{KeyError, PublicKey, Signature, SigningKey};
use crate::{MAX_CLOCK_SKEW_SECONDS, VERSION};

/// Header naming the device that signed the request.
pub const HEADER_DEVICE: &str = "countersign-device";
/// Header holding the request's unix timestamp.
pub const HEADER_TIMESTAMP: &str = "countersign-timestamp";
/// Header holding the request's nonce.
pub const HEADER_NONCE: &str = "countersign-nonce";
/// Header holding the request's signature.
pub const HEADER_SIGNATURE: &str = "countersign-signature";

/// Why a device request was refused. [`RequestError::code`] is the stable error code.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// A signing header is missing.
    #[error("the request lacks the {0} header")]
    MissingHeader(&'static str),
    /// A signing header is present but malformed.
    #[error("the {0} header is malformed")]
    MalformedHeader(&'static str),
    /// The method or target cannot be put in a canonical string (control characters etc.).
    #[error("the request method or target contains characters that cannot be signed")]
    Unsignable,
    /// The signature does not match the request and the device's key.
    #[error("the request signature does not verify")]
    BadSignature,
    /// The timestamp is more than the allowed skew away from the server's clock.
    #[error("the request timestamp is {skew} s from the server's clock (at most {max} s allowed); check the device clock")]
    StaleTimestamp {
        /// How far off the timestamp was, in seconds.
        skew: u64,
        /// The allowed skew, in seconds.
        max: u64,
    },
    /// Signing failed (random number generator).
    #[error("signing failed: {0}")]
    Key(#[from] KeyError),
}

impl RequestError {
    /// The stable snake_case code the server puts in its error body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingHeader(_) | Self::MalformedHeader(_) | Self::Unsignable => {
                "malformed_signature"
            }
            Self::BadSignature => "bad_signature",
            Self::StaleTimestamp { .. } => "stale_timestamp",
            Self::Key(_) => "internal",
        }
    }
}

/// A request nonce: 16 to 64 base64url characters (a generated one is 16 random bytes).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Nonce(String);

impl Nonce {
    /// 16 fresh random bytes.
    pub fn generate() -> Result<Self, KeyError> {
        let mut bytes = [0u8; 16];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| KeyError::Random)?;
        Ok(Self(b64url(&bytes)))
    }

    /// The nonce text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Nonce {
    type Err = RequestError;
    fn from_str(s: &str) -> Result<Self, RequestError> {
        let ok = (16..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(RequestError::MalformedHeader(HEADER_NONCE))
        }
    }
}

impl fmt::Display for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nonce({})", self.0)
    }
}

/// Builds the canonical request string (see the module docs).
pub fn canonical_request(
    method: &str,
    target: &str,
    timestamp: u64,
    nonce: &Nonce,
    body: &[u8],
) -> Result<String, RequestError> {
    let method_ok = !method.is_empty() && method.bytes().all(|b| b.is_ascii_alphabetic());
    let target_ok = target.starts_with('/') && target.bytes().all(|b| b.is_ascii_graphic());
    if !method_ok || !target_ok {
        return Err(RequestError::Unsignable);
    }
    Ok(format!(
        "{VERSION}\n{}\n{target}\n{timestamp}\n{nonce}\n{}",
        method.to_ascii_uppercase(),
        sha256_hex(body)
    ))
}

/// The signing headers of one device request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// The device id (`None` only for activation, where the device has no id yet).
    pub device: Option<String>,
    /// Unix seconds when the device signed.
    pub timestamp: u64,
    /// The one-time nonce.
    pub nonce: Nonce,
    /// The signature over the canonical request.
    pub signature: Signature,
}

impl SignedRequest {
    /// Signs a request (device side). `target` is the path and query exactly as sent.
    pub fn sign(
        key: &SigningKey,
        device: Option<&str>,
        method: &str,
        target: &str,
        body: &[u8],
        now: u64,
    ) -> Result<Self, RequestError> {
        let nonce = Nonce::generate()?;
        let canonical = canonical_request(method, target, now, &nonce, body)?;
        let signature = key.sign(canonical.as_bytes())?;
        Ok(Self {
            device: device.map(str::to_owned),
            timestamp: now,
            nonce,
            signature,
        })
    }

    /// The headers to send, as `(name, value)` pairs.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::with_capacity(4);
        if let Some(device) = &self.device {
            out.push((HEADER_DEVICE, device.clone()));
        }
        out.push((HEADER_TIMESTAMP, self.timestamp.to_string()));
        out.push((HEADER_NONCE, self.nonce.to_string()));
        out.push((HEADER_SIGNATURE, self.signature.to_string()));
        out
    }

    /// Reads the headers of a received request (server side). `header` looks one up by its
    /// lower-case name.
    pub fn from_headers<'a>(
        header: impl Fn(&'static str) -> Option<&'a str>,
    ) -> Result<Self, RequestError> {
        let required = |name: &'static str| header(name).ok_or(RequestError::MissingHeader(name));
        let device = match header(HEADER_DEVICE) {
            Some(d) if is_id(d) => Some(d.to_owned()),
            Some(_) => return Err(RequestError::MalformedHeader(HEADER_DEVICE)),
            None => None,
        };
        let timestamp = required(HEADER_TIMESTAMP)?
            .parse::<u64>()
            .map_err(|_| RequestError::MalformedHeader(HEADER_TIMESTAMP))?;
        let nonce = required(HEADER_NONCE)?.parse()?;
        let signature = required(HEADER_SIGNATURE)?
            .parse()
            .map_err(|_| RequestError::MalformedHeader(HEADER_SIGNATURE))?;
        Ok(Self {
            device,
            timestamp,
            nonce,
            signature,
        })
    }

    /// Checks the signature with `key`, then that the timestamp is within
    /// [`MAX_CLOCK_SKEW_SECONDS`] of `now`. The caller checks the nonce was not seen before.
    pub fn verify(
        &self,
        key: &PublicKey,
        method: &str,
        target: &str,
        body: &[u8],
        now: u64,
    ) -> Result<(), RequestError> {
        let canonical = canonical_request(method, target, self.timestamp, &self.nonce, body)?;
        key.verify(canonical.as_bytes(), &self.signature)
            .map_err(|_| RequestError::BadSignature)?;
        let skew = now.abs_diff(self.timestamp);
        if skew > MAX_CLOCK_SKEW_SECONDS {
            return Err(RequestError::StaleTimestamp {
                skew,
                max: MAX_CLOCK_SKEW_SECONDS,
            });
        }
        Ok(())
    }
}

/// Whether `s` is a plausible identifier (device, challenge): 1 to 64 of `[A-Za-z0-9_-]`.
pub fn is_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(
        headers: &'a [(&'static str, String)],
    ) -> impl Fn(&'static str) -> Option<&'a str> + 'a {
        move |name| {
            headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        }
    }

    #[test]
    fn canonical_request_has_the_documented_layout() {
        let nonce: Nonce = "AAAAAAAAAAAAAAAAAAAAAA".parse().unwrap();
        let s = canonical_request("get", "/v1/x?since=3", 1_700_000_000, &nonce, b"").unwrap();
        assert_eq!(
            s,
            "v1\nGET\n/v1/x?since=3\n1700000000\nAAAAAAAAAAAAAAAAAAAAAA\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            canonical_request("GET", "/a\nb", 1, &nonce, b""),
            Err(RequestError::Unsignable)
        );
        assert_eq!(
            canonical_request("GET", "a", 1, &nonce, b""),
            Err(RequestError::Unsignable)
        );
    }

    #[test]
    fn signed_request_round_trips_through_headers_and_verifies() {
        let key = SigningKey::generate().unwrap();
        let req = SignedRequest::sign(&key, Some("dev1"), "POST", "/v1/a", b"{}", 1000).unwrap();
        let headers = req.headers();
        let parsed = SignedRequest::from_headers(lookup(&headers)).unwrap();
        assert_eq!(parsed, req);
        assert_eq!(
            parsed.verify(&key.public_key(), "POST", "/v1/a", b"{}", 1030),
            Ok(())
        );
    }

    #[test]
    fn any_change_to_the_signed_parts_breaks_the_signature() {
        let key = SigningKey::generate().unwrap();
        let pk = key.public_key();
        let req = SignedRequest::sign(&key, Some("dev1"), "POST", "/v1/a", b"{}", 1000).unwrap();
        let bad = Err(RequestError::BadSignature);
        assert_eq!(req.verify(&pk, "PUT", "/v1/a", b"{}", 1000), bad);
        assert_eq!(req.verify(&pk, "POST", "/v1/b", b"{}", 1000), bad);
        assert_eq!(req.verify(&pk, "POST", "/v1/a", b"{ }", 1000), bad);
        let mut other_ts = req.clone();
        other_ts.timestamp += 1;
        assert_eq!(other_ts.verify(&pk, "POST", "/v1/a", b"{}", 1000), bad);
        let other_key = SigningKey::generate().unwrap().public_key();
        assert_eq!(req.verify(&other_key, "POST", "/v1/a", b"{}", 1000), bad);
    }

    #[test]
    fn timestamps_more_than_sixty_seconds_off_are_stale() {
        let key = SigningKey::generate().unwrap();
        let req = SignedRequest::sign(&key, None, "GET", "/", b"", 1000).unwrap();
        let pk = key.public_key();
        assert_eq!(req.verify(&pk, "GET", "/", b"", 1060), Ok(()));
        assert_eq!(req.verify(&pk, "GET", "/", b"", 940), Ok(()));
        assert_eq!(
            req.verify(&pk, "GET", "/", b"", 1061),
            Err(RequestError::StaleTimestamp { skew: 61, max: 60 })
        );
        assert_eq!(
            req.verify(&pk, "GET", "/", b"", 939).unwrap_err().code(),
            "stale_timestamp"
        );
    }

    #[test]
    fn missing_or_malformed_headers_are_named() {
        let none: Vec<(&'static str, String)> = vec![];
        assert_eq!(
            SignedRequest::from_headers(lookup(&none)),
            Err(RequestError::MissingHeader(HEADER_TIMESTAMP))
        );
        let bad_nonce = vec![
            (HEADER_TIMESTAMP, "1".to_string()),
            (HEADER_NONCE, "short".to_string()),
            (HEADER_SIGNATURE, "x".to_string()),
        ];
        assert_eq!(
            SignedRequest::from_headers(lookup(&bad_nonce)),
            Err(RequestError::MalformedHeader(HEADER_NONCE))
        );
        let bad_device = vec![(HEADER_DEVICE, "a b".to_string())];
        assert_eq!(
            SignedRequest::from_headers(lookup(&bad_device)),
            Err(RequestError::MalformedHeader(HEADER_DEVICE))
        );
    }
}
