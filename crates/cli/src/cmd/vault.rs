//! `countersign vault init | status | passwd`.

use clap::Subcommand;
use countersign_core::vault::{CreateOptions, Vault};
use countersign_core::Password;
use serde::Serialize;

use crate::ctx::prompt_password;
use crate::{CliError, Ctx};

/// `countersign vault ...`
#[derive(Subcommand, Debug)]
pub enum VaultCommand {
    /// Create a new, empty vault whose key is kept in the OS keystore (and optionally a password).
    Init(InitArgs),
    /// Show where the vault is and how it can be opened (reads the header only).
    Status(StatusArgs),
    /// Add or change the vault password (the password slot), or remove it.
    Passwd(PasswdArgs),
}

/// `countersign vault init`
#[derive(clap::Args, Debug)]
pub struct InitArgs {
    /// Also protect the vault key with a password (asked twice on the terminal; with
    /// --password-stdin or COUNTERSIGN_PASSWORD it is taken from there).
    #[arg(long)]
    pub with_password: bool,
    /// Do not use the OS keystore: a password-only vault, for headless machines.
    #[arg(long)]
    pub no_keystore: bool,
}

/// `countersign vault status`
#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `countersign vault passwd`
#[derive(clap::Args, Debug)]
pub struct PasswdArgs {
    /// Read the new password from the next line of standard input (after the unlock password,
    /// when --password-stdin is given too).
    #[arg(long)]
    pub new_password_stdin: bool,
    /// Remove the password slot (only when the keystore slot can still open the vault).
    #[arg(long, conflicts_with = "new_password_stdin")]
    pub remove: bool,
}

/// Runs a vault command.
pub fn run(ctx: &Ctx, command: &VaultCommand) -> Result<(), CliError> {
    match command {
        VaultCommand::Init(args) => init(ctx, args),
        VaultCommand::Status(_) => status(ctx),
        VaultCommand::Passwd(args) => passwd(ctx, args),
    }
}

fn init(ctx: &Ctx, args: &InitArgs) -> Result<(), CliError> {
    let given = ctx.given_password()?;
    let password = match given {
        Some(p) => Some(p),
        None if args.with_password || args.no_keystore => {
            if !ctx.interactive() {
                return Err(CliError::usage(
                    "a password is needed: give it with --password-stdin or COUNTERSIGN_PASSWORD",
                ));
            }
            Some(new_password_twice()?)
        }
        None => None,
    };
    let options = CreateOptions {
        keystore: !args.no_keystore,
        password,
        ..CreateOptions::default()
    };
    let vault = Vault::create(&ctx.vault_path, options)?;
    drop(vault);
    eprintln!("Created the vault {}", ctx.vault_path.display());
    Ok(())
}

#[derive(Serialize)]
struct StatusJson {
    path: String,
    exists: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    generation: Option<u64>,
    keystore_slot: bool,
    password_slot: bool,
    previous_exists: bool,
}

fn status(ctx: &Ctx) -> Result<(), CliError> {
    let exists = ctx.vault_path.exists();
    let status = if exists {
        Some(Vault::status(&ctx.vault_path)?)
    } else {
        None
    };
    if ctx.json {
        return ctx.print_json(&StatusJson {
            path: ctx.vault_path.display().to_string(),
            exists,
            version: status.as_ref().map(|s| s.version),
            generation: status.as_ref().map(|s| s.generation),
            keystore_slot: status.as_ref().is_some_and(|s| s.keystore_slot),
            password_slot: status.as_ref().is_some_and(|s| s.password_slot.is_some()),
            previous_exists: status.as_ref().is_some_and(|s| s.previous_exists),
        });
    }
    println!("vault:      {}", ctx.vault_path.display());
    match status {
        None => println!("state:      no vault here yet (`countersign vault init` creates one)"),
        Some(s) => {
            println!("format:     version {}", s.version);
            println!("generation: {}", s.generation);
            println!(
                "keystore:   {}",
                if s.keystore_slot {
                    "yes (opens without a password)"
                } else {
                    "no"
                }
            );
            match &s.password_slot {
                Some(kdf) => println!(
                    "password:   yes (Argon2id, {} MiB, {} passes)",
                    kdf.memory_kib() / 1024,
                    kdf.iterations()
                ),
                None => println!("password:   no"),
            }
            let prev = countersign_core::vault::file::previous_path(&ctx.vault_path);
            if s.previous_exists {
                println!("previous:   {}", prev.display());
            } else {
                println!("previous:   none yet");
            }
        }
    }
    Ok(())
}

fn passwd(ctx: &Ctx, args: &PasswdArgs) -> Result<(), CliError> {
    let mut vault = ctx.open_vault()?;
    if args.remove {
        vault.set_password(None)?;
        eprintln!("Removed the password slot; the OS keystore opens the vault.");
        return Ok(());
    }
    let new = if args.new_password_stdin {
        Password::new(ctx.read_stdin_line("the new password")?)
    } else if ctx.interactive() {
        new_password_twice()?
    } else {
        return Err(CliError::usage(
            "give the new password with --new-password-stdin",
        ));
    };
    vault.set_password(Some(new))?;
    eprintln!("The vault password is set.");
    Ok(())
}

fn new_password_twice() -> Result<Password, CliError> {
    let first = prompt_password("New vault password: ")?;
    let second = prompt_password("Repeat it: ")?;
    if first.as_str() != second.as_str() {
        return Err(CliError::input(
            "the two passwords differ; nothing was changed",
        ));
    }
    if first.as_str().is_empty() {
        return Err(CliError::input(
            "an empty password protects nothing; nothing was changed",
        ));
    }
    Ok(first)
}
