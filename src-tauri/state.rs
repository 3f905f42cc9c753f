//! What the shell keeps between commands: the open vault (or none while locked), the HOTP codes
//! shown this session, the settings, and the clipboard.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use countersign_core::{AccountId, CreateOptions, Password, Unlock, Vault};
use countersign_oath::Code;
use serde::Serialize;

use crate::backup::AutoBackup;
use crate::clipboard::CodeCopier;
use crate::error::{CommandError, CommandResult};
use crate::settings::{Settings, SettingsFile};

/// Whether the vault is open, and what opening it needs (sent to the UI).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VaultState {
    /// The vault is open: accounts can be listed.
    pub unlocked: bool,
    /// The vault has a password slot: the app asks for it at start and after idle time.
    pub has_password: bool,
    /// The vault file.
    pub path: String,
}

/// The app's state, managed by Tauri.
pub struct AppState {
    vault_path: PathBuf,
    session: Mutex<Session>,
    settings_file: SettingsFile,
    settings: Mutex<Settings>,
    /// Copies codes and clears them later.
    pub copier: CodeCopier,
    /// When the shell started, for the start-up benchmark.
    pub started: Instant,
    /// Sees account changes for the automatic backups ([`crate::backup`]).
    pub backup: AutoBackup,
}

/// Everything that is forgotten when the app locks.
#[derive(Default)]
pub struct Session {
    /// The open vault; `None` while locked (its key is zeroized on drop).
    pub vault: Option<Vault>,
    /// The start-up open (create, or open from the keystore) has been done.
    started: bool,
    /// The HOTP codes the user asked for, so "copy" copies the code on screen.
    pub hotp_codes: HashMap<AccountId, Code>,
}

impl AppState {
    /// State for the vault at `vault_path`, with settings in `settings_file`.
    pub fn new(vault_path: PathBuf, settings_file: SettingsFile, copier: CodeCopier) -> Self {
        let settings = settings_file.load();
        AppState {
            vault_path,
            session: Mutex::new(Session::default()),
            settings_file,
            settings: Mutex::new(settings),
            copier,
            started: Instant::now(),
            backup: AutoBackup::default(),
        }
    }

    /// The vault file.
    pub fn vault_path(&self) -> &Path {
        &self.vault_path
    }

    /// The session, even if a panic poisoned its lock (the data stays consistent: every vault
    /// change is all-or-nothing).
    pub fn session(&self) -> MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current settings.
    pub fn settings(&self) -> Settings {
        self.settings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Saves and applies new settings.
    pub fn set_settings(&self, settings: Settings) -> CommandResult<Settings> {
        let settings = settings.validated()?;
        self.settings_file.save(&settings)?;
        *self.settings.lock().unwrap_or_else(PoisonError::into_inner) = settings.clone();
        Ok(settings)
    }

    /// Runs `f` on the open vault, or fails with `locked`. When `f` saved the vault, the
    /// automatic backups hear of it (they act only when the accounts changed).
    pub fn with_vault<T>(
        &self,
        f: impl FnOnce(&mut Vault, &mut HashMap<AccountId, Code>) -> CommandResult<T>,
    ) -> CommandResult<T> {
        let mut session = self.session();
        let Session {
            vault, hotp_codes, ..
        } = &mut *session;
        let vault = vault.as_mut().ok_or_else(CommandError::locked)?;
        let generation = vault.generation();
        let result = f(vault, hotp_codes);
        if vault.generation() != generation {
            self.backup.saved(vault);
        }
        result
    }

    /// The vault's state. The first call opens it: a missing vault is created with a keystore
    /// slot; a vault without a password slot opens from the keystore without a prompt; a vault
    /// with one waits for [`AppState::unlock`].
    pub fn vault_state(&self) -> CommandResult<VaultState> {
        let mut session = self.session();
        if !session.started {
            if !self.vault_path.exists() {
                session.vault = Some(Vault::create(&self.vault_path, CreateOptions::default())?);
            } else if Vault::status(&self.vault_path)?.password_slot.is_none() {
                session.vault = Some(Vault::open(&self.vault_path, &Unlock::keystore())?);
            }
            session.started = true;
            if let Some(vault) = &session.vault {
                self.backup.opened(vault);
            }
        }
        self.describe(&session)
    }

    /// Opens the vault with its password (the password slot only: the keystore is not asked,
    /// so the password is checked even where the keystore could open the vault).
    pub fn unlock(&self, password: Password) -> CommandResult<VaultState> {
        let mut session = self.session();
        if session.vault.is_none() {
            session.vault = Some(Vault::open(
                &self.vault_path,
                &Unlock::password_only(password),
            )?);
            session.started = true;
            if let Some(vault) = &session.vault {
                self.backup.opened(vault);
            }
        }
        self.describe(&session)
    }

    /// Closes the vault (its key is dropped and zeroized) and forgets the HOTP codes shown.
    /// Only a vault with a password can be locked: without one it would reopen from the keystore.
    pub fn lock(&self) -> CommandResult<VaultState> {
        let mut session = self.session();
        let has_password = match &session.vault {
            Some(vault) => vault.info().password_slot.is_some(),
            None => return self.describe(&session),
        };
        if !has_password {
            return Err(CommandError::invalid(
                "set a password in Settings first: without one the vault opens from the system keyring",
            ));
        }
        session.vault = None;
        session.hotp_codes.clear();
        self.describe(&session)
    }

    fn describe(&self, session: &Session) -> CommandResult<VaultState> {
        let has_password = match &session.vault {
            Some(vault) => vault.info().password_slot.is_some(),
            None => Vault::status(&self.vault_path)?.password_slot.is_some(),
        };
        Ok(VaultState {
            unlocked: session.vault.is_some(),
            has_password,
            path: self.vault_path.display().to_string(),
        })
    }
}
