//! The push client's error type.

use countersign_protocol::ActivationUriError;

/// Everything that can go wrong talking to a push server. [`PushError::code`] is the stable
/// snake_case code the UI switches on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    /// The scanned text is not a usable activation URI.
    #[error("this is not a valid Countersign activation code: {0}")]
    ActivationUri(#[from] ActivationUriError),

    /// The server could not be reached, or the connection broke (retry later).
    #[error("cannot reach the push server {server}: {detail}")]
    Network {
        /// The server's base URL.
        server: String,
        /// What failed (connect, timeout, reset).
        detail: String,
    },

    /// The server's TLS certificate is not the one pinned at activation.
    #[error(
        "the server {server} presented a TLS certificate that does not match the pinned \
         fingerprint; someone may be intercepting the connection (or the server's certificate \
         was replaced: re-activate with a new activation code)"
    )]
    TlsPinMismatch {
        /// The server's base URL.
        server: String,
    },

    /// The server's challenge-signing key does not match the activation URI's fingerprint.
    #[error(
        "the server's challenge-signing key does not match the fingerprint in the activation \
         code; the activation was abandoned (ask the administrator for a new code)"
    )]
    ServerKeyMismatch,

    /// The server no longer knows this device (it was removed or the user was reset).
    #[error(
        "Authentication request is not for an activated account: the server {server} no longer \
         knows this device. Remove the account and scan a new activation QR code"
    )]
    NotActivated {
        /// The server's base URL.
        server: String,
    },

    /// The challenge was answered already (by this device on a lost connection, or another).
    #[error("this sign-in request was answered already")]
    AlreadyAnswered,

    /// The challenge can no longer be answered.
    #[error("this sign-in request expired before it was answered")]
    ChallengeExpired,

    /// The server does not know the challenge (or it is another user's).
    #[error("the server has no sign-in request with id {id:?} for this device")]
    UnknownChallenge {
        /// The challenge id.
        id: String,
    },

    /// Any other refusal, with the server's code and message.
    #[error("the push server refused the request: {message} ({code}, HTTP {status})")]
    Server {
        /// HTTP status.
        status: u16,
        /// The server's stable error code (`activation_expired`, `stale_timestamp`, ...).
        code: String,
        /// The server's message.
        message: String,
    },

    /// The server answered something that is not the protocol.
    #[error("the push server sent an unexpected response: {detail}")]
    BadResponse {
        /// What was wrong with it.
        detail: String,
    },

    /// A stored activation is unusable (damaged key or fingerprint).
    #[error("the stored push activation is damaged ({0}); remove it and activate again")]
    CorruptActivation(&'static str),

    /// No activation with that device id.
    #[error("no push activation with device id {0:?}")]
    UnknownActivation(String),

    /// Key generation or signing failed.
    #[error("cryptography failed: {0}")]
    Key(#[from] countersign_protocol::KeyError),

    /// Reading or saving the vault failed.
    #[error(transparent)]
    Vault(#[from] crate::Error),
}

impl PushError {
    /// The stable snake_case code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::ActivationUri(_) => "invalid_activation_uri",
            Self::Network { .. } => "network",
            Self::TlsPinMismatch { .. } => "tls_pin_mismatch",
            Self::ServerKeyMismatch => "server_key_mismatch",
            Self::NotActivated { .. } => "device_not_activated",
            Self::AlreadyAnswered => "already_answered",
            Self::ChallengeExpired => "challenge_expired",
            Self::UnknownChallenge { .. } => "unknown_challenge",
            Self::Server { .. } => "server_error",
            Self::BadResponse { .. } => "bad_response",
            Self::CorruptActivation(_) => "corrupt_activation",
            Self::UnknownActivation(_) => "unknown_activation",
            Self::Key(_) => "crypto",
            Self::Vault(e) => e.code(),
        }
    }

    /// Whether trying again later may succeed (network trouble, server errors).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Network { .. } => true,
            Self::Server { status, code, .. } => {
                *status >= 500
                    || *status == 429
                    || code == "stale_timestamp"
                    || code == "replayed_nonce"
            }
            _ => false,
        }
    }
}
