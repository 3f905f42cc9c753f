//! What a device sends the server: signing headers and JSON bodies. Never panic; a forged
//! signature never verifies.
#![no_main]

use countersign_protocol::wire::{ActivateRequest, AnswerRequest};
use countersign_protocol::{SignedChallenge, SignedRequest, SigningKey};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static KEY: OnceLock<SigningKey> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let key = KEY.get_or_init(|| SigningKey::generate().expect("key"));
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(6, '\n');
    let fields: Vec<&str> = parts.by_ref().collect();
    let get = |i: usize| fields.get(i).copied();
    let headers = [
        ("countersign-device", get(0)),
        ("countersign-timestamp", get(1)),
        ("countersign-nonce", get(2)),
        ("countersign-signature", get(3)),
    ];
    if let Ok(signed) = SignedRequest::from_headers(|name| headers.iter().find(|(n, _)| *n == name).and_then(|(_, v)| *v)) {
        let target = get(4).unwrap_or("/");
        let body = get(5).unwrap_or("").as_bytes();
        // The fuzzer cannot forge an ECDSA signature for our key.
        assert!(signed.verify(&key.public_key(), "GET", target, body, signed.timestamp).is_err());
    }
    let _ = serde_json::from_slice::<ActivateRequest>(data);
    let _ = serde_json::from_slice::<AnswerRequest>(data);
    if let Ok(c) = serde_json::from_slice::<SignedChallenge>(data) {
        assert!(c.verify(&key.public_key(), 0).is_err());
    }
});
