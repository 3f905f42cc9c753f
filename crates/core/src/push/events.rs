//! What the listener reports: challenges to show and the state of each connection.
//!
//! Every type here is `Serialize` with stable snake_case tags, so the app shell can forward
//! them to the UI as they are.

use serde::{Deserialize, Serialize};

use countersign_protocol::Challenge;

use super::clock::ClockOffset;

/// A verified, fresh sign-in request, ready to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomingChallenge {
    /// The activation (device id) it arrived on; answer with that activation's client.
    pub device_id: String,
    /// The server's base URL.
    pub server: String,
    /// The challenge: id, app, user, client IP, location, times, number options.
    #[serde(flatten)]
    pub challenge: Challenge,
    /// Local Unix milliseconds when it arrived.
    pub received_ms: i64,
    /// Server clock minus local clock when it arrived, in milliseconds (0 if unmeasured).
    pub clock_offset_ms: i64,
}

impl IncomingChallenge {
    /// Milliseconds left to answer at local time `local_now_ms` (negative once expired),
    /// measured on the server's clock so a skewed local clock does not mislead the countdown.
    pub fn millis_left(&self, local_now_ms: i64) -> i64 {
        let expires_ms = i64::try_from(self.challenge.expires).unwrap_or(i64::MAX / 1000) * 1000;
        expires_ms - (local_now_ms + self.clock_offset_ms)
    }

    /// Whether the user must pick the number the sign-in page shows.
    pub fn number_matching(&self) -> bool {
        !self.challenge.options.is_empty()
    }
}

/// The state of one activation's connection, as the account row shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ConnectionState {
    /// The first long-poll is on its way.
    Connecting,
    /// The last long-poll got an answer.
    Connected {
        /// Local Unix milliseconds of the first healthy poll of this streak.
        since_ms: i64,
    },
    /// The connection failed; the next attempt is scheduled.
    Reconnecting {
        /// Failed attempts in a row.
        attempt: u32,
        /// Local Unix milliseconds of the next attempt.
        retry_at_ms: i64,
        /// The error's stable code (`network`, `server_error`, `tls_pin_mismatch`...).
        code: String,
        /// What failed, for people.
        message: String,
    },
    /// The server no longer knows this device: the account must be removed and re-added.
    NotActivated {
        /// "Authentication request is not for an activated account ...".
        message: String,
    },
    /// The listener was stopped.
    Stopped,
}

/// One thing the listener reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PushEvent {
    /// A new sign-in request (never the same id twice from one listener).
    Challenge(IncomingChallenge),
    /// The connection state of an activation changed.
    State {
        /// The activation.
        device_id: String,
        /// Its new state.
        state: ConnectionState,
    },
    /// The measured clock offset to the server changed by a second or more.
    Clock {
        /// The activation.
        device_id: String,
        /// Server minus local time.
        offset: ClockOffsetEvent,
    },
    /// A challenge was received but not shown (bad signature, expired, duplicate).
    Dropped {
        /// The activation.
        device_id: String,
        /// The challenge id as received.
        challenge_id: String,
        /// `bad_signature`, `expired` or `duplicate`.
        reason: String,
    },
}

/// [`ClockOffset`] as it travels in events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockOffsetEvent {
    /// Server time minus local time, in milliseconds.
    pub offset_ms: i64,
    /// Half the width of the interval the offset is known to lie in.
    pub uncertainty_ms: i64,
    /// Whether codes of a 30-second TOTP account with a ±1 step window may fail.
    pub endangers_totp: bool,
}

impl From<ClockOffset> for ClockOffsetEvent {
    fn from(o: ClockOffset) -> Self {
        ClockOffsetEvent {
            offset_ms: o.offset_ms,
            uncertainty_ms: o.uncertainty_ms,
            endangers_totp: o.endangers_totp(30, 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialise_with_stable_tags() {
        let e = PushEvent::State {
            device_id: "d1".into(),
            state: ConnectionState::Reconnecting {
                attempt: 2,
                retry_at_ms: 5,
                code: "network".into(),
                message: "m".into(),
            },
        };
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"type": "state", "device_id": "d1", "state":
                {"state": "reconnecting", "attempt": 2, "retry_at_ms": 5, "code": "network", "message": "m"}})
        );
        let c = PushEvent::Challenge(IncomingChallenge {
            device_id: "d1".into(),
            server: "https://s".into(),
            challenge: Challenge {
                id: "c".into(),
                seq: 1,
                user: "u".into(),
                issuer: "I".into(),
                app: "VPN".into(),
                client_ip: None,
                location: None,
                created: 10,
                expires: 70,
                options: vec![12, 34, 56],
            },
            received_ms: 10_500,
            clock_offset_ms: 0,
        });
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["type"], "challenge");
        assert_eq!(v["app"], "VPN");
        assert_eq!(v["options"], serde_json::json!([12, 34, 56]));
        assert_eq!(serde_json::from_value::<PushEvent>(v).unwrap(), c);
    }

    #[test]
    fn countdown_uses_the_server_clock() {
        let mut c = IncomingChallenge {
            device_id: "d".into(),
            server: "s".into(),
            challenge: Challenge {
                id: "c".into(),
                seq: 1,
                user: "u".into(),
                issuer: "I".into(),
                app: "a".into(),
                client_ip: None,
                location: None,
                created: 100,
                expires: 160,
                options: vec![],
            },
            received_ms: 0,
            clock_offset_ms: 0,
        };
        assert_eq!(c.millis_left(100_000), 60_000);
        c.clock_offset_ms = 20_000; // the local clock is 20 s behind the server
        assert_eq!(c.millis_left(100_000), 40_000);
        assert!(!c.number_matching());
    }
}
