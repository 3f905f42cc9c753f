//! Imports from other authenticators and from token files.
//!
//! The flow the CLI and the app share:
//!
//! 1. [`preview`] reads a file (format detected, or chosen with [`Format`]), decrypts it with
//!    the user's password or key when it is encrypted, and turns every entry into a candidate
//!    [`Account`]. Entries that cannot be imported are listed in [`Preview::errors`] with
//!    where they are in the file; they do not stop the rest. Candidates that are already in
//!    the vault (same secret, issuer and account name) are marked.
//! 2. The user looks at [`Preview::entries`] (serialisable, no secrets) and chooses.
//! 3. [`apply`] adds the chosen candidates with a single vault save: all of them, or none
//!    when the save fails.
//!
//! Formats: PSKC (RFC 6030) and CSV token files (via `countersign_oath`), Aegis JSON (plain
//! and password-encrypted), Google Authenticator transfer URIs (any number of batches), 2FAS
//! (plain and encrypted), andOTP JSON, Bitwarden JSON and CSV, FreeOTP+ JSON, Ente Auth's
//! plaintext export, Authenticator Pro JSON, and a text file of `otpauth://` URIs. Each
//! reader's module documents the layout it reads.

mod apps;
pub(crate) mod crypto;
mod tokens;

use std::fmt;
use std::str::FromStr;

use countersign_oath::{Algorithm, Digits, Kind, Otp, Period, Secret};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::account::{Account, AccountId};
use crate::password::Password;
use crate::vault::Vault;

/// A file format [`preview`] can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Format {
    /// PSKC (RFC 6030) XML token file.
    Pskc,
    /// CSV token file: serial, secret, time interval.
    Csv,
    /// Aegis JSON vault export (plain or encrypted).
    Aegis,
    /// Google Authenticator `otpauth-migration://` transfer URIs, one per line.
    Google,
    /// 2FAS `.2fas` backup (plain or encrypted).
    #[serde(rename = "2fas")]
    TwoFas,
    /// andOTP JSON backup (plain).
    AndOtp,
    /// Bitwarden JSON export (unencrypted).
    Bitwarden,
    /// Bitwarden CSV export.
    BitwardenCsv,
    /// FreeOTP+ JSON backup.
    FreeOtpPlus,
    /// Ente Auth plaintext export (`otpauth://` URIs, one per line).
    Ente,
    /// Authenticator Pro JSON backup (unencrypted).
    AuthenticatorPro,
    /// A text file of `otpauth://` URIs, one per line.
    Otpauth,
}

impl Format {
    /// Every format, in the order `--format` lists them.
    pub const ALL: [Format; 12] = [
        Format::Pskc,
        Format::Csv,
        Format::Aegis,
        Format::Google,
        Format::TwoFas,
        Format::AndOtp,
        Format::Bitwarden,
        Format::BitwardenCsv,
        Format::FreeOtpPlus,
        Format::Ente,
        Format::AuthenticatorPro,
        Format::Otpauth,
    ];

    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Format::Pskc => "pskc",
            Format::Csv => "csv",
            Format::Aegis => "aegis",
            Format::Google => "google",
            Format::TwoFas => "2fas",
            Format::AndOtp => "andotp",
            Format::Bitwarden => "bitwarden",
            Format::BitwardenCsv => "bitwarden-csv",
            Format::FreeOtpPlus => "freeotp-plus",
            Format::Ente => "ente",
            Format::AuthenticatorPro => "authenticator-pro",
            Format::Otpauth => "otpauth",
        }
    }

    /// Guesses the format from the file's content.
    pub fn detect(data: &[u8]) -> Option<Format> {
        let text = std::str::from_utf8(data).ok()?;
        let text = text.trim_start_matches('\u{feff}').trim_start();
        if text.starts_with('<') {
            return Some(Format::Pskc);
        }
        if text.starts_with('{') || text.starts_with('[') {
            return apps::detect_json(text);
        }
        if text.contains("otpauth-migration://") {
            return Some(Format::Google);
        }
        let first = text.lines().next().unwrap_or("");
        if first.contains("login_totp") {
            return Some(Format::BitwardenCsv);
        }
        if text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .any(|l| l.starts_with("otpauth://"))
        {
            return Some(Format::Otpauth);
        }
        if !text.is_empty() {
            return Some(Format::Csv);
        }
        None
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = ImportError;

    fn from_str(s: &str) -> Result<Format, ImportError> {
        let key = s.trim().to_ascii_lowercase().replace('_', "-");
        let alias = match key.as_str() {
            "freeotp+" | "freeotpplus" | "freeotp" => Some(Format::FreeOtpPlus),
            "authpro" | "authenticatorpro" => Some(Format::AuthenticatorPro),
            "twofas" => Some(Format::TwoFas),
            "google-authenticator" | "otpauth-migration" => Some(Format::Google),
            "uris" | "uri" | "txt" => Some(Format::Otpauth),
            "bitwarden-json" => Some(Format::Bitwarden),
            "ente-auth" => Some(Format::Ente),
            _ => None,
        };
        alias
            .or_else(|| Format::ALL.into_iter().find(|f| f.name() == key))
            .ok_or_else(|| ImportError::UnknownFormatName(s.to_owned()))
    }
}

/// Reads a pre-shared key given as hex digits (either case, whitespace ignored); `None` when it
/// is empty or not whole bytes of hex.
pub fn key_from_hex(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    crypto::unhex(text)
        .filter(|key| !key.is_empty())
        .map(Zeroizing::new)
}

/// What decrypts an encrypted import file.
#[derive(Default)]
pub struct Credentials {
    /// Password of an encrypted backup (Aegis, 2FAS) or of a password-based PSKC file.
    pub password: Option<Password>,
    /// Pre-shared key of an encrypted PSKC file.
    pub key: Option<Zeroizing<Vec<u8>>>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("password", &self.password.as_ref().map(|_| "..redacted.."))
            .field("key", &self.key.as_ref().map(|_| "..redacted.."))
            .finish()
    }
}

/// Why a whole import file was refused. Nothing is added to the vault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The format could not be recognised from the content.
    #[error("could not tell the file's format: choose one with --format ({names})", names = format_names())]
    UnknownFormat,
    /// `--format` named no known format.
    #[error("unknown format {0:?}: expected one of {names}", names = format_names())]
    UnknownFormatName(String),
    /// The file is not what its format says.
    #[error("not a valid {format} file: {reason}")]
    Malformed {
        /// The format it was read as.
        format: Format,
        /// What is wrong.
        reason: String,
    },
    /// The file is encrypted and needs a password.
    #[error("the {format} file is encrypted: supply its password")]
    PasswordRequired {
        /// The format.
        format: Format,
    },
    /// The file is encrypted with a pre-shared key (PSKC) and needs it.
    #[error("the PSKC file is encrypted with a pre-shared key{}: supply it with --key HEX", .key_name.as_ref().map(|n| format!(" named {n:?}")).unwrap_or_default())]
    KeyRequired {
        /// The `KeyName` the file gives.
        key_name: Option<String>,
    },
    /// Decryption failed: wrong password or key, or a damaged file.
    #[error("could not decrypt the {format} file: wrong password or key, or the file is damaged")]
    WrongPassword {
        /// The format.
        format: Format,
    },
    /// An integrity check (MAC) failed: the file was altered.
    #[error("the {format} file failed its integrity check ({reason}): it was altered or the key is wrong")]
    Tampered {
        /// The format.
        format: Format,
        /// Which check failed.
        reason: String,
    },
    /// The supplied key cannot be used (wrong length, not hex).
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// The file uses a feature this importer does not support.
    #[error("unsupported {format} file: {what}")]
    Unsupported {
        /// The format.
        format: Format,
        /// What is not supported.
        what: String,
    },
}

impl ImportError {
    /// A stable snake_case code the UI switches on.
    pub fn code(&self) -> &'static str {
        match self {
            ImportError::UnknownFormat | ImportError::UnknownFormatName(_) => "unknown_format",
            ImportError::Malformed { .. } => "malformed_file",
            ImportError::PasswordRequired { .. } => "password_required",
            ImportError::KeyRequired { .. } => "key_required",
            ImportError::WrongPassword { .. } => "wrong_password",
            ImportError::Tampered { .. } => "file_tampered",
            ImportError::InvalidKey(_) => "invalid_key",
            ImportError::Unsupported { .. } => "unsupported_file",
        }
    }
}

fn format_names() -> String {
    Format::ALL.map(Format::name).join(", ")
}

/// One entry of the file that will become an account (no secret: safe to show and serialise).
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct Entry {
    /// Position in [`Preview::entries`]; what [`Selection::only`] refers to.
    pub index: usize,
    /// Where in the file it came from ("line 3", "key 12345678", "entry 2").
    pub source: String,
    /// The service.
    pub issuer: String,
    /// The account name.
    pub name: String,
    /// `totp`, `hotp` or `steam`.
    pub kind: &'static str,
    /// `SHA1`, `SHA256` or `SHA512`.
    pub algorithm: String,
    /// Code length.
    pub digits: u8,
    /// TOTP/Steam period in seconds.
    pub period: Option<u32>,
    /// HOTP counter.
    pub counter: Option<u64>,
    /// Group/folder, if the file has one.
    pub group: Option<String>,
    /// The vault account this entry duplicates (same secret, issuer and name).
    pub duplicate_of: Option<AccountId>,
    /// The earlier entry of this file it repeats.
    pub repeats: Option<usize>,
}

/// An entry that could not be imported, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct EntryError {
    /// Where in the file ("line 4", "entry 7 (GitHub)").
    pub source: String,
    /// What is wrong.
    pub reason: String,
}

/// What an import would add: shown to the user before anything changes.
#[derive(Debug, Serialize)]
#[non_exhaustive]
pub struct Preview {
    /// The format the file was read as.
    pub format: Format,
    /// Importable entries.
    pub entries: Vec<Entry>,
    /// Entries that cannot be imported.
    pub errors: Vec<EntryError>,
    #[serde(skip)]
    accounts: Vec<Account>,
}

impl Preview {
    /// The candidate accounts, in entry order (they hold secrets: never show or log them).
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// Entries that duplicate an account in the vault or an earlier entry.
    pub fn duplicates(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e.duplicate_of.is_some() || e.repeats.is_some())
            .count()
    }
}

/// What to do with duplicates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Duplicates {
    /// Leave them out (the default).
    #[default]
    Skip,
    /// Add them anyway, as separate accounts.
    Keep,
}

/// The user's choice of what to add.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Selection {
    /// What to do with duplicates.
    #[serde(default)]
    pub duplicates: Duplicates,
    /// Only these entry indexes; `None` means all.
    #[serde(default)]
    pub only: Option<Vec<usize>>,
}

/// What an import did.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct ImportReport {
    /// Ids of the accounts added.
    pub added: Vec<AccountId>,
    /// Duplicates left out.
    pub skipped_duplicates: usize,
    /// Entries the selection left out.
    pub not_selected: usize,
    /// Entries that could not be imported.
    pub errors: Vec<EntryError>,
}

/// Reads `data` as `format` (or the detected one) and lists what it would add to a vault
/// holding `existing`. `now` (Unix seconds) becomes the accounts' creation time.
pub fn preview(
    data: &[u8],
    format: Option<Format>,
    credentials: &Credentials,
    existing: &[Account],
    now: i64,
) -> Result<Preview, ImportError> {
    let format = match format {
        Some(f) => f,
        None => Format::detect(data).ok_or(ImportError::UnknownFormat)?,
    };
    let text = std::str::from_utf8(data).map_err(|e| ImportError::Malformed {
        format,
        reason: format!("not UTF-8 text ({e})"),
    })?;
    let text = text.trim_start_matches('\u{feff}');
    let parsed = match format {
        Format::Pskc => tokens::pskc(text, credentials)?,
        Format::Csv => tokens::csv(text)?,
        Format::Aegis => apps::aegis(text, credentials)?,
        Format::Google => apps::google(text)?,
        Format::TwoFas => apps::two_fas(text, credentials)?,
        Format::AndOtp => apps::and_otp(text)?,
        Format::Bitwarden => apps::bitwarden(text)?,
        Format::BitwardenCsv => apps::bitwarden_csv(text)?,
        Format::FreeOtpPlus => apps::freeotp_plus(text)?,
        Format::Ente | Format::Otpauth => apps::otpauth_lines(text, format)?,
        Format::AuthenticatorPro => apps::authenticator_pro(text)?,
    };
    let mut entries = Vec::new();
    let mut accounts: Vec<Account> = Vec::new();
    for (candidate, source) in parsed.candidates.into_iter().zip(parsed.sources) {
        let account = candidate.into_account(now);
        let duplicate_of = existing
            .iter()
            .find(|a| a.is_duplicate_of(&account))
            .map(|a| a.id);
        let repeats = accounts.iter().position(|a| a.is_duplicate_of(&account));
        entries.push(entry_of(
            entries.len(),
            &account,
            duplicate_of,
            repeats,
            source,
        ));
        accounts.push(account);
    }
    Ok(Preview {
        format,
        entries,
        errors: parsed.errors,
        accounts,
    })
}

fn entry_of(
    index: usize,
    account: &Account,
    duplicate_of: Option<AccountId>,
    repeats: Option<usize>,
    source: String,
) -> Entry {
    let (kind, period, counter) = match account.otp.kind {
        Kind::Totp { period } => ("totp", Some(u32::from(period)), None),
        Kind::Hotp { counter } => ("hotp", None, Some(counter)),
        Kind::Steam { period } => ("steam", Some(u32::from(period)), None),
    };
    let digits = match account.otp.kind {
        Kind::Steam { .. } => countersign_oath::STEAM_CODE_LENGTH as u8,
        _ => u8::from(account.otp.digits),
    };
    Entry {
        index,
        source,
        issuer: account.issuer.clone(),
        name: account.name.clone(),
        kind,
        algorithm: account.otp.algorithm.to_string(),
        digits,
        period,
        counter,
        group: account.group.clone(),
        duplicate_of,
        repeats,
    }
}

/// Adds the selected entries of `preview` to `vault` with one save (all or none).
pub fn apply(
    vault: &mut Vault,
    preview: &Preview,
    selection: &Selection,
) -> Result<ImportReport, crate::Error> {
    let mut chosen = Vec::new();
    let mut skipped_duplicates = 0;
    let mut not_selected = 0;
    if let Some(only) = &selection.only {
        if let Some(bad) = only.iter().find(|i| **i >= preview.entries.len()) {
            return Err(crate::Error::InvalidInput(format!(
                "entry {bad} is not in the preview (it has {} entries)",
                preview.entries.len()
            )));
        }
    }
    for (entry, account) in preview.entries.iter().zip(&preview.accounts) {
        if selection
            .only
            .as_ref()
            .is_some_and(|only| !only.contains(&entry.index))
        {
            not_selected += 1;
            continue;
        }
        // Duplicates of the vault, or of an entry earlier in the file, are skipped unless kept.
        let duplicate = entry.duplicate_of.is_some()
            || vault.accounts().iter().any(|a| a.is_duplicate_of(account))
            || entry.repeats.is_some();
        if duplicate && selection.duplicates == Duplicates::Skip {
            skipped_duplicates += 1;
            continue;
        }
        let mut account = account.clone();
        account.id = AccountId::new_random();
        chosen.push(account);
    }
    let added = if chosen.is_empty() {
        Vec::new()
    } else {
        vault.add_accounts(chosen)?
    };
    Ok(ImportReport {
        added,
        skipped_duplicates,
        not_selected,
        errors: preview.errors.clone(),
    })
}

/// What a reader produced: candidates (with where each came from) and per-entry errors.
#[derive(Default)]
struct Parsed {
    candidates: Vec<Candidate>,
    sources: Vec<String>,
    errors: Vec<EntryError>,
}

impl Parsed {
    fn push(&mut self, source: String, candidate: Result<Candidate, String>) {
        match candidate {
            Ok(c) => {
                self.candidates.push(c);
                self.sources.push(source);
            }
            Err(reason) => self.errors.push(EntryError { source, reason }),
        }
    }
}

/// An account read from a file, before it gets an id.
struct Candidate {
    issuer: String,
    name: String,
    otp: Otp,
    group: Option<String>,
    favourite: bool,
    icon: Option<String>,
}

impl Candidate {
    fn into_account(self, now: i64) -> Account {
        Account {
            id: AccountId::new_random(),
            issuer: self.issuer,
            name: self.name,
            otp: self.otp,
            icon: self.icon,
            group: self.group,
            favourite: self.favourite,
            position: 0,
            created: now,
            last_used: None,
        }
    }
}

/// The OTP parameters every app format has, in loosely typed form, checked into an [`Otp`].
#[derive(Default)]
struct RawOtp<'a> {
    kind: &'a str,
    secret: Option<Secret>,
    algorithm: Option<&'a str>,
    digits: Option<i64>,
    period: Option<i64>,
    counter: Option<i64>,
}

impl RawOtp<'_> {
    fn build(self) -> Result<Otp, String> {
        let secret = self.secret.ok_or("the secret is missing")?;
        if secret.is_empty() {
            return Err("the secret is empty".into());
        }
        let kind = self.kind.to_ascii_lowercase();
        if !matches!(kind.as_str(), "totp" | "hotp" | "steam" | "") {
            return Err(format!(
                "{} codes are not supported (only TOTP, HOTP and Steam)",
                self.kind
            ));
        }
        // Steam's parameters are fixed (5 characters, SHA-1, 30 s) whatever the file says.
        if kind == "steam" {
            return Ok(Otp::new_steam(secret));
        }
        let algorithm = match self.algorithm.map(str::trim).filter(|a| !a.is_empty()) {
            None => Algorithm::Sha1,
            Some(a) => a
                .trim_start_matches("HMAC-")
                .replace('-', "")
                .parse::<Algorithm>()
                .map_err(|_| format!("algorithm {a:?} is not SHA1, SHA256 or SHA512"))?,
        };
        let digits = match self.digits {
            None => Digits::default(),
            Some(d) => u8::try_from(d)
                .ok()
                .and_then(|d| Digits::new(d).ok())
                .ok_or_else(|| format!("{d} digits is not supported (6 to 10)"))?,
        };
        let period = || -> Result<Period, String> {
            match self.period {
                None | Some(0) => Ok(Period::default()),
                Some(p) => u32::try_from(p)
                    .ok()
                    .and_then(|p| Period::new(p).ok())
                    .ok_or_else(|| format!("period {p} s is not supported (1 to 86400)")),
            }
        };
        match kind.as_str() {
            "totp" | "" => Ok(Otp::new_totp(secret, algorithm, digits, period()?)),
            "hotp" => {
                let counter = u64::try_from(self.counter.unwrap_or(0))
                    .map_err(|_| "the HOTP counter is negative".to_owned())?;
                Ok(Otp::new_hotp(secret, algorithm, digits, counter))
            }
            other => Err(format!(
                "{other} codes are not supported (only TOTP, HOTP and Steam)"
            )),
        }
    }
}
