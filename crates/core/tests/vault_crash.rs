//! Crash safety: a child process saves the vault in a loop and is killed with SIGKILL at a
//! varying moment, hundreds of times. After every kill the vault opens, whole, with the
//! contents of one of its saves (never a mix, never a damaged file), and the generation never
//! goes backwards.
//!
//! This file is its own test harness (`harness = false`): run with `--child PATH MODE` it is
//! the child that saves; otherwise it is the parent that kills.

#[path = "vault_support/mod.rs"]
mod vault_support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use countersign_core::vault::file::previous_path;
use countersign_core::{keystore, CreateOptions, Unlock, Vault};
use vault_support::*;

/// Kills with the password-only vault (cheap Argon2id).
const PASSWORD_RUNS: u32 = 220;
/// Kills with the keystore vault (each child asks the Secret Service for the key).
const KEYSTORE_RUNS: u32 = 30;
/// The child keeps between this many accounts and one fewer.
const WINDOW: usize = 60;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(Path::new(&args[i + 1]), &args[i + 2]);
        return;
    }
    // `cargo test -- --list` and name filters: this harness has two tests.
    if args.iter().any(|a| a == "--list") {
        println!("password_vault_survives_sigkill_during_saves: test");
        println!("keystore_vault_survives_sigkill_during_saves: test");
        return;
    }
    let filter = args.iter().skip(1).find(|a| !a.starts_with('-')).cloned();
    let wanted = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    if wanted("password_vault_survives_sigkill_during_saves") {
        run("password", PASSWORD_RUNS);
        println!("test password_vault_survives_sigkill_during_saves ... ok");
    }
    if wanted("keystore_vault_survives_sigkill_during_saves") {
        if let Err(e) = keystore::check_available() {
            panic!("the keystore run needs a Secret Service (scripts/with-keyring.sh): {e}");
        }
        run("keystore", KEYSTORE_RUNS);
        println!("test keystore_vault_survives_sigkill_during_saves ... ok");
    }
}

fn unlock(mode: &str) -> Unlock {
    match mode {
        "keystore" => Unlock::keystore(),
        _ => Unlock::password_only(password()),
    }
}

/// Opens the vault and saves forever: adds the next account, or drops the oldest once there
/// are `WINDOW`, so the names are always a run `n{lo}..=n{hi}`.
fn child(path: &Path, mode: &str) {
    let mut vault = Vault::open(path, &unlock(mode)).expect("child: open");
    println!("ready");
    loop {
        if vault.accounts().len() >= WINDOW {
            let oldest = vault.accounts()[0].id;
            vault.remove_account(oldest).expect("child: remove");
        } else {
            let next = vault.accounts().last().map_or(0, |a| number(&a.name) + 1);
            vault
                .add_account(totp("Crash", &format!("n{next}"), next))
                .expect("child: add");
        }
    }
}

fn number(name: &str) -> u32 {
    name.trim_start_matches('n')
        .parse()
        .expect("account names are n<number>")
}

/// Checks that a vault's contents are exactly what one save of the child writes.
fn check_whole(vault: &Vault, what: &str) {
    let numbers: Vec<u32> = vault.accounts().iter().map(|a| number(&a.name)).collect();
    for pair in numbers.windows(2) {
        assert_eq!(pair[1], pair[0] + 1, "{what}: names not a run: {numbers:?}");
    }
    assert!(
        numbers.len() <= WINDOW,
        "{what}: {} accounts",
        numbers.len()
    );
    for account in vault.accounts() {
        let n = number(&account.name);
        assert_eq!(
            account.otp.secret.as_bytes(),
            secret(n).as_bytes(),
            "{what}: account {n} has another account's secret"
        );
    }
}

fn run(mode: &str, runs: u32) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.csv1");
    let options = match mode {
        "keystore" => CreateOptions::default(),
        _ => password_only(),
    };
    drop(Vault::create(&path, options).unwrap());
    let exe = std::env::current_exe().unwrap();
    let mut last_generation = 1;
    let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut saves_seen = 0;
    let mut runs_without_save = 0;

    for run in 0..runs {
        let mut child = Command::new(&exe)
            .args(["--child", path.to_str().unwrap(), mode])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "run {run}: child did not start");
        // Kill after 0..80 ms (in 100 µs steps): a save takes several ms (three fsyncs), so the
        // kill lands at a different point of a save each time.
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        // Every tenth run kills at once, so some kills surely land inside a child's first save.
        let delay = if run % 10 == 0 { 0 } else { (rng % 800) * 100 };
        std::thread::sleep(Duration::from_micros(delay));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();

        let vault = Vault::open(&path, &unlock(mode))
            .unwrap_or_else(|e| panic!("run {run}: the vault does not open after SIGKILL: {e}"));
        check_whole(&vault, &format!("run {run}"));
        let generation = vault.info().generation;
        assert!(
            generation >= last_generation,
            "run {run}: generation went back"
        );
        saves_seen += generation - last_generation;
        if generation == last_generation {
            runs_without_save += 1;
        }
        last_generation = generation;
        if previous_path(&path).exists() {
            let prev = Vault::open_previous(&path, &unlock(mode))
                .unwrap_or_else(|e| panic!("run {run}: .prev does not open: {e}"));
            check_whole(&prev, &format!("run {run} .prev"));
            // Equal when the kill came between keeping the old file and the final rename.
            assert!(prev.info().generation <= generation);
        }
    }
    // Both kinds of kill happened: before a first save finished, and after some saves.
    assert!(
        saves_seen >= u64::from(runs) / 2 && runs_without_save > 0,
        "{saves_seen} saves, {runs_without_save} runs without a save: kill timing too one-sided"
    );
    println!(
        "{mode}: {runs} kills, {saves_seen} saves completed, {runs_without_save} kills before the \
         first save of a child finished"
    );
}
