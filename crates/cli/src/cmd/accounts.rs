//! `countersign add | list | show | rename | remove`.

use countersign_core::account::{Account, AccountPatch};
use countersign_oath::{Algorithm, Digits, KeyUri, Kind, Otp, Period, Secret};
use serde::Serialize;

use crate::ctx::confirm;
use crate::select::{self, display_name};
use crate::{CliError, Ctx};

/// The kind of account `add` creates from fields.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtpType {
    /// Time-based codes (RFC 6238).
    Totp,
    /// Counter-based codes (RFC 4226).
    Hotp,
    /// Steam Guard codes.
    Steam,
}

/// `countersign add`
#[derive(clap::Args, Debug)]
pub struct AddArgs {
    /// An otpauth:// URI ("-" reads it from standard input, which keeps it out of shell history).
    #[arg(long, conflicts_with_all = ["issuer", "account", "secret", "otp_type", "algorithm", "digits", "period", "counter"])]
    pub uri: Option<String>,
    /// The service ("GitHub").
    #[arg(long)]
    pub issuer: Option<String>,
    /// The account at that service ("alice@example.com").
    #[arg(long)]
    pub account: Option<String>,
    /// The base32 secret ("-" reads it from standard input).
    #[arg(long)]
    pub secret: Option<String>,
    /// totp, hotp or steam.
    #[arg(long = "type", value_enum, default_value_t = OtpType::Totp)]
    pub otp_type: OtpType,
    /// SHA1, SHA256 or SHA512.
    #[arg(long, default_value = "SHA1")]
    pub algorithm: Algorithm,
    /// Code length, 6 to 10.
    #[arg(long, default_value_t = 6)]
    pub digits: u8,
    /// TOTP time step in seconds (1 s to 1 day).
    #[arg(long, default_value_t = 30)]
    pub period: u32,
    /// HOTP counter of the next code.
    #[arg(long, default_value_t = 0)]
    pub counter: u64,
}

/// `countersign list`
#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `countersign show`
#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    /// Account id, issuer or account name.
    pub query: String,
    /// Print the secret too (the URI then gives the account away: keep it private).
    #[arg(long)]
    pub reveal: bool,
}

/// `countersign rename`
#[derive(clap::Args, Debug)]
pub struct RenameArgs {
    /// Account id, issuer or account name.
    pub query: String,
    /// The new issuer.
    #[arg(long)]
    pub issuer: Option<String>,
    /// The new account name.
    #[arg(long)]
    pub account: Option<String>,
}

/// `countersign remove`
#[derive(clap::Args, Debug)]
pub struct RemoveArgs {
    /// Account id, issuer or account name.
    pub query: String,
    /// Do not ask.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// Adds one account.
pub fn add(ctx: &Ctx, args: &AddArgs) -> Result<(), CliError> {
    let key = match &args.uri {
        Some(uri) => {
            let text = if uri == "-" {
                ctx.read_stdin_line("the URI")?
            } else {
                uri.clone()
            };
            KeyUri::parse(text.trim())
                .map_err(|e| CliError::input(format!("the URI is not valid: {e}")))?
        }
        None => key_from_fields(ctx, args)?,
    };
    let mut vault = ctx.open_vault()?;
    let account = Account::from_key_uri(key, super::now());
    let name = display_name(&account);
    let id = vault.add_account(account)?;
    eprintln!("Added {name}");
    println!("{id}");
    Ok(())
}

fn key_from_fields(ctx: &Ctx, args: &AddArgs) -> Result<KeyUri, CliError> {
    let secret_text = match args.secret.as_deref() {
        Some("-") => ctx.read_stdin_line("the secret")?,
        Some(s) => s.to_owned(),
        None => {
            return Err(CliError::usage(
                "give --uri, or --secret with --issuer/--account",
            ))
        }
    };
    let secret =
        Secret::from_base32(&secret_text).map_err(|e| CliError::input(format!("--secret: {e}")))?;
    let account = args.account.clone().unwrap_or_default();
    if account.is_empty() && args.issuer.as_deref().unwrap_or("").is_empty() {
        return Err(CliError::usage(
            "give --account or --issuer so the account can be told apart",
        ));
    }
    let otp = match args.otp_type {
        OtpType::Steam => Otp::new_steam(secret),
        OtpType::Totp | OtpType::Hotp => {
            let digits =
                Digits::new(args.digits).map_err(|e| CliError::input(format!("--digits: {e}")))?;
            if args.otp_type == OtpType::Totp {
                let period = Period::new(args.period)
                    .map_err(|e| CliError::input(format!("--period: {e}")))?;
                Otp::new_totp(secret, args.algorithm, digits, period)
            } else {
                Otp::new_hotp(secret, args.algorithm, digits, args.counter)
            }
        }
    };
    Ok(KeyUri {
        otp,
        issuer: args.issuer.clone(),
        account,
        image: None,
        extra: Vec::new(),
    })
}

/// What `list --json` prints for an account: never the secret.
#[derive(Serialize)]
pub struct AccountSummary<'a> {
    id: String,
    issuer: &'a str,
    account: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    algorithm: String,
    digits: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    period: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    counter: Option<u64>,
    group: Option<&'a str>,
    favourite: bool,
}

impl<'a> AccountSummary<'a> {
    /// The summary of one account.
    pub fn of(a: &'a Account) -> Self {
        let (kind, period, counter) = match a.otp.kind {
            Kind::Totp { period } => ("totp", Some(u32::from(period)), None),
            Kind::Hotp { counter } => ("hotp", None, Some(counter)),
            Kind::Steam { period } => ("steam", Some(u32::from(period)), None),
        };
        AccountSummary {
            id: a.id.to_string(),
            issuer: &a.issuer,
            account: &a.name,
            kind,
            algorithm: a.otp.algorithm.to_string(),
            digits: a.otp.code_length() as u8,
            period,
            counter,
            group: a.group.as_deref(),
            favourite: a.favourite,
        }
    }
}

/// Lists accounts.
pub fn list(ctx: &Ctx, _args: &ListArgs) -> Result<(), CliError> {
    let vault = ctx.open_vault()?;
    let accounts = vault.accounts();
    if ctx.json {
        let list: Vec<AccountSummary> = accounts.iter().map(AccountSummary::of).collect();
        return ctx.print_json(&list);
    }
    if accounts.is_empty() {
        eprintln!("No accounts yet: `countersign add --uri 'otpauth://...'` adds one.");
        return Ok(());
    }
    let width = accounts
        .iter()
        .map(|a| a.issuer.chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    for a in accounts {
        let s = AccountSummary::of(a);
        let star = if a.favourite { "*" } else { " " };
        println!(
            "{star} {:<width$}  {}  [{}]  {}",
            a.issuer, a.name, s.kind, a.id
        );
    }
    Ok(())
}

/// Shows one account's URI.
pub fn show(ctx: &Ctx, args: &ShowArgs) -> Result<(), CliError> {
    let vault = ctx.open_vault()?;
    let id = select::one(&vault, &args.query)?;
    let account = vault.account(id)?;
    let uri = account.to_key_uri().to_uri();
    if args.reveal {
        println!("{uri}");
    } else {
        println!("{}", hide_secret(&uri));
        eprintln!("(secret hidden; --reveal shows it)");
    }
    Ok(())
}

/// Replaces the value of the `secret` query parameter with `HIDDEN`.
fn hide_secret(uri: &str) -> String {
    let Some((head, query)) = uri.split_once('?') else {
        return uri.to_owned();
    };
    let params: Vec<String> = query
        .split('&')
        .map(|p| {
            if p.starts_with("secret=") {
                "secret=HIDDEN".to_owned()
            } else {
                p.to_owned()
            }
        })
        .collect();
    format!("{head}?{}", params.join("&"))
}

/// Renames one account.
pub fn rename(ctx: &Ctx, args: &RenameArgs) -> Result<(), CliError> {
    if args.issuer.is_none() && args.account.is_none() {
        return Err(CliError::usage(
            "give --issuer and/or --account: the new name",
        ));
    }
    let mut vault = ctx.open_vault()?;
    let id = select::one(&vault, &args.query)?;
    let patch = AccountPatch {
        issuer: args.issuer.clone(),
        name: args.account.clone(),
        ..AccountPatch::default()
    };
    vault.update_account(id, patch)?;
    eprintln!("Renamed to {}", display_name(vault.account(id)?));
    Ok(())
}

/// Removes one account, after asking.
pub fn remove(ctx: &Ctx, args: &RemoveArgs) -> Result<(), CliError> {
    let mut vault = ctx.open_vault()?;
    let id = select::one(&vault, &args.query)?;
    let name = display_name(vault.account(id)?);
    if !args.yes {
        if !ctx.interactive() {
            return Err(CliError::usage(format!(
                "not removing {name} without confirmation: pass --yes"
            )));
        }
        let question = format!("Remove {name}? Its codes will be gone from this vault.");
        if !confirm(&question)? {
            eprintln!("Kept {name}.");
            return Ok(());
        }
    }
    vault.remove_account(id)?;
    eprintln!("Removed {name}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::hide_secret;

    #[test]
    fn hide_secret_replaces_only_the_secret_parameter() {
        let uri = "otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP&issuer=A&digits=6";
        assert_eq!(
            hide_secret(uri),
            "otpauth://totp/A:b?secret=HIDDEN&issuer=A&digits=6"
        );
    }
}
