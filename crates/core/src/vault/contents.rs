//! What the vault encrypts: accounts and push activations.
//!
//! Serialised as JSON. JSON rather than a compact binary because the contents must evolve
//! (the push issue adds activation fields, later versions add account fields): with serde's
//! `#[serde(default)]` an older file reads in a newer version and unknown fields are ignored.
//! Size and speed are not a concern at authenticator scale (10,000 accounts are ~2 MB and
//! parse in a few milliseconds; see `benches/vault.rs`).

use serde::{Deserialize, Serialize};

use super::crypto::ZeroizingWriter;
use crate::account::{Account, AccountId, Activation};
use crate::error::{Error, Result};

/// Decrypted contents that are not the JSON this version reads. No detail, on purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the vault contents are not readable")]
pub struct ContentsError;

/// The decrypted contents of a vault.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Contents {
    /// OTP accounts, in display order.
    #[serde(default)]
    pub accounts: Vec<Account>,
    /// Push activations.
    #[serde(default)]
    pub activations: Vec<Activation>,
}

impl Contents {
    /// Serialises into a zeroizing buffer with room for the AES-GCM tag.
    pub(crate) fn to_json(&self) -> Result<zeroize::Zeroizing<Vec<u8>>> {
        // ~200 bytes per account; a good guess saves regrowth copies.
        let mut writer = ZeroizingWriter::with_capacity(64 + 256 * self.accounts.len());
        serde_json::to_writer(&mut writer, self).map_err(|_| {
            // Serialising plain data to memory cannot fail; report it without detail anyway.
            Error::InvalidInput("the vault contents could not be serialised".into())
        })?;
        Ok(writer.0)
    }

    /// Parses decrypted contents. The error carries no detail: serde's messages can quote the
    /// input, which is secret.
    pub fn from_json(bytes: &[u8]) -> std::result::Result<Contents, ContentsError> {
        let mut contents: Contents = serde_json::from_slice(bytes).map_err(|_| ContentsError)?;
        contents.accounts.sort_by_key(|a| a.position);
        contents.renumber();
        Ok(contents)
    }

    pub(crate) fn account_mut(&mut self, id: AccountId) -> Result<&mut Account> {
        self.accounts
            .iter_mut()
            .find(|a| a.id == id)
            .ok_or(Error::AccountNotFound { id })
    }

    /// Positions become `0..n` in the current order.
    pub(crate) fn renumber(&mut self) {
        for (i, account) in self.accounts.iter_mut().enumerate() {
            account.position = u32::try_from(i).unwrap_or(u32::MAX);
        }
    }
}
