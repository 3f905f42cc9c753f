//! `countersign import FILE [--format auto|pskc|csv|aegis|…] [--password-stdin] [--key HEX]
//! [--dry-run] [--keep-duplicates] [--json]`.
//!
//! Reads another app's export or a token file, prints what will be added (duplicates and
//! entries that cannot be imported are listed), then adds the entries in one vault save, or
//! nothing with `--dry-run`.

use std::path::PathBuf;

use countersign_core::import::{
    self, Credentials, Duplicates, Format, ImportError, Preview, Selection,
};
use countersign_core::Password;

use crate::{CliError, Ctx};

/// `countersign import`
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The file to import (`-` for standard input).
    pub file: PathBuf,
    /// The file's format; `auto` detects it.
    #[arg(
        long,
        default_value = "auto",
        value_name = "auto|pskc|csv|aegis|google|2fas|andotp|bitwarden|bitwarden-csv|freeotp-plus|ente|authenticator-pro|otpauth"
    )]
    pub format: String,
    /// Read the file's password (encrypted Aegis/2FAS backups, password-based PSKC) from the
    /// next line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
    /// The pre-shared key of an encrypted PSKC file, in hex.
    #[arg(long, value_name = "HEX")]
    pub key: Option<String>,
    /// Show what would be added and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Add entries that duplicate an account already in the vault (same secret, issuer and
    /// name); by default they are skipped.
    #[arg(long)]
    pub keep_duplicates: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs the import.
pub fn run(ctx: &Ctx, args: &Args) -> Result<(), CliError> {
    let data = if args.file.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)?;
        buf
    } else {
        std::fs::read(&args.file)
            .map_err(|e| CliError::not_found(format!("cannot read {}: {e}", args.file.display())))?
    };
    let format = match args.format.as_str() {
        "auto" => None,
        name => Some(
            name.parse::<Format>()
                .map_err(|e| CliError::usage(e.to_string()))?,
        ),
    };
    let key = args
        .key
        .as_deref()
        .map(|hex| {
            import::key_from_hex(hex).ok_or_else(|| {
                CliError::usage("--key must be hex (e.g. 12345678901234567890123456789012)")
            })
        })
        .transpose()?;
    let mut vault = ctx.open_vault()?;
    let mut credentials = Credentials {
        password: None,
        key,
    };
    if args.password_stdin {
        credentials.password = Some(Password::new(ctx.read_stdin_line("the file's password")?));
    }
    let now = super::now();
    let preview = match import::preview(&data, format, &credentials, vault.accounts(), now) {
        Err(ImportError::PasswordRequired { format })
            if credentials.password.is_none() && ctx.interactive() =>
        {
            credentials.password = Some(crate::ctx::prompt_password(&format!(
                "Password of the {format} file: "
            ))?);
            import::preview(&data, Some(format), &credentials, vault.accounts(), now)
        }
        other => other,
    }
    .map_err(import_error)?;
    let selection = Selection {
        duplicates: if args.keep_duplicates {
            Duplicates::Keep
        } else {
            Duplicates::Skip
        },
        only: None,
    };
    if args.dry_run {
        if args.json || ctx.json {
            return ctx.print_json(&preview);
        }
        print_preview(&preview, selection.duplicates);
        eprintln!("Dry run: nothing was added.");
        return Ok(());
    }
    let report = import::apply(&mut vault, &preview, &selection)?;
    if args.json || ctx.json {
        return ctx.print_json(&serde_json::json!({ "preview": preview, "report": report }));
    }
    print_preview(&preview, selection.duplicates);
    println!(
        "Added {} account(s) from the {} file; {} duplicate(s) skipped, {} entr{} could not be imported.",
        report.added.len(),
        preview.format,
        report.skipped_duplicates,
        report.errors.len(),
        if report.errors.len() == 1 { "y" } else { "ies" }
    );
    Ok(())
}

fn print_preview(preview: &Preview, duplicates: Duplicates) {
    println!(
        "{} file: {} entr{}",
        preview.format,
        preview.entries.len(),
        if preview.entries.len() == 1 {
            "y"
        } else {
            "ies"
        }
    );
    for e in &preview.entries {
        let label = if e.issuer.is_empty() {
            e.name.clone()
        } else {
            format!("{} ({})", e.issuer, e.name)
        };
        let params = match (e.period, e.counter) {
            (_, Some(c)) => format!("{} {} digits, counter {c}", e.kind.to_uppercase(), e.digits),
            (Some(p), _) => format!("{} {} digits, {p} s", e.kind.to_uppercase(), e.digits),
            _ => e.kind.to_uppercase(),
        };
        let mark = match (e.duplicate_of.is_some() || e.repeats.is_some(), duplicates) {
            (true, Duplicates::Skip) => "  [duplicate: skipped]",
            (true, Duplicates::Keep) => "  [duplicate: kept]",
            _ => "",
        };
        println!("  + {label}  {params} {}{mark}", e.algorithm);
    }
    for err in &preview.errors {
        println!("  ! {}: {}", err.source, err.reason);
    }
}

fn import_error(e: ImportError) -> CliError {
    match e {
        ImportError::UnknownFormatName(_) => CliError::usage(e.to_string()),
        ImportError::PasswordRequired { .. } => CliError::input(format!(
            "{e} (use --password-stdin, or run it in a terminal to be asked)"
        )),
        other => CliError::input(other.to_string()),
    }
}
