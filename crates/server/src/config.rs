//! Server configuration: built-in defaults, then a TOML file, then `COUNTERSIGN_*` environment
//! variables, then command-line flags (each later source wins).
//!
//! With nothing set, the server keeps `countersign.db` (SQLite) and a self-signed certificate in
//! its data folder and listens on `127.0.0.1:8443`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The config file is not valid TOML for this schema.
    #[error("config file {path} is invalid: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A setting has a value that cannot be used.
    #[error("setting {name} is invalid: {message}")]
    Invalid {
        /// The setting (file key or environment variable).
        name: String,
        /// What is wrong.
        message: String,
    },
}

/// Every setting, as the config file spells them (all optional).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Address to listen on.
    pub listen: Option<SocketAddr>,
    /// `sqlite://...` (default: `countersign.db` in the data folder) or `postgres://...`.
    pub database_url: Option<String>,
    /// Display name in activation URIs, challenges and the log.
    pub server_name: Option<String>,
    /// Base URL devices reach the server at (default: `https://<listen>`).
    pub public_url: Option<String>,
    /// PEM certificate chain; with `tls_key`, replaces the generated self-signed certificate.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// `false` serves plain HTTP (only behind a TLS-terminating proxy).
    pub tls: Option<bool>,
    /// Relying-party API keys accepted in addition to those made with `apikey create`.
    pub api_keys: Option<Vec<String>>,
    /// Seconds an activation code stays valid.
    pub activation_ttl_seconds: Option<u64>,
    /// Seconds a push challenge can be answered.
    pub challenge_ttl_seconds: Option<u64>,
    /// Pushes allowed per user per minute.
    pub pushes_per_minute: Option<u32>,
    /// TOTP steps accepted either side of now.
    pub totp_window: Option<u32>,
    /// HOTP counters looked ahead.
    pub hotp_look_ahead: Option<u32>,
    /// Consecutive failures before back-off starts.
    pub throttle_free_failures: Option<u32>,
    /// Longest back-off in seconds.
    pub throttle_max_seconds: Option<u64>,
    /// Consecutive failures that lock verification until an admin clears it (below 100).
    pub lockout_failures: Option<u32>,
    /// Most database connections this node opens (default 8 on SQLite, 32 on PostgreSQL).
    pub database_max_connections: Option<u32>,
    /// Seconds between a held long-poll's rereads of the database when nothing woke it (the
    /// safety net under cross-node notifications).
    pub long_poll_recheck_seconds: Option<u64>,
    /// Seconds an ended challenge stays queryable (`GET /v1/push/{id}`) before it is deleted;
    /// its log row stays.
    pub challenge_retention_seconds: Option<u64>,
}

/// The TLS setup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tls {
    /// A self-signed certificate generated once and kept in the data folder.
    SelfSigned,
    /// Operator-supplied PEM files.
    Files {
        /// Certificate chain.
        cert: PathBuf,
        /// Private key.
        key: PathBuf,
    },
    /// Plain HTTP.
    Off,
}

/// The configuration in force.
#[derive(Debug, Clone)]
pub struct Config {
    /// Data folder.
    pub data_dir: PathBuf,
    /// Listen address.
    pub listen: SocketAddr,
    /// Database URL.
    pub database_url: String,
    /// Display name.
    pub server_name: String,
    /// Public base URL (set from `listen` if not configured).
    pub public_url: Option<String>,
    /// TLS.
    pub tls: Tls,
    /// API keys from the config file or environment.
    pub api_keys: Vec<String>,
    /// Activation code lifetime.
    pub activation_ttl: u64,
    /// Challenge lifetime.
    pub challenge_ttl: u64,
    /// Push rate limit per user per minute.
    pub pushes_per_minute: u32,
    /// TOTP window in steps.
    pub totp_window: u32,
    /// HOTP look-ahead.
    pub hotp_look_ahead: u32,
    /// Failures before back-off.
    pub throttle_free_failures: u32,
    /// Longest back-off.
    pub throttle_max_seconds: u64,
    /// Failures that lock verification.
    pub lockout_failures: u32,
    /// Database pool size (`None`: the backend's default).
    pub database_max_connections: Option<u32>,
    /// Seconds between a held long-poll's rereads when nothing woke it.
    pub long_poll_recheck_seconds: u64,
    /// Seconds an ended challenge stays before it is deleted.
    pub challenge_retention_seconds: u64,
}

/// The file the server reads when `--config` is not given: `countersign-server.toml` in the
/// data folder.
pub const CONFIG_FILE_NAME: &str = "countersign-server.toml";

impl Config {
    /// Loads the configuration. `data_dir`, `config_file`, `listen` and `database_url` come
    /// from flags.
    pub fn load(
        data_dir: Option<PathBuf>,
        config_file: Option<PathBuf>,
        listen: Option<SocketAddr>,
        database_url: Option<String>,
    ) -> Result<Self, ConfigError> {
        let data_dir = data_dir
            .or_else(|| std::env::var_os("COUNTERSIGN_DATA").map(PathBuf::from))
            .unwrap_or_else(default_data_dir);
        let file_path = config_file
            .clone()
            .unwrap_or_else(|| data_dir.join(CONFIG_FILE_NAME));
        let mut file = if config_file.is_some() || file_path.exists() {
            read_file(&file_path)?
        } else {
            FileConfig::default()
        };
        apply_env(&mut file)?;
        if let Some(listen) = listen {
            file.listen = Some(listen);
        }
        if let Some(url) = database_url {
            file.database_url = Some(url);
        }
        Self::from_file(data_dir, file)
    }

    /// Builds the configuration from file settings over the defaults.
    pub fn from_file(data_dir: PathBuf, f: FileConfig) -> Result<Self, ConfigError> {
        let tls = match (f.tls, f.tls_cert, f.tls_key) {
            (Some(false), _, _) => Tls::Off,
            (_, Some(cert), Some(key)) => Tls::Files { cert, key },
            (_, None, None) => Tls::SelfSigned,
            _ => {
                return Err(ConfigError::Invalid {
                    name: "tls_cert/tls_key".into(),
                    message: "set both the certificate and the key, or neither".into(),
                })
            }
        };
        let lockout = f.lockout_failures.unwrap_or(20);
        if !(1..100).contains(&lockout) {
            return Err(ConfigError::Invalid {
                name: "lockout_failures".into(),
                message: "must be 1 to 99 (NIST SP 800-63B: fewer than 100 consecutive failures)"
                    .into(),
            });
        }
        if f.database_max_connections == Some(0) {
            return Err(ConfigError::Invalid {
                name: "database_max_connections".into(),
                message: "must be at least 1".into(),
            });
        }
        let recheck = f.long_poll_recheck_seconds.unwrap_or(15);
        if recheck == 0 {
            return Err(ConfigError::Invalid {
                name: "long_poll_recheck_seconds".into(),
                message: "must be at least 1".into(),
            });
        }
        let retention = f.challenge_retention_seconds.unwrap_or(7 * 86_400);
        if retention < 3_600 {
            return Err(ConfigError::Invalid {
                name: "challenge_retention_seconds".into(),
                message: "must be at least 3600 (the push rate limit counts the last minute's challenges, and relying parties read results)".into(),
            });
        }
        let database_url = f.database_url.unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                data_dir.join("countersign.db").display()
            )
        });
        if crate::store::Backend::of_url(&database_url).is_none() {
            return Err(ConfigError::Invalid {
                name: "database_url".into(),
                message: "must start with sqlite:// or postgres://".into(),
            });
        }
        Ok(Self {
            listen: f
                .listen
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8443))),
            database_url,
            server_name: f.server_name.unwrap_or_else(|| "Countersign".into()),
            public_url: f.public_url,
            tls,
            api_keys: f.api_keys.unwrap_or_default(),
            activation_ttl: f.activation_ttl_seconds.unwrap_or(600),
            challenge_ttl: f.challenge_ttl_seconds.unwrap_or(60),
            pushes_per_minute: f.pushes_per_minute.unwrap_or(5),
            totp_window: f.totp_window.unwrap_or(1),
            hotp_look_ahead: f.hotp_look_ahead.unwrap_or(10),
            throttle_free_failures: f.throttle_free_failures.unwrap_or(3),
            throttle_max_seconds: f.throttle_max_seconds.unwrap_or(900),
            lockout_failures: lockout,
            database_max_connections: f.database_max_connections,
            long_poll_recheck_seconds: recheck,
            challenge_retention_seconds: retention,
            data_dir,
        })
    }

    /// The base URL devices use.
    pub fn public_url(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => {
                let scheme = if self.tls == Tls::Off {
                    "http"
                } else {
                    "https"
                };
                format!("{scheme}://{bound}")
            }
        }
    }

    /// Seconds of back-off after `failures` consecutive failures: none for the first
    /// `throttle_free_failures`, then doubling from 1 s up to `throttle_max_seconds`.
    pub fn backoff_seconds(&self, failures: i64) -> i64 {
        let over = failures - i64::from(self.throttle_free_failures);
        if over <= 0 {
            return 0;
        }
        let doubled = 1i64
            .checked_shl((over - 1).min(30) as u32)
            .unwrap_or(i64::MAX);
        doubled.min(self.throttle_max_seconds as i64)
    }
}

fn default_data_dir() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/share")))
        .map(|d| d.join("countersign-server"))
        .unwrap_or_else(|| PathBuf::from("countersign-server-data"))
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

fn apply_env(f: &mut FileConfig) -> Result<(), ConfigError> {
    fn var(name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
    fn parse<T: std::str::FromStr>(name: &str) -> Result<Option<T>, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        var(name)
            .map(|v| {
                v.parse().map_err(|e: T::Err| ConfigError::Invalid {
                    name: name.into(),
                    message: e.to_string(),
                })
            })
            .transpose()
    }
    if let Some(v) = parse("COUNTERSIGN_LISTEN")? {
        f.listen = Some(v);
    }
    if let Some(v) = var("COUNTERSIGN_DATABASE_URL") {
        f.database_url = Some(v);
    }
    if let Some(v) = var("COUNTERSIGN_SERVER_NAME") {
        f.server_name = Some(v);
    }
    if let Some(v) = var("COUNTERSIGN_PUBLIC_URL") {
        f.public_url = Some(v);
    }
    if let Some(v) = var("COUNTERSIGN_TLS_CERT") {
        f.tls_cert = Some(v.into());
    }
    if let Some(v) = var("COUNTERSIGN_TLS_KEY") {
        f.tls_key = Some(v.into());
    }
    if let Some(v) = parse("COUNTERSIGN_TLS")? {
        f.tls = Some(v);
    }
    if let Some(v) = var("COUNTERSIGN_API_KEYS") {
        f.api_keys = Some(
            v.split(',')
                .map(|k| k.trim().to_owned())
                .filter(|k| !k.is_empty())
                .collect(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_no_configuration() {
        let c = Config::from_file("/data".into(), FileConfig::default()).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8443");
        assert_eq!(c.tls, Tls::SelfSigned);
        assert!(c.database_url.starts_with("sqlite:///data/countersign.db"));
    }

    #[test]
    fn backoff_doubles_after_the_free_failures_up_to_the_cap() {
        let f = FileConfig {
            throttle_max_seconds: Some(10),
            ..Default::default()
        };
        let c = Config::from_file("/d".into(), f).unwrap();
        let got: Vec<i64> = (1..=8).map(|n| c.backoff_seconds(n)).collect();
        assert_eq!(got, vec![0, 0, 0, 1, 2, 4, 8, 10]);
    }

    #[test]
    fn lockout_at_or_above_one_hundred_is_refused() {
        let f = FileConfig {
            lockout_failures: Some(100),
            ..Default::default()
        };
        assert!(matches!(
            Config::from_file("/d".into(), f),
            Err(ConfigError::Invalid { .. })
        ));
    }

    #[test]
    fn half_a_certificate_pair_is_refused() {
        let f = FileConfig {
            tls_cert: Some("c.pem".into()),
            ..Default::default()
        };
        assert!(matches!(
            Config::from_file("/d".into(), f),
            Err(ConfigError::Invalid { .. })
        ));
    }

    #[test]
    fn a_database_url_of_another_kind_is_refused() {
        let f = FileConfig {
            database_url: Some("mysql://localhost/cs".into()),
            ..Default::default()
        };
        let err = Config::from_file("/d".into(), f).unwrap_err().to_string();
        assert!(err.contains("database_url"), "{err}");
    }

    #[test]
    fn a_postgres_url_is_taken_as_is() {
        let f = FileConfig {
            database_url: Some("postgres://cs:pw@db.example:5432/cs".into()),
            ..Default::default()
        };
        let c = Config::from_file("/d".into(), f).unwrap();
        assert_eq!(c.database_url, "postgres://cs:pw@db.example:5432/cs");
    }

    #[test]
    fn unknown_config_keys_are_named() {
        let err = toml::from_str::<FileConfig>("listn = \"1.2.3.4:5\"").unwrap_err();
        assert!(err.to_string().contains("listn"));
    }
}
