//! Google Authenticator transfer URIs: `otpauth-migration://offline?data=…`.
//! (Format documentation follows with the implementation.)

use crate::{KeyUri, UriError};

/// One transfer QR code's contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationBatch {
    /// The accounts in this QR code.
    pub accounts: Vec<KeyUri>,
    /// Payload format version (Google writes 1).
    pub version: i32,
    /// How many QR codes the export has.
    pub batch_size: i32,
    /// This code's position among them, from 0.
    pub batch_index: i32,
    /// Identifies the export the codes belong to (same in all its codes).
    pub batch_id: i32,
}

/// Decodes one `otpauth-migration://offline?data=…` URI.
pub fn decode(uri: &str) -> Result<MigrationBatch, MigrationError> {
    let _ = uri;
    todo!()
}

/// Encodes accounts as transfer URIs, at most `max_per_code` accounts in each (Google puts
/// about 10 in one QR code). Fails if an account cannot be represented in the format (Steam,
/// a period other than 30 s, other than 6 or 8 digits).
pub fn encode(accounts: &[KeyUri], max_per_code: usize) -> Result<Vec<String>, MigrationError> {
    let _ = (accounts, max_per_code);
    todo!()
}

/// Joins the batches of one export (in any order) into its accounts, checking that they share
/// a batch id and that every index from 0 to `batch_size - 1` is there exactly once.
pub fn join(batches: Vec<MigrationBatch>) -> Result<Vec<KeyUri>, MigrationError> {
    let _ = batches;
    todo!()
}

/// What is wrong with a transfer URI or batch set.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MigrationError {
    /// Not `otpauth-migration://offline`.
    #[error("not a Google Authenticator transfer URI: it must start with `otpauth-migration://offline`")]
    Scheme,
    /// No `data` parameter.
    #[error("the transfer URI has no `data` parameter")]
    MissingData,
    /// `data` is not percent-encoded base64.
    #[error("the `data` parameter is not valid base64")]
    Base64,
    /// The decoded bytes are not a MigrationPayload message.
    #[error("the transfer data is malformed: {0}")]
    Protobuf(String),
    /// One account in the payload cannot be used.
    #[error("account {index} in the transfer data is unusable: {reason}")]
    Account {
        /// Position of the account in the payload, from 0.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// An account cannot be written in Google's format.
    #[error("`{account}` cannot be exported to Google Authenticator: {reason}")]
    Unrepresentable {
        /// The account's label.
        account: String,
        /// Why.
        reason: String,
    },
    /// `max_per_code` was 0.
    #[error("at least one account must fit in each transfer code")]
    ZeroPerCode,
    /// Batches given to [`join`] do not form one complete export.
    #[error("the transfer codes do not form one complete export: {0}")]
    IncompleteBatch(String),
    /// Reserved for URI-level errors of accounts.
    #[error(transparent)]
    Uri(#[from] UriError),
}
