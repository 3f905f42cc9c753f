//! Cross-node wake-ups on PostgreSQL.
//!
//! Every node runs [`run`]: one connection `LISTEN`s on [`NOTIFY_CHANNEL`], where the
//! challenges trigger announces each new challenge (`u:<user id>`) and each status change
//! (`c:<challenge id>`), the devices trigger each device removal (`u:<user id>`: the device's
//! long-poll rereads it and ends with `device_not_activated`), and the task wakes the long-polls this node holds through the
//! [`Hub`](crate::hub::Hub). Notifications are only a fast path: whenever the listening
//! connection is (re)established, every held long-poll is woken to reread the database from its
//! cursor, so nothing sent while the node was not listening is lost; and each long-poll also
//! rereads on a timer (`long_poll_recheck_seconds`), so nothing depends on a notification
//! arriving at all.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};

use crate::state::AppState;
use crate::store::NOTIFY_CHANNEL;

/// The `application_name` of the listening connection (visible in `pg_stat_activity`).
pub const APPLICATION_NAME: &str = "countersign-listener";

/// Listens until the task is aborted, reconnecting with a capped back-off.
pub async fn run(state: AppState, url: String) {
    let options = match PgConnectOptions::from_str(&url) {
        Ok(o) => o.application_name(APPLICATION_NAME),
        Err(e) => {
            tracing::error!(error = %e, "the database URL cannot be used for LISTEN; cross-node wake-ups are off (long-polls still recheck on their timer)");
            return;
        }
    };
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_lazy_with(options);
    let mut backoff = Duration::from_millis(100);
    loop {
        match listen_once(&state, &pool).await {
            Ok(()) => backoff = Duration::from_millis(100),
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?backoff, "LISTEN connection failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// One listening connection: returns when it is lost.
async fn listen_once(state: &AppState, pool: &sqlx::PgPool) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(NOTIFY_CHANNEL).await?;
    state.metrics.listener_connects.inc();
    // Anything committed before this point may have been announced while nobody listened here:
    // every waiter rereads from its cursor.
    state.hub.wake_all();
    tracing::debug!("listening for challenge notifications");
    loop {
        // `try_recv` answers `None` when the connection dropped; start over with a fresh one so
        // the wake-all above runs only once we listen again.
        let Some(notification) = listener.try_recv().await? else {
            tracing::warn!("LISTEN connection lost; reconnecting");
            return Ok(());
        };
        dispatch(state, notification.payload());
    }
}

fn dispatch(state: &AppState, payload: &str) {
    match payload.split_once(':') {
        Some(("u", user)) => state.hub.user_changed(user),
        Some(("c", challenge)) => state.hub.challenge_changed(challenge),
        _ => tracing::warn!(payload, "unknown notification"),
    }
}
