//! One module per command group.

pub mod accounts;
pub mod activate;
pub mod backup;
pub mod code;
pub mod export;
pub mod import;
pub mod push;
pub mod scan;
pub mod vault;

/// The current Unix time in seconds.
pub fn now() -> i64 {
    // A clock before 1970 is a broken machine; 0 keeps codes computable rather than panicking.
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
