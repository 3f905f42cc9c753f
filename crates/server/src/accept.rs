//! The accept loop: TCP, optional TLS (rustls), HTTP/1.1 ([`crate::http1`]), then the axum
//! router.
//!
//! Every activated device holds a long-poll open nearly all the time, so what one idle
//! connection costs bounds how many devices a node can hold. This loop keeps that cost small:
//!
//! - HTTP/1.1 only, served by the crate's own connection ([`crate::http1`], which holds no
//!   buffer while a handler waits; no protocol sniffing, no HTTP/2 state). TLS offers only
//!   `http/1.1` through ALPN; the app, the CLI and relying parties all speak it.
//! - TLS 1.3 session tickets are not sent: 10,000 devices would not fit the resumption cache
//!   anyway, and each ticket is a write and an allocation per connection.
//! - The per-connection task holds the TLS stream and the HTTP/1.1 connection and nothing else.
//!
//! What an idle long-poll still costs, and why, is written down in the crate's `README.md`
//! (measured with `countersign-load`).
//!
//! Slow clients are bounded: the TLS handshake must finish within [`HANDSHAKE_TIMEOUT`] and a
//! request (head and body) arrive within [`HEADER_READ_TIMEOUT`]. On shutdown the listener closes at once,
//! idle connections close, and requests in flight get [`SHUTDOWN_GRACE`] to finish.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::http1::{self, Limits};

/// How long a client may take to complete the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a client may take to send a request (head and body) once the connection waits for
/// one; also how long an idle keep-alive connection stays open, and how long writing a response
/// may take.
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
    let limits = Limits {
        read_timeout: HEADER_READ_TIMEOUT,
        body_limit: crate::api::BODY_LIMIT,
    };
    serve_with(listener, tls, app, limits, shutdown).await
}

/// [`serve`] with the given per-connection limits.
pub async fn serve_with(
    listener: std::net::TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    app: axum::Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let listener = TcpListener::from_std(listener)?;
    let tls = tls.map(TlsAcceptor::from);
    // Every connection holds a receiver: changing the value tells them to stop, and the sender
    // sees when the last one has.
    let (stop, _) = watch::channel(());
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
        connection(stream, tls.clone(), app.clone(), limits, stop.subscribe());
    }
    drop(listener);
    stop.send_replace(());
    if tokio::time::timeout(SHUTDOWN_GRACE, stop.closed())
        .await
        .is_err()
    {
        tracing::info!("requests still running after the shutdown grace period were cut");
    }
    Ok(())
}

/// Serves one plain TCP connection, or completes its TLS handshake and then serves it.
fn connection(
    stream: TcpStream,
    tls: Option<TlsAcceptor>,
    app: axum::Router,
    limits: Limits,
    mut stop: watch::Receiver<()>,
) {
    let Some(acceptor) = tls else {
        return serve_http(stream, app, limits, stop);
    };
    // The handshake runs in a short task of its own, which hands the TLS stream to the task that
    // serves it: the long-lived task then holds the connection and nothing else (an async fn
    // would keep slots for the handshake and for each value moved across an `.await`).
    tokio::spawn(async move {
        let handshake = Box::pin(tokio::time::timeout(
            HANDSHAKE_TIMEOUT,
            acceptor.accept(stream),
        ));
        tokio::select! {
            done = handshake => match done {
                Ok(Ok(stream)) => serve_http(stream, app, limits, stop),
                Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!("TLS handshake timed out"),
            },
            _ = stop.changed() => {}
        }
    });
}

/// Spawns the task serving HTTP/1.1 on `stream`.
fn serve_http<S>(stream: S, app: axum::Router, limits: Limits, stop: watch::Receiver<()>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    tokio::spawn(http1::serve_connection(stream, app, limits, stop));
}
