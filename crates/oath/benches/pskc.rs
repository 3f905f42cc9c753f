//! Import of a 10,000-key PSKC file, against python-pskc reading the same file.
//!
//! Target: at least 20× faster than python-pskc (parse the file and get every key's secret,
//! counter and parameters). `cargo bench -p countersign-oath --bench pskc` writes the file
//! (plaintext, and AES-128-CBC + HMAC-SHA1 encrypted with python-pskc when it is installed),
//! times Countersign's reader (median of 15 runs), then python-pskc's (median of 3), and prints
//! both and the ratio. Without python3 + python-pskc it prints Countersign's figures only.

use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine as _;
use countersign_oath::pskc::{self, Credential};

const KEYS: usize = 10_000;
const KEY_HEX: &str = "12345678901234567890123456789012";

fn main() {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join("pskc-bench");
    std::fs::create_dir_all(&dir).expect("bench folder");
    let plain = dir.join("10000-plain.pskcxml");
    std::fs::write(&plain, plaintext_file()).expect("write bench file");
    let encrypted = dir.join("10000-aes128-cbc.pskcxml");
    let have_python = python_encrypt(&plain, &encrypted);

    println!("PSKC import, {KEYS} keys");
    report("plaintext", &plain, Credential::None, have_python);
    if have_python {
        let key = unhex(KEY_HEX);
        report(
            "AES-128-CBC + HMAC-SHA1",
            &encrypted,
            Credential::Key(&key),
            have_python,
        );
    } else {
        println!("  (python3 with python-pskc not found: no comparison, no encrypted file)");
    }
}

fn report(what: &str, path: &std::path::Path, credential: Credential<'_>, python: bool) {
    let xml = std::fs::read_to_string(path).expect("bench file");
    let mut times = Vec::new();
    for _ in 0..15 {
        let start = Instant::now();
        // Read from disk each time, as an import does.
        let xml = std::fs::read_to_string(path).expect("bench file");
        let container = pskc::parse(&xml, credential).expect("parse");
        assert_eq!(container.keys.len(), KEYS);
        assert!(container.keys.iter().all(|k| k.secret.is_some()));
        times.push(start.elapsed());
    }
    drop(xml);
    times.sort();
    let ours = times[times.len() / 2];
    print!("  {what}: countersign {:.1} ms", ms(ours));
    if python {
        if let Some(theirs) = python_time(path, credential) {
            print!(
                ", python-pskc {:.1} ms: {:.0}x faster",
                ms(theirs),
                theirs.as_secs_f64() / ours.as_secs_f64()
            );
        }
    }
    println!();
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn plaintext_file() -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<KeyContainer Version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:keyprov:pskc\">\n",
    );
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..KEYS {
        let secret: Vec<u8> = (0..20)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let (alg, data) = if i % 2 == 0 {
            (
                "hotp",
                format!("<Counter><PlainValue>{}</PlainValue></Counter>", i * 7),
            )
        } else {
            (
                "totp",
                "<TimeInterval><PlainValue>30</PlainValue></TimeInterval>".to_owned(),
            )
        };
        let _ = write!(
            out,
            "  <KeyPackage>\n    <DeviceInfo><Manufacturer>Acme</Manufacturer><SerialNo>SN{i:08}</SerialNo></DeviceInfo>\n    <Key Id=\"K{i:08}\" Algorithm=\"urn:ietf:params:xml:ns:keyprov:pskc:{alg}\">\n      <Issuer>Acme Tokens</Issuer>\n      <AlgorithmParameters><ResponseFormat Length=\"6\" Encoding=\"DECIMAL\"/></AlgorithmParameters>\n      <Data><Secret><PlainValue>{}</PlainValue></Secret>{data}</Data>\n    </Key>\n  </KeyPackage>\n",
            b64.encode(&secret)
        );
    }
    out.push_str("</KeyContainer>\n");
    out
}

/// Encrypts the plaintext file's secrets with python-pskc (AES-128-CBC, HMAC-SHA1 MACs).
fn python_encrypt(plain: &std::path::Path, out: &std::path::Path) -> bool {
    let script = format!(
        "import pskc,sys\np=pskc.PSKC(sys.argv[1])\np.encryption.setup_preshared_key(key=bytes.fromhex('{KEY_HEX}'),algorithm='aes128-cbc')\np.mac.setup(algorithm='hmac-sha1')\np.write(sys.argv[2])\n"
    );
    Command::new("python3")
        .args(["-W", "ignore", "-c", &script])
        .arg(plain)
        .arg(out)
        .status()
        .is_ok_and(|s| s.success())
}

/// Median of 3 python-pskc reads of the file (every key's secret and counter/interval).
fn python_time(path: &std::path::Path, credential: Credential<'_>) -> Option<Duration> {
    let key = match credential {
        Credential::Key(_) => format!("p.encryption.key=bytes.fromhex('{KEY_HEX}')"),
        _ => String::new(),
    };
    let script = format!(
        "import pskc,sys,time\nts=[]\nfor _ in range(3):\n  t=time.perf_counter()\n  p=pskc.PSKC(sys.argv[1])\n  {key}\n  n=sum(1 for k in p.keys if k.secret and (k.counter is not None or k.time_interval))\n  ts.append(time.perf_counter()-t)\n  assert n=={KEYS}, n\nprint(sorted(ts)[1])\n"
    );
    let out = Command::new("python3")
        .args(["-W", "ignore", "-c", &script])
        .arg(path)
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!(
            "python-pskc failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    let secs: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
    Some(Duration::from_secs_f64(secs))
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}
