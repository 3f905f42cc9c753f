//! Push challenges, signed by the server and verified by the device before it shows them.
//!
//! The signed bytes are `v1\nchallenge\n` followed by every field in declaration order, each
//! written as `<byte length in decimal>:<UTF-8 bytes>\n` (absent optional fields are empty,
//! numbers are decimal, `options` is the numbers joined by `,`). Length prefixes make the
//! encoding unambiguous whatever the text fields contain.

use serde::{Deserialize, Serialize};

use crate::keys::{KeyError, PublicKey, Signature, SigningKey};
use crate::VERSION;

/// Why a challenge was refused by the device.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChallengeError {
    /// The server signature does not verify with the key pinned at activation.
    #[error("the challenge is not signed by this server's key")]
    BadSignature,
    /// The challenge's lifetime is over.
    #[error("the challenge expired")]
    Expired,
    /// Signing failed (random number generator).
    #[error("signing failed: {0}")]
    Key(#[from] KeyError),
}

/// A sign-in approval request as the device shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// Unique id; the device answers to `/v1/challenges/{id}/answer`.
    pub id: String,
    /// Sequence number; the device's cursor is the highest one it has seen.
    pub seq: u64,
    /// The user (account) this challenge is for.
    pub user: String,
    /// The server's display name (the account's issuer).
    pub issuer: String,
    /// The application being signed in to.
    pub app: String,
    /// The IP address the sign-in comes from, as the relying party saw it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
    /// Free-text location the relying party supplied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Unix seconds when it was created.
    pub created: u64,
    /// Unix seconds after which it can no longer be answered.
    pub expires: u64,
    /// Number-matching options: the sign-in page shows one of these; the user must pick it.
    /// Empty for a plain approve/deny prompt.
    #[serde(default)]
    pub options: Vec<u8>,
}

impl Challenge {
    /// The bytes the server signs (see the module docs).
    pub fn canonical(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(VERSION.as_bytes());
        out.extend_from_slice(b"\nchallenge\n");
        let options = self
            .options
            .iter()
            .map(u8::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let fields: [&str; 10] = [
            &self.id,
            &self.seq.to_string(),
            &self.user,
            &self.issuer,
            &self.app,
            self.client_ip.as_deref().unwrap_or(""),
            self.location.as_deref().unwrap_or(""),
            &self.created.to_string(),
            &self.expires.to_string(),
            &options,
        ];
        for field in fields {
            out.extend_from_slice(field.len().to_string().as_bytes());
            out.push(b':');
            out.extend_from_slice(field.as_bytes());
            out.push(b'\n');
        }
        out
    }
}

/// A challenge with the server's signature, as it travels to the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedChallenge {
    /// The challenge.
    #[serde(flatten)]
    pub challenge: Challenge,
    /// The server's signature over [`Challenge::canonical`].
    pub signature: Signature,
}

impl SignedChallenge {
    /// Signs `challenge` with the server key.
    pub fn sign(challenge: Challenge, key: &SigningKey) -> Result<Self, ChallengeError> {
        let signature = key.sign(&challenge.canonical())?;
        Ok(Self {
            challenge,
            signature,
        })
    }

    /// Checks the signature with the server key pinned at activation and that the challenge
    /// has not expired at `now`; returns the challenge to show.
    pub fn verify(&self, server_key: &PublicKey, now: u64) -> Result<&Challenge, ChallengeError> {
        server_key
            .verify(&self.challenge.canonical(), &self.signature)
            .map_err(|_| ChallengeError::BadSignature)?;
        if now > self.challenge.expires {
            return Err(ChallengeError::Expired);
        }
        Ok(&self.challenge)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Challenge {
        Challenge {
            id: "c1".into(),
            seq: 7,
            user: "alice".into(),
            issuer: "Example".into(),
            app: "VPN".into(),
            client_ip: Some("192.0.2.1".into()),
            location: None,
            created: 100,
            expires: 160,
            options: vec![12, 47, 90],
        }
    }

    #[test]
    fn canonical_challenge_is_length_prefixed() {
        let text = String::from_utf8(sample().canonical()).unwrap();
        assert_eq!(
            text,
            "v1\nchallenge\n2:c1\n1:7\n5:alice\n7:Example\n3:VPN\n9:192.0.2.1\n0:\n3:100\n3:160\n8:12,47,90\n"
        );
    }

    #[test]
    fn signed_challenge_verifies_and_any_edit_breaks_it() {
        let key = SigningKey::generate().unwrap();
        let signed = SignedChallenge::sign(sample(), &key).unwrap();
        assert_eq!(signed.verify(&key.public_key(), 150), Ok(&sample()));
        let json = serde_json::to_string(&signed).unwrap();
        let back: SignedChallenge = serde_json::from_str(&json).unwrap();
        assert_eq!(back, signed);

        let mut edited = signed.clone();
        edited.challenge.app = "Bank".into();
        assert_eq!(
            edited.verify(&key.public_key(), 150),
            Err(ChallengeError::BadSignature)
        );
        let mut moved = signed.clone();
        moved.challenge.options = vec![47, 12, 90];
        assert_eq!(
            moved.verify(&key.public_key(), 150),
            Err(ChallengeError::BadSignature)
        );
        let other = SigningKey::generate().unwrap().public_key();
        assert_eq!(
            signed.verify(&other, 150),
            Err(ChallengeError::BadSignature)
        );
        assert_eq!(
            signed.verify(&key.public_key(), 161),
            Err(ChallengeError::Expired)
        );
    }

    #[test]
    fn field_boundaries_cannot_be_shifted() {
        let mut a = sample();
        a.app = "VPN\n3:x".into();
        let mut b = sample();
        b.app = "VPN".into();
        b.client_ip = Some("x\n9:192.0.2.1".into());
        assert_ne!(a.canonical(), b.canonical());
    }
}
