//! The primitives other apps' encrypted backups use: AES-256-GCM, scrypt (Aegis) and
//! PBKDF2-HMAC-SHA256 (2FAS), plus hex.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

/// Bounds on scrypt parameters a file may ask for, so a hostile file cannot make an import
/// take minutes or gigabytes (Aegis uses N = 2^15, r = 8, p = 1).
const MAX_SCRYPT_LOG_N: u8 = 20;
const MAX_SCRYPT_R: u32 = 32;
const MAX_SCRYPT_P: u32 = 16;

/// Opens AES-256-GCM `ciphertext || tag`. `None` when the key, nonce or data is wrong.
pub(crate) fn gcm_open(
    key: &[u8],
    nonce: &[u8],
    ciphertext_and_tag: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).ok()?);
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut buf = Zeroizing::new(ciphertext_and_tag.to_vec());
    let len = key.open_in_place(nonce, Aad::empty(), &mut buf).ok()?.len();
    buf.truncate(len);
    Some(buf)
}

/// Seals with AES-256-GCM under a fresh random 12-byte nonce: `(nonce, ciphertext, tag)`.
pub(crate) fn gcm_seal(key: &[u8; 32], plaintext: &[u8]) -> ([u8; 12], Vec<u8>, [u8; 16]) {
    let nonce_bytes: [u8; 12] = random();
    // Invariant: a 32-byte key is always a valid AES-256 key.
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).expect("32-byte AES-256 key"));
    let mut buf = plaintext.to_vec();
    // Invariant: sealing fails only for inputs over ~64 GiB.
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce_bytes),
            Aad::empty(),
            &mut buf,
        )
        .expect("AES-GCM input under 64 GiB");
    let mut tag_bytes = [0u8; 16];
    tag_bytes.copy_from_slice(tag.as_ref());
    (nonce_bytes, buf, tag_bytes)
}

/// Random bytes from the OS.
pub(crate) fn random<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    // Invariant: the OS random source does not fail on supported platforms.
    SystemRandom::new()
        .fill(&mut out)
        .expect("OS random source");
    out
}

/// scrypt with `n` given as the cost itself (a power of two), 32-byte output.
pub(crate) fn scrypt(
    password: &[u8],
    salt: &[u8],
    n: u64,
    r: u32,
    p: u32,
) -> Result<Zeroizing<[u8; 32]>, String> {
    if n < 2 || !n.is_power_of_two() {
        return Err(format!("scrypt N = {n} is not a power of two"));
    }
    let log_n = u8::try_from(n.trailing_zeros()).unwrap_or(u8::MAX);
    // Memory is 128·r·N bytes and work N·r·p: at most 256 MiB and 8× Aegis's default.
    let memory = 128u128 * u128::from(r) * u128::from(n);
    let work = u128::from(n) * u128::from(r) * u128::from(p);
    if log_n > MAX_SCRYPT_LOG_N
        || r == 0
        || r > MAX_SCRYPT_R
        || p == 0
        || p > MAX_SCRYPT_P
        || memory > 256 << 20
        || work > 1 << 21
    {
        return Err(format!(
            "scrypt parameters N = {n}, r = {r}, p = {p} are out of range"
        ));
    }
    let params =
        scrypt::Params::new(log_n, r, p, 32).map_err(|e| format!("scrypt parameters: {e}"))?;
    let mut out = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(password, salt, &params, &mut out[..]).map_err(|e| format!("scrypt: {e}"))?;
    Ok(out)
}

/// PBKDF2-HMAC-SHA256, 32-byte output.
pub(crate) fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32) -> Zeroizing<[u8; 32]> {
    let mut out = Zeroizing::new([0u8; 32]);
    let iterations =
        std::num::NonZeroU32::new(iterations.max(1)).unwrap_or(std::num::NonZeroU32::MIN);
    ring::pbkdf2::derive(
        ring::pbkdf2::PBKDF2_HMAC_SHA256,
        iterations,
        salt,
        password,
        &mut out[..],
    );
    out
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decodes hex (either case, whitespace ignored).
pub(crate) fn unhex(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if digits.len() % 2 != 0 {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(s, 16).ok()
        })
        .collect()
}
