//! Automatic versioned backups: after the accounts change, an encrypted backup is written to the
//! folder the user picked, keeping the newest N (the core's [`Backups`] does the writing and
//! pruning; this module decides when, and reports how it went).
//!
//! - **What counts as a change**: any vault save that changes the accounts as a backup holds
//!   them: add, edit, remove, reorder, import, and an HOTP counter advancing (a restored backup
//!   must not hand out codes already used). Copying a code (only `last_used` changes), push
//!   activations and the vault password do not. [`AppState::with_vault`] tells
//!   [`AutoBackup::saved`] when a command saved; a fingerprint of the accounts says whether they
//!   changed.
//! - **When**: the worker [`start`] spawns waits until no change has come for
//!   [`DEBOUNCE`], so a burst of edits makes one file, then writes the backup on a blocking
//!   thread with the accounts as the last save left them. The vault save itself never waits for
//!   a backup and never fails because of one.
//! - **The password** lives in the OS keystore (its own entry, see
//!   [`countersign_core::keystore::store_backup_password`]), never in the settings file, so
//!   backups are written without asking.
//! - **Failures** (no folder, the folder cannot be written, no password in the keystore) are
//!   kept as the status's `error` and sent to the UI with every status in [`STATUS_EVENT`]; the
//!   UI shows them in a banner and in settings.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use countersign_core::export::backup::{accounts_fingerprint, Backups};
use countersign_core::{keystore, Account, KdfParams, Vault, VaultId};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::watch;

use crate::error::{CommandError, CommandResult};
use crate::settings::Settings;
use crate::state::AppState;

/// The event that carries a new [`BackupStatus`] to the UI (after each automatic run).
pub const STATUS_EVENT: &str = "backup:status";

/// How long after the last account change the automatic backup is written.
pub const DEBOUNCE: Duration = Duration::from_secs(3);

/// The shortest backup password accepted (the export dialog's minimum).
pub const MIN_PASSWORD_CHARS: usize = 8;

/// What the settings screen and the reminder banner show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupStatus {
    /// Automatic backups are on.
    pub enabled: bool,
    /// The backup folder, once chosen.
    pub folder: Option<String>,
    /// How many backups are kept.
    pub keep: u32,
    /// A backup password is stored in the OS keystore.
    pub password_set: bool,
    /// When the newest backup in the folder was written (Unix seconds).
    pub last_backup_at: Option<i64>,
    /// How many backups the folder holds.
    pub backups: usize,
    /// The accounts changed since the newest backup (or there is none); false for an empty
    /// vault, which has nothing to lose.
    pub needs_backup: bool,
    /// Why the last automatic backup failed (only while automatic backups are on).
    pub error: Option<CommandError>,
    /// How many account changes this session has seen (the UI shows a dismissed reminder again
    /// after the next change).
    pub changes: u64,
}

/// The accounts as one save left them.
pub struct Snapshot {
    vault: VaultId,
    accounts: Vec<Account>,
}

/// Watches vault saves for account changes and keeps the outcome of the last backup. Part of
/// [`AppState`]; the worker [`start`] spawns waits on it.
pub struct AutoBackup {
    latest: watch::Sender<Option<Arc<Snapshot>>>,
    inner: Mutex<Inner>,
}

struct Inner {
    /// Fingerprint of the accounts last seen, to tell a change from a save that changed nothing
    /// a backup holds.
    fingerprint: Option<String>,
    changes: u64,
    error: Option<CommandError>,
    debounce: Duration,
    kdf: KdfParams,
}

impl Default for AutoBackup {
    fn default() -> Self {
        AutoBackup {
            latest: watch::Sender::new(None),
            inner: Mutex::new(Inner {
                fingerprint: None,
                changes: 0,
                error: None,
                debounce: DEBOUNCE,
                kdf: KdfParams::DEFAULT,
            }),
        }
    }
}

impl AutoBackup {
    /// Sets the debounce and the backups' Argon2id cost (tests use short and cheap ones).
    pub fn tune(&self, debounce: Duration, kdf: KdfParams) {
        let mut inner = self.inner();
        inner.debounce = debounce;
        inner.kdf = kdf;
    }

    /// The vault was opened: remember its accounts and check once whether a backup is due (the
    /// accounts may have changed since, from the CLI or a run that ended before its backup).
    pub fn opened(&self, vault: &Vault) {
        self.inner().fingerprint = Some(accounts_fingerprint(vault.accounts()));
        self.nudge(vault);
    }

    /// A command saved the vault: when the accounts changed, a backup is due after the
    /// debounce.
    pub fn saved(&self, vault: &Vault) {
        let fingerprint = accounts_fingerprint(vault.accounts());
        {
            let mut inner = self.inner();
            if inner.fingerprint.as_ref() == Some(&fingerprint) {
                return;
            }
            inner.fingerprint = Some(fingerprint);
            inner.changes += 1;
        }
        self.nudge(vault);
    }

    /// Asks the worker to look again (after the debounce) whether a backup of `vault` is due:
    /// after the settings or the password changed.
    pub fn nudge(&self, vault: &Vault) {
        self.latest.send_replace(Some(Arc::new(Snapshot {
            vault: vault.id(),
            accounts: vault.accounts().to_vec(),
        })));
    }

    /// Forgets a failure (the settings that caused it changed).
    pub fn clear_error(&self) {
        self.inner().error = None;
    }

    fn record(&self, outcome: &CommandResult<Option<PathBuf>>) {
        self.inner().error = outcome.as_ref().err().cloned();
    }

    fn debounce(&self) -> Duration {
        self.inner().debounce
    }

    fn kdf(&self) -> KdfParams {
        self.inner().kdf
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Starts the worker that writes automatic backups for the app's [`AppState`] (which must be
/// managed already). It runs for the life of the app.
pub fn start<R: Runtime>(app: &AppHandle<R>) {
    let mut latest = app.state::<AppState>().backup.latest.subscribe();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            if latest.changed().await.is_err() {
                return;
            }
            // Debounce: wait until a whole quiet period passes without another change.
            loop {
                let quiet = app.state::<AppState>().backup.debounce();
                match tokio::time::timeout(quiet, latest.changed()).await {
                    Ok(Ok(())) => continue,
                    Ok(Err(_)) => return,
                    Err(_elapsed) => break,
                }
            }
            let Some(snapshot) = latest.borrow_and_update().clone() else {
                continue;
            };
            let app = app.clone();
            let _ = tauri::async_runtime::spawn_blocking(move || automatic(&app, &snapshot)).await;
        }
    });
}

/// One automatic run: a backup when they are on and the accounts changed since the newest, then
/// the status to the UI (which shows the reminder when they are off).
fn automatic<R: Runtime>(app: &AppHandle<R>, snapshot: &Snapshot) {
    let state = app.state::<AppState>();
    let settings = state.settings();
    if settings.auto_backup {
        let outcome = write(
            &settings,
            &snapshot.vault,
            &snapshot.accounts,
            state.backup.kdf(),
            When::Changed,
        );
        if let Err(e) = &outcome {
            eprintln!("countersign: the automatic backup failed: {e}");
        }
        state.backup.record(&outcome);
    }
    emit_status(app);
}

/// Sends the current status to the UI (blocking: reads the keystore and the folder).
pub fn emit_status<R: Runtime>(app: &AppHandle<R>) {
    if let Ok(status) = status(&app.state::<AppState>()) {
        let _ = app.emit(STATUS_EVENT, status);
    }
}

/// Writes a backup now, whatever the automatic setting (the "Back up now" buttons). Blocking.
pub fn backup_now(state: &AppState) -> CommandResult<PathBuf> {
    let (vault, accounts) = state.with_vault(|v, _| Ok((v.id(), v.accounts().to_vec())))?;
    let outcome = write(
        &state.settings(),
        &vault,
        &accounts,
        state.backup.kdf(),
        When::Now,
    );
    state.backup.record(&outcome);
    outcome?.ok_or_else(|| CommandError::internal("no backup was written"))
}

/// The status (blocking: reads the keystore and the folder).
pub fn status(state: &AppState) -> CommandResult<BackupStatus> {
    let settings = state.settings();
    let folder = settings.backup_folder.as_deref().map(reader);
    let (vault, needs_backup) = state.with_vault(|v, _| {
        let accounts = v.accounts();
        let needs =
            !accounts.is_empty() && folder.as_ref().is_none_or(|b| b.needs_backup(accounts));
        Ok((v.id(), needs))
    })?;
    let password_set = keystore::backup_password(&vault).is_ok();
    let inner = state.backup.inner();
    Ok(BackupStatus {
        enabled: settings.auto_backup,
        folder: settings
            .backup_folder
            .as_ref()
            .map(|f| f.display().to_string()),
        keep: settings.backup_keep,
        password_set,
        last_backup_at: folder.as_ref().and_then(Backups::last_backup_at),
        backups: folder
            .as_ref()
            .and_then(|b| b.list().ok())
            .map_or(0, |l| l.len()),
        needs_backup,
        error: inner.error.clone().filter(|_| settings.auto_backup),
        changes: inner.changes,
    })
}

/// Stores the backup password in the keystore (blocking). At least [`MIN_PASSWORD_CHARS`].
pub fn set_password(state: &AppState, password: countersign_core::Password) -> CommandResult<()> {
    if password.as_str().chars().count() < MIN_PASSWORD_CHARS {
        return Err(CommandError::field(
            "backupPassword",
            format!("use at least {MIN_PASSWORD_CHARS} characters for the backup password"),
        ));
    }
    let vault = state.with_vault(|v, _| Ok(v.id()))?;
    keystore::store_backup_password(&vault, &password).map_err(|e| CommandError {
        code: e.code(),
        message: format!("the backup password could not be stored in the system keyring: {e}"),
        field: Some("backupPassword"),
    })?;
    state.backup.clear_error();
    Ok(())
}

/// Whether a backup password is stored for the open vault (blocking).
pub fn password_set(state: &AppState) -> CommandResult<bool> {
    let vault = state.with_vault(|v, _| Ok(v.id()))?;
    Ok(keystore::backup_password(&vault).is_ok())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum When {
    /// Only when the accounts changed since the newest backup, and never of an empty vault (it
    /// protects nothing, and its pruning could delete backups that hold accounts).
    Changed,
    /// Asked for: always.
    Now,
}

/// Writes a backup of `accounts` into the settings' folder; `Ok(None)` when none was due.
fn write(
    settings: &Settings,
    vault: &VaultId,
    accounts: &[Account],
    kdf: KdfParams,
    when: When,
) -> CommandResult<Option<PathBuf>> {
    let folder = settings
        .backup_folder
        .as_deref()
        .ok_or_else(|| CommandError {
            code: "backup_folder_missing",
            message: "no backup folder is chosen: choose one in Settings → Backup and export"
                .into(),
            field: Some("backupFolder"),
        })?;
    if accounts.is_empty() {
        return match when {
            When::Changed => Ok(None),
            When::Now => Err(CommandError::invalid(
                "there are no accounts to back up yet",
            )),
        };
    }
    let backups = Backups::new(folder, usize::try_from(settings.backup_keep).unwrap_or(1));
    if when == When::Changed && !backups.needs_backup(accounts) {
        return Ok(None);
    }
    let password = keystore::backup_password(vault).map_err(|e| match e {
        countersign_core::Error::KeystoreEntryMissing => CommandError {
            code: "backup_password_missing",
            message: "no backup password is stored in the system keyring: set one in Settings → \
                      Backup and export"
                .into(),
            field: Some("backupPassword"),
        },
        other => CommandError {
            code: other.code(),
            message: format!(
                "the backup password could not be read from the system keyring: {other}"
            ),
            field: None,
        },
    })?;
    let now = i64::try_from(crate::commands::unix_now()).unwrap_or(i64::MAX);
    backups
        .backup_with_kdf(accounts, password, now, kdf)
        .map(Some)
        .map_err(|e| CommandError {
            code: "backup_failed",
            message: format!(
                "could not write a backup in {}: {e}. Check that the folder exists and can be \
                 written, or choose another one in Settings",
                folder.display()
            ),
            field: None,
        })
}

/// [`Backups`] for reading a folder (`keep` does not matter then).
fn reader(folder: &Path) -> Backups {
    Backups::new(folder, 1)
}
