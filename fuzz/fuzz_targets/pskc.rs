//! PSKC (RFC 6030) reader: any bytes, with no credential, a key and a password.
#![no_main]

use countersign_oath::pskc::{self, Credential};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = pskc::protection(text);
        let _ = pskc::parse(text, Credential::None);
        let _ = pskc::parse(text, Credential::Key(&[0x42; 16]));
        let _ = pskc::parse(text, Credential::Password(b"qwerty"));
    }
});
