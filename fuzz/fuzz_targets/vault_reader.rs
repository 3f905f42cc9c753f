//! The vault file reader: header/slot parser (with and without the integrity digest) and the
//! decrypted-contents parser. Never panics; whatever the structure parser accepts is written
//! back byte for byte (the encoding is canonical).
#![no_main]

use countersign_core::vault::format::{VaultFile, DIGEST_LEN};
use countersign_core::vault::Contents;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = VaultFile::parse(data);
    let _ = VaultFile::parse_info(data);
    // Without the digest check, so mutations reach the slot and length parsing.
    if let Ok(file) = VaultFile::parse_without_digest(data) {
        let written = file.to_bytes();
        assert_eq!(&written[..written.len() - DIGEST_LEN], data, "canonical encoding");
        assert_eq!(VaultFile::parse(&written).as_ref(), Ok(&file));
    }
    let _ = Contents::from_json(data);
});
