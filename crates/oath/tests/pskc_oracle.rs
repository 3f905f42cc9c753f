//! PSKC files written by python-pskc (an independent implementation) for every cipher RFC 6030
//! names, read back and compared with what the generator recorded in `expected.json`.
//! Regenerate with `tests/data/pskc/make_oracle_files.py`.

use countersign_oath::pskc::{self, Credential, KeyAlgorithm, PskcError};
use serde_json::Value;

fn data(name: &str) -> String {
    let path = format!(
        "{}/tests/data/pskc/oracle/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path).expect("oracle file")
}

fn expected() -> serde_json::Map<String, Value> {
    serde_json::from_str::<Value>(&data("expected.json"))
        .unwrap()
        .as_object()
        .unwrap()
        .clone()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn check_file(name: &str, spec: &Value) {
    let xml = data(name);
    let key = spec["key"].as_str().map(unhex);
    let password = spec["password"].as_str().map(str::to_owned);
    let credential = match (&key, &password) {
        (Some(k), _) => Credential::Key(k),
        (None, Some(p)) => Credential::Password(p.as_bytes()),
        _ => Credential::None,
    };
    let container = pskc::parse(&xml, credential).unwrap_or_else(|e| panic!("{name}: {e}"));
    let want = spec["keys"].as_array().unwrap();
    assert_eq!(container.keys.len(), want.len(), "{name}");
    for (got, want) in container.keys.iter().zip(want) {
        let ctx = format!("{name} key {:?}", want["id"]);
        assert_eq!(got.id.as_deref(), want["id"].as_str(), "{ctx}");
        assert_eq!(
            hex(got.secret.as_ref().unwrap().as_bytes()),
            want["secret"].as_str().unwrap(),
            "{ctx}"
        );
        assert_eq!(got.serial.as_deref(), want["serial"].as_str(), "{ctx}");
        assert_eq!(
            got.manufacturer.as_deref(),
            want["manufacturer"].as_str(),
            "{ctx}"
        );
        assert_eq!(got.issuer.as_deref(), want["issuer"].as_str(), "{ctx}");
        assert_eq!(got.counter, want["counter"].as_u64(), "{ctx}");
        assert_eq!(got.time_interval, want["time_interval"].as_u64(), "{ctx}");
        assert_eq!(got.time_drift, want["time_drift"].as_i64(), "{ctx}");
        assert_eq!(got.suite.as_deref(), want["suite"].as_str(), "{ctx}");
        let digits = got.response.as_ref().and_then(|r| r.length).map(u64::from);
        assert_eq!(digits, want["digits"].as_u64(), "{ctx}");
        let algorithm = match want["algorithm"].as_str().unwrap() {
            "hotp" => KeyAlgorithm::Hotp,
            _ => KeyAlgorithm::Totp,
        };
        assert_eq!(got.algorithm.as_ref(), Some(&algorithm), "{ctx}");
    }
}

fn check(name: &str) {
    let all = expected();
    check_file(name, &all[name]);
}

#[test]
fn every_oracle_file_is_listed_and_reads_as_python_pskc_wrote_it() {
    let all = expected();
    assert!(all.len() >= 19, "expected.json lists {} files", all.len());
    for (name, spec) in &all {
        check_file(name, spec);
    }
}

#[test]
fn aes_cbc_with_pre_shared_keys_of_128_192_256_bits() {
    check("psk-aes128-cbc.pskcxml");
    check("psk-aes192-cbc.pskcxml");
    check("psk-aes256-cbc.pskcxml");
}

#[test]
fn triple_des_cbc_with_three_and_two_key_variants() {
    check("psk-tripledes-cbc.pskcxml");
    check("psk-tripledes-cbc-2key.pskcxml");
}

#[test]
fn camellia_cbc_with_128_192_256_bit_keys() {
    check("psk-camellia128-cbc.pskcxml");
    check("psk-camellia192-cbc.pskcxml");
    check("psk-camellia256-cbc.pskcxml");
}

#[test]
fn aes_key_wrap_rfc3394() {
    check("psk-kw-aes128.pskcxml");
    check("psk-kw-aes192.pskcxml");
    check("psk-kw-aes256.pskcxml");
}

#[test]
fn camellia_key_wrap_rfc3657() {
    check("psk-kw-camellia128.pskcxml");
    check("psk-kw-camellia192.pskcxml");
    check("psk-kw-camellia256.pskcxml");
}

#[test]
fn triple_des_key_wrap_rfc3217() {
    check("psk-kw-tripledes.pskcxml");
}

#[test]
fn pbkdf2_with_default_and_sha256_prf() {
    check("pbkdf2-aes128-cbc.pskcxml");
    check("pbkdf2-aes256-cbc-sha256.pskcxml");
}

#[test]
fn older_draft_layout_with_pbe_triple_des_and_value_digest() {
    check("legacy-draft-pbe-3des.pskcxml");
}

#[test]
fn fifty_plaintext_keys_in_one_file() {
    check("plain-50-keys.pskcxml");
}

#[test]
fn a_flipped_value_mac_refuses_the_file() {
    let key = unhex(
        expected()["psk-aes128-cbc.pskcxml"]["key"]
            .as_str()
            .unwrap(),
    );
    let err = pskc::parse(&data("tampered-mac.pskcxml"), Credential::Key(&key)).unwrap_err();
    assert_eq!(
        err,
        PskcError::MacMismatch {
            key: Some("hotp-1".into())
        }
    );
}

#[test]
fn a_flipped_ciphertext_byte_refuses_the_file() {
    let key = unhex(
        expected()["psk-aes128-cbc.pskcxml"]["key"]
            .as_str()
            .unwrap(),
    );
    let err = pskc::parse(&data("tampered-ciphertext.pskcxml"), Credential::Key(&key)).unwrap_err();
    assert!(
        matches!(
            err,
            PskcError::MacMismatch { .. } | PskcError::DecryptionFailed
        ),
        "{err:?}"
    );
}

#[test]
fn key_wrap_with_a_wrong_key_fails_its_integrity_check() {
    for name in [
        "psk-kw-aes128.pskcxml",
        "psk-kw-camellia128.pskcxml",
        "psk-kw-tripledes.pskcxml",
    ] {
        let mut key = unhex(expected()[name]["key"].as_str().unwrap());
        key[0] ^= 0x80; // not the low bit: DES ignores parity bits
        let err = pskc::parse(&data(name), Credential::Key(&key)).unwrap_err();
        assert_eq!(err, PskcError::DecryptionFailed, "{name}");
    }
}
