//! JSON bodies of the device API (and the error body every endpoint uses).

use serde::{Deserialize, Serialize};

use crate::challenge::SignedChallenge;
use crate::keys::PublicKey;

/// `POST /v1/activate`, signed with the new device key (no device header yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActivateRequest {
    /// The activation code from the URI.
    pub code: String,
    /// The device's new P-256 public key (base64url uncompressed point).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub public_key: PublicKey,
    /// A name for the device, shown to admins ("Alice's phone").
    pub device_name: String,
}

/// The answer to a successful activation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivateResponse {
    /// The id the device sends in `countersign-device`.
    pub device_id: String,
    /// The user the device now approves sign-ins for.
    pub user: String,
    /// The server's display name.
    pub issuer: String,
    /// The key that signs challenges; its fingerprint must equal the URI's `fp`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub server_public_key: PublicKey,
    /// The cursor to start long-polling from.
    pub cursor: u64,
}

/// `GET /v1/devices/{id}/challenges?since=&wait=`: the pending challenges after `since`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChallengeBatch {
    /// Pending challenges with a sequence number above the cursor, oldest first.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub challenges: Vec<SignedChallenge>,
    /// The cursor for the next poll.
    pub cursor: u64,
}

/// What the user decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// It was me.
    Approve,
    /// It was not me / cancel.
    Deny,
    /// It was not me and I want it reported: blocks further pushes until an admin clears it.
    ReportFraud,
}

/// `POST /v1/challenges/{id}/answer`, signed by the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    /// The decision.
    pub decision: Decision,
    /// The number the user picked (required to approve a number-matching challenge).
    #[serde(default)]
    pub number: Option<u8>,
}

/// Where a challenge stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChallengeStatus {
    /// Waiting for the user.
    Pending,
    /// The user approved with the right number.
    Approved,
    /// The user denied, or picked the wrong number.
    Denied,
    /// The user reported fraud.
    Fraud,
    /// Nobody answered in time.
    Expired,
    /// A newer challenge for the same user replaced it.
    Replaced,
}

impl ChallengeStatus {
    /// The snake_case name stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Fraud => "fraud",
            Self::Expired => "expired",
            Self::Replaced => "replaced",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "approved" => Self::Approved,
            "denied" => Self::Denied,
            "fraud" => Self::Fraud,
            "expired" => Self::Expired,
            "replaced" => Self::Replaced,
            _ => return None,
        })
    }
}

/// The answer to `POST /v1/challenges/{id}/answer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnswerResponse {
    /// The challenge's final status.
    pub status: ChallengeStatus,
}

/// Every error the server returns: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// A stable snake_case `code` to switch on, and a `message` for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Stable snake_case code (`bad_signature`, `device_not_activated`, ...).
    pub code: String,
    /// What was wrong and what to do about it.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_has_the_documented_shape() {
        let body = ErrorBody {
            error: ErrorDetail {
                code: "bad_signature".into(),
                message: "m".into(),
            },
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({"error": {"code": "bad_signature", "message": "m"}})
        );
    }

    #[test]
    fn answer_request_refuses_unknown_fields_and_decisions() {
        let ok: AnswerRequest = serde_json::from_str(r#"{"decision":"report_fraud"}"#).unwrap();
        assert_eq!(
            ok,
            AnswerRequest {
                decision: Decision::ReportFraud,
                number: None
            }
        );
        assert!(serde_json::from_str::<AnswerRequest>(r#"{"decision":"maybe"}"#).is_err());
        assert!(serde_json::from_str::<AnswerRequest>(r#"{"decision":"deny","x":1}"#).is_err());
    }

    #[test]
    fn status_names_round_trip() {
        for s in [
            ChallengeStatus::Pending,
            ChallengeStatus::Approved,
            ChallengeStatus::Denied,
            ChallengeStatus::Fraud,
            ChallengeStatus::Expired,
            ChallengeStatus::Replaced,
        ] {
            assert_eq!(ChallengeStatus::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.as_str())
            );
        }
    }
}
