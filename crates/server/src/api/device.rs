//! Device API (push protocol v1): activate, long-poll for challenges, answer, deactivate.
//!
//! Every request is signed (see `countersign_protocol::request`). A device the server no
//! longer knows gets `410 device_not_activated`, but only after its signature checks against
//! the key it had, so strangers learn nothing about which ids exist.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use countersign_protocol::request::HEADER_DEVICE;
use countersign_protocol::wire::{
    ActivateRequest, ActivateResponse, AnswerRequest, AnswerResponse, ChallengeBatch,
    ChallengeStatus, Decision,
};
use countersign_protocol::{PublicKey, SignedRequest, MAX_CLOCK_SKEW_SECONDS, MAX_WAIT_SECONDS};
use serde::Deserialize;

use super::check_text;
use super::push::{recheck_interval, signed_of};
use crate::error::{ApiError, Json};
use crate::state::{now, AppState, OutcomeLabels};
use crate::store::{Answer, Burn, Device};
use countersign_protocol::encoding::sha256_hex;

fn signed_headers(headers: &HeaderMap) -> Result<SignedRequest, ApiError> {
    Ok(SignedRequest::from_headers(|name| {
        headers.get(name).and_then(|v| v.to_str().ok())
    })?)
}

fn target(uri: &OriginalUri) -> &str {
    uri.0.path_and_query().map(|p| p.as_str()).unwrap_or("/")
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid("malformed_body", format!("the JSON body is invalid: {e}")))
}

fn count(state: &AppState, outcome: &str) {
    state
        .metrics
        .device_requests
        .get_or_create(&OutcomeLabels {
            outcome: outcome.to_owned(),
        })
        .inc();
}

/// Checks a device request's signature, timestamp and nonce; returns the device.
async fn authenticate(
    state: &AppState,
    method: &Method,
    uri: &OriginalUri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Device, ApiError> {
    let result = authenticate_inner(state, method, uri, headers, body).await;
    count(
        state,
        result.as_ref().map(|_| "ok").unwrap_or_else(|e| e.code),
    );
    result
}

async fn authenticate_inner(
    state: &AppState,
    method: &Method,
    uri: &OriginalUri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Device, ApiError> {
    let signed = signed_headers(headers)?;
    let Some(device_id) = signed.device.as_deref() else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "malformed_signature",
            format!("the request lacks the {HEADER_DEVICE} header"),
        ));
    };
    let bad_signature = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            "the request signature does not verify",
        )
    };
    let now = now();
    let (key, device) = match state.store.device(device_id).await? {
        Some(device) => (device.public_key.clone(), Some(device)),
        None => match state.store.revoked_device_key(device_id).await? {
            Some(key) => (key, None),
            None => return Err(bad_signature()),
        },
    };
    let key: PublicKey = key.parse().map_err(|_| bad_signature())?;
    signed.verify(&key, method.as_str(), target(uri), body, now.max(0) as u64)?;
    let Some(device) = device else {
        return Err(not_activated());
    };
    let expires = signed.timestamp as i64 + MAX_CLOCK_SKEW_SECONDS as i64 + 1;
    if !state
        .store
        .remember_nonce(&device.id, signed.nonce.as_str(), expires)
        .await?
    {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "replayed_nonce",
            "this request's nonce was used before (a replay)",
        ));
    }
    Ok(device)
}

fn not_activated() -> ApiError {
    ApiError::new(
        StatusCode::GONE,
        "device_not_activated",
        "this device is no longer activated on the server; remove the account and scan a new activation QR code",
    )
}

fn same_device(device: &Device, path_id: &str) -> Result<(), ApiError> {
    if device.id != path_id {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "device_mismatch",
            "a device may only act on its own id",
        ));
    }
    Ok(())
}

/// Activate a device with a single-use code. Signed with the new device key (no
/// `countersign-device` header).
#[utoipa::path(post, path = "/v1/activate", tag = "device", request_body = ActivateRequest,
    responses((status = 201, body = ActivateResponse),
        (status = 401, description = "bad_signature, stale_timestamp, malformed_signature", body = countersign_protocol::wire::ErrorBody),
        (status = 404, description = "unknown_activation", body = countersign_protocol::wire::ErrorBody),
        (status = 409, description = "activation_used", body = countersign_protocol::wire::ErrorBody),
        (status = 410, description = "activation_expired", body = countersign_protocol::wire::ErrorBody)))]
pub async fn activate(
    State(state): State<AppState>,
    method: Method,
    uri: OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<ActivateResponse>), ApiError> {
    let signed = signed_headers(&headers)?;
    let req: ActivateRequest = parse_body(&body)?;
    check_text("device_name", &req.device_name, 128)?;
    signed.verify(
        &req.public_key,
        method.as_str(),
        target(&uri),
        &body,
        now().max(0) as u64,
    )?;
    let device = Device {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: String::new(),
        name: req.device_name.clone(),
        public_key: req.public_key.to_string(),
        created: now(),
    };
    let cursor = state.store.current_seq().await?;
    match state
        .store
        .activate(&sha256_hex(req.code.as_bytes()), &device, now())
        .await?
    {
        Burn::Activated { user } => {
            count(&state, "activated");
            Ok((
                StatusCode::CREATED,
                Json(ActivateResponse {
                    device_id: device.id,
                    user,
                    issuer: state.config.server_name.clone(),
                    server_public_key: state.server_key.public_key(),
                    cursor: cursor as u64,
                }),
            ))
        }
        Burn::Unknown => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_activation",
            "no such activation code; ask for a new activation QR code",
        )),
        Burn::Used => Err(ApiError::new(
            StatusCode::CONFLICT,
            "activation_used",
            "this activation code was used already; ask for a new activation QR code",
        )),
        Burn::Expired => Err(ApiError::new(
            StatusCode::GONE,
            "activation_expired",
            "this activation code expired; ask for a new activation QR code",
        )),
    }
}

/// `?since=&wait=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct Poll {
    /// The highest sequence number already seen.
    pub since: Option<u64>,
    /// Seconds to hold the request while nothing is pending (at most 45).
    pub wait: Option<u64>,
}

/// Long-poll for pending challenges after the cursor.
#[utoipa::path(get, path = "/v1/devices/{id}/challenges", tag = "device",
    params(("id" = String, Path, description = "device id"), Poll),
    responses((status = 200, body = ChallengeBatch),
        (status = 401, description = "bad_signature, stale_timestamp, replayed_nonce", body = countersign_protocol::wire::ErrorBody),
        (status = 410, description = "device_not_activated", body = countersign_protocol::wire::ErrorBody)))]
pub async fn poll(
    State(state): State<AppState>,
    Path(id): Path<String>,
    method: Method,
    uri: OriginalUri,
    headers: HeaderMap,
) -> Result<Json<ChallengeBatch>, ApiError> {
    // Every database call below is boxed: its future lives only while it runs, so what the
    // poll keeps while it waits (and one waits per device) is little more than its wake-ups.
    let device = Box::pin(authenticate(&state, &method, &uri, &headers, b"")).await?;
    same_device(&device, &id)?;
    let q: Poll = serde_urlencoded::from_str(uri.0.query().unwrap_or(""))
        .map_err(|e| ApiError::invalid("malformed_query", e.to_string()))?;
    let since = q.since.unwrap_or(0);
    let since_i = i64::try_from(since)
        .map_err(|_| ApiError::invalid("malformed_query", "`since` is too large"))?;
    let wait = Duration::from_secs(q.wait.unwrap_or(0).min(MAX_WAIT_SECONDS));
    // The head's header values and URI are allocations of their own the wait does not need:
    // letting them go frees them for the whole wait.
    drop((headers, uri));
    let deadline = tokio::time::Instant::now() + wait;
    let notify = state.hub.user(&device.user_id);
    state.metrics.device_polls.inc();
    struct Gauge<'a>(&'a AppState);
    impl Drop for Gauge<'_> {
        fn drop(&mut self) {
            self.0.metrics.device_polls.dec();
        }
    }
    let _gauge = Gauge(&state);
    let mut woken = false;
    loop {
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let rows = Box::pin(state.store.pending_after(&device.user_id, since_i, now())).await?;
        // A wake-up with nothing new may be the device's removal (deactivated, its user reset
        // or deleted, here or on another node): end the poll now rather than after `wait`.
        if rows.is_empty() && woken && Box::pin(state.store.device(&device.id)).await?.is_none() {
            return Err(not_activated());
        }
        if !rows.is_empty() {
            let now_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or_default();
            let mut cursor = since;
            let mut challenges = Vec::with_capacity(rows.len());
            for row in &rows {
                cursor = cursor.max(row.seq as u64);
                state
                    .metrics
                    .delivery_seconds
                    .observe((now_ms - row.created as f64).max(0.0));
                match signed_of(&state, row) {
                    Some(signed) => challenges.push(signed),
                    None => {
                        tracing::error!(challenge = %row.id, "stored challenge cannot be rebuilt")
                    }
                }
            }
            return Ok(Json(ChallengeBatch { challenges, cursor }));
        }
        let recheck = tokio::time::Instant::now() + recheck_interval(&state);
        woken = tokio::select! {
            _ = &mut notified => true,
            _ = tokio::time::sleep_until(recheck.min(deadline)) => {
                if recheck >= deadline {
                    return Ok(Json(ChallengeBatch { challenges: Vec::new(), cursor: since }));
                }
                false
            }
        };
    }
}

/// Answer a challenge: approve (with the number the user picked), deny or report fraud.
#[utoipa::path(post, path = "/v1/challenges/{id}/answer", tag = "device", request_body = AnswerRequest,
    params(("id" = String, Path, description = "challenge id")),
    responses((status = 200, body = AnswerResponse),
        (status = 401, description = "bad_signature, stale_timestamp, replayed_nonce", body = countersign_protocol::wire::ErrorBody),
        (status = 404, description = "unknown_challenge", body = countersign_protocol::wire::ErrorBody),
        (status = 409, description = "already_answered", body = countersign_protocol::wire::ErrorBody),
        (status = 410, description = "challenge_expired or device_not_activated", body = countersign_protocol::wire::ErrorBody)))]
pub async fn answer(
    State(state): State<AppState>,
    Path(id): Path<String>,
    method: Method,
    uri: OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<AnswerResponse>, ApiError> {
    let device = authenticate(&state, &method, &uri, &headers, &body).await?;
    let req: AnswerRequest = parse_body(&body)?;
    let unknown = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_challenge",
            format!("no challenge with id {id:?} for this device"),
        )
    };
    let current = match state.store.challenge(&id).await? {
        Some(row) if row.user_id == device.user_id => row,
        _ => return Err(unknown()),
    };
    let (status, reason) = match req.decision {
        Decision::Approve
            if current.options.is_empty() || req.number.map(i64::from) == Some(current.number) =>
        {
            (ChallengeStatus::Approved, None)
        }
        Decision::Approve => (ChallengeStatus::Denied, Some("wrong_number")),
        Decision::Deny => (ChallengeStatus::Denied, Some("user_denied")),
        Decision::ReportFraud => (ChallengeStatus::Fraud, Some("reported_fraud")),
    };
    // The answer, the fraud block and the log row are one transaction, run in a task of its own:
    // a client that hangs up mid-request cannot leave the answer committed without its log row
    // (or cancel an answer the device believes it sent).
    let task = {
        let state = state.clone();
        let id = id.clone();
        let device = device.clone();
        tokio::spawn(async move { record_answer(&state, &id, &device, status, reason).await })
    };
    let outcome = task.await.map_err(|e| {
        tracing::error!(error = %e, "answer task failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed to record the answer; try again",
        )
    })??;
    match outcome {
        Answer::Done(..) => Ok(Json(AnswerResponse { status })),
        Answer::Unknown => Err(unknown()),
        Answer::NotPending(row) if row.status == "expired" || row.status == "pending" => {
            Err(ApiError::new(
                StatusCode::GONE,
                "challenge_expired",
                "the challenge expired before it was answered",
            ))
        }
        Answer::NotPending(row) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "already_answered",
            format!("the challenge is {} already", row.status),
        )),
    }
}

/// Records an answer (or, when the challenge is past its expiry, the expiry), counts the log
/// rows written and wakes the relying party's long-polls.
async fn record_answer(
    state: &AppState,
    id: &str,
    device: &Device,
    status: ChallengeStatus,
    reason: Option<&'static str>,
) -> Result<Answer, sqlx::Error> {
    let now = now();
    let source = state.log_source();
    let outcome = state
        .store
        .answer_challenge(
            id,
            &device.user_id,
            status.as_str(),
            reason,
            Some(&device.id),
            now,
            &source,
        )
        .await?;
    match &outcome {
        Answer::Done(_, entry) => {
            if let Some(entry) = entry {
                state.count_auth(entry);
            }
            state.hub.challenge_changed(id);
        }
        Answer::NotPending(row) if row.status == "pending" => {
            if let Some((_, entry)) = state.store.expire_due(Some(id), now, &source).await?.pop() {
                if let Some(entry) = &entry {
                    state.count_auth(entry);
                }
                state.hub.challenge_changed(id);
            }
        }
        _ => {}
    }
    Ok(outcome)
}

/// Deactivate this device (the app removes the account).
#[utoipa::path(delete, path = "/v1/devices/{id}", tag = "device",
    params(("id" = String, Path, description = "device id")),
    responses((status = 204),
        (status = 401, body = countersign_protocol::wire::ErrorBody),
        (status = 410, description = "device_not_activated", body = countersign_protocol::wire::ErrorBody)))]
pub async fn deactivate(
    State(state): State<AppState>,
    Path(id): Path<String>,
    method: Method,
    uri: OriginalUri,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let device = authenticate(&state, &method, &uri, &headers, b"").await?;
    same_device(&device, &id)?;
    state.store.delete_device(&device.id, now()).await?;
    // Ends this device's long-poll, if one is open on another connection.
    state.hub.user_changed(&device.user_id);
    Ok(StatusCode::NO_CONTENT)
}
