//! Makes a keystore vault with N generated TOTP accounts, for the app's start-up and
//! list benchmarks (`tests/e2e/bench.mjs`). One save for all accounts.
//!
//!     cargo run --example bench-vault -- PATH N
//!
//! Needs a Secret Service (run inside `scripts/with-keyring.sh`), like the app itself.

use countersign_core::{Account, CreateOptions, Vault};
use countersign_oath::KeyUri;

const ISSUERS: [&str; 12] = [
    "GitHub",
    "Google",
    "Proton Mail",
    "Amazon Web Services",
    "Mastodon",
    "Nextcloud",
    "GitLab",
    "Cloudflare",
    "Dropbox",
    "Fastmail",
    "Bitwarden",
    "Discord",
];
const GROUPS: [&str; 3] = ["Work", "Personal", "Servers"];

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(count)) = (args.next(), args.next()) else {
        eprintln!("usage: bench-vault PATH N");
        std::process::exit(2);
    };
    let count: usize = count.parse().unwrap_or_else(|_| {
        eprintln!("bench-vault: N must be a number");
        std::process::exit(2);
    });
    if let Err(e) = make(&path, count) {
        eprintln!("bench-vault: {e}");
        std::process::exit(1);
    }
}

fn make(path: &str, count: usize) -> Result<(), Box<dyn std::error::Error>> {
    let mut vault = Vault::create(path, CreateOptions::default())?;
    let accounts = (0..count)
        .map(|i| {
            let issuer = ISSUERS[i % ISSUERS.len()];
            // A distinct 160-bit secret per account, derived from its number.
            let secret: String = (0..32)
                .map(|k| {
                    char::from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[(i * 7 + k * 13 + i / 32) % 32])
                })
                .collect();
            let uri = format!(
                "otpauth://totp/{}:user{i}%40example.com?secret={secret}&issuer={}",
                issuer.replace(' ', "%20"),
                issuer.replace(' ', "%20")
            );
            let mut account = Account::from_key_uri(KeyUri::parse(&uri)?, 0);
            account.group = (i % 4 != 3).then(|| GROUPS[i % GROUPS.len()].to_owned());
            account.favourite = i % 50 == 0;
            Ok(account)
        })
        .collect::<Result<Vec<_>, countersign_oath::UriError>>()?;
    vault.add_accounts(accounts)?;
    println!("{path}: {count} accounts");
    Ok(())
}
