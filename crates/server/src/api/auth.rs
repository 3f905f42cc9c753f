//! Relying-party authentication: `Authorization: Bearer <API key>`.
//!
//! A key made with `apikey create` reads `csk_<id>_<secret>`; the database keeps the id and the
//! SHA-256 of the secret. Keys from the config file are compared whole. Every comparison is
//! constant-time over SHA-256 digests.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::state::AppState;
use countersign_protocol::encoding::{sha256, sha256_hex};

/// Proof that the request carries a valid API key.
#[derive(Debug, Clone, Copy)]
pub struct RelyingParty;

/// Prefix of database API keys.
pub const KEY_PREFIX: &str = "csk_";

impl FromRequestParts<AppState> for RelyingParty {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let unauthorized = || {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "send a valid API key as `Authorization: Bearer <key>` (make one with `countersign-server apikey create`)",
            )
        };
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(unauthorized)?;
        let digest = sha256(presented.as_bytes());
        let mut ok = subtle::Choice::from(0);
        for key in &state.config.api_keys {
            ok |= sha256(key.as_bytes()).ct_eq(&digest);
        }
        if bool::from(ok) {
            return Ok(RelyingParty);
        }
        if let Some((id, secret)) = presented
            .strip_prefix(KEY_PREFIX)
            .and_then(|rest| rest.split_once('_'))
        {
            if let Some(stored) = state.store.api_key_hash(id).await? {
                if bool::from(
                    stored
                        .as_bytes()
                        .ct_eq(sha256_hex(secret.as_bytes()).as_bytes()),
                ) {
                    return Ok(RelyingParty);
                }
            }
        }
        Err(unauthorized())
    }
}
