//! The push client's reading of a long-poll response: parse the batch, then check every
//! challenge's signature and expiry the way the listener does. Must never panic.
#![no_main]

use std::sync::OnceLock;

use countersign_core::push::client::parse_batch;
use countersign_protocol::SigningKey;
use libfuzzer_sys::fuzz_target;

fn key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate().expect("key"))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(batch) = parse_batch(data) {
        for signed in &batch.challenges {
            let _ = signed.verify(&key().public_key(), 1_700_000_000);
            let _ = signed.challenge.canonical();
        }
    }
});
