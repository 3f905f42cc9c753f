//! Google Authenticator transfer-URI decoder: never panics, and every batch it accepts
//! encodes (Google's format can hold whatever it decodes) and decodes back to the same accounts.
//!
//! Inputs starting with `otpauth-migration:` go through the whole URI decoder; others are fed
//! to the protobuf decoder as raw payload bytes, which libFuzzer explores far better than
//! bytes hidden behind base64.
#![no_main]

use countersign_oath::migration;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let decoded = if data.starts_with(b"otpauth-migration:") {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        migration::decode(text)
    } else {
        migration::decode_payload(data)
    };
    let Ok(batch) = decoded else {
        return;
    };
    let uris = migration::encode(&batch.accounts, 3)
        .unwrap_or_else(|e| panic!("decoded accounts do not encode: {e}"));
    let batches = uris
        .iter()
        .map(|uri| migration::decode(uri).expect("encoded URI decodes"))
        .collect::<Vec<_>>();
    if batch.accounts.is_empty() {
        assert!(batches.is_empty());
    } else {
        assert_eq!(migration::join(batches).expect("batches join"), batch.accounts);
    }
});
