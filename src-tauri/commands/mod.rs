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
