//! The vault file's byte layout: parsing and writing, no cryptography beyond the integrity
//! digest. See `FORMAT.md` next to this crate's `Cargo.toml` for the layout in prose.
//!
//! [`VaultFile::parse`] never panics on any input (a fuzz target checks this) and caps every
//! length before allocating.

use ring::digest;

/// The first 8 bytes of every vault file.
pub const MAGIC: [u8; 8] = *b"CSIGNVLT";
/// The format version this crate writes (and the only one it reads).
pub const VERSION: u16 = 1;
/// Nonce length of AES-256-GCM.
pub const NONCE_LEN: usize = 12;
/// Tag length of AES-256-GCM.
pub const TAG_LEN: usize = 16;
/// Length of a vault key and of a key-encryption key.
pub const KEY_LEN: usize = 32;
/// A vault key sealed under a key-encryption key: ciphertext plus tag.
pub const WRAPPED_KEY_LEN: usize = KEY_LEN + TAG_LEN;
/// Length of the trailing SHA-256 integrity digest.
pub const DIGEST_LEN: usize = 32;
/// Most slots a file may carry.
pub const MAX_SLOTS: usize = 8;
/// Largest slot body accepted.
pub const MAX_SLOT_BODY: usize = 1024;
/// Largest ciphertext accepted (256 MiB: ~100x the size of 10,000 accounts).
pub const MAX_CIPHERTEXT: usize = 256 << 20;
/// Password-slot salt length.
pub const SALT_LEN: usize = 16;

/// Slot kind byte of a keystore slot.
pub const SLOT_KEYSTORE: u8 = 1;
/// Slot kind byte of a password slot.
pub const SLOT_PASSWORD: u8 = 2;

/// Argon2id bounds accepted when reading a file (a crafted file cannot ask for 1 TiB).
pub const MAX_MEMORY_KIB: u32 = 4 << 20;
/// Most Argon2id passes accepted when reading.
pub const MAX_ITERATIONS: u32 = 100;
/// Most Argon2id lanes accepted when reading.
pub const MAX_PARALLELISM: u32 = 16;

/// Fixed part before the slots: magic, version, vault id, generation, slot count.
const FIXED_HEADER_LEN: usize = 8 + 2 + 16 + 8 + 1;

/// Why bytes are not a readable vault file. Deliberately coarse about *where*.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The magic bytes are missing: not a vault file.
    #[error("not a Countersign vault file")]
    NotAVault,
    /// A format version this crate cannot read.
    #[error("unsupported vault format version {0}")]
    UnsupportedVersion(u16),
    /// The file ends early.
    #[error("the vault file is truncated")]
    Truncated,
    /// The integrity digest does not match: the file was damaged or modified.
    #[error("the vault file's integrity check failed")]
    DigestMismatch,
    /// A field is out of range; the text names the field.
    #[error("the vault file is malformed ({0})")]
    Malformed(&'static str),
}

/// One key slot: a way to recover the vault key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Slot {
    /// The vault key sealed under a key kept in the OS keystore.
    Keystore(KeystoreSlot),
    /// The vault key sealed under an Argon2id-derived key.
    Password(PasswordSlot),
    /// A slot kind from a newer version: kept byte for byte, never used.
    Unknown {
        /// Its kind byte.
        kind: u8,
        /// Its body.
        body: Vec<u8>,
    },
}

/// Body of a keystore slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeystoreSlot {
    /// Nonce of the wrapping.
    pub nonce: [u8; NONCE_LEN],
    /// The vault key sealed under the keystore key.
    pub wrapped_key: [u8; WRAPPED_KEY_LEN],
}

/// Body of a password slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordSlot {
    /// Argon2id parameters.
    pub kdf: KdfParams,
    /// Argon2id salt.
    pub salt: [u8; SALT_LEN],
    /// Nonce of the wrapping.
    pub nonce: [u8; NONCE_LEN],
    /// The vault key sealed under the derived key.
    pub wrapped_key: [u8; WRAPPED_KEY_LEN],
}

/// Argon2id cost parameters of a password slot (stored in the slot).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KdfParams {
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
}

impl KdfParams {
    /// The parameters new password slots get: m = 64 MiB, t = 3, p = 1 (OWASP's and RFC 9106's
    /// second recommendation scaled for phones). About 0.3 s on a laptop core.
    pub const DEFAULT: KdfParams = KdfParams {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 1,
    };

    /// Cheap parameters (m = 64 KiB, t = 1, p = 1) for tests and benchmarks only: a password
    /// slot made with them is easy to brute-force. Never used unless asked for explicitly.
    pub const INSECURE_FAST_FOR_TESTS: KdfParams = KdfParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    /// Parameters within the bounds this crate accepts: `8 * parallelism <= memory_kib <=
    /// 4 GiB`, `1 <= iterations <= 100`, `1 <= parallelism <= 16`.
    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<Self, FormatError> {
        if !(1..=MAX_PARALLELISM).contains(&parallelism) {
            return Err(FormatError::Malformed("argon2 parallelism out of range"));
        }
        if !(1..=MAX_ITERATIONS).contains(&iterations) {
            return Err(FormatError::Malformed("argon2 iterations out of range"));
        }
        if memory_kib < 8 * parallelism || memory_kib > MAX_MEMORY_KIB {
            return Err(FormatError::Malformed("argon2 memory out of range"));
        }
        Ok(KdfParams {
            memory_kib,
            iterations,
            parallelism,
        })
    }

    /// Memory cost in KiB.
    pub fn memory_kib(&self) -> u32 {
        self.memory_kib
    }

    /// Number of passes.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// Number of lanes.
    pub fn parallelism(&self) -> u32 {
        self.parallelism
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        KdfParams::DEFAULT
    }
}

/// The header fields that are not slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderInfo {
    /// Format version.
    pub version: u16,
    /// Random id of the vault, fixed at creation (names its keystore entry).
    pub vault_id: [u8; 16],
    /// Save counter: 1 at creation, +1 on every save.
    pub generation: u64,
}

/// A parsed vault file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultFile {
    /// Version, id, generation.
    pub info: HeaderInfo,
    /// The key slots, in file order.
    pub slots: Vec<Slot>,
    /// Nonce of the contents' encryption.
    pub nonce: [u8; NONCE_LEN],
    /// The contents, sealed: ciphertext with the tag at its end.
    pub ciphertext: Vec<u8>,
}

impl VaultFile {
    /// Parses a whole file: magic, version, integrity digest, then the structure.
    pub fn parse(bytes: &[u8]) -> Result<VaultFile, FormatError> {
        check_magic_and_version(bytes)?;
        if bytes.len() < FIXED_HEADER_LEN + NONCE_LEN + 4 + TAG_LEN + DIGEST_LEN {
            return Err(FormatError::Truncated);
        }
        let (body, digest) = bytes.split_at(bytes.len() - DIGEST_LEN);
        let actual = digest::digest(&digest::SHA256, body);
        if actual.as_ref() != digest {
            return Err(FormatError::DigestMismatch);
        }
        Self::parse_without_digest(body)
    }

    /// Parses everything before the trailing digest, without checking the digest. For fuzzing
    /// the structure parser; readers use [`VaultFile::parse`].
    pub fn parse_without_digest(body: &[u8]) -> Result<VaultFile, FormatError> {
        check_magic_and_version(body)?;
        let mut r = Reader {
            bytes: body,
            pos: 10,
        };
        let vault_id: [u8; 16] = r.array()?;
        let generation = u64::from_le_bytes(r.array()?);
        let slot_count = usize::from(r.u8()?);
        if slot_count == 0 {
            return Err(FormatError::Malformed("no key slots"));
        }
        if slot_count > MAX_SLOTS {
            return Err(FormatError::Malformed("too many key slots"));
        }
        let mut slots = Vec::with_capacity(slot_count);
        for _ in 0..slot_count {
            let kind = r.u8()?;
            let len = usize::from(u16::from_le_bytes(r.array()?));
            if len > MAX_SLOT_BODY {
                return Err(FormatError::Malformed("key slot too long"));
            }
            let slot_body = r.take(len)?;
            let slot = parse_slot(kind, slot_body)?;
            let duplicate = slots.iter().any(|s: &Slot| {
                matches!(
                    (s, &slot),
                    (Slot::Keystore(_), Slot::Keystore(_)) | (Slot::Password(_), Slot::Password(_))
                )
            });
            if duplicate {
                return Err(FormatError::Malformed("two key slots of one kind"));
            }
            slots.push(slot);
        }
        let nonce: [u8; NONCE_LEN] = r.array()?;
        let len = u32::from_le_bytes(r.array()?);
        let len =
            usize::try_from(len).map_err(|_| FormatError::Malformed("ciphertext too long"))?;
        if len > MAX_CIPHERTEXT {
            return Err(FormatError::Malformed("ciphertext too long"));
        }
        if len < TAG_LEN {
            return Err(FormatError::Malformed("ciphertext shorter than its tag"));
        }
        let ciphertext = r.take(len)?.to_vec();
        if r.pos != body.len() {
            return Err(FormatError::Malformed("bytes after the ciphertext"));
        }
        Ok(VaultFile {
            info: HeaderInfo {
                version: VERSION,
                vault_id,
                generation,
            },
            slots,
            nonce,
            ciphertext,
        })
    }

    /// Reads only the fixed header (for status and the concurrent-save check): no digest check,
    /// so a damaged file may still show a header.
    pub fn parse_info(bytes: &[u8]) -> Result<HeaderInfo, FormatError> {
        check_magic_and_version(bytes)?;
        let mut r = Reader { bytes, pos: 10 };
        let vault_id: [u8; 16] = r.array()?;
        let generation = u64::from_le_bytes(r.array()?);
        Ok(HeaderInfo {
            version: VERSION,
            vault_id,
            generation,
        })
    }

    /// The header bytes (everything up to the ciphertext): the associated data the contents
    /// are sealed with. `ciphertext_len` is the sealed length (plaintext + tag).
    pub fn header_bytes(&self, ciphertext_len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&self.info.version.to_le_bytes());
        out.extend_from_slice(&self.info.vault_id);
        out.extend_from_slice(&self.info.generation.to_le_bytes());
        // Invariant: slots are at most MAX_SLOTS (checked by parse and by the vault that builds them).
        out.push(self.slots.len() as u8);
        for slot in &self.slots {
            let (kind, body) = slot_bytes(slot);
            out.push(kind);
            // Invariant: slot bodies are fixed sizes well under u16::MAX, or came from parse
            // (<= MAX_SLOT_BODY).
            out.extend_from_slice(&(body.len() as u16).to_le_bytes());
            out.extend_from_slice(&body);
        }
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&(ciphertext_len as u32).to_le_bytes());
        out
    }

    /// The whole file: header, ciphertext, digest.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.header_bytes(self.ciphertext.len());
        out.reserve(self.ciphertext.len() + DIGEST_LEN);
        out.extend_from_slice(&self.ciphertext);
        let d = digest::digest(&digest::SHA256, &out);
        out.extend_from_slice(d.as_ref());
        out
    }
}

fn check_magic_and_version(bytes: &[u8]) -> Result<(), FormatError> {
    let n = bytes.len().min(MAGIC.len());
    if bytes[..n] != MAGIC[..n] {
        return Err(FormatError::NotAVault);
    }
    if bytes.len() < 10 {
        return Err(FormatError::Truncated);
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if version != VERSION {
        return Err(FormatError::UnsupportedVersion(version));
    }
    Ok(())
}

fn parse_slot(kind: u8, body: &[u8]) -> Result<Slot, FormatError> {
    let mut r = Reader {
        bytes: body,
        pos: 0,
    };
    let slot = match kind {
        SLOT_KEYSTORE => Slot::Keystore(KeystoreSlot {
            nonce: r.array()?,
            wrapped_key: r.array()?,
        }),
        SLOT_PASSWORD => {
            let m = u32::from_le_bytes(r.array()?);
            let t = u32::from_le_bytes(r.array()?);
            let p = u32::from_le_bytes(r.array()?);
            Slot::Password(PasswordSlot {
                kdf: KdfParams::new(m, t, p)?,
                salt: r.array()?,
                nonce: r.array()?,
                wrapped_key: r.array()?,
            })
        }
        _ => {
            return Ok(Slot::Unknown {
                kind,
                body: body.to_vec(),
            })
        }
    };
    if r.pos != body.len() {
        return Err(FormatError::Malformed("key slot has the wrong length"));
    }
    Ok(slot)
}

fn slot_bytes(slot: &Slot) -> (u8, Vec<u8>) {
    match slot {
        Slot::Keystore(s) => {
            let mut b = Vec::with_capacity(NONCE_LEN + WRAPPED_KEY_LEN);
            b.extend_from_slice(&s.nonce);
            b.extend_from_slice(&s.wrapped_key);
            (SLOT_KEYSTORE, b)
        }
        Slot::Password(s) => {
            let mut b = Vec::with_capacity(12 + SALT_LEN + NONCE_LEN + WRAPPED_KEY_LEN);
            b.extend_from_slice(&s.kdf.memory_kib.to_le_bytes());
            b.extend_from_slice(&s.kdf.iterations.to_le_bytes());
            b.extend_from_slice(&s.kdf.parallelism.to_le_bytes());
            b.extend_from_slice(&s.salt);
            b.extend_from_slice(&s.nonce);
            b.extend_from_slice(&s.wrapped_key);
            (SLOT_PASSWORD, b)
        }
        Slot::Unknown { kind, body } => (*kind, body.clone()),
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], FormatError> {
        let end = self.pos.checked_add(n).ok_or(FormatError::Truncated)?;
        let out = self
            .bytes
            .get(self.pos..end)
            .ok_or(FormatError::Truncated)?;
        self.pos = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], FormatError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, FormatError> {
        Ok(self.take(1)?[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> VaultFile {
        VaultFile {
            info: HeaderInfo {
                version: VERSION,
                vault_id: [7; 16],
                generation: 42,
            },
            slots: vec![
                Slot::Keystore(KeystoreSlot {
                    nonce: [1; NONCE_LEN],
                    wrapped_key: [2; WRAPPED_KEY_LEN],
                }),
                Slot::Password(PasswordSlot {
                    kdf: KdfParams::INSECURE_FAST_FOR_TESTS,
                    salt: [3; SALT_LEN],
                    nonce: [4; NONCE_LEN],
                    wrapped_key: [5; WRAPPED_KEY_LEN],
                }),
            ],
            nonce: [6; NONCE_LEN],
            ciphertext: vec![9; 40],
        }
    }

    /// Re-seals the digest after editing the body, so the structure parser is what answers.
    fn with_digest(mut body: Vec<u8>) -> Vec<u8> {
        let d = digest::digest(&digest::SHA256, &body);
        body.extend_from_slice(d.as_ref());
        body
    }

    #[test]
    fn written_file_parses_back_to_the_same_value() {
        let file = sample();
        assert_eq!(VaultFile::parse(&file.to_bytes()).unwrap(), file);
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let bytes = sample().to_bytes();
        for len in 0..bytes.len() {
            let err = VaultFile::parse(&bytes[..len]).unwrap_err();
            assert!(
                matches!(err, FormatError::Truncated | FormatError::DigestMismatch),
                "length {len}: {err:?}"
            );
        }
    }

    #[test]
    fn truncations_with_a_valid_digest_are_reported_as_truncated_or_malformed() {
        let bytes = sample().to_bytes();
        let body = &bytes[..bytes.len() - DIGEST_LEN];
        for len in 10..body.len() {
            let err = VaultFile::parse(&with_digest(body[..len].to_vec())).unwrap_err();
            assert!(
                matches!(err, FormatError::Truncated | FormatError::Malformed(_)),
                "length {len}: {err:?}"
            );
        }
    }

    #[test]
    fn wrong_magic_says_not_a_vault() {
        let mut bytes = sample().to_bytes();
        bytes[0] = b'X';
        assert_eq!(VaultFile::parse(&bytes), Err(FormatError::NotAVault));
        assert_eq!(
            VaultFile::parse(b"{\"accounts\": []}"),
            Err(FormatError::NotAVault)
        );
        assert_eq!(VaultFile::parse(b""), Err(FormatError::Truncated));
    }

    #[test]
    fn unknown_version_is_named() {
        let mut bytes = sample().to_bytes();
        bytes[8..10].copy_from_slice(&7u16.to_le_bytes());
        assert_eq!(
            VaultFile::parse(&bytes),
            Err(FormatError::UnsupportedVersion(7))
        );
        assert!(FormatError::UnsupportedVersion(7).to_string().contains('7'));
    }

    #[test]
    fn any_flipped_byte_after_the_version_fails_the_digest() {
        let bytes = sample().to_bytes();
        for i in 10..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0x01;
            assert_eq!(
                VaultFile::parse(&damaged),
                Err(FormatError::DigestMismatch),
                "byte {i}"
            );
        }
    }

    #[test]
    fn oversized_ciphertext_length_is_refused_before_allocating() {
        let file = sample();
        let mut body = file.header_bytes(file.ciphertext.len());
        let at = body.len() - 4;
        body[at..].copy_from_slice(&u32::MAX.to_le_bytes());
        body.extend_from_slice(&file.ciphertext);
        assert_eq!(
            VaultFile::parse(&with_digest(body)),
            Err(FormatError::Malformed("ciphertext too long"))
        );
    }

    #[test]
    fn oversized_slot_length_and_slot_count_are_refused() {
        let file = sample();
        let header = file.header_bytes(file.ciphertext.len());
        // Slot count byte at offset 34; the first slot's length at 36..38.
        let mut many = header.clone();
        many[34] = 200;
        assert_eq!(
            VaultFile::parse(&with_digest(many)),
            Err(FormatError::Malformed("too many key slots"))
        );
        let mut long = header.clone();
        long[36..38].copy_from_slice(&u16::MAX.to_le_bytes());
        assert_eq!(
            VaultFile::parse(&with_digest(long)),
            Err(FormatError::Malformed("key slot too long"))
        );
        let mut none = header;
        none[34] = 0;
        assert_eq!(
            VaultFile::parse(&with_digest(none)),
            Err(FormatError::Malformed("no key slots"))
        );
    }

    #[test]
    fn absurd_argon2_parameters_are_refused() {
        assert!(KdfParams::new(u32::MAX, 3, 1).is_err());
        assert!(KdfParams::new(65536, 0, 1).is_err());
        assert!(KdfParams::new(65536, 3, 0).is_err());
        assert!(KdfParams::new(65536, 1000, 1).is_err());
        assert_eq!(KdfParams::new(65536, 3, 1), Ok(KdfParams::DEFAULT));
    }

    #[test]
    fn unknown_slot_kinds_are_kept_byte_for_byte() {
        let mut file = sample();
        file.slots.push(Slot::Unknown {
            kind: 99,
            body: vec![1, 2, 3],
        });
        assert_eq!(VaultFile::parse(&file.to_bytes()).unwrap(), file);
    }

    #[test]
    fn trailing_bytes_are_refused() {
        let file = sample();
        let bytes = file.to_bytes();
        let mut body = bytes[..bytes.len() - DIGEST_LEN].to_vec();
        body.push(0);
        assert_eq!(
            VaultFile::parse(&with_digest(body)),
            Err(FormatError::Malformed("bytes after the ciphertext"))
        );
    }
}
