//! Activation URIs: `countersign://activate?v=1&server=...&code=...&user=...&issuer=...&exp=...&fp=...`.
//!
//! | parameter | meaning                                                                  |
//! |-----------|--------------------------------------------------------------------------|
//! | `v`       | protocol version, `1`                                                    |
//! | `server`  | the server's base URL, `https://` only                                   |
//! | `code`    | the single-use activation code: 16 random bytes, base64url               |
//! | `user`    | the user id the device is activated for                                  |
//! | `issuer`  | the server's display name (optional; defaults to the server's host)      |
//! | `exp`     | unix seconds after which the code is refused                             |
//! | `fp`      | SHA-256 (hex) of the server's challenge-signing public key               |
//! | `tls`     | optional SHA-256 (hex) of the server's TLS certificate, to pin a self-signed one |
//!
//! Unknown parameters are ignored (later minor versions may add some); a repeated one is an error.

use std::fmt;
use std::str::FromStr;

use ring::rand::{SecureRandom, SystemRandom};
use url::Url;
use zeroize::Zeroizing;

use crate::encoding::{b64url, from_b64url};
use crate::keys::{Fingerprint, KeyError};

/// Why an activation URI was refused; each variant names the part that is wrong.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ActivationUriError {
    /// Not a URI at all.
    #[error("not a URI: {0}")]
    NotAUri(String),
    /// Another scheme or host than `countersign://activate`.
    #[error("not an activation URI (expected countersign://activate?...)")]
    WrongKind,
    /// `v` is not `1`.
    #[error("unsupported activation version {0:?}; update the app")]
    UnsupportedVersion(String),
    /// A required parameter is missing.
    #[error("the activation URI lacks the {0:?} parameter")]
    Missing(&'static str),
    /// A parameter appears twice.
    #[error("the activation URI repeats the {0:?} parameter")]
    Repeated(String),
    /// A parameter's value is malformed.
    #[error("the activation URI's {0:?} parameter is malformed: {1}")]
    Invalid(&'static str, &'static str),
}

/// The single-use activation code: 16 random bytes. Zeroized on drop; never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct ActivationCode(Zeroizing<String>);

impl ActivationCode {
    /// 16 fresh random bytes.
    pub fn generate() -> Result<Self, KeyError> {
        let mut bytes = Zeroizing::new([0u8; 16]);
        SystemRandom::new()
            .fill(bytes.as_mut())
            .map_err(|_| KeyError::Random)?;
        Ok(Self(Zeroizing::new(b64url(bytes.as_ref()))))
    }

    /// The code's text (base64url, 22 characters).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl FromStr for ActivationCode {
    type Err = ActivationUriError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match from_b64url(s) {
            Some(bytes) if bytes.len() == 16 => Ok(Self(Zeroizing::new(s.to_owned()))),
            _ => Err(ActivationUriError::Invalid(
                "code",
                "expected 16 bytes of base64url",
            )),
        }
    }
}

impl fmt::Debug for ActivationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ActivationCode(..redacted..)")
    }
}

/// A parsed activation URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivationUri {
    /// The server's base URL (https).
    pub server: Url,
    /// The single-use code.
    pub code: ActivationCode,
    /// The user id.
    pub user: String,
    /// The server's display name.
    pub issuer: String,
    /// Unix seconds after which the code is refused.
    pub expires: u64,
    /// Fingerprint of the server's challenge-signing key.
    pub fingerprint: Fingerprint,
    /// Fingerprint of the server's TLS certificate, when it is self-signed.
    pub tls: Option<Fingerprint>,
}

const MAX_USER_LEN: usize = 256;

impl ActivationUri {
    /// Parses an activation URI (e.g. the text of a scanned QR code).
    pub fn parse(text: &str) -> Result<Self, ActivationUriError> {
        let url =
            Url::parse(text.trim()).map_err(|e| ActivationUriError::NotAUri(e.to_string()))?;
        if url.scheme() != "countersign" || url.host_str() != Some("activate") {
            return Err(ActivationUriError::WrongKind);
        }
        let mut params: Vec<(String, String)> = Vec::new();
        for (k, v) in url.query_pairs() {
            if params.iter().any(|(seen, _)| *seen == k) {
                return Err(ActivationUriError::Repeated(k.into_owned()));
            }
            params.push((k.into_owned(), v.into_owned()));
        }
        let get = |name: &'static str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let need = |name: &'static str| get(name).ok_or(ActivationUriError::Missing(name));

        let version = need("v")?;
        if version != "1" {
            return Err(ActivationUriError::UnsupportedVersion(version.to_owned()));
        }
        let server = Url::parse(need("server")?)
            .map_err(|_| ActivationUriError::Invalid("server", "not a URL"))?;
        if server.scheme() != "https" || server.host_str().is_none() {
            return Err(ActivationUriError::Invalid(
                "server",
                "must be an https:// URL",
            ));
        }
        let code = need("code")?.parse()?;
        let user = need("user")?.to_owned();
        if user.is_empty() || user.len() > MAX_USER_LEN || user.chars().any(char::is_control) {
            return Err(ActivationUriError::Invalid(
                "user",
                "must be 1 to 256 printable characters",
            ));
        }
        let issuer = match get("issuer") {
            Some(i) if i.chars().any(char::is_control) => {
                return Err(ActivationUriError::Invalid(
                    "issuer",
                    "contains control characters",
                ))
            }
            Some(i) if !i.is_empty() => i.to_owned(),
            // Invariant: checked above that the server URL has a host.
            _ => server.host_str().unwrap_or_default().to_owned(),
        };
        let expires = need("exp")?
            .parse()
            .map_err(|_| ActivationUriError::Invalid("exp", "expected unix seconds"))?;
        let fingerprint = need("fp")?
            .parse()
            .map_err(|_| ActivationUriError::Invalid("fp", "expected 64 hex digits"))?;
        let tls = match get("tls") {
            Some(t) => Some(
                t.parse()
                    .map_err(|_| ActivationUriError::Invalid("tls", "expected 64 hex digits"))?,
            ),
            None => None,
        };
        Ok(Self {
            server,
            code,
            user,
            issuer,
            expires,
            fingerprint,
            tls,
        })
    }

    /// Formats the URI (it contains the code: show it only as the QR code for its user).
    pub fn to_uri(&self) -> String {
        let mut url = Url::parse("countersign://activate").expect("static URL parses");
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("v", "1")
                .append_pair("server", self.server.as_str())
                .append_pair("code", self.code.expose())
                .append_pair("user", &self.user)
                .append_pair("issuer", &self.issuer)
                .append_pair("exp", &self.expires.to_string())
                .append_pair("fp", &self.fingerprint.to_string());
            if let Some(tls) = &self.tls {
                q.append_pair("tls", &tls.to_string());
            }
        }
        url.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ActivationUri {
        ActivationUri {
            server: Url::parse("https://mfa.example.com:8443/").unwrap(),
            code: ActivationCode::generate().unwrap(),
            user: "alice@example.com".into(),
            issuer: "Example & Co".into(),
            expires: 1_700_000_600,
            fingerprint: Fingerprint::of(b"key"),
            tls: Some(Fingerprint::of(b"cert")),
        }
    }

    #[test]
    fn activation_uri_round_trips() {
        let uri = sample();
        let text = uri.to_uri();
        assert!(text.starts_with("countersign://activate?v=1&server=https%3A%2F%2Fmfa.example.com"));
        assert_eq!(ActivationUri::parse(&text).unwrap(), uri);
    }

    #[test]
    fn debug_does_not_print_the_code() {
        let uri = sample();
        assert!(!format!("{uri:?}").contains(uri.code.expose()));
    }

    #[test]
    fn each_malformed_part_is_named() {
        let good = sample().to_uri();
        let cases: Vec<(String, ActivationUriError)> = vec![
            (
                "otpauth://totp/x?secret=A".into(),
                ActivationUriError::WrongKind,
            ),
            (
                good.replace("v=1", "v=2"),
                ActivationUriError::UnsupportedVersion("2".into()),
            ),
            (
                good.replace("server=https", "server=http"),
                ActivationUriError::Invalid("server", "must be an https:// URL"),
            ),
            (
                good.replace("&user=", "&u="),
                ActivationUriError::Missing("user"),
            ),
            (
                good.replace("exp=", "exp=x"),
                ActivationUriError::Invalid("exp", "expected unix seconds"),
            ),
            (
                good.replace("fp=", "fp=zz"),
                ActivationUriError::Invalid("fp", "expected 64 hex digits"),
            ),
            (
                format!("{good}&v=1"),
                ActivationUriError::Repeated("v".into()),
            ),
            (
                good.replace("code=", "code=A"),
                ActivationUriError::Invalid("code", "expected 16 bytes of base64url"),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(ActivationUri::parse(&text), Err(want), "{text}");
        }
    }

    #[test]
    fn issuer_defaults_to_the_server_host() {
        let text = sample().to_uri();
        let without: String = text
            .split('&')
            .filter(|p| !p.starts_with("issuer="))
            .collect::<Vec<_>>()
            .join("&");
        assert_eq!(
            ActivationUri::parse(&without).unwrap().issuer,
            "mfa.example.com"
        );
    }
}
