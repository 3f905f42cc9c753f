//! Secrets, digits, periods and algorithm names.

use countersign_oath::{Algorithm, Digits, Period, Secret, SecretError};

#[test]
fn base32_secrets_accept_lower_case_spaces_hyphens_and_padding() {
    let canonical = Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
    for variant in [
        "jbswy3dpehpk3pxp",
        "JBSW Y3DP EHPK 3PXP",
        "jbsw-y3dp-ehpk-3pxp",
        "JBSWY3DPEHPK3PXP======",
        " JBSWY3DP\tEHPK3PXP ",
    ] {
        assert_eq!(
            Secret::from_base32(variant).unwrap(),
            canonical,
            "{variant:?}"
        );
    }
    assert_eq!(canonical.as_bytes(), b"Hello!\xde\xad\xbe\xef");
    assert_eq!(canonical.to_base32(), "JBSWY3DPEHPK3PXP");
}

#[test]
fn base32_round_trips_every_length() {
    for length in 1..=40u8 {
        let bytes: Vec<u8> = (0..length)
            .map(|i| i.wrapping_mul(37).wrapping_add(11))
            .collect();
        let secret = Secret::from_bytes(bytes.clone());
        let text = secret.to_base32();
        assert!(!text.contains('='));
        assert_eq!(Secret::from_base32(&text).unwrap().as_bytes(), &bytes[..]);
    }
}

#[test]
fn base32_errors_name_the_offending_character() {
    assert_eq!(
        Secret::from_base32("JBSWY1DP"),
        Err(SecretError::InvalidBase32Character {
            character: '1',
            position: 5
        })
    );
    let message = Secret::from_base32("JBSW!").unwrap_err().to_string();
    assert!(message.contains('!'), "{message}");
    assert_eq!(Secret::from_base32(""), Err(SecretError::Empty));
    assert_eq!(Secret::from_base32(" = "), Err(SecretError::Empty));
    assert_eq!(
        Secret::from_base32("JBS"),
        Err(SecretError::InvalidBase32Length { symbols: 3 })
    );
    assert_eq!(
        Secret::from_base32("JB= =SWY3"),
        Err(SecretError::InvalidBase32Character {
            character: '=',
            position: 2
        })
    );
}

#[test]
fn hex_secrets_decode_and_report_bad_digits() {
    assert_eq!(Secret::from_hex("3132 3334").unwrap().as_bytes(), b"1234");
    assert_eq!(Secret::from_hex("ABcd").unwrap().as_bytes(), &[0xab, 0xcd]);
    assert_eq!(Secret::from_hex("abc"), Err(SecretError::OddHexLength));
    assert_eq!(
        Secret::from_hex("zz"),
        Err(SecretError::InvalidHexCharacter {
            character: 'z',
            position: 0
        })
    );
}

#[test]
fn secret_debug_is_redacted() {
    let secret = Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
    let debug = format!("{secret:?}");
    assert_eq!(debug, "Secret(..redacted..)");
}

#[test]
fn digits_and_period_enforce_their_ranges() {
    assert!(Digits::new(5).is_err());
    assert_eq!(Digits::new(6).unwrap().value(), 6);
    assert_eq!(Digits::new(10).unwrap().value(), 10);
    assert!(Digits::new(11).is_err());
    assert!(Period::new(0).is_err());
    assert_eq!(Period::new(1).unwrap().seconds(), 1);
    assert_eq!(Period::new(86_400).unwrap().seconds(), 86_400);
    assert!(Period::new(86_401).is_err());
}

#[test]
fn algorithm_names_parse_case_insensitively_and_display_canonically() {
    for (text, algorithm) in [
        ("SHA1", Algorithm::Sha1),
        ("sha1", Algorithm::Sha1),
        ("SHA-256", Algorithm::Sha256),
        ("sha512", Algorithm::Sha512),
    ] {
        assert_eq!(text.parse::<Algorithm>().unwrap(), algorithm);
    }
    assert!("MD5".parse::<Algorithm>().is_err());
    assert_eq!(Algorithm::Sha256.to_string(), "SHA256");
    assert_eq!(
        serde_json::to_string(&Algorithm::Sha512).unwrap(),
        "\"SHA512\""
    );
}
