//! The commands the UI invokes, one module per area. Each is a few lines over the core.

pub mod accounts;
pub mod backup;
pub mod bench;
pub mod files;
pub mod push;
pub mod scan;
pub mod settings;
pub mod transfer;
pub mod vault;

use crate::error::{CommandError, CommandResult};

/// Runs `f` on a blocking thread (decoding, key derivation, file I/O), off the async runtime; a
/// thread that panicked comes back as an internal error, "`what` stopped: …".
pub(crate) async fn off_thread<T: Send + 'static>(
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> CommandResult<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| CommandError::internal(format!("{what} stopped: {e}")))
}

/// Unix seconds now.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod ipc;
#[cfg(test)]
mod push_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_backup;
