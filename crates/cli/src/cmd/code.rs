//! `countersign code [QUERY] [--at T] [--watch] [--json]`.

use std::io::Write;
use std::time::Duration;

use countersign_core::account::Account;
use countersign_core::vault::Vault;
use countersign_oath::Kind;
use serde::Serialize;

use crate::select::{self, display_name};
use crate::{CliError, Ctx};

/// `countersign code`
#[derive(clap::Args, Debug)]
pub struct CodeArgs {
    /// Account id, issuer or account name; without it, every time-based account.
    pub query: Option<String>,
    /// Compute time-based codes at this Unix time instead of now.
    #[arg(long, value_name = "UNIX_SECONDS")]
    pub at: Option<u64>,
    /// Keep refreshing, with the seconds left (Ctrl+C stops).
    #[arg(long, conflicts_with_all = ["json", "at"])]
    pub watch: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// One code as `--json` prints it.
#[derive(Serialize)]
struct CodeJson<'a> {
    id: String,
    issuer: &'a str,
    account: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    /// `null` for an HOTP account listed among others (its counter only moves when asked for).
    code: Option<String>,
    /// Seconds until a time-based code changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    seconds_left: Option<u32>,
    /// The counter an HOTP code was computed from.
    #[serde(skip_serializing_if = "Option::is_none")]
    counter: Option<u64>,
}

/// Prints codes.
pub fn run(ctx: &Ctx, args: &CodeArgs) -> Result<(), CliError> {
    let mut vault = ctx.open_vault()?;
    let now = args.at.unwrap_or_else(|| super::now().max(0) as u64);
    let selected = match &args.query {
        None => None,
        Some(q) => match select::one(&vault, q) {
            Ok(id) => Some(vec![id]),
            // Several matches: show them all (time-based codes only), like the full list.
            Err(e) if e.exit == crate::ExitCode::Usage => {
                Some(vault.find(q).iter().map(|a| a.id).collect())
            }
            Err(e) => return Err(e),
        },
    };

    if args.watch {
        return watch(&vault, selected.as_deref());
    }

    // Exactly one account asked for: print its code alone (HOTP: use the counter, then advance).
    if let Some([id]) = selected.as_deref() {
        let account = vault.account(*id)?.clone();
        let (code, counter) = match account.otp.kind {
            Kind::Hotp { counter } => (vault.next_hotp(*id)?, Some(counter)),
            _ => (account.otp.code_at(now), None),
        };
        if ctx.json {
            return ctx.print_json(&CodeJson {
                id: account.id.to_string(),
                issuer: &account.issuer,
                account: &account.name,
                kind: kind_name(&account),
                code: Some(code.as_str().to_owned()),
                seconds_left: account.otp.seconds_left(now),
                counter,
            });
        }
        println!("{code}");
        return Ok(());
    }

    let accounts: Vec<&Account> = match &selected {
        None => vault.accounts().iter().collect(),
        Some(ids) => vault
            .accounts()
            .iter()
            .filter(|a| ids.contains(&a.id))
            .collect(),
    };
    if ctx.json {
        let rows: Vec<CodeJson> = accounts.iter().map(|a| code_row(a, now)).collect();
        return ctx.print_json(&rows);
    }
    print_table(&accounts, now, &mut std::io::stdout())?;
    Ok(())
}

fn code_row(a: &Account, now: u64) -> CodeJson<'_> {
    let hotp = matches!(a.otp.kind, Kind::Hotp { .. });
    CodeJson {
        id: a.id.to_string(),
        issuer: &a.issuer,
        account: &a.name,
        kind: kind_name(a),
        code: (!hotp).then(|| a.otp.code_at(now).as_str().to_owned()),
        seconds_left: a.otp.seconds_left(now),
        counter: None,
    }
}

fn kind_name(a: &Account) -> &'static str {
    match a.otp.kind {
        Kind::Totp { .. } => "totp",
        Kind::Hotp { .. } => "hotp",
        Kind::Steam { .. } => "steam",
    }
}

/// Groups a code for reading: `123456` → `123 456`, `12345678` → `1234 5678`.
pub fn grouped(code: &str) -> String {
    let n = code.chars().count();
    let split = match n {
        6 | 9 => 3,
        8 | 10 => n / 2,
        7 => 4,
        _ => return code.to_owned(),
    };
    let mut out = String::with_capacity(n + 2);
    for (i, c) in code.chars().enumerate() {
        if i > 0 && i % split == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

fn print_table(accounts: &[&Account], now: u64, out: &mut impl Write) -> Result<(), CliError> {
    if accounts.is_empty() {
        writeln!(
            out,
            "No accounts yet: `countersign add --uri 'otpauth://...'` adds one."
        )?;
        return Ok(());
    }
    let width = accounts
        .iter()
        .map(|a| display_name(a).chars().count())
        .max()
        .unwrap_or(0);
    for a in accounts {
        let name = display_name(a);
        match a.otp.kind {
            Kind::Hotp { .. } => writeln!(
                out,
                "{name:<width$}  (HOTP: `countersign code {}` makes the next code)",
                a.id
            )?,
            _ => {
                let code = a.otp.code_at(now);
                let left = a.otp.seconds_left(now).unwrap_or(0);
                writeln!(
                    out,
                    "{name:<width$}  {:<11}  {left:>3} s",
                    grouped(code.as_str())
                )?;
            }
        }
    }
    Ok(())
}

fn watch(
    vault: &Vault,
    ids: Option<&[countersign_core::account::AccountId]>,
) -> Result<(), CliError> {
    let accounts: Vec<&Account> = match ids {
        None => vault.accounts().iter().collect(),
        Some(ids) => vault
            .accounts()
            .iter()
            .filter(|a| ids.contains(&a.id))
            .collect(),
    };
    let mut stdout = std::io::stdout();
    loop {
        let now = super::now().max(0) as u64;
        let mut frame = Vec::new();
        print_table(&accounts, now, &mut frame)?;
        // Clear the screen and home the cursor, then draw the frame.
        write!(stdout, "\x1b[2J\x1b[H")?;
        stdout.write_all(&frame)?;
        writeln!(stdout, "\n(Ctrl+C stops)")?;
        stdout.flush()?;
        std::thread::sleep(Duration::from_millis(1000));
    }
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn codes_are_grouped_for_reading() {
        assert_eq!(grouped("123456"), "123 456");
        assert_eq!(grouped("12345678"), "1234 5678");
        assert_eq!(grouped("1234567"), "1234 567");
        assert_eq!(grouped("123456789"), "123 456 789");
        assert_eq!(grouped("1234567890"), "12345 67890");
        assert_eq!(grouped("2BC4D"), "2BC4D");
    }
}
