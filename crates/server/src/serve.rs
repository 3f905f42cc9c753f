//! Starting the server.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use countersign_protocol::encoding::{b64url, from_b64url};
use countersign_protocol::SigningKey;

use crate::config::Config;
use crate::state::{now, AppState, Inner};
use crate::store::{Backend, Store};
use crate::tls::{self, TlsFiles};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The data folder could not be created.
    #[error("cannot create the data folder {path}: {source}")]
    DataDir {
        /// Folder.
        path: std::path::PathBuf,
        /// Error.
        source: std::io::Error,
    },
    /// TLS setup failed.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// The database could not be opened or migrated.
    #[error("database {url}: {source}")]
    Database {
        /// URL (without credentials).
        url: String,
        /// Error.
        source: sqlx::Error,
    },
    /// The stored challenge-signing key is unreadable.
    #[error("the stored challenge-signing key is corrupt")]
    CorruptKey,
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// Address.
        addr: SocketAddr,
        /// Error.
        source: std::io::Error,
    },
    /// The server failed while running.
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

/// Everything opened before serving (also what the admin commands use).
pub struct Prepared {
    /// The shared state.
    pub state: AppState,
    /// TLS files, when TLS is on.
    pub tls: Option<TlsFiles>,
}

fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Opens the database, loads or creates the challenge-signing key and the TLS certificate.
/// `bound` is the address the server listens on (for the default public URL).
pub async fn prepare(config: Config, bound: SocketAddr) -> Result<Prepared, ServeError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|source| ServeError::DataDir {
        path: config.data_dir.clone(),
        source,
    })?;
    let tls = tls::prepare(&config)?;
    let store = Store::open(&config.database_url, config.database_max_connections)
        .await
        .map_err(|source| ServeError::Database {
            url: redact(&config.database_url),
            source,
        })?;
    let fresh = SigningKey::generate().map_err(|_| ServeError::CorruptKey)?;
    let stored = store
        .setting_or_insert("challenge_signing_key", &b64url(fresh.pkcs8()))
        .await
        .map_err(|source| ServeError::Database {
            url: redact(&config.database_url),
            source,
        })?;
    let der = zeroize::Zeroizing::new(from_b64url(&stored).ok_or(ServeError::CorruptKey)?);
    let server_key = SigningKey::from_pkcs8(&der).map_err(|_| ServeError::CorruptKey)?;
    let public_url = config.public_url(bound);
    let server_ip = (!bound.ip().is_unspecified()).then(|| bound.ip());
    let tls_pin = tls
        .as_ref()
        .filter(|t| t.self_signed)
        .map(|t| t.fingerprint);
    let state = AppState(Arc::new(Inner::new(
        config, store, server_key, tls_pin, public_url, server_ip,
    )));
    Ok(Prepared { state, tls })
}

/// Runs the server until SIGINT/SIGTERM. Prints the address and fingerprints on stdout.
pub async fn serve(config: Config) -> Result<(), ServeError> {
    raise_fd_limit();
    let listener = TcpListener::bind(config.listen).map_err(|source| ServeError::Bind {
        addr: config.listen,
        source,
    })?;
    listener.set_nonblocking(true)?;
    let bound = listener.local_addr()?;
    let Prepared { state, tls } = prepare(config, bound).await?;
    let rustls = match &tls {
        Some(t) => Some(load_rustls(t)?),
        None => None,
    };

    println!("countersign-server listening on {}", state.public_url);
    println!("data folder: {}", state.config.data_dir.display());
    if let Some(t) = &tls {
        let kind = if t.self_signed {
            "self-signed"
        } else {
            "configured"
        };
        println!(
            "TLS certificate ({kind}) SHA-256 fingerprint: {}",
            t.fingerprint.colon_hex()
        );
    } else {
        println!("TLS is off: serve only behind a TLS-terminating proxy");
    }
    println!(
        "challenge-signing key fingerprint: {}",
        state.server_key.public_key().fingerprint()
    );
    use std::io::Write;
    let _ = std::io::stdout().flush();

    let housekeeping = tokio::spawn(housekeeping(state.clone()));
    let notifications = (state.store.backend() == Backend::Postgres).then(|| {
        tokio::spawn(crate::listen::run(
            state.clone(),
            state.config.database_url.clone(),
        ))
    });
    let app = crate::api::router(state.clone());
    let result = crate::accept::serve(listener, rustls, app, shutdown_signal()).await;
    housekeeping.abort();
    if let Some(task) = notifications {
        task.abort();
    }
    state.store.close().await;
    result.map_err(ServeError::Io)
}

fn load_rustls(t: &TlsFiles) -> Result<Arc<rustls::ServerConfig>, ServeError> {
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|source| {
            ServeError::Tls(tls::TlsError::Io {
                path: path.to_owned(),
                source,
            })
        })
    };
    let (cert, key) = (read(&t.cert)?, read(&t.key)?);
    crate::accept::rustls_config(&cert, &key)
        .map_err(|e| ServeError::Tls(tls::TlsError::Config(e.to_string())))
}

/// How far back (seconds) each housekeeping round looks for device removals.
const REMOVAL_WINDOW_SECONDS: i64 = 3;

/// Expires unanswered challenges (logging them and waking their waiters), ends the long-polls of
/// devices another process or node removed (see [`REMOVAL_WINDOW_SECONDS`]), forgets spent nonces
/// every 30 s and deletes ended challenges past their retention every 10 minutes. Every node
/// runs it; each statement is safe to run on several nodes at once.
async fn housekeeping(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut round: u64 = 0;
    loop {
        tick.tick().await;
        round += 1;
        match state
            .store
            .expire_due(None, now(), &state.log_source())
            .await
        {
            Ok(rows) => {
                for (row, entry) in rows {
                    if let Some(entry) = entry {
                        state.count_auth(&entry);
                    }
                    state.hub.challenge_changed(&row.id);
                }
            }
            Err(e) => tracing::warn!(error = %e, "expiring challenges"),
        }
        // Device removals by another process (an admin command on SQLite) or node: end their
        // long-polls. The window overlaps the previous rounds, so a removal committed late in
        // its second is still seen; waking a user twice costs one reread.
        match state
            .store
            .users_with_devices_removed_since(now() - REMOVAL_WINDOW_SECONDS)
            .await
        {
            Ok(users) => {
                for user in users {
                    state.hub.user_changed(&user);
                }
            }
            Err(e) => tracing::warn!(error = %e, "reading device removals"),
        }
        if round % 30 == 0 {
            if let Err(e) = state.store.prune_nonces(now()).await {
                tracing::warn!(error = %e, "pruning nonces");
            }
        }
        if round % 600 == 0 {
            let before = now() - state.config.challenge_retention_seconds as i64;
            if let Err(e) = state.store.prune_challenges(before).await {
                tracing::warn!(error = %e, "pruning ended challenges");
            }
        }
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Long-polls hold one file descriptor each: lift the soft limit to the hard one.
fn raise_fd_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => tracing::debug!(limit = n, "open file limit"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the open file limit"),
    }
}
