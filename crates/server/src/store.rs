//! Storage: one SQL schema (`migrations/`) on SQLite or PostgreSQL.
//!
//! Every query is written in the SQL both databases accept (`$1` placeholders, `RETURNING`,
//! `ON CONFLICT`, TEXT/BIGINT columns) and runs through sqlx's `Any` driver. Multi-statement
//! writes start with a write, so SQLite takes its write lock at the start of the transaction and
//! never has to upgrade a read lock (which would fail with `SQLITE_BUSY` instead of waiting), and
//! PostgreSQL locks the row that serialises them (the user, the sequence counter) first.
//!
//! On PostgreSQL, `migrations/postgres/` adds what only it has: a trigger that `NOTIFY`s every
//! new challenge and every device removal (`u:<user id>`) and every challenge status change
//! (`c:<challenge id>`) on the [`NOTIFY_CHANNEL`] channel, so every node can wake the long-polls it holds (see
//! [`crate::listen`]).

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Row};

/// A database error; callers answer 500 and log it.
pub type DbResult<T> = Result<T, sqlx::Error>;

/// The channel challenge notifications are sent on (PostgreSQL).
pub const NOTIFY_CHANNEL: &str = "countersign";

/// The database behind the server.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// Which database a [`Store`] runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// An SQLite file: one node.
    Sqlite,
    /// PostgreSQL: any number of nodes.
    Postgres,
}

impl Backend {
    /// The backend a database URL names; `None` for an unsupported scheme.
    pub fn of_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Self::Postgres)
        } else {
            None
        }
    }
}

/// What the server copies into every log row it writes: its name and IP address.
#[derive(Debug, Clone)]
pub struct LogSource {
    /// The server's name.
    pub server_name: String,
    /// The server's IP address.
    pub server_ip: Option<String>,
}

/// A user row.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct User {
    /// Unique id chosen by the relying party.
    pub id: String,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Unix seconds when created.
    pub created: i64,
    /// Unix seconds when last changed.
    pub updated: i64,
    /// 1 when a fraud report blocks pushes until an admin clears it.
    pub fraud_blocked: i64,
    /// Consecutive failed verifications.
    pub failed_attempts: i64,
    /// Unix seconds before which verification is refused (back-off).
    pub throttled_until: i64,
}

/// Optional profile fields of a user.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone number.
    #[serde(default)]
    pub phone: Option<String>,
}

/// A device row.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct Device {
    /// Device id.
    pub id: String,
    /// The user it approves for.
    pub user_id: String,
    /// Name the device gave.
    pub name: String,
    /// Base64url P-256 public key.
    pub public_key: String,
    /// Unix seconds when activated.
    pub created: i64,
}

/// A challenge row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChallengeRow {
    pub id: String,
    pub seq: i64,
    pub user_id: String,
    pub app: String,
    pub client_ip: Option<String>,
    pub location: Option<String>,
    pub number: i64,
    pub options: String,
    pub created: i64,
    pub expires: i64,
    pub status: String,
    pub reason: Option<String>,
    pub answered: Option<i64>,
    pub device_id: Option<String>,
    pub signature: String,
}

/// An OATH token row (software or hardware).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    /// Serial (hardware) or user id (software).
    pub serial: String,
    /// `totp` or `hotp`.
    pub kind: String,
    /// Base32 secret.
    pub secret: String,
    pub algorithm: String,
    pub digits: i64,
    pub period: i64,
    pub counter: i64,
    pub last_step: i64,
    pub drift: i64,
}

/// A hardware token as listed to admins (no secret).
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct HardwareTokenInfo {
    /// Serial number.
    pub serial: String,
    /// `totp` or `hotp`.
    pub kind: String,
    /// Assigned user, if any.
    pub user_id: Option<String>,
    /// Digits.
    pub digits: i64,
    /// Seconds per step (TOTP).
    pub period: i64,
    /// Known clock drift in steps.
    pub drift: i64,
}

/// One authentication log row.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct LogEntry {
    /// Unique id.
    pub id: String,
    /// Unix seconds.
    pub time: i64,
    /// The user's unique id.
    pub user_id: String,
    /// First name at the time.
    pub first_name: Option<String>,
    /// Last name at the time.
    pub last_name: Option<String>,
    /// Email at the time.
    pub email: Option<String>,
    /// Phone at the time.
    pub phone: Option<String>,
    /// Device token (device id or hardware token serial) involved.
    pub device_id: Option<String>,
    /// Authentication mode: `push`, `totp`, `hardware_totp`, `hardware_hotp`, `app_password`.
    pub mode: String,
    /// Authentication result: `accepted`, `denied`, `fraud`, `expired`.
    pub result: String,
    /// Why it was denied.
    pub reason: Option<String>,
    /// The server's name.
    pub server_name: String,
    /// The server's IP address.
    pub server_ip: Option<String>,
    /// The client's IP address.
    pub client_ip: Option<String>,
}

/// Filters for the authentication log.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct LogQuery {
    /// Only this user.
    pub user: Option<String>,
    /// Only rows at or after this unix time.
    pub since: Option<i64>,
    /// Only rows before this unix time.
    pub until: Option<i64>,
    /// Only this result.
    pub result: Option<String>,
    /// At most this many rows (default 100, at most 10,000), newest first.
    pub limit: Option<i64>,
}

/// What burning an activation code found.
#[derive(Debug)]
pub enum Burn {
    /// The code was valid; it is now used and the device recorded.
    Activated { user: String },
    /// No such code.
    Unknown,
    /// The code was already used.
    Used,
    /// The code expired.
    Expired,
}

/// What answering a challenge found.
#[derive(Debug)]
pub enum Answer {
    /// Recorded with this status, together with its log row (absent if the user is gone).
    Done(ChallengeRow, Option<Box<LogEntry>>),
    /// No challenge with that id for this device's user.
    Unknown,
    /// Already answered, replaced or expired (the row as it stands).
    NotPending(ChallengeRow),
}

/// A new challenge to insert.
#[derive(Debug)]
pub struct NewChallenge<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub app: &'a str,
    pub client_ip: Option<&'a str>,
    pub location: Option<&'a str>,
    pub number: u8,
    pub options: &'a [u8],
    pub created: i64,
    pub expires: i64,
}

/// What inserting a challenge did.
#[derive(Debug)]
pub enum Inserted {
    /// Inserted with this sequence number; the user's pending challenges it replaced, each with
    /// its log row.
    Done {
        /// The new challenge's sequence number.
        seq: i64,
        /// The challenges it replaced and their log rows.
        replaced: Vec<(ChallengeRow, Option<LogEntry>)>,
    },
    /// The user has had the maximum number of pushes in the last minute; nothing changed.
    RateLimited,
}

impl Store {
    /// Connects and runs the migrations. `max_connections` bounds the pool (default: 8 on
    /// SQLite, 32 on PostgreSQL).
    pub async fn open(url: &str, max_connections: Option<u32>) -> DbResult<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url).ok_or_else(|| {
            sqlx::Error::Configuration(
                "the database URL must start with sqlite:// or postgres://".into(),
            )
        })?;
        let is_sqlite = backend == Backend::Sqlite;
        let options = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections.unwrap_or(if is_sqlite { 8 } else { 32 }))
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if is_sqlite {
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA synchronous = NORMAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout = 10000")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA foreign_keys = ON")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        // Two migration sets share sqlx's bookkeeping table, so each tolerates the other's rows.
        let mut shared = sqlx::migrate!("./migrations");
        shared.set_ignore_missing(true);
        shared.run(&pool).await?;
        if backend == Backend::Postgres {
            let mut postgres = sqlx::migrate!("./migrations/postgres");
            postgres.set_ignore_missing(true);
            postgres.run(&pool).await?;
        }
        Ok(Self { pool, backend })
    }

    /// The database this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool (flushes SQLite's WAL on the last connection).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    // ---- settings ------------------------------------------------------------------------

    /// A setting's value.
    pub async fn setting(&self, name: &str) -> DbResult<Option<String>> {
        sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
    }

    /// Stores `value` unless the setting exists; returns the value that is stored now (so two
    /// nodes starting at once agree on one key).
    pub async fn setting_or_insert(&self, name: &str, value: &str) -> DbResult<String> {
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(self
            .setting(name)
            .await?
            .unwrap_or_else(|| value.to_owned()))
    }

    // ---- users ---------------------------------------------------------------------------

    /// Creates a user; `false` when the id is taken.
    pub async fn create_user(&self, id: &str, p: &Profile, now: i64) -> DbResult<bool> {
        let done = sqlx::query(
            "INSERT INTO users (id, first_name, last_name, email, phone, created, updated)
             VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(p.first_name.as_deref())
        .bind(p.last_name.as_deref())
        .bind(p.email.as_deref())
        .bind(p.phone.as_deref())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Changes the fields given in `p`; `false` when the user does not exist.
    pub async fn update_user(&self, id: &str, p: &Profile, now: i64) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE users SET first_name = COALESCE($2, first_name), last_name = COALESCE($3, last_name),
             email = COALESCE($4, email), phone = COALESCE($5, phone), updated = $6 WHERE id = $1",
        )
        .bind(id)
        .bind(p.first_name.as_deref())
        .bind(p.last_name.as_deref())
        .bind(p.email.as_deref())
        .bind(p.phone.as_deref())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// One user.
    pub async fn user(&self, id: &str) -> DbResult<Option<User>> {
        sqlx::query_as("SELECT * FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    /// All users, by id.
    pub async fn users(&self) -> DbResult<Vec<User>> {
        sqlx::query_as("SELECT * FROM users ORDER BY id")
            .fetch_all(&self.pool)
            .await
    }

    /// Deletes a user and everything that hangs off it (the log keeps its rows). Returns the ids
    /// of the user's challenges that were pending (a relying party may be waiting on one), or
    /// `None` when there is no such user.
    pub async fn delete_user(&self, id: &str) -> DbResult<Option<Vec<String>>> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE hardware_tokens SET user_id = NULL WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        revoke_devices(&mut tx, id).await?;
        let pending = expire_pending_challenges(&mut tx, id, "user_deleted").await?;
        for table in [
            "activations",
            "devices",
            "challenges",
            "software_tokens",
            "app_passwords",
        ] {
            sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let done = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((done.rows_affected() == 1).then_some(pending))
    }

    /// Admin reset: deletes the user's devices, activations, pending challenges, software
    /// token, app passwords and hardware-token assignments, and clears throttling and the
    /// fraud block, so the user registers again. Returns the ids of the challenges that were
    /// pending and are now expired (a relying party may be waiting on one), or `None` when there
    /// is no such user.
    pub async fn reset_user(&self, id: &str, now: i64) -> DbResult<Option<Vec<String>>> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE users SET fraud_blocked = 0, failed_attempts = 0, throttled_until = 0, updated = $2 WHERE id = $1",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let mut pending = Vec::new();
        if done.rows_affected() == 1 {
            sqlx::query("UPDATE hardware_tokens SET user_id = NULL WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            pending = expire_pending_challenges(&mut tx, id, "user_reset").await?;
            revoke_devices(&mut tx, id).await?;
            for table in ["activations", "devices", "software_tokens", "app_passwords"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok((done.rows_affected() == 1).then_some(pending))
    }

    /// Clears a fraud block and the verification lockout.
    pub async fn unblock_user(&self, id: &str, now: i64) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE users SET fraud_blocked = 0, failed_attempts = 0, throttled_until = 0, updated = $2 WHERE id = $1",
        )
        .bind(id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a failed verification: one more consecutive failure and the back-off that
    /// `backoff(failures)` gives. Returns the new failure count.
    pub async fn record_failure(
        &self,
        id: &str,
        now: i64,
        backoff: impl Fn(i64) -> i64,
    ) -> DbResult<i64> {
        let failures: i64 = sqlx::query_scalar(
            "UPDATE users SET failed_attempts = failed_attempts + 1 WHERE id = $1 RETURNING failed_attempts",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        sqlx::query("UPDATE users SET throttled_until = $2 WHERE id = $1")
            .bind(id)
            .bind(now + backoff(failures))
            .execute(&self.pool)
            .await?;
        Ok(failures)
    }

    /// Records a successful verification: the failure count starts again.
    pub async fn record_success(&self, id: &str) -> DbResult<()> {
        sqlx::query("UPDATE users SET failed_attempts = 0, throttled_until = 0 WHERE id = $1 AND failed_attempts <> 0")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    // ---- API keys ------------------------------------------------------------------------

    /// Stores an API key's id, name and secret hash.
    pub async fn create_api_key(
        &self,
        id: &str,
        name: &str,
        secret_sha256: &str,
        now: i64,
    ) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO api_keys (id, name, secret_sha256, created) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(name)
        .bind(secret_sha256)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The secret hash of an API key id.
    pub async fn api_key_hash(&self, id: &str) -> DbResult<Option<String>> {
        sqlx::query_scalar("SELECT secret_sha256 FROM api_keys WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    // ---- activations and devices -----------------------------------------------------------

    /// Stores a new activation code's hash.
    pub async fn create_activation(
        &self,
        code_sha256: &str,
        user: &str,
        now: i64,
        expires: i64,
    ) -> DbResult<()> {
        sqlx::query("INSERT INTO activations (code_sha256, user_id, created, expires) VALUES ($1, $2, $3, $4)")
            .bind(code_sha256)
            .bind(user)
            .bind(now)
            .bind(expires)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Burns an activation code and records the device, in one transaction.
    pub async fn activate(&self, code_sha256: &str, device: &Device, now: i64) -> DbResult<Burn> {
        let mut tx = self.pool.begin().await?;
        let burned: Option<String> = sqlx::query_scalar(
            "UPDATE activations SET used = $2 WHERE code_sha256 = $1 AND used IS NULL AND expires >= $2 RETURNING user_id",
        )
        .bind(code_sha256)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(user) = burned else {
            let row = sqlx::query("SELECT used, expires FROM activations WHERE code_sha256 = $1")
                .bind(code_sha256)
                .fetch_optional(&mut *tx)
                .await?;
            tx.rollback().await?;
            return Ok(match row {
                None => Burn::Unknown,
                Some(r) if r.try_get::<Option<i64>, _>("used")?.is_some() => Burn::Used,
                Some(_) => Burn::Expired,
            });
        };
        sqlx::query("INSERT INTO devices (id, user_id, name, public_key, created) VALUES ($1, $2, $3, $4, $5)")
            .bind(&device.id)
            .bind(&user)
            .bind(&device.name)
            .bind(&device.public_key)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Burn::Activated { user })
    }

    /// One device.
    pub async fn device(&self, id: &str) -> DbResult<Option<Device>> {
        sqlx::query_as("SELECT * FROM devices WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    /// A user's devices.
    pub async fn devices_of(&self, user: &str) -> DbResult<Vec<Device>> {
        sqlx::query_as("SELECT * FROM devices WHERE user_id = $1 ORDER BY created")
            .bind(user)
            .fetch_all(&self.pool)
            .await
    }

    /// Deletes a device, keeping its key among the revoked ones.
    pub async fn delete_device(&self, id: &str, now: i64) -> DbResult<bool> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO revoked_devices (id, public_key, revoked, user_id) SELECT id, public_key, $2, user_id FROM devices WHERE id = $1
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query("DELETE FROM devices WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// The public key of a revoked device.
    pub async fn revoked_device_key(&self, id: &str) -> DbResult<Option<String>> {
        sqlx::query_scalar("SELECT public_key FROM revoked_devices WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    /// The users whose devices were removed (deactivated, user reset or deleted) at or after
    /// `since`, by any process or node: what lets a long-poll end with `device_not_activated`
    /// when another process (an admin command on SQLite) removed its device.
    pub async fn users_with_devices_removed_since(&self, since: i64) -> DbResult<Vec<String>> {
        sqlx::query_scalar(
            "SELECT DISTINCT user_id FROM revoked_devices WHERE revoked >= $1 AND user_id IS NOT NULL",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await
    }

    /// Remembers a device request nonce; `false` when it was seen already (a replay).
    pub async fn remember_nonce(&self, device: &str, nonce: &str, expires: i64) -> DbResult<bool> {
        let done = sqlx::query(
            "INSERT INTO nonces (device_id, nonce, expires) VALUES ($1, $2, $3) ON CONFLICT (device_id, nonce) DO NOTHING",
        )
        .bind(device)
        .bind(nonce)
        .bind(expires)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Forgets nonces whose window is over.
    pub async fn prune_nonces(&self, now: i64) -> DbResult<u64> {
        let done = sqlx::query("DELETE FROM nonces WHERE expires < $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    // ---- challenges ------------------------------------------------------------------------

    /// Deletes challenges that ended and were created before `before` (their log rows stay);
    /// returns how many.
    pub async fn prune_challenges(&self, before: i64) -> DbResult<u64> {
        let done = sqlx::query("DELETE FROM challenges WHERE created < $1 AND status <> 'pending'")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Inserts a challenge unless `c.user_id` has had `per_minute` pushes in the last minute,
    /// replacing the user's pending challenge (and logging that one's end) in the same
    /// transaction. `sign` gets the sequence number and returns the signature.
    ///
    /// The transaction first locks the user's row, so concurrent pushes for one user, on any
    /// node, count against the limit one after the other.
    pub async fn insert_challenge(
        &self,
        c: &NewChallenge<'_>,
        per_minute: i64,
        source: &LogSource,
        sign: impl FnOnce(u64) -> Result<String, String>,
    ) -> DbResult<Inserted> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE users SET updated = updated WHERE id = $1")
            .bind(c.user_id)
            .execute(&mut *tx)
            .await?;
        let recent: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM challenges WHERE user_id = $1 AND created >= $2",
        )
        .bind(c.user_id)
        .bind(c.created - 60)
        .fetch_one(&mut *tx)
        .await?;
        if recent >= per_minute {
            tx.rollback().await?;
            return Ok(Inserted::RateLimited);
        }
        let replaced_rows: Vec<ChallengeRow> = sqlx::query_as(
            "UPDATE challenges SET status = 'replaced', reason = 'replaced', answered = $2
             WHERE user_id = $1 AND status = 'pending' RETURNING *",
        )
        .bind(c.user_id)
        .bind(c.created)
        .fetch_all(&mut *tx)
        .await?;
        let mut replaced = Vec::with_capacity(replaced_rows.len());
        for row in replaced_rows {
            let entry = log_push_end(&mut tx, source, &row, c.created).await?;
            replaced.push((row, entry));
        }
        let seq: i64 = sqlx::query_scalar(
            "UPDATE counters SET value = value + 1 WHERE name = 'challenge_seq' RETURNING value",
        )
        .fetch_one(&mut *tx)
        .await?;
        let signature = sign(seq as u64).map_err(sqlx::Error::Protocol)?;
        let options = c
            .options
            .iter()
            .map(u8::to_string)
            .collect::<Vec<_>>()
            .join(",");
        sqlx::query(
            "INSERT INTO challenges (id, seq, user_id, app, client_ip, location, number, options, created, expires, status, signature)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11)",
        )
        .bind(c.id)
        .bind(seq)
        .bind(c.user_id)
        .bind(c.app)
        .bind(c.client_ip)
        .bind(c.location)
        .bind(i64::from(c.number))
        .bind(options)
        .bind(c.created)
        .bind(c.expires)
        .bind(signature)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Inserted::Done { seq, replaced })
    }

    /// One challenge.
    pub async fn challenge(&self, id: &str) -> DbResult<Option<ChallengeRow>> {
        sqlx::query_as("SELECT * FROM challenges WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    /// The user's pending, unexpired challenges with a sequence number above `since`.
    pub async fn pending_after(
        &self,
        user: &str,
        since: i64,
        now: i64,
    ) -> DbResult<Vec<ChallengeRow>> {
        sqlx::query_as(
            "SELECT * FROM challenges WHERE user_id = $1 AND seq > $2 AND status = 'pending' AND expires >= $3 ORDER BY seq",
        )
        .bind(user)
        .bind(since)
        .bind(now)
        .fetch_all(&self.pool)
        .await
    }

    /// The highest challenge sequence number issued so far (a new device's start cursor).
    pub async fn current_seq(&self) -> DbResult<i64> {
        sqlx::query_scalar("SELECT value FROM counters WHERE name = 'challenge_seq'")
            .fetch_one(&self.pool)
            .await
    }

    /// Moves a pending challenge to `status` once (only the first answer wins), and in the
    /// same transaction sets the user's fraud block when `status` is `fraud` and appends the
    /// push's log row: the answer is never committed without its log row.
    #[allow(clippy::too_many_arguments)]
    pub async fn answer_challenge(
        &self,
        id: &str,
        user: &str,
        status: &str,
        reason: Option<&str>,
        device: Option<&str>,
        now: i64,
        source: &LogSource,
    ) -> DbResult<Answer> {
        let mut tx = self.pool.begin().await?;
        let row: Option<ChallengeRow> = sqlx::query_as(
            "UPDATE challenges SET status = $3, reason = $4, device_id = $5, answered = $6
             WHERE id = $1 AND user_id = $2 AND status = 'pending' AND expires >= $6 RETURNING *",
        )
        .bind(id)
        .bind(user)
        .bind(status)
        .bind(reason)
        .bind(device)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return match self.challenge(id).await? {
                Some(row) if row.user_id == user => Ok(Answer::NotPending(row)),
                _ => Ok(Answer::Unknown),
            };
        };
        if status == "fraud" {
            sqlx::query("UPDATE users SET fraud_blocked = 1 WHERE id = $1")
                .bind(user)
                .execute(&mut *tx)
                .await?;
        }
        fault_delay("COUNTERSIGN_FAULT_ANSWER_DELAY_MS").await;
        let entry = log_push_end(&mut tx, source, &row, now).await?;
        tx.commit().await?;
        Ok(Answer::Done(row, entry.map(Box::new)))
    }

    /// Marks every pending challenge past its expiry (or only challenge `only`, if it is) as
    /// expired, logs them, and returns those this call expired with their log rows.
    pub async fn expire_due(
        &self,
        only: Option<&str>,
        now: i64,
        source: &LogSource,
    ) -> DbResult<Vec<(ChallengeRow, Option<LogEntry>)>> {
        let mut tx = self.pool.begin().await?;
        let rows: Vec<ChallengeRow> = sqlx::query_as(
            "UPDATE challenges SET status = 'expired', reason = 'no_answer'
             WHERE status = 'pending' AND expires < $1 AND ($2 IS NULL OR id = $2) RETURNING *",
        )
        .bind(now)
        .bind(only)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            tx.rollback().await?;
            return Ok(Vec::new());
        }
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let entry = log_push_end(&mut tx, source, &row, now).await?;
            out.push((row, entry));
        }
        tx.commit().await?;
        Ok(out)
    }

    // ---- OATH tokens ---------------------------------------------------------------------

    /// Creates or replaces the user's software TOTP.
    pub async fn set_software_token(
        &self,
        user: &str,
        secret: &str,
        algorithm: &str,
        digits: i64,
        period: i64,
        now: i64,
    ) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO software_tokens (user_id, secret, algorithm, digits, period, last_step, created)
             VALUES ($1, $2, $3, $4, $5, -1, $6)
             ON CONFLICT (user_id) DO UPDATE SET secret = $2, algorithm = $3, digits = $4, period = $5, last_step = -1, created = $6",
        )
        .bind(user)
        .bind(secret)
        .bind(algorithm)
        .bind(digits)
        .bind(period)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The user's software TOTP.
    pub async fn software_token(&self, user: &str) -> DbResult<Option<TokenRow>> {
        sqlx::query_as(
            "SELECT user_id AS serial, 'totp' AS kind, secret, algorithm, digits, period, 0 AS counter, last_step, 0 AS drift
             FROM software_tokens WHERE user_id = $1",
        )
        .bind(user)
        .fetch_optional(&self.pool)
        .await
    }

    /// Accepts `step` for the software token unless a step at or after it was accepted already.
    pub async fn use_software_step(&self, user: &str, step: i64) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE software_tokens SET last_step = $2 WHERE user_id = $1 AND last_step < $2",
        )
        .bind(user)
        .bind(step)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Imports a hardware token; `false` when the serial exists already.
    #[allow(clippy::too_many_arguments)]
    pub async fn import_hardware_token(
        &self,
        serial: &str,
        kind: &str,
        secret: &str,
        algorithm: &str,
        digits: i64,
        period: i64,
        counter: i64,
        drift: i64,
        user: Option<&str>,
        now: i64,
    ) -> DbResult<bool> {
        let done = sqlx::query(
            "INSERT INTO hardware_tokens (serial, kind, secret, algorithm, digits, period, counter, drift, user_id, imported)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (serial) DO NOTHING",
        )
        .bind(serial)
        .bind(kind)
        .bind(secret)
        .bind(algorithm)
        .bind(digits)
        .bind(period)
        .bind(counter)
        .bind(drift)
        .bind(user)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Assigns a hardware token to a user (or unassigns it with `None`).
    pub async fn assign_hardware_token(&self, serial: &str, user: Option<&str>) -> DbResult<bool> {
        let done = sqlx::query("UPDATE hardware_tokens SET user_id = $2 WHERE serial = $1")
            .bind(serial)
            .bind(user)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Hardware tokens, all or one user's.
    pub async fn hardware_tokens(&self, user: Option<&str>) -> DbResult<Vec<HardwareTokenInfo>> {
        sqlx::query_as(
            "SELECT serial, kind, user_id, digits, period, drift FROM hardware_tokens
             WHERE ($1 IS NULL OR user_id = $1) ORDER BY serial",
        )
        .bind(user)
        .fetch_all(&self.pool)
        .await
    }

    /// The hardware tokens assigned to `user`, with secrets, for verification.
    pub async fn hardware_tokens_for_verify(&self, user: &str) -> DbResult<Vec<TokenRow>> {
        sqlx::query_as(
            "SELECT serial, kind, secret, algorithm, digits, period, counter, last_step, drift FROM hardware_tokens WHERE user_id = $1",
        )
        .bind(user)
        .fetch_all(&self.pool)
        .await
    }

    /// One hardware token with its secret.
    pub async fn hardware_token(&self, serial: &str) -> DbResult<Option<TokenRow>> {
        sqlx::query_as(
            "SELECT serial, kind, secret, algorithm, digits, period, counter, last_step, drift FROM hardware_tokens WHERE serial = $1",
        )
        .bind(serial)
        .fetch_optional(&self.pool)
        .await
    }

    /// Accepts TOTP `step` for a hardware token and records the drift, unless a step at or after
    /// it was accepted already.
    pub async fn use_hardware_step(&self, serial: &str, step: i64, drift: i64) -> DbResult<bool> {
        let done = sqlx::query("UPDATE hardware_tokens SET last_step = $2, drift = $3 WHERE serial = $1 AND last_step < $2")
            .bind(serial)
            .bind(step)
            .bind(drift)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Accepts HOTP counter `matched` and moves the stored counter past it, unless another
    /// request moved it past `matched` already.
    pub async fn use_hardware_counter(&self, serial: &str, matched: i64) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE hardware_tokens SET counter = $2 + 1 WHERE serial = $1 AND counter <= $2",
        )
        .bind(serial)
        .bind(matched)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    // ---- app passwords ---------------------------------------------------------------------

    /// Stores an app password's hash.
    pub async fn create_app_password(
        &self,
        id: &str,
        user: &str,
        name: &str,
        secret_sha256: &str,
        now: i64,
    ) -> DbResult<()> {
        sqlx::query("INSERT INTO app_passwords (id, user_id, name, secret_sha256, created) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(user)
            .bind(name)
            .bind(secret_sha256)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The user's app password hashes.
    pub async fn app_password_hashes(&self, user: &str) -> DbResult<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT id, secret_sha256 FROM app_passwords WHERE user_id = $1")
            .bind(user)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("secret_sha256")?)))
            .collect()
    }

    /// Deletes all the user's app passwords; returns how many.
    pub async fn delete_app_passwords(&self, user: &str) -> DbResult<u64> {
        let done = sqlx::query("DELETE FROM app_passwords WHERE user_id = $1")
            .bind(user)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    // ---- authentication log and reports -----------------------------------------------------

    /// Appends a log row.
    pub async fn log(&self, e: &LogEntry) -> DbResult<()> {
        insert_log(&self.pool, e).await
    }

    /// Log rows matching `q`, newest first.
    pub async fn query_log(&self, q: &LogQuery) -> DbResult<Vec<LogEntry>> {
        sqlx::query_as(
            "SELECT * FROM auth_log WHERE ($1 IS NULL OR user_id = $1) AND ($2 IS NULL OR time >= $2)
             AND ($3 IS NULL OR time < $3) AND ($4 IS NULL OR result = $4) ORDER BY time DESC, id LIMIT $5",
        )
        .bind(q.user.as_deref())
        .bind(q.since)
        .bind(q.until)
        .bind(q.result.as_deref())
        .bind(q.limit.unwrap_or(100).clamp(1, 10_000))
        .fetch_all(&self.pool)
        .await
    }

    /// Authentications in `[from, to)` grouped by UTC day, user, mode and result.
    pub async fn auth_report(&self, from: i64, to: i64) -> DbResult<Vec<AuthReportRow>> {
        sqlx::query_as(
            "SELECT (time / 86400) * 86400 AS day, user_id, mode, result, COUNT(*) AS count FROM auth_log
             WHERE time >= $1 AND time < $2 GROUP BY (time / 86400) * 86400, user_id, mode, result
             ORDER BY day, user_id, mode, result",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await
    }

    /// Usage in `[from, to)`: users configured for MFA against verifications performed.
    pub async fn usage_report(&self, from: i64, to: i64) -> DbResult<UsageReport> {
        let configured: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM users u WHERE u.created < $1 AND (
                EXISTS (SELECT 1 FROM devices d WHERE d.user_id = u.id)
             OR EXISTS (SELECT 1 FROM software_tokens s WHERE s.user_id = u.id)
             OR EXISTS (SELECT 1 FROM hardware_tokens h WHERE h.user_id = u.id))",
        )
        .bind(to)
        .fetch_one(&self.pool)
        .await?;
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, COUNT(DISTINCT user_id) AS u,
             COALESCE(SUM(CASE WHEN result = 'accepted' THEN 1 ELSE 0 END), 0) AS ok
             FROM auth_log WHERE time >= $1 AND time < $2",
        )
        .bind(from)
        .bind(to)
        .fetch_one(&self.pool)
        .await?;
        Ok(UsageReport {
            from,
            to,
            users_configured: configured,
            verifications: row.try_get("n")?,
            verifications_accepted: row.try_get("ok")?,
            users_authenticated: row.try_get("u")?,
        })
    }
}

async fn insert_log<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    executor: E,
    e: &LogEntry,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO auth_log (id, time, user_id, first_name, last_name, email, phone, device_id, mode, result, reason, server_name, server_ip, client_ip)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&e.id)
    .bind(e.time)
    .bind(&e.user_id)
    .bind(e.first_name.as_deref())
    .bind(e.last_name.as_deref())
    .bind(e.email.as_deref())
    .bind(e.phone.as_deref())
    .bind(e.device_id.as_deref())
    .bind(&e.mode)
    .bind(&e.result)
    .bind(e.reason.as_deref())
    .bind(&e.server_name)
    .bind(e.server_ip.as_deref())
    .bind(e.client_ip.as_deref())
    .execute(executor)
    .await?;
    Ok(())
}

/// Appends the log row of a push that ended (answered, replaced or expired), inside `tx`;
/// `None` when the user no longer exists.
async fn log_push_end(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    source: &LogSource,
    row: &ChallengeRow,
    now: i64,
) -> DbResult<Option<LogEntry>> {
    let user: Option<User> = sqlx::query_as("SELECT * FROM users WHERE id = $1")
        .bind(&row.user_id)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(user) = user else {
        return Ok(None);
    };
    let result = match row.status.as_str() {
        "approved" => "accepted",
        "fraud" => "fraud",
        "expired" => "expired",
        _ => "denied",
    };
    let entry = LogEntry {
        id: uuid::Uuid::new_v4().to_string(),
        time: now,
        user_id: user.id,
        first_name: user.first_name,
        last_name: user.last_name,
        email: user.email,
        phone: user.phone,
        device_id: row.device_id.clone(),
        mode: "push".to_owned(),
        result: result.to_owned(),
        reason: row.reason.clone(),
        server_name: source.server_name.clone(),
        server_ip: source.server_ip.clone(),
        client_ip: row.client_ip.clone(),
    };
    insert_log(&mut **tx, &entry).await?;
    Ok(Some(entry))
}

/// Fault injection for tests: sleeps for the milliseconds the environment variable names
/// (nothing when it is unset, which is always the case outside the test suite).
async fn fault_delay(var: &str) {
    if let Some(ms) = std::env::var(var).ok().and_then(|v| v.parse().ok()) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

async fn revoke_devices(tx: &mut sqlx::Transaction<'_, sqlx::Any>, user: &str) -> DbResult<()> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    sqlx::query(
        "INSERT INTO revoked_devices (id, public_key, revoked, user_id) SELECT id, public_key, $2, user_id FROM devices WHERE user_id = $1
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(user)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Expires `user`'s pending challenges with `reason`; returns their ids. On PostgreSQL the
/// status change notifies every node, so relying parties waiting on them anywhere reread.
async fn expire_pending_challenges(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user: &str,
    reason: &str,
) -> DbResult<Vec<String>> {
    sqlx::query_scalar(
        "UPDATE challenges SET status = 'expired', reason = $2 WHERE user_id = $1 AND status = 'pending' RETURNING id",
    )
    .bind(user)
    .bind(reason)
    .fetch_all(&mut **tx)
    .await
}

/// One line of the authentication report.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AuthReportRow {
    /// Start of the UTC day, unix seconds.
    pub day: i64,
    /// User id.
    pub user_id: String,
    /// Authentication mode.
    pub mode: String,
    /// Result.
    pub result: String,
    /// How many.
    pub count: i64,
}

/// The usage report: the two billing bases (users configured, verifications performed).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct UsageReport {
    /// Start of the period, unix seconds.
    pub from: i64,
    /// End of the period (exclusive), unix seconds.
    pub to: i64,
    /// Users with at least one device or token at the end of the period.
    pub users_configured: i64,
    /// Verifications and pushes logged in the period.
    pub verifications: i64,
    /// Of those, accepted.
    pub verifications_accepted: i64,
    /// Distinct users that authenticated (or tried) in the period.
    pub users_authenticated: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stores to test on: SQLite always, PostgreSQL (a fresh database) when
    /// `COUNTERSIGN_TEST_POSTGRES_URL` names a cluster.
    async fn stores(dir: &std::path::Path) -> Vec<Store> {
        let sqlite = format!("sqlite://{}?mode=rwc", dir.join("t.db").display());
        let mut out = vec![Store::open(&sqlite, None).await.unwrap()];
        match std::env::var("COUNTERSIGN_TEST_POSTGRES_URL") {
            Ok(cluster) if !cluster.is_empty() => {
                use sqlx::Connection;
                let name = format!("cs_unit_{}", uuid::Uuid::new_v4().simple());
                let mut admin = sqlx::PgConnection::connect(&cluster).await.unwrap();
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .await
                    .unwrap();
                let mut url = url::Url::parse(&cluster).unwrap();
                url.set_path(&name);
                out.push(Store::open(url.as_str(), None).await.unwrap());
            }
            _ => eprintln!("PostgreSQL part skipped: COUNTERSIGN_TEST_POSTGRES_URL is not set"),
        }
        out
    }

    fn source() -> LogSource {
        LogSource {
            server_name: "test".into(),
            server_ip: None,
        }
    }

    async fn push(store: &Store, id: &str, created: i64) {
        let c = NewChallenge {
            id,
            user_id: "u",
            app: "app",
            client_ip: None,
            location: None,
            number: 0,
            options: &[],
            created,
            expires: created + 60,
        };
        let done = store
            .insert_challenge(&c, 100, &source(), |_| Ok("sig".into()))
            .await
            .unwrap();
        assert!(matches!(done, Inserted::Done { .. }));
    }

    #[tokio::test]
    async fn ended_challenges_past_retention_are_pruned_and_the_pending_one_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        for store in stores(dir.path()).await {
            assert!(store
                .create_user("u", &Profile::default(), 0)
                .await
                .unwrap());
            push(&store, "old-replaced", 1_000).await;
            push(&store, "old-pending", 1_001).await;
            push(&store, "recent", 5_000).await; // replaces old-pending
            push(&store, "newest", 5_001).await; // replaces recent
            assert_eq!(store.prune_challenges(4_000).await.unwrap(), 2);
            for (id, kept) in [
                ("old-replaced", false),
                ("old-pending", false),
                ("recent", true),
                ("newest", true),
            ] {
                assert_eq!(
                    store.challenge(id).await.unwrap().is_some(),
                    kept,
                    "{id} on {:?}",
                    store.backend()
                );
            }
            // The pending challenge is kept however old it is.
            assert_eq!(store.prune_challenges(10_000).await.unwrap(), 1);
            let newest = store.challenge("newest").await.unwrap().unwrap();
            assert_eq!(newest.status, "pending");
        }
    }

    #[tokio::test]
    async fn replaced_challenges_are_logged_in_the_insert_transaction() {
        let dir = tempfile::tempdir().unwrap();
        for store in stores(dir.path()).await {
            assert!(store
                .create_user("u", &Profile::default(), 0)
                .await
                .unwrap());
            push(&store, "first", 100).await;
            push(&store, "second", 101).await;
            let log = store
                .query_log(&LogQuery {
                    user: Some("u".into()),
                    ..LogQuery::default()
                })
                .await
                .unwrap();
            assert_eq!(log.len(), 1, "{log:?}");
            assert_eq!(
                (
                    log[0].mode.as_str(),
                    log[0].result.as_str(),
                    log[0].reason.as_deref()
                ),
                ("push", "denied", Some("replaced"))
            );
        }
    }
}
