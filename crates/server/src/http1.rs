//! The server's own HTTP/1.1 connection: reads requests, calls the axum [`Router`] as a tower
//! service, writes responses.
//!
//! Why not hyper's: every activated device holds a long-poll open nearly all the time, so what
//! an idle long-poll costs bounds how many devices a node can hold (target: 16 KB). Measured with
//! heaptrack, an idle TLS long-poll served by hyper held, per connection:
//!
//! | bytes | what |
//! |-------|------|
//! | 8,309 | hyper's write buffer (made with the connection; no setting shrinks it) |
//! | 8,293 | hyper's read buffer (kept while a request is in flight, 8 KiB at least) |
//! | 4,147 | rustls' record buffer |
//! | 2,203 | rustls' session |
//! | 2,203 | the connection task |
//! | 1,552 | the handler future |
//!
//! Hyper's two buffers were 16.6 KB of the 23.3 KB resident. This connection holds none while
//! the handler waits (12.7 to 15.0 KB resident per idle TLS long-poll with it; the crate's
//! `README.md` has the figures):
//!
//! - The request head is read into a buffer that starts at [`INITIAL_HEAD_BUFFER`] bytes and
//!   grows only as needed, up to [`MAX_HEAD`] (431 beyond). The body is read by
//!   `Content-Length` or decoded from `Transfer-Encoding: chunked`, up to
//!   [`Limits::body_limit`] (413 beyond), after `100 Continue` when the client asks for it.
//! - The read buffer is dropped before the handler is called; pipelined bytes that came with the
//!   request are kept in a `Vec` of their own (none, usually).
//! - While the handler runs the connection is watched through a 128-byte probe: end of stream or
//!   an error means the client went away, and the handler future is dropped (a long-poll ends at
//!   once); bytes that arrive are kept for the next request.
//! - The response body is collected (every response here is small JSON or text) and written
//!   with the head in one write from a buffer made for it and dropped after.
//!
//! The byte-level rules (what a request may look like, request smuggling) are in [`codec`],
//! which does no I/O. HTTP/1.0 and `Connection: close` close after the response; other
//! connections are kept alive, idle for at most [`Limits::read_timeout`]. A refused request is
//! answered with the API's `{"error": {"code", "message"}}` and the connection closed.

pub mod codec;

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::time::Duration;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use axum::Router;
use bytes::BufMut;
use http::{Method, Request};
use http_body_util::BodyExt;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tokio::time::{timeout, timeout_at, Instant};
use tower_service::Service;

use crate::error::ApiError;
use codec::{BodyLength, ChunkedDecoder, Head, RequestError, ResponseFraming, MAX_HEAD};

/// The request-head buffer's first size; it doubles as needed up to [`MAX_HEAD`].
pub const INITIAL_HEAD_BUFFER: usize = 1024;

/// How many bytes the connection reads at a time while a handler runs (to notice the client
/// going away, and to keep pipelined requests).
const PROBE: usize = 128;

/// How long closing a connection may take (TLS `close_notify`, draining a refused request).
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// How much of a refused request is read and dropped before closing, so that the client reads
/// the answer rather than a reset.
const DRAIN_LIMIT: usize = 64 * 1024;

/// What one connection allows.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How long a client may take to send a whole request (head and body) once the connection
    /// waits for one, which is also how long an idle keep-alive connection stays open, and how
    /// long it may take to receive a response.
    pub read_timeout: Duration,
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
}

/// Serves HTTP/1.1 on `io` with `app` until the client closes it, a request is refused, a
/// timeout passes, or `shutdown` changes (at once when idle, else after the response in
/// progress). Holds `shutdown` until it ends, so its sender can wait for every connection.
pub fn serve_connection<S>(
    io: S,
    app: Router,
    limits: Limits,
    shutdown: watch::Receiver<()>,
) -> impl Future<Output = ()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // This future is what a waiting long-poll's task holds, so its layout matters: the
    // connection is captured once (an `async fn` would keep its arguments and the moved copies
    // side by side); reading and writing run in boxes that exist only while they do; the
    // handler is boxed and the request moved into it without crossing an `.await`. What stays
    // while a handler waits is the connection, the router handle and `run`'s few hundred bytes.
    let mut conn = Connection {
        io,
        limits,
        shutdown,
        closing: false,
        pipelined: Vec::new(),
    };
    let mut app = app;
    async move {
        loop {
            let (handler, head_request, close) = match Box::pin(conn.read_request()).await {
                // No `poll_ready` first: a `Router` is always ready.
                Ok(Some(incoming)) => (
                    Box::pin(app.call(incoming.request)),
                    incoming.head_request,
                    incoming.close,
                ),
                Ok(None) => break,
                Err(refused) => {
                    tracing::debug!(error = %refused, "request refused");
                    Box::pin(conn.refuse(refused)).await;
                    return;
                }
            };
            let Some(response) = conn.run(handler).await else {
                tracing::debug!("client went away while its request was handled");
                return;
            };
            let close = close || conn.stopping();
            if let Err(e) = Box::pin(conn.write(response, head_request, close)).await {
                tracing::debug!(error = %e, "writing a response failed");
                return;
            }
            if close {
                break;
            }
        }
        let _ = timeout(CLOSE_TIMEOUT, conn.io.shutdown()).await;
    }
}

/// A request read in full.
struct Incoming {
    request: Request<Body>,
    head_request: bool,
    close: bool,
}

struct Connection<S> {
    io: S,
    limits: Limits,
    shutdown: watch::Receiver<()>,
    /// Shutdown has begun: close after the response in progress.
    closing: bool,
    /// Bytes read after the current request (the start of the next).
    pipelined: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    /// Whether shutdown has begun (noticed now or before).
    fn stopping(&mut self) -> bool {
        self.closing |= self.shutdown.has_changed().unwrap_or(true);
        self.closing
    }

    /// Reads the next request: `None` when the connection should close without an answer (the
    /// client closed it or stalled, or shutdown began while it was idle).
    async fn read_request(&mut self) -> Result<Option<Incoming>, RequestError> {
        let deadline = Instant::now() + self.limits.read_timeout;
        let mut buf = std::mem::take(&mut self.pipelined);
        let (head, used) = loop {
            if !buf.is_empty() {
                if let Some(parsed) = codec::parse_head(&buf)? {
                    break parsed;
                }
            }
            let idle = buf.is_empty();
            if idle && self.stopping() {
                return Ok(None);
            }
            if buf.len() == buf.capacity() {
                let grown = (buf.capacity() * 2).clamp(INITIAL_HEAD_BUFFER, MAX_HEAD);
                buf.reserve_exact(grown - buf.len());
            }
            let room = MAX_HEAD - buf.len();
            let mut into = (&mut buf).limit(room);
            let read = tokio::select! {
                read = timeout_at(deadline, self.io.read_buf(&mut into)) => read,
                _ = self.shutdown.changed(), if idle => return Ok(None),
            };
            match read {
                Ok(Ok(n)) if n > 0 => {}
                _ => return Ok(None),
            }
        };
        let close = head.close || self.closing;
        let head_request = head.method == Method::HEAD;
        let body = match self.read_body(&head, buf, used, deadline).await? {
            Some(body) => body,
            None => return Ok(None),
        };
        let Head {
            method,
            uri,
            version,
            headers,
            ..
        } = head;
        let mut request = Request::new(body);
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        *request.version_mut() = version;
        *request.headers_mut() = headers;
        Ok(Some(Incoming {
            request,
            head_request,
            close,
        }))
    }

    /// Reads the body `head` announces, from `buf[used..]` and then the connection; keeps what
    /// follows it in `self.pipelined` and drops `buf`. `None` when the client closed or stalled.
    async fn read_body(
        &mut self,
        head: &Head,
        mut buf: Vec<u8>,
        used: usize,
        deadline: Instant,
    ) -> Result<Option<Body>, RequestError> {
        let limit = self.limits.body_limit;
        let ask_first = head.expect_continue && buf.len() == used;
        let body = match head.body {
            BodyLength::Empty => {
                self.keep_pipelined(&buf[used..]);
                return Ok(Some(Body::empty()));
            }
            BodyLength::Fixed(length) => {
                let length = usize::try_from(length)
                    .ok()
                    .filter(|&n| n <= limit)
                    .ok_or(RequestError::BodyTooLarge(limit))?;
                if ask_first && !self.send_continue().await {
                    return Ok(None);
                }
                let mut body = Vec::with_capacity(length);
                let arrived = &buf[used..];
                let from_buf = arrived.len().min(length);
                body.extend_from_slice(&arrived[..from_buf]);
                self.keep_pipelined(&arrived[from_buf..]);
                drop(buf);
                while body.len() < length {
                    let room = length - body.len();
                    let read =
                        timeout_at(deadline, self.io.read_buf(&mut (&mut body).limit(room))).await;
                    match read {
                        Ok(Ok(n)) if n > 0 => {}
                        _ => return Ok(None),
                    }
                }
                body
            }
            BodyLength::Chunked => {
                if ask_first && !self.send_continue().await {
                    return Ok(None);
                }
                let mut decoder = ChunkedDecoder::new(limit);
                let mut body = Vec::new();
                let mut pos = used;
                loop {
                    pos += decoder.decode(&buf[pos..], &mut body)?;
                    if decoder.is_done() {
                        break;
                    }
                    // What is left is part of a line: keep it at the front and read on.
                    buf.drain(..pos);
                    pos = 0;
                    buf.reserve(INITIAL_HEAD_BUFFER);
                    let read = timeout_at(deadline, self.io.read_buf(&mut buf)).await;
                    match read {
                        Ok(Ok(n)) if n > 0 => {}
                        _ => return Ok(None),
                    }
                }
                self.keep_pipelined(&buf[pos..]);
                body
            }
        };
        Ok(Some(Body::from(body)))
    }

    /// Keeps bytes of the next request in a buffer of their own size (none when empty).
    fn keep_pipelined(&mut self, rest: &[u8]) {
        self.pipelined = rest.to_vec();
    }

    /// Sends `100 Continue`; false when the client is gone.
    async fn send_continue(&mut self) -> bool {
        let sent = timeout(self.limits.read_timeout, async {
            self.io.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
            self.io.flush().await
        })
        .await;
        matches!(sent, Ok(Ok(())))
    }

    /// Runs the handler while watching the connection: `None` when the client went away first
    /// (the handler future is dropped).
    async fn run<F>(&mut self, mut handler: F) -> Option<Response>
    where
        F: Future<Output = Result<Response, Infallible>> + Unpin,
    {
        let mut probe = [0u8; PROBE];
        loop {
            // Enough of the next request is kept; the rest waits in the socket.
            let watching = self.pipelined.len() < MAX_HEAD;
            tokio::select! {
                biased;
                response = &mut handler => {
                    return Some(response.unwrap_or_else(|never| match never {}));
                }
                read = self.io.read(&mut probe), if watching => match read {
                    Ok(n) if n > 0 => self.pipelined.extend_from_slice(&probe[..n]),
                    _ => return None,
                },
                _ = self.shutdown.changed(), if !self.closing => self.closing = true,
            }
        }
    }

    /// Collects the body and writes the response in one write.
    async fn write(
        &mut self,
        response: Response,
        head_request: bool,
        close: bool,
    ) -> io::Result<()> {
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(io::Error::other)?.to_bytes();
        let mut out = Vec::with_capacity(256 + parts.headers.len() * 64 + body.len());
        let framing = ResponseFraming {
            body_len: body.len(),
            head_request,
            close,
        };
        let date = httpdate::fmt_http_date(std::time::SystemTime::now());
        if codec::write_response_head(parts.status, &parts.headers, framing, &date, &mut out) {
            out.extend_from_slice(&body);
        }
        drop((parts, body));
        match timeout(self.limits.read_timeout, async {
            self.io.write_all(&out).await?;
            self.io.flush().await
        })
        .await
        {
            Ok(written) => written,
            Err(_) => Err(io::ErrorKind::TimedOut.into()),
        }
    }

    /// Answers a refused request and closes the connection, reading (and dropping) what the
    /// client still sends for a moment first: closing with unread bytes would reset the
    /// connection, and the client could lose the answer.
    async fn refuse(&mut self, refused: RequestError) {
        let response =
            ApiError::new(refused.status(), refused.code(), refused.to_string()).into_response();
        if self.write(response, false, true).await.is_err() {
            return;
        }
        let _ = timeout(CLOSE_TIMEOUT, async {
            self.io.shutdown().await?;
            let mut sink = vec![0u8; 4096];
            let mut drained = 0;
            while drained < DRAIN_LIMIT {
                match self.io.read(&mut sink).await? {
                    0 => break,
                    n => drained += n,
                }
            }
            io::Result::Ok(())
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::{get, post};
    use tokio::io::DuplexStream;

    fn app() -> Router {
        Router::new()
            .route("/hello", get(|| async { "hello" }))
            .route("/echo", post(|body: String| async move { body }))
            .route(
                "/forever",
                get(|| async {
                    std::future::pending::<()>().await;
                    "never"
                }),
            )
    }

    const LIMITS: Limits = Limits {
        read_timeout: Duration::from_millis(300),
        body_limit: 1024,
    };

    fn start(limits: Limits) -> (DuplexStream, watch::Sender<()>, tokio::task::JoinHandle<()>) {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let (stop, watcher) = watch::channel(());
        let task = tokio::spawn(serve_connection(server, app(), limits, watcher));
        (client, stop, task)
    }

    async fn read_to_end(client: &mut DuplexStream) -> String {
        let mut out = Vec::new();
        client.read_to_end(&mut out).await.unwrap();
        String::from_utf8(out).unwrap()
    }

    #[tokio::test]
    async fn an_idle_connection_closes_after_the_read_timeout() {
        let (mut client, _stop, task) = start(LIMITS);
        let started = Instant::now();
        assert_eq!(read_to_end(&mut client).await, "");
        let waited = started.elapsed();
        assert!(waited >= LIMITS.read_timeout, "closed after {waited:?}");
        assert!(waited < LIMITS.read_timeout * 5, "closed after {waited:?}");
        task.await.unwrap();
    }

    #[tokio::test]
    async fn a_head_sent_too_slowly_closes_the_connection_at_the_timeout() {
        let (mut client, _stop, task) = start(LIMITS);
        client
            .write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        assert_eq!(read_to_end(&mut client).await, "");
        task.await.unwrap();
    }

    #[tokio::test]
    async fn a_keep_alive_connection_serves_two_requests_then_idles_out() {
        let (mut client, _stop, task) = start(LIMITS);
        client
            .write_all(b"GET /hello HTTP/1.1\r\n\r\n")
            .await
            .unwrap();
        let mut first = [0u8; 512];
        let n = client.read(&mut first).await.unwrap();
        let first = String::from_utf8_lossy(&first[..n]).into_owned();
        assert!(first.starts_with("HTTP/1.1 200 OK\r\n"), "{first}");
        assert!(first.ends_with("\r\n\r\nhello"), "{first}");
        client
            .write_all(b"POST /echo HTTP/1.1\r\nContent-Length: 4\r\n\r\nping")
            .await
            .unwrap();
        let rest = read_to_end(&mut client).await;
        assert!(rest.starts_with("HTTP/1.1 200 OK\r\n"), "{rest}");
        assert!(rest.ends_with("\r\n\r\nping"), "{rest}");
        task.await.unwrap();
    }

    #[tokio::test]
    async fn shutdown_closes_an_idle_connection_at_once() {
        let (mut client, stop, task) = start(Limits {
            read_timeout: Duration::from_secs(30),
            ..LIMITS
        });
        client
            .write_all(b"GET /hello HTTP/1.1\r\n\r\n")
            .await
            .unwrap();
        let mut first = [0u8; 512];
        let n = client.read(&mut first).await.unwrap();
        assert!(first[..n].ends_with(b"hello"));
        stop.send_replace(());
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("the idle connection closed at once")
            .unwrap();
        assert_eq!(read_to_end(&mut client).await, "");
    }

    #[tokio::test]
    async fn shutdown_during_a_request_answers_it_with_connection_close() {
        let (mut client, stop, task) = start(LIMITS);
        client
            .write_all(b"POST /echo HTTP/1.1\r\nContent-Length: 4\r\n\r\n")
            .await
            .unwrap();
        // Let the head arrive and the body wait.
        tokio::time::sleep(Duration::from_millis(50)).await;
        stop.send_replace(());
        client.write_all(b"late").await.unwrap();
        let answer = read_to_end(&mut client).await;
        assert!(answer.contains("\r\nconnection: close\r\n"), "{answer}");
        assert!(answer.ends_with("late"), "{answer}");
        task.await.unwrap();
    }

    #[tokio::test]
    async fn a_client_going_away_drops_the_running_handler() {
        let (mut client, _stop, task) = start(Limits {
            read_timeout: Duration::from_secs(30),
            ..LIMITS
        });
        client
            .write_all(b"GET /forever HTTP/1.1\r\n\r\n")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(client);
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("the connection ended when its client went away")
            .unwrap();
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_refused_with_413_and_json() {
        let (mut client, _stop, task) = start(LIMITS);
        client
            .write_all(b"POST /echo HTTP/1.1\r\nContent-Length: 5000\r\n\r\n")
            .await
            .unwrap();
        let answer = read_to_end(&mut client).await;
        assert!(
            answer.starts_with("HTTP/1.1 413 Payload Too Large\r\n"),
            "{answer}"
        );
        assert!(answer.contains("\"code\":\"body_too_large\""), "{answer}");
        task.await.unwrap();
    }

    #[tokio::test]
    async fn expect_continue_gets_100_before_the_body_is_sent() {
        let (mut client, _stop, task) = start(LIMITS);
        client
            .write_all(b"POST /echo HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut interim = [0u8; 25];
        client.read_exact(&mut interim).await.unwrap();
        assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
        client.write_all(b"ok").await.unwrap();
        let answer = read_to_end(&mut client).await;
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert!(answer.ends_with("ok"), "{answer}");
        task.await.unwrap();
    }
}
