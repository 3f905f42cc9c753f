//! Crash-safe file replacement.
//!
//! A save never leaves the vault path missing or half-written:
//!
//! 1. write the new bytes to `<name>.tmp-<random>` in the same folder (mode 0600), fsync it;
//! 2. hard-link the current file to `<name>.prev.tmp-<random>` and rename that over
//!    `<name>.prev` (so `.prev` is always a whole earlier generation); where hard links are not
//!    supported, copy and fsync instead;
//! 3. rename the temp file over `<name>` (atomic on POSIX and on NTFS);
//! 4. fsync the folder, so the renames themselves are durable.
//!
//! At every instant `<name>` is either the old file or the new one, whole. A save that is
//! killed leaves at most a temp file behind, which a later save deletes once it is 10 minutes
//! old.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

use super::crypto::random_bytes;

/// `<file>.prev`: the generation before the current one.
pub fn previous_path(path: &Path) -> PathBuf {
    with_suffix(path, ".prev")
}

/// `<file>.damaged`: where a damaged file is moved when a previous generation is restored.
pub fn damaged_path(path: &Path) -> PathBuf {
    with_suffix(path, ".damaged")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

fn temp_path(path: &Path, what: &str) -> PathBuf {
    let tag: [u8; 6] = random_bytes();
    let tag: String = tag.iter().map(|b| format!("{b:02x}")).collect();
    with_suffix(path, &format!("{what}-{tag}"))
}

fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// What to do with the file currently at the path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Keep {
    /// A new vault: the path must not exist (never overwrites).
    CreateNew,
    /// A normal save: the current file becomes `<file>.prev`.
    AsPrevious,
    /// Restoring `.prev` over a damaged file: the damaged file becomes `<file>.damaged`, and
    /// `.prev` is left as it is.
    AsDamaged,
}

/// Writes `bytes` to `path` crash-safely (see the module docs).
pub(crate) fn write_atomically(path: &Path, bytes: &[u8], keep: Keep) -> Result<()> {
    let folder = folder_of(path);
    if keep == Keep::CreateNew {
        create_private_folder(&folder)?;
    }
    let tmp = temp_path(path, ".tmp");
    let result = write_then_swap(path, &tmp, bytes, keep);
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result?;
    sync_folder(&folder)?;
    remove_stale_temps(path);
    Ok(())
}

/// How old a leftover temp file must be before a save deletes it: far longer than any save,
/// so another program's save in flight is never disturbed.
const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(600);

/// Deletes temp files that a killed or crashed save left behind (best effort).
fn remove_stale_temps(path: &Path) {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return;
    };
    let prefixes = [
        format!("{name}.tmp-"),
        format!("{name}.prev.tmp-"),
        format!("{name}.damaged.tmp-"),
    ];
    let Ok(entries) = fs::read_dir(folder_of(path)) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        if !prefixes.iter().any(|p| file_name.starts_with(p.as_str())) {
            continue;
        }
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_TEMP_AGE);
        if stale {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn write_then_swap(path: &Path, tmp: &Path, bytes: &[u8], keep: Keep) -> Result<()> {
    let mut file = new_private_file(tmp)?;
    file.write_all(bytes)
        .and_then(|_| file.sync_all())
        .map_err(|e| Error::io("write", tmp, e))?;
    drop(file);

    match keep {
        Keep::CreateNew => {
            // A hard link never replaces an existing file: a vault made meanwhile by someone
            // else is not overwritten.
            match fs::hard_link(tmp, path) {
                Ok(()) => {
                    let _ = fs::remove_file(tmp);
                    Ok(())
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    Err(Error::VaultExists { path: path.into() })
                }
                Err(_) => {
                    if path.exists() {
                        return Err(Error::VaultExists { path: path.into() });
                    }
                    fs::rename(tmp, path).map_err(|e| Error::io("rename", tmp, e))
                }
            }
        }
        Keep::AsPrevious => {
            if path.exists() {
                keep_copy(path, &previous_path(path))?;
            }
            fs::rename(tmp, path).map_err(|e| Error::io("rename", tmp, e))
        }
        Keep::AsDamaged => {
            if path.exists() {
                keep_copy(path, &damaged_path(path))?;
            }
            fs::rename(tmp, path).map_err(|e| Error::io("rename", tmp, e))
        }
    }
}

/// Makes `target` a whole copy of `path`, replacing it atomically.
fn keep_copy(path: &Path, target: &Path) -> Result<()> {
    let tmp = temp_path(target, ".tmp");
    if fs::hard_link(path, &tmp).is_err() {
        fs::copy(path, &tmp)
            .and_then(|_| File::open(&tmp)?.sync_all())
            .map_err(|e| {
                let _ = fs::remove_file(&tmp);
                Error::io("copy", path, e)
            })?;
    }
    fs::rename(&tmp, target).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::io("rename", &tmp, e)
    })
}

fn new_private_file(path: &Path) -> Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(|e| Error::io("create", path, e))
}

fn create_private_folder(folder: &Path) -> Result<()> {
    if folder.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(folder)
        .map_err(|e| Error::io("create the folder", folder, e))
}

#[cfg(unix)]
fn sync_folder(folder: &Path) -> Result<()> {
    File::open(folder)
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::io("sync the folder", folder, e))
}

/// Windows has no folder fsync; `MoveFileEx` renames are journaled by NTFS.
#[cfg(not(unix))]
fn sync_folder(_folder: &Path) -> Result<()> {
    Ok(())
}

/// Reads a whole file; a missing file is `VaultNotFound`.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::VaultNotFound { path: path.into() },
        _ => Error::io("read", path, e),
    })
}

/// Reads at most the first `n` bytes of a file (for header-only reads).
pub(crate) fn read_prefix(path: &Path, n: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let file = File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::VaultNotFound { path: path.into() },
        _ => Error::io("read", path, e),
    })?;
    let mut out = Vec::new();
    file.take(n)
        .read_to_end(&mut out)
        .map_err(|e| Error::io("read", path, e))?;
    Ok(out)
}
