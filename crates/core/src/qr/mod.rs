//! QR codes: read them from images and the screen, and show accounts as QR codes.
//!
//! Reading: [`decode_image_bytes`] takes an image file's bytes (PNG, JPEG, GIF, BMP, WebP),
//! [`decode_image`] an image already in memory (a camera frame, a pasted image), and
//! [`scan_screens`] captures every monitor in memory (nothing is written to disk). Each returns
//! every QR code found, and each code's text is classified by [`Content::classify`] with the
//! `oath` and `protocol` parsers:
//!
//! | text starts with            | [`Content`]                                              |
//! |-----------------------------|----------------------------------------------------------|
//! | `otpauth://`                | [`Content::Account`] (or [`Content::Invalid`])           |
//! | `otpauth-migration://`      | [`Content::Transfer`]: one code of a Google Authenticator export; [`TransferCollector`] joins "1 of 3" batches |
//! | `countersign://activate`    | [`Content::Activation`]                                  |
//! | anything else               | [`Content::Other`], described for the user               |
//!
//! The decoder chain is described in [`decode`](self::decode): rqrr on a pyramid of scales and
//! several binarisations, then (feature `qr-rxing`) rxing, a port of ZXing, when rqrr finds
//! nothing. rqrr panics on some inputs; every call into it runs under `catch_unwind`.
//!
//! Writing: [`key_uri_svg`]/[`account_svg`] show one account, [`transfer_svgs`] and
//! [`transfer_pngs`] render Google-Authenticator-compatible transfer codes so accounts can be
//! moved to a phone. These reveal secrets: callers confirm with the user first.

mod classify;
pub mod decode;
mod encode;
mod error;
mod preprocess;
#[cfg(feature = "qr-screen")]
mod screen;
mod transfer;

pub use classify::{Content, ContentKind};
pub use decode::{
    decode_gray, decode_image, decode_image_bytes, decode_luma, decode_texts, Decoded, Engine,
};
pub use encode::{
    account_svg, key_uri_png, key_uri_svg, png, svg, transfer_pngs, transfer_svgs, transfer_uris,
    TRANSFER_ACCOUNTS_PER_CODE,
};
pub use error::QrError;
#[cfg(feature = "qr-screen")]
pub use screen::{capture_screens, scan_screens};
pub use transfer::{TransferCollector, TransferProgress};
