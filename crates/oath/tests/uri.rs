//! `otpauth://` Key URI parsing and formatting.

use countersign_oath::{Algorithm, Digits, KeyUri, Kind, Period, Secret, SecretError, UriError};

fn parse(uri: &str) -> KeyUri {
    KeyUri::parse(uri).unwrap_or_else(|e| panic!("{uri}: {e}"))
}

#[test]
fn parses_googles_key_uri_example() {
    let uri =
        parse("otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example");
    assert_eq!(uri.issuer.as_deref(), Some("Example"));
    assert_eq!(uri.account, "alice@google.com");
    assert_eq!(
        uri.otp.kind,
        Kind::Totp {
            period: Period::THIRTY_SECONDS
        }
    );
    assert_eq!(uri.otp.algorithm, Algorithm::Sha1);
    assert_eq!(uri.otp.digits, Digits::SIX);
    assert_eq!(
        uri.otp.secret,
        Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap()
    );
    assert!(uri.extra.is_empty());
    assert_eq!(uri.image, None);
}

#[test]
fn parses_every_parameter() {
    let uri = parse(
        "otpauth://hotp/ACME%20Co:john.doe%40email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ\
         &issuer=ACME%20Co&algorithm=SHA512&digits=10&counter=18446744073709551615\
         &image=https%3A%2F%2Fexample.com%2Fi.png",
    );
    assert_eq!(uri.issuer.as_deref(), Some("ACME Co"));
    assert_eq!(uri.account, "john.doe@email.com");
    assert_eq!(uri.otp.kind, Kind::Hotp { counter: u64::MAX });
    assert_eq!(uri.otp.algorithm, Algorithm::Sha512);
    assert_eq!(uri.otp.digits.value(), 10);
    assert_eq!(uri.image.as_deref(), Some("https://example.com/i.png"));
    let totp = parse("otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&period=86400&digits=8");
    assert_eq!(totp.otp.period(), Period::new(86_400).ok());
    assert_eq!(totp.otp.digits, Digits::EIGHT);
}

const ROUND_TRIP: &[&str] = &[
    "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example",
    "otpauth://totp/alice?secret=jbswy3dpehpk3pxp",
    "otpauth://hotp/Bank:me?secret=JBSWY3DPEHPK3PXP&counter=7&digits=8&algorithm=SHA256",
    "otpauth://totp/A%20%26%20B:x%3Fy%23z?secret=JBSWY3DPEHPK3PXP&issuer=A%20%26%20B&period=1",
    "otpauth://totp/%C3%9Cnicode%20%E2%9C%93:caf%C3%A9?secret=JBSWY3DPEHPK3PXP",
    "otpauth://totp/:a:b?secret=JBSWY3DPEHPK3PXP",
    "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&issuer=We%3AUse%3AColons",
    "otpauth://totp/S:u?secret=JBSWY3DPEHPK3PXP&image=https%3A%2F%2Fe.com%2Fa.png%3Fx%3D1&foo=bar&foo=baz&z=",
    "otpauth://steam/Steam:gaben?secret=JBSWY3DPEHPK3PXP&issuer=Steam",
    "otpauth://hotp/H?secret=JBSWY3DPEHPK3PXP&counter=0&period=60",
    "otpauth://totp/T?secret=JBSWY3DPEHPK3PXP&counter=5&encoder=other",
];

#[test]
fn parse_format_parse_gives_an_equal_key_uri() {
    for text in ROUND_TRIP {
        let first = parse(text);
        let formatted = first.to_uri();
        let second = parse(&formatted);
        assert_eq!(first, second, "{text} -> {formatted}");
        assert_eq!(second.to_uri(), formatted, "formatting is stable");
    }
}

#[test]
fn unknown_parameters_are_kept_in_order_and_written_back() {
    let uri =
        parse("otpauth://totp/S:u?foo=bar&secret=JBSWY3DPEHPK3PXP&x-extra=a%20b&foo=baz&flag");
    assert_eq!(
        uri.extra,
        vec![
            ("foo".to_owned(), "bar".to_owned()),
            ("x-extra".to_owned(), "a b".to_owned()),
            ("foo".to_owned(), "baz".to_owned()),
            ("flag".to_owned(), String::new()),
        ]
    );
    let formatted = uri.to_uri();
    assert!(
        formatted.ends_with("&foo=bar&x-extra=a%20b&foo=baz&flag="),
        "{formatted}"
    );
}

#[test]
fn parameters_that_do_not_apply_to_the_type_are_kept_as_extra() {
    let hotp = parse("otpauth://hotp/H?secret=JBSWY3DPEHPK3PXP&counter=3&period=60");
    assert_eq!(hotp.extra, vec![("period".to_owned(), "60".to_owned())]);
    let totp = parse("otpauth://totp/T?secret=JBSWY3DPEHPK3PXP&counter=3");
    assert_eq!(totp.extra, vec![("counter".to_owned(), "3".to_owned())]);
}

#[test]
fn lower_case_spaced_and_padded_secrets_equal_the_canonical_one() {
    let canonical = parse("otpauth://totp/a?secret=JBSWY3DPEHPK3PXP").otp.secret;
    for secret in [
        "jbswy3dpehpk3pxp",
        "JBSW%20Y3DP%20EHPK%203PXP",
        "JBSW+Y3DP+EHPK+3PXP",
        "JBSWY3DPEHPK3PXP%3D%3D%3D%3D%3D%3D",
        "JBSWY3DPEHPK3PXP======",
    ] {
        let uri = parse(&format!("otpauth://totp/a?secret={secret}"));
        assert_eq!(uri.otp.secret, canonical, "{secret}");
    }
    assert!(parse("otpauth://totp/a?secret=jbswy3dpehpk3pxp")
        .to_uri()
        .contains("secret=JBSWY3DPEHPK3PXP&"));
}

#[test]
fn eighty_bit_secrets_are_accepted_and_generate_codes() {
    let uri = parse("otpauth://totp/a?secret=JBSWY3DPEHPK3PXP");
    assert_eq!(uri.otp.secret.len(), 10);
    // From tests/data/oracle.tsv (pyotp, oathtool and the from-scratch oracle agree).
    assert_eq!(uri.otp.code_at(59).as_str(), "996554");
}

#[test]
fn the_issuer_parameter_wins_over_a_different_label_prefix() {
    let uri = parse("otpauth://totp/Old%20Name:alice?secret=JBSWY3DPEHPK3PXP&issuer=New");
    assert_eq!(uri.issuer.as_deref(), Some("New"));
    assert_eq!(uri.account, "alice");
}

#[test]
fn the_label_prefix_is_the_issuer_when_there_is_no_parameter() {
    let uri = parse("otpauth://totp/Example%3A%20%20alice?secret=JBSWY3DPEHPK3PXP");
    assert_eq!(uri.issuer.as_deref(), Some("Example"));
    assert_eq!(
        uri.account, "alice",
        "encoded colon splits, leading spaces go"
    );
    let bare = parse("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP");
    assert_eq!(bare.issuer, None);
    let only_issuer = parse("otpauth://totp/?secret=JBSWY3DPEHPK3PXP&issuer=Solo");
    assert_eq!(only_issuer.issuer.as_deref(), Some("Solo"));
    assert_eq!(only_issuer.account, "");
}

#[test]
fn plus_is_a_space_in_parameters_but_literal_in_the_label() {
    let uri = parse("otpauth://totp/C++:a+b?secret=JBSWY3DPEHPK3PXP&issuer=C%2B%2B&note=x+y");
    assert_eq!(uri.issuer.as_deref(), Some("C++"));
    assert_eq!(uri.account, "a+b");
    assert_eq!(uri.extra, vec![("note".to_owned(), "x y".to_owned())]);
    assert_eq!(parse(&uri.to_uri()), uri);
}

#[test]
fn scheme_type_and_parameter_names_are_case_insensitive() {
    let uri = parse("OTPAUTH://TOTP/A:B?SECRET=JBSWY3DPEHPK3PXP&Digits=8&ALGORITHM=sha256");
    assert_eq!(uri.otp.digits, Digits::EIGHT);
    assert_eq!(uri.otp.algorithm, Algorithm::Sha256);
}

#[test]
fn steam_guard_is_recognised_in_the_three_forms_apps_write() {
    for text in [
        "otpauth://steam/Steam:gaben?secret=JBSWY3DPEHPK3PXP&issuer=Steam",
        "otpauth://steam/gaben?secret=JBSWY3DPEHPK3PXP&digits=5&algorithm=SHA1&period=30",
        "otpauth://totp/Steam:gaben?secret=JBSWY3DPEHPK3PXP&encoder=steam",
        "otpauth://totp/gaben?secret=JBSWY3DPEHPK3PXP&issuer=Steam&digits=5",
    ] {
        let uri = parse(text);
        assert!(matches!(uri.otp.kind, Kind::Steam { .. }), "{text}");
        assert!(
            !uri.extra.iter().any(|(name, _)| name == "encoder"),
            "{text}"
        );
        assert_eq!(uri.otp.code_at(0).as_str().len(), 5);
        assert!(uri.to_uri().starts_with("otpauth://steam/"));
    }
    let six_digit = parse("otpauth://totp/Steam:web?secret=JBSWY3DPEHPK3PXP&issuer=Steam");
    assert!(matches!(six_digit.otp.kind, Kind::Totp { .. }));
}

#[test]
fn display_and_debug_never_show_the_secret() {
    let uri = parse("otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example");
    let display = uri.to_string();
    let debug = format!("{uri:?}");
    assert_eq!(display, "Example: alice");
    for shown in [display, debug] {
        assert!(!shown.contains("JBSWY3DPEHPK3PXP"), "{shown}");
        assert!(!shown.to_lowercase().contains("jbsw"), "{shown}");
    }
}

#[test]
fn malformed_uris_get_an_error_naming_the_wrong_part() {
    let s = "secret=JBSWY3DPEHPK3PXP";
    type Case = (String, fn(&UriError) -> bool);
    let cases: Vec<Case> = vec![
        ("https://example.com".into(), |e| {
            matches!(e, UriError::Scheme)
        }),
        ("otpauth-migration://offline?data=x".into(), |e| {
            matches!(e, UriError::Scheme)
        }),
        ("otpauth:/totp/a?secret=A".into(), |e| {
            matches!(e, UriError::Scheme)
        }),
        (
            format!("otpauth://motp/a?{s}"),
            |e| matches!(e, UriError::Type { found } if found == "motp"),
        ),
        (format!("otpauth://totp?{s}"), |e| {
            matches!(e, UriError::MissingLabel)
        }),
        (format!("otpauth://totp/?{s}"), |e| {
            matches!(e, UriError::MissingLabel)
        }),
        (
            format!("otpauth://totp/%ZZ?{s}"),
            |e| matches!(e, UriError::Encoding { part } if part == "label"),
        ),
        (
            format!("otpauth://totp/%FF?{s}"),
            |e| matches!(e, UriError::Encoding { part } if part == "label"),
        ),
        (
            format!("otpauth://totp/a?{s}&issuer=%E2%28"),
            |e| matches!(e, UriError::Encoding { part } if part.contains("issuer")),
        ),
        ("otpauth://totp/a?issuer=x".into(), |e| {
            matches!(e, UriError::MissingSecret)
        }),
        ("otpauth://totp/a?secret=".into(), |e| {
            matches!(e, UriError::Secret(SecretError::Empty))
        }),
        ("otpauth://totp/a?secret=JBSWY3DP1HPK3PXP".into(), |e| {
            matches!(
                e,
                UriError::Secret(SecretError::InvalidBase32Character { character: '1', .. })
            )
        }),
        ("otpauth://totp/a?secret=JBS".into(), |e| {
            matches!(e, UriError::Secret(SecretError::InvalidBase32Length { .. }))
        }),
        (
            format!("otpauth://totp/a?{s}&algorithm=MD5"),
            |e| matches!(e, UriError::Algorithm { found } if found == "MD5"),
        ),
        (format!("otpauth://steam/a?{s}&algorithm=SHA256"), |e| {
            matches!(e, UriError::Algorithm { .. })
        }),
        (
            format!("otpauth://totp/a?{s}&digits=5"),
            |e| matches!(e, UriError::Digits { found } if found == "5"),
        ),
        (format!("otpauth://totp/a?{s}&digits=11"), |e| {
            matches!(e, UriError::Digits { .. })
        }),
        (format!("otpauth://totp/a?{s}&digits=six"), |e| {
            matches!(e, UriError::Digits { .. })
        }),
        (format!("otpauth://steam/a?{s}&digits=6"), |e| {
            matches!(e, UriError::Digits { .. })
        }),
        (
            format!("otpauth://totp/a?{s}&period=0"),
            |e| matches!(e, UriError::Period { found } if found == "0"),
        ),
        (format!("otpauth://totp/a?{s}&period=86401"), |e| {
            matches!(e, UriError::Period { .. })
        }),
        (format!("otpauth://totp/a?{s}&period=-30"), |e| {
            matches!(e, UriError::Period { .. })
        }),
        (format!("otpauth://hotp/a?{s}"), |e| {
            matches!(e, UriError::MissingCounter)
        }),
        (
            format!("otpauth://hotp/a?{s}&counter=-1"),
            |e| matches!(e, UriError::Counter { found } if found == "-1"),
        ),
        (
            format!("otpauth://hotp/a?{s}&counter=18446744073709551616"),
            |e| matches!(e, UriError::Counter { .. }),
        ),
        (
            format!("otpauth://totp/a?{s}&{s}"),
            |e| matches!(e, UriError::DuplicateParameter { name } if name == "secret"),
        ),
        (
            format!("otpauth://totp/a?{s}&digits=6&Digits=8"),
            |e| matches!(e, UriError::DuplicateParameter { name } if name == "Digits"),
        ),
        (
            format!("otpauth://totp/a?{s}&issuer=a&issuer=b"),
            |e| matches!(e, UriError::DuplicateParameter { name } if name == "issuer"),
        ),
    ];
    for (uri, expected) in &cases {
        match KeyUri::parse(uri) {
            Ok(parsed) => panic!("{uri} parsed as {parsed:?}"),
            Err(error) => {
                assert!(expected(&error), "{uri}: unexpected {error:?}");
                assert!(!error.to_string().is_empty());
            }
        }
    }
}

#[test]
fn secret_errors_say_which_character_is_wrong() {
    let error = KeyUri::parse("otpauth://totp/a?secret=JBSW%21Y3DP").unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("secret") && message.contains('!'),
        "{message}"
    );
}

#[test]
fn parses_uris_in_the_shapes_common_services_issue() {
    let cases = [
        // Lower-case 80-bit secret, e-mail account.
        (
            "otpauth://totp/Microsoft:alice%40outlook.com?secret=jbswy3dpehpk3pxp&issuer=Microsoft",
            "Microsoft",
            "alice@outlook.com",
            10,
        ),
        // Encoded colon in the label.
        (
            "otpauth://totp/Google%3Aalice%40gmail.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Google",
            "Google",
            "alice@gmail.com",
            20,
        ),
        // Issuer with spaces, 64-character (320-bit) secret.
        (
            "otpauth://totp/Amazon%20Web%20Services:root@123456789012?secret=\
             JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\
             &issuer=Amazon%20Web%20Services",
            "Amazon Web Services",
            "root@123456789012",
            40,
        ),
        // Secret grouped in fours, as "can't scan?" pages show it.
        (
            "otpauth://totp/Example:bob?secret=jbsw%20y3dp%20ehpk%203pxp&issuer=Example&algorithm=SHA1&digits=6&period=30",
            "Example",
            "bob",
            10,
        ),
    ];
    for (text, issuer, account, secret_bytes) in cases {
        let uri = parse(text);
        assert_eq!(uri.issuer.as_deref(), Some(issuer), "{text}");
        assert_eq!(uri.account, account, "{text}");
        assert_eq!(uri.otp.secret.len(), secret_bytes, "{text}");
        assert_eq!(parse(&uri.to_uri()), uri);
    }
}

#[test]
fn formatting_any_issuer_and_account_parses_back_equal() {
    let pieces = [
        "a", ":", " ", "%", "+", "&", "=", "#", "?", "/", "é", "✓", "%3A", "Steam", "@", "\u{7f}",
    ];
    let mut texts = vec![String::new()];
    for first in pieces {
        for second in pieces {
            texts.push(format!("{first}{second}"));
            texts.push(format!("x{first}y{second}z"));
        }
    }
    let secret = Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
    let mut checked = 0;
    for issuer in texts.iter().step_by(7) {
        for account in &texts {
            // Documented normalisations: no empty issuer, no leading spaces in the account,
            // and an account needs an issuer or a name.
            if account.starts_with(' ') || (issuer.is_empty() && account.is_empty()) {
                continue;
            }
            let uri = KeyUri {
                otp: countersign_oath::Otp::new_totp(
                    secret.clone(),
                    Algorithm::Sha1,
                    Digits::SIX,
                    Period::THIRTY_SECONDS,
                ),
                issuer: Some(issuer.clone()).filter(|i| !i.is_empty()),
                account: account.clone(),
                image: Some(format!("https://e.com/{account}")),
                extra: vec![(issuer.clone(), account.clone())]
                    .into_iter()
                    .filter(|(name, _)| {
                        ![
                            "secret",
                            "issuer",
                            "algorithm",
                            "digits",
                            "period",
                            "counter",
                            "image",
                            "encoder",
                        ]
                        .contains(&name.to_ascii_lowercase().as_str())
                    })
                    .collect(),
            };
            let text = uri.to_uri();
            assert_eq!(KeyUri::parse(&text).as_ref(), Ok(&uri), "{text}");
            checked += 1;
        }
    }
    assert!(checked > 10_000, "{checked}");
}

#[test]
fn documented_normalisations_of_the_label() {
    let uri = parse("otpauth://totp/%20%20alice?secret=JBSWY3DPEHPK3PXP&issuer=");
    assert_eq!(uri.account, "alice", "leading spaces go");
    assert_eq!(uri.issuer, None, "an empty issuer parameter is no issuer");
}
