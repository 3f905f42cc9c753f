//! The accept loop: TCP, optional TLS (rustls), HTTP/1.1 (hyper), then the axum router.
//!
//! Every activated device holds a long-poll open nearly all the time, so what one idle
//! connection costs bounds how many devices a node can hold. This loop keeps that cost small:
//!
//! - HTTP/1.1 only, served by hyper's `http1` connection directly (no protocol-sniffing wrapper,
//!   no HTTP/2 state). TLS offers only `http/1.1` through ALPN; the app, the CLI and relying
//!   parties all speak it.
//! - TLS 1.3 session tickets are not sent: 10,000 devices would not fit the resumption cache
//!   anyway, and each ticket is a write and an allocation per connection.
//! - The per-connection task holds the TLS stream and hyper's connection and nothing else.
//!
//! What an idle long-poll still costs, and why, is written down in the crate's `README.md`
//! (measured with `countersign-load`).
//!
//! Slow clients are bounded: the TLS handshake must finish within [`HANDSHAKE_TIMEOUT`] and a
//! request head arrive within [`HEADER_READ_TIMEOUT`]. On shutdown the listener closes at once,
//! idle connections close, and requests in flight get [`SHUTDOWN_GRACE`] to finish.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// How long a client may take to complete the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a client may take to send a request's head (also bounds idle keep-alive waits).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long requests in flight (long-polls included) may run on after shutdown begins.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Builds the rustls configuration from a PEM certificate chain and private key.
pub fn rustls_config(
    cert_pem: &[u8],
    key_pem: &[u8],
) -> Result<Arc<rustls::ServerConfig>, rustls::Error> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| rustls::Error::General(format!("the certificate file: {e}")))?;
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| rustls::Error::General(format!("the private key file: {e}")))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config.send_tls13_tickets = 0;
    Ok(Arc::new(config))
}

/// Serves `app` on `listener` until `shutdown` completes, then shuts down gracefully.
pub async fn serve(
    listener: std::net::TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    app: axum::Router,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let listener = TcpListener::from_std(listener)?;
    let tls = tls.map(TlsAcceptor::from);
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(true);
    let http = Arc::new(http);
    let service = TowerToHyperService::new(app);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(e) => {
                    // Out of file descriptors or a connection reset before accept: wait a little
                    // rather than spin; the listener itself is still good.
                    tracing::debug!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        connection(
            stream,
            tls.clone(),
            http.clone(),
            service.clone(),
            graceful.watcher(),
        );
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::info!("requests still running after the shutdown grace period were cut");
    }
    Ok(())
}

type Service = TowerToHyperService<axum::Router>;

/// Serves one plain TCP connection, or completes its TLS handshake and then serves it.
fn connection(
    stream: TcpStream,
    tls: Option<TlsAcceptor>,
    http: Arc<http1::Builder>,
    service: Service,
    watcher: Watcher,
) {
    let Some(acceptor) = tls else {
        return serve_http(stream, &http, service, watcher);
    };
    // The handshake runs in a short task of its own, which hands the TLS stream to the task that
    // serves it: the long-lived task then holds hyper's connection and nothing else (an async
    // fn would keep slots for the handshake and for each value moved across an `.await`, and a
    // TLS stream is 1.2 KB, hyper's connection 1.8 KB).
    tokio::spawn(async move {
        let handshake = Box::pin(tokio::time::timeout(
            HANDSHAKE_TIMEOUT,
            acceptor.accept(stream),
        ));
        match handshake.await {
            Ok(Ok(stream)) => serve_http(stream, &http, service, watcher),
            Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
            Err(_) => tracing::debug!("TLS handshake timed out"),
        }
    });
}

/// Spawns the task serving HTTP/1.1 on `stream`.
fn serve_http<S>(stream: S, http: &http1::Builder, service: Service, watcher: Watcher)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let serving = watcher.watch(http.serve_connection(TokioIo::new(stream), service));
    tokio::spawn(serving.map(|result| {
        if let Err(e) = result {
            tracing::debug!(error = %e, "connection ended with an error");
        }
    }));
}
