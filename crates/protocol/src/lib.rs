//! Countersign push protocol v1: wire types, canonical signed strings, signature checks.
//!
//! Both halves of the push channel use this crate, so they cannot drift apart:
//!
//! * the **server** verifies device requests ([`request::SignedRequest::verify`]), signs
//!   challenges ([`challenge::SignedChallenge::sign`]) and formats activation URIs
//!   ([`activation::ActivationUri::to_uri`]);
//! * the **device** (the app's push client) parses activation URIs
//!   ([`activation::ActivationUri::parse`]), signs its requests ([`request::SignedRequest::sign`])
//!   and verifies challenges before showing them ([`challenge::SignedChallenge::verify`]).
//!
//! The byte layout of everything that gets signed is specified in `PROTOCOL.md` next to this
//! crate's manifest, so that another implementation can be written from it.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod activation;
pub mod challenge;
pub mod encoding;
pub mod keys;
pub mod request;
pub mod wire;

pub use activation::{ActivationCode, ActivationUri, ActivationUriError};
pub use challenge::{Challenge, ChallengeError, SignedChallenge};
pub use keys::{Fingerprint, KeyError, PublicKey, Signature, SigningKey};
pub use request::{Nonce, RequestError, SignedRequest};

/// The protocol version this crate speaks; it starts every signed string.
pub const VERSION: &str = "v1";

/// How far a device request's timestamp may be from the server's clock, in seconds.
pub const MAX_CLOCK_SKEW_SECONDS: u64 = 60;

/// The longest a long-poll may be held open, in seconds.
pub const MAX_WAIT_SECONDS: u64 = 45;
