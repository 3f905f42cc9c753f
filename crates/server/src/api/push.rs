//! Relying-party side of push: create a challenge, long-poll for its result.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use countersign_protocol::wire::ChallengeStatus;
use countersign_protocol::{Challenge, SignedChallenge, MAX_WAIT_SECONDS};
use rand::seq::SliceRandom;
use rand::Rng;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::RelyingParty;
use super::users::load_user;
use super::{check_ip, check_text};
use crate::error::{ApiError, Json, Query};
use crate::state::{now, AppState, AuthEvent, Inner};
use crate::store::{ChallengeRow, Inserted, NewChallenge};

/// `POST /v1/users/{id}/push`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    /// The application being signed in to (shown on the device).
    pub app: String,
    /// The sign-in's IP address (shown on the device, logged).
    #[serde(default)]
    pub client_ip: Option<String>,
    /// Free-text location (shown on the device).
    #[serde(default)]
    pub location: Option<String>,
    /// Whether the user must pick the number shown on the sign-in page (default true).
    #[serde(default)]
    pub number_matching: Option<bool>,
}

/// A created challenge.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PushCreated {
    /// Challenge id, for `GET /v1/push/{id}`.
    pub id: String,
    /// The number to show on the sign-in page (absent without number matching).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<u8>,
    /// Unix seconds after which it can no longer be answered.
    pub expires: i64,
}

/// A challenge's result as the relying party sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PushResult {
    /// Challenge id.
    pub id: String,
    /// User id.
    pub user: String,
    /// `pending`, `approved`, `denied`, `fraud`, `expired` or `replaced`.
    pub status: ChallengeStatus,
    /// Why it was denied or ended (`user_denied`, `wrong_number`, `no_answer`, `user_reset`,
    /// `replaced`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The device that answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Unix seconds of the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered: Option<i64>,
    /// Unix seconds of expiry.
    pub expires: i64,
}

impl From<ChallengeRow> for PushResult {
    fn from(r: ChallengeRow) -> Self {
        Self {
            status: ChallengeStatus::parse(&r.status).unwrap_or(ChallengeStatus::Expired),
            id: r.id,
            user: r.user_id,
            reason: r.reason,
            device: r.device_id,
            answered: r.answered,
            expires: r.expires,
        }
    }
}

/// Send a push challenge to the user's devices. Replaces the user's pending challenge.
#[utoipa::path(post, path = "/v1/users/{id}/push", tag = "push", security(("api_key" = [])), request_body = PushRequest,
    params(("id" = String, Path, description = "user id")),
    responses((status = 201, body = PushCreated),
        (status = 403, description = "fraud_blocked", body = countersign_protocol::wire::ErrorBody),
        (status = 404, description = "unknown_user", body = countersign_protocol::wire::ErrorBody),
        (status = 409, description = "no_device", body = countersign_protocol::wire::ErrorBody),
        (status = 429, description = "rate_limited", body = countersign_protocol::wire::ErrorBody)))]
pub async fn create_push(
    _rp: RelyingParty,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(req): Json<PushRequest>,
) -> Result<(StatusCode, Json<PushCreated>), ApiError> {
    check_text("app", &req.app, 128)?;
    if req.app.is_empty() {
        return Err(ApiError::invalid(
            "invalid_field",
            "`app` must name the application",
        ));
    }
    if let Some(ip) = &req.client_ip {
        check_ip(ip)?;
    }
    if let Some(loc) = &req.location {
        check_text("location", loc, 256)?;
    }
    let user = load_user(&state, &id).await?;
    let client_ip = req.client_ip.as_deref();
    let refuse = |reason: &'static str| AuthEvent {
        mode: "push",
        result: "denied",
        reason: Some(reason),
        device: None,
        client_ip,
    };
    if user.fraud_blocked != 0 {
        state.log_auth(&user, refuse("fraud_blocked")).await?;
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "fraud_blocked",
            "the user reported a push as fraud; pushes are blocked until an admin unblocks the user",
        ));
    }
    if state.store.devices_of(&user.id).await?.is_empty() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "no_device",
            "the user has no activated device; start an activation first",
        ));
    }
    let now = now();
    let (number, options) = if req.number_matching.unwrap_or(true) {
        number_options()
    } else {
        (0, Vec::new())
    };
    let cid = uuid::Uuid::new_v4().to_string();
    let expires = now + state.config.challenge_ttl as i64;
    let new = NewChallenge {
        id: &cid,
        user_id: &user.id,
        app: &req.app,
        client_ip,
        location: req.location.as_deref().filter(|l| !l.is_empty()),
        number,
        options: &options,
        created: now,
        expires,
    };
    let inserted = state
        .store
        .insert_challenge(
            &new,
            i64::from(state.config.pushes_per_minute),
            &state.log_source(),
            |seq| {
                let challenge = challenge_of(&state, &new, seq);
                SignedChallenge::sign(challenge, &state.server_key)
                    .map(|s| s.signature.to_string())
                    .map_err(|e| e.to_string())
            },
        )
        .await?;
    let replaced = match inserted {
        Inserted::Done { replaced, .. } => replaced,
        Inserted::RateLimited => {
            state.log_auth(&user, refuse("rate_limited")).await?;
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "at most {} pushes per user per minute",
                    state.config.pushes_per_minute
                ),
            )
            .retry_after(60));
        }
    };
    state.metrics.challenges_created.inc();
    for (old, entry) in &replaced {
        if let Some(entry) = entry {
            state.count_auth(entry);
        }
        state.hub.challenge_changed(&old.id);
    }
    state.hub.user_changed(&user.id);
    Ok((
        StatusCode::CREATED,
        Json(PushCreated {
            id: cid,
            number: (number != 0).then_some(number),
            expires,
        }),
    ))
}

/// The number to show and the three options the device offers (the number among them).
fn number_options() -> (u8, Vec<u8>) {
    let mut rng = rand::rngs::OsRng;
    let number = rng.gen_range(10..=99u8);
    let mut options = vec![number];
    while options.len() < 3 {
        let other = rng.gen_range(10..=99u8);
        if !options.contains(&other) {
            options.push(other);
        }
    }
    options.shuffle(&mut rng);
    (number, options)
}

fn challenge_of(state: &Inner, c: &NewChallenge<'_>, seq: u64) -> Challenge {
    Challenge {
        id: c.id.to_owned(),
        seq,
        user: c.user_id.to_owned(),
        issuer: state.config.server_name.clone(),
        app: c.app.to_owned(),
        client_ip: c.client_ip.map(str::to_owned),
        location: c.location.map(str::to_owned),
        created: c.created as u64,
        expires: c.expires as u64,
        options: c.options.to_vec(),
    }
}

/// Rebuilds the signed challenge from a stored row.
pub fn signed_of(state: &Inner, r: &ChallengeRow) -> Option<SignedChallenge> {
    let options = if r.options.is_empty() {
        Vec::new()
    } else {
        r.options
            .split(',')
            .map(|o| o.parse().ok())
            .collect::<Option<Vec<u8>>>()?
    };
    Some(SignedChallenge {
        challenge: Challenge {
            id: r.id.clone(),
            seq: r.seq as u64,
            user: r.user_id.clone(),
            issuer: state.config.server_name.clone(),
            app: r.app.clone(),
            client_ip: r.client_ip.clone(),
            location: r.location.clone(),
            created: r.created as u64,
            expires: r.expires as u64,
            options,
        },
        signature: r.signature.parse().ok()?,
    })
}

/// `?wait=SECONDS`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct Wait {
    /// Hold the request up to this many seconds (at most 45) while the challenge is pending.
    pub wait: Option<u64>,
}

/// A challenge's result; with `wait`, long-polls until it is no longer pending.
#[utoipa::path(get, path = "/v1/push/{id}", tag = "push", security(("api_key" = [])),
    params(("id" = String, Path, description = "challenge id"), Wait),
    responses((status = 200, body = PushResult), (status = 404, description = "unknown_challenge", body = countersign_protocol::wire::ErrorBody)))]
pub async fn push_result(
    _rp: RelyingParty,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(w): Query<Wait>,
) -> Result<Json<PushResult>, ApiError> {
    let unknown = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_challenge",
            format!("no challenge with id {id:?}"),
        )
    };
    if !countersign_protocol::request::is_id(&id) {
        return Err(unknown());
    }
    let wait = w.wait.unwrap_or(0).min(MAX_WAIT_SECONDS);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
    let notify = state.hub.challenge(&id);
    state.metrics.result_polls.inc();
    let _gauge = scopeguard(&state);
    loop {
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let row = state.store.challenge(&id).await?.ok_or_else(unknown)?;
        if row.status != "pending" {
            return Ok(Json(row.into()));
        }
        let now = now();
        if row.expires < now {
            if let Some((expired, entry)) = state
                .store
                .expire_due(Some(&id), now, &state.log_source())
                .await?
                .pop()
            {
                if let Some(entry) = &entry {
                    state.count_auth(entry);
                }
                state.hub.challenge_changed(&id);
                return Ok(Json(expired.into()));
            }
            continue;
        }
        let expiry =
            tokio::time::Instant::now() + Duration::from_secs((row.expires - now + 1) as u64);
        let recheck = tokio::time::Instant::now() + recheck_interval(&state);
        tokio::select! {
            _ = &mut notified => {}
            _ = tokio::time::sleep_until(recheck) => {}
            _ = tokio::time::sleep_until(deadline.min(expiry)) => {
                if tokio::time::Instant::now() >= deadline {
                    let row = state.store.challenge(&id).await?.ok_or_else(unknown)?;
                    return Ok(Json(row.into()));
                }
            }
        }
    }
}

/// How long a held long-poll waits before rereading the database when nothing woke it: the
/// configured interval, spread by ±25 % so that polls started together do not reread together.
pub fn recheck_interval(state: &Inner) -> Duration {
    let base = state.config.long_poll_recheck_seconds as f64;
    Duration::from_secs_f64(base * rand::thread_rng().gen_range(0.75..1.25))
}

/// Decrements the result-poll gauge when the request ends, however it ends.
fn scopeguard(state: &AppState) -> impl Drop + '_ {
    struct Guard<'a>(&'a AppState);
    impl Drop for Guard<'_> {
        fn drop(&mut self) {
            self.0.metrics.result_polls.dec();
        }
    }
    Guard(state)
}
