//! What crosses to the UI (and back) for accounts: views without secrets, and the forms.

use countersign_core::{Account, AccountId, AccountPatch};
use countersign_oath::{Algorithm, Digits, Kind, Otp, Period, Secret};
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{CommandError, CommandResult};

/// An account as the UI sees it: everything but the secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    /// The account id (UUID).
    pub id: String,
    /// The service.
    pub issuer: String,
    /// The account at the service.
    pub name: String,
    /// `totp`, `hotp` or `steam`.
    pub kind: &'static str,
    /// `SHA1`, `SHA256` or `SHA512`.
    pub algorithm: String,
    /// Code length (5 for Steam).
    pub digits: usize,
    /// Seconds per code (TOTP, Steam).
    pub period: Option<u32>,
    /// Next HOTP counter.
    pub counter: Option<u64>,
    /// Icon (a `data:image/...` URL the user chose, or a URL from the key URI).
    pub icon: Option<String>,
    /// Group name.
    pub group: Option<String>,
    /// Pinned first.
    pub favourite: bool,
    /// Custom order position.
    pub position: u32,
    /// Added at (Unix seconds).
    pub created: i64,
    /// Last copied at (Unix seconds).
    pub last_used: Option<i64>,
}

impl From<&Account> for AccountView {
    fn from(account: &Account) -> Self {
        let (kind, period, counter) = match account.otp.kind {
            Kind::Totp { period } => ("totp", Some(period.seconds()), None),
            Kind::Hotp { counter } => ("hotp", None, Some(counter)),
            Kind::Steam { period } => ("steam", Some(period.seconds()), None),
        };
        AccountView {
            id: account.id.to_string(),
            issuer: account.issuer.clone(),
            name: account.name.clone(),
            kind,
            algorithm: account.otp.algorithm.to_string(),
            digits: account.otp.code_length(),
            period,
            counter,
            icon: account.icon.clone(),
            group: account.group.clone(),
            favourite: account.favourite,
            position: account.position,
            created: account.created,
            last_used: account.last_used,
        }
    }
}

/// The current and the next code of a time-based account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeWindow {
    /// The account id.
    pub id: String,
    /// The code valid now.
    pub code: String,
    /// The code of the following period.
    pub next: String,
    /// Seconds per code.
    pub period: u32,
    /// Unix second at which `code` stops being valid.
    pub valid_until: u64,
}

impl CodeWindow {
    /// The window of a TOTP or Steam account at `now` (Unix seconds); `None` for HOTP.
    pub fn of(account: &Account, now: u64) -> Option<CodeWindow> {
        let period = account.otp.period()?.seconds();
        let valid_until = now - now % u64::from(period) + u64::from(period);
        Some(CodeWindow {
            id: account.id.to_string(),
            code: account.otp.code_at(now).as_str().to_owned(),
            next: account.otp.code_at(valid_until).as_str().to_owned(),
            period,
            valid_until,
        })
    }
}

/// The manual "add account" form, as typed. Numbers may be missing or not whole: the UI sends
/// what the user typed and [`NewAccount::parse`] says what is wrong, field by field.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NewAccount {
    /// The service.
    pub issuer: String,
    /// The account at the service.
    pub name: String,
    /// Base32 secret.
    pub secret: String,
    /// `totp`, `hotp` or `steam`.
    pub kind: String,
    /// `SHA1`, `SHA256` or `SHA512`.
    pub algorithm: String,
    /// Code length.
    pub digits: Option<f64>,
    /// Seconds per code (TOTP).
    pub period: Option<f64>,
    /// Starting counter (HOTP).
    pub counter: Option<f64>,
    /// Group name.
    pub group: Option<String>,
}

/// A problem with one field of a form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name in the form.
    pub field: &'static str,
    /// What is wrong with it.
    pub message: String,
}

impl NewAccount {
    /// Every problem with the form, one per field (empty when it can be saved).
    pub fn problems(&self) -> Vec<FieldError> {
        match self.parse(0) {
            Ok(_) => Vec::new(),
            Err(problems) => problems,
        }
    }

    /// The account the form describes, added at `now`, or every problem with it.
    pub fn parse(&self, now: i64) -> Result<Account, Vec<FieldError>> {
        let mut problems = Vec::new();
        let mut problem =
            |field: &'static str, message: String| problems.push(FieldError { field, message });

        let issuer = self.issuer.trim().to_owned();
        let name = self.name.trim().to_owned();
        if name.is_empty() {
            problem(
                "name",
                "enter the account name (often your e-mail address or user name)".into(),
            );
        }
        let secret = match Secret::from_base32(&self.secret) {
            Ok(secret) => Some(secret),
            Err(e) => {
                problem("secret", e.to_string());
                None
            }
        };
        let algorithm = match self.algorithm.parse::<Algorithm>() {
            Ok(a) => Some(a),
            Err(e) => {
                problem("algorithm", e.to_string());
                None
            }
        };
        let whole = |value: Option<f64>, max: f64| {
            value.filter(|v| v.fract() == 0.0 && (0.0..=max).contains(v))
        };
        let kind = self.kind.as_str();
        let digits = if kind == "steam" {
            Some(Digits::SIX)
        } else {
            match whole(self.digits, 255.0).map(|d| Digits::new(d as u8)) {
                Some(Ok(d)) => Some(d),
                Some(Err(e)) => {
                    problem("digits", e.to_string());
                    None
                }
                None => {
                    problem(
                        "digits",
                        "enter a whole number of digits from 6 to 10".into(),
                    );
                    None
                }
            }
        };
        let period = || match whole(self.period, f64::from(u32::MAX)).map(|p| Period::new(p as u32))
        {
            Some(Ok(p)) => Ok(p),
            Some(Err(e)) => Err(e.to_string()),
            None => Err("enter the period as a whole number of seconds".into()),
        };
        let otp_kind = match kind {
            "totp" => period()
                .map(|period| Kind::Totp { period })
                .map_err(|m| ("period", m)),
            "steam" => Ok(Kind::Steam {
                period: Period::THIRTY_SECONDS,
            }),
            // 2^53 is the largest counter a JS number carries exactly.
            "hotp" => whole(self.counter, 9_007_199_254_740_992.0)
                .map(|c| Kind::Hotp { counter: c as u64 })
                .ok_or((
                    "counter",
                    "enter the counter as a whole number, 0 or more".into(),
                )),
            other => Err((
                "kind",
                format!("unknown type {other:?}: choose TOTP, HOTP or Steam"),
            )),
        };
        let otp_kind = match otp_kind {
            Ok(k) => Some(k),
            Err((field, message)) => {
                problem(field, message);
                None
            }
        };
        let (Some(secret), Some(algorithm), Some(digits), Some(kind)) =
            (secret, algorithm, digits, otp_kind)
        else {
            return Err(problems);
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        let otp = match kind {
            Kind::Steam { .. } => Otp::new_steam(secret),
            kind => Otp {
                kind,
                algorithm,
                digits,
                secret,
            },
        };
        Ok(Account {
            id: AccountId::new_random(),
            issuer,
            name,
            otp,
            icon: None,
            group: self
                .group
                .as_deref()
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .map(str::to_owned),
            favourite: false,
            position: 0,
            created: now,
            last_used: None,
        })
    }
}

/// Largest icon accepted, in bytes of its data URL (icons are scaled to 64 px by the UI).
pub const MAX_ICON_BYTES: usize = 256 * 1024;

/// An edit from the UI: absent fields stay; `null` clears `group` or `icon`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PatchInput {
    /// New issuer.
    pub issuer: Option<String>,
    /// New account name.
    pub name: Option<String>,
    /// New group, or `null` for none.
    #[serde(deserialize_with = "present")]
    pub group: Option<Option<String>>,
    /// New favourite flag.
    pub favourite: Option<bool>,
    /// New icon (`data:image/...`), or `null` for initials.
    #[serde(deserialize_with = "present")]
    pub icon: Option<Option<String>>,
}

/// Tells a field that is present (even as `null`) from one that is absent.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

impl PatchInput {
    /// The core patch, with names trimmed and the icon checked.
    pub fn into_patch(self) -> CommandResult<AccountPatch> {
        let issuer = self.issuer.map(|s| s.trim().to_owned());
        let name = self.name.map(|s| s.trim().to_owned());
        if name.as_deref() == Some("") {
            return Err(CommandError::field(
                "name",
                "the account name cannot be empty",
            ));
        }
        let group = self
            .group
            .map(|g| g.map(|g| g.trim().to_owned()).filter(|g| !g.is_empty()));
        if let Some(Some(icon)) = &self.icon {
            if !icon.starts_with("data:image/") {
                return Err(CommandError::field("icon", "the icon must be an image"));
            }
            if icon.len() > MAX_ICON_BYTES {
                return Err(CommandError::field(
                    "icon",
                    format!(
                        "the icon is too large ({} KiB; at most {} KiB)",
                        icon.len() / 1024,
                        MAX_ICON_BYTES / 1024
                    ),
                ));
            }
        }
        Ok(AccountPatch {
            issuer,
            name,
            group,
            favourite: self.favourite,
            icon: self.icon,
        })
    }
}

/// Parses an account id sent by the UI.
pub fn account_id(id: &str) -> CommandResult<AccountId> {
    id.parse::<AccountId>().map_err(CommandError::from)
}
