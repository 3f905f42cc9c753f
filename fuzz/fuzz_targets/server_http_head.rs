//! `countersign-server`'s HTTP/1.1 request parsing (`crates/server/src/http1/codec.rs`, included
//! by path so the fuzz build does not compile the whole server): request heads, and chunked
//! bodies, which must decode the same fed whole or in two pieces. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/server/src/http1/codec.rs"]
#[allow(dead_code)]
mod codec;

use codec::{BodyLength, ChunkedDecoder, RequestError, MAX_HEAD};

const BODY_LIMIT: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    match codec::parse_head(data) {
        Ok(Some((head, used))) => {
            assert!(used <= data.len() && used <= MAX_HEAD);
            if head.version == http::Version::HTTP_10 {
                assert!(head.close, "HTTP/1.0 closes after the response");
            }
            if head.body == BodyLength::Chunked {
                let _ = chunked_whole(&data[used..]);
            }
        }
        Ok(None) => assert!(data.len() < MAX_HEAD),
        Err(e) => {
            let _ = (e.status(), e.code(), e.to_string());
        }
    }

    // The first byte picks where the body is split; the rest is a chunked body.
    if let Some((&split, body)) = data.split_first() {
        let split = usize::from(split).min(body.len());
        let whole = chunked_whole(body);
        let pieces = chunked_in_two(body, split);
        match (&whole, &pieces) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "split at {split}"),
            (Err(_), Err(_)) => {}
            _ => panic!("split at {split}: whole {whole:?}, in two {pieces:?}"),
        }
    }

    let mut out = Vec::new();
    let mut headers = http::HeaderMap::new();
    if let Ok(value) = http::HeaderValue::from_bytes(data) {
        headers.insert(http::header::CONTENT_TYPE, value);
    }
    let framing = codec::ResponseFraming {
        body_len: data.len(),
        head_request: data.first() == Some(&b'H'),
        close: data.last() == Some(&b'C'),
    };
    codec::write_response_head(http::StatusCode::OK, &headers, framing, "now", &mut out);
    assert!(out.ends_with(b"\r\n\r\n"));
});

/// (body, bytes used, done)
type Decoded = (Vec<u8>, usize, bool);

fn chunked_whole(input: &[u8]) -> Result<Decoded, RequestError> {
    let mut decoder = ChunkedDecoder::new(BODY_LIMIT);
    let mut body = Vec::new();
    let used = decoder.decode(input, &mut body)?;
    check(&body, used, input);
    Ok((body, used, decoder.is_done()))
}

fn chunked_in_two(input: &[u8], split: usize) -> Result<Decoded, RequestError> {
    let mut decoder = ChunkedDecoder::new(BODY_LIMIT);
    let mut body = Vec::new();
    let first = decoder.decode(&input[..split], &mut body)?;
    let second = decoder.decode(&input[first..], &mut body)?;
    let used = first + second;
    check(&body, used, input);
    Ok((body, used, decoder.is_done()))
}

fn check(body: &[u8], used: usize, input: &[u8]) {
    assert!(used <= input.len());
    assert!(body.len() <= BODY_LIMIT);
    assert!(body.len() <= used);
}
