//! `countersign://activate` URIs come from scanned QR codes: never panic, and whatever parses
//! formats back to a URI that parses to the same value.
#![no_main]

use countersign_protocol::ActivationUri;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(uri) = ActivationUri::parse(text) {
        let again = ActivationUri::parse(&uri.to_uri()).expect("formatted URI parses");
        assert_eq!(again, uri);
    }
});
