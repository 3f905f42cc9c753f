//! `countersign activate` and `countersign push ...` against the real `countersign-server` on
//! loopback, run as the real binary.

#[path = "../../core/tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;
use support::{Server, ServerOptions};

struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn new() -> Cli {
        let dir = tempfile::tempdir().unwrap();
        drop(support::vault(&dir));
        Cli { dir }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_countersign"));
        c.args(args)
            .env("COUNTERSIGN_VAULT", self.dir.path().join("vault.csv1"))
            .env("COUNTERSIGN_PASSWORD", "pw")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activate_listen_list_and_answer_from_the_command_line() {
    let server = Server::start(ServerOptions::default());
    server.add_user("alice").await;
    let uri = server.activation_uri("alice").await;
    let cli = Cli::new();

    // Without a terminal, activation needs --yes.
    let refused = cli.run(&["activate", &uri]);
    assert_eq!(
        refused.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let activated = cli.json(&[
        "activate",
        &uri,
        "--yes",
        "--device-name",
        "cli test",
        "--json",
    ]);
    assert_eq!(activated["user"], "alice");
    let device = activated["device_id"].as_str().unwrap().to_owned();

    let status = cli.json(&["push", "status", "--json"]);
    assert_eq!(status[0]["state"], "connected", "{status}");
    assert_eq!(status[0]["device_id"], device.as_str());

    let mut listen = cli
        .command(&["push", "listen", "--json", "--count", "1"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(listen.stdout.take().unwrap()).lines();
    let connected = lines
        .by_ref()
        .map(|l| serde_json::from_str::<Value>(&l.unwrap()).unwrap())
        .find(|e| e["type"] == "state" && e["state"]["state"] == "connected");
    assert!(connected.is_some(), "push listen never connected");
    let (id, number) = server.push("alice", "Intranet").await;
    let challenge = lines
        .map(|l| serde_json::from_str::<Value>(&l.unwrap()).unwrap())
        .find(|e| e["type"] == "challenge")
        .expect("push listen printed the challenge");
    assert_eq!(challenge["id"], id.as_str());
    assert_eq!(challenge["app"], "Intranet");
    assert_eq!(challenge["options"].as_array().unwrap().len(), 3);
    assert!(
        listen.wait().unwrap().success(),
        "push listen --count 1 exits after one request"
    );

    let pending = cli.json(&["push", "list", "--json"]);
    assert_eq!(pending[0]["id"], id.as_str(), "{pending}");

    let no_number = cli.run(&["push", "answer", &id, "--approve"]);
    assert_eq!(no_number.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_number.stderr).contains("--number"));

    let number = number.unwrap().to_string();
    let answered = cli.run(&["push", "answer", &id, "--approve", "--number", &number]);
    assert!(
        answered.status.success(),
        "{}",
        String::from_utf8_lossy(&answered.stderr)
    );
    assert!(String::from_utf8_lossy(&answered.stdout).contains("approved"));
    assert_eq!(server.result(&id).await["status"], "approved");

    let again = cli.run(&["push", "answer", &id, "--deny"]);
    assert_eq!(
        again.status.code(),
        Some(3),
        "an answered request is no longer found"
    );
    assert_eq!(server.result(&id).await["status"], "approved");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_fraud_from_the_command_line_blocks_later_pushes() {
    let server = Server::start(ServerOptions::default());
    server.add_user("bob").await;
    let cli = Cli::new();
    cli.json(&[
        "activate",
        &server.activation_uri("bob").await,
        "--yes",
        "--json",
    ]);
    let (id, _) = server.push("bob", "Payroll").await;
    let out = cli.run(&["push", "answer", &id, "--fraud"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(server.result(&id).await["status"], "fraud");
    assert_eq!(server.try_push("bob", "Payroll").await.0, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_activated_is_shown_and_activate_replace_re_adds_in_place() {
    let server = Server::start(ServerOptions::default());
    server.add_user("carol").await;
    let cli = Cli::new();
    let first = cli.json(&[
        "activate",
        &server.activation_uri("carol").await,
        "--yes",
        "--json",
    ]);
    let old = first["device_id"].as_str().unwrap().to_owned();

    server.reset_user("carol").await;
    let status = cli.json(&["push", "status", "--json"]);
    assert_eq!(status[0]["state"], "not_activated", "{status}");
    assert!(status[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("Authentication request is not for an activated account"));
    let text = cli.run(&["push", "status"]);
    assert!(String::from_utf8_lossy(&text.stdout)
        .contains(&format!("countersign activate --replace {old}")));

    let uri = server.activation_uri("carol").await;
    let second = cli.json(&["activate", "--replace", &old, &uri, "--yes", "--json"]);
    assert_ne!(second["device_id"], old.as_str());
    assert_eq!(second["label"], first["label"]);
    let status = cli.json(&["push", "status", "--json"]);
    assert_eq!(status.as_array().unwrap().len(), 1, "{status}");
    assert_eq!(status[0]["state"], "connected", "{status}");

    let (id, number) = server.push("carol", "VPN").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let out = cli.run(&[
        "push",
        "answer",
        &id,
        "--approve",
        "--number",
        &number.unwrap().to_string(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(server.result(&id).await["status"], "approved");

    // Remove: the server forgets the device.
    let device = status[0]["device_id"].as_str().unwrap();
    let out = cli.run(&["push", "remove", device]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(server.try_push("carol", "VPN").await.0, 409);
    assert_eq!(
        cli.json(&["push", "status", "--json"])
            .as_array()
            .unwrap()
            .len(),
        0
    );
}
