//! Google Authenticator transfer-URI decoder: never panics, and every batch it accepts
//! encodes (Google's format can hold whatever it decodes) and decodes back to the same accounts.
#![no_main]

use countersign_oath::migration;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(batch) = migration::decode(text) else {
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
