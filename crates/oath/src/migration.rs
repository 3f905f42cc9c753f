//! Google Authenticator transfer URIs: `otpauth-migration://offline?data=…`.
//!
//! Google Authenticator's "Transfer accounts" shows one or more QR codes, each holding
//! `otpauth-migration://offline?data=DATA`, where DATA is a percent-encoded, base64-encoded
//! (standard alphabet, padded) protobuf `MigrationPayload`. On input this module also accepts
//! DATA without padding, in the URL-safe alphabet, or with `+` turned into a space.
//!
//! The protobuf messages (proto3; field number, wire type, meaning):
//!
//! ```text
//! MigrationPayload
//!   1  length-delimited  OtpParameters otp_parameters   (repeated, one per account)
//!   2  varint            int32 version                   (1)
//!   3  varint            int32 batch_size                (number of QR codes)
//!   4  varint            int32 batch_index               (0-based)
//!   5  varint            int32 batch_id                  (same in every code of one export)
//! OtpParameters
//!   1  length-delimited  bytes  secret                   (raw key bytes)
//!   2  length-delimited  string name                     ("account" or "Issuer:account")
//!   3  length-delimited  string issuer
//!   4  varint            Algorithm  0 unspecified (read as SHA1), 1 SHA1, 2 SHA256, 3 SHA512, 4 MD5
//!   5  varint            DigitCount 0 unspecified (read as 6), 1 SIX, 2 EIGHT
//!   6  varint            OtpType    0 unspecified (read as TOTP), 1 HOTP, 2 TOTP
//!   7  varint            int64 counter                   (HOTP)
//! ```
//!
//! Varints are little-endian base-128; negative int32/int64 values take ten bytes (two's
//! complement, sign-extended). Unknown fields are skipped; groups (wire types 3 and 4) are an
//! error. The format has no period (always 30 s), no Steam type and only 6 or 8 digits, so
//! [`encode`] refuses accounts outside that, and images and extra URI parameters are not
//! carried.
//!
//! Names: when the issuer is set and the name starts with `Issuer:` (any case), that prefix is
//! dropped; when the issuer is empty, the name is split at its first colon as an `otpauth://`
//! label is. Leading spaces of the account are dropped. [`encode`] writes the name as
//! `Issuer:account`, as Google Authenticator does, or the account alone without an issuer
//! (prefixed with `:` when it has a colon, so that it is not split on the way back).

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use zeroize::Zeroizing;

use crate::uri::{percent_decode, percent_encode_into};
use crate::{Algorithm, Digits, KeyUri, Kind, Otp, Period, Secret};

/// One transfer QR code's contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationBatch {
    /// The accounts in this QR code.
    pub accounts: Vec<KeyUri>,
    /// Payload format version (Google writes 1).
    pub version: i32,
    /// How many QR codes the export has.
    pub batch_size: i32,
    /// This code's position among them, from 0.
    pub batch_index: i32,
    /// Identifies the export the codes belong to (same in all its codes).
    pub batch_id: i32,
}

const SCHEME: &str = "otpauth-migration://";
const HOST: &str = "offline";

/// Decodes one `otpauth-migration://offline?data=…` URI.
pub fn decode(uri: &str) -> Result<MigrationBatch, MigrationError> {
    let uri = uri.trim();
    let rest = uri
        .get(..SCHEME.len())
        .filter(|head| head.eq_ignore_ascii_case(SCHEME))
        .map(|_| &uri[SCHEME.len()..])
        .ok_or(MigrationError::Scheme)?;
    let rest = rest.split('#').next().unwrap_or_default();
    let (host, query) = rest.split_once('?').unwrap_or((rest, ""));
    if !host.trim_end_matches('/').eq_ignore_ascii_case(HOST) {
        return Err(MigrationError::Scheme);
    }
    let mut data = None;
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if name.eq_ignore_ascii_case("data") {
            if data.is_some() {
                return Err(MigrationError::DuplicateData);
            }
            data = Some(value);
        }
    }
    let data = data
        .filter(|d| !d.is_empty())
        .ok_or(MigrationError::MissingData)?;
    let bytes = decode_base64(data)?;
    decode_payload(&bytes)
}

/// Decodes the `MigrationPayload` protobuf message itself (the bytes the `data` parameter
/// carries in base64).
pub fn decode_payload(bytes: &[u8]) -> Result<MigrationBatch, MigrationError> {
    let mut batch = MigrationBatch {
        accounts: Vec::new(),
        version: 0,
        batch_size: 0,
        batch_index: 0,
        batch_id: 0,
    };
    let mut reader = Reader::new(bytes);
    while let Some((field, value)) = reader.next_field()? {
        match (field, value) {
            (1, Value::Bytes(message)) => {
                let index = batch.accounts.len();
                let account = parse_account(message).map_err(|reason| match reason {
                    AccountError::Protobuf(reason) => {
                        MigrationError::Protobuf(format!("account {index}: {reason}"))
                    }
                    AccountError::Unusable(reason) => MigrationError::Account { index, reason },
                })?;
                batch.accounts.push(account);
            }
            (2, Value::Varint(v)) => batch.version = v as i32,
            (3, Value::Varint(v)) => batch.batch_size = v as i32,
            (4, Value::Varint(v)) => batch.batch_index = v as i32,
            (5, Value::Varint(v)) => batch.batch_id = v as i32,
            (1..=5, _) => {
                return Err(MigrationError::Protobuf(format!(
                    "payload field {field} has the wrong wire type"
                )))
            }
            _ => {}
        }
    }
    Ok(batch)
}

/// Encodes accounts as transfer URIs, at most `max_per_code` accounts in each (Google puts
/// about 10 in one QR code). Fails if an account cannot be represented in the format (Steam,
/// a period other than 30 s, other than 6 or 8 digits, a counter above `i64::MAX`).
///
/// The batch id is derived from the contents, so the same accounts give the same URIs (this
/// crate has no random source). No accounts give no URIs.
pub fn encode(accounts: &[KeyUri], max_per_code: usize) -> Result<Vec<String>, MigrationError> {
    if max_per_code == 0 {
        return Err(MigrationError::ZeroPerCode);
    }
    let encoded: Vec<Zeroizing<Vec<u8>>> = accounts
        .iter()
        .map(encode_account)
        .collect::<Result<_, _>>()?;
    let batch_id = fnv1a(encoded.iter().map(|account| account.as_slice())) as i32;
    let chunks: Vec<_> = encoded.chunks(max_per_code).collect();
    let batch_size = i32::try_from(chunks.len()).map_err(|_| MigrationError::ZeroPerCode)?;
    let engine = base64::engine::general_purpose::STANDARD;
    let mut uris = Vec::with_capacity(chunks.len());
    for (batch_index, chunk) in chunks.into_iter().enumerate() {
        let mut payload = Zeroizing::new(Vec::new());
        for account in chunk {
            write_bytes_field(&mut payload, 1, account);
        }
        write_varint_field(&mut payload, 2, 1);
        write_varint_field(&mut payload, 3, i64::from(batch_size) as u64);
        // batch_index < batch_size, which fits an i32.
        write_varint_field(&mut payload, 4, batch_index as u64);
        write_varint_field(&mut payload, 5, i64::from(batch_id) as u64);
        let data = Zeroizing::new(engine.encode(payload.as_slice()));
        let mut uri = format!("{SCHEME}{HOST}?data=");
        percent_encode_into(&mut uri, &data);
        uris.push(uri);
    }
    Ok(uris)
}

/// Joins the batches of one export (in any order) into its accounts, checking that they share
/// a batch id and size and that every index from 0 to `batch_size - 1` is there exactly once.
/// A batch size of 0 (written by some encoders for a single code) counts as 1.
pub fn join(mut batches: Vec<MigrationBatch>) -> Result<Vec<KeyUri>, MigrationError> {
    let first = batches
        .first()
        .ok_or_else(|| MigrationError::IncompleteBatch("no transfer codes given".to_owned()))?;
    let (batch_id, batch_size) = (first.batch_id, first.batch_size.max(1));
    if let Some(other) = batches
        .iter()
        .find(|b| b.batch_id != batch_id || b.batch_size.max(1) != batch_size)
    {
        return Err(MigrationError::IncompleteBatch(format!(
            "code {} of {} (export {}) is from another export than code {} of {} (export {})",
            other.batch_index + 1,
            other.batch_size,
            other.batch_id,
            first.batch_index + 1,
            batch_size,
            batch_id
        )));
    }
    batches.sort_by_key(|batch| batch.batch_index);
    for expected in 0..batch_size {
        let found = batches
            .iter()
            .filter(|batch| batch.batch_index == expected)
            .count();
        match found {
            1 => {}
            0 => {
                return Err(MigrationError::IncompleteBatch(format!(
                    "code {} of {batch_size} is missing",
                    expected + 1
                )))
            }
            _ => {
                return Err(MigrationError::IncompleteBatch(format!(
                    "code {} of {batch_size} was given more than once",
                    expected + 1
                )))
            }
        }
    }
    if let Some(stray) = batches
        .iter()
        .find(|b| b.batch_index < 0 || b.batch_index >= batch_size)
    {
        return Err(MigrationError::IncompleteBatch(format!(
            "code index {} is outside an export of {batch_size} codes",
            stray.batch_index
        )));
    }
    Ok(batches.into_iter().flat_map(|b| b.accounts).collect())
}

/// What is wrong with a transfer URI or batch set.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MigrationError {
    /// Not `otpauth-migration://offline`.
    #[error(
        "not a Google Authenticator transfer URI: it must start with `otpauth-migration://offline`"
    )]
    Scheme,
    /// No `data` parameter, or an empty one.
    #[error("the transfer URI has no `data` parameter")]
    MissingData,
    /// More than one `data` parameter.
    #[error("the transfer URI has more than one `data` parameter")]
    DuplicateData,
    /// `data` is not percent-encoded base64.
    #[error("the `data` parameter is not valid base64")]
    Base64,
    /// The decoded bytes are not a MigrationPayload message.
    #[error("the transfer data is malformed: {0}")]
    Protobuf(String),
    /// One account in the payload cannot be used.
    #[error("account {index} in the transfer data is unusable: {reason}")]
    Account {
        /// Position of the account in the payload, from 0.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// An account cannot be written in Google's format.
    #[error("`{account}` cannot be exported to Google Authenticator: {reason}")]
    Unrepresentable {
        /// The account's label.
        account: String,
        /// Why.
        reason: String,
    },
    /// `max_per_code` was 0.
    #[error("at least one account must fit in each transfer code")]
    ZeroPerCode,
    /// Batches given to [`join`] do not form one complete export.
    #[error("the transfer codes do not form one complete export: {0}")]
    IncompleteBatch(String),
}

fn decode_base64(data: &str) -> Result<Zeroizing<Vec<u8>>, MigrationError> {
    let text = Zeroizing::new(percent_decode(data, false).ok_or(MigrationError::Base64)?);
    let normalised: Zeroizing<String> = Zeroizing::new(
        text.chars()
            .filter(|c| !matches!(c, '\n' | '\r' | '\t' | '='))
            .map(|c| match c {
                ' ' | '-' => '+',
                '_' => '/',
                other => other,
            })
            .collect(),
    );
    let engine = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::RequireNone)
            .with_decode_allow_trailing_bits(true),
    );
    engine
        .decode(normalised.as_bytes())
        .map(Zeroizing::new)
        .map_err(|_| MigrationError::Base64)
}

enum AccountError {
    Protobuf(String),
    Unusable(String),
}

fn parse_account(bytes: &[u8]) -> Result<KeyUri, AccountError> {
    let mut secret = None;
    let mut name = String::new();
    let mut issuer = String::new();
    let (mut algorithm, mut digits, mut otp_type, mut counter) = (0u64, 0u64, 0u64, 0u64);
    let mut reader = Reader::new(bytes);
    let text = |field: &str, bytes: &[u8]| {
        String::from_utf8(bytes.to_vec())
            .map_err(|_| AccountError::Protobuf(format!("the {field} is not UTF-8")))
    };
    while let Some((field, value)) = reader.next_field().map_err(|e| match e {
        MigrationError::Protobuf(reason) => AccountError::Protobuf(reason),
        other => AccountError::Protobuf(other.to_string()),
    })? {
        match (field, value) {
            (1, Value::Bytes(b)) => secret = Some(Secret::from_bytes(b.to_vec())),
            (2, Value::Bytes(b)) => name = text("name", b)?,
            (3, Value::Bytes(b)) => issuer = text("issuer", b)?,
            (4, Value::Varint(v)) => algorithm = v,
            (5, Value::Varint(v)) => digits = v,
            (6, Value::Varint(v)) => otp_type = v,
            (7, Value::Varint(v)) => counter = v,
            (1..=7, _) => {
                return Err(AccountError::Protobuf(format!(
                    "field {field} has the wrong wire type"
                )))
            }
            _ => {}
        }
    }
    let secret = secret
        .filter(|s| !s.is_empty())
        .ok_or_else(|| AccountError::Unusable("it has no secret".to_owned()))?;
    let algorithm = match algorithm {
        0 | 1 => Algorithm::Sha1,
        2 => Algorithm::Sha256,
        3 => Algorithm::Sha512,
        4 => return Err(AccountError::Unusable("MD5 is not supported".to_owned())),
        other => return Err(AccountError::Unusable(format!("unknown algorithm {other}"))),
    };
    let digits = match digits {
        0 | 1 => Digits::SIX,
        2 => Digits::EIGHT,
        other => {
            return Err(AccountError::Unusable(format!(
                "unknown digit count {other}"
            )))
        }
    };
    let kind = match otp_type {
        0 | 2 => Kind::Totp {
            period: Period::THIRTY_SECONDS,
        },
        1 => Kind::Hotp {
            counter: i64::try_from(counter)
                .ok()
                .and_then(|c| u64::try_from(c).ok())
                .ok_or_else(|| AccountError::Unusable("the counter is negative".to_owned()))?,
        },
        other => return Err(AccountError::Unusable(format!("unknown OTP type {other}"))),
    };
    let (issuer, account) = split_name(issuer, &name);
    Ok(KeyUri {
        otp: Otp {
            kind,
            algorithm,
            digits,
            secret,
        },
        issuer,
        account,
        image: None,
        extra: Vec::new(),
    })
}

fn split_name(issuer: String, name: &str) -> (Option<String>, String) {
    let (issuer, account) = if issuer.is_empty() {
        match name.split_once(':') {
            Some((prefix, account)) => (Some(prefix.to_owned()).filter(|p| !p.is_empty()), account),
            None => (None, name),
        }
    } else {
        let account = name
            .get(..issuer.len())
            .filter(|head| head.eq_ignore_ascii_case(&issuer))
            .and_then(|_| name[issuer.len()..].strip_prefix(':'))
            .unwrap_or(name);
        (Some(issuer), account)
    };
    (issuer, account.trim_start_matches(' ').to_owned())
}

fn encode_account(uri: &KeyUri) -> Result<Zeroizing<Vec<u8>>, MigrationError> {
    let refuse = |reason: &str| MigrationError::Unrepresentable {
        account: uri.to_string(),
        reason: reason.to_owned(),
    };
    let otp = &uri.otp;
    let (otp_type, counter) = match otp.kind {
        Kind::Totp { period } if period == Period::THIRTY_SECONDS => (2u64, 0u64),
        Kind::Totp { .. } => return Err(refuse("its period is not 30 seconds")),
        Kind::Hotp { counter } => {
            i64::try_from(counter).map_err(|_| refuse("its counter is above 2^63 - 1"))?;
            (1, counter)
        }
        Kind::Steam { .. } => return Err(refuse("Steam Guard accounts are not supported")),
    };
    let digits = match otp.digits.value() {
        6 => 1u64,
        8 => 2,
        _ => return Err(refuse("only 6 or 8 digits are supported")),
    };
    let algorithm = match otp.algorithm {
        Algorithm::Sha1 => 1u64,
        Algorithm::Sha256 => 2,
        Algorithm::Sha512 => 3,
    };
    let issuer = uri.issuer.as_deref().unwrap_or_default();
    let name = if !issuer.is_empty() {
        format!("{issuer}:{}", uri.account)
    } else if uri.account.contains(':') {
        format!(":{}", uri.account)
    } else {
        uri.account.clone()
    };
    let mut out = Zeroizing::new(Vec::new());
    write_bytes_field(&mut out, 1, otp.secret.as_bytes());
    write_bytes_field(&mut out, 2, name.as_bytes());
    if !issuer.is_empty() {
        write_bytes_field(&mut out, 3, issuer.as_bytes());
    }
    write_varint_field(&mut out, 4, algorithm);
    write_varint_field(&mut out, 5, digits);
    write_varint_field(&mut out, 6, otp_type);
    if otp_type == 1 {
        write_varint_field(&mut out, 7, counter);
    }
    Ok(out)
}

/// FNV-1a over the encoded accounts: a stable batch id without a random source.
fn fnv1a<'a>(parts: impl Iterator<Item = &'a [u8]>) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in parts.flatten() {
        hash ^= u32::from(*byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

// --- A minimal protobuf reader and writer (only what MigrationPayload needs). ---

enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes }
    }

    /// The next field number and value, `None` at the end of the message.
    fn next_field(&mut self) -> Result<Option<(u64, Value<'a>)>, MigrationError> {
        if self.bytes.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        let field = key >> 3;
        if field == 0 {
            return Err(MigrationError::Protobuf("field number 0".to_owned()));
        }
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Value::Fixed
            }
            2 => {
                let length = self.varint()?;
                let length = usize::try_from(length).map_err(|_| truncated())?;
                Value::Bytes(self.take(length)?)
            }
            5 => {
                self.take(4)?;
                Value::Fixed
            }
            other => {
                return Err(MigrationError::Protobuf(format!(
                    "unsupported wire type {other} (field {field})"
                )))
            }
        };
        Ok(Some((field, value)))
    }

    fn varint(&mut self) -> Result<u64, MigrationError> {
        let mut value = 0u64;
        for (i, &byte) in self.bytes.iter().enumerate().take(10) {
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                self.bytes = &self.bytes[i + 1..];
                return Ok(value);
            }
        }
        if self.bytes.len() >= 10 {
            Err(MigrationError::Protobuf(
                "a varint is longer than 10 bytes".to_owned(),
            ))
        } else {
            Err(truncated())
        }
    }

    fn take(&mut self, length: usize) -> Result<&'a [u8], MigrationError> {
        if length > self.bytes.len() {
            return Err(truncated());
        }
        let (head, rest) = self.bytes.split_at(length);
        self.bytes = rest;
        Ok(head)
    }
}

fn truncated() -> MigrationError {
    MigrationError::Protobuf("the message ends in the middle of a field".to_owned())
}

fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        // The low 7 bits plus the continuation bit.
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn write_varint_field(out: &mut Vec<u8>, field: u64, value: u64) {
    write_varint(out, field << 3);
    write_varint(out, value);
}

fn write_bytes_field(out: &mut Vec<u8>, field: u64, value: &[u8]) {
    write_varint(out, (field << 3) | 2);
    write_varint(out, value.len() as u64);
    out.extend_from_slice(value);
}
