//! Admin commands (`countersign-server user|activation|apikey|token|report|log`). They open
//! the same database as the server (SQLite allows both at once) and print plain text, or JSON
//! with `--json`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use countersign_oath::{Algorithm, Digits, Period, Secret};
use countersign_protocol::encoding::{b64url, sha256_hex};
use qrcode::QrCode;
use rand::RngCore;

use crate::api::users::{enrol_totp, new_activation, EnrolTotp};
use crate::api::{check_text, check_user_id};
use crate::error::ApiError;
use crate::state::{now, AppState};
use crate::store::{LogQuery, Profile};
use crate::verify::{otp_of, resync_counter};

/// Why an admin command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// The request was refused (unknown user, bad input...).
    #[error("{}", .0.message)]
    Api(ApiError),
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// Bad input on the command line.
    #[error("{0}")]
    Usage(String),
}

impl From<ApiError> for AdminError {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

type Result<T> = std::result::Result<T, AdminError>;

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// `user add`.
pub async fn user_add(state: &AppState, id: &str, profile: Profile) -> Result<String> {
    check_user_id(id)?;
    if !state.store.create_user(id, &profile, now()).await? {
        return Err(AdminError::Usage(format!(
            "a user with id {id:?} exists already"
        )));
    }
    Ok(format!("created user {id}"))
}

/// `user list`.
pub async fn user_list(state: &AppState, as_json: bool) -> Result<String> {
    let users = state.store.users().await?;
    if as_json {
        return Ok(json(&users));
    }
    let mut out = String::new();
    for u in users {
        let name = [u.first_name.as_deref(), u.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let flags = if u.fraud_blocked != 0 {
            " [fraud-blocked]"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{}\t{}\t{}{}",
            u.id,
            name,
            u.email.unwrap_or_default(),
            flags
        );
    }
    Ok(out.trim_end().to_owned())
}

/// `user show`.
pub async fn user_show(state: &AppState, id: &str, as_json: bool) -> Result<String> {
    let user = state
        .store
        .user(id)
        .await?
        .ok_or_else(|| ApiError::unknown_user(id))?;
    let devices = state.store.devices_of(id).await?;
    let tokens = state.store.hardware_tokens(Some(id)).await?;
    let totp = state.store.software_token(id).await?.is_some();
    if as_json {
        return Ok(json(&serde_json::json!({
            "user": user, "devices": devices, "hardware_tokens": tokens, "software_totp": totp,
        })));
    }
    let mut out = format!(
        "id: {}\nname: {} {}\nemail: {}\nphone: {}\nfraud blocked: {}\nfailed attempts: {}\nsoftware TOTP: {}\n",
        user.id,
        user.first_name.unwrap_or_default(),
        user.last_name.unwrap_or_default(),
        user.email.unwrap_or_default(),
        user.phone.unwrap_or_default(),
        user.fraud_blocked != 0,
        user.failed_attempts,
        if totp { "yes" } else { "no" },
    );
    for d in devices {
        let _ = writeln!(out, "device: {} ({})", d.id, d.name);
    }
    for t in tokens {
        let _ = writeln!(out, "hardware token: {} ({})", t.serial, t.kind);
    }
    Ok(out.trim_end().to_owned())
}

/// `user reset`.
pub async fn user_reset(state: &AppState, id: &str) -> Result<String> {
    if state.store.reset_user(id, now()).await?.is_none() {
        return Err(ApiError::unknown_user(id).into());
    }
    Ok(format!(
        "reset user {id}: devices, tokens and app passwords removed; they must register again"
    ))
}

/// `user unblock`.
pub async fn user_unblock(state: &AppState, id: &str) -> Result<String> {
    if !state.store.unblock_user(id, now()).await? {
        return Err(ApiError::unknown_user(id).into());
    }
    Ok(format!("cleared the fraud block and lockout of {id}"))
}

/// `user delete`.
pub async fn user_delete(state: &AppState, id: &str) -> Result<String> {
    if state.store.delete_user(id).await?.is_none() {
        return Err(ApiError::unknown_user(id).into());
    }
    Ok(format!("deleted user {id}"))
}

/// `user totp`.
pub async fn user_totp(state: &AppState, id: &str) -> Result<String> {
    if state.store.user(id).await?.is_none() {
        return Err(ApiError::unknown_user(id).into());
    }
    let created = enrol_totp(state, id, &EnrolTotp::default()).await?;
    Ok(format!("{}\n{}", created.uri, terminal_qr(&created.uri)?))
}

/// `activation create`: the URI, the QR code for the terminal, and PNG/SVG files on request.
pub async fn activation_create(
    state: &AppState,
    user: &str,
    png: Option<&Path>,
    svg: Option<&Path>,
) -> Result<String> {
    if state.store.user(user).await?.is_none() {
        return Err(ApiError::unknown_user(user).into());
    }
    let created = new_activation(state, user).await?;
    let code = QrCode::new(created.uri.as_bytes()).map_err(|e| AdminError::Usage(e.to_string()))?;
    if let Some(path) = png {
        let image = code
            .render::<image::Luma<u8>>()
            .min_dimensions(320, 320)
            .build();
        image.save(path).map_err(|e| AdminError::File {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
    }
    if let Some(path) = svg {
        let text = code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(320, 320)
            .build();
        std::fs::write(path, text).map_err(|e| AdminError::File {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
    }
    Ok(format!(
        "{}\n{}\nexpires at {} (unix seconds)",
        created.uri,
        terminal_qr(&created.uri)?,
        created.expires
    ))
}

fn terminal_qr(text: &str) -> Result<String> {
    let code = QrCode::new(text.as_bytes()).map_err(|e| AdminError::Usage(e.to_string()))?;
    Ok(code
        .render::<qrcode::render::unicode::Dense1x2>()
        .dark_color(qrcode::render::unicode::Dense1x2::Light)
        .light_color(qrcode::render::unicode::Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

/// `apikey create`: prints the key once.
pub async fn apikey_create(state: &AppState, name: &str) -> Result<String> {
    check_text("name", name, 128)?;
    let mut id = [0u8; 6];
    let mut secret = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut id);
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let id = data_encoding::HEXLOWER.encode(&id);
    let secret = b64url(&secret).replace('_', "-");
    state
        .store
        .create_api_key(&id, name, &sha256_hex(secret.as_bytes()), now())
        .await?;
    Ok(format!("{}{id}_{secret}", crate::api::auth::KEY_PREFIX))
}

/// Token file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TokenFormat {
    /// RFC 6030 PSKC XML.
    Pskc,
    /// CSV: serial, base32 secret, time interval (and optional columns).
    Csv,
}

/// `token import`.
pub async fn token_import(
    state: &AppState,
    path: &Path,
    format: Option<TokenFormat>,
    password: Option<&[u8]>,
    key: Option<&[u8]>,
) -> Result<String> {
    let text = std::fs::read_to_string(path).map_err(|e| AdminError::File {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    let format = format.unwrap_or(if text.trim_start().starts_with('<') {
        TokenFormat::Pskc
    } else {
        TokenFormat::Csv
    });
    let file_err = |message: String| AdminError::File {
        path: path.to_owned(),
        message,
    };
    struct Imported {
        serial: String,
        hotp: bool,
        secret: Secret,
        algorithm: Algorithm,
        digits: u8,
        period: u32,
        counter: u64,
        drift: i64,
        user: Option<String>,
    }
    let mut tokens = Vec::new();
    let mut problems = Vec::new();
    match format {
        TokenFormat::Csv => {
            let file =
                countersign_oath::tokencsv::parse(&text).map_err(|e| file_err(e.to_string()))?;
            for e in file.errors {
                problems.push(e.to_string());
            }
            for row in file.rows {
                tokens.push(Imported {
                    serial: row.serial,
                    hotp: row.hotp,
                    secret: row.secret,
                    algorithm: row.algorithm.unwrap_or(Algorithm::Sha1),
                    digits: row.digits.unwrap_or(6),
                    period: row.time_interval.unwrap_or(30),
                    counter: row.counter.unwrap_or(0),
                    drift: 0,
                    user: None,
                });
            }
        }
        TokenFormat::Pskc => {
            use countersign_oath::pskc::{self, Credential, KeyAlgorithm};
            let credential = match (password, key) {
                (Some(p), _) => Credential::Password(p),
                (None, Some(k)) => Credential::Key(k),
                (None, None) => Credential::None,
            };
            let container = pskc::parse(&text, credential).map_err(|e| file_err(e.to_string()))?;
            for (i, k) in container.keys.into_iter().enumerate() {
                let name = k
                    .serial
                    .clone()
                    .or(k.id.clone())
                    .unwrap_or_else(|| format!("key {}", i + 1));
                let hotp = match &k.algorithm {
                    Some(KeyAlgorithm::Hotp) => true,
                    Some(KeyAlgorithm::Totp) => false,
                    other => {
                        problems.push(format!("{name}: unsupported algorithm {other:?}"));
                        continue;
                    }
                };
                let Some(secret) = k.secret else {
                    problems.push(format!("{name}: no secret"));
                    continue;
                };
                let algorithm = k
                    .suite
                    .as_deref()
                    .and_then(|s| s.trim_start_matches("HMAC-").parse().ok())
                    .unwrap_or(Algorithm::Sha1);
                tokens.push(Imported {
                    serial: name,
                    hotp,
                    secret,
                    algorithm,
                    digits: k
                        .response
                        .and_then(|r| r.length)
                        .and_then(|l| u8::try_from(l).ok())
                        .unwrap_or(6),
                    period: k
                        .time_interval
                        .and_then(|t| u32::try_from(t).ok())
                        .unwrap_or(30),
                    counter: k.counter.unwrap_or(0),
                    drift: k.time_drift.unwrap_or(0),
                    user: k.user_id,
                });
            }
        }
    }
    let mut imported = 0;
    for t in tokens {
        if let Err(e) = Digits::new(t.digits) {
            problems.push(format!("{}: {e}", t.serial));
            continue;
        }
        if let Err(e) = Period::new(t.period) {
            problems.push(format!("{}: {e}", t.serial));
            continue;
        }
        let user = match t.user {
            Some(u) if state.store.user(&u).await?.is_some() => Some(u),
            _ => None,
        };
        let kind = if t.hotp { "hotp" } else { "totp" };
        let fresh = state
            .store
            .import_hardware_token(
                &t.serial,
                kind,
                &t.secret.to_base32(),
                &t.algorithm.to_string(),
                i64::from(t.digits),
                i64::from(t.period),
                t.counter as i64,
                t.drift,
                user.as_deref(),
                now(),
            )
            .await?;
        if fresh {
            imported += 1;
        } else {
            problems.push(format!(
                "{}: a token with this serial exists already (skipped)",
                t.serial
            ));
        }
    }
    let mut out = format!("imported {imported} token(s) from {}", path.display());
    for p in problems {
        let _ = write!(out, "\nskipped: {p}");
    }
    Ok(out)
}

/// `token list`.
pub async fn token_list(state: &AppState, user: Option<&str>, as_json: bool) -> Result<String> {
    let tokens = state.store.hardware_tokens(user).await?;
    if as_json {
        return Ok(json(&tokens));
    }
    Ok(tokens
        .iter()
        .map(|t| {
            format!(
                "{}\t{}\t{}",
                t.serial,
                t.kind,
                t.user_id.as_deref().unwrap_or("-")
            )
        })
        .collect::<Vec<_>>()
        .join("\n"))
}

/// `token assign` / `token unassign`.
pub async fn token_assign(state: &AppState, serial: &str, user: Option<&str>) -> Result<String> {
    if let Some(u) = user {
        if state.store.user(u).await?.is_none() {
            return Err(ApiError::unknown_user(u).into());
        }
    }
    if !state.store.assign_hardware_token(serial, user).await? {
        return Err(AdminError::Usage(format!(
            "no hardware token with serial {serial:?}"
        )));
    }
    Ok(match user {
        Some(u) => format!("assigned token {serial} to {u}"),
        None => format!("token {serial} is now unassigned"),
    })
}

/// `token resync`: two consecutive HOTP codes move the counter (RFC 4226 §7.4).
pub async fn token_resync(
    state: &AppState,
    serial: &str,
    first: &str,
    second: &str,
) -> Result<String> {
    let row =
        state.store.hardware_token(serial).await?.ok_or_else(|| {
            AdminError::Usage(format!("no hardware token with serial {serial:?}"))
        })?;
    if row.kind != "hotp" {
        return Err(AdminError::Usage(format!(
            "token {serial} is TOTP; its drift is tracked automatically"
        )));
    }
    let otp = otp_of(&row).ok_or_else(|| {
        AdminError::Usage(format!("token {serial}'s stored secret cannot be read"))
    })?;
    let counter =
        resync_counter(&otp, row.counter.max(0) as u64, first, second, 1000).ok_or_else(|| {
            AdminError::Usage(
                "the two codes are not consecutive codes of this token within 1000 counters".into(),
            )
        })?;
    state
        .store
        .use_hardware_counter(serial, counter as i64 - 1)
        .await?;
    Ok(format!(
        "token {serial} resynchronised: next counter {counter}"
    ))
}

/// Parses a date for reports: unix seconds or `YYYY-MM-DD` (UTC midnight).
pub fn parse_time(text: &str) -> Result<i64> {
    if let Ok(n) = text.parse::<i64>() {
        return Ok(n);
    }
    let bad = || AdminError::Usage(format!("{text:?} is not unix seconds or a YYYY-MM-DD date"));
    let mut parts = text.splitn(3, '-');
    let (y, m, d) = (
        parts.next().ok_or_else(bad)?,
        parts.next().ok_or_else(bad)?,
        parts.next().ok_or_else(bad)?,
    );
    let (y, m, d): (i64, i64, i64) = (
        y.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        d.parse().map_err(|_| bad())?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Ok((era * 146_097 + doe - 719_468) * 86_400)
}

/// Formats unix seconds as `YYYY-MM-DD HH:MM:SS` UTC.
pub fn format_time(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// `report auth`.
pub async fn report_auth(state: &AppState, from: i64, to: i64, as_json: bool) -> Result<String> {
    let rows = state.store.auth_report(from, to).await?;
    if as_json {
        return Ok(json(&rows));
    }
    let mut out = String::from("day\tuser\tmode\tresult\tcount");
    for r in rows {
        let _ = write!(
            out,
            "\n{}\t{}\t{}\t{}\t{}",
            &format_time(r.day)[..10],
            r.user_id,
            r.mode,
            r.result,
            r.count
        );
    }
    Ok(out)
}

/// `report usage`.
pub async fn report_usage(state: &AppState, from: i64, to: i64, as_json: bool) -> Result<String> {
    let r = state.store.usage_report(from, to).await?;
    if as_json {
        return Ok(json(&r));
    }
    Ok(format!(
        "period: {} to {}\nusers configured for MFA: {}\nverifications performed: {} ({} accepted)\nusers who authenticated: {}",
        format_time(r.from),
        format_time(r.to),
        r.users_configured,
        r.verifications,
        r.verifications_accepted,
        r.users_authenticated
    ))
}

/// `log`.
pub async fn log(state: &AppState, q: &LogQuery, as_json: bool) -> Result<String> {
    let rows = state.store.query_log(q).await?;
    if as_json {
        return Ok(json(&rows));
    }
    let mut out = String::from("time\tuser\tmode\tresult\treason\tdevice\tclient_ip");
    for r in rows {
        let _ = write!(
            out,
            "\n{}\t{}\t{}\t{}\t{}\t{}\t{}",
            format_time(r.time),
            r.user_id,
            r.mode,
            r.result,
            r.reason.as_deref().unwrap_or("-"),
            r.device_id.as_deref().unwrap_or("-"),
            r.client_ip.as_deref().unwrap_or("-")
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_through_unix_seconds() {
        assert_eq!(parse_time("1970-01-01").unwrap(), 0);
        assert_eq!(parse_time("2000-03-01").unwrap(), 951_868_800);
        assert_eq!(format_time(951_868_800 + 3661), "2000-03-01 01:01:01");
        assert_eq!(parse_time("1700000000").unwrap(), 1_700_000_000);
        assert!(parse_time("2024-13-01").is_err());
    }
}
