//! CSV seed files for hardware OATH tokens.
//!
//! # Layout
//!
//! The layout vendors ship is one token a line: `serial, secret, time interval`, the secret in
//! base32 (hex is accepted too), the interval in seconds. Files come with or without a header
//! line, separated by commas, semicolons or tabs (the separator is the one that occurs most in
//! the first line), with `"`-quoted fields, `#` comment lines and blank lines.
//!
//! With a header, columns are found by name (case and spaces/underscores ignored):
//!
//! | column | names |
//! | --- | --- |
//! | serial | `serial`, `serialno`, `serial number`, `token`, `token serial`, `id` |
//! | secret | `secret`, `seed`, `key`, `secret key`, `hex secret`, `base32 secret`, ... |
//! | interval | `time interval`, `interval`, `period`, `time step`, `timestep`, `step` |
//! | digits | `digits`, `response length`, `length`, `otp length` |
//! | algorithm | `algorithm`, `type` (`totp`/`hotp` or a PSKC URN) |
//! | hash | `hash`, `hmac`, `suite` (`SHA1`, `HMAC-SHA256`, ...) |
//! | counter | `counter` |
//!
//! This reads the output of `pskc2csv` (python-pskc) as it is. Without a header the columns
//! are positional: serial, secret, interval, then optionally digits.
//!
//! Secrets are base32 unless the column name says `hex`, or every value of the column is hex
//! and at least one has a digit base32 lacks (`0`, `1`, `8`, `9`), or a value starts `0x`.
//!
//! A bad row does not stop the file: it is reported with its line number in
//! [`TokenFile::errors`], and the good rows are returned.

use crate::{Algorithm, Secret};

/// One token read from a CSV file.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TokenRow {
    /// 1-based line number in the file.
    pub line: u64,
    /// Token serial number.
    pub serial: String,
    /// The seed.
    pub secret: Secret,
    /// Time step in seconds (TOTP), if given.
    pub time_interval: Option<u32>,
    /// Code length, if given.
    pub digits: Option<u8>,
    /// `true` when the row names HOTP; `false` for TOTP or unspecified.
    pub hotp: bool,
    /// HMAC hash, if given.
    pub algorithm: Option<Algorithm>,
    /// HOTP counter, if given.
    pub counter: Option<u64>,
}

/// A row that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
#[non_exhaustive]
pub struct RowError {
    /// 1-based line number in the file.
    pub line: u64,
    /// What is wrong with the row.
    pub reason: String,
}

/// The result of reading a CSV token file: good rows and per-row errors.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct TokenFile {
    /// Rows read, in file order.
    pub rows: Vec<TokenRow>,
    /// Rows refused, in file order.
    pub errors: Vec<RowError>,
}

/// Why a whole CSV file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsvError {
    /// The file has no token rows.
    #[error("the CSV file has no token rows")]
    Empty,
    /// The header has no column for the secret.
    #[error("the CSV header has no secret column (expected one named secret, seed or key)")]
    NoSecretColumn,
    /// The CSV structure itself is broken (e.g. an unterminated quote).
    #[error("line {line}: {reason}")]
    Syntax {
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        reason: String,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Field {
    Serial,
    Secret { hex: Option<bool> },
    Interval,
    Digits,
    Kind,
    Hash,
    Counter,
    Ignored,
}

/// Parses a CSV token file.
pub fn parse(text: &str) -> Result<TokenFile, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let delimiter = detect_delimiter(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut records: Vec<(u64, Vec<String>)> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| CsvError::Syntax {
            line: e.position().map_or(0, |p| line_of(text, p.byte())),
            reason: e.to_string(),
        })?;
        // The reader's own line count skips blank lines: count from the byte offset instead.
        let line = record.position().map_or(0, |p| line_of(text, p.byte()));
        let fields: Vec<String> = record.iter().map(str::to_owned).collect();
        // Comment lines are skipped here rather than by the reader, whose line count would
        // then leave them out.
        if fields.iter().all(String::is_empty) || fields[0].starts_with('#') {
            continue;
        }
        records.push((line, fields));
    }
    let Some((_, first)) = records.first() else {
        return Err(CsvError::Empty);
    };
    let header = header_fields(first);
    let (columns, data) = match header {
        Some(columns) => (columns, &records[1..]),
        None => (
            vec![
                Field::Serial,
                Field::Secret { hex: None },
                Field::Interval,
                Field::Digits,
            ],
            &records[..],
        ),
    };
    if !columns.iter().any(|c| matches!(c, Field::Secret { .. })) {
        return Err(CsvError::NoSecretColumn);
    }
    if data.is_empty() {
        return Err(CsvError::Empty);
    }
    let secret_index = columns
        .iter()
        .position(|c| matches!(c, Field::Secret { .. }))
        .unwrap_or(1);
    let hex_column = match columns[secret_index] {
        Field::Secret { hex: Some(hex) } => hex,
        _ => column_looks_hex(data.iter().filter_map(|(_, f)| f.get(secret_index))),
    };
    let mut out = TokenFile::default();
    for (line, fields) in data {
        match read_row(*line, fields, &columns, hex_column) {
            Ok(row) => out.rows.push(row),
            Err(reason) => out.errors.push(RowError {
                line: *line,
                reason,
            }),
        }
    }
    Ok(out)
}

/// 1-based line number of a byte offset.
fn line_of(text: &str, byte: u64) -> u64 {
    let bytes = text.as_bytes();
    let mut end = usize::try_from(byte).unwrap_or(usize::MAX).min(text.len());
    // A record's offset is where the reader started, before the blank lines it skipped.
    while end < bytes.len() && matches!(bytes[end], b'\n' | b'\r') {
        end += 1;
    }
    1 + bytes[..end].iter().filter(|b| **b == b'\n').count() as u64
}

fn detect_delimiter(text: &str) -> u8 {
    let first = text
        .lines()
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .unwrap_or("");
    let count = |c: char| first.matches(c).count();
    [(b',', count(',')), (b';', count(';')), (b'\t', count('\t'))]
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .filter(|(_, n)| *n > 0)
        .map_or(b',', |(d, _)| d)
}

/// The columns of a header line, or `None` when the line is data.
fn header_fields(first: &[String]) -> Option<Vec<Field>> {
    let columns: Vec<Field> = first.iter().map(|name| field_of(name)).collect();
    let known = columns.iter().filter(|c| **c != Field::Ignored).count();
    // A data line's second field is a secret, never a column name we know.
    (known > 0
        && columns
            .iter()
            .any(|c| matches!(c, Field::Secret { .. } | Field::Serial)))
    .then_some(columns)
}

fn field_of(name: &str) -> Field {
    let key: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    match key.as_str() {
        "serial" | "serialno" | "serialnumber" | "serialnum" | "token" | "tokenserial"
        | "tokenid" | "id" | "sn" => Field::Serial,
        "secret" | "seed" | "key" | "secretkey" | "otpkey" | "tokenkey" | "tokenseed" => {
            Field::Secret { hex: None }
        }
        "hexsecret" | "secrethex" | "hexseed" | "seedhex" | "hexkey" | "keyhex" => {
            Field::Secret { hex: Some(true) }
        }
        "base32secret" | "secretbase32" | "base32seed" | "seedbase32" | "base32key"
        | "b32secret" => Field::Secret { hex: Some(false) },
        "timeinterval" | "interval" | "period" | "timestep" | "step" | "timestepseconds" => {
            Field::Interval
        }
        "digits" | "responselength" | "length" | "otplength" | "codelength" => Field::Digits,
        "algorithm" | "type" | "tokentype" | "otptype" => Field::Kind,
        "hash" | "hmac" | "suite" | "hashalgorithm" => Field::Hash,
        "counter" | "movingfactor" => Field::Counter,
        _ => Field::Ignored,
    }
}

fn column_looks_hex<'a>(values: impl Iterator<Item = &'a String>) -> bool {
    let mut any_hex_only_char = false;
    for value in values {
        let v: String = value.chars().filter(|c| !c.is_whitespace()).collect();
        if v.starts_with("0x") || v.starts_with("0X") {
            return true;
        }
        if v.is_empty() || !v.len().is_multiple_of(2) || !v.chars().all(|c| c.is_ascii_hexdigit()) {
            return false;
        }
        any_hex_only_char |= v.chars().any(|c| matches!(c, '0' | '1' | '8' | '9'));
    }
    any_hex_only_char
}

fn read_row(
    line: u64,
    fields: &[String],
    columns: &[Field],
    hex: bool,
) -> Result<TokenRow, String> {
    let mut serial = None;
    let mut secret = None;
    let mut row_hex = hex;
    let mut time_interval = None;
    let mut digits = None;
    let mut hotp = false;
    let mut algorithm = None;
    let mut counter = None;
    for (column, value) in columns.iter().zip(fields) {
        if value.is_empty() {
            continue;
        }
        match column {
            Field::Serial => serial = Some(value.clone()),
            Field::Secret { .. } => {
                let v = value.trim();
                let v = if let Some(rest) = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
                    row_hex = true;
                    rest
                } else {
                    v
                };
                let parsed = if row_hex {
                    Secret::from_hex(v).map_err(|e| format!("secret is not valid hex: {e}"))?
                } else {
                    Secret::from_base32(v)
                        .map_err(|e| format!("secret is not valid base32: {e}"))?
                };
                if parsed.is_empty() {
                    return Err("secret is empty".into());
                }
                secret = Some(parsed);
            }
            Field::Interval => {
                let n: u32 = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=86_400).contains(n))
                    .ok_or_else(|| {
                        format!(
                            "time interval {value:?} is not a number of seconds from 1 to 86400"
                        )
                    })?;
                time_interval = Some(n);
            }
            Field::Digits => {
                let n: u8 = value
                    .parse()
                    .ok()
                    .filter(|n| (6..=10).contains(n))
                    .ok_or_else(|| format!("digits {value:?} is not a number from 6 to 10"))?;
                digits = Some(n);
            }
            Field::Kind => {
                let lower = value.to_ascii_lowercase();
                if lower.ends_with("hotp") {
                    hotp = true;
                } else if !lower.ends_with("totp") {
                    return Err(format!("algorithm {value:?} is neither HOTP nor TOTP"));
                }
            }
            Field::Hash => {
                let name = value
                    .trim()
                    .trim_start_matches("HMAC-")
                    .trim_start_matches("hmac-")
                    .replace('-', "");
                algorithm = Some(
                    name.parse::<Algorithm>()
                        .map_err(|_| format!("hash {value:?} is not SHA1, SHA256 or SHA512"))?,
                );
            }
            Field::Counter => {
                counter = Some(
                    value
                        .parse::<u64>()
                        .map_err(|_| format!("counter {value:?} is not a number"))?,
                );
            }
            Field::Ignored => {}
        }
    }
    let secret = secret.ok_or("the secret is missing")?;
    let serial = serial.ok_or("the serial number is missing")?;
    Ok(TokenRow {
        line,
        serial,
        secret,
        time_interval,
        digits,
        hotp,
        algorithm,
        counter,
    })
}
