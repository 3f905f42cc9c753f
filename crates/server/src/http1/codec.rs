//! The byte-level half of the HTTP/1.1 server: a request head and a chunked request body parsed
//! from bytes, a response head written to bytes. No I/O, so every rule here is a unit test, and
//! the fuzz target `server_http_head` runs this file (it includes it by path, so fuzzing does not
//! build the whole server: this file uses `http`, `httparse` and `thiserror` only).
//!
//! What a request may look like (RFC 9112):
//!
//! - The head (request line and header fields) is at most [`MAX_HEAD`] bytes with at most
//!   [`MAX_HEADERS`] fields (431 otherwise). Header names are tokens; values hold no control
//!   bytes but HTAB. A line folded onto the next (obs-fold) is refused.
//! - The body's length is read one way only, so that no proxy in front can read it another way
//!   (request smuggling): `Content-Length` (digits only; repeated only with the same value) or
//!   `Transfer-Encoding` that is exactly `chunked` (one field), never both, and never
//!   `Transfer-Encoding` in HTTP/1.0. Anything else is refused with 400 and the connection
//!   closed.
//! - A chunked body's size lines start with a hex digit, and neither they (extensions included)
//!   nor trailer lines hold control bytes but HTAB; each chunk ends in CRLF. Trailer fields are
//!   read and dropped.

use http::header::{CONNECTION, CONTENT_LENGTH, DATE, EXPECT, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, Version};

/// The largest request head accepted (request line and header fields), in bytes.
pub const MAX_HEAD: usize = 16 * 1024;

/// The most header fields a request may have.
pub const MAX_HEADERS: usize = 100;

/// The longest chunk-size line or trailer line, in bytes.
pub const MAX_CHUNK_LINE: usize = 4 * 1024;

/// Why a request was refused. Each is answered (status from [`RequestError::status`]) and the
/// connection closed, since what follows the bad part cannot be trusted to be a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The head did not end within [`MAX_HEAD`] bytes.
    #[error("the request head is larger than {MAX_HEAD} bytes")]
    HeadTooLarge,
    /// More than [`MAX_HEADERS`] header fields.
    #[error("the request has more than {MAX_HEADERS} header fields")]
    TooManyHeaders,
    /// The head is not HTTP/1.x syntax (the part named).
    #[error("malformed request head: {0}")]
    Malformed(&'static str),
    /// A header line continued on the next line (obs-fold, RFC 9112 §5.2).
    #[error("a header field continued on the next line (obs-fold) is not accepted")]
    ObsFold,
    /// The request target is not a URI.
    #[error("the request target is not a valid URI")]
    BadTarget,
    /// Both `Content-Length` and `Transfer-Encoding`.
    #[error("the request has both Content-Length and Transfer-Encoding")]
    LengthAndChunked,
    /// A `Content-Length` that is not a decimal number.
    #[error("Content-Length is not a decimal number")]
    BadContentLength,
    /// `Content-Length` fields with different values.
    #[error("the request has Content-Length fields with different values")]
    ConflictingContentLength,
    /// A `Transfer-Encoding` other than exactly `chunked`.
    #[error("Transfer-Encoding must be exactly `chunked` (one field)")]
    UnsupportedTransferEncoding,
    /// `Transfer-Encoding` in an HTTP/1.0 request (RFC 9112 §6.1: the framing is faulty).
    #[error("Transfer-Encoding is not allowed in an HTTP/1.0 request")]
    TransferEncodingInHttp10,
    /// A chunked body that breaks the syntax (the part named).
    #[error("malformed chunked body: {0}")]
    BadChunk(&'static str),
    /// The body is larger than the limit (the limit in bytes).
    #[error("the request body is larger than {0} bytes")]
    BodyTooLarge(usize),
}

impl RequestError {
    /// The status to answer with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::HeadTooLarge | Self::TooManyHeaders => {
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
            }
            Self::BodyTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The stable `error.code` of the answer.
    pub fn code(&self) -> &'static str {
        match self {
            Self::HeadTooLarge | Self::TooManyHeaders => "request_head_too_large",
            Self::BodyTooLarge(_) => "body_too_large",
            _ => "malformed_request",
        }
    }
}

/// How the request's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLength {
    /// No body.
    Empty,
    /// `Content-Length` bytes (more than zero).
    Fixed(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// A parsed request head.
#[derive(Debug)]
pub struct Head {
    /// Method.
    pub method: Method,
    /// Request target.
    pub uri: Uri,
    /// HTTP/1.0 or HTTP/1.1.
    pub version: Version,
    /// Header fields, in order.
    pub headers: HeaderMap,
    /// How the body is delimited.
    pub body: BodyLength,
    /// The connection closes after the response (HTTP/1.0, or `Connection: close`).
    pub close: bool,
    /// The client waits for `100 Continue` before sending the body (HTTP/1.1 only).
    pub expect_continue: bool,
}

/// Parses a request head from the start of `buf`: the head and how many bytes it took, `None`
/// while the head is incomplete (read more and call again with all of it).
pub fn parse_head(buf: &[u8]) -> Result<Option<(Head, usize)>, RequestError> {
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut fields);
    let used = match request.parse(buf) {
        Ok(httparse::Status::Complete(used)) => used,
        Ok(httparse::Status::Partial) if buf.len() >= MAX_HEAD => {
            return Err(RequestError::HeadTooLarge)
        }
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(RequestError::TooManyHeaders),
        Err(_) if has_obs_fold(buf) => return Err(RequestError::ObsFold),
        Err(e) => return Err(RequestError::Malformed(describe(e))),
    };
    if used > MAX_HEAD {
        return Err(RequestError::HeadTooLarge);
    }
    // A complete parse fills in all three.
    let (Some(method), Some(path), Some(minor)) = (request.method, request.path, request.version)
    else {
        return Err(RequestError::Malformed("incomplete request line"));
    };
    let method = Method::from_bytes(method.as_bytes())
        .map_err(|_| RequestError::Malformed("invalid method"))?;
    let uri = Uri::try_from(path).map_err(|_| RequestError::BadTarget)?;
    let version = if minor == 0 {
        Version::HTTP_10
    } else {
        Version::HTTP_11
    };

    let mut headers = HeaderMap::with_capacity(request.headers.len());
    let mut length = None;
    let mut chunked = false;
    let mut close = version == Version::HTTP_10;
    let mut expect_continue = false;
    for field in request.headers.iter() {
        let name = HeaderName::from_bytes(field.name.as_bytes())
            .map_err(|_| RequestError::Malformed("invalid header name"))?;
        let value = HeaderValue::from_bytes(field.value)
            .map_err(|_| RequestError::Malformed("invalid header value"))?;
        if name == CONTENT_LENGTH {
            let n = content_length(field.value)?;
            if length.is_some_and(|seen| seen != n) {
                return Err(RequestError::ConflictingContentLength);
            }
            length = Some(n);
        } else if name == TRANSFER_ENCODING {
            if chunked || !field.value.eq_ignore_ascii_case(b"chunked") {
                return Err(RequestError::UnsupportedTransferEncoding);
            }
            chunked = true;
        } else if name == CONNECTION {
            close |= field
                .value
                .split(|&b| b == b',')
                .any(|token| token.trim_ascii().eq_ignore_ascii_case(b"close"));
        } else if name == EXPECT {
            expect_continue =
                version == Version::HTTP_11 && field.value.eq_ignore_ascii_case(b"100-continue");
        }
        headers.append(name, value);
    }
    let body = match (length, chunked) {
        (Some(_), true) => return Err(RequestError::LengthAndChunked),
        (_, true) if version == Version::HTTP_10 => {
            return Err(RequestError::TransferEncodingInHttp10)
        }
        (_, true) => BodyLength::Chunked,
        (Some(0) | None, false) => BodyLength::Empty,
        (Some(n), false) => BodyLength::Fixed(n),
    };
    let head = Head {
        method,
        uri,
        version,
        headers,
        body,
        close,
        expect_continue,
    };
    Ok(Some((head, used)))
}

/// `Content-Length`: one to nineteen decimal digits (so it fits a `u64`), nothing else.
fn content_length(value: &[u8]) -> Result<u64, RequestError> {
    if value.is_empty() || value.len() > 19 || !value.iter().all(u8::is_ascii_digit) {
        return Err(RequestError::BadContentLength);
    }
    Ok(value
        .iter()
        .fold(0, |n, &digit| n * 10 + u64::from(digit - b'0')))
}

/// A line break followed by a space or tab inside the head: a folded header line.
fn has_obs_fold(buf: &[u8]) -> bool {
    buf.windows(2)
        .any(|w| w[0] == b'\n' && (w[1] == b' ' || w[1] == b'\t'))
}

fn describe(e: httparse::Error) -> &'static str {
    match e {
        httparse::Error::HeaderName => "invalid header name",
        httparse::Error::HeaderValue => "invalid header value",
        httparse::Error::NewLine => "invalid line break",
        httparse::Error::Token => "invalid method or request line",
        httparse::Error::Version => "not HTTP/1.0 or HTTP/1.1",
        _ => "invalid request line",
    }
}

/// Decodes a `Transfer-Encoding: chunked` request body (RFC 9112 §7.1) fed to it in pieces.
#[derive(Debug)]
pub struct ChunkedDecoder {
    state: Chunk,
    limit: usize,
    trailer_bytes: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Expecting a chunk-size line.
    Size,
    /// Inside a chunk's data: this many bytes still to come.
    Data(u64),
    /// Expecting the CRLF after a chunk's data.
    DataEnd,
    /// After the last chunk: trailer lines until an empty one.
    Trailer,
    /// The body is complete.
    Done,
}

impl ChunkedDecoder {
    /// A decoder refusing bodies larger than `limit` bytes (decoded).
    pub fn new(limit: usize) -> Self {
        Self {
            state: Chunk::Size,
            limit,
            trailer_bytes: 0,
        }
    }

    /// Whether the whole body (last chunk and trailer) has been decoded.
    pub fn is_done(&self) -> bool {
        self.state == Chunk::Done
    }

    /// Decodes what it can of `input`, appending the data to `body`; returns how many bytes of
    /// `input` it used. Bytes not used are an incomplete line (at most [`MAX_CHUNK_LINE`]): pass
    /// them again with what follows. Once done it uses nothing more (what follows is the next
    /// request).
    pub fn decode(&mut self, input: &[u8], body: &mut Vec<u8>) -> Result<usize, RequestError> {
        let mut pos = 0;
        loop {
            let rest = &input[pos..];
            match self.state {
                Chunk::Done => return Ok(pos),
                Chunk::Size => match httparse::parse_chunk_size(rest) {
                    Ok(httparse::Status::Complete((used, size))) => {
                        let line = &rest[..used - 2];
                        if !line.first().is_some_and(u8::is_ascii_hexdigit) {
                            return Err(RequestError::BadChunk(
                                "a chunk-size line does not start with a hex digit",
                            ));
                        }
                        if has_control(line) {
                            return Err(RequestError::BadChunk(
                                "control character in a chunk-size line",
                            ));
                        }
                        if line.len() > MAX_CHUNK_LINE {
                            return Err(RequestError::BadChunk("a chunk-size line is too long"));
                        }
                        pos += used;
                        self.state = if size == 0 {
                            Chunk::Trailer
                        } else if size > (self.limit.saturating_sub(body.len())) as u64 {
                            return Err(RequestError::BodyTooLarge(self.limit));
                        } else {
                            Chunk::Data(size)
                        };
                    }
                    Ok(httparse::Status::Partial) => {
                        return Self::partial_line(rest, "a chunk-size line is too long")
                            .map(|()| pos)
                    }
                    Err(_) => return Err(RequestError::BadChunk("invalid chunk size")),
                },
                Chunk::Data(left) => {
                    if rest.is_empty() {
                        return Ok(pos);
                    }
                    // `take` is at most `rest.len()`, so it fits a usize.
                    let take = left.min(rest.len() as u64) as usize;
                    body.extend_from_slice(&rest[..take]);
                    pos += take;
                    self.state = match left - take as u64 {
                        0 => Chunk::DataEnd,
                        left => Chunk::Data(left),
                    };
                }
                Chunk::DataEnd => match rest {
                    [b'\r', b'\n', ..] => {
                        pos += 2;
                        self.state = Chunk::Size;
                    }
                    [] | [b'\r'] => return Ok(pos),
                    _ => return Err(RequestError::BadChunk("chunk data is not followed by CRLF")),
                },
                Chunk::Trailer => match rest.windows(2).position(|w| w == b"\r\n") {
                    Some(0) => {
                        pos += 2;
                        self.state = Chunk::Done;
                    }
                    Some(end) => {
                        let line = &rest[..end];
                        if has_control(line) || line[0] == b' ' || line[0] == b'\t' {
                            return Err(RequestError::BadChunk("malformed trailer field"));
                        }
                        if end > MAX_CHUNK_LINE {
                            return Err(RequestError::BadChunk("a trailer line is too long"));
                        }
                        self.trailer_bytes += end + 2;
                        if self.trailer_bytes > MAX_HEAD {
                            return Err(RequestError::BadChunk("the trailer is too large"));
                        }
                        pos += end + 2;
                    }
                    None => {
                        return Self::partial_line(rest, "a trailer line is too long").map(|()| pos)
                    }
                },
            }
        }
    }

    /// An unfinished line: fine while short and free of control bytes (a bare LF included).
    fn partial_line(rest: &[u8], too_long: &'static str) -> Result<(), RequestError> {
        let unfinished = rest.strip_suffix(b"\r").unwrap_or(rest);
        if has_control(unfinished) {
            return Err(RequestError::BadChunk("control character in a chunk line"));
        }
        if unfinished.len() > MAX_CHUNK_LINE {
            return Err(RequestError::BadChunk(too_long));
        }
        Ok(())
    }
}

/// Control bytes other than HTAB (CR and LF included).
fn has_control(line: &[u8]) -> bool {
    line.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f)
}

/// What the response head must say besides the handler's own fields.
#[derive(Debug, Clone, Copy)]
pub struct ResponseFraming {
    /// The collected body's length.
    pub body_len: usize,
    /// The request was `HEAD`: no body is sent, and the handler's `Content-Length` stands.
    pub head_request: bool,
    /// Send `Connection: close` (the connection closes after this response).
    pub close: bool,
}

/// Writes the response head to `out`: status line, the handler's fields except the framing ones
/// (`Content-Length`, `Transfer-Encoding`, `Connection`, `Keep-Alive`), which are written here,
/// and `Date` when the handler set none. Returns whether a body follows (not for `HEAD`, 1xx,
/// 204 and 304).
pub fn write_response_head(
    status: StatusCode,
    headers: &HeaderMap,
    framing: ResponseFraming,
    date: &str,
    out: &mut Vec<u8>,
) -> bool {
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
    out.extend_from_slice(b"\r\n");
    let mut field = |name: &[u8], value: &[u8]| {
        out.extend_from_slice(name);
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    };
    let bodiless = status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    for (name, value) in headers {
        let framing_field = name == CONTENT_LENGTH
            || name == TRANSFER_ENCODING
            || name == CONNECTION
            || name.as_str() == "keep-alive";
        if !framing_field {
            field(name.as_str().as_bytes(), value.as_bytes());
        }
    }
    if !bodiless {
        match headers.get(CONTENT_LENGTH) {
            Some(declared) if framing.head_request => field(b"content-length", declared.as_bytes()),
            _ => field(b"content-length", framing.body_len.to_string().as_bytes()),
        }
    }
    if framing.close {
        field(b"connection", b"close");
    }
    if !headers.contains_key(DATE) {
        field(b"date", date.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    !bodiless && !framing.head_request
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Result<Option<(Head, usize)>, RequestError> {
        parse_head(text.as_bytes())
    }

    fn complete(text: &str) -> Head {
        let (head, used) = head(text).unwrap().expect("a complete head");
        assert_eq!(used, text.len());
        head
    }

    #[test]
    fn a_simple_get_parses_with_method_target_version_and_fields() {
        let h = complete(
            "GET /v1/push/abc?wait=30 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n\r\n",
        );
        assert_eq!(h.method, Method::GET);
        assert_eq!(h.uri.path(), "/v1/push/abc");
        assert_eq!(h.uri.query(), Some("wait=30"));
        assert_eq!(h.version, Version::HTTP_11);
        assert_eq!(h.headers["authorization"], "Bearer k");
        assert_eq!(h.body, BodyLength::Empty);
        assert!(!h.close);
        assert!(!h.expect_continue);
    }

    #[test]
    fn the_head_ends_at_the_blank_line_and_pipelined_bytes_are_left() {
        let text = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
        let (h, used) = head(text).unwrap().unwrap();
        assert_eq!(h.uri.path(), "/a");
        assert_eq!(&text[used..], "GET /b HTTP/1.1\r\n\r\n");
    }

    #[test]
    fn an_incomplete_head_asks_for_more() {
        assert!(head("GET / HTTP/1.1\r\nHost: x\r\n").unwrap().is_none());
        assert!(head("GE").unwrap().is_none());
    }

    #[test]
    fn a_head_longer_than_the_limit_is_too_large() {
        let long = format!("GET / HTTP/1.1\r\nX: {}\r\n", "a".repeat(MAX_HEAD));
        assert_eq!(head(&long).unwrap_err(), RequestError::HeadTooLarge);
        let complete_but_long = format!("{long}\r\n");
        assert_eq!(
            head(&complete_but_long).unwrap_err(),
            RequestError::HeadTooLarge
        );
        assert_eq!(
            RequestError::HeadTooLarge.status(),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
        );
    }

    #[test]
    fn more_fields_than_the_limit_are_refused() {
        let fields = "X: 1\r\n".repeat(MAX_HEADERS + 1);
        let text = format!("GET / HTTP/1.1\r\n{fields}\r\n");
        assert_eq!(head(&text).unwrap_err(), RequestError::TooManyHeaders);
    }

    #[test]
    fn content_length_gives_a_fixed_body_and_zero_gives_none() {
        let h = complete("POST / HTTP/1.1\r\nContent-Length: 12\r\n\r\n");
        assert_eq!(h.body, BodyLength::Fixed(12));
        let h = complete("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(h.body, BodyLength::Empty);
    }

    #[test]
    fn repeated_content_length_with_the_same_value_is_accepted() {
        let h = complete("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n");
        assert_eq!(h.body, BodyLength::Fixed(5));
    }

    #[test]
    fn differing_content_lengths_are_refused() {
        let text = "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n";
        assert_eq!(
            head(text).unwrap_err(),
            RequestError::ConflictingContentLength
        );
    }

    #[test]
    fn content_length_other_than_digits_is_refused() {
        for value in [
            "-1",
            "+5",
            "5, 5",
            "0x10",
            "",
            "1 2",
            "99999999999999999999",
        ] {
            let text = format!("POST / HTTP/1.1\r\nContent-Length: {value}\r\n\r\n");
            assert_eq!(
                head(&text).unwrap_err(),
                RequestError::BadContentLength,
                "{value:?}"
            );
        }
    }

    #[test]
    fn content_length_with_transfer_encoding_is_refused_whichever_comes_first() {
        for text in [
            "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
        ] {
            assert_eq!(head(text).unwrap_err(), RequestError::LengthAndChunked);
        }
        assert_eq!(
            RequestError::LengthAndChunked.status(),
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn chunked_in_any_case_is_accepted() {
        let h = complete("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n");
        assert_eq!(h.body, BodyLength::Chunked);
    }

    #[test]
    fn transfer_encodings_other_than_exactly_chunked_are_refused() {
        for te in [
            "gzip",
            "gzip, chunked",
            "chunked, chunked",
            "chunked;q=1",
            "xchunked",
            "identity",
        ] {
            let text = format!("POST / HTTP/1.1\r\nTransfer-Encoding: {te}\r\n\r\n");
            assert_eq!(
                head(&text).unwrap_err(),
                RequestError::UnsupportedTransferEncoding,
                "{te:?}"
            );
        }
        let twice =
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(
            head(twice).unwrap_err(),
            RequestError::UnsupportedTransferEncoding
        );
    }

    #[test]
    fn transfer_encoding_in_http_1_0_is_refused() {
        let text = "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(
            head(text).unwrap_err(),
            RequestError::TransferEncodingInHttp10
        );
    }

    #[test]
    fn obs_fold_is_refused_by_name() {
        for text in [
            "GET / HTTP/1.1\r\nX-A: one\r\n two\r\n\r\n",
            "GET / HTTP/1.1\r\nX-A: one\r\n\ttwo\r\n\r\n",
        ] {
            assert_eq!(head(text).unwrap_err(), RequestError::ObsFold);
        }
    }

    #[test]
    fn control_bytes_in_names_or_values_are_refused() {
        for text in [
            "GET / HTTP/1.1\r\nX-A: a\x00b\r\n\r\n",
            "GET / HTTP/1.1\r\nX-A: a\x7fb\r\n\r\n",
            "GET / HTTP/1.1\r\nX A: b\r\n\r\n",
            "GET / HTTP/1.1\r\nX-A : b\r\n\r\n",
            "GET / HTTP/1.1\r\n: b\r\n\r\n",
        ] {
            assert!(
                matches!(head(text).unwrap_err(), RequestError::Malformed(_)),
                "{text:?}"
            );
        }
    }

    #[test]
    fn other_http_versions_are_refused() {
        for text in [
            "GET / HTTP/2.0\r\n\r\n",
            "GET / HTTP/1.2\r\n\r\n",
            "GET /\r\n\r\n",
        ] {
            assert!(
                matches!(head(text).unwrap_err(), RequestError::Malformed(_)),
                "{text:?}"
            );
        }
    }

    #[test]
    fn http_1_0_and_connection_close_close_after_the_response() {
        assert!(complete("GET / HTTP/1.0\r\n\r\n").close);
        assert!(complete("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").close);
        assert!(complete("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").close);
        assert!(complete("GET / HTTP/1.1\r\nConnection: Upgrade, Close\r\n\r\n").close);
        assert!(!complete("GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n").close);
    }

    #[test]
    fn expect_100_continue_is_noticed_in_http_1_1_only() {
        let h = complete("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
        assert!(h.expect_continue);
        let h = complete("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
        assert!(!h.expect_continue);
    }

    fn decode_all(pieces: &[&[u8]], limit: usize) -> Result<(Vec<u8>, Vec<u8>), RequestError> {
        let mut decoder = ChunkedDecoder::new(limit);
        let mut body = Vec::new();
        let mut pending = Vec::new();
        for piece in pieces {
            pending.extend_from_slice(piece);
            let used = decoder.decode(&pending, &mut body)?;
            pending.drain(..used);
            if decoder.is_done() {
                break;
            }
        }
        assert!(decoder.is_done(), "the body is complete");
        Ok((body, pending))
    }

    #[test]
    fn a_chunked_body_decodes_and_leaves_the_next_request() {
        let wire = b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\nGET / HTTP/1.1";
        let (body, rest) = decode_all(&[wire], 1024).unwrap();
        assert_eq!(body, b"hello, world");
        assert_eq!(rest, b"GET / HTTP/1.1");
    }

    #[test]
    fn a_chunked_body_decodes_the_same_fed_one_byte_at_a_time() {
        let wire = b"A\r\n0123456789\r\n1\r\n!\r\n0\r\n\r\n";
        let pieces: Vec<&[u8]> = wire.chunks(1).collect();
        let (body, rest) = decode_all(&pieces, 1024).unwrap();
        assert_eq!(body, b"0123456789!");
        assert!(rest.is_empty());
    }

    #[test]
    fn a_chunked_body_over_the_limit_is_too_large() {
        assert_eq!(
            decode_all(&[b"5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n"], 8).unwrap_err(),
            RequestError::BodyTooLarge(8)
        );
        assert_eq!(
            decode_all(&[b"fffffffffffffff\r\n"], 8).unwrap_err(),
            RequestError::BodyTooLarge(8)
        );
    }

    #[test]
    fn malformed_chunks_are_refused() {
        for wire in [
            &b"\r\nhello\r\n0\r\n\r\n"[..],  // empty size line
            b" 5\r\nhello\r\n0\r\n\r\n",     // leading space
            b"5\nhello\r\n0\r\n\r\n",        // bare LF after the size
            b"5;a\nb\r\nhello\r\n0\r\n\r\n", // bare LF in an extension
            b"5\r\nhelloXX0\r\n\r\n",        // data not followed by CRLF
            b"g\r\n",                        // not hex
            b"0\r\nX: a\nb\r\n\r\n",         // bare LF in a trailer
            b"0\r\n folded\r\n\r\n",         // folded trailer
            b"11111111111111111\r\n",        // more than 16 hex digits
        ] {
            assert!(
                matches!(decode_all(&[wire], 1024), Err(RequestError::BadChunk(_))),
                "{:?}",
                String::from_utf8_lossy(wire)
            );
        }
    }

    #[test]
    fn an_endless_chunk_size_line_is_refused() {
        let mut decoder = ChunkedDecoder::new(1024);
        let line = vec![b'1'; 2]
            .into_iter()
            .chain(b";".iter().copied())
            .chain(vec![b'x'; MAX_CHUNK_LINE])
            .collect::<Vec<_>>();
        assert!(matches!(
            decoder.decode(&line, &mut Vec::new()),
            Err(RequestError::BadChunk(_))
        ));
    }

    fn response(
        status: StatusCode,
        headers: &[(&str, &str)],
        framing: ResponseFraming,
    ) -> (String, bool) {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        let mut out = Vec::new();
        let body = write_response_head(
            status,
            &map,
            framing,
            "Sun, 06 Nov 1994 08:49:37 GMT",
            &mut out,
        );
        (String::from_utf8(out).unwrap(), body)
    }

    const KEEP: ResponseFraming = ResponseFraming {
        body_len: 17,
        head_request: false,
        close: false,
    };

    #[test]
    fn a_response_head_carries_the_body_length_and_the_handlers_fields() {
        let (text, body) = response(
            StatusCode::OK,
            &[
                ("content-type", "application/json"),
                ("content-length", "99"),
                ("transfer-encoding", "chunked"),
            ],
            KEEP,
        );
        assert_eq!(
            text,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 17\r\ndate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n"
        );
        assert!(body);
    }

    #[test]
    fn a_closing_response_says_connection_close() {
        let (text, _) = response(
            StatusCode::BAD_REQUEST,
            &[("connection", "keep-alive")],
            ResponseFraming {
                close: true,
                ..KEEP
            },
        );
        assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"));
        assert!(text.contains("\r\nconnection: close\r\n"));
        assert!(!text.contains("keep-alive"));
    }

    #[test]
    fn head_responses_keep_the_handlers_length_and_send_no_body() {
        let (text, body) = response(
            StatusCode::OK,
            &[("content-length", "42")],
            ResponseFraming {
                body_len: 0,
                head_request: true,
                close: false,
            },
        );
        assert!(text.contains("\r\ncontent-length: 42\r\n"));
        assert!(!body);
    }

    #[test]
    fn no_content_responses_have_neither_length_nor_body() {
        let (text, body) = response(
            StatusCode::NO_CONTENT,
            &[],
            ResponseFraming {
                body_len: 0,
                ..KEEP
            },
        );
        assert!(!text.contains("content-length"));
        assert!(!body);
    }
}
