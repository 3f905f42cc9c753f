//! P-256 ECDSA keys and signatures (ring).
//!
//! Public keys travel as the base64url of their 65-byte uncompressed SEC1 point; signatures as
//! the base64url of the 64-byte fixed-length `r || s` form (`ECDSA_P256_SHA256_FIXED`).

use std::fmt;
use std::str::FromStr;

use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair, UnparsedPublicKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use crate::encoding::{b64url, from_b64url, hex, sha256};

/// Why a key or a signature could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The private key bytes are not a PKCS#8 P-256 key.
    #[error("the private key is not a PKCS#8 ECDSA P-256 key")]
    InvalidPrivateKey,
    /// The public key is not a 65-byte uncompressed P-256 point in base64url.
    #[error("the public key is not a base64url uncompressed P-256 point (65 bytes starting 0x04)")]
    InvalidPublicKey,
    /// The signature is not 64 bytes of base64url.
    #[error("the signature is not 64 bytes of base64url")]
    InvalidSignatureEncoding,
    /// The fingerprint is not 32 bytes of hex.
    #[error("the fingerprint is not a SHA-256 in hex (64 hex digits, colons allowed)")]
    InvalidFingerprint,
    /// The signature does not match the message and key.
    #[error("the signature does not verify")]
    BadSignature,
    /// The system random number generator failed.
    #[error("the system random number generator failed")]
    Random,
}

/// A P-256 private key that signs (a device key or the server's challenge key).
///
/// The PKCS#8 bytes are zeroized on drop and never printed.
pub struct SigningKey {
    pkcs8: Zeroizing<Vec<u8>>,
    pair: EcdsaKeyPair,
}

impl SigningKey {
    /// Generates a new key from the system's random number generator.
    pub fn generate() -> Result<Self, KeyError> {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| KeyError::Random)?;
        Self::from_pkcs8(doc.as_ref())
    }

    /// Loads a key from its PKCS#8 v1/v2 DER bytes.
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, KeyError> {
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der, &rng)
            .map_err(|_| KeyError::InvalidPrivateKey)?;
        Ok(Self {
            pkcs8: Zeroizing::new(der.to_vec()),
            pair,
        })
    }

    /// The PKCS#8 DER bytes, to store the key.
    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The public half.
    pub fn public_key(&self) -> PublicKey {
        let mut point = [0u8; 65];
        // Invariant: ring's P-256 public key is always the 65-byte uncompressed point.
        point.copy_from_slice(self.pair.public_key().as_ref());
        PublicKey(point)
    }

    /// Signs `message` (SHA-256 then ECDSA).
    pub fn sign(&self, message: &[u8]) -> Result<Signature, KeyError> {
        let rng = SystemRandom::new();
        let sig = self
            .pair
            .sign(&rng, message)
            .map_err(|_| KeyError::Random)?;
        let mut out = [0u8; 64];
        out.copy_from_slice(sig.as_ref());
        Ok(Signature(out))
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("public_key", &self.public_key())
            .field("private", &"..redacted..")
            .finish()
    }
}

/// A P-256 public key: the uncompressed SEC1 point (`0x04 || x || y`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey([u8; 65]);

impl PublicKey {
    /// Parses the 65 raw bytes of an uncompressed point.
    ///
    /// Whether the point lies on the curve is checked by every verification: a key off the
    /// curve never verifies anything.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let point: [u8; 65] = bytes.try_into().map_err(|_| KeyError::InvalidPublicKey)?;
        if point[0] != 0x04 {
            return Err(KeyError::InvalidPublicKey);
        }
        Ok(Self(point))
    }

    /// The 65 raw bytes.
    pub fn as_bytes(&self) -> &[u8; 65] {
        &self.0
    }

    /// Checks `signature` over `message`.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), KeyError> {
        UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &self.0[..])
            .verify(message, &signature.0)
            .map_err(|_| KeyError::BadSignature)
    }

    /// SHA-256 of the 65 point bytes: what an activation URI's `fp` pins.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint(sha256(&self.0))
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&b64url(&self.0))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

impl FromStr for PublicKey {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, KeyError> {
        let bytes = from_b64url(s).ok_or(KeyError::InvalidPublicKey)?;
        Self::from_bytes(&bytes)
    }
}

/// A 64-byte ECDSA P-256 signature (`r || s`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature([u8; 64]);

impl Signature {
    /// The 64 raw bytes.
    pub fn as_bytes(&self) -> &[u8; 64] {
        &self.0
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&b64url(&self.0))
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({self})")
    }
}

impl FromStr for Signature {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, KeyError> {
        let bytes = from_b64url(s).ok_or(KeyError::InvalidSignatureEncoding)?;
        let raw: [u8; 64] = bytes
            .try_into()
            .map_err(|_| KeyError::InvalidSignatureEncoding)?;
        Ok(Self(raw))
    }
}

/// A SHA-256 fingerprint (of a public key or of a TLS certificate).
///
/// Displays as 64 lower-case hex digits; parses those with or without colons, any case.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// The fingerprint of arbitrary bytes (e.g. a certificate's DER).
    pub fn of(bytes: &[u8]) -> Self {
        Self(sha256(bytes))
    }

    /// The 32 raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Upper-case hex pairs joined by colons (`AB:CD:...`), as browsers and `openssl` print.
    pub fn colon_hex(&self) -> String {
        self.0
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

impl FromStr for Fingerprint {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, KeyError> {
        let cleaned: String = s.chars().filter(|c| *c != ':').collect();
        let bytes = data_encoding::HEXLOWER_PERMISSIVE
            .decode(cleaned.as_bytes())
            .map_err(|_| KeyError::InvalidFingerprint)?;
        let raw: [u8; 32] = bytes.try_into().map_err(|_| KeyError::InvalidFingerprint)?;
        Ok(Self(raw))
    }
}

macro_rules! serde_via_string {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

serde_via_string!(PublicKey);
serde_via_string!(Signature);
serde_via_string!(Fingerprint);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_made_by_a_key_verifies_with_its_public_key_only() {
        let a = SigningKey::generate().unwrap();
        let b = SigningKey::generate().unwrap();
        let sig = a.sign(b"message").unwrap();
        assert_eq!(a.public_key().verify(b"message", &sig), Ok(()));
        assert_eq!(
            a.public_key().verify(b"messagE", &sig),
            Err(KeyError::BadSignature)
        );
        assert_eq!(
            b.public_key().verify(b"message", &sig),
            Err(KeyError::BadSignature)
        );
    }

    #[test]
    fn key_round_trips_through_pkcs8_and_text() {
        let a = SigningKey::generate().unwrap();
        let again = SigningKey::from_pkcs8(a.pkcs8()).unwrap();
        assert_eq!(a.public_key(), again.public_key());
        let text = a.public_key().to_string();
        assert_eq!(text.parse::<PublicKey>().unwrap(), a.public_key());
        assert!(!format!("{a:?}").contains(&b64url(a.pkcs8())));
    }

    #[test]
    fn malformed_keys_and_signatures_are_refused() {
        assert_eq!("".parse::<PublicKey>(), Err(KeyError::InvalidPublicKey));
        assert_eq!(
            b64url(&[5u8; 65]).parse::<PublicKey>(),
            Err(KeyError::InvalidPublicKey)
        );
        assert_eq!(
            b64url(&[4u8; 64]).parse::<PublicKey>(),
            Err(KeyError::InvalidPublicKey)
        );
        assert_eq!(
            b64url(&[0u8; 63]).parse::<Signature>(),
            Err(KeyError::InvalidSignatureEncoding)
        );
        assert_eq!(
            SigningKey::from_pkcs8(b"nope").err(),
            Some(KeyError::InvalidPrivateKey)
        );
        // A point that is not on the curve parses but never verifies.
        let mut off = [0u8; 65];
        off[0] = 4;
        let key = PublicKey::from_bytes(&off).unwrap();
        let sig = SigningKey::generate().unwrap().sign(b"m").unwrap();
        assert_eq!(key.verify(b"m", &sig), Err(KeyError::BadSignature));
    }

    #[test]
    fn fingerprint_parses_plain_and_colon_hex() {
        let fp = Fingerprint::of(b"cert");
        assert_eq!(fp.to_string().parse::<Fingerprint>().unwrap(), fp);
        assert_eq!(fp.colon_hex().parse::<Fingerprint>().unwrap(), fp);
        assert_eq!(
            "abc".parse::<Fingerprint>(),
            Err(KeyError::InvalidFingerprint)
        );
    }
}
