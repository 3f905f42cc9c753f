//! Relying-party API: users, activation, software TOTP, app passwords, verification, the log
//! and reports.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use countersign_oath::{Algorithm, Digits, KeyUri, Otp, Period, Secret};
use countersign_protocol::encoding::{b64url, sha256_hex};
use countersign_protocol::{ActivationCode, ActivationUri};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use super::auth::RelyingParty;
use super::{check_ip, check_text, check_user_id};
use crate::error::{ApiError, Json, Query};
use crate::state::{now, AppState, AuthEvent};
use crate::store::{AuthReportRow, LogEntry, LogQuery, Profile, UsageReport, User};
use crate::verify::{check_code, Outcome};

/// `POST /v1/users`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Unique id (1 to 128 printable characters).
    pub id: String,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
}

fn check_profile(p: &Profile) -> Result<(), ApiError> {
    for (name, value) in [
        ("first_name", &p.first_name),
        ("last_name", &p.last_name),
        ("email", &p.email),
        ("phone", &p.phone),
    ] {
        if let Some(v) = value {
            check_text(name, v, 256)?;
        }
    }
    Ok(())
}

pub(crate) async fn load_user(state: &AppState, id: &str) -> Result<User, ApiError> {
    check_user_id(id)?;
    state
        .store
        .user(id)
        .await?
        .ok_or_else(|| ApiError::unknown_user(id))
}

/// Create a user.
#[utoipa::path(post, path = "/v1/users", tag = "users", request_body = CreateUser,
    security(("api_key" = [])),
    responses((status = 201, body = User), (status = 400, body = countersign_protocol::wire::ErrorBody),
        (status = 409, description = "user_exists", body = countersign_protocol::wire::ErrorBody)))]
pub async fn create_user(
    _rp: RelyingParty,
    State(state): State<AppState>,
    Json(body): Json<CreateUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    check_user_id(&body.id)?;
    let profile = Profile {
        first_name: body.first_name,
        last_name: body.last_name,
        email: body.email,
        phone: body.phone,
    };
    check_profile(&profile)?;
    if !state.store.create_user(&body.id, &profile, now()).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "user_exists",
            format!(
                "a user with id {:?} exists already; update it with PATCH",
                body.id
            ),
        ));
    }
    let user = load_user(&state, &body.id).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// Show a user.
#[utoipa::path(get, path = "/v1/users/{id}", tag = "users", security(("api_key" = [])),
    params(("id" = String, Path, description = "user id")),
    responses((status = 200, body = User), (status = 404, body = countersign_protocol::wire::ErrorBody)))]
pub async fn show_user(
    _rp: RelyingParty,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<User>, ApiError> {
    Ok(Json(load_user(&state, &id).await?))
}

/// Update a user's optional fields (absent fields keep their value).
#[utoipa::path(patch, path = "/v1/users/{id}", tag = "users", security(("api_key" = [])), request_body = Profile,
    params(("id" = String, Path, description = "user id")),
    responses((status = 200, body = User), (status = 404, body = countersign_protocol::wire::ErrorBody)))]
pub async fn update_user(
    _rp: RelyingParty,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(profile): Json<Profile>,
) -> Result<Json<User>, ApiError> {
    check_user_id(&id)?;
    check_profile(&profile)?;
    if !state.store.update_user(&id, &profile, now()).await? {
        return Err(ApiError::unknown_user(&id));
    }
    Ok(Json(load_user(&state, &id).await?))
}

/// Delete a user and their devices and factors (the log keeps its rows).
#[utoipa::path(delete, path = "/v1/users/{id}", tag = "users", security(("api_key" = [])),
    params(("id" = String, Path, description = "user id")),
    responses((status = 204), (status = 404, body = countersign_protocol::wire::ErrorBody)))]
pub async fn delete_user(
    _rp: RelyingParty,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    check_user_id(&id)?;
    let Some(pending) = state.store.delete_user(&id).await? else {
        return Err(ApiError::unknown_user(&id));
    };
    wake_removed(&state, &id, &pending);
    Ok(StatusCode::NO_CONTENT)
}

/// Reset a user: remove devices, software and hardware tokens, app passwords, pending
/// challenges, throttling and any fraud block, so the user registers again.
#[utoipa::path(post, path = "/v1/users/{id}/reset", tag = "users", security(("api_key" = [])),
    params(("id" = String, Path, description = "user id")),
    responses((status = 200, body = User), (status = 404, body = countersign_protocol::wire::ErrorBody)))]
pub async fn reset_user(
    _rp: RelyingParty,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<User>, ApiError> {
    check_user_id(&id)?;
    let Some(pending) = state.store.reset_user(&id, now()).await? else {
        return Err(ApiError::unknown_user(&id));
    };
    wake_removed(&state, &id, &pending);
    Ok(Json(load_user(&state, &id).await?))
}

/// Wakes what waits on a user whose devices and pending challenges were just removed: the
/// devices' long-polls (which then answer `device_not_activated`) and relying parties waiting
/// for a challenge's result (which then see it expired, or gone).
fn wake_removed(state: &AppState, user: &str, challenges: &[String]) {
    state.hub.user_changed(user);
    for id in challenges {
        state.hub.challenge_changed(id);
    }
}

/// Clear a fraud block and a verification lockout.
#[utoipa::path(post, path = "/v1/users/{id}/unblock", tag = "users", security(("api_key" = [])),
    params(("id" = String, Path, description = "user id")),
    responses((status = 200, body = User), (status = 404, body = countersign_protocol::wire::ErrorBody)))]
pub async fn unblock_user(
    _rp: RelyingParty,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<User>, ApiError> {
    check_user_id(&id)?;
    if !state.store.unblock_user(&id, now()).await? {
        return Err(ApiError::unknown_user(&id));
    }
    Ok(Json(load_user(&state, &id).await?))
}

/// A new activation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ActivationCreated {
    /// The `countersign://activate` URI to show as a QR code (contains the one-time code).
    pub uri: String,
    /// Unix seconds after which the code is refused.
    pub expires: i64,
}

/// Creates an activation for `user` (also used by the admin CLI).
pub async fn new_activation(state: &AppState, user: &str) -> Result<ActivationCreated, ApiError> {
    let code = ActivationCode::generate()
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    let now = now();
    let expires = now + state.config.activation_ttl as i64;
    state
        .store
        .create_activation(&sha256_hex(code.expose().as_bytes()), user, now, expires)
        .await?;
    let server = url::Url::parse(&state.public_url).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("public_url: {e}"),
        )
    })?;
    let uri = ActivationUri {
        server,
        code,
        user: user.to_owned(),
        issuer: state.config.server_name.clone(),
        expires: expires as u64,
        fingerprint: state.server_key.public_key().fingerprint(),
        tls: state.tls_pin,
    };
    Ok(ActivationCreated {
        uri: uri.to_uri(),
        expires,
    })
}

/// Start an activation: a single-use code, valid for the configured time, in a URI for the
/// user's app.
#[utoipa::path(post, path = "/v1/users/{id}/activations", tag = "users", security(("api_key" = [])),
    params(("id" = String, Path, description = "user id")),
    responses((status = 201, body = ActivationCreated), (status = 404, body = countersign_protocol::wire::ErrorBody)))]
pub async fn create_activation(
    _rp: RelyingParty,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<ActivationCreated>), ApiError> {
    let user = load_user(&state, &id).await?;
    Ok((
        StatusCode::CREATED,
        Json(new_activation(&state, &user.id).await?),
    ))
}

/// `POST /v1/users/{id}/totp`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolTotp {
    /// `SHA1` (default), `SHA256` or `SHA512`.
    #[serde(default)]
    pub algorithm: Option<String>,
    /// 6 (default) to 10.
    #[serde(default)]
    pub digits: Option<u8>,
    /// Seconds per step, default 30.
    #[serde(default)]
    pub period: Option<u32>,
}

/// A new software TOTP.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TotpCreated {
    /// `otpauth://` URI for an authenticator app (contains the secret).
    pub uri: String,
    /// The secret, base32.
    pub secret: String,
}

/// Creates (or replaces) a user's software TOTP (also used by the admin CLI).
pub async fn enrol_totp(
    state: &AppState,
    user: &str,
    req: &EnrolTotp,
) -> Result<TotpCreated, ApiError> {
    let algorithm: Algorithm = match &req.algorithm {
        Some(a) => a
            .parse()
            .map_err(|e| ApiError::invalid("invalid_algorithm", format!("{e}")))?,
        None => Algorithm::Sha1,
    };
    let digits = Digits::new(req.digits.unwrap_or(6))
        .map_err(|e| ApiError::invalid("invalid_digits", e.to_string()))?;
    let period = Period::new(req.period.unwrap_or(30))
        .map_err(|e| ApiError::invalid("invalid_period", e.to_string()))?;
    let mut bytes = vec![0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = Secret::from_bytes(bytes);
    let encoded = secret.to_base32();
    state
        .store
        .set_software_token(
            user,
            &encoded,
            &algorithm.to_string(),
            i64::from(digits.value()),
            i64::from(period.seconds()),
            now(),
        )
        .await?;
    let key = KeyUri {
        otp: Otp::new_totp(secret, algorithm, digits, period),
        issuer: Some(state.config.server_name.clone()),
        account: user.to_owned(),
        image: None,
        extra: Vec::new(),
    };
    Ok(TotpCreated {
        uri: key.to_uri(),
        secret: encoded,
    })
}

/// Enrol (or replace) the user's software TOTP; returns the `otpauth://` URI once.
#[utoipa::path(post, path = "/v1/users/{id}/totp", tag = "factors", security(("api_key" = [])), request_body = EnrolTotp,
    params(("id" = String, Path, description = "user id")),
    responses((status = 201, body = TotpCreated), (status = 404, body = countersign_protocol::wire::ErrorBody)))]
pub async fn create_totp(
    _rp: RelyingParty,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(req): Json<EnrolTotp>,
) -> Result<(StatusCode, Json<TotpCreated>), ApiError> {
    let user = load_user(&state, &id).await?;
    Ok((
        StatusCode::CREATED,
        Json(enrol_totp(&state, &user.id, &req).await?),
    ))
}

/// `POST /v1/users/{id}/verify`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The code the user typed.
    pub code: String,
    /// The IP address the sign-in comes from (for the log).
    #[serde(default)]
    pub client_ip: Option<String>,
}

/// A successful verification.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Verified {
    /// Always `accepted` (failures are errors).
    pub result: String,
    /// `totp`, `hardware_totp`, `hardware_hotp` or `app_password`.
    pub mode: String,
    /// Hardware token serial, when one matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// Checks throttling and lockout before a verification; logs and refuses when they apply.
async fn gate(
    state: &AppState,
    user: &User,
    mode: &str,
    client_ip: Option<&str>,
    now: i64,
) -> Result<(), ApiError> {
    if user.failed_attempts >= i64::from(state.config.lockout_failures) {
        let event = AuthEvent {
            mode,
            result: "denied",
            reason: Some("locked_out"),
            device: None,
            client_ip,
        };
        state.log_auth(user, event).await?;
        return Err(ApiError::new(
            StatusCode::LOCKED,
            "locked_out",
            format!(
                "{} consecutive failed attempts: verification is locked until an admin unblocks the user",
                user.failed_attempts
            ),
        ));
    }
    if user.throttled_until > now {
        let wait = (user.throttled_until - now) as u64;
        let event = AuthEvent {
            mode,
            result: "denied",
            reason: Some("throttled"),
            device: None,
            client_ip,
        };
        state.log_auth(user, event).await?;
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            format!("too many failed attempts; try again in {wait} s"),
        )
        .retry_after(wait));
    }
    Ok(())
}

/// Counts a failure, logs it and builds the error.
#[allow(clippy::too_many_arguments)]
async fn fail(
    state: &AppState,
    user: &User,
    mode: &str,
    device: Option<&str>,
    client_ip: Option<&str>,
    status: StatusCode,
    code: &'static str,
    message: &str,
) -> ApiError {
    let now = now();
    let event = AuthEvent {
        mode,
        result: "denied",
        reason: Some(code),
        device,
        client_ip,
    };
    if let Err(e) = state.log_auth(user, event).await {
        return e.into();
    }
    match state
        .store
        .record_failure(&user.id, now, |n| state.config.backoff_seconds(n))
        .await
    {
        Ok(failures) => {
            let mut message = message.to_owned();
            if failures >= i64::from(state.config.lockout_failures) {
                message.push_str("; verification is now locked until an admin unblocks the user");
            }
            ApiError::new(status, code, message)
        }
        Err(e) => e.into(),
    }
}

/// Verify a one-time code against the user's software TOTP and hardware tokens.
#[utoipa::path(post, path = "/v1/users/{id}/verify", tag = "factors", security(("api_key" = [])), request_body = VerifyRequest,
    params(("id" = String, Path, description = "user id")),
    responses((status = 200, body = Verified),
        (status = 403, description = "wrong_code", body = countersign_protocol::wire::ErrorBody),
        (status = 404, description = "unknown_user", body = countersign_protocol::wire::ErrorBody),
        (status = 409, description = "code_reused or no_factor", body = countersign_protocol::wire::ErrorBody),
        (status = 423, description = "locked_out", body = countersign_protocol::wire::ErrorBody),
        (status = 429, description = "too_many_attempts", body = countersign_protocol::wire::ErrorBody)))]
pub async fn verify(
    _rp: RelyingParty,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(req): Json<VerifyRequest>,
) -> Result<Json<Verified>, ApiError> {
    let client_ip = req.client_ip.as_deref();
    if let Some(ip) = client_ip {
        check_ip(ip)?;
    }
    let user = load_user(&state, &id).await?;
    let now = now();
    gate(&state, &user, "otp", client_ip, now).await?;
    let has_software = state.store.software_token(&user.id).await?.is_some();
    if !has_software
        && state
            .store
            .hardware_tokens(Some(&user.id))
            .await?
            .is_empty()
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "no_factor",
            "the user has no TOTP token or hardware token to check the code against; enrol one first",
        ));
    }
    match check_code(&state, &user, &req.code, now).await? {
        Outcome::Accepted { mode, token } => {
            state.store.record_success(&user.id).await?;
            let event = AuthEvent {
                mode,
                result: "accepted",
                reason: None,
                device: token.as_deref(),
                client_ip,
            };
            state.log_auth(&user, event).await?;
            Ok(Json(Verified {
                result: "accepted".into(),
                mode: mode.into(),
                token,
            }))
        }
        Outcome::Reused { mode, token } => Err(fail(
            &state,
            &user,
            mode,
            token.as_deref(),
            client_ip,
            StatusCode::CONFLICT,
            "code_reused",
            "this code was accepted before; wait for the next one",
        )
        .await),
        Outcome::Wrong => Err(fail(
            &state,
            &user,
            "otp",
            None,
            client_ip,
            StatusCode::FORBIDDEN,
            "wrong_code",
            "the code does not match any of the user's tokens",
        )
        .await),
    }
}

/// `POST /v1/users/{id}/app-passwords`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAppPassword {
    /// What it is for ("mail client").
    pub name: String,
}

/// A new app password (shown once).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AppPasswordCreated {
    /// Id.
    pub id: String,
    /// The password.
    pub password: String,
}

/// Create an app password for a client that cannot do a second factor.
#[utoipa::path(post, path = "/v1/users/{id}/app-passwords", tag = "factors", security(("api_key" = [])), request_body = CreateAppPassword,
    params(("id" = String, Path, description = "user id")),
    responses((status = 201, body = AppPasswordCreated), (status = 404, body = countersign_protocol::wire::ErrorBody)))]
pub async fn create_app_password(
    _rp: RelyingParty,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(req): Json<CreateAppPassword>,
) -> Result<(StatusCode, Json<AppPasswordCreated>), ApiError> {
    check_text("name", &req.name, 128)?;
    let user = load_user(&state, &id).await?;
    let mut bytes = [0u8; 18];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let password = b64url(&bytes);
    let pid = uuid::Uuid::new_v4().to_string();
    state
        .store
        .create_app_password(
            &pid,
            &user.id,
            &req.name,
            &sha256_hex(password.as_bytes()),
            now(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(AppPasswordCreated { id: pid, password }),
    ))
}

/// `POST /v1/users/{id}/app-passwords/verify`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyAppPassword {
    /// The password.
    pub password: String,
    /// Client IP for the log.
    #[serde(default)]
    pub client_ip: Option<String>,
}

/// Verify an app password.
#[utoipa::path(post, path = "/v1/users/{id}/app-passwords/verify", tag = "factors", security(("api_key" = [])), request_body = VerifyAppPassword,
    params(("id" = String, Path, description = "user id")),
    responses((status = 200, body = Verified), (status = 403, body = countersign_protocol::wire::ErrorBody),
        (status = 404, body = countersign_protocol::wire::ErrorBody), (status = 429, body = countersign_protocol::wire::ErrorBody)))]
pub async fn verify_app_password(
    _rp: RelyingParty,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(req): Json<VerifyAppPassword>,
) -> Result<Json<Verified>, ApiError> {
    let client_ip = req.client_ip.as_deref();
    if let Some(ip) = client_ip {
        check_ip(ip)?;
    }
    let user = load_user(&state, &id).await?;
    gate(&state, &user, "app_password", client_ip, now()).await?;
    let presented = sha256_hex(req.password.as_bytes());
    let mut matched = None;
    for (pid, hash) in state.store.app_password_hashes(&user.id).await? {
        if bool::from(hash.as_bytes().ct_eq(presented.as_bytes())) {
            matched = Some(pid);
        }
    }
    match matched {
        Some(pid) => {
            state.store.record_success(&user.id).await?;
            let event = AuthEvent {
                mode: "app_password",
                result: "accepted",
                reason: None,
                device: Some(&pid),
                client_ip,
            };
            state.log_auth(&user, event).await?;
            Ok(Json(Verified {
                result: "accepted".into(),
                mode: "app_password".into(),
                token: None,
            }))
        }
        None => Err(fail(
            &state,
            &user,
            "app_password",
            None,
            client_ip,
            StatusCode::FORBIDDEN,
            "wrong_password",
            "the app password does not match",
        )
        .await),
    }
}

/// How many were deleted.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Deleted {
    /// Count.
    pub deleted: u64,
}

/// Delete all the user's app passwords.
#[utoipa::path(delete, path = "/v1/users/{id}/app-passwords", tag = "factors", security(("api_key" = [])),
    params(("id" = String, Path, description = "user id")),
    responses((status = 200, body = Deleted), (status = 404, body = countersign_protocol::wire::ErrorBody)))]
pub async fn delete_app_passwords(
    _rp: RelyingParty,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    let user = load_user(&state, &id).await?;
    Ok(Json(Deleted {
        deleted: state.store.delete_app_passwords(&user.id).await?,
    }))
}

/// Query the authentication log (newest first).
#[utoipa::path(get, path = "/v1/log", tag = "reports", security(("api_key" = [])), params(LogQuery),
    responses((status = 200, body = Vec<LogEntry>)))]
pub async fn query_log(
    _rp: RelyingParty,
    State(state): State<AppState>,
    Query(q): Query<LogQuery>,
) -> Result<Json<Vec<LogEntry>>, ApiError> {
    Ok(Json(state.store.query_log(&q).await?))
}

/// A reporting period.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReportPeriod {
    /// Start, unix seconds (default: 30 days ago).
    pub from: Option<i64>,
    /// End (exclusive), unix seconds (default: now).
    pub to: Option<i64>,
}

fn period_of(p: &ReportPeriod) -> Result<(i64, i64), ApiError> {
    let to = p.to.unwrap_or_else(|| now() + 1);
    let from = p.from.unwrap_or(to.saturating_sub(30 * 86_400));
    if from > to {
        return Err(ApiError::invalid("invalid_period", "`from` is after `to`"));
    }
    Ok((from, to))
}

/// Authentications by day, user, mode and result.
#[utoipa::path(get, path = "/v1/reports/auth", tag = "reports", security(("api_key" = [])), params(ReportPeriod),
    responses((status = 200, body = Vec<AuthReportRow>)))]
pub async fn auth_report(
    _rp: RelyingParty,
    State(state): State<AppState>,
    Query(p): Query<ReportPeriod>,
) -> Result<Json<Vec<AuthReportRow>>, ApiError> {
    let (from, to) = period_of(&p)?;
    Ok(Json(state.store.auth_report(from, to).await?))
}

/// Usage: users configured for MFA against verifications performed.
#[utoipa::path(get, path = "/v1/reports/usage", tag = "reports", security(("api_key" = [])), params(ReportPeriod),
    responses((status = 200, body = UsageReport)))]
pub async fn usage_report(
    _rp: RelyingParty,
    State(state): State<AppState>,
    Query(p): Query<ReportPeriod>,
) -> Result<Json<UsageReport>, ApiError> {
    let (from, to) = period_of(&p)?;
    Ok(Json(state.store.usage_report(from, to).await?))
}
