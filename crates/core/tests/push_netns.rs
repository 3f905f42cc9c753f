//! A Wi-Fi ↔ cellular switch over real network links: the server runs in its own network
//! namespace, reached from the test over two veth pairs ("wifi" and "cellular"). The client's
//! route moves from one to the other and the Wi-Fi link goes down under an open long-poll.
//!
//! Needs root and `ip netns` (iproute2). Where namespaces cannot be made, the test says so and
//! returns; `push_resilience.rs` covers the same switch with two loopback addresses.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use countersign_core::push::{
    ConnectionState, Listener, PendingActivation, PushEvent, TransportOptions,
};
use support::{fast_listener, next_challenge, next_matching, Server, ServerOptions};
use tokio::sync::mpsc;

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn ip_ok(args: &[&str]) {
    assert!(ip(args), "ip {}", args.join(" "));
}

/// Two links between this namespace and a server namespace; removed on drop.
struct Links {
    ns: String,
    wifi: String,
    cell: String,
}

const SERVER_IP: &str = "10.231.9.9";

impl Links {
    fn make() -> Option<Links> {
        let id = std::process::id() % 10_000;
        let ns = format!("cs-push-{id}");
        if !ip(&["netns", "add", &ns]) {
            return None;
        }
        let links = Links {
            wifi: format!("csw{id}"),
            cell: format!("csc{id}"),
            ns,
        };
        let (ns, w, c) = (&links.ns, &links.wifi, &links.cell);
        let (wp, cp) = (format!("{w}p"), format!("{c}p"));
        ip_ok(&["link", "add", w, "type", "veth", "peer", "name", &wp]);
        ip_ok(&["link", "add", c, "type", "veth", "peer", "name", &cp]);
        ip_ok(&["link", "set", &wp, "netns", ns]);
        ip_ok(&["link", "set", &cp, "netns", ns]);
        ip_ok(&["addr", "add", "10.231.1.1/24", "dev", w]);
        ip_ok(&["addr", "add", "10.231.2.1/24", "dev", c]);
        ip_ok(&["link", "set", w, "up"]);
        ip_ok(&["link", "set", c, "up"]);
        for args in [
            vec!["addr", "add", "10.231.1.2/24", "dev", &wp],
            vec!["addr", "add", "10.231.2.2/24", "dev", &cp],
            vec!["addr", "add", "10.231.9.9/32", "dev", "lo"],
            vec!["link", "set", "lo", "up"],
            vec!["link", "set", &wp, "up"],
            vec!["link", "set", &cp, "up"],
        ] {
            let mut full = vec!["netns", "exec", ns, "ip"];
            full.extend(args);
            ip_ok(&full);
        }
        ip_ok(&["route", "replace", SERVER_IP, "via", "10.231.1.2", "dev", w]);
        Some(links)
    }

    /// Wi-Fi goes away; the OS routes over cellular.
    fn switch_to_cellular(&self) {
        ip_ok(&["link", "set", &self.wifi, "down"]);
        ip_ok(&[
            "route",
            "replace",
            SERVER_IP,
            "via",
            "10.231.2.2",
            "dev",
            &self.cell,
        ]);
    }
}

impl Drop for Links {
    fn drop(&mut self) {
        ip(&["route", "del", SERVER_IP]);
        ip(&["link", "del", &self.wifi]);
        ip(&["link", "del", &self.cell]);
        ip(&["netns", "del", &self.ns]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_resumes_after_moving_from_a_wifi_link_to_a_cellular_link() {
    let Some(links) = Links::make() else {
        eprintln!("network namespaces unavailable (needs root and iproute2); covered by push_resilience's loopback variant");
        return;
    };
    let options = ServerOptions {
        listen: "0.0.0.0:0".parse().unwrap(),
        ..Default::default()
    };
    let mut server = Server::start_in(options, Some(&links.ns));
    let url = format!("https://{SERVER_IP}:{}", server.addr.port());
    server.set_url(&url);
    server.add_user("alice").await;
    let uri = server.activation_uri_via("alice", &url).await;
    let activation = PendingActivation::parse(&uri)
        .unwrap()
        .activate("phone", &TransportOptions::default())
        .await
        .unwrap();
    let mut config = fast_listener();
    config.wait = Duration::from_secs(20);
    config.read_slack = Duration::from_secs(10);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let listener = Listener::spawn(&activation, config, tx).unwrap();
    let connected = next_matching(&mut rx, 10 * Duration::from_secs(1), |e| match e {
        PushEvent::State {
            state: ConnectionState::Connected { .. },
            ..
        } => Some(()),
        _ => None,
    })
    .await;
    assert!(connected.is_some());
    let (id, _) = server.push("alice", "over Wi-Fi").await;
    assert_eq!(
        next_challenge(&mut rx, Duration::from_secs(5))
            .await
            .unwrap()
            .challenge
            .id,
        id
    );

    tokio::time::sleep(Duration::from_millis(200)).await;
    // No call to network_changed: the listener notices the new route by itself.
    links.switch_to_cellular();
    let switched = Instant::now();
    let (id, _) = server.push("alice", "over cellular").await;
    let c = next_challenge(&mut rx, Duration::from_secs(10))
        .await
        .expect("delivery over the cellular link");
    assert_eq!(c.challenge.id, id);
    let resumed = switched.elapsed();
    assert!(
        resumed < Duration::from_secs(3),
        "delivery resumed only after {resumed:?}"
    );
    eprintln!("delivery resumed {resumed:?} after the link switch");
    listener.stop().await;
    drop(server);
}
