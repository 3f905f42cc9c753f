//! The server's own HTTP/1.1 connection, spoken byte by byte to the real binary, over raw TCP
//! with TLS off (so the bytes on the wire are the HTTP ones): pipelining, keep-alive, chunked
//! bodies, `Expect: 100-continue`, closing, refusals; and over TLS (pinned to the printed
//! certificate fingerprint): keep-alive, a long-poll dropped when its client goes away, and
//! graceful shutdown (idle connections closed at once, long-polls cut after the grace period).

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use countersign_protocol::Fingerprint;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use reqwest::StatusCode;
use serde_json::Value;
use support::*;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

fn plain_server() -> (tempfile::TempDir, Server) {
    let (dir, server) = Server::temp(&Db::Sqlite, "tls = false");
    assert!(server.url.starts_with("http://"), "{}", server.url);
    (dir, server)
}

async fn connect(server: &Server) -> TcpStream {
    let addr = server
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/');
    TcpStream::connect(addr).await.unwrap()
}

/// A TLS connection to a server with its self-signed certificate, pinned to the fingerprint it
/// printed.
async fn connect_tls(server: &Server) -> TlsStream<TcpStream> {
    let addr = server
        .url
        .trim_start_matches("https://")
        .trim_end_matches('/');
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let pin = Pinned {
        fingerprint: server
            .tls_fingerprint
            .expect("the server printed its fingerprint"),
        provider: provider.clone(),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(pin))
        .with_no_client_auth();
    let tcp = TcpStream::connect(addr).await.unwrap();
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap()
}

/// Accepts exactly the certificate whose SHA-256 fingerprint the server printed.
#[derive(Debug)]
struct Pinned {
    fingerprint: Fingerprint,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if Fingerprint::of(end_entity) == self.fingerprint {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("not the pinned certificate".into()))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// One response read off the connection.
#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// Reads one response (framed by `Content-Length`), leaving what follows in `pending`.
async fn answer<S: AsyncRead + Unpin>(stream: &mut S, pending: &mut Vec<u8>) -> Answer {
    let deadline = Duration::from_secs(20);
    tokio::time::timeout(deadline, async {
        let head_end = loop {
            if let Some(i) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            read_more(stream, pending).await;
        };
        let head = String::from_utf8(pending[..head_end].to_vec()).unwrap();
        pending.drain(..head_end);
        let status = head[9..12].parse().unwrap();
        let mut answer = Answer {
            status,
            head,
            body: Vec::new(),
        };
        let length: usize = answer
            .header("content-length")
            .map_or(0, |v| v.parse().unwrap());
        while pending.len() < length {
            read_more(stream, pending).await;
        }
        answer.body = pending.drain(..length).collect();
        answer
    })
    .await
    .expect("a response within the deadline")
}

async fn read_more<S: AsyncRead + Unpin>(stream: &mut S, pending: &mut Vec<u8>) {
    let mut chunk = [0u8; 4096];
    let n = stream.read(&mut chunk).await.unwrap();
    assert!(n > 0, "the connection closed before a whole response");
    pending.extend_from_slice(&chunk[..n]);
}

/// Whether the server closes the connection within a few seconds (reads return end of stream).
async fn closed<S: AsyncRead + Unpin>(stream: &mut S) -> bool {
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest)).await;
    matches!(read, Ok(Ok(_))) && rest.is_empty()
}

/// Sends `request` on a fresh plain connection and checks it is refused with `status` and the
/// error `code`, nothing else is answered, and the connection is closed; returns the refusal.
async fn refused_and_closed(request: &[u8], status: u16, code: &str) -> Answer {
    let (_dir, s) = plain_server();
    let mut stream = connect(&s).await;
    stream.write_all(request).await.unwrap();
    let mut pending = Vec::new();
    let refused = answer(&mut stream, &mut pending).await;
    assert_eq!(refused.status, status, "{}", refused.head);
    assert_eq!(refused.json()["error"]["code"], code);
    assert!(pending.is_empty(), "nothing answered after the refusal");
    assert!(closed(&mut stream).await, "the connection is closed");
    refused
}

const AUTH: &str = "Authorization: Bearer test-api-key-0123456789\r\n";

#[tokio::test]
async fn pipelined_requests_are_answered_in_order() {
    let (_dir, s) = plain_server();
    let mut stream = connect(&s).await;
    stream
        .write_all(
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n\
              GET /no-such-endpoint HTTP/1.1\r\nHost: x\r\n\r\n\
              GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n",
        )
        .await
        .unwrap();
    let mut pending = Vec::new();
    let first = answer(&mut stream, &mut pending).await;
    assert_eq!((first.status, first.body.as_slice()), (200, &b"ok\n"[..]));
    let second = answer(&mut stream, &mut pending).await;
    assert_eq!(second.status, 404);
    assert_eq!(second.json()["error"]["code"], "not_found");
    let third = answer(&mut stream, &mut pending).await;
    assert_eq!(third.status, 200);
    assert!(third.json()["paths"].is_object(), "the OpenAPI document");
}

/// Sends two requests one after the other on `stream`: both are answered, and neither answer
/// closes the connection.
async fn two_requests_on_one_connection<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S) {
    let mut pending = Vec::new();
    for _ in 0..2 {
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let reply = answer(&mut stream, &mut pending).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("connection"), None, "{}", reply.head);
    }
}

#[tokio::test]
async fn keep_alive_serves_two_requests_on_one_connection() {
    let (_dir, s) = plain_server();
    two_requests_on_one_connection(connect(&s).await).await;
}

#[tokio::test]
async fn keep_alive_over_tls_serves_two_requests_on_one_connection() {
    let (_dir, s) = Server::temp(&Db::Sqlite, "");
    two_requests_on_one_connection(connect_tls(&s).await).await;
}

#[tokio::test]
async fn a_chunked_request_body_is_accepted() {
    let (_dir, s) = plain_server();
    let mut stream = connect(&s).await;
    let json = br#"{"id": "chunky", "first_name": "Ada"}"#;
    let (a, b) = json.split_at(10);
    let mut request = format!(
        "POST /v1/users HTTP/1.1\r\nHost: x\r\n{AUTH}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    for part in [a, b] {
        request.extend_from_slice(format!("{:x};note=1\r\n", part.len()).as_bytes());
        request.extend_from_slice(part);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    stream.write_all(&request).await.unwrap();
    let mut pending = Vec::new();
    let created = answer(&mut stream, &mut pending).await;
    assert_eq!(created.status, 201, "{created:?}");

    let shown = s
        .rp()
        .call(reqwest::Method::GET, "/v1/users/chunky", None)
        .await;
    assert_eq!(shown.status, StatusCode::OK, "{shown:?}");
    assert_eq!(shown.body["first_name"], "Ada");
}

#[tokio::test]
async fn expect_100_continue_is_answered_before_the_body() {
    let (_dir, s) = plain_server();
    let mut stream = connect(&s).await;
    let json = br#"{"id": "patient"}"#;
    stream
        .write_all(
            format!(
                "POST /v1/users HTTP/1.1\r\nHost: x\r\n{AUTH}Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
                json.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut pending = Vec::new();
    let interim = answer(&mut stream, &mut pending).await;
    assert_eq!(interim.status, 100, "{interim:?}");
    stream.write_all(json).await.unwrap();
    let created = answer(&mut stream, &mut pending).await;
    assert_eq!(created.status, 201, "{created:?}");
}

#[tokio::test]
async fn content_length_with_transfer_encoding_is_refused_and_the_connection_closed() {
    let refused = refused_and_closed(
        b"POST /v1/users HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n",
        400,
        "malformed_request",
    )
    .await;
    let message = refused.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("Content-Length") && message.contains("Transfer-Encoding"),
        "{message}"
    );
    assert_eq!(refused.header("connection"), Some("close"));
}

#[tokio::test]
async fn an_oversized_head_is_refused_with_431() {
    let big = "a".repeat(17 * 1024);
    let request = format!("GET /healthz HTTP/1.1\r\nX-Big: {big}\r\n\r\n");
    refused_and_closed(request.as_bytes(), 431, "request_head_too_large").await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413_before_it_is_sent() {
    let request =
        format!("POST /v1/users HTTP/1.1\r\nHost: x\r\n{AUTH}Content-Length: 10000000\r\n\r\n");
    refused_and_closed(request.as_bytes(), 413, "body_too_large").await;
}

#[tokio::test]
async fn connection_close_is_honoured() {
    let (_dir, s) = plain_server();
    let mut stream = connect(&s).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut pending = Vec::new();
    let reply = answer(&mut stream, &mut pending).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("connection"), Some("close"));
    assert!(closed(&mut stream).await, "the connection is closed");
}

#[tokio::test]
async fn an_http_1_0_request_is_answered_and_the_connection_closed() {
    let (_dir, s) = plain_server();
    let mut stream = connect(&s).await;
    stream
        .write_all(b"GET /healthz HTTP/1.0\r\n\r\n")
        .await
        .unwrap();
    let mut pending = Vec::new();
    let reply = answer(&mut stream, &mut pending).await;
    assert_eq!((reply.status, reply.body.as_slice()), (200, &b"ok\n"[..]));
    assert!(closed(&mut stream).await, "the connection is closed");
}

#[tokio::test]
async fn a_long_poll_whose_client_disconnects_is_dropped() {
    // Over TLS, as devices and relying parties connect.
    let (_dir, s) = Server::temp(&Db::Sqlite, "");
    let _device = s.user_with_device("leaver", &s.url).await;
    let push = s.rp().push("leaver").await;
    assert_eq!(push.status, StatusCode::CREATED, "{push:?}");
    let id = push.body["id"].as_str().unwrap();

    let mut stream = connect_tls(&s).await;
    stream
        .write_all(
            format!("GET /v1/push/{id}?wait=40 HTTP/1.1\r\nHost: x\r\n{AUTH}\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while metric(&s.url, "countersign_result_long_polls").await < 1.0 {
        assert!(Instant::now() < deadline, "the long-poll never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(stream);
    let gone = Instant::now();
    while metric(&s.url, "countersign_result_long_polls").await > 0.0 {
        assert!(
            gone.elapsed() < Duration::from_secs(5),
            "the long-poll outlived its client"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn shutdown_closes_idle_connections_at_once_and_cuts_long_polls_after_the_grace() {
    let (_dir, mut s) = Server::temp(&Db::Sqlite, "");
    let _device = s.user_with_device("stayer", &s.url).await;
    let push = s.rp().push("stayer").await;
    assert_eq!(push.status, StatusCode::CREATED, "{push:?}");
    let id = push.body["id"].as_str().unwrap();

    // An idle keep-alive connection (one request answered) and a long-poll in flight.
    let mut idle = connect_tls(&s).await;
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut pending = Vec::new();
    assert_eq!(answer(&mut idle, &mut pending).await.status, 200);
    let mut polling = connect_tls(&s).await;
    polling
        .write_all(
            format!("GET /v1/push/{id}?wait=40 HTTP/1.1\r\nHost: x\r\n{AUTH}\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while metric(&s.url, "countersign_result_long_polls").await < 1.0 {
        assert!(Instant::now() < deadline, "the long-poll never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let term = std::process::Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let started = Instant::now();
    assert!(closed(&mut idle).await, "the idle connection is closed");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the idle connection closed at once, not after {:?}",
        started.elapsed()
    );
    assert!(closed_within(&mut polling, Duration::from_secs(15)).await);
    let cut = started.elapsed();
    assert!(
        cut >= Duration::from_secs(4),
        "the long-poll was given the grace period, not cut after {cut:?}"
    );
    let status = s.child.wait().unwrap();
    assert!(status.success(), "the server exits cleanly: {status}");
}

/// Whether the server closes the connection within `limit`, whatever it sent first.
async fn closed_within<S: AsyncRead + Unpin>(stream: &mut S, limit: Duration) -> bool {
    let mut rest = Vec::new();
    matches!(
        tokio::time::timeout(limit, stream.read_to_end(&mut rest)).await,
        Ok(Ok(_)) | Ok(Err(_))
    )
}
