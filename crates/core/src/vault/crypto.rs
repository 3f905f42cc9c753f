//! AES-256-GCM sealing of the contents and of the vault key in its slots, Argon2id, randomness.
//!
//! Every buffer that holds a key or plaintext is `Zeroizing`.

use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use super::format::{KdfParams, KEY_LEN, NONCE_LEN, SALT_LEN, TAG_LEN, WRAPPED_KEY_LEN};
use crate::password::Password;

/// A 256-bit key (vault key, keystore key or derived key), wiped on drop.
pub(crate) type Key = Zeroizing<[u8; KEY_LEN]>;

/// Associated-data prefix of a keystore slot's wrapping.
const KEYSTORE_SLOT_AAD: &[u8] = b"countersign keystore slot v1";
/// Associated-data prefix of a password slot's wrapping.
const PASSWORD_SLOT_AAD: &[u8] = b"countersign password slot v1";

/// Sealing or opening failed (wrong key, modified bytes). Says nothing more, on purpose.
#[derive(Debug)]
pub(crate) struct Unsealable;

pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    // Invariant: SystemRandom reads the OS CSPRNG; it fails only if the OS has none, in which
    // case no key can be made safely and stopping is the only correct answer.
    #[allow(clippy::expect_used)]
    SystemRandom::new()
        .fill(&mut out)
        .expect("the OS random number generator failed");
    out
}

pub(crate) fn random_key() -> Key {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    key.copy_from_slice(&Zeroizing::new(random_bytes::<KEY_LEN>())[..]);
    key
}

fn aead_key(key: &[u8; KEY_LEN]) -> LessSafeKey {
    // Invariant: KEY_LEN is AES-256's key length, the only way UnboundKey::new fails.
    #[allow(clippy::expect_used)]
    LessSafeKey::new(UnboundKey::new(&aead::AES_256_GCM, key).expect("32-byte AES-256 key"))
}

/// Seals `plaintext` in place (it becomes the ciphertext with the tag appended). The buffer
/// must have room for the tag so that no reallocation leaves plaintext behind in freed memory.
pub(crate) fn seal(
    key: &[u8; KEY_LEN],
    nonce: [u8; NONCE_LEN],
    aad: &[u8],
    buffer: &mut Zeroizing<Vec<u8>>,
) {
    debug_assert!(buffer.capacity() - buffer.len() >= TAG_LEN);
    // Invariant: ring's AES-GCM seal fails only for inputs over ~64 GiB; contents are capped
    // far below (format::MAX_CIPHERTEXT).
    #[allow(clippy::expect_used)]
    aead_key(key)
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut **buffer,
        )
        .expect("AES-GCM input within limits");
}

/// Opens a ciphertext (with its tag) into a zeroizing plaintext buffer.
pub(crate) fn open(
    key: &[u8; KEY_LEN],
    nonce: [u8; NONCE_LEN],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Unsealable> {
    open_in_place(key, nonce, aad, Zeroizing::new(ciphertext.to_vec()))
}

/// Opens a ciphertext (with its tag) in its own buffer, which becomes the plaintext.
pub(crate) fn open_in_place(
    key: &[u8; KEY_LEN],
    nonce: [u8; NONCE_LEN],
    aad: &[u8],
    mut buffer: Zeroizing<Vec<u8>>,
) -> Result<Zeroizing<Vec<u8>>, Unsealable> {
    let len = aead_key(key)
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut buffer[..],
        )
        .map_err(|_| Unsealable)?
        .len();
    buffer.truncate(len);
    Ok(buffer)
}

fn slot_aad(prefix: &[u8], vault_id: &[u8; 16], extra: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(prefix.len() + 16 + extra.len());
    aad.extend_from_slice(prefix);
    aad.extend_from_slice(vault_id);
    aad.extend_from_slice(extra);
    aad
}

fn wrap(
    kek: &[u8; KEY_LEN],
    aad: &[u8],
    vault_key: &Key,
) -> ([u8; NONCE_LEN], [u8; WRAPPED_KEY_LEN]) {
    let nonce = random_bytes::<NONCE_LEN>();
    let mut buffer = Zeroizing::new(Vec::with_capacity(WRAPPED_KEY_LEN));
    buffer.extend_from_slice(&vault_key[..]);
    seal(kek, nonce, aad, &mut buffer);
    let mut wrapped = [0u8; WRAPPED_KEY_LEN];
    wrapped.copy_from_slice(&buffer);
    (nonce, wrapped)
}

fn unwrap(
    kek: &[u8; KEY_LEN],
    aad: &[u8],
    nonce: [u8; NONCE_LEN],
    wrapped: &[u8; WRAPPED_KEY_LEN],
) -> Result<Key, Unsealable> {
    let plain = open(kek, nonce, aad, wrapped)?;
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    if plain.len() != KEY_LEN {
        return Err(Unsealable);
    }
    key.copy_from_slice(&plain);
    Ok(key)
}

/// Seals the vault key under the keystore key.
pub(crate) fn wrap_for_keystore(
    keystore_key: &Key,
    vault_id: &[u8; 16],
    vault_key: &Key,
) -> ([u8; NONCE_LEN], [u8; WRAPPED_KEY_LEN]) {
    wrap(
        keystore_key,
        &slot_aad(KEYSTORE_SLOT_AAD, vault_id, &[]),
        vault_key,
    )
}

/// Opens a keystore slot.
pub(crate) fn unwrap_from_keystore(
    keystore_key: &Key,
    vault_id: &[u8; 16],
    nonce: [u8; NONCE_LEN],
    wrapped: &[u8; WRAPPED_KEY_LEN],
) -> Result<Key, Unsealable> {
    unwrap(
        keystore_key,
        &slot_aad(KEYSTORE_SLOT_AAD, vault_id, &[]),
        nonce,
        wrapped,
    )
}

fn kdf_bytes(kdf: &KdfParams, salt: &[u8; SALT_LEN]) -> Vec<u8> {
    let mut b = Vec::with_capacity(12 + SALT_LEN);
    b.extend_from_slice(&kdf.memory_kib().to_le_bytes());
    b.extend_from_slice(&kdf.iterations().to_le_bytes());
    b.extend_from_slice(&kdf.parallelism().to_le_bytes());
    b.extend_from_slice(salt);
    b
}

/// Argon2id of the password with the slot's parameters and salt.
pub(crate) fn derive(password: &Password, kdf: &KdfParams, salt: &[u8; SALT_LEN]) -> Key {
    // Invariant: KdfParams only holds values within argon2's accepted ranges (checked by
    // KdfParams::new), and the output length is fixed at 32.
    #[allow(clippy::expect_used)]
    let params = argon2::Params::new(
        kdf.memory_kib(),
        kdf.iterations(),
        kdf.parallelism(),
        Some(KEY_LEN),
    )
    .expect("KdfParams within argon2 bounds");
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    #[allow(clippy::expect_used)]
    argon
        .hash_password_into(password.as_bytes(), salt, &mut out[..])
        .expect("argon2 inputs within bounds");
    out
}

/// Makes a password slot's sealed key: returns (salt, nonce, wrapped key).
pub(crate) fn wrap_for_password(
    password: &Password,
    kdf: &KdfParams,
    vault_id: &[u8; 16],
    vault_key: &Key,
) -> ([u8; SALT_LEN], [u8; NONCE_LEN], [u8; WRAPPED_KEY_LEN]) {
    let salt = random_bytes::<SALT_LEN>();
    let derived = derive(password, kdf, &salt);
    let aad = slot_aad(PASSWORD_SLOT_AAD, vault_id, &kdf_bytes(kdf, &salt));
    let (nonce, wrapped) = wrap(&derived, &aad, vault_key);
    (salt, nonce, wrapped)
}

/// Opens a password slot.
pub(crate) fn unwrap_with_password(
    password: &Password,
    kdf: &KdfParams,
    salt: &[u8; SALT_LEN],
    vault_id: &[u8; 16],
    nonce: [u8; NONCE_LEN],
    wrapped: &[u8; WRAPPED_KEY_LEN],
) -> Result<Key, Unsealable> {
    let derived = derive(password, kdf, salt);
    let aad = slot_aad(PASSWORD_SLOT_AAD, vault_id, &kdf_bytes(kdf, salt));
    unwrap(&derived, &aad, nonce, wrapped)
}

/// A `Write` sink for serialising plaintext: it never lets `Vec` reallocate on its own (which
/// would free a copy of the plaintext without wiping it); it grows by copying into a new
/// zeroizing buffer and wiping the old one. Keeps `TAG_LEN` bytes spare for sealing.
pub(crate) struct ZeroizingWriter(pub(crate) Zeroizing<Vec<u8>>);

impl ZeroizingWriter {
    pub(crate) fn with_capacity(n: usize) -> Self {
        ZeroizingWriter(Zeroizing::new(Vec::with_capacity(n + TAG_LEN)))
    }
}

impl std::io::Write for ZeroizingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let needed = self.0.len() + buf.len() + TAG_LEN;
        if needed > self.0.capacity() {
            let mut bigger = Zeroizing::new(Vec::with_capacity(needed.max(self.0.capacity() * 2)));
            bigger.extend_from_slice(&self.0);
            // The old buffer is wiped (whole capacity) when `Zeroizing` drops it here.
            self.0 = bigger;
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keystore_wrapping_round_trips_and_binds_the_vault_id() {
        let kek = random_key();
        let vault_key = random_key();
        let (nonce, wrapped) = wrap_for_keystore(&kek, &[1; 16], &vault_key);
        let back = unwrap_from_keystore(&kek, &[1; 16], nonce, &wrapped).unwrap();
        assert_eq!(*back, *vault_key);
        assert!(unwrap_from_keystore(&kek, &[2; 16], nonce, &wrapped).is_err());
        assert!(unwrap_from_keystore(&random_key(), &[1; 16], nonce, &wrapped).is_err());
    }

    #[test]
    fn password_wrapping_refuses_a_wrong_password() {
        let kdf = KdfParams::INSECURE_FAST_FOR_TESTS;
        let vault_key = random_key();
        let pw = Password::new("correct horse");
        let (salt, nonce, wrapped) = wrap_for_password(&pw, &kdf, &[3; 16], &vault_key);
        let back = unwrap_with_password(&pw, &kdf, &salt, &[3; 16], nonce, &wrapped).unwrap();
        assert_eq!(*back, *vault_key);
        let wrong = Password::new("correct horsf");
        assert!(unwrap_with_password(&wrong, &kdf, &salt, &[3; 16], nonce, &wrapped).is_err());
    }

    #[test]
    fn argon2id_matches_the_rfc_9106_style_reference_vector() {
        // Argon2id v1.3, m=64 KiB... checked against the `argon2` CLI (Debian package
        // `argon2`): `echo -n password | argon2 somesaltsomesalt -id -t 1 -k 64 -p 1 -l 32 -r`.
        let kdf = KdfParams::INSECURE_FAST_FOR_TESTS;
        let key = derive(&Password::new("password"), &kdf, b"somesaltsomesalt");
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            include_str!("../../tests/data/argon2id_m64_t1_p1.hex").trim()
        );
    }

    #[test]
    fn zeroizing_writer_keeps_room_for_the_tag() {
        use std::io::Write;
        let mut w = ZeroizingWriter::with_capacity(4);
        for _ in 0..100 {
            w.write_all(b"0123456789").unwrap();
        }
        assert_eq!(w.0.len(), 1000);
        assert!(w.0.capacity() - w.0.len() >= TAG_LEN);
    }
}
