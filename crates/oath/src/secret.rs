//! The shared HMAC key of an OTP account.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::{Zeroize, Zeroizing};

/// The shared key HOTP/TOTP codes are computed from.
///
/// The bytes are wiped from memory when the value is dropped, `Debug` never shows them, and
/// equality is checked in constant time. Serialises as an upper-case, unpadded base32 string.
///
/// Secrets of any non-zero length are accepted: RFC 4226 recommends 160 bits, but real services
/// issue 80-bit secrets and codes must still be generated for them.
#[derive(Clone, Zeroize, zeroize::ZeroizeOnDrop)]
pub struct Secret {
    bytes: Vec<u8>,
}

impl Secret {
    /// Takes ownership of raw key bytes.
    ///
    /// An empty key is accepted here (HMAC is defined for it) but refused by every parser.
    pub fn from_bytes(bytes: Vec<u8>) -> Secret {
        Secret { bytes }
    }

    /// Decodes base32 (RFC 4648) the way people and QR codes write it: upper or lower case,
    /// with or without `=` padding, with spaces, tabs or hyphens between groups.
    ///
    /// Unused bits in the last character need not be zero (as most authenticator apps
    /// allow); a symbol count that no byte count encodes to (1, 3 or 6 left over) is refused.
    pub fn from_base32(text: &str) -> Result<Secret, SecretError> {
        let mut bytes = Vec::with_capacity(text.len() * 5 / 8 + 1);
        let mut buffer: u64 = 0;
        let mut bits = 0u32;
        let mut symbols = 0usize;
        // Position of the first `=`: padding may only be followed by more padding.
        let mut padding_at = None;
        for (position, character) in text.chars().enumerate() {
            if matches!(character, ' ' | '\t' | '\n' | '\r' | '-') {
                continue;
            }
            if character == '=' {
                padding_at.get_or_insert(position);
                continue;
            }
            let value = match character {
                'A'..='Z' => character as u32 - 'A' as u32,
                'a'..='z' => character as u32 - 'a' as u32,
                '2'..='7' => character as u32 - '2' as u32 + 26,
                _ => {
                    bytes.zeroize();
                    return Err(SecretError::InvalidBase32Character {
                        character,
                        position,
                    });
                }
            };
            if let Some(position) = padding_at {
                bytes.zeroize();
                return Err(SecretError::InvalidBase32Character {
                    character: '=',
                    position,
                });
            }
            symbols += 1;
            buffer = (buffer << 5) | u64::from(value);
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                // Truncation keeps exactly the 8 bits just completed.
                bytes.push((buffer >> bits) as u8);
            }
        }
        buffer.zeroize();
        if symbols == 0 {
            return Err(SecretError::Empty);
        }
        // 1, 3 and 6 trailing symbols cannot come from encoding whole bytes.
        if matches!(symbols % 8, 1 | 3 | 6) {
            bytes.zeroize();
            return Err(SecretError::InvalidBase32Length { symbols });
        }
        Ok(Secret { bytes })
    }

    /// Decodes hexadecimal (either case, spaces ignored), as PSKC files and `oathtool` use.
    pub fn from_hex(text: &str) -> Result<Secret, SecretError> {
        let mut nibbles = Zeroizing::new(Vec::with_capacity(text.len()));
        for (position, character) in text.chars().enumerate() {
            if character.is_whitespace() {
                continue;
            }
            let value = character
                .to_digit(16)
                .ok_or(SecretError::InvalidHexCharacter {
                    character,
                    position,
                })?;
            // to_digit(16) returns at most 15.
            nibbles.push(value as u8);
        }
        if nibbles.is_empty() {
            return Err(SecretError::Empty);
        }
        if nibbles.len() % 2 == 1 {
            return Err(SecretError::OddHexLength);
        }
        let bytes = nibbles
            .chunks_exact(2)
            .map(|pair| (pair[0] << 4) | pair[1])
            .collect();
        Ok(Secret { bytes })
    }

    /// Base32, upper case, without padding: the form `otpauth://` URIs carry.
    pub fn to_base32(&self) -> String {
        const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let mut out = String::with_capacity(self.bytes.len().div_ceil(5) * 8);
        let mut buffer: u64 = 0;
        let mut bits = 0u32;
        for &byte in &self.bytes {
            buffer = (buffer << 8) | u64::from(byte);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
            }
        }
        if bits > 0 {
            out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
        }
        buffer.zeroize();
        out
    }

    /// The raw key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The key length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the key has no bytes (only possible through [`Secret::from_bytes`]).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..redacted..)")
    }
}

impl PartialEq for Secret {
    /// Constant time in the contents (the length is not secret).
    fn eq(&self, other: &Self) -> bool {
        self.bytes.len() == other.bytes.len()
            && self
                .bytes
                .iter()
                .zip(&other.bytes)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

impl Eq for Secret {}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = Zeroizing::new(self.to_base32());
        serializer.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(deserializer)?);
        Secret::from_base32(&text).map_err(serde::de::Error::custom)
    }
}

/// Why text could not be read as a secret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// No key characters at all.
    #[error("the secret is empty")]
    Empty,
    /// A character outside the base32 alphabet (A-Z, 2-7), or padding before the end.
    #[error("the secret has `{character}` at position {position}, which is not base32 (A-Z, 2-7)")]
    InvalidBase32Character {
        /// The offending character.
        character: char,
        /// Its position, counted in characters from 0.
        position: usize,
    },
    /// A number of base32 symbols that no whole number of bytes encodes to.
    #[error("the secret has {symbols} base32 characters; no whole number of bytes encodes to that many (a character is missing or extra)")]
    InvalidBase32Length {
        /// Symbols counted, without spaces and padding.
        symbols: usize,
    },
    /// A character that is not a hexadecimal digit.
    #[error(
        "the secret has `{character}` at position {position}, which is not a hexadecimal digit"
    )]
    InvalidHexCharacter {
        /// The offending character.
        character: char,
        /// Its position, counted in characters from 0.
        position: usize,
    },
    /// An odd number of hexadecimal digits.
    #[error("the hexadecimal secret has an odd number of digits")]
    OddHexLength,
}
