//! `countersign scan IMAGE... [--screen] [--add] [--json]`: read the QR codes in image files or
//! on the screen, say what each holds, and optionally add the accounts.

use std::path::PathBuf;

use countersign_core::account::Account;
use countersign_core::qr::{self, Content, Decoded, QrError, TransferCollector, TransferProgress};
use serde::Serialize;

use crate::{CliError, Ctx};

/// `countersign scan`
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Image files (PNG, JPEG, GIF, BMP, WebP); "-" reads one image from standard input.
    #[arg(value_name = "IMAGE", required_unless_present = "screen")]
    pub images: Vec<PathBuf>,
    /// Capture every monitor and scan it (in memory; nothing is written to disk).
    #[arg(long)]
    pub screen: bool,
    /// Add the accounts found to the vault: otpauth:// codes, and Google Authenticator exports
    /// once all their codes ("1 of 3", ...) are among the images.
    #[arg(long)]
    pub add: bool,
    /// Print JSON: every decoded text (secrets included) and what it is.
    #[arg(long)]
    pub json: bool,
}

/// One image (or the screen) and what was read from it.
struct Scanned {
    source: String,
    result: Result<Vec<Decoded>, QrError>,
}

/// Runs `countersign scan`.
pub fn run(ctx: &Ctx, args: &Args) -> Result<(), CliError> {
    let json = ctx.json || args.json;
    let mut scanned = Vec::new();
    for path in &args.images {
        let (source, bytes) = if path.as_os_str() == "-" {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)?;
            ("standard input".to_owned(), bytes)
        } else {
            let bytes = std::fs::read(path)
                .map_err(|err| CliError::input(format!("cannot read {}: {err}", path.display())))?;
            (path.display().to_string(), bytes)
        };
        scanned.push(Scanned {
            source,
            result: qr::decode_image_bytes(&bytes),
        });
    }
    if args.screen {
        scanned.push(Scanned {
            source: "screen".to_owned(),
            result: qr::scan_screens(),
        });
    }

    let added = if args.add {
        add_found(ctx, &scanned)?
    } else {
        Added::default()
    };

    if json {
        print_json(&scanned, &added)?;
    } else {
        print_text(&scanned, &added);
    }

    if let Some(failed) = scanned
        .iter()
        .find_map(|s| s.result.as_ref().err().map(|e| (s, e)))
    {
        let (source, err) = failed;
        return Err(match err {
            QrError::NoDisplay(_) | QrError::Capture(_) => {
                CliError::failure(format!("{}: {err}", source.source))
            }
            _ => CliError::input(format!("{}: {err}", source.source)),
        });
    }
    if !added.unfinished.is_empty() {
        return Err(CliError::input(format!(
            "not added: {} (scan the missing codes together with the others)",
            added.unfinished.join("; ")
        )));
    }
    let found_any = scanned
        .iter()
        .any(|s| s.result.as_ref().is_ok_and(|found| !found.is_empty()));
    if !found_any {
        return Err(CliError::not_found("no QR code found"));
    }
    Ok(())
}

/// What `--add` did.
#[derive(Default)]
struct Added {
    /// "Issuer (name)" and id of each account added.
    accounts: Vec<(String, String)>,
    /// Accounts already in the vault, skipped.
    duplicates: Vec<String>,
    /// Exports still missing codes (nothing of them was added).
    unfinished: Vec<String>,
}

fn add_found(ctx: &Ctx, scanned: &[Scanned]) -> Result<Added, CliError> {
    let now = super::now();
    let mut collector = TransferCollector::new();
    let mut candidates: Vec<Account> = Vec::new();
    for decoded in scanned
        .iter()
        .filter_map(|s| s.result.as_ref().ok())
        .flatten()
    {
        match &decoded.content {
            Content::Account(uri) => candidates.push(Account::from_key_uri(uri.clone(), now)),
            Content::Transfer(batch) => {
                if let TransferProgress::Complete(uris) = collector.add(batch.clone()) {
                    candidates.extend(uris.into_iter().map(|uri| Account::from_key_uri(uri, now)));
                }
            }
            _ => {}
        }
    }
    let mut added = Added {
        unfinished: collector.unfinished(),
        ..Added::default()
    };
    if candidates.is_empty() {
        return Ok(added);
    }
    let mut vault = ctx.open_vault()?;
    let mut fresh: Vec<Account> = Vec::new();
    for account in candidates {
        if vault
            .accounts()
            .iter()
            .chain(&fresh)
            .any(|a| a.is_duplicate_of(&account))
        {
            added.duplicates.push(account.label());
        } else {
            fresh.push(account);
        }
    }
    let labels: Vec<String> = fresh.iter().map(Account::label).collect();
    let ids = vault.add_accounts(fresh)?;
    added.accounts = labels
        .into_iter()
        .zip(ids.iter().map(ToString::to_string))
        .collect();
    Ok(added)
}

fn print_text(scanned: &[Scanned], added: &Added) {
    for scan in scanned {
        match &scan.result {
            Err(err) => eprintln!("{}: {err}", scan.source),
            Ok(found) if found.is_empty() => println!("{}: no QR code found", scan.source),
            Ok(found) => {
                let plural = if found.len() == 1 { "" } else { "s" };
                println!("{}: {} QR code{plural}", scan.source, found.len());
                for decoded in found {
                    println!("  - {}", decoded.content);
                }
            }
        }
    }
    for (label, id) in &added.accounts {
        println!("Added {label} ({id})");
    }
    for label in &added.duplicates {
        println!("Already in the vault, skipped: {label}");
    }
}

#[derive(Serialize)]
struct JsonSource<'a> {
    source: &'a str,
    error: Option<String>,
    codes: Vec<JsonCode<'a>>,
}

#[derive(Serialize)]
struct JsonCode<'a> {
    text: &'a str,
    kind: &'static str,
    usable: bool,
    description: String,
}

#[derive(Serialize)]
struct JsonAdded<'a> {
    id: &'a str,
    label: &'a str,
}

fn print_json(scanned: &[Scanned], added: &Added) -> Result<(), CliError> {
    let sources: Vec<JsonSource<'_>> = scanned
        .iter()
        .map(|scan| JsonSource {
            source: &scan.source,
            error: scan.result.as_ref().err().map(ToString::to_string),
            codes: scan
                .result
                .as_ref()
                .map(|found| {
                    found
                        .iter()
                        .map(|d| JsonCode {
                            text: d.text(),
                            kind: d.content.kind().as_str(),
                            usable: d.content.is_usable(),
                            description: d.content.to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    let added_json: Vec<JsonAdded<'_>> = added
        .accounts
        .iter()
        .map(|(label, id)| JsonAdded { id, label })
        .collect();
    let value = serde_json::json!({
        "sources": sources,
        "added": added_json,
        "duplicates": added.duplicates,
        "unfinished": added.unfinished,
    });
    let text =
        serde_json::to_string_pretty(&value).map_err(|e| CliError::failure(e.to_string()))?;
    println!("{text}");
    Ok(())
}
