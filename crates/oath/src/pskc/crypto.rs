//! The ciphers, key wraps, key derivation and MACs that RFC 6030 names through the XML
//! Encryption and XML Signature URIs.
//!
//! Algorithm names are normalised the way vendors spell them: the part after `#` is looked up
//! case-insensitively, and the older aliases (`3des-cbc`, `kw-3des`, `pbe-aes128-cbc`,
//! `hmac-sha-256`, ...) map to the current names.

use aes::cipher::{
    block_padding::Pkcs7, BlockCipher, BlockDecrypt, BlockDecryptMut, BlockEncrypt, KeyInit,
    KeyIvInit,
};
use hmac::{Hmac, Mac};
use sha1::{Digest, Sha1};
use sha2::{Sha224, Sha256, Sha384, Sha512};
use zeroize::Zeroizing;

use super::PskcError;

/// Upper bound on PBKDF2 iterations a file may ask for, so a hostile file cannot stall an import
/// for hours. Real files use 1,000 to 100,000.
pub(crate) const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;

/// An encryption algorithm named by a PSKC file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cipher {
    AesCbc(usize),
    TripleDesCbc,
    CamelliaCbc(usize),
    AesKw(usize),
    TripleDesKw,
    CamelliaKw(usize),
}

impl Cipher {
    /// Parses an algorithm URI (or one of the legacy short names).
    pub(crate) fn from_uri(uri: &str) -> Result<Cipher, PskcError> {
        let name = normalise(uri);
        let cipher = match name.as_str() {
            "aes128-cbc" => Cipher::AesCbc(16),
            "aes192-cbc" => Cipher::AesCbc(24),
            "aes256-cbc" => Cipher::AesCbc(32),
            "tripledes-cbc" => Cipher::TripleDesCbc,
            "camellia128-cbc" => Cipher::CamelliaCbc(16),
            "camellia192-cbc" => Cipher::CamelliaCbc(24),
            "camellia256-cbc" => Cipher::CamelliaCbc(32),
            "kw-aes128" => Cipher::AesKw(16),
            "kw-aes192" => Cipher::AesKw(24),
            "kw-aes256" => Cipher::AesKw(32),
            "kw-tripledes" => Cipher::TripleDesKw,
            "kw-camellia128" => Cipher::CamelliaKw(16),
            "kw-camellia192" => Cipher::CamelliaKw(24),
            "kw-camellia256" => Cipher::CamelliaKw(32),
            _ => return Err(PskcError::UnsupportedEncryption(uri.to_owned())),
        };
        Ok(cipher)
    }

    /// The key length a derived key gets when the file does not say (and the length named in
    /// errors).
    pub(crate) fn default_key_len(self) -> usize {
        match self {
            Cipher::AesCbc(n)
            | Cipher::CamelliaCbc(n)
            | Cipher::AesKw(n)
            | Cipher::CamelliaKw(n) => n,
            // Two-key Triple-DES, as python-pskc assumes too when a file gives no length.
            Cipher::TripleDesCbc | Cipher::TripleDesKw => 16,
        }
    }

    fn check_key_len(self, key: &[u8]) -> Result<(), PskcError> {
        let ok = match self {
            Cipher::TripleDesCbc | Cipher::TripleDesKw => key.len() == 16 || key.len() == 24,
            other => key.len() == other.default_key_len(),
        };
        if ok {
            Ok(())
        } else {
            Err(PskcError::WrongKeyLength {
                expected: self.default_key_len(),
                actual: key.len(),
            })
        }
    }

    /// Decrypts one `CipherValue`. CBC values carry their IV as the first block unless the
    /// (legacy) container gives one.
    pub(crate) fn decrypt(
        self,
        key: &[u8],
        value: &[u8],
        legacy_iv: Option<&[u8]>,
    ) -> Result<Zeroizing<Vec<u8>>, PskcError> {
        self.check_key_len(key)?;
        match self {
            Cipher::AesCbc(16) => cbc_decrypt::<aes::Aes128>(key, value, legacy_iv),
            Cipher::AesCbc(24) => cbc_decrypt::<aes::Aes192>(key, value, legacy_iv),
            Cipher::AesCbc(_) => cbc_decrypt::<aes::Aes256>(key, value, legacy_iv),
            Cipher::CamelliaCbc(16) => cbc_decrypt::<camellia::Camellia128>(key, value, legacy_iv),
            Cipher::CamelliaCbc(24) => cbc_decrypt::<camellia::Camellia192>(key, value, legacy_iv),
            Cipher::CamelliaCbc(_) => cbc_decrypt::<camellia::Camellia256>(key, value, legacy_iv),
            Cipher::TripleDesCbc if key.len() == 16 => {
                cbc_decrypt::<des::TdesEde2>(key, value, legacy_iv)
            }
            Cipher::TripleDesCbc => cbc_decrypt::<des::TdesEde3>(key, value, legacy_iv),
            Cipher::AesKw(16) => rfc3394_unwrap::<aes::Aes128>(key, value),
            Cipher::AesKw(24) => rfc3394_unwrap::<aes::Aes192>(key, value),
            Cipher::AesKw(_) => rfc3394_unwrap::<aes::Aes256>(key, value),
            Cipher::CamelliaKw(16) => rfc3394_unwrap::<camellia::Camellia128>(key, value),
            Cipher::CamelliaKw(24) => rfc3394_unwrap::<camellia::Camellia192>(key, value),
            Cipher::CamelliaKw(_) => rfc3394_unwrap::<camellia::Camellia256>(key, value),
            Cipher::TripleDesKw if key.len() == 16 => rfc3217_unwrap::<des::TdesEde2>(key, value),
            Cipher::TripleDesKw => rfc3217_unwrap::<des::TdesEde3>(key, value),
        }
    }
}

/// Lower-cases the part after `#` and maps legacy aliases to current names.
pub(crate) fn normalise(uri: &str) -> String {
    let tail = uri
        .rsplit('#')
        .next()
        .unwrap_or(uri)
        .trim()
        .to_ascii_lowercase();
    let alias = match tail.as_str() {
        "3des-cbc" | "3des112-cbc" | "3des168-cbc" | "pbe-3des112-cbc" | "pbe-3des168-cbc" => {
            "tripledes-cbc"
        }
        "kw-3des" => "kw-tripledes",
        "camellia128" => "camellia128-cbc",
        "camellia192" => "camellia192-cbc",
        "camellia256" => "camellia256-cbc",
        "pbe-aes128-cbc" => "aes128-cbc",
        "pbe-aes192-cbc" => "aes192-cbc",
        "pbe-aes256-cbc" => "aes256-cbc",
        "hmac-sha-1" => "hmac-sha1",
        "hmac-sha-224" => "hmac-sha224",
        "hmac-sha-256" => "hmac-sha256",
        "hmac-sha-384" => "hmac-sha384",
        "hmac-sha-512" => "hmac-sha512",
        other => return other.to_owned(),
    };
    alias.to_owned()
}

fn cbc_decrypt<C>(
    key: &[u8],
    value: &[u8],
    legacy_iv: Option<&[u8]>,
) -> Result<Zeroizing<Vec<u8>>, PskcError>
where
    C: BlockCipher + BlockDecrypt + KeyInit,
{
    let block = C::block_size();
    let (iv, body) = match legacy_iv {
        Some(iv) => (iv, value),
        None if value.len() >= block => value.split_at(block),
        None => return Err(PskcError::DecryptionFailed),
    };
    if iv.len() != block || body.is_empty() || body.len() % block != 0 {
        return Err(PskcError::DecryptionFailed);
    }
    let decryptor =
        cbc::Decryptor::<C>::new_from_slices(key, iv).map_err(|_| PskcError::DecryptionFailed)?;
    let mut buf = Zeroizing::new(body.to_vec());
    let len = decryptor
        .decrypt_padded_mut::<Pkcs7>(&mut buf)
        .map_err(|_| PskcError::DecryptionFailed)?
        .len();
    buf.truncate(len);
    Ok(buf)
}

/// RFC 3394 key unwrap over any 128-bit block cipher: AES (RFC 3394) and Camellia (RFC 3657,
/// which reuses RFC 3394's algorithm and initial value unchanged).
fn rfc3394_unwrap<C>(key: &[u8], value: &[u8]) -> Result<Zeroizing<Vec<u8>>, PskcError>
where
    C: BlockCipher + BlockDecrypt + KeyInit,
{
    const IV: [u8; 8] = [0xA6; 8];
    if C::block_size() != 16 || value.len() < 24 || !value.len().is_multiple_of(8) {
        return Err(PskcError::DecryptionFailed);
    }
    let cipher = C::new_from_slice(key).map_err(|_| PskcError::DecryptionFailed)?;
    let n = value.len() / 8 - 1;
    let mut a = [0u8; 8];
    a.copy_from_slice(&value[..8]);
    let mut r = Zeroizing::new(value[8..].to_vec());
    let mut block = Zeroizing::new([0u8; 16]);
    for j in (0..6u64).rev() {
        for i in (1..=n).rev() {
            let t = (n as u64) * j + i as u64;
            let t = t.to_be_bytes();
            for (byte, tb) in a.iter_mut().zip(t) {
                *byte ^= tb;
            }
            block[..8].copy_from_slice(&a);
            block[8..].copy_from_slice(&r[(i - 1) * 8..i * 8]);
            cipher.decrypt_block(aes::cipher::generic_array::GenericArray::from_mut_slice(
                &mut block[..],
            ));
            a.copy_from_slice(&block[..8]);
            r[(i - 1) * 8..i * 8].copy_from_slice(&block[8..]);
        }
    }
    if subtle::ConstantTimeEq::ct_eq(&a[..], &IV[..]).into() {
        Ok(r)
    } else {
        Err(PskcError::DecryptionFailed)
    }
}

/// RFC 3217 Triple-DES key unwrap (the CMS wrap with a SHA-1 checksum and a fixed second IV).
fn rfc3217_unwrap<C>(key: &[u8], value: &[u8]) -> Result<Zeroizing<Vec<u8>>, PskcError>
where
    C: BlockCipher + BlockDecrypt + BlockEncrypt + KeyInit,
{
    const IV2: [u8; 8] = [0x4a, 0xdd, 0xa2, 0x2c, 0x79, 0xe8, 0x21, 0x05];
    if value.len() < 24 || !value.len().is_multiple_of(8) {
        return Err(PskcError::DecryptionFailed);
    }
    let mut tmp = Zeroizing::new(value.to_vec());
    cbc::Decryptor::<C>::new_from_slices(key, &IV2)
        .map_err(|_| PskcError::DecryptionFailed)?
        .decrypt_padded_mut::<aes::cipher::block_padding::NoPadding>(&mut tmp)
        .map_err(|_| PskcError::DecryptionFailed)?;
    tmp.reverse();
    let (iv, rest) = tmp.split_at(8);
    let mut inner = Zeroizing::new(rest.to_vec());
    cbc::Decryptor::<C>::new_from_slices(key, iv)
        .map_err(|_| PskcError::DecryptionFailed)?
        .decrypt_padded_mut::<aes::cipher::block_padding::NoPadding>(&mut inner)
        .map_err(|_| PskcError::DecryptionFailed)?;
    let split = inner.len() - 8;
    let checksum = Sha1::digest(&inner[..split]);
    if subtle::ConstantTimeEq::ct_eq(&checksum[..8], &inner[split..]).into() {
        inner.truncate(split);
        Ok(inner)
    } else {
        Err(PskcError::DecryptionFailed)
    }
}

/// A MAC algorithm named by `MACMethod`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MacAlgorithm {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl MacAlgorithm {
    pub(crate) fn from_uri(uri: &str) -> Result<MacAlgorithm, PskcError> {
        match normalise(uri).as_str() {
            "hmac-sha1" => Ok(MacAlgorithm::Sha1),
            "hmac-sha224" => Ok(MacAlgorithm::Sha224),
            "hmac-sha256" => Ok(MacAlgorithm::Sha256),
            "hmac-sha384" => Ok(MacAlgorithm::Sha384),
            "hmac-sha512" => Ok(MacAlgorithm::Sha512),
            _ => Err(PskcError::UnsupportedMac(uri.to_owned())),
        }
    }

    /// Checks `tag` against HMAC(key, data) in constant time.
    pub(crate) fn verify(self, key: &[u8], data: &[u8], tag: &[u8]) -> bool {
        fn check<M: Mac + KeyInit>(key: &[u8], data: &[u8], tag: &[u8]) -> bool {
            match <M as Mac>::new_from_slice(key) {
                Ok(mut mac) => {
                    mac.update(data);
                    mac.verify_slice(tag).is_ok()
                }
                Err(_) => false,
            }
        }
        match self {
            MacAlgorithm::Sha1 => check::<Hmac<Sha1>>(key, data, tag),
            MacAlgorithm::Sha224 => check::<Hmac<Sha224>>(key, data, tag),
            MacAlgorithm::Sha256 => check::<Hmac<Sha256>>(key, data, tag),
            MacAlgorithm::Sha384 => check::<Hmac<Sha384>>(key, data, tag),
            MacAlgorithm::Sha512 => check::<Hmac<Sha512>>(key, data, tag),
        }
    }
}

/// PBKDF2 (PKCS #5 v2.0) with the pseudorandom function a file names (HMAC-SHA1 by default).
pub(crate) fn pbkdf2(
    prf: Option<&str>,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    key_len: usize,
) -> Result<Zeroizing<Vec<u8>>, PskcError> {
    if iterations == 0 || iterations > MAX_PBKDF2_ITERATIONS {
        return Err(PskcError::Malformed {
            key: None,
            reason: format!("PBKDF2 iteration count {iterations} is out of range"),
        });
    }
    if key_len == 0 || key_len > 64 {
        return Err(PskcError::Malformed {
            key: None,
            reason: format!("PBKDF2 key length {key_len} is out of range"),
        });
    }
    let mut out = Zeroizing::new(vec![0u8; key_len]);
    let prf = prf.map(MacAlgorithm::from_uri).transpose()?;
    match prf.unwrap_or(MacAlgorithm::Sha1) {
        MacAlgorithm::Sha1 => pbkdf2::pbkdf2_hmac::<Sha1>(password, salt, iterations, &mut out),
        MacAlgorithm::Sha224 => pbkdf2::pbkdf2_hmac::<Sha224>(password, salt, iterations, &mut out),
        MacAlgorithm::Sha256 => pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut out),
        MacAlgorithm::Sha384 => pbkdf2::pbkdf2_hmac::<Sha384>(password, salt, iterations, &mut out),
        MacAlgorithm::Sha512 => pbkdf2::pbkdf2_hmac::<Sha512>(password, salt, iterations, &mut out),
    }
    Ok(out)
}
