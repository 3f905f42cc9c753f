//! `countersign export --format google-qr --out DIR` writes `DIR/transfer-1.png`, ...: the
//! real binary over a password-only vault, the PNGs decoded back (by the core's decoder and,
//! where installed, by zbar's `zbarimg`) and joined into the accounts that were exported.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use countersign_core::qr::{self, Content, TransferCollector, TransferProgress};
use countersign_oath::KeyUri;

const PASSWORD: &str = "correct horse battery staple";

fn run(vault: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_countersign"))
        .arg("--vault")
        .arg(vault)
        .args(args)
        .env_remove("COUNTERSIGN_VAULT")
        .env("COUNTERSIGN_PASSWORD", PASSWORD)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the countersign binary starts");
    drop(child.stdin.take());
    child.wait_with_output().expect("countersign finishes")
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

/// A password-only vault holding `count` TOTP accounts; returns it and their URIs.
fn vault_with_accounts(dir: &Path, count: usize) -> (PathBuf, Vec<KeyUri>) {
    let vault = dir.join("vault.csv1");
    assert_success(
        &run(&vault, &["vault", "init", "--no-keystore"]),
        "vault init",
    );
    // Distinct secrets (base32 of "key-NN-...") and names.
    let uris: Vec<String> = (0..count)
        .map(|i| {
            let secret = base32(format!("key-{i:02}-countersign-test").as_bytes());
            format!(
                "otpauth://totp/Service{i}:user{i}%40example.com?secret={secret}&issuer=Service{i}{}",
                if i % 3 == 0 { "&digits=8" } else { "" }
            )
        })
        .collect();
    let list = dir.join("accounts.txt");
    std::fs::write(&list, uris.join("\n")).unwrap();
    assert_success(
        &run(
            &vault,
            &["import", list.to_str().unwrap(), "--format", "otpauth"],
        ),
        "import",
    );
    let parsed = uris.iter().map(|u| KeyUri::parse(u).unwrap()).collect();
    (vault, parsed)
}

fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// The accounts in the transfer PNGs, decoded with `decode` and joined in export order.
fn join_transfer_codes(texts: Vec<String>) -> Vec<KeyUri> {
    let mut collector = TransferCollector::new();
    let mut accounts = None;
    for text in texts {
        let Content::Transfer(batch) = Content::classify(&text) else {
            panic!("not a transfer code: {}", &text[..text.len().min(30)]);
        };
        if let TransferProgress::Complete(done) = collector.add(batch) {
            accounts = Some(done);
        }
    }
    assert!(collector.is_empty(), "{:?}", collector.unfinished());
    accounts.expect("the codes make a complete export")
}

fn same_accounts(found: &[KeyUri], expected: &[KeyUri]) {
    assert_eq!(found.len(), expected.len());
    for (f, e) in found.iter().zip(expected) {
        assert_eq!(f.issuer, e.issuer);
        assert_eq!(f.account, e.account);
        assert_eq!(f.otp.secret.to_base32(), e.otp.secret.to_base32());
        assert_eq!(f.otp.digits, e.otp.digits);
    }
}

#[test]
fn google_qr_to_a_folder_writes_numbered_pngs_that_decode_to_the_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, expected) = vault_with_accounts(dir.path(), 12);
    let out_dir = dir.path().join("transfer");
    let out = run(
        &vault,
        &[
            "export",
            "--format",
            "google-qr",
            "--out",
            out_dir.to_str().unwrap(),
        ],
    );
    assert_success(&out, "export --format google-qr --out DIR");
    assert!(String::from_utf8_lossy(&out.stderr).contains("plaintext"));

    // 12 accounts at 10 per code: two codes, named as issue 4 asks.
    let mut names: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["transfer-1.png", "transfer-2.png"]);

    let texts: Vec<String> = names
        .iter()
        .map(|name| {
            let bytes = std::fs::read(out_dir.join(name)).unwrap();
            let decoded = qr::decode_image_bytes(&bytes).unwrap();
            assert_eq!(decoded.len(), 1, "{name} holds one code");
            decoded[0].text().to_owned()
        })
        .collect();
    same_accounts(&join_transfer_codes(texts), &expected);

    // An independent decoder reads the same texts (zbar, when installed).
    if let Ok(zbar) = Command::new("zbarimg")
        .args(["--quiet", "--raw", "-Sbinary"])
        .arg(out_dir.join("transfer-1.png"))
        .arg(out_dir.join("transfer-2.png"))
        .output()
    {
        if zbar.status.success() {
            let text = String::from_utf8_lossy(&zbar.stdout);
            let texts: Vec<String> = text
                .split("otpauth-migration://")
                .filter(|t| !t.trim().is_empty())
                .map(|t| format!("otpauth-migration://{}", t.trim()))
                .collect();
            assert_eq!(texts.len(), 2, "zbarimg read both codes");
            same_accounts(&join_transfer_codes(texts), &expected);
        }
    }

    // Running it again refuses to overwrite the codes.
    let again = run(
        &vault,
        &[
            "export",
            "--format",
            "google-qr",
            "--out",
            out_dir.to_str().unwrap(),
        ],
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

#[test]
fn google_qr_to_a_png_path_keeps_the_single_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, expected) = vault_with_accounts(dir.path(), 3);
    let file = dir.path().join("move-to-phone.png");
    let out = run(
        &vault,
        &[
            "export",
            "--format",
            "google-qr",
            "--out",
            file.to_str().unwrap(),
        ],
    );
    assert_success(&out, "export --format google-qr --out FILE.png");
    let decoded = qr::decode_image_bytes(&std::fs::read(&file).unwrap()).unwrap();
    let texts = decoded.iter().map(|d| d.text().to_owned()).collect();
    same_accounts(&join_transfer_codes(texts), &expected);
}
