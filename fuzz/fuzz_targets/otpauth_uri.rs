//! `otpauth://` Key URI parser: never panics, and whatever it accepts formats to a URI that
//! parses back to an equal value and generates codes without panicking.
#![no_main]

use countersign_oath::KeyUri;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(uri) = KeyUri::parse(text) else {
        return;
    };
    let formatted = uri.to_uri();
    let again = KeyUri::parse(&formatted)
        .unwrap_or_else(|e| panic!("formatted URI {formatted:?} does not parse: {e}"));
    assert_eq!(again, uri, "{formatted}");
    let _ = uri.otp.code_at(1_700_000_000);
    let _ = uri.otp.hotp(u64::MAX);
    let _ = uri.otp.seconds_left(u64::MAX);
    let _ = uri.otp.verify("123456", u64::MAX, 2);
});
