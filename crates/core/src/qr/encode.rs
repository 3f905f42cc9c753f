//! Making QR codes: one account as `otpauth://`, or accounts as Google Authenticator transfer
//! codes, as SVG (the app) or PNG (the CLI).
//!
//! Everything here encodes a secret: callers show the result only after the user confirmed.

use countersign_oath::{migration, KeyUri};
use image::{GrayImage, ImageEncoder, Luma};
use qrcode::{Color, EcLevel, QrCode};
use zeroize::Zeroizing;

use super::QrError;
use crate::account::Account;

/// Accounts per transfer code. Google Authenticator puts up to 10 in one code; that keeps each
/// code at a version a phone camera reads at arm's length.
pub const TRANSFER_ACCOUNTS_PER_CODE: usize = 10;

/// Quiet zone around a code, in modules (the standard asks for 4).
const QUIET_ZONE: u32 = 4;
/// PNG pixels per module.
const PNG_MODULE_PIXELS: u32 = 8;
/// Smallest SVG side in user units (it scales; this only sets the default size).
const SVG_MIN_SIDE: u32 = 256;

/// `text` as a QR code in SVG (black on white, with a quiet zone), error correction M.
pub fn svg(text: &str) -> Result<String, QrError> {
    let code = qr_code(text)?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(SVG_MIN_SIDE, SVG_MIN_SIDE)
        .quiet_zone(true)
        .build())
}

/// `text` as a QR code in PNG (8 pixels per module, with a quiet zone), error correction M.
pub fn png(text: &str) -> Result<Vec<u8>, QrError> {
    let code = qr_code(text)?;
    let width = code.width() as u32;
    let side = (width + 2 * QUIET_ZONE) * PNG_MODULE_PIXELS;
    let colors = code.to_colors();
    let image = GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = (x / PNG_MODULE_PIXELS, y / PNG_MODULE_PIXELS);
        let dark = (QUIET_ZONE..QUIET_ZONE + width).contains(&mx)
            && (QUIET_ZONE..QUIET_ZONE + width).contains(&my)
            && colors[((my - QUIET_ZONE) * width + (mx - QUIET_ZONE)) as usize] == Color::Dark;
        Luma([if dark { 0 } else { 255 }])
    });
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(image.as_raw(), side, side, image::ExtendedColorType::L8)
        .map_err(|err| QrError::Png(err.to_string()))?;
    Ok(out)
}

/// One account as an `otpauth://` QR code in SVG (reveals the secret).
pub fn key_uri_svg(uri: &KeyUri) -> Result<String, QrError> {
    svg(&Zeroizing::new(uri.to_uri()))
}

/// One account as an `otpauth://` QR code in PNG (reveals the secret).
pub fn key_uri_png(uri: &KeyUri) -> Result<Vec<u8>, QrError> {
    png(&Zeroizing::new(uri.to_uri()))
}

/// A stored account as an `otpauth://` QR code in SVG (reveals the secret).
pub fn account_svg(account: &Account) -> Result<String, QrError> {
    key_uri_svg(&account.to_key_uri())
}

/// The Google Authenticator transfer URIs for these accounts, [`TRANSFER_ACCOUNTS_PER_CODE`]
/// per code. Fails naming the first account the format cannot carry (Steam, a period other
/// than 30 s, digits other than 6 or 8).
pub fn transfer_uris(accounts: &[KeyUri]) -> Result<Vec<Zeroizing<String>>, QrError> {
    Ok(migration::encode(accounts, TRANSFER_ACCOUNTS_PER_CODE)?
        .into_iter()
        .map(Zeroizing::new)
        .collect())
}

/// Accounts as Google Authenticator transfer codes in SVG, in order ("1 of N" first).
pub fn transfer_svgs(accounts: &[Account]) -> Result<Vec<String>, QrError> {
    let uris: Vec<KeyUri> = accounts.iter().map(Account::to_key_uri).collect();
    transfer_uris(&uris)?.iter().map(|uri| svg(uri)).collect()
}

/// Accounts as Google Authenticator transfer codes in PNG, in order ("1 of N" first).
pub fn transfer_pngs(accounts: &[Account]) -> Result<Vec<Vec<u8>>, QrError> {
    let uris: Vec<KeyUri> = accounts.iter().map(Account::to_key_uri).collect();
    transfer_uris(&uris)?.iter().map(|uri| png(uri)).collect()
}

fn qr_code(text: &str) -> Result<QrCode, QrError> {
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .or_else(|_| QrCode::with_error_correction_level(text.as_bytes(), EcLevel::L))
        .map_err(|_| QrError::TooLong { bytes: text.len() })
}
