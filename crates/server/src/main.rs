//! `countersign-server`: `serve` runs the MFA server; the other commands administer it.
#![forbid(unsafe_code)]

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use countersign_server::admin::{self, AdminError, TokenFormat};
use countersign_server::config::Config;
use countersign_server::store::{LogQuery, Profile};

/// Countersign MFA server.
#[derive(Debug, Parser)]
#[command(name = "countersign-server", version, about)]
struct Cli {
    /// Data folder (SQLite database, certificate, config file).
    #[arg(long, global = true, env = "COUNTERSIGN_DATA")]
    data: Option<PathBuf>,
    /// Config file (default: countersign-server.toml in the data folder).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Database URL: `sqlite://FILE` or `postgres://USER:PASSWORD@HOST/DB` (overrides the
    /// config file and $COUNTERSIGN_DATABASE_URL).
    #[arg(long, global = true, value_name = "URL")]
    database: Option<String>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on (default 127.0.0.1:8443; port 0 picks a free one).
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Manage users.
    #[command(subcommand)]
    User(UserCmd),
    /// Device activations.
    #[command(subcommand)]
    Activation(ActivationCmd),
    /// Relying-party API keys.
    #[command(subcommand)]
    Apikey(ApikeyCmd),
    /// OATH hardware tokens.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Reports.
    #[command(subcommand)]
    Report(ReportCmd),
    /// Query the authentication log.
    Log {
        /// Only this user.
        #[arg(long)]
        user: Option<String>,
        /// From this time (unix seconds or YYYY-MM-DD).
        #[arg(long)]
        since: Option<String>,
        /// Before this time (unix seconds or YYYY-MM-DD).
        #[arg(long)]
        until: Option<String>,
        /// Only this result (accepted, denied, fraud, expired).
        #[arg(long)]
        result: Option<String>,
        /// At most this many rows.
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
}

#[derive(Debug, Subcommand)]
enum UserCmd {
    /// Add a user.
    Add {
        /// Unique id.
        id: String,
        #[arg(long)]
        first_name: Option<String>,
        #[arg(long)]
        last_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
    },
    /// List users.
    List,
    /// Show a user with devices and tokens.
    Show { id: String },
    /// Remove a user's devices and factors so they register again.
    Reset { id: String },
    /// Clear a fraud block and a verification lockout.
    Unblock { id: String },
    /// Delete a user.
    Delete { id: String },
    /// Enrol (or replace) the user's software TOTP; prints the otpauth URI and QR code.
    Totp { id: String },
}

#[derive(Debug, Subcommand)]
enum ActivationCmd {
    /// Start an activation: prints the URI and a QR code.
    Create {
        /// User id.
        user: String,
        /// Also write the QR code as PNG.
        #[arg(long)]
        png: Option<PathBuf>,
        /// Also write the QR code as SVG.
        #[arg(long)]
        svg: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum ApikeyCmd {
    /// Create an API key (printed once).
    Create {
        /// What the key is for.
        #[arg(long, default_value = "relying party")]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCmd {
    /// Import tokens from a PSKC (RFC 6030) or CSV file.
    Import {
        file: PathBuf,
        /// File format (default: guessed from the content).
        #[arg(long, value_enum)]
        format: Option<TokenFormat>,
        /// Read the PSKC password from standard input.
        #[arg(long)]
        password_stdin: bool,
        /// PSKC pre-shared key in hex.
        #[arg(long)]
        key_hex: Option<String>,
    },
    /// List hardware tokens.
    List {
        #[arg(long)]
        user: Option<String>,
    },
    /// Assign a token to a user.
    Assign { serial: String, user: String },
    /// Unassign a token.
    Unassign { serial: String },
    /// Resynchronise an HOTP token with two consecutive codes.
    Resync {
        serial: String,
        first: String,
        second: String,
    },
}

#[derive(Debug, Subcommand)]
enum ReportCmd {
    /// Authentications by day, user, mode and result.
    Auth {
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
    },
    /// Users configured for MFA against verifications performed.
    Usage {
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "countersign_server=info,warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let listen = match &cli.command {
        Command::Serve { listen } => *listen,
        _ => None,
    };
    let config = Config::load(
        cli.data.clone(),
        cli.config.clone(),
        listen,
        cli.database.clone(),
    )
    .map_err(|e| e.to_string())?;
    if matches!(cli.command, Command::Serve { .. }) {
        return countersign_server::serve(config)
            .await
            .map_err(|e| e.to_string());
    }
    let bound = config.listen;
    let prepared = countersign_server::prepare(config, bound)
        .await
        .map_err(|e| e.to_string())?;
    let state = &prepared.state;
    let json = cli.json;
    let time = |t: &Option<String>| t.as_deref().map(admin::parse_time).transpose();
    let output: Result<String, AdminError> = async {
        match cli.command {
            Command::Serve { .. } => unreachable!("handled above"),
            Command::User(cmd) => match cmd {
                UserCmd::Add {
                    id,
                    first_name,
                    last_name,
                    email,
                    phone,
                } => {
                    admin::user_add(
                        state,
                        &id,
                        Profile {
                            first_name,
                            last_name,
                            email,
                            phone,
                        },
                    )
                    .await
                }
                UserCmd::List => admin::user_list(state, json).await,
                UserCmd::Show { id } => admin::user_show(state, &id, json).await,
                UserCmd::Reset { id } => admin::user_reset(state, &id).await,
                UserCmd::Unblock { id } => admin::user_unblock(state, &id).await,
                UserCmd::Delete { id } => admin::user_delete(state, &id).await,
                UserCmd::Totp { id } => admin::user_totp(state, &id).await,
            },
            Command::Activation(ActivationCmd::Create { user, png, svg }) => {
                admin::activation_create(state, &user, png.as_deref(), svg.as_deref()).await
            }
            Command::Apikey(ApikeyCmd::Create { name }) => admin::apikey_create(state, &name).await,
            Command::Token(cmd) => match cmd {
                TokenCmd::Import {
                    file,
                    format,
                    password_stdin,
                    key_hex,
                } => {
                    let password = if password_stdin {
                        let mut text = String::new();
                        std::io::stdin()
                            .read_to_string(&mut text)
                            .map_err(|e| AdminError::Usage(e.to_string()))?;
                        Some(zeroize::Zeroizing::new(
                            text.trim_end_matches(['\n', '\r']).as_bytes().to_vec(),
                        ))
                    } else {
                        None
                    };
                    let key = key_hex
                        .map(|k| data_encoding::HEXLOWER_PERMISSIVE.decode(k.as_bytes()))
                        .transpose()
                        .map_err(|_| AdminError::Usage("--key-hex is not hexadecimal".into()))?
                        .map(zeroize::Zeroizing::new);
                    admin::token_import(
                        state,
                        &file,
                        format,
                        password.as_deref().map(|p| p.as_slice()),
                        key.as_deref().map(|k| k.as_slice()),
                    )
                    .await
                }
                TokenCmd::List { user } => admin::token_list(state, user.as_deref(), json).await,
                TokenCmd::Assign { serial, user } => {
                    admin::token_assign(state, &serial, Some(&user)).await
                }
                TokenCmd::Unassign { serial } => admin::token_assign(state, &serial, None).await,
                TokenCmd::Resync {
                    serial,
                    first,
                    second,
                } => admin::token_resync(state, &serial, &first, &second).await,
            },
            Command::Report(cmd) => {
                let (from, to, auth) = match &cmd {
                    ReportCmd::Auth { from, to } => (time(from)?, time(to)?, true),
                    ReportCmd::Usage { from, to } => (time(from)?, time(to)?, false),
                };
                let to = to.unwrap_or_else(|| countersign_server::state::now() + 1);
                let from = from.unwrap_or(to.saturating_sub(30 * 86_400));
                if auth {
                    admin::report_auth(state, from, to, json).await
                } else {
                    admin::report_usage(state, from, to, json).await
                }
            }
            Command::Log {
                user,
                since,
                until,
                result,
                limit,
            } => {
                let q = LogQuery {
                    user,
                    since: time(&since)?,
                    until: time(&until)?,
                    result,
                    limit: Some(limit),
                };
                admin::log(state, &q, json).await
            }
        }
    }
    .await;
    state.store.close().await;
    let text = output.map_err(|e| e.to_string())?;
    if !text.is_empty() {
        println!("{text}");
    }
    Ok(())
}
