//! Every import format, read from files written the way each app writes them by independent
//! tools (`tests/oracle/make_import_files.py`: `cryptography`, python-pskc, pyotp), compared with
//! what the generator recorded, including the code pyotp computes for each account.

use countersign_core::import::{self, Credentials, Format, ImportError};
use countersign_core::Password;
use countersign_oath::Kind;
use serde_json::Value;

fn data_dir() -> String {
    format!("{}/tests/data/import", env!("CARGO_MANIFEST_DIR"))
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/{name}", data_dir())).expect("test file")
}

fn expected() -> Value {
    serde_json::from_slice(&read("expected.json")).unwrap()
}

fn credentials(spec: &Value) -> Credentials {
    Credentials {
        password: spec["password"].as_str().map(Password::new),
        key: None,
    }
}

fn check(name: &str, format: Format) {
    let all = expected();
    let t = all["t"].as_u64().unwrap();
    let spec = &all["files"][name];
    let data = read(name);
    assert_eq!(
        Format::detect(&data),
        Some(format),
        "{name}: detected format"
    );
    let preview = import::preview(&data, None, &credentials(spec), &[], 1)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(preview.format, format);
    let want = spec["accounts"].as_array().unwrap();
    let got = preview.accounts();
    assert_eq!(
        got.len(),
        want.len(),
        "{name}: accounts {:?}",
        preview.entries
    );
    assert_eq!(
        preview.errors.len() as u64,
        spec["errors"].as_u64().unwrap(),
        "{name}: {:?}",
        preview.errors
    );
    for (account, w) in got.iter().zip(want) {
        let ctx = format!("{name}: {}", w["name"]);
        assert_eq!(account.issuer, w["issuer"].as_str().unwrap(), "{ctx}");
        assert_eq!(account.name, w["name"].as_str().unwrap(), "{ctx}");
        assert_eq!(
            account.otp.secret.to_base32(),
            w["secret"].as_str().unwrap(),
            "{ctx}"
        );
        match (account.otp.kind, w["kind"].as_str().unwrap()) {
            (Kind::Totp { period }, "totp") => {
                assert_eq!(
                    u64::from(u32::from(period)),
                    w["period"].as_u64().unwrap(),
                    "{ctx}"
                );
                assert_eq!(
                    account.otp.algorithm.to_string(),
                    w["algorithm"].as_str().unwrap(),
                    "{ctx}"
                );
                assert_eq!(
                    u64::from(u8::from(account.otp.digits)),
                    w["digits"].as_u64().unwrap(),
                    "{ctx}"
                );
                assert_eq!(
                    account.otp.code_at(t).as_str(),
                    w["code_at_t"].as_str().unwrap(),
                    "{ctx}"
                );
            }
            (Kind::Hotp { counter }, "hotp") => {
                assert_eq!(counter, w["counter"].as_u64().unwrap(), "{ctx}");
                assert_eq!(
                    account.otp.hotp(counter).as_str(),
                    w["code_at_t"].as_str().unwrap(),
                    "{ctx}"
                );
            }
            (Kind::Steam { .. }, "steam") => {
                assert_eq!(account.otp.code_at(t).as_str().len(), 5, "{ctx}");
            }
            (kind, want) => panic!("{ctx}: kind {kind:?}, expected {want}"),
        }
    }
}

#[test]
fn aegis_plain_export() {
    check("aegis-plain.json", Format::Aegis);
}

#[test]
fn aegis_encrypted_export_with_scrypt_slot_and_aes_gcm() {
    check("aegis-encrypted.json", Format::Aegis);
}

#[test]
fn two_fas_plain_backup() {
    check("2fas-plain.2fas", Format::TwoFas);
}

#[test]
fn two_fas_encrypted_backup() {
    check("2fas-encrypted.2fas", Format::TwoFas);
}

#[test]
fn andotp_json() {
    check("andotp.json", Format::AndOtp);
}

#[test]
fn bitwarden_json_with_uri_steam_and_bare_secrets() {
    check("bitwarden.json", Format::Bitwarden);
}

#[test]
fn bitwarden_csv() {
    check("bitwarden.csv", Format::BitwardenCsv);
}

#[test]
fn freeotp_plus_json_with_signed_byte_secrets() {
    check("freeotp-plus.json", Format::FreeOtpPlus);
}

#[test]
fn authenticator_pro_json() {
    check("authenticator-pro.json", Format::AuthenticatorPro);
}

#[test]
fn otpauth_uri_list_lists_a_bad_line_as_an_entry_error() {
    check("otpauth.txt", Format::Otpauth);
}

#[test]
fn ente_auth_plaintext_export_reads_as_an_otpauth_list() {
    check("ente-auth.txt", Format::Otpauth);
    // Chosen explicitly, the same file reads as Ente.
    let preview = import::preview(
        &read("ente-auth.txt"),
        Some(Format::Ente),
        &Credentials::default(),
        &[],
        1,
    )
    .unwrap();
    assert_eq!(preview.format, Format::Ente);
    assert_eq!(preview.entries.len(), 5);
}

#[test]
fn google_authenticator_transfer_in_two_batches() {
    check("google-migration.txt", Format::Google);
}

#[test]
fn csv_tokens_with_header_semicolons_and_a_bad_row() {
    check("tokens-semicolon.csv", Format::Csv);
    let preview = import::preview(
        &read("tokens-semicolon.csv"),
        None,
        &Credentials::default(),
        &[],
        1,
    )
    .unwrap();
    assert_eq!(preview.errors[0].source, "line 4");
    assert!(
        preview.errors[0].reason.contains("base32"),
        "{:?}",
        preview.errors
    );
}

#[test]
fn csv_tokens_without_header_with_hex_secrets() {
    check("tokens-hex.csv", Format::Csv);
}

#[test]
fn pskc_password_encrypted_tokens() {
    check("tokens.pskcxml", Format::Pskc);
}

#[test]
fn encrypted_files_without_a_password_ask_for_one() {
    for (name, format) in [
        ("aegis-encrypted.json", Format::Aegis),
        ("2fas-encrypted.2fas", Format::TwoFas),
        ("tokens.pskcxml", Format::Pskc),
    ] {
        let err = import::preview(&read(name), None, &Credentials::default(), &[], 1).unwrap_err();
        assert!(
            matches!(err, ImportError::PasswordRequired { format: f } if f == format),
            "{name}: {err:?}"
        );
        assert_eq!(err.code(), "password_required");
    }
}

#[test]
fn encrypted_files_with_a_wrong_password_are_refused() {
    let wrong = Credentials {
        password: Some(Password::new("not the password")),
        key: None,
    };
    for name in [
        "aegis-encrypted.json",
        "2fas-encrypted.2fas",
        "tokens.pskcxml",
    ] {
        let err = import::preview(&read(name), None, &wrong, &[], 1).unwrap_err();
        assert!(
            matches!(
                err,
                ImportError::WrongPassword { .. } | ImportError::Tampered { .. }
            ),
            "{name}: {err:?}"
        );
    }
}

#[test]
fn format_names_parse_and_unknown_names_list_the_choices() {
    for f in Format::ALL {
        assert_eq!(f.name().parse::<Format>().unwrap(), f);
    }
    assert_eq!("freeotp+".parse::<Format>().unwrap(), Format::FreeOtpPlus);
    let err = "lastpass".parse::<Format>().unwrap_err();
    assert!(err.to_string().contains("aegis"), "{err}");
}

#[test]
fn an_unsupported_code_type_is_named_in_its_entry_error() {
    let data = read("aegis-plain.json");
    let preview = import::preview(&data, None, &Credentials::default(), &[], 1).unwrap();
    assert_eq!(preview.errors.len(), 1);
    assert!(
        preview.errors[0].source.contains("mOTP"),
        "{:?}",
        preview.errors
    );
    assert!(
        preview.errors[0]
            .reason
            .contains("motp codes are not supported"),
        "{:?}",
        preview.errors
    );
    let steam = preview.entries.iter().find(|e| e.kind == "steam").unwrap();
    assert_eq!(steam.digits, 5);
}
