//! `countersign`: the Countersign authenticator from a terminal.
//!
//! A thin front end over `countersign-core`: every command parses its arguments, calls the core
//! and prints the result. No OTP, crypto or vault logic lives here.
#![forbid(unsafe_code)]

mod cmd;
mod ctx;
mod error;
mod select;

use std::path::PathBuf;
use std::process::ExitCode as ProcessExit;

use clap::{CommandFactory, Parser, Subcommand};

pub use ctx::Ctx;
pub use error::{CliError, ExitCode};

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  failure (I/O, keystore error)
  2  usage error on the command line
  3  not found: no vault, or no account matches
  4  locked: password required or wrong, keystore unreachable
  5  the vault file is damaged, was modified, or has an unknown format
  6  malformed input (URI, secret, file)

Environment:
  COUNTERSIGN_VAULT     the vault file (as --vault)
  COUNTERSIGN_PASSWORD  the vault password, for scripts (prefer --password-stdin)";

/// Countersign: TOTP, HOTP and Steam codes from an encrypted vault whose key lives in the OS
/// keystore.
#[derive(Parser, Debug)]
#[command(name = "countersign", version, about, after_help = EXIT_CODES, max_term_width = 100)]
struct Cli {
    /// The vault file [default: the platform data folder, e.g. ~/.local/share/countersign/vault.csv1]
    #[arg(long, global = true, env = "COUNTERSIGN_VAULT", value_name = "PATH")]
    vault: Option<PathBuf>,

    /// Read the vault password from the first line of standard input.
    #[arg(long, global = true)]
    password_stdin: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create the vault, show its state, or set its password.
    #[command(subcommand)]
    Vault(cmd::vault::VaultCommand),
    /// Add an account from an otpauth:// URI or from its fields.
    Add(cmd::accounts::AddArgs),
    /// List the accounts (no secrets, no codes).
    List(cmd::accounts::ListArgs),
    /// Print current codes; for an HOTP account, the code for its counter, then advance it.
    Code(cmd::code::CodeArgs),
    /// Show one account as an otpauth:// URI (the secret hidden unless --reveal).
    Show(cmd::accounts::ShowArgs),
    /// Change an account's issuer or account name.
    Rename(cmd::accounts::RenameArgs),
    /// Remove an account (asks first, unless --yes).
    Remove(cmd::accounts::RemoveArgs),
    /// Activate this device for push sign-in approvals (countersign://activate URI or QR image).
    Activate(cmd::activate::Args),
    /// Push sign-in approvals: listen, list, answer, status, remove.
    Push(cmd::push::Args),
    /// Add accounts from another authenticator's export or a token file (PSKC, CSV, ...).
    Import(cmd::import::Args),
    /// Export accounts: otpauth URIs, an encrypted Aegis vault, a Countersign vault, transfer QR codes.
    Export(cmd::export::Args),
    /// Versioned encrypted backups in a folder: write one, list them, restore from one.
    Backup(cmd::backup::Args),
    /// Read QR codes from images or the screen: accounts, transfer batches, activations.
    Scan(cmd::scan::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
}

#[derive(clap::Args, Debug)]
struct CompletionsArgs {
    /// The shell.
    shell: clap_complete::Shell,
}

fn main() -> ProcessExit {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ProcessExit::SUCCESS,
        Err(err) => {
            eprintln!("countersign: {}", err.message);
            ProcessExit::from(err.exit as u8)
        }
    }
}

fn run(cli: Cli) -> Result<(), CliError> {
    let vault_path = match cli.vault {
        Some(path) => path,
        None => countersign_core::paths::default_vault_path()?,
    };
    let json = match &cli.command {
        Command::List(a) => a.json,
        Command::Code(a) => a.json,
        Command::Vault(cmd::vault::VaultCommand::Status(a)) => a.json,
        _ => false,
    };
    let ctx = Ctx::new(vault_path, json, cli.password_stdin);
    match &cli.command {
        Command::Vault(c) => cmd::vault::run(&ctx, c),
        Command::Add(a) => cmd::accounts::add(&ctx, a),
        Command::List(a) => cmd::accounts::list(&ctx, a),
        Command::Code(a) => cmd::code::run(&ctx, a),
        Command::Show(a) => cmd::accounts::show(&ctx, a),
        Command::Rename(a) => cmd::accounts::rename(&ctx, a),
        Command::Remove(a) => cmd::accounts::remove(&ctx, a),
        Command::Activate(a) => cmd::activate::run(&ctx, a),
        Command::Push(a) => cmd::push::run(&ctx, a),
        Command::Import(a) => cmd::import::run(&ctx, a),
        Command::Export(a) => cmd::export::run(&ctx, a),
        Command::Backup(a) => cmd::backup::run(&ctx, a),
        Command::Scan(a) => cmd::scan::run(&ctx, a),
        Command::Completions(a) => {
            clap_complete::generate(
                a.shell,
                &mut Cli::command(),
                "countersign",
                &mut std::io::stdout(),
            );
            Ok(())
        }
    }
}
