//! `countersign push listen|list|answer|status|remove`: push sign-in approvals from a terminal.

use std::collections::VecDeque;
use std::io::{BufRead, IsTerminal, Write};

use countersign_core::push::{
    store, Activation, AnswerOutcome, Challenge, ChallengeStatus, ConnectionState, Decision,
    DeviceClient, IncomingChallenge, Listener, ListenerConfig, PushError, PushEvent,
    TransportOptions,
};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::{CliError, Ctx};

/// `countersign push`
#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: PushCommand,
}

/// The `push` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum PushCommand {
    /// Listen for sign-in requests and print them as they arrive; on a terminal, ask for the
    /// number and the answer.
    Listen(ListenArgs),
    /// List the sign-in requests waiting for an answer.
    List(JsonArgs),
    /// Approve, deny or report a sign-in request.
    Answer(AnswerArgs),
    /// Show each push account: connected, not activated or unreachable, and the clock drift.
    Status(JsonArgs),
    /// Remove a push account: deactivate the device on the server and delete its key.
    Remove(RemoveArgs),
}

/// `--json`
#[derive(clap::Args, Debug)]
pub struct JsonArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `push listen`
#[derive(clap::Args, Debug)]
pub struct ListenArgs {
    /// Print every event as one JSON object per line.
    #[arg(long)]
    pub json: bool,
    /// Never prompt for answers, even on a terminal.
    #[arg(long)]
    pub no_prompt: bool,
    /// Exit after this many sign-in requests (and their answers, when prompting).
    #[arg(long, value_name = "N")]
    pub count: Option<usize>,
}

/// `push answer`
#[derive(clap::Args, Debug)]
pub struct AnswerArgs {
    /// The request's id (from `push list` or `push listen`).
    pub id: String,
    /// What to answer.
    #[command(flatten)]
    pub decision: DecisionArgs,
    /// The number the sign-in page shows (required to approve a number-matching request).
    #[arg(long, value_name = "N")]
    pub number: Option<u8>,
}

/// Exactly one of `--approve`, `--deny`, `--fraud`.
#[derive(clap::Args, Debug)]
#[group(required = true, multiple = false)]
pub struct DecisionArgs {
    /// It was me.
    #[arg(long)]
    pub approve: bool,
    /// It was not me.
    #[arg(long)]
    pub deny: bool,
    /// It was not me, and I want it reported: blocks further requests until an admin clears it.
    #[arg(long)]
    pub fraud: bool,
}

/// `push remove`
#[derive(clap::Args, Debug)]
pub struct RemoveArgs {
    /// The device id (from `push status`).
    pub device: String,
}

/// Runs `countersign push ...`.
pub fn run(ctx: &Ctx, args: &Args) -> Result<(), CliError> {
    match &args.command {
        PushCommand::Listen(a) => listen(ctx, a),
        PushCommand::List(a) => list(ctx, ctx.json || a.json),
        PushCommand::Answer(a) => answer(ctx, a),
        PushCommand::Status(a) => status(ctx, ctx.json || a.json),
        PushCommand::Remove(a) => remove(ctx, a),
    }
}

/// A tokio runtime for one command.
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))
}

/// Maps a push error to the CLI's exit codes.
pub fn cli_error(err: PushError) -> CliError {
    match err {
        PushError::Vault(e) => e.into(),
        e @ PushError::ActivationUri(_) => CliError::input(e.to_string()),
        e @ (PushError::UnknownChallenge { .. } | PushError::UnknownActivation(_)) => {
            CliError::not_found(e.to_string())
        }
        e => CliError::failure(e.to_string()),
    }
}

fn usable(vault: &countersign_core::Vault) -> Vec<Activation> {
    store::visible(vault)
        .into_iter()
        .filter(|a| !a.not_activated)
        .cloned()
        .collect()
}

fn no_accounts() -> CliError {
    CliError::not_found("no activated push accounts; activate one with `countersign activate URI`")
}

fn listen(ctx: &Ctx, args: &ListenArgs) -> Result<(), CliError> {
    let mut vault = ctx.open_vault()?;
    let activations: Vec<Activation> = store::visible(&vault).into_iter().cloned().collect();
    if activations.is_empty() {
        return Err(no_accounts());
    }
    let json = ctx.json || args.json;
    let mut prompting = !args.no_prompt && std::io::stdin().is_terminal();
    let runtime = runtime()?;
    runtime.block_on(async {
        let _ = store::retry_removals(&mut vault, &TransportOptions::default()).await;
        let (tx, mut events) = mpsc::unbounded_channel();
        let (handles, failed) = Listener::spawn_all(&activations, &ListenerConfig::default(), &tx);
        drop(tx);
        for (device, e) in failed {
            eprintln!("countersign: push account {device} cannot listen: {e}");
        }
        let (line_tx, mut lines) = mpsc::unbounded_channel::<String>();
        if prompting {
            std::thread::spawn(move || {
                for line in std::io::stdin().lock().lines() {
                    let Ok(line) = line else { break };
                    if line_tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        let mut queue: VecDeque<IncomingChallenge> = VecDeque::new();
        let mut seen = 0usize;
        let mut done = 0usize;
        let finished = |seen: usize, done: usize, prompting: bool| {
            args.count.is_some_and(|n| if prompting { done >= n } else { seen >= n })
        };
        loop {
            tokio::select! {
                event = events.recv() => {
                    let Some(event) = event else { break };
                    if json {
                        println!("{}", serde_json::to_string(&event).unwrap_or_default());
                    }
                    match event {
                        PushEvent::Challenge(c) => {
                            seen += 1;
                            if !json {
                                print_challenge(&c.challenge, c.millis_left(now_ms()) / 1000);
                            }
                            if prompting {
                                queue.push_back(c);
                                if queue.len() == 1 {
                                    prompt(&queue[0].challenge);
                                }
                            } else if finished(seen, done, prompting) {
                                break;
                            }
                        }
                        PushEvent::State { device_id, state } => {
                            if let ConnectionState::NotActivated { .. } = state {
                                let _ = store::mark_not_activated(&mut vault, &device_id);
                            }
                            if !json {
                                print_state(&device_id, &state);
                            }
                        }
                        PushEvent::Clock { offset, .. } if offset.endangers_totp && !json => {
                            eprintln!(
                                "warning: this device's clock is {:.1} s off the server's; TOTP codes may be refused. Fix the system clock.",
                                offset.offset_ms as f64 / -1000.0
                            );
                        }
                        PushEvent::Dropped { challenge_id, reason, .. } if !json => {
                            eprintln!("countersign: ignored sign-in request {challenge_id} ({reason})");
                        }
                        _ => {}
                    }
                }
                line = lines.recv(), if prompting => {
                    let Some(line) = line else { prompting = false; continue };
                    let Some(c) = queue.front().cloned() else { continue };
                    let Some((decision, number)) = parse_reply(&line, &c.challenge) else {
                        eprintln!("countersign: answer with one of the numbers shown, d (deny) or f (report fraud)");
                        prompt(&c.challenge);
                        continue;
                    };
                    queue.pop_front();
                    done += 1;
                    match handles.iter().find(|h| h.device_id() == c.device_id) {
                        Some(h) if c.millis_left(now_ms()) > 0 => report(&c.challenge.id, h.client().answer(&c.challenge.id, decision, number).await),
                        Some(_) => eprintln!("countersign: sign-in request {} expired before the answer", c.challenge.id),
                        None => {}
                    }
                    if finished(seen, done, prompting) {
                        break;
                    }
                    if let Some(next) = queue.front() {
                        prompt(&next.challenge);
                    }
                }
            }
        }
        for h in handles {
            h.stop().await;
        }
    });
    Ok(())
}

fn parse_reply(line: &str, c: &Challenge) -> Option<(Decision, Option<u8>)> {
    match line.trim().to_ascii_lowercase().as_str() {
        "d" | "deny" | "n" | "no" => Some((Decision::Deny, None)),
        "f" | "fraud" | "report" => Some((Decision::ReportFraud, None)),
        "a" | "approve" | "y" | "yes" if c.options.is_empty() => Some((Decision::Approve, None)),
        other => other
            .parse::<u8>()
            .ok()
            .filter(|_| !c.options.is_empty())
            .map(|n| (Decision::Approve, Some(n))),
    }
}

fn prompt(c: &Challenge) {
    let mut err = std::io::stderr().lock();
    if c.options.is_empty() {
        let _ = write!(
            err,
            "Approve {}? a = approve, d = deny, f = report fraud: ",
            c.app
        );
    } else {
        let options: Vec<String> = c.options.iter().map(u8::to_string).collect();
        let _ = write!(
            err,
            "Type the number the sign-in page shows ({}), or d = deny, f = report fraud: ",
            options.join(" / ")
        );
    }
    let _ = err.flush();
}

fn print_challenge(c: &Challenge, seconds_left: i64) {
    let mut from = Vec::new();
    if let Some(ip) = &c.client_ip {
        from.push(ip.clone());
    }
    if let Some(loc) = &c.location {
        from.push(loc.clone());
    }
    let from = if from.is_empty() {
        String::new()
    } else {
        format!(" from {}", from.join(", "))
    };
    println!(
        "Sign-in request {}: {} for {} at {}{from}; {} s left{}",
        c.id,
        c.app,
        c.user,
        c.issuer,
        seconds_left.max(0),
        if c.options.is_empty() {
            String::new()
        } else {
            " (number matching)".to_owned()
        }
    );
    let _ = std::io::stdout().flush();
}

fn print_state(device: &str, state: &ConnectionState) {
    match state {
        ConnectionState::Connected { .. } => eprintln!("push account {device}: connected"),
        ConnectionState::Reconnecting {
            retry_at_ms,
            message,
            ..
        } => eprintln!(
            "push account {device}: reconnecting in {:.1} s ({message})",
            (retry_at_ms - now_ms()).max(0) as f64 / 1000.0
        ),
        ConnectionState::NotActivated { message } => eprintln!(
            "push account {device}: {message}\n  (countersign activate --replace {device} NEW-URI)"
        ),
        ConnectionState::Connecting | ConnectionState::Stopped => {}
    }
}

fn report(id: &str, outcome: Result<AnswerOutcome, PushError>) {
    match outcome {
        Ok(AnswerOutcome::Recorded { status }) => println!("{id}: {}", status_text(status)),
        Ok(AnswerOutcome::RecordedEarlier) => {
            println!("{id}: answered (the reply to the first attempt was lost)")
        }
        Err(e) => eprintln!("countersign: {id}: {e}"),
    }
}

fn status_text(status: ChallengeStatus) -> &'static str {
    match status {
        ChallengeStatus::Approved => "approved",
        ChallengeStatus::Denied => "denied (a wrong number denies)",
        ChallengeStatus::Fraud => {
            "reported as fraud; further requests are blocked until an administrator clears them"
        }
        ChallengeStatus::Expired => "expired",
        ChallengeStatus::Replaced => "replaced by a newer request",
        ChallengeStatus::Pending => "pending",
    }
}

#[derive(Serialize)]
struct Pending {
    device_id: String,
    #[serde(flatten)]
    challenge: Challenge,
}

fn list(ctx: &Ctx, json: bool) -> Result<(), CliError> {
    let vault = ctx.open_vault()?;
    let activations = usable(&vault);
    if activations.is_empty() {
        return Err(no_accounts());
    }
    let runtime = runtime()?;
    let mut pending = Vec::new();
    let mut errors = Vec::new();
    runtime.block_on(async {
        for a in &activations {
            match DeviceClient::new(a, TransportOptions::default()) {
                Ok(client) => match client.pending().await {
                    Ok(list) => pending.extend(list.into_iter().map(|challenge| Pending {
                        device_id: a.device_id.clone(),
                        challenge,
                    })),
                    Err(e) => errors.push(format!("{}: {e}", a.label)),
                },
                Err(e) => errors.push(format!("{}: {e}", a.label)),
            }
        }
    });
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&pending).map_err(|e| CliError::failure(e.to_string()))?
        );
    } else if pending.is_empty() {
        println!("No sign-in requests waiting.");
    } else {
        let now = now_ms() / 1000;
        for p in &pending {
            print_challenge(
                &p.challenge,
                i64::try_from(p.challenge.expires).unwrap_or(0) - now,
            );
        }
    }
    for e in &errors {
        eprintln!("countersign: {e}");
    }
    if !errors.is_empty() && pending.is_empty() {
        return Err(CliError::failure("no push server could be asked"));
    }
    Ok(())
}

fn answer(ctx: &Ctx, args: &AnswerArgs) -> Result<(), CliError> {
    let decision = if args.decision.approve {
        Decision::Approve
    } else if args.decision.deny {
        Decision::Deny
    } else {
        Decision::ReportFraud
    };
    let vault = ctx.open_vault()?;
    let activations = usable(&vault);
    if activations.is_empty() {
        return Err(no_accounts());
    }
    let runtime = runtime()?;
    let outcome = runtime.block_on(find_and_answer(
        &activations,
        &args.id,
        decision,
        args.number,
    ));
    let outcome = match outcome {
        Ok(Ok(o)) => o,
        Ok(Err(usage)) => return Err(usage),
        Err(PushError::UnknownChallenge { .. }) => {
            return Err(CliError::not_found(format!(
                "no sign-in request {} is waiting: it was answered, replaced or expired",
                args.id
            )))
        }
        Err(e) => return Err(cli_error(e)),
    };
    if ctx.json {
        println!("{}", serde_json::to_string(&outcome).unwrap_or_default());
    } else {
        report(&args.id, Ok(outcome));
    }
    Ok(())
}

/// Finds the pending request `id` among the activations and answers it. The inner error is a
/// usage error (a number-matching request approved without `--number`).
async fn find_and_answer(
    activations: &[Activation],
    id: &str,
    decision: Decision,
    number: Option<u8>,
) -> Result<Result<AnswerOutcome, CliError>, PushError> {
    for a in activations {
        let client = DeviceClient::new(a, TransportOptions::default())?;
        let Ok(pending) = client.pending().await else {
            continue;
        };
        let Some(c) = pending.iter().find(|c| c.id == id) else {
            continue;
        };
        if decision == Decision::Approve && !c.options.is_empty() && number.is_none() {
            let options: Vec<String> = c.options.iter().map(u8::to_string).collect();
            return Ok(Err(CliError::usage(format!(
                "this request uses number matching: pass --number with the number the sign-in page shows ({})",
                options.join(", ")
            ))));
        }
        return client.answer(&c.id, decision, number).await.map(Ok);
    }
    Err(PushError::UnknownChallenge { id: id.to_owned() })
}

#[derive(Serialize)]
struct Status {
    device_id: String,
    label: String,
    server: String,
    user: String,
    issuer: String,
    /// `connected`, `not_activated`, `unreachable` or `removing`.
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    pending: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    clock_offset_ms: Option<i64>,
    totp_drift_warning: bool,
}

fn status(ctx: &Ctx, json: bool) -> Result<(), CliError> {
    let mut vault = ctx.open_vault()?;
    let runtime = runtime()?;
    let rows = runtime.block_on(async {
        let transport = TransportOptions::default();
        let _ = store::retry_removals(&mut vault, &transport).await;
        let mut rows = Vec::new();
        for a in vault.activations().to_vec() {
            let mut row = Status {
                device_id: a.device_id.clone(),
                label: a.label.clone(),
                server: a.server.clone(),
                user: a.user.clone(),
                issuer: a.issuer.clone(),
                state: "connected",
                message: None,
                pending: 0,
                clock_offset_ms: None,
                totp_drift_warning: false,
            };
            if a.pending_removal {
                row.state = "removing";
                rows.push(row);
                continue;
            }
            let result = match DeviceClient::new(&a, transport.clone()) {
                Ok(client) => {
                    let r = client.pending().await;
                    if let Some(o) = client.clock_offset() {
                        row.clock_offset_ms = Some(o.offset_ms);
                        row.totp_drift_warning = o.endangers_totp(30, 1);
                    }
                    r
                }
                Err(e) => Err(e),
            };
            match result {
                Ok(list) => row.pending = list.len(),
                Err(e @ PushError::NotActivated { .. }) => {
                    let _ = store::mark_not_activated(&mut vault, &a.device_id);
                    row.state = "not_activated";
                    row.message = Some(e.to_string());
                }
                Err(e) => {
                    row.state = "unreachable";
                    row.message = Some(e.to_string());
                }
            }
            rows.push(row);
        }
        rows
    });
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).map_err(|e| CliError::failure(e.to_string()))?
        );
        return Ok(());
    }
    if rows.is_empty() {
        println!("No push accounts; activate one with `countersign activate URI`.");
    }
    for r in &rows {
        println!(
            "{} ({} at {}), device {}",
            r.label, r.user, r.issuer, r.device_id
        );
        match r.state {
            "connected" => println!("  connected; {} request(s) waiting", r.pending),
            "not_activated" => println!(
                "  {}\n  re-add it: countersign activate --replace {} NEW-URI",
                r.message.as_deref().unwrap_or_default(),
                r.device_id
            ),
            "removing" => println!("  removed; waiting to tell the server"),
            _ => println!(
                "  unreachable: {}",
                r.message.as_deref().unwrap_or_default()
            ),
        }
        if let Some(ms) = r.clock_offset_ms {
            let note = if r.totp_drift_warning {
                " — TOTP codes may be refused: fix the system clock"
            } else {
                ""
            };
            println!(
                "  server clock {:+.1} s from this device's{note}",
                ms as f64 / 1000.0
            );
        }
    }
    Ok(())
}

fn remove(ctx: &Ctx, args: &RemoveArgs) -> Result<(), CliError> {
    let mut vault = ctx.open_vault()?;
    let runtime = runtime()?;
    let removal = runtime
        .block_on(store::remove_activation(
            &mut vault,
            &args.device,
            &TransportOptions::default(),
        ))
        .map_err(cli_error)?;
    match removal {
        store::Removal::Done(p) => println!("Removed \"{}\"; the server no longer knows this device.", p.label),
        store::Removal::Deferred(p, why) => println!(
            "Removed \"{}\". The server could not be told yet ({why}); countersign retries on the next `push status` or `push listen`.",
            p.label
        ),
    }
    Ok(())
}

fn now_ms() -> i64 {
    super::now() * 1000
}
