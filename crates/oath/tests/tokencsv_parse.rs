//! CSV token files: the seed FAQ's layout, its common variants, python-pskc's `pskc2csv`
//! output, and per-row errors with line numbers.

use countersign_oath::pskc::{self, Credential};
use countersign_oath::tokencsv::{self, CsvError};
use countersign_oath::Algorithm;

fn oracle(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/data/pskc/oracle/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn seed_faq_layout_without_header_reads_serial_base32_secret_and_interval() {
    let file = tokencsv::parse("1001,JBSWY3DPEHPK3PXP,30\n1002,GEZDGNBVGY3TQOJQ,60\n").unwrap();
    assert!(file.errors.is_empty());
    assert_eq!(file.rows.len(), 2);
    assert_eq!(file.rows[0].serial, "1001");
    assert_eq!(file.rows[0].secret.to_base32(), "JBSWY3DPEHPK3PXP");
    assert_eq!(file.rows[0].time_interval, Some(30));
    assert_eq!(file.rows[1].time_interval, Some(60));
    assert_eq!(file.rows[1].line, 2);
}

#[test]
fn header_semicolons_quotes_comments_and_blank_lines() {
    let text = "# exported 2024-01-01\nSerial Number;Secret Key;Time Interval\n\n\"A-1\";\"jbsw y3dp ehpk 3pxp\";30\n";
    let file = tokencsv::parse(text).unwrap();
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    assert_eq!(file.rows.len(), 1);
    assert_eq!(file.rows[0].serial, "A-1");
    assert_eq!(file.rows[0].secret.to_base32(), "JBSWY3DPEHPK3PXP");
    assert_eq!(file.rows[0].line, 4);
}

#[test]
fn hex_secrets_are_recognised_by_column_and_by_content() {
    let by_name =
        tokencsv::parse("serial,hex secret\nX,3132333435363738393031323334353637383930\n").unwrap();
    assert_eq!(by_name.rows[0].secret.as_bytes(), b"12345678901234567890");
    let by_content = tokencsv::parse("X,3132333435363738393031323334353637383930,30\n").unwrap();
    assert_eq!(
        by_content.rows[0].secret.as_bytes(),
        b"12345678901234567890"
    );
    let prefixed = tokencsv::parse("X,0x3132,30\n").unwrap();
    assert_eq!(prefixed.rows[0].secret.as_bytes(), b"12");
}

#[test]
fn tabs_and_extra_columns_digits_hash_and_hotp() {
    let text = "serial\tseed\tdigits\thash\ttype\tcounter\nT1\tJBSWY3DPEHPK3PXP\t8\tHMAC-SHA256\thotp\t5\n";
    let file = tokencsv::parse(text).unwrap();
    let row = &file.rows[0];
    assert_eq!(row.digits, Some(8));
    assert_eq!(row.algorithm, Some(Algorithm::Sha256));
    assert!(row.hotp);
    assert_eq!(row.counter, Some(5));
}

#[test]
fn bad_rows_are_reported_with_their_line_numbers_and_good_rows_kept() {
    let text = "serial,secret,interval\nA,JBSWY3DPEHPK3PXP,30\nB,not*base32,30\nC,JBSWY3DPEHPK3PXP,0\nD,,30\nE,JBSWY3DPEHPK3PXP,abc\nF,JBSWY3DPEHPK3PXP\n";
    let file = tokencsv::parse(text).unwrap();
    let serials: Vec<_> = file.rows.iter().map(|r| r.serial.as_str()).collect();
    assert_eq!(serials, ["A", "F"]);
    let lines: Vec<u64> = file.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [3, 4, 5, 6]);
    assert!(
        file.errors[0].reason.contains("base32"),
        "{}",
        file.errors[0]
    );
    assert!(
        file.errors[1].reason.contains("time interval"),
        "{}",
        file.errors[1]
    );
    assert!(
        file.errors[2].reason.contains("secret is missing"),
        "{}",
        file.errors[2]
    );
    assert!(file.errors[0].to_string().starts_with("line 3: "));
}

#[test]
fn empty_files_and_headers_without_a_secret_column_are_refused() {
    assert_eq!(tokencsv::parse("").unwrap_err(), CsvError::Empty);
    assert_eq!(
        tokencsv::parse("\n# only a comment\n").unwrap_err(),
        CsvError::Empty
    );
    assert_eq!(
        tokencsv::parse("serial,secret\n").unwrap_err(),
        CsvError::Empty
    );
    assert_eq!(
        tokencsv::parse("serial,owner\nA,bob\n").unwrap_err(),
        CsvError::NoSecretColumn
    );
}

#[test]
fn pskc2csv_output_in_hex_and_base32_matches_the_pskc_file() {
    let container = pskc::parse(&oracle("plain-50-keys.pskcxml"), Credential::None).unwrap();
    for name in ["pskc2csv-50-keys-hex.csv", "pskc2csv-50-keys-base32.csv"] {
        let file = tokencsv::parse(&oracle(name)).unwrap();
        assert!(file.errors.is_empty(), "{name}: {:?}", file.errors);
        assert_eq!(file.rows.len(), container.keys.len(), "{name}");
        for (row, key) in file.rows.iter().zip(&container.keys) {
            assert_eq!(Some(&row.serial), key.serial.as_ref(), "{name}");
            assert_eq!(row.secret, *key.secret.as_ref().unwrap(), "{name}");
            assert_eq!(
                row.time_interval.map(u64::from),
                key.time_interval,
                "{name}"
            );
            assert_eq!(
                row.digits.map(u32::from),
                key.response.as_ref().and_then(|r| r.length),
                "{name}"
            );
            assert_eq!(row.hotp, key.counter.is_some(), "{name}");
        }
    }
}
