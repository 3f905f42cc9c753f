//! RFC 6030's own examples (figures 2 to 10), read as the RFC describes them.

use countersign_oath::pskc::{self, Credential, KeyAlgorithm, Protection, PskcError};

fn figure(n: u32) -> String {
    let path = format!(
        "{}/tests/data/pskc/rfc6030/figure{n}.xml",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path).expect("figure file")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

const RFC_SECRET: &str = "3132333435363738393031323334353637383930";

#[test]
fn figure2_basic_container_gives_one_hotp_key_with_its_issuer_and_secret() {
    let c = pskc::parse(&figure(2), Credential::None).unwrap();
    assert_eq!(c.id.as_deref(), Some("exampleID1"));
    assert_eq!(c.version.as_deref(), Some("1.0"));
    assert_eq!(c.protection, Protection::Plain);
    assert_eq!(c.keys.len(), 1);
    let k = &c.keys[0];
    assert_eq!(k.id.as_deref(), Some("12345678"));
    assert_eq!(k.algorithm, Some(KeyAlgorithm::Hotp));
    assert_eq!(k.issuer.as_deref(), Some("Issuer-A"));
    assert_eq!(k.secret.as_ref().unwrap().as_bytes(), b"1234");
}

#[test]
fn figure3_supplementary_data_reads_device_counter_digits_and_key_user() {
    let c = pskc::parse(&figure(3), Credential::None).unwrap();
    let k = &c.keys[0];
    assert_eq!(k.manufacturer.as_deref(), Some("Manufacturer"));
    assert_eq!(k.serial.as_deref(), Some("987654321"));
    // The key's own UserId wins over the device's.
    assert_eq!(
        k.user_id.as_deref(),
        Some("UID=jsmith,DC=example-bank,DC=net")
    );
    assert_eq!(k.counter, Some(0));
    let rf = k.response.as_ref().unwrap();
    assert_eq!(rf.length, Some(8));
    assert_eq!(rf.encoding.as_deref(), Some("DECIMAL"));
    assert_eq!(hex(k.secret.as_ref().unwrap().as_bytes()), RFC_SECRET);
}

#[test]
fn figure4_key_derivation_reference_has_no_secret() {
    let c = pskc::parse(&figure(4), Credential::None).unwrap();
    assert_eq!(c.keys.len(), 1);
    assert!(c.keys[0].secret.is_none());
    assert_eq!(c.keys[0].counter, Some(0));
}

#[test]
fn figure5_pin_key_is_read_as_an_other_algorithm() {
    let c = pskc::parse(&figure(5), Credential::None).unwrap();
    assert_eq!(c.keys.len(), 2);
    assert_eq!(c.keys[0].algorithm, Some(KeyAlgorithm::Hotp));
    assert_eq!(
        c.keys[1].algorithm,
        Some(KeyAlgorithm::Other(
            "urn:ietf:params:xml:ns:keyprov:pskc:pin".into()
        ))
    );
    assert_eq!(c.keys[1].secret.as_ref().unwrap().as_bytes(), b"1234");
}

#[test]
fn figure6_pre_shared_aes128_key_decrypts_and_mac_verifies() {
    let xml = figure(6);
    assert_eq!(pskc::protection(&xml).unwrap(), Protection::PreSharedKey);
    let key = unhex("12345678901234567890123456789012");
    let c = pskc::parse(&xml, Credential::Key(&key)).unwrap();
    assert_eq!(c.protection, Protection::PreSharedKey);
    assert_eq!(
        hex(c.keys[0].secret.as_ref().unwrap().as_bytes()),
        RFC_SECRET
    );
    assert_eq!(c.keys[0].counter, Some(0));
}

#[test]
fn figure6_without_a_key_asks_for_the_named_pre_shared_key() {
    let err = pskc::parse(&figure(6), Credential::None).unwrap_err();
    assert_eq!(
        err,
        PskcError::KeyRequired {
            key_name: Some("Pre-shared-key".into())
        }
    );
    assert!(err.to_string().contains("Pre-shared-key"));
}

#[test]
fn figure6_with_a_wrong_key_is_refused() {
    let key = unhex("00000000000000000000000000000000");
    let err = pskc::parse(&figure(6), Credential::Key(&key)).unwrap_err();
    assert!(
        matches!(
            err,
            PskcError::DecryptionFailed | PskcError::MacMismatch { .. }
        ),
        "{err:?}"
    );
}

#[test]
fn figure6_with_a_key_of_the_wrong_length_names_both_lengths() {
    let key = unhex("1234567890");
    let err = pskc::parse(&figure(6), Credential::Key(&key)).unwrap_err();
    assert_eq!(
        err,
        PskcError::WrongKeyLength {
            expected: 16,
            actual: 5
        }
    );
}

#[test]
fn figure7_password_based_pbkdf2_decrypts_with_qwerty() {
    let xml = figure(7);
    assert_eq!(pskc::protection(&xml).unwrap(), Protection::Password);
    let c = pskc::parse(&xml, Credential::Password(b"qwerty")).unwrap();
    assert_eq!(
        hex(c.keys[0].secret.as_ref().unwrap().as_bytes()),
        RFC_SECRET
    );
    assert_eq!(c.keys[0].manufacturer.as_deref(), Some("TokenVendorAcme"));
}

#[test]
fn figure7_without_a_password_asks_for_one() {
    assert_eq!(
        pskc::parse(&figure(7), Credential::None).unwrap_err(),
        PskcError::PasswordRequired
    );
}

#[test]
fn figure7_with_a_wrong_password_is_refused() {
    let err = pskc::parse(&figure(7), Credential::Password(b"qwertz")).unwrap_err();
    assert!(
        matches!(
            err,
            PskcError::DecryptionFailed | PskcError::MacMismatch { .. }
        ),
        "{err:?}"
    );
}

#[test]
fn figure7_password_file_refuses_a_raw_key_and_asks_for_the_password() {
    // The PBKDF2 output RFC 6030 gives for "qwerty".
    let key = unhex("651e63cd57008476af1ff6422cd02e41");
    let xml = figure(7);
    // A password file cannot be opened with a raw key: the reader asks for the password.
    assert_eq!(
        pskc::parse(&xml, Credential::Key(&key)).unwrap_err(),
        PskcError::PasswordRequired
    );
}

#[test]
fn figure8_asymmetric_encryption_is_refused_by_name() {
    let err = pskc::parse(&figure(8), Credential::Key(&[0; 16])).unwrap_err();
    assert_eq!(
        err,
        PskcError::UnsupportedEncryption("http://www.w3.org/2001/04/xmlenc#rsa_1_5".into())
    );
}

#[test]
fn figure9_signed_document_keys_are_read() {
    let c = pskc::parse(&figure(9), Credential::None).unwrap();
    assert_eq!(c.keys[0].serial.as_deref(), Some("0755225266"));
    assert_eq!(
        hex(c.keys[0].secret.as_ref().unwrap().as_bytes()),
        RFC_SECRET
    );
}

#[test]
fn figure10_bulk_provisioning_gives_four_keys_in_order() {
    let c = pskc::parse(&figure(10), Credential::None).unwrap();
    let ids: Vec<_> = c.keys.iter().map(|k| k.id.clone().unwrap()).collect();
    assert_eq!(ids, ["1", "2", "3", "4"]);
    let serials: Vec<_> = c.keys.iter().map(|k| k.serial.clone().unwrap()).collect();
    assert_eq!(serials, ["654321", "123456", "9999999", "9999999"]);
    assert!(c
        .keys
        .iter()
        .all(|k| k.response.as_ref().unwrap().length == Some(8)));
}
