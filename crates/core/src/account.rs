//! The account model: what the vault stores for each OTP account and each push activation.

use std::fmt;
use std::str::FromStr;

use countersign_oath::{KeyUri, Otp};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::Error;

/// A stable, random (UUID v4) account id. `Display`/`FromStr` use the hyphenated form.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountId(uuid::Uuid);

impl AccountId {
    /// A fresh random id.
    pub fn new_random() -> Self {
        AccountId(uuid::Uuid::new_v4())
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountId({})", self.0.hyphenated())
    }
}

impl FromStr for AccountId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::parse_str(s.trim())
            .map(AccountId)
            .map_err(|_| Error::InvalidInput(format!("{s:?} is not an account id (a UUID)")))
    }
}

/// One OTP account.
///
/// `Debug` never prints the secret (the `Otp`'s `Secret` redacts itself).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Account {
    /// Stable id.
    pub id: AccountId,
    /// The service ("GitHub"); may be empty.
    pub issuer: String,
    /// The account at that service ("alice@example.com").
    pub name: String,
    /// How codes are made, including the secret (and the HOTP counter).
    pub otp: Otp,
    /// Icon reference (an `image` URL from the key URI, or an icon-pack name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// Group/folder name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Pinned to the top.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub favourite: bool,
    /// Sort position; the vault keeps positions `0..n` in order.
    #[serde(default)]
    pub position: u32,
    /// When it was added (Unix seconds).
    #[serde(default)]
    pub created: i64,
    /// When a code was last used/copied (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used: Option<i64>,
}

impl Account {
    /// A new account from a parsed `otpauth://` URI, with a fresh id, added at `now` (Unix
    /// seconds). Its position is set when it is added to a vault.
    pub fn from_key_uri(uri: KeyUri, now: i64) -> Account {
        Account {
            id: AccountId::new_random(),
            issuer: uri.issuer.unwrap_or_default(),
            name: uri.account,
            otp: uri.otp,
            icon: uri.image,
            group: None,
            favourite: false,
            position: 0,
            created: now,
            last_used: None,
        }
    }

    /// The account as an `otpauth://` key (for export and QR codes). Contains the secret.
    pub fn to_key_uri(&self) -> KeyUri {
        KeyUri {
            otp: self.otp.clone(),
            issuer: (!self.issuer.is_empty()).then(|| self.issuer.clone()),
            account: self.name.clone(),
            image: self.icon.clone(),
            extra: Vec::new(),
        }
    }

    /// "Issuer (name)" or just the name, for lists and messages.
    pub fn label(&self) -> String {
        if self.issuer.is_empty() {
            self.name.clone()
        } else {
            format!("{} ({})", self.issuer, self.name)
        }
    }

    /// True when `other` is the same account: same secret, issuer and name (issuer and name
    /// compared case-insensitively). Used to skip duplicates on import.
    pub fn is_duplicate_of(&self, other: &Account) -> bool {
        self.otp.secret.as_bytes() == other.otp.secret.as_bytes()
            && self.issuer.to_lowercase() == other.issuer.to_lowercase()
            && self.name.to_lowercase() == other.name.to_lowercase()
    }

    /// True when `query` (case-insensitive) appears in the issuer, the name or the group. An
    /// empty query matches everything.
    pub fn matches(&self, query: &str) -> bool {
        let q = query.trim().to_lowercase();
        q.is_empty()
            || self.issuer.to_lowercase().contains(&q)
            || self.name.to_lowercase().contains(&q)
            || self
                .group
                .as_deref()
                .is_some_and(|g| g.to_lowercase().contains(&q))
    }
}

/// A partial edit of an account: `None` leaves a field as it is.
///
/// For the optional fields (`icon`, `group`) `Some(None)` clears them.
#[derive(Clone, Debug, Default)]
pub struct AccountPatch {
    /// New issuer.
    pub issuer: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// New group (`Some(None)` removes it from its group).
    pub group: Option<Option<String>>,
    /// New favourite flag.
    pub favourite: Option<bool>,
    /// New icon (`Some(None)` removes it).
    pub icon: Option<Option<String>>,
}

impl AccountPatch {
    /// Applies the patch.
    pub fn apply(&self, account: &mut Account) {
        if let Some(v) = &self.issuer {
            account.issuer = v.clone();
        }
        if let Some(v) = &self.name {
            account.name = v.clone();
        }
        if let Some(v) = &self.group {
            account.group = v.clone();
        }
        if let Some(v) = self.favourite {
            account.favourite = v;
        }
        if let Some(v) = &self.icon {
            account.icon = v.clone();
        }
    }

    /// True when the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.issuer.is_none()
            && self.name.is_none()
            && self.group.is_none()
            && self.favourite.is_none()
            && self.icon.is_none()
    }
}

/// A push activation: this device enrolled with a Countersign server for one user.
///
/// The push issue owns what goes in here (`push::Activation` re-exports or replaces it); every
/// field is `#[serde(default)]` so fields can be added without breaking existing vaults.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Activation {
    /// Server base URL (`https://mfa.example.com`).
    pub server: String,
    /// The device id the server assigned.
    pub device_id: String,
    /// The device's ECDSA P-256 signing key (PKCS#8 bytes), zeroized on drop.
    #[serde(with = "zeroizing_bytes")]
    pub device_key: Zeroizing<Vec<u8>>,
    /// The user id at the server.
    pub user: String,
    /// The issuer name the server showed.
    pub issuer: String,
    /// Fingerprint of the server's public key (pinned at activation).
    pub server_key_fingerprint: String,
    /// A label the user chose.
    pub label: String,
    /// Sort position among accounts.
    pub position: u32,
    /// The server's challenge-signing public key (base64url P-256 point); its SHA-256 is
    /// `server_key_fingerprint`. Added by the push client.
    pub server_public_key: String,
    /// SHA-256 (hex) of the server's self-signed TLS certificate, pinned at activation; empty
    /// when the server has a publicly trusted certificate.
    pub tls_fingerprint: String,
    /// The long-poll cursor the server gave at activation.
    pub cursor: u64,
    /// The server answered `device_not_activated`: the account must be removed and re-added.
    pub not_activated: bool,
    /// The user removed the account; the key stays only until the server confirms the
    /// deactivation (retried when offline), then the entry is deleted.
    pub pending_removal: bool,
}

impl fmt::Debug for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Activation")
            .field("server", &self.server)
            .field("device_id", &self.device_id)
            .field("device_key", &"..redacted..")
            .field("user", &self.user)
            .field("issuer", &self.issuer)
            .field("server_key_fingerprint", &self.server_key_fingerprint)
            .field("label", &self.label)
            .field("position", &self.position)
            .field("server_public_key", &self.server_public_key)
            .field("tls_fingerprint", &self.tls_fingerprint)
            .field("cursor", &self.cursor)
            .field("not_activated", &self.not_activated)
            .field("pending_removal", &self.pending_removal)
            .finish()
    }
}

/// Serde for key bytes as lowercase hex, going through zeroizing buffers.
mod zeroizing_bytes {
    use serde::{Deserialize, Deserializer, Serializer};
    use zeroize::Zeroizing;

    pub fn serialize<S: Serializer>(bytes: &Zeroizing<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = Zeroizing::new(String::with_capacity(bytes.len() * 2));
        for b in bytes.iter() {
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xf)] as char);
        }
        s.serialize_str(&out)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Zeroizing<Vec<u8>>, D::Error> {
        let text = Zeroizing::new(String::deserialize(d)?);
        let digits = text.as_bytes();
        if digits.len() % 2 != 0 {
            return Err(serde::de::Error::custom(
                "key bytes: odd number of hex digits",
            ));
        }
        let nibble = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        };
        let mut out = Zeroizing::new(Vec::with_capacity(digits.len() / 2));
        for pair in digits.chunks_exact(2) {
            match (nibble(pair[0]), nibble(pair[1])) {
                (Some(h), Some(l)) => out.push(h << 4 | l),
                _ => return Err(serde::de::Error::custom("key bytes: not hex")),
            }
        }
        Ok(out)
    }
}
