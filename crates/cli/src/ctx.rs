//! What every command shares: where the vault is, how to unlock it, and the output mode.

use std::cell::RefCell;
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use countersign_core::vault::{Unlock, Vault};
use countersign_core::{Error as CoreError, Password};

use crate::error::CliError;

/// Shared state of one `countersign` invocation.
pub struct Ctx {
    /// The vault file.
    pub vault_path: PathBuf,
    /// Print JSON instead of text.
    pub json: bool,
    /// The unlock password is the first line of standard input.
    password_stdin: bool,
    /// The unlock password from `COUNTERSIGN_PASSWORD` (for scripts).
    password_env: Option<Password>,
    /// Standard input, read line by line on demand (the unlock password, then a new password).
    stdin: RefCell<Option<std::io::StdinLock<'static>>>,
    /// The unlock password once known, so a second open doesn't ask twice.
    unlock_password: RefCell<Option<Password>>,
}

impl Ctx {
    /// A context for the given vault and options.
    pub fn new(vault_path: PathBuf, json: bool, password_stdin: bool) -> Ctx {
        let password_env = std::env::var("COUNTERSIGN_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty())
            .map(Password::new);
        Ctx {
            vault_path,
            json,
            password_stdin,
            password_env,
            stdin: RefCell::new(None),
            unlock_password: RefCell::new(None),
        }
    }

    /// Opens the vault: the keystore slot first, then the password slot with the password from
    /// `--password-stdin`, `COUNTERSIGN_PASSWORD`, or a prompt when a terminal is attached.
    pub fn open_vault(&self) -> Result<Vault, CliError> {
        let given = self.given_password()?;
        let unlock = Unlock {
            password: given.clone(),
            keystore: true,
        };
        match Vault::open(&self.vault_path, &unlock) {
            Err(CoreError::PasswordRequired)
                if given.is_none() && std::io::stdin().is_terminal() =>
            {
                let password = prompt_password("Vault password: ")?;
                let vault = Vault::open(
                    &self.vault_path,
                    &Unlock::keystore_or_password(password.clone()),
                )?;
                *self.unlock_password.borrow_mut() = Some(password);
                Ok(vault)
            }
            other => Ok(other?),
        }
    }

    /// The password given for unlocking (stdin or environment), if any. Reads stdin once.
    pub fn given_password(&self) -> Result<Option<Password>, CliError> {
        if let Some(p) = self.unlock_password.borrow().as_ref() {
            return Ok(Some(p.clone()));
        }
        let password = if self.password_stdin {
            Some(Password::new(self.read_stdin_line("the vault password")?))
        } else {
            self.password_env.clone()
        };
        self.unlock_password.borrow_mut().clone_from(&password);
        Ok(password)
    }

    /// Reads the next line of standard input (without its line ending); `what` names it in the
    /// error when input ends first.
    pub fn read_stdin_line(&self, what: &str) -> Result<String, CliError> {
        let mut guard = self.stdin.borrow_mut();
        let lines = guard.get_or_insert_with(|| std::io::stdin().lock());
        let mut line = String::new();
        let n = lines.read_line(&mut line)?;
        if n == 0 {
            return Err(CliError::input(format!(
                "standard input ended before {what} was given"
            )));
        }
        while line.ends_with('\n') || line.ends_with('\r') {
            line.pop();
        }
        Ok(line)
    }

    /// Whether a person is at the terminal (so prompts make sense).
    pub fn interactive(&self) -> bool {
        std::io::stdin().is_terminal() && !self.password_stdin
    }

    /// Prints a value as pretty JSON on standard output.
    pub fn print_json<T: serde::Serialize>(&self, value: &T) -> Result<(), CliError> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| CliError::failure(format!("could not write JSON: {e}")))?;
        println!("{text}");
        Ok(())
    }
}

/// Asks for a password on the terminal without echoing it.
pub fn prompt_password(prompt: &str) -> Result<Password, CliError> {
    let text = rpassword::prompt_password(prompt).map_err(|e| {
        CliError::failure(format!(
            "could not read the password from the terminal: {e}"
        ))
    })?;
    Ok(Password::new(text))
}

/// Asks a yes/no question on the terminal; anything but "y"/"yes" is no.
pub fn confirm(question: &str) -> Result<bool, CliError> {
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
