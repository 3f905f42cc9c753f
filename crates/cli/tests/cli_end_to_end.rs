//! The `countersign` binary end to end: real processes, real vault files, and (where the test
//! runner provides one, as `make test` does) a real Secret Service.
//!
//! Vectors come from the data files the `oath` crate checks in (RFC 4226 Appendix D, RFC 6238
//! Appendix B).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const PASSWORD: &str = "correct horse battery staple";

/// Runs `countersign` against `vault` with the given environment and standard input.
fn run(vault: &Path, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_countersign"));
    cmd.arg("--vault").arg(vault).args(args);
    cmd.env_remove("COUNTERSIGN_PASSWORD")
        .env_remove("COUNTERSIGN_VAULT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the countersign binary starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes())
        .expect("stdin accepts input");
    child.wait_with_output().expect("countersign finishes")
}

/// A password-only vault (works without a keystore) in a fresh folder.
struct PasswordVault {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl PasswordVault {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("vault.csv1");
        let v = PasswordVault { _dir: dir, path };
        let out = v.run(&["vault", "init", "--no-keystore"], "");
        assert_success(&out, "vault init --no-keystore");
        v
    }

    fn run(&self, args: &[&str], stdin: &str) -> Output {
        run(
            &self.path,
            args,
            &[("COUNTERSIGN_PASSWORD", PASSWORD)],
            stdin,
        )
    }
}

fn assert_success(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed with {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn oath_data(name: &str) -> Vec<Vec<String>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../oath/tests/data")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

/// The RFC 6238 Appendix A seeds, as base32 (their ASCII bytes).
fn rfc6238_seed(mode: &str) -> String {
    let ascii: Vec<u8> = match mode {
        "SHA1" => b"12345678901234567890".to_vec(),
        "SHA256" => b"12345678901234567890123456789012".to_vec(),
        "SHA512" => b"1234567890123456789012345678901234567890123456789012345678901234".to_vec(),
        other => panic!("unknown mode {other}"),
    };
    countersign_oath::Secret::from_bytes(ascii).to_base32()
}

#[test]
fn code_at_a_time_equals_the_rfc_6238_value_for_every_vector() {
    let vault = PasswordVault::new();
    for mode in ["SHA1", "SHA256", "SHA512"] {
        let uri = format!(
            "otpauth://totp/RFC6238:{mode}?secret={}&algorithm={mode}&digits=8&period=30&issuer=RFC6238",
            rfc6238_seed(mode)
        );
        assert_success(&vault.run(&["add", "--uri", &uri], ""), "add");
    }
    let vectors = oath_data("rfc6238_totp.tsv");
    assert!(vectors.len() >= 18, "all six times for three algorithms");
    for row in vectors {
        let (time, mode, expected) = (&row[0], &row[1], &row[2]);
        let out = vault.run(&["code", &format!("RFC6238:{mode}"), "--at", time], "");
        assert_success(&out, "code --at");
        assert_eq!(stdout(&out), *expected, "T={time} {mode}");
    }
}

#[test]
fn hotp_code_follows_rfc_4226_and_advances_the_stored_counter() {
    let vault = PasswordVault::new();
    let secret = countersign_oath::Secret::from_bytes(b"12345678901234567890".to_vec()).to_base32();
    let out = vault.run(
        &[
            "add",
            "--issuer",
            "RFC4226",
            "--account",
            "hotp",
            "--secret",
            "-",
            "--type",
            "hotp",
        ],
        &format!("{secret}\n"),
    );
    assert_success(&out, "add hotp from fields");
    for row in oath_data("rfc4226_hotp.tsv") {
        let out = vault.run(&["code", "RFC4226"], "");
        assert_success(&out, "code (hotp)");
        assert_eq!(stdout(&out), row[1], "counter {}", row[0]);
    }
    let list = vault.run(&["list", "--json"], "");
    assert_success(&list, "list --json");
    let json: serde_json::Value =
        serde_json::from_slice(&list.stdout).expect("list --json is JSON");
    assert_eq!(
        json[0]["counter"], 10,
        "ten codes used, the next counter is 10"
    );
    assert!(
        !String::from_utf8_lossy(&list.stdout).contains(&secret),
        "list never prints the secret"
    );
}

#[test]
fn remove_refuses_without_confirmation_then_removes_with_yes() {
    let vault = PasswordVault::new();
    let uri = "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example";
    assert_success(&vault.run(&["add", "--uri", uri], ""), "add");

    let refused = vault.run(&["remove", "Example"], "");
    assert_eq!(
        refused.status.code(),
        Some(2),
        "no terminal, no --yes: refused"
    );
    assert!(
        stderr(&refused).contains("--yes"),
        "says how: {}",
        stderr(&refused)
    );
    assert_success(&vault.run(&["code", "Example"], ""), "still there");

    assert_success(
        &vault.run(&["remove", "Example", "--yes"], ""),
        "remove --yes",
    );
    let gone = vault.run(&["code", "Example"], "");
    assert_eq!(gone.status.code(), Some(3), "no account matches: exit 3");
}

#[test]
fn a_malformed_uri_is_refused_by_name_and_the_vault_file_is_unchanged() {
    let vault = PasswordVault::new();
    let before = std::fs::read(&vault.path).expect("vault exists");
    let out = vault.run(
        &[
            "add",
            "--uri",
            "otpauth://totp/Example:alice?secret=not*base32",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(6), "malformed input: exit 6");
    assert!(
        stderr(&out).to_lowercase().contains("secret"),
        "names the part: {}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read(&vault.path).expect("vault exists"),
        before,
        "file untouched"
    );
}

#[test]
fn a_wrong_password_keeps_the_vault_locked() {
    let vault = PasswordVault::new();
    let out = run(
        &vault.path,
        &["list"],
        &[("COUNTERSIGN_PASSWORD", "not the password")],
        "",
    );
    assert_eq!(out.status.code(), Some(4), "locked: exit 4");
    assert!(stderr(&out).contains("wrong password"), "{}", stderr(&out));
    let out = run(
        &vault.path,
        &["--password-stdin", "list"],
        &[],
        &format!("{PASSWORD}\n"),
    );
    assert_success(&out, "the right password from stdin opens it");
}

#[test]
fn show_hides_the_secret_unless_revealed() {
    let vault = PasswordVault::new();
    let uri = "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example";
    assert_success(&vault.run(&["add", "--uri", uri], ""), "add");
    let hidden = vault.run(&["show", "alice"], "");
    assert_success(&hidden, "show");
    assert!(
        !stdout(&hidden).contains("JBSWY3DPEHPK3PXP"),
        "{}",
        stdout(&hidden)
    );
    assert!(stdout(&hidden).starts_with("otpauth://totp/"));
    let shown = vault.run(&["show", "alice", "--reveal"], "");
    assert_success(&shown, "show --reveal");
    let parsed =
        countersign_oath::KeyUri::parse(&stdout(&shown)).expect("show --reveal prints a valid URI");
    assert_eq!(parsed.otp.secret.to_base32(), "JBSWY3DPEHPK3PXP");
    assert_eq!(parsed.issuer.as_deref(), Some("Example"));
}

#[test]
fn rename_changes_issuer_and_account_and_keeps_the_codes() {
    let vault = PasswordVault::new();
    let uri = "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example";
    assert_success(&vault.run(&["add", "--uri", uri], ""), "add");
    let before = stdout(&vault.run(&["code", "alice", "--at", "1000000000"], ""));
    assert_success(
        &vault.run(
            &["rename", "alice", "--issuer", "Renamed", "--account", "bob"],
            "",
        ),
        "rename",
    );
    let list = vault.run(&["list", "--json"], "");
    let json: serde_json::Value = serde_json::from_slice(&list.stdout).expect("JSON");
    assert_eq!(json[0]["issuer"], "Renamed");
    assert_eq!(json[0]["account"], "bob");
    assert_eq!(
        stdout(&vault.run(&["code", "bob", "--at", "1000000000"], "")),
        before
    );
}

#[test]
fn an_ambiguous_query_lists_the_candidates() {
    let vault = PasswordVault::new();
    for name in ["alice", "alex"] {
        let uri = format!("otpauth://totp/Example:{name}?secret=JBSWY3DPEHPK3PXP&issuer=Example");
        assert_success(&vault.run(&["add", "--uri", &uri], ""), "add");
    }
    let out = vault.run(&["show", "al"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("alice") && stderr(&out).contains("alex"),
        "{}",
        stderr(&out)
    );
    // `code` with several matches lists their codes instead.
    let out = vault.run(&["code", "al", "--at", "59", "--json"], "");
    assert_success(&out, "code with several matches");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json.as_array().map(Vec::len), Some(2));
}

/// The keystore tests need a Secret Service; `make test` runs this suite inside
/// `scripts/with-keyring.sh`, which provides a real one and sets COUNTERSIGN_KEYRING_READY.
fn keyring_ready() -> bool {
    if std::env::var_os("COUNTERSIGN_KEYRING_READY").is_some() {
        return true;
    }
    eprintln!("SKIPPED: no Secret Service (run inside scripts/with-keyring.sh)");
    false
}

#[test]
fn a_keystore_vault_opens_without_a_password_and_gains_a_password_slot() {
    if !keyring_ready() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("vault.csv1");
    assert_success(
        &run(&path, &["vault", "init"], &[], ""),
        "vault init (keystore)",
    );
    let uri = "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example";
    assert_success(
        &run(&path, &["add", "--uri", uri], &[], ""),
        "add without a password",
    );

    let status = run(&path, &["vault", "status", "--json"], &[], "");
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).expect("JSON");
    assert_eq!(json["keystore_slot"], true);
    assert_eq!(json["password_slot"], false);

    let out = run(
        &path,
        &["vault", "passwd", "--new-password-stdin"],
        &[],
        &format!("{PASSWORD}\n"),
    );
    assert_success(&out, "vault passwd");
    let status = run(&path, &["vault", "status", "--json"], &[], "");
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).expect("JSON");
    assert_eq!(json["password_slot"], true);
    assert_eq!(
        json["previous_exists"], true,
        "saves keep the previous generation"
    );

    let code = run(&path, &["code", "alice", "--at", "59"], &[], "");
    assert_success(&code, "code through the keystore");
    assert_eq!(stdout(&code).len(), 6);
}

#[test]
fn backups_keep_the_newest_open_with_their_password_and_restore_without_duplicates() {
    let v = PasswordVault::new();
    for uri in [
        "otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitHub",
        "otpauth://hotp/VPN:bob?secret=MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U&issuer=VPN&counter=7",
    ] {
        assert_success(&v.run(&["add", "--uri", uri], ""), "add");
    }
    let folder = v.path.with_file_name("backups");
    let dir = folder.to_str().expect("utf-8 temp path");
    let backup_now = |extra: &[&str]| {
        let mut args = vec!["backup", "now", "--dir", dir, "--keep", "2"];
        args.extend_from_slice(extra);
        args.push("--backup-password-stdin");
        v.run(&args, "backup pw\n")
    };
    let mut written = Vec::new();
    for _ in 0..3 {
        let out = backup_now(&[]);
        assert_success(&out, "backup now");
        written.push(PathBuf::from(stdout(&out)));
    }
    let out = v.run(&["backup", "list", "--dir", dir, "--json"], "");
    assert_success(&out, "backup list");
    let listing: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON listing");
    let kept: Vec<PathBuf> = listing["backups"]
        .as_array()
        .expect("backups array")
        .iter()
        .map(|p| PathBuf::from(p.as_str().expect("path")))
        .collect();
    assert_eq!(
        kept,
        written[1..].to_vec(),
        "the two newest are kept, oldest first"
    );
    assert_eq!(listing["changed_since_last"], false);

    // Unchanged accounts: --if-changed writes nothing.
    let out = backup_now(&["--if-changed"]);
    assert_success(&out, "backup now --if-changed");
    assert!(stdout(&out).is_empty(), "nothing written: {}", stdout(&out));
    assert_eq!(
        std::fs::read_dir(&folder).unwrap().count(),
        3,
        "2 backups + state"
    );

    // A backup is a vault that opens with the backup password alone.
    let newest = written.last().expect("a backup");
    let out = run(
        newest,
        &["list"],
        &[("COUNTERSIGN_PASSWORD", "backup pw")],
        "",
    );
    assert_success(&out, "list the backup");
    assert!(stdout(&out).contains("GitHub") && stdout(&out).contains("VPN"));

    // Restore into a fresh vault; restoring twice adds nothing the second time.
    let other = PasswordVault::new();
    let newest = newest.to_str().expect("utf-8 path");
    let out = other.run(
        &["backup", "restore", newest, "--backup-password-stdin"],
        "wrong\n",
    );
    assert_eq!(
        out.status.code(),
        Some(4),
        "wrong backup password: {}",
        stderr(&out)
    );
    assert!(
        stdout(&other.run(&["list"], "")).is_empty(),
        "nothing restored"
    );
    for expected in ["Restored 2 account(s)", "Restored 0 account(s)"] {
        let out = other.run(
            &["backup", "restore", newest, "--backup-password-stdin"],
            "backup pw\n",
        );
        assert_success(&out, "backup restore");
        assert!(stderr(&out).contains(expected), "{}", stderr(&out));
    }
    let restored = stdout(&other.run(&["code", "VPN"], ""));
    let original = stdout(&v.run(&["code", "VPN"], ""));
    assert_eq!(
        restored, original,
        "the HOTP counter came back with the account"
    );

    // After a change, the listing asks for a new backup.
    assert_success(&v.run(&["remove", "GitHub", "--yes"], ""), "remove");
    let out = v.run(&["backup", "list", "--dir", dir, "--json"], "");
    let listing: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON listing");
    assert_eq!(listing["changed_since_last"], true);
}
