//! The HTTP API: routes, the OpenAPI document generated from them, health and metrics.

pub mod auth;
pub mod device;
pub mod push;
pub mod users;

use std::net::IpAddr;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "countersign-server", description = "Countersign MFA server: relying-party API and device push protocol v1"),
    modifiers(&BearerKey),
    tags(
        (name = "users", description = "Users and activation (API key)"),
        (name = "factors", description = "Software TOTP, app passwords and code verification (API key)"),
        (name = "push", description = "Push challenges (API key)"),
        (name = "reports", description = "Authentication log and reports (API key)"),
        (name = "device", description = "Device API: every request signed with the device's P-256 key"),
        (name = "ops", description = "Health and metrics"),
    )
)]
struct ApiDoc;

struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The largest request body accepted, in bytes (the connection refuses larger ones with 413
/// before reading them; extractors are held to it too).
pub const BODY_LIMIT: usize = 256 * 1024;

/// The router and its OpenAPI document (built from the same route list).
pub fn router(state: AppState) -> Router {
    let (router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(users::create_user))
        .routes(routes!(
            users::show_user,
            users::update_user,
            users::delete_user
        ))
        .routes(routes!(users::reset_user))
        .routes(routes!(users::unblock_user))
        .routes(routes!(users::create_activation))
        .routes(routes!(users::create_totp))
        .routes(routes!(users::verify))
        .routes(routes!(
            users::create_app_password,
            users::delete_app_passwords
        ))
        .routes(routes!(users::verify_app_password))
        .routes(routes!(users::query_log))
        .routes(routes!(users::auth_report))
        .routes(routes!(users::usage_report))
        .routes(routes!(push::create_push))
        .routes(routes!(push::push_result))
        .routes(routes!(device::activate))
        .routes(routes!(device::poll))
        .routes(routes!(device::answer))
        .routes(routes!(device::deactivate))
        .routes(routes!(healthz))
        .routes(routes!(metrics))
        .split_for_parts();
    let spec = openapi.to_pretty_json().unwrap_or_else(|_| "{}".into());
    router
        .route(
            "/openapi.json",
            get(move || async move { ([(header::CONTENT_TYPE, "application/json")], spec) }),
        )
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such endpoint; see /openapi.json",
            )
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint does not take that method; see /openapi.json",
            )
        })
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// Liveness and database check.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, description = "ok"), (status = 500, body = countersign_protocol::wire::ErrorBody)))]
async fn healthz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    state.store.current_seq().await?;
    Ok("ok\n")
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(get, path = "/metrics", tag = "ops", responses((status = 200, description = "Prometheus text format")))]
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut text = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut text, &state.metrics.registry) {
        tracing::error!(error = %e, "encoding metrics");
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
}

/// A user id: 1 to 128 characters, none of them control characters.
pub fn check_user_id(id: &str) -> Result<(), ApiError> {
    if id.is_empty() || id.len() > 128 || id.chars().any(char::is_control) || id.trim() != id {
        return Err(ApiError::invalid(
            "invalid_user_id",
            "a user id is 1 to 128 characters, without control characters or surrounding spaces",
        ));
    }
    Ok(())
}

/// A free-text field: at most `max` bytes, no control characters.
pub fn check_text(name: &str, value: &str, max: usize) -> Result<(), ApiError> {
    if value.len() > max || value.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "invalid_field",
            format!("`{name}` must be at most {max} bytes without control characters"),
        ));
    }
    Ok(())
}

/// An IP address in text form.
pub fn check_ip(value: &str) -> Result<(), ApiError> {
    value.parse::<IpAddr>().map(|_| ()).map_err(|_| {
        ApiError::invalid(
            "invalid_field",
            format!("`client_ip` {value:?} is not an IP address"),
        )
    })
}
