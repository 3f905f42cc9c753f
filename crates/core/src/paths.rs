//! Where the vault lives.

use std::path::PathBuf;

use crate::error::{Error, Result};

/// The environment variable that points the CLI and the app at another vault file.
pub const VAULT_ENV: &str = "COUNTERSIGN_VAULT";

/// The file name of the vault in its data folder.
pub const VAULT_FILE_NAME: &str = "vault.csv1";

/// The vault file to use: `$COUNTERSIGN_VAULT` when set and not empty, else
/// `<platform data folder>/countersign/vault.csv1` (`~/.local/share` on Linux,
/// `~/Library/Application Support` on macOS, `%APPDATA%` on Windows).
///
/// Fails with [`Error::InvalidInput`] only when neither is known (no home folder). On Android
/// and iOS the app passes its own sandboxed data folder instead.
pub fn default_vault_path() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os(VAULT_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    dirs::data_dir()
        .map(|d| d.join("countersign").join(VAULT_FILE_NAME))
        .ok_or_else(|| {
            Error::InvalidInput(format!(
                "no data folder is known for this user; set {VAULT_ENV} to the vault file's path"
            ))
        })
}
