//! Code generation against published vectors (RFC 4226, RFC 6238) and independent oracles
//! (pyotp, oathtool, a from-scratch Python implementation; see `oracle/generate.py`).

use std::path::PathBuf;
use std::process::Command;

use countersign_oath::{Algorithm, Digits, Kind, Otp, Period, Secret, STEAM_ALPHABET};

fn data_file(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Non-comment lines, split at tabs.
fn rows(text: &str) -> Vec<Vec<&str>> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| line.split('\t').collect())
        .collect()
}

fn ascii_secret(text: &str) -> Secret {
    Secret::from_bytes(text.as_bytes().to_vec())
}

#[test]
fn rfc4226_appendix_d_hotp_values_match() {
    let otp = Otp::new_hotp(
        ascii_secret("12345678901234567890"),
        Algorithm::Sha1,
        Digits::SIX,
        0,
    );
    let text = data_file("rfc4226_hotp.tsv");
    let rows = rows(&text);
    assert_eq!(rows.len(), 10, "Appendix D lists counters 0 to 9");
    for row in rows {
        let counter: u64 = row[0].parse().unwrap();
        assert_eq!(otp.hotp(counter).as_str(), row[1], "counter {counter}");
    }
}

#[test]
fn rfc4226_hotp_current_uses_the_stored_counter_whatever_the_time() {
    let otp = Otp::new_hotp(
        ascii_secret("12345678901234567890"),
        Algorithm::Sha1,
        Digits::SIX,
        7,
    );
    assert_eq!(otp.current(0).as_str(), "162583");
    assert_eq!(otp.code_at(1_700_000_000).as_str(), "162583");
    assert_eq!(otp.seconds_left(0), None);
}

#[test]
fn rfc6238_appendix_b_totp_values_match_for_sha1_sha256_sha512() {
    let text = data_file("rfc6238_totp.tsv");
    let rows = rows(&text);
    assert_eq!(
        rows.len(),
        18,
        "Appendix B lists six times for three algorithms"
    );
    for row in rows {
        let time: u64 = row[0].parse().unwrap();
        let (algorithm, seed) = match row[1] {
            "SHA1" => (Algorithm::Sha1, "12345678901234567890".to_owned()),
            "SHA256" => (Algorithm::Sha256, "1234567890".repeat(4)[..32].to_owned()),
            "SHA512" => (Algorithm::Sha512, "1234567890".repeat(7)[..64].to_owned()),
            other => panic!("unknown mode {other}"),
        };
        let otp = Otp::new_totp(
            ascii_secret(&seed),
            algorithm,
            Digits::EIGHT,
            Period::THIRTY_SECONDS,
        );
        assert_eq!(otp.code_at(time).as_str(), row[2], "{algorithm} at {time}");
    }
}

struct OracleRow {
    otp: Otp,
    moving_factor: u64,
    code: String,
    checked_by: String,
}

fn oracle_rows() -> Vec<OracleRow> {
    rows(&data_file("oracle.tsv"))
        .into_iter()
        .map(|row| {
            let algorithm: Algorithm = row[1].parse().unwrap();
            let digits: u8 = row[2].parse().unwrap();
            let period: u32 = row[3].parse().unwrap();
            let moving_factor: u64 = row[4].parse().unwrap();
            let secret = Secret::from_base32(row[5]).unwrap();
            let otp = match row[0] {
                "totp" => Otp::new_totp(
                    secret,
                    algorithm,
                    Digits::new(digits).unwrap(),
                    Period::new(period).unwrap(),
                ),
                "hotp" => Otp::new_hotp(secret, algorithm, Digits::new(digits).unwrap(), 0),
                "steam" => {
                    let mut otp = Otp::new_steam(secret);
                    otp.kind = Kind::Steam {
                        period: Period::new(period).unwrap(),
                    };
                    otp
                }
                other => panic!("unknown kind {other}"),
            };
            OracleRow {
                otp,
                moving_factor,
                code: row[6].to_owned(),
                checked_by: row[7].to_owned(),
            }
        })
        .collect()
}

fn generate(row: &OracleRow) -> String {
    match row.otp.kind {
        Kind::Hotp { .. } => row.otp.hotp(row.moving_factor).to_string(),
        _ => row.otp.code_at(row.moving_factor).to_string(),
    }
}

#[test]
fn codes_match_oracles_for_all_algorithms_6_to_10_digits_periods_and_steam() {
    let rows = oracle_rows();
    let mut mismatches = Vec::new();
    for row in &rows {
        let code = generate(row);
        if code != row.code {
            mismatches.push(format!(
                "{:?} {} digits, factor {}: got {code}, oracle {}",
                row.otp.kind, row.otp.digits, row.moving_factor, row.code
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} rows differ:\n{}",
        mismatches.len(),
        rows.len(),
        mismatches.join("\n")
    );
    // The data file must keep covering the cases the oracles exist for.
    for digits in 6..=10 {
        assert!(rows
            .iter()
            .any(|r| r.otp.digits.value() == digits && !matches!(r.otp.kind, Kind::Steam { .. })));
    }
    assert!(rows
        .iter()
        .any(|r| matches!(r.otp.kind, Kind::Steam { .. })));
    assert!(
        rows.iter().any(|r| r.otp.secret.len() == 10),
        "an 80-bit secret"
    );
    assert!(rows
        .iter()
        .any(|r| r.otp.period() == Period::new(86_400).ok()));
    assert!(rows.iter().any(|r| r.checked_by.contains("oathtool")));
}

#[test]
fn steam_codes_are_five_characters_of_steams_alphabet() {
    let otp = Otp::new_steam(Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap());
    for time in (0..3_000_000_000u64).step_by(123_456_789) {
        let code = otp.code_at(time);
        assert_eq!(code.as_str().len(), 5);
        assert!(code.as_str().chars().all(|c| STEAM_ALPHABET.contains(c)));
    }
}

/// Calls the real `oathtool` (Debian package) when it is installed.
#[test]
fn live_oathtool_agrees_on_totp_and_hotp() {
    if Command::new("oathtool").arg("--version").output().is_err() {
        println!("NOTICE: oathtool is not on PATH; skipping the live oathtool comparison");
        return;
    }
    let secret_hex = "3132333435363738393031323334353637383930313233343536373839303132";
    let secret = Secret::from_hex(secret_hex).unwrap();
    for (algorithm, flag) in [
        (Algorithm::Sha1, "sha1"),
        (Algorithm::Sha256, "sha256"),
        (Algorithm::Sha512, "sha512"),
    ] {
        for digits in [6u8, 7, 8] {
            for (period, time) in [(30u32, 1_700_000_000u64), (1, 59), (86_400, 4_000_000_000)] {
                let otp = Otp::new_totp(
                    secret.clone(),
                    algorithm,
                    Digits::new(digits).unwrap(),
                    Period::new(period).unwrap(),
                );
                let out = Command::new("oathtool")
                    .env("TZ", "UTC")
                    .args([
                        format!("--totp={flag}"),
                        format!("--digits={digits}"),
                        format!("--time-step-size={period}s"),
                        format!("--now=@{time}"),
                        secret_hex.to_owned(),
                    ])
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let expected = String::from_utf8(out.stdout).unwrap();
                assert_eq!(otp.code_at(time).as_str(), expected.trim());
            }
        }
    }
    let otp = Otp::new_hotp(secret, Algorithm::Sha1, Digits::EIGHT, 0);
    for counter in [0u64, 1, 1_000_000, u64::from(u32::MAX) + 1] {
        let out = Command::new("oathtool")
            .args([
                "--hotp".to_owned(),
                "--digits=8".to_owned(),
                format!("--counter={counter}"),
                secret_hex.to_owned(),
            ])
            .output()
            .unwrap();
        let expected = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            otp.hotp(counter).as_str(),
            expected.trim(),
            "counter {counter}"
        );
    }
}

#[test]
fn seconds_left_counts_down_to_the_next_step() {
    let otp = Otp::new_totp(
        ascii_secret("12345678901234567890"),
        Algorithm::Sha1,
        Digits::SIX,
        Period::THIRTY_SECONDS,
    );
    assert_eq!(otp.seconds_left(0), Some(30));
    assert_eq!(otp.seconds_left(29), Some(1));
    assert_eq!(otp.seconds_left(30), Some(30));
    assert_eq!(otp.seconds_left(59), Some(1));
}

#[test]
fn totp_verify_accepts_codes_within_the_window_and_reports_the_offset() {
    let otp = Otp::new_totp(
        ascii_secret("12345678901234567890"),
        Algorithm::Sha1,
        Digits::EIGHT,
        Period::THIRTY_SECONDS,
    );
    let now = 1_111_111_111;
    let previous = otp.code_at(now - 30);
    let next = otp.code_at(now + 30);
    let two_ahead = otp.code_at(now + 60);
    assert_eq!(otp.verify(otp.code_at(now).as_str(), now, 0), Some(0));
    assert_eq!(otp.verify(previous.as_str(), now, 1), Some(-1));
    assert_eq!(otp.verify(next.as_str(), now, 1), Some(1));
    assert_eq!(otp.verify(two_ahead.as_str(), now, 1), None);
    assert_eq!(otp.verify(two_ahead.as_str(), now, 2), Some(2));
    assert_eq!(
        otp.verify("1405 0471", now, 0),
        Some(0),
        "RFC 6238 code with a space"
    );
    assert_eq!(otp.verify("1405047", now, 1), None, "too short");
    assert_eq!(otp.verify("abcdefgh", now, 1), None);
}

#[test]
fn totp_verify_does_not_wrap_before_the_epoch() {
    let otp = Otp::new_totp(
        ascii_secret("12345678901234567890"),
        Algorithm::Sha1,
        Digits::EIGHT,
        Period::THIRTY_SECONDS,
    );
    assert_eq!(otp.verify("94287082", 59, 3), Some(0));
    let max_step = otp.code_at(u64::MAX);
    assert_eq!(otp.verify(max_step.as_str(), u64::MAX, 2), Some(0));
}

#[test]
fn hotp_look_ahead_returns_the_matching_counter() {
    let otp = Otp::new_hotp(
        ascii_secret("12345678901234567890"),
        Algorithm::Sha1,
        Digits::SIX,
        3,
    );
    // RFC 4226 Appendix D: counter 5 is 254676.
    assert_eq!(otp.verify_hotp("254676", 3, 2), Some(5));
    assert_eq!(otp.verify_hotp("254676", 3, 1), None);
    assert_eq!(
        otp.verify_hotp("254676", 6, 10),
        None,
        "never behind the counter"
    );
    assert_eq!(
        otp.verify("254676", 0, 2),
        Some(2),
        "offset from the stored counter"
    );
    assert_eq!(otp.verify_hotp("000000", u64::MAX, 5), None);
}

#[test]
fn steam_verify_ignores_case() {
    let otp = Otp::new_steam(Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap());
    let code = otp.code_at(1_000_000).to_string();
    assert_eq!(otp.verify(&code.to_lowercase(), 1_000_000, 0), Some(0));
}

#[test]
fn code_debug_does_not_show_the_code() {
    let otp = Otp::new_hotp(
        ascii_secret("12345678901234567890"),
        Algorithm::Sha1,
        Digits::SIX,
        0,
    );
    let code = otp.hotp(0);
    assert_eq!(code.to_string(), "755224");
    assert!(!format!("{code:?}").contains("755224"));
}

#[test]
fn otp_serialises_with_a_base32_secret_and_reads_back() {
    let otp = Otp::new_hotp(
        Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap(),
        Algorithm::Sha256,
        Digits::new(7).unwrap(),
        42,
    );
    let json = serde_json::to_value(&otp).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "kind": {"type": "hotp", "counter": 42},
            "algorithm": "SHA256",
            "digits": 7,
            "secret": "JBSWY3DPEHPK3PXP"
        })
    );
    let back: Otp = serde_json::from_value(json).unwrap();
    assert_eq!(back, otp);
    let bad_digits = serde_json::json!({
        "kind": {"type": "totp", "period": 30}, "algorithm": "SHA1", "digits": 11,
        "secret": "JBSWY3DPEHPK3PXP"
    });
    assert!(serde_json::from_value::<Otp>(bad_digits).is_err());
}

/// The vault stores `Otp` as JSON; this pins the shape of every kind.
#[test]
fn kinds_serialise_as_tagged_objects() {
    let cases = [
        (
            Kind::Totp {
                period: Period::new(60).unwrap(),
            },
            serde_json::json!({"type": "totp", "period": 60}),
        ),
        (
            Kind::Hotp { counter: 9 },
            serde_json::json!({"type": "hotp", "counter": 9}),
        ),
        (
            Kind::Steam {
                period: Period::THIRTY_SECONDS,
            },
            serde_json::json!({"type": "steam", "period": 30}),
        ),
    ];
    for (kind, json) in cases {
        assert_eq!(serde_json::to_value(kind).unwrap(), json);
        assert_eq!(serde_json::from_value::<Kind>(json).unwrap(), kind);
    }
    let zero_period = serde_json::json!({"type": "totp", "period": 0});
    assert!(serde_json::from_value::<Kind>(zero_period).is_err());
}
