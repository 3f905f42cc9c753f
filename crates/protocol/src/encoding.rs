//! Small helpers for the text encodings the protocol uses.

use ring::digest;

/// Base64url without padding (RFC 4648 §5), the encoding of keys, signatures, nonces and codes.
pub fn b64url(bytes: &[u8]) -> String {
    data_encoding::BASE64URL_NOPAD.encode(bytes)
}

/// Decodes base64url without padding; `None` when the text is not exactly that.
pub fn from_b64url(text: &str) -> Option<Vec<u8>> {
    data_encoding::BASE64URL_NOPAD.decode(text.as_bytes()).ok()
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let d = digest::digest(&digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Lower-case hex SHA-256 of `bytes`, as it appears in the canonical request string.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&sha256(bytes))
}
