//! `countersign export --format otpauth|aegis|countersign|google-qr [--out PATH]
//! [--password-stdin]`.

use std::io::Write;
use std::path::{Path, PathBuf};

use countersign_core::export::{self, ExportFormat};
use countersign_core::Password;

use crate::{CliError, Ctx};

/// `countersign export`
#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to write: `otpauth` (plaintext URIs, one per line), `aegis` (encrypted Aegis
    /// vault), `countersign` (a vault with a password slot), `google-qr` (Google
    /// Authenticator transfer QR codes, PNG).
    #[arg(long, value_name = "otpauth|aegis|countersign|google-qr")]
    pub format: String,
    /// Where to write (standard output when omitted, for `otpauth` and `aegis`). For
    /// `google-qr`: a folder, which gets `transfer-1.png`, `transfer-2.png`, ...; or a path
    /// ending in `.png` (with several codes, `-1`, `-2`, ... is added before the extension).
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Read the export password (`aegis`, `countersign`) from the next line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

/// Runs the export.
pub fn run(ctx: &Ctx, args: &Args) -> Result<(), CliError> {
    let format: ExportFormat = args.format.parse()?;
    let vault = ctx.open_vault()?;
    let accounts = vault.accounts();
    match format {
        ExportFormat::Otpauth => {
            eprintln!(
                "Warning: this export is PLAINTEXT: anyone who reads it can generate all {} account(s)' codes. Keep it safe and delete it after use.",
                accounts.len()
            );
            write_out(args.out.as_deref(), export::otpauth(accounts).as_bytes())
        }
        ExportFormat::Aegis => {
            let password = export_password(ctx, args)?;
            let json = export::aegis(accounts, &password)?;
            write_out(args.out.as_deref(), json.as_bytes())?;
            eprintln!(
                "Wrote an encrypted Aegis vault with {} account(s).",
                accounts.len()
            );
            Ok(())
        }
        ExportFormat::Countersign => {
            let out = args
                .out
                .as_deref()
                .ok_or_else(|| CliError::usage("--format countersign needs --out PATH"))?;
            let password = export_password(ctx, args)?;
            export::countersign(&vault, out, password)?;
            eprintln!(
                "Wrote {} with {} account(s); it opens with the password you gave.",
                out.display(),
                accounts.len()
            );
            Ok(())
        }
        ExportFormat::GoogleQr => {
            let out = args.out.as_deref().ok_or_else(|| {
                CliError::usage("--format google-qr needs --out DIR (or --out FILE.png)")
            })?;
            let pngs = export::google_qr(accounts)?;
            eprintln!("Warning: these QR codes hold the secrets in plaintext.");
            let paths = google_qr_paths(out, pngs.len());
            if let Some(folder) = paths.first().and_then(|p| p.parent()) {
                if !folder.as_os_str().is_empty() {
                    create_private_dir(folder)?;
                }
            }
            if let Some(existing) = paths.iter().find(|p| p.exists()) {
                return Err(CliError::failure(format!(
                    "{} already exists (an existing file is never overwritten)",
                    existing.display()
                )));
            }
            for (path, png) in paths.iter().zip(&pngs) {
                write_file(path, png)?;
                eprintln!("Wrote {}", path.display());
            }
            Ok(())
        }
        _ => Err(CliError::usage("unsupported export format")),
    }
}

fn export_password(ctx: &Ctx, args: &Args) -> Result<Password, CliError> {
    super::backup::new_password(ctx, args.password_stdin, "export", "--password-stdin")
}

/// Where the `count` transfer codes go: `DIR/transfer-N.png` for a folder, or the `.png` path
/// given (numbered when there are several codes).
fn google_qr_paths(out: &Path, count: usize) -> Vec<PathBuf> {
    let is_png = out
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("png"));
    (1..=count)
        .map(|n| {
            if !is_png {
                out.join(format!("transfer-{n}.png"))
            } else if count == 1 {
                out.to_owned()
            } else {
                numbered(out, n)
            }
        })
        .collect()
}

/// Makes the folder (and its parents) if missing; a new one is readable by its owner only.
fn create_private_dir(folder: &Path) -> Result<(), CliError> {
    if folder.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(folder)
        .map_err(|e| CliError::failure(format!("cannot create {}: {e}", folder.display())))
}

fn numbered(path: &Path, n: usize) -> PathBuf {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("export");
    let name = match path.extension().and_then(|e| e.to_str()) {
        Some(ext) => format!("{stem}-{n}.{ext}"),
        None => format!("{stem}-{n}"),
    };
    path.with_file_name(name)
}

fn write_out(out: Option<&Path>, bytes: &[u8]) -> Result<(), CliError> {
    match out {
        Some(path) => write_file(path, bytes),
        None => {
            std::io::stdout().write_all(bytes)?;
            Ok(())
        }
    }
}

/// Writes a new file readable by its owner only; never overwrites.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| {
        CliError::failure(format!(
            "cannot write {}: {e} (an existing file is never overwritten)",
            path.display()
        ))
    })?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}
