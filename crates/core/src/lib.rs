//! The Countersign app core: accounts, the encrypted vault and the OS keystore, imports and
//! exports of other apps' files, QR decoding and encoding, and the push client.
//!
//! The Tauri shell (`src-tauri/`) and the CLI (`crates/cli`) are thin front ends over this crate.
//!
//! Start with [`vault::Vault`]: [`Vault::create`](vault::Vault::create),
//! [`Vault::open`](vault::Vault::open), then the account methods on it.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod account;
pub mod error;
pub mod export;
pub mod import;
pub mod keystore;
pub mod password;
pub mod paths;
pub mod push;
#[cfg(feature = "qr")]
pub mod qr;
pub mod vault;

pub use account::{Account, AccountId, AccountPatch, Activation};
pub use error::{Error, Result};
pub use password::Password;
pub use vault::{CreateOptions, KdfParams, Unlock, Vault, VaultId, VaultStatus};
