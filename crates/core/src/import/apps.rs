//! Other authenticators' export files.
//!
//! Layouts read (the fields used; others are ignored):
//!
//! - **Aegis** (`aegis-export-*.json`): `{"version": 1, "header": {"slots", "params"}, "db"}`.
//!   Plain: `header.slots` is null and `db` is `{"version", "entries": [...], "groups"}`.
//!   Encrypted: `db` is base64 AES-256-GCM ciphertext under the master key, with
//!   `header.params = {"nonce", "tag"}` (hex); each password slot (`type` 1) holds the master
//!   key encrypted (`key`, hex, with `key_params.nonce`/`tag`) under
//!   `scrypt(password, salt, n, r, p, 32)`. Entries: `type` (`totp`, `hotp`, `steam`), `name`,
//!   `issuer`, `favorite`, `info.{secret (base32), algo, digits, period, counter}`, and the group
//!   as `group` (db v1/v2) or `groups` (uuids into `db.groups`, db v3).
//! - **Google Authenticator**: one `otpauth-migration://offline?data=...` URI per line (one per
//!   exported QR code); every batch is read.
//! - **2FAS** (`.2fas`): `{"services": [...], "schemaVersion", "servicesEncrypted"?}`. Encrypted
//!   backups keep `services` empty and put `base64(ciphertext||tag):base64(salt):base64(iv)` in
//!   `servicesEncrypted`: AES-256-GCM under PBKDF2-HMAC-SHA256(password, salt, 10 000, 32).
//!   A service: `name`, `secret` (base32), `otp.{account, label, issuer, digits, period,
//!   algorithm, tokenType (TOTP/HOTP/STEAM), counter}`.
//! - **andOTP**: a JSON array of `{secret (base32), issuer, label, digits, type, algorithm,
//!   period, counter, tags}`; older files put `Issuer:label` in `label`.
//! - **Bitwarden** JSON: `{"encrypted": false, "items": [{"name", "login": {"username",
//!   "totp"}}]}`; CSV: columns `name`, `login_username`, `login_totp`. `totp` is an
//!   `otpauth://` URI, `steam://SECRET`, or a bare base32 secret (TOTP, 6 digits, 30 s).
//! - **FreeOTP+**: `{"tokens": [{"type", "algo", "digits", "period", "counter", "issuerExt",
//!   "label", "secret": [signed bytes]}], "tokenOrder"}`.
//! - **Ente Auth** plaintext export and any **otpauth list**: one `otpauth://` URI per line.
//! - **Authenticator Pro**: `{"Authenticators": [{"Type" (1 HOTP, 2 TOTP, 4 Steam), "Issuer",
//!   "Username", "Secret" (base32), "Algorithm" (0 SHA1, 1 SHA256, 2 SHA512), "Digits",
//!   "Period", "Counter"}]}`.

use base64::Engine as _;
use countersign_oath::{migration, KeyUri, Secret};
use serde_json::Value;

use super::crypto;
use super::{Candidate, Credentials, Format, ImportError, Parsed, RawOtp};

/// Tells the JSON formats apart by their top-level keys.
pub(super) fn detect_json(text: &str) -> Option<Format> {
    let value: Value = serde_json::from_str(text).ok()?;
    match &value {
        Value::Object(o) => {
            if o.contains_key("db") && o.contains_key("header") {
                Some(Format::Aegis)
            } else if o.contains_key("services") || o.contains_key("servicesEncrypted") {
                Some(Format::TwoFas)
            } else if o.contains_key("tokens") {
                Some(Format::FreeOtpPlus)
            } else if o.contains_key("Authenticators") {
                Some(Format::AuthenticatorPro)
            } else if o.contains_key("items") {
                Some(Format::Bitwarden)
            } else {
                None
            }
        }
        Value::Array(a) if a.iter().all(|e| e.get("secret").is_some()) => Some(Format::AndOtp),
        _ => None,
    }
}

fn json(text: &str, format: Format) -> Result<Value, ImportError> {
    serde_json::from_str(text).map_err(|e| ImportError::Malformed {
        format,
        reason: format!("not valid JSON ({e})"),
    })
}

fn malformed(format: Format, reason: impl Into<String>) -> ImportError {
    ImportError::Malformed {
        format,
        reason: reason.into(),
    }
}

fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn int(v: &Value, key: &str) -> Option<i64> {
    let field = v.get(key)?;
    field
        .as_i64()
        .or_else(|| field.as_str().and_then(|t| t.trim().parse().ok()))
}

fn base32(v: &Value, key: &str) -> Result<Secret, String> {
    let text = s(v, key).ok_or("the secret is missing")?;
    Secret::from_base32(text).map_err(|e| format!("the secret is not valid base32: {e}"))
}

fn label(issuer: &str, name: &str, index: usize) -> String {
    match (issuer.is_empty(), name.is_empty()) {
        (true, true) => format!("entry {}", index + 1),
        (false, true) => format!("entry {} ({issuer})", index + 1),
        (true, false) => format!("entry {} ({name})", index + 1),
        (false, false) => format!("entry {} ({issuer}: {name})", index + 1),
    }
}

fn candidate(issuer: &str, name: &str, otp: RawOtp<'_>) -> Result<Candidate, String> {
    Ok(Candidate {
        issuer: issuer.trim().to_owned(),
        name: name.trim().to_owned(),
        otp: otp.build()?,
        group: None,
        favourite: false,
        icon: None,
    })
}

// ---------------------------------------------------------------------------------------------
// Aegis

pub(super) fn aegis(text: &str, credentials: &Credentials) -> Result<Parsed, ImportError> {
    let f = Format::Aegis;
    let root = json(text, f)?;
    let header = root
        .get("header")
        .ok_or_else(|| malformed(f, "no header"))?;
    let db = root.get("db").ok_or_else(|| malformed(f, "no db"))?;
    let db = match db {
        Value::Object(_) => db.clone(),
        Value::String(sealed) => {
            let password = credentials
                .password
                .as_ref()
                .ok_or(ImportError::PasswordRequired { format: f })?;
            let plaintext = aegis_decrypt(header, sealed, password.as_bytes())?;
            serde_json::from_slice(&plaintext)
                .map_err(|e| malformed(f, format!("the decrypted database is not JSON ({e})")))?
        }
        _ => return Err(malformed(f, "db is neither an object nor encrypted text")),
    };
    let entries = db
        .get("entries")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed(f, "db has no entries list"))?;
    let groups: Vec<(String, String)> = db
        .get("groups")
        .and_then(Value::as_array)
        .map(|gs| {
            gs.iter()
                .filter_map(|g| Some((s(g, "uuid")?.to_owned(), s(g, "name")?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let mut parsed = Parsed::default();
    for (i, e) in entries.iter().enumerate() {
        let issuer = s(e, "issuer").unwrap_or_default();
        let name = s(e, "name").unwrap_or_default();
        let c = (|| {
            let info = e.get("info").ok_or("the entry has no info")?;
            let mut c = candidate(
                issuer,
                name,
                RawOtp {
                    kind: s(e, "type").unwrap_or("totp"),
                    secret: Some(base32(info, "secret")?),
                    algorithm: s(info, "algo"),
                    digits: int(info, "digits"),
                    period: int(info, "period"),
                    counter: int(info, "counter"),
                },
            )?;
            c.favourite = e.get("favorite").and_then(Value::as_bool).unwrap_or(false);
            c.group = s(e, "group").map(str::to_owned).or_else(|| {
                let first = e.get("groups")?.as_array()?.first()?.as_str()?;
                groups
                    .iter()
                    .find(|(u, _)| u == first)
                    .map(|(_, n)| n.clone())
            });
            Ok(c)
        })();
        parsed.push(label(issuer, name, i), c);
    }
    Ok(parsed)
}

fn aegis_decrypt(header: &Value, sealed: &str, password: &[u8]) -> Result<Vec<u8>, ImportError> {
    let f = Format::Aegis;
    let hex_field = |v: &Value, key: &str| -> Result<Vec<u8>, ImportError> {
        s(v, key)
            .and_then(crypto::unhex)
            .ok_or_else(|| malformed(f, format!("{key} is missing or not hex")))
    };
    let slots = header
        .get("slots")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed(f, "an encrypted vault without key slots"))?;
    let password_slots: Vec<&Value> = slots.iter().filter(|s| int(s, "type") == Some(1)).collect();
    if password_slots.is_empty() {
        return Err(ImportError::Unsupported {
            format: f,
            what: "the vault has no password slot (only biometric or raw-key slots)".into(),
        });
    }
    let mut master = None;
    for slot in password_slots {
        let salt = hex_field(slot, "salt")?;
        let n = int(slot, "n")
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0);
        let r = int(slot, "r")
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0);
        let p = int(slot, "p")
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0);
        let key = crypto::scrypt(password, &salt, n, r, p).map_err(|e| malformed(f, e))?;
        let params = slot
            .get("key_params")
            .ok_or_else(|| malformed(f, "a slot without key_params"))?;
        let mut sealed_key = hex_field(slot, "key")?;
        sealed_key.extend(hex_field(params, "tag")?);
        if let Some(k) = crypto::gcm_open(&key[..], &hex_field(params, "nonce")?, &sealed_key) {
            master = Some(k);
            break;
        }
    }
    let master = master.ok_or(ImportError::WrongPassword { format: f })?;
    let params = header
        .get("params")
        .ok_or_else(|| malformed(f, "an encrypted vault without params"))?;
    let mut data = base64::engine::general_purpose::STANDARD
        .decode(sealed.trim())
        .map_err(|_| malformed(f, "db is not base64"))?;
    data.extend(hex_field(params, "tag")?);
    crypto::gcm_open(&master, &hex_field(params, "nonce")?, &data)
        .map(|p| p.to_vec())
        .ok_or(ImportError::Tampered {
            format: f,
            reason: "the database's AES-GCM tag does not match".into(),
        })
}

// ---------------------------------------------------------------------------------------------
// Google Authenticator

pub(super) fn google(text: &str) -> Result<Parsed, ImportError> {
    let f = Format::Google;
    let mut parsed = Parsed::default();
    let mut batches = 0;
    for (line_no, line) in text.lines().enumerate() {
        let line = line.trim();
        if !line.starts_with("otpauth-migration://") {
            continue;
        }
        batches += 1;
        match migration::decode(line) {
            Ok(batch) => {
                for (i, uri) in batch.accounts.into_iter().enumerate() {
                    let source = format!("line {}, account {}", line_no + 1, i + 1);
                    parsed.push(source, Ok(from_key_uri(uri)));
                }
            }
            Err(e) => parsed.errors.push(super::EntryError {
                source: format!("line {}", line_no + 1),
                reason: e.to_string(),
            }),
        }
    }
    if batches == 0 {
        return Err(malformed(f, "no otpauth-migration:// URI in the file"));
    }
    Ok(parsed)
}

fn from_key_uri(uri: KeyUri) -> Candidate {
    Candidate {
        issuer: uri.issuer.unwrap_or_default(),
        name: uri.account,
        otp: uri.otp,
        group: None,
        favourite: false,
        icon: uri.image,
    }
}

// ---------------------------------------------------------------------------------------------
// 2FAS

/// 2FAS's PBKDF2 iteration count.
pub(crate) const TWO_FAS_ITERATIONS: u32 = 10_000;

pub(super) fn two_fas(text: &str, credentials: &Credentials) -> Result<Parsed, ImportError> {
    let f = Format::TwoFas;
    let root = json(text, f)?;
    let plain = root
        .get("services")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let encrypted = s(&root, "servicesEncrypted").filter(|e| !e.is_empty());
    let services = match (plain.is_empty(), encrypted) {
        (true, Some(sealed)) => {
            let password = credentials
                .password
                .as_ref()
                .ok_or(ImportError::PasswordRequired { format: f })?;
            let parts: Vec<&str> = sealed.split(':').collect();
            let [data, salt, iv] = parts[..] else {
                return Err(malformed(f, "servicesEncrypted is not data:salt:iv"));
            };
            let b64 = |t: &str| {
                base64::engine::general_purpose::STANDARD
                    .decode(t)
                    .map_err(|_| malformed(f, "servicesEncrypted is not base64"))
            };
            let key = crypto::pbkdf2_sha256(password.as_bytes(), &b64(salt)?, TWO_FAS_ITERATIONS);
            let plaintext = crypto::gcm_open(&key[..], &b64(iv)?, &b64(data)?)
                .ok_or(ImportError::WrongPassword { format: f })?;
            let value: Value = serde_json::from_slice(&plaintext)
                .map_err(|e| malformed(f, format!("the decrypted services are not JSON ({e})")))?;
            value
                .as_array()
                .cloned()
                .ok_or_else(|| malformed(f, "the decrypted services are not a list"))?
        }
        _ if root.get("services").is_some() => plain,
        _ => return Err(malformed(f, "no services list")),
    };
    let mut parsed = Parsed::default();
    for (i, svc) in services.iter().enumerate() {
        let otp = svc.get("otp").cloned().unwrap_or(Value::Null);
        let issuer = s(&otp, "issuer")
            .filter(|i| !i.is_empty())
            .or_else(|| s(svc, "name"))
            .unwrap_or_default();
        let name = s(&otp, "account")
            .filter(|a| !a.is_empty())
            .or_else(|| s(&otp, "label"))
            .unwrap_or_default();
        let c = (|| {
            candidate(
                issuer,
                name,
                RawOtp {
                    kind: s(&otp, "tokenType").unwrap_or("TOTP"),
                    secret: Some(base32(svc, "secret")?),
                    algorithm: s(&otp, "algorithm"),
                    digits: int(&otp, "digits"),
                    period: int(&otp, "period"),
                    counter: int(&otp, "counter"),
                },
            )
        })();
        parsed.push(label(issuer, name, i), c);
    }
    Ok(parsed)
}

// ---------------------------------------------------------------------------------------------
// andOTP

pub(super) fn and_otp(text: &str) -> Result<Parsed, ImportError> {
    let f = Format::AndOtp;
    let root = json(text, f)?;
    let entries = root
        .as_array()
        .ok_or_else(|| malformed(f, "expected a JSON list of entries (is it an encrypted andOTP backup? export it unencrypted)"))?;
    let mut parsed = Parsed::default();
    for (i, e) in entries.iter().enumerate() {
        let raw_label = s(e, "label").unwrap_or_default();
        let mut issuer = s(e, "issuer").unwrap_or_default();
        let mut name = raw_label;
        if issuer.is_empty() {
            if let Some((i, n)) = raw_label.split_once(':') {
                issuer = i;
                name = n;
            }
        }
        let c = (|| {
            let mut c = candidate(
                issuer,
                name,
                RawOtp {
                    kind: s(e, "type").unwrap_or("TOTP"),
                    secret: Some(base32(e, "secret")?),
                    algorithm: s(e, "algorithm"),
                    digits: int(e, "digits"),
                    period: int(e, "period"),
                    counter: int(e, "counter"),
                },
            )?;
            c.group = e
                .get("tags")
                .and_then(Value::as_array)
                .and_then(|t| t.first())
                .and_then(Value::as_str)
                .map(str::to_owned);
            Ok(c)
        })();
        parsed.push(label(issuer, name, i), c);
    }
    Ok(parsed)
}

// ---------------------------------------------------------------------------------------------
// Bitwarden

/// Reads Bitwarden's `totp` field.
fn bitwarden_totp(totp: &str, item_name: &str, username: &str) -> Result<Candidate, String> {
    let totp = totp.trim();
    if totp.starts_with("otpauth://") {
        let uri = KeyUri::parse(totp).map_err(|e| format!("the TOTP URI is invalid: {e}"))?;
        let mut c = from_key_uri(uri);
        if c.issuer.is_empty() {
            c.issuer = item_name.to_owned();
        }
        if c.name.is_empty() {
            c.name = username.to_owned();
        }
        return Ok(c);
    }
    let (kind, secret) = match totp.strip_prefix("steam://") {
        Some(rest) => ("steam", rest),
        None => ("totp", totp),
    };
    let secret = Secret::from_base32(secret)
        .map_err(|e| format!("the TOTP secret is not valid base32: {e}"))?;
    candidate(
        item_name,
        username,
        RawOtp {
            kind,
            secret: Some(secret),
            ..RawOtp::default()
        },
    )
}

pub(super) fn bitwarden(text: &str) -> Result<Parsed, ImportError> {
    let f = Format::Bitwarden;
    let root = json(text, f)?;
    if root.get("encrypted").and_then(Value::as_bool) == Some(true) {
        return Err(ImportError::Unsupported {
            format: f,
            what: "encrypted Bitwarden exports: export as unencrypted JSON".into(),
        });
    }
    let items = root
        .get("items")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed(f, "no items list"))?;
    let mut parsed = Parsed::default();
    for (i, item) in items.iter().enumerate() {
        let Some(login) = item.get("login") else {
            continue;
        };
        let Some(totp) = s(login, "totp").filter(|t| !t.trim().is_empty()) else {
            continue;
        };
        let name = s(item, "name").unwrap_or_default();
        let username = s(login, "username").unwrap_or_default();
        parsed.push(
            label(name, username, i),
            bitwarden_totp(totp, name, username),
        );
    }
    Ok(parsed)
}

pub(super) fn bitwarden_csv(text: &str) -> Result<Parsed, ImportError> {
    let f = Format::BitwardenCsv;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| malformed(f, format!("unreadable header: {e}")))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.trim() == name);
    let totp_col = column("login_totp").ok_or_else(|| malformed(f, "no login_totp column"))?;
    let name_col = column("name");
    let user_col = column("login_username");
    let mut parsed = Parsed::default();
    for record in reader.records() {
        let record = record.map_err(|e| malformed(f, e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        let Some(totp) = record.get(totp_col).filter(|t| !t.trim().is_empty()) else {
            continue;
        };
        let name = name_col.and_then(|c| record.get(c)).unwrap_or_default();
        let user = user_col.and_then(|c| record.get(c)).unwrap_or_default();
        parsed.push(format!("line {line}"), bitwarden_totp(totp, name, user));
    }
    Ok(parsed)
}

// ---------------------------------------------------------------------------------------------
// FreeOTP+

pub(super) fn freeotp_plus(text: &str) -> Result<Parsed, ImportError> {
    let f = Format::FreeOtpPlus;
    let root = json(text, f)?;
    let tokens = root
        .get("tokens")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed(f, "no tokens list"))?;
    let mut parsed = Parsed::default();
    for (i, t) in tokens.iter().enumerate() {
        let issuer = s(t, "issuerExt")
            .or_else(|| s(t, "issuerInt"))
            .unwrap_or_default();
        let name = s(t, "label").unwrap_or_default();
        let c = (|| {
            let bytes = t
                .get("secret")
                .and_then(Value::as_array)
                .ok_or("the secret is missing")?
                .iter()
                .map(|b| {
                    b.as_i64()
                        .filter(|b| (-128..=255).contains(b))
                        // Java bytes are signed: -1 is 0xff.
                        .map(|b| (b & 0xff) as u8)
                        .ok_or_else(|| "the secret is not a list of bytes".to_owned())
                })
                .collect::<Result<Vec<u8>, String>>()?;
            candidate(
                issuer,
                name,
                RawOtp {
                    kind: s(t, "type").unwrap_or("TOTP"),
                    secret: Some(Secret::from_bytes(bytes)),
                    algorithm: s(t, "algo"),
                    digits: int(t, "digits"),
                    period: int(t, "period"),
                    counter: int(t, "counter"),
                },
            )
        })();
        parsed.push(label(issuer, name, i), c);
    }
    Ok(parsed)
}

// ---------------------------------------------------------------------------------------------
// otpauth:// lists (Ente Auth's plaintext export is one)

pub(super) fn otpauth_lines(text: &str, format: Format) -> Result<Parsed, ImportError> {
    let mut parsed = Parsed::default();
    let mut seen = 0;
    for (line_no, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        seen += 1;
        let source = format!("line {}", line_no + 1);
        if !line.starts_with("otpauth://") {
            parsed.push(source, Err("not an otpauth:// URI".into()));
            continue;
        }
        parsed.push(
            source,
            KeyUri::parse(line)
                .map(from_key_uri)
                .map_err(|e| e.to_string()),
        );
    }
    if seen == 0 {
        return Err(malformed(format, "the file has no otpauth:// URIs"));
    }
    Ok(parsed)
}

// ---------------------------------------------------------------------------------------------
// Authenticator Pro

pub(super) fn authenticator_pro(text: &str) -> Result<Parsed, ImportError> {
    let f = Format::AuthenticatorPro;
    let root = json(text, f)?;
    let entries = root
        .get("Authenticators")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            malformed(
                f,
                "no Authenticators list (is the backup encrypted? export it unencrypted)",
            )
        })?;
    let mut parsed = Parsed::default();
    for (i, e) in entries.iter().enumerate() {
        let issuer = s(e, "Issuer").unwrap_or_default();
        let name = s(e, "Username").unwrap_or_default();
        let c = (|| {
            let kind = match int(e, "Type") {
                Some(1) => "hotp",
                Some(2) => "totp",
                Some(4) => "steam",
                Some(3) => "mOTP",
                Some(5) => "Yandex",
                other => return Err(format!("unknown type {other:?}")),
            };
            let algorithm = match int(e, "Algorithm") {
                None | Some(0) => "SHA1",
                Some(1) => "SHA256",
                Some(2) => "SHA512",
                Some(other) => return Err(format!("unknown algorithm {other}")),
            };
            candidate(
                issuer,
                name,
                RawOtp {
                    kind,
                    secret: Some(base32(e, "Secret")?),
                    algorithm: Some(algorithm),
                    digits: int(e, "Digits"),
                    period: int(e, "Period"),
                    counter: int(e, "Counter"),
                },
            )
        })();
        parsed.push(label(issuer, name, i), c);
    }
    Ok(parsed)
}
