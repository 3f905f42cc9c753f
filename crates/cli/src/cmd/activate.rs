//! `countersign activate URI | --qr IMAGE`: activate this device for push sign-in approvals.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use countersign_core::push::{store, ActivationSummary, PendingActivation, TransportOptions};
use serde::Serialize;

use crate::{CliError, Ctx};

/// `countersign activate`
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The activation URI (`countersign://activate?...`) the server or its administrator gave.
    #[arg(
        value_name = "URI",
        required_unless_present = "qr",
        conflicts_with = "qr"
    )]
    pub uri: Option<String>,
    /// Read the activation QR code from an image file instead ("-" reads standard input).
    #[arg(long, value_name = "IMAGE")]
    pub qr: Option<PathBuf>,
    /// The name the server shows for this device [default: the host name].
    #[arg(long, value_name = "NAME")]
    pub device_name: Option<String>,
    /// Re-add in place of this activation (its device id, from `countersign push status`),
    /// keeping its name and place: the way back from "not activated".
    #[arg(long, value_name = "DEVICE")]
    pub replace: Option<String>,
    /// Activate without asking to confirm the server, user and key fingerprint.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print the new activation as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Activated<'a> {
    device_id: &'a str,
    label: &'a str,
    server: &'a str,
    user: &'a str,
    issuer: &'a str,
}

/// Runs `countersign activate`.
pub fn run(ctx: &Ctx, args: &Args) -> Result<(), CliError> {
    let pending = match (&args.uri, &args.qr) {
        (Some(uri), _) => {
            PendingActivation::parse(uri).map_err(|e| CliError::input(e.to_string()))?
        }
        (None, Some(image)) => from_image(image)?,
        (None, None) => return Err(CliError::usage("give the activation URI or --qr IMAGE")),
    };
    let summary = pending.summary();
    if !args.yes {
        confirm(&summary)?;
    }
    let mut vault = ctx.open_vault()?;
    if let Some(old) = &args.replace {
        if !vault.activations().iter().any(|a| &a.device_id == old) {
            return Err(CliError::not_found(format!(
                "no push activation with device id {old:?}"
            )));
        }
    }
    let device_name = args.device_name.clone().unwrap_or_else(host_name);
    let transport = TransportOptions::default();
    let runtime = super::push::runtime()?;
    let activation = runtime
        .block_on(activate(
            &mut vault,
            &pending,
            args.replace.as_deref(),
            &device_name,
            &transport,
        ))
        .map_err(super::push::cli_error)?;
    if ctx.json || args.json {
        let out = Activated {
            device_id: &activation.device_id,
            label: &activation.label,
            server: &activation.server,
            user: &activation.user,
            issuer: &activation.issuer,
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&out).map_err(|e| CliError::failure(e.to_string()))?
        );
    } else {
        println!(
            "Activated \"{}\" (device {}): sign-in requests for {} at {} now reach this device; \
             run `countersign push listen` to receive them.",
            activation.label, activation.device_id, activation.user, activation.issuer
        );
    }
    Ok(())
}

async fn activate(
    vault: &mut countersign_core::Vault,
    pending: &PendingActivation,
    replace: Option<&str>,
    device_name: &str,
    transport: &TransportOptions,
) -> Result<countersign_core::push::Activation, countersign_core::push::PushError> {
    if let Some(old) = replace {
        return store::replace_activation(vault, old, pending, device_name, transport).await;
    }
    let a = pending.activate(device_name, transport).await?;
    store::add_activation(vault, a.clone(), None)?;
    Ok(vault
        .activations()
        .iter()
        .find(|x| x.device_id == a.device_id)
        .cloned()
        .unwrap_or(a))
}

fn from_image(path: &PathBuf) -> Result<PendingActivation, CliError> {
    use countersign_core::qr::{self, Content};
    let bytes = if path.as_os_str() == "-" {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut b)?;
        b
    } else {
        std::fs::read(path)
            .map_err(|e| CliError::input(format!("cannot read {}: {e}", path.display())))?
    };
    let decoded = qr::decode_image_bytes(&bytes)
        .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
    let mut invalid = None;
    for d in decoded {
        match d.content {
            Content::Activation(uri) => return Ok(PendingActivation::from_uri(uri)),
            Content::Invalid { reason, .. } => invalid = Some(reason),
            _ => {}
        }
    }
    Err(CliError::input(match invalid {
        Some(reason) => format!(
            "{}: the QR code is not a valid activation code: {reason}",
            path.display()
        ),
        None => format!(
            "{}: no Countersign activation QR code found in the image",
            path.display()
        ),
    }))
}

fn confirm(s: &ActivationSummary) -> Result<(), CliError> {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "Activate push sign-in approvals for:");
    let _ = writeln!(err, "  issuer:   {}", s.issuer);
    let _ = writeln!(err, "  user:     {}", s.user);
    let _ = writeln!(err, "  server:   {}", s.server);
    let _ = writeln!(err, "  key:      {}", s.key_fingerprint);
    if let Some(tls) = &s.tls_fingerprint {
        let _ = writeln!(err, "  TLS cert: {tls} (self-signed, pinned)");
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::usage(
            "confirm the activation on a terminal, or pass --yes",
        ));
    }
    let _ = write!(
        err,
        "Check the key fingerprint with your administrator. Activate? [y/N] "
    );
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    if matches!(line.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(CliError::failure(
            "activation cancelled; nothing was changed",
        ))
    }
}

fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty() && h.len() <= 128 && !h.chars().any(char::is_control))
        .unwrap_or_else(|| "countersign CLI".to_owned())
}
