//! Activation: from a scanned `countersign://activate` URI to a stored device key.

use countersign_protocol::wire::ActivateRequest;
use countersign_protocol::{ActivationUri, Fingerprint, SigningKey};
use serde::Serialize;
use zeroize::Zeroizing;

use super::client::{self, TransportOptions};
use super::error::PushError;
use crate::account::Activation;

/// A parsed activation code, waiting for the user to confirm it.
#[derive(Debug, Clone)]
pub struct PendingActivation {
    uri: ActivationUri,
}

/// What the user confirms before the device is activated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActivationSummary {
    /// The server's base URL.
    pub server: String,
    /// The user id the device will approve sign-ins for.
    pub user: String,
    /// The server's display name.
    pub issuer: String,
    /// The server's challenge-signing key fingerprint, in colon hex (compare it with what the
    /// administrator shows).
    pub key_fingerprint: String,
    /// The pinned TLS certificate fingerprint, in colon hex, when the server's certificate is
    /// self-signed.
    pub tls_fingerprint: Option<String>,
    /// Unix seconds after which the code is refused.
    pub expires: u64,
}

impl PendingActivation {
    /// Parses the text of a scanned activation QR code.
    pub fn parse(text: &str) -> Result<Self, PushError> {
        Ok(PendingActivation {
            uri: ActivationUri::parse(text)?,
        })
    }

    /// An activation from an already parsed URI (e.g. a QR code's `Content::Activation`).
    pub fn from_uri(uri: ActivationUri) -> Self {
        PendingActivation { uri }
    }

    /// The parsed URI.
    pub fn uri(&self) -> &ActivationUri {
        &self.uri
    }

    /// What to show the user to confirm.
    pub fn summary(&self) -> ActivationSummary {
        ActivationSummary {
            server: self.uri.server.to_string(),
            user: self.uri.user.clone(),
            issuer: self.uri.issuer.clone(),
            key_fingerprint: self.uri.fingerprint.colon_hex(),
            tls_fingerprint: self.uri.tls.map(|t| t.colon_hex()),
            expires: self.uri.expires,
        }
    }

    /// Generates the device key, activates it with the server and returns the activation to
    /// store ([`super::store::add_activation`]). Nothing is stored when this fails.
    ///
    /// Refused when the server's challenge-signing key does not hash to the URI's `fp`: a
    /// server that is not the one the administrator vouched for never gets a device.
    pub async fn activate(
        &self,
        device_name: &str,
        transport: &TransportOptions,
    ) -> Result<Activation, PushError> {
        let key = SigningKey::generate()?;
        let request = ActivateRequest {
            code: self.uri.code.expose().to_owned(),
            public_key: key.public_key(),
            device_name: device_name.to_owned(),
        };
        let reply =
            client::activate(&self.uri.server, self.uri.tls, transport, &key, &request).await?;
        if reply.server_public_key.fingerprint() != self.uri.fingerprint {
            return Err(PushError::ServerKeyMismatch);
        }
        if !countersign_protocol::request::is_id(&reply.device_id) {
            return Err(PushError::BadResponse {
                detail: "the device id is not a valid id".into(),
            });
        }
        Ok(Activation {
            server: self.uri.server.to_string(),
            device_id: reply.device_id,
            device_key: Zeroizing::new(key.pkcs8().to_vec()),
            user: reply.user,
            issuer: if reply.issuer.is_empty() {
                self.uri.issuer.clone()
            } else {
                reply.issuer
            },
            server_key_fingerprint: self.uri.fingerprint.to_string(),
            label: String::new(),
            position: 0,
            server_public_key: reply.server_public_key.to_string(),
            tls_fingerprint: self
                .uri
                .tls
                .map(|t: Fingerprint| t.to_string())
                .unwrap_or_default(),
            cursor: reply.cursor,
            not_activated: false,
            pending_removal: false,
        })
    }
}
