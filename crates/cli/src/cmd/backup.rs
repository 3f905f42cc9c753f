//! `countersign backup now | list | restore`: versioned encrypted backups in a folder.
//!
//! A backup is a Countersign vault with a password slot only (no keystore), so it opens on any
//! machine with its password: `countersign --vault BACKUP list` reads it directly, and
//! `backup restore` adds its accounts back into the current vault. `backup now` keeps the newest
//! `--keep` backups; `backup list` says whether the accounts changed since the newest one (the
//! reminder a scheduled job or the app shows).

use std::path::{Path, PathBuf};

use clap::Subcommand;
use countersign_core::export::backup::Backups;
use countersign_core::vault::{Unlock, Vault};
use countersign_core::Password;
use serde::Serialize;

use crate::{CliError, Ctx};

/// `countersign backup ...`
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: BackupCommand,
}

#[derive(Subcommand, Debug)]
enum BackupCommand {
    /// Write a new encrypted backup into the folder, then delete the oldest beyond --keep.
    Now(NowArgs),
    /// List the backups in the folder and whether the accounts changed since the newest.
    List(ListArgs),
    /// Add the accounts of a backup file to the vault (accounts already there are skipped).
    Restore(RestoreArgs),
}

#[derive(clap::Args, Debug)]
struct Folder {
    /// The backup folder (made when missing).
    #[arg(long, env = "COUNTERSIGN_BACKUP_DIR", value_name = "DIR")]
    dir: PathBuf,
}

#[derive(clap::Args, Debug)]
struct NowArgs {
    #[command(flatten)]
    folder: Folder,
    /// How many backups to keep in the folder.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
    keep: u16,
    /// Read the backup password from the next line of standard input (after the vault
    /// password, when --password-stdin is given too).
    #[arg(long)]
    backup_password_stdin: bool,
    /// Only write a backup when the accounts changed since the newest one (for a scheduled job).
    #[arg(long)]
    if_changed: bool,
}

#[derive(clap::Args, Debug)]
struct ListArgs {
    #[command(flatten)]
    folder: Folder,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args, Debug)]
struct RestoreArgs {
    /// The backup file.
    file: PathBuf,
    /// Read the backup password from the next line of standard input.
    #[arg(long)]
    backup_password_stdin: bool,
}

#[derive(Serialize)]
struct Listing {
    folder: PathBuf,
    backups: Vec<PathBuf>,
    last_backup_at: Option<i64>,
    changed_since_last: bool,
}

/// Runs a backup command.
pub fn run(ctx: &Ctx, args: &Args) -> Result<(), CliError> {
    match &args.command {
        BackupCommand::Now(a) => now(ctx, a),
        BackupCommand::List(a) => list(ctx, a),
        BackupCommand::Restore(a) => restore(ctx, a),
    }
}

fn now(ctx: &Ctx, args: &NowArgs) -> Result<(), CliError> {
    let vault = ctx.open_vault()?;
    let backups = Backups::new(&args.folder.dir, usize::from(args.keep));
    if args.if_changed && !backups.needs_backup(vault.accounts()) {
        eprintln!("No change since the last backup; nothing written.");
        return Ok(());
    }
    let password = new_password(
        ctx,
        args.backup_password_stdin,
        "backup",
        "--backup-password-stdin",
    )?;
    let path = backups.backup_now(vault.accounts(), password, super::now())?;
    eprintln!(
        "Wrote {} with {} account(s); it opens with the backup password.",
        path.display(),
        vault.accounts().len()
    );
    println!("{}", path.display());
    Ok(())
}

fn list(ctx: &Ctx, args: &ListArgs) -> Result<(), CliError> {
    let vault = ctx.open_vault()?;
    // `keep` does not matter for reading.
    let backups = Backups::new(&args.folder.dir, 1);
    let listing = Listing {
        folder: args.folder.dir.clone(),
        backups: backups.list()?,
        last_backup_at: backups.last_backup_at(),
        changed_since_last: backups.needs_backup(vault.accounts()),
    };
    if args.json {
        return ctx.print_json(&listing);
    }
    for b in &listing.backups {
        println!("{}", b.display());
    }
    if listing.backups.is_empty() {
        eprintln!("No backups in {} yet.", listing.folder.display());
    } else if listing.changed_since_last {
        eprintln!("Accounts changed since the newest backup: run `countersign backup now`.");
    } else {
        eprintln!("The newest backup holds the current accounts.");
    }
    Ok(())
}

fn restore(ctx: &Ctx, args: &RestoreArgs) -> Result<(), CliError> {
    let mut vault = ctx.open_vault()?;
    let backup = open_backup(ctx, &args.file, args.backup_password_stdin)?;
    let (fresh, skipped): (Vec<_>, Vec<_>) = backup
        .accounts()
        .iter()
        .cloned()
        .partition(|a| vault.duplicate_of(a).is_none());
    // Ids are random per account: a clash means this exact account came from this vault, and
    // a duplicate would have been skipped above, so keep the ids as they are.
    let added = fresh.len();
    vault.add_accounts(fresh)?;
    eprintln!(
        "Restored {added} account(s) from {}; {} already in the vault were skipped.",
        args.file.display(),
        skipped.len()
    );
    Ok(())
}

fn open_backup(ctx: &Ctx, file: &Path, from_stdin: bool) -> Result<Vault, CliError> {
    let password = if from_stdin {
        Password::new(ctx.read_stdin_line("the backup password")?)
    } else if ctx.interactive() {
        crate::ctx::prompt_password("Backup password: ")?
    } else {
        return Err(CliError::usage(
            "the backup is encrypted: give its password with --backup-password-stdin",
        ));
    };
    Ok(Vault::open(file, &Unlock::password_only(password))?)
}

/// A new password for an encrypted file: the next line of standard input when `from_stdin`,
/// else asked twice on a terminal. `what` names the file, `flag` the option that reads stdin.
pub fn new_password(
    ctx: &Ctx,
    from_stdin: bool,
    what: &str,
    flag: &str,
) -> Result<Password, CliError> {
    let password = if from_stdin {
        Password::new(ctx.read_stdin_line(&format!("the {what} password"))?)
    } else if ctx.interactive() {
        let first = crate::ctx::prompt_password(&format!("{} password: ", capitalised(what)))?;
        let again = crate::ctx::prompt_password(&format!("Repeat the {what} password: "))?;
        if first.as_str() != again.as_str() {
            return Err(CliError::input("the two passwords differ"));
        }
        first
    } else {
        return Err(CliError::usage(format!(
            "the {what} is encrypted: give its password with {flag}"
        )));
    };
    if password.is_empty() {
        return Err(CliError::input(format!("the {what} password is empty")));
    }
    Ok(password)
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
