//! Imports from other authenticators and token files, and exports (encrypted backups, Aegis,
//! plain `otpauth://` lists). The paths come from the dialog plugin's open and save dialogs.
//!
//! An import is two steps, like the CLI's: [`import_preview`] reads and decrypts the file and
//! lists what it would add (nothing is stored), then [`import_apply`] adds the chosen entries in
//! one vault save. The preview's accounts (with their secrets) stay here between the two.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use countersign_core::export::{self, ExportFormat};
use countersign_core::import::{self, Credentials, Duplicates, Format, ImportError, Selection};
use countersign_core::Password;
use serde::Serialize;
use tauri::{Runtime, State};
use zeroize::Zeroizing;

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;
use crate::views::AccountView;

use super::scan::AddedAccounts;

/// The largest import file read (a 10,000-key PSKC file is a few MiB).
const MAX_IMPORT_BYTES: u64 = 64 * 1024 * 1024;

/// The preview waiting for [`import_apply`]. Managed by Tauri (see [`crate::with_commands`]).
#[derive(Default)]
pub struct ImportState {
    inner: Mutex<Option<(u64, import::Preview)>>,
    next_token: Mutex<u64>,
}

impl ImportState {
    fn lock(&self) -> MutexGuard<'_, Option<(u64, import::Preview)>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What an import file would add, for the UI (no secrets).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportPreview {
    /// What [`import_apply`] takes.
    pub token: String,
    /// The format the file was read as (`aegis`, `pskc`, ...).
    pub format: &'static str,
    /// Importable entries.
    pub entries: Vec<ImportEntry>,
    /// Entries that cannot be imported, with where they are in the file.
    pub errors: Vec<ImportEntryError>,
    /// Entries that repeat an account in the vault or an earlier entry.
    pub duplicates: usize,
}

/// One importable entry.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportEntry {
    /// Position in the preview; what `only` in [`import_apply`] refers to.
    pub index: usize,
    /// Where in the file ("line 3", "entry 2").
    pub source: String,
    /// The service.
    pub issuer: String,
    /// The account name.
    pub name: String,
    /// `totp`, `hotp` or `steam`.
    pub kind: &'static str,
    /// Code length.
    pub digits: u8,
    /// Group from the file.
    pub group: Option<String>,
    /// The vault or the file already has this account.
    pub duplicate: bool,
}

/// An entry that cannot be imported.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportEntryError {
    /// Where in the file.
    pub source: String,
    /// What is wrong.
    pub reason: String,
}

/// Reads an import file and lists what it would add; nothing is stored. `format` is detected
/// when absent; `password` opens encrypted backups (Aegis, 2FAS, password-based PSKC) and
/// `key` (hex) a PSKC file encrypted with a pre-shared key.
#[tauri::command]
pub async fn import_preview<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    imports: State<'_, ImportState>,
    path: String,
    format: Option<String>,
    password: Option<String>,
    key: Option<String>,
) -> CommandResult<ImportPreview> {
    let format = format
        .filter(|f| !f.trim().is_empty() && f != "auto")
        .map(|f| f.parse::<Format>())
        .transpose()
        .map_err(import_error)?;
    let credentials = Credentials {
        password: password.filter(|p| !p.is_empty()).map(Password::new),
        key: key
            .filter(|k| !k.trim().is_empty())
            .map(|k| {
                import::key_from_hex(&k).ok_or_else(|| {
                    CommandError::field("key", "the key must be hex digits (two per byte)")
                })
            })
            .transpose()?,
    };
    let data = read_file(Path::new(&path), MAX_IMPORT_BYTES)?;
    let existing = state.with_vault(|vault, _| Ok(vault.accounts().to_vec()))?;
    let now = super::unix_now() as i64;
    let preview = super::off_thread("the import", move || {
        import::preview(&data, format, &credentials, &existing, now)
    })
    .await?
    .map_err(import_error)?;

    let token = {
        let mut next = imports
            .next_token
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *next += 1;
        *next
    };
    let view = ImportPreview {
        token: token.to_string(),
        format: preview.format.name(),
        entries: preview
            .entries
            .iter()
            .map(|e| ImportEntry {
                index: e.index,
                source: e.source.clone(),
                issuer: e.issuer.clone(),
                name: e.name.clone(),
                kind: e.kind,
                digits: e.digits,
                group: e.group.clone(),
                duplicate: e.duplicate_of.is_some() || e.repeats.is_some(),
            })
            .collect(),
        errors: preview
            .errors
            .iter()
            .map(|e| ImportEntryError {
                source: e.source.clone(),
                reason: e.reason.clone(),
            })
            .collect(),
        duplicates: preview.duplicates(),
    };
    *imports.lock() = Some((token, preview));
    Ok(view)
}

/// Adds the previewed entries (`only` these indexes, or all) in one vault save: all or none.
#[tauri::command]
pub async fn import_apply<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    imports: State<'_, ImportState>,
    token: String,
    keep_duplicates: bool,
    only: Option<Vec<usize>>,
) -> CommandResult<AddedAccounts> {
    let mut pending = imports.lock();
    let preview = match pending.take() {
        Some((known, preview)) if known.to_string() == token => preview,
        other => {
            *pending = other;
            return Err(CommandError::invalid(
                "this import preview is no longer current; choose the file again",
            ));
        }
    };
    drop(pending);
    let selection = Selection {
        duplicates: if keep_duplicates {
            Duplicates::Keep
        } else {
            Duplicates::Skip
        },
        only,
    };
    state.with_vault(|vault, _| {
        let report = import::apply(vault, &preview, &selection)?;
        let added = report
            .added
            .iter()
            .map(|id| vault.account(*id).map(AccountView::from))
            .collect::<Result<_, _>>()?;
        Ok(AddedAccounts {
            added,
            skipped_duplicates: report.skipped_duplicates,
        })
    })
}

/// Writes an export of every account to `path` (chosen in the save dialog, which has asked
/// before replacing a file). `format`: `countersign` (an encrypted backup: a vault with a
/// password slot), `aegis` (an encrypted Aegis vault), or `otpauth` (plaintext URIs, one per
/// line; the UI warns first). The encrypted formats need `password`.
#[tauri::command]
pub async fn export_file<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    path: String,
    format: String,
    password: Option<String>,
) -> CommandResult<usize> {
    let format: ExportFormat = format.parse().map_err(CommandError::from)?;
    let path = PathBuf::from(path);
    let password = || -> CommandResult<Password> {
        match password.as_deref() {
            Some(p) if !p.is_empty() => Ok(Password::new(p)),
            _ => Err(CommandError::field(
                "password",
                "an encrypted export needs a password",
            )),
        }
    };
    let accounts = state.with_vault(|vault, _| Ok(vault.accounts().to_vec()))?;
    let count = accounts.len();
    match format {
        ExportFormat::Otpauth => write_replacing(&path, export::otpauth(&accounts).as_bytes())?,
        ExportFormat::Aegis => {
            let password = password()?;
            let json = super::off_thread("the export", move || {
                export::aegis(&accounts, &password).map(Zeroizing::new)
            })
            .await??;
            write_replacing(&path, json.as_bytes())?;
        }
        ExportFormat::Countersign => {
            let password = password()?;
            let temp = sibling(&path, "partial");
            let written = temp.clone();
            super::off_thread("the export", move || {
                export::countersign_with_kdf(
                    &accounts,
                    &written,
                    password,
                    countersign_core::KdfParams::DEFAULT,
                )
            })
            .await?
            .inspect_err(|_| {
                let _ = std::fs::remove_file(&temp);
            })?;
            // The vault keeps its previous generation beside it (`.prev`, here the empty
            // vault it started as): not wanted in an export.
            let mut previous = temp.clone().into_os_string();
            previous.push(".prev");
            let _ = std::fs::remove_file(PathBuf::from(previous));
            std::fs::rename(&temp, &path).map_err(|e| write_error(&path, e))?;
        }
        _ => {
            return Err(CommandError::invalid(
                "this export is made from Show QR codes, not as a file",
            ))
        }
    }
    Ok(count)
}

fn read_file(path: &Path, max: u64) -> CommandResult<Vec<u8>> {
    let unreadable = |e: std::io::Error| CommandError {
        code: "file_unreadable",
        message: format!("cannot read {}: {e}", path.display()),
        field: None,
    };
    let metadata = std::fs::metadata(path).map_err(unreadable)?;
    if metadata.len() > max {
        return Err(CommandError::invalid(format!(
            "{} is {} MiB; files up to {} MiB are imported",
            path.display(),
            metadata.len() / (1024 * 1024),
            max / (1024 * 1024)
        )));
    }
    std::fs::read(path).map_err(unreadable)
}

/// Writes a file readable by its owner only: a temporary sibling, then renamed over `path`
/// (the save dialog asked before replacing).
fn write_replacing(path: &Path, bytes: &[u8]) -> CommandResult<()> {
    let temp = sibling(path, "partial");
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        write_error(path, e)
    })
}

fn sibling(path: &Path, tag: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    path.with_file_name(format!(".{name}.{tag}-{}", std::process::id()))
}

fn write_error(path: &Path, e: std::io::Error) -> CommandError {
    CommandError {
        code: "file_unwritable",
        message: format!("cannot write {}: {e}", path.display()),
        field: None,
    }
}

fn import_error(error: ImportError) -> CommandError {
    CommandError {
        code: error.code(),
        message: error.to_string(),
        field: match error {
            ImportError::PasswordRequired { .. } | ImportError::WrongPassword { .. } => {
                Some("password")
            }
            ImportError::KeyRequired { .. } | ImportError::InvalidKey(_) => Some("key"),
            _ => None,
        },
    }
}

/// Every import format's name, for the import dialog's format menu.
#[tauri::command]
pub async fn import_formats<R: Runtime>(_app: tauri::AppHandle<R>) -> CommandResult<Vec<String>> {
    Ok(Format::ALL.iter().map(|f| f.name().to_owned()).collect())
}
