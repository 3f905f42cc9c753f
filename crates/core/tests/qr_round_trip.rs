//! Generate → decode round trips: every account shape survives being shown as a QR code and
//! scanned back, as PNG (what the CLI writes) and as SVG (what the app shows, rasterised by
//! librsvg's `rsvg-convert`), in every image format the scanner accepts; transfer batches
//! survive being split over several codes and scanned in any order.
#![cfg(feature = "qr")]

use std::io::Cursor;
use std::process::Command;

use countersign_core::qr::{
    self, decode_image_bytes, Content, ContentKind, QrError, TransferCollector, TransferProgress,
};
use countersign_core::Account;
use countersign_oath::{Algorithm, Digits, KeyUri, Otp, Period, Secret};
use image::{DynamicImage, ImageFormat};

fn totp(secret: &[u8], algorithm: Algorithm, digits: u8, period: u32) -> Otp {
    Otp::new_totp(
        Secret::from_bytes(secret.to_vec()),
        algorithm,
        Digits::new(digits).unwrap(),
        Period::new(period).unwrap(),
    )
}

fn key(otp: Otp, issuer: Option<&str>, account: &str) -> KeyUri {
    KeyUri {
        otp,
        issuer: issuer.map(str::to_owned),
        account: account.to_owned(),
        image: None,
        extra: Vec::new(),
    }
}

/// One of each shape an account can have.
fn every_account_shape() -> Vec<(&'static str, KeyUri)> {
    let secret20: Vec<u8> = (0u8..20).collect();
    let secret64: Vec<u8> = (0u8..64).map(|b| b.wrapping_mul(37)).collect();
    let mut with_image = key(totp(&secret20, Algorithm::Sha1, 6, 30), Some("Icons"), "me");
    with_image.image = Some("https://example.com/icon.png".to_owned());
    vec![
        (
            "totp sha1 6 digits 30 s",
            key(
                totp(&secret20, Algorithm::Sha1, 6, 30),
                Some("GitHub"),
                "alice",
            ),
        ),
        (
            "totp sha256 8 digits 60 s",
            key(
                totp(&secret20, Algorithm::Sha256, 8, 60),
                Some("Bank"),
                "bob",
            ),
        ),
        (
            "totp sha512 10 digits 15 s",
            key(
                totp(&secret64, Algorithm::Sha512, 10, 15),
                Some("Vault"),
                "c",
            ),
        ),
        (
            "hotp counter 0",
            key(
                Otp::new_hotp(
                    Secret::from_bytes(secret20.clone()),
                    Algorithm::Sha1,
                    Digits::new(6).unwrap(),
                    0,
                ),
                Some("VPN"),
                "dave",
            ),
        ),
        (
            "hotp large counter",
            key(
                Otp::new_hotp(
                    Secret::from_bytes(secret20.clone()),
                    Algorithm::Sha256,
                    Digits::new(8).unwrap(),
                    u64::MAX / 3,
                ),
                Some("VPN"),
                "erin",
            ),
        ),
        (
            "steam",
            key(
                Otp::new_steam(Secret::from_bytes(secret20.clone())),
                Some("Steam"),
                "gamer",
            ),
        ),
        (
            "no issuer",
            key(
                totp(&secret20, Algorithm::Sha1, 6, 30),
                None,
                "solo@example.com",
            ),
        ),
        (
            "unicode label",
            key(
                totp(&secret20, Algorithm::Sha1, 6, 30),
                Some("Bänk Ünïon 銀行"),
                "пользователь 🙂",
            ),
        ),
        (
            "reserved characters",
            key(
                totp(&secret20, Algorithm::Sha1, 6, 30),
                Some("A&B=C?D"),
                "x:y/z%20 #1+2",
            ),
        ),
        (
            "short secret",
            key(
                totp(&[1, 2, 3, 4, 5], Algorithm::Sha1, 6, 30),
                Some("Old"),
                "legacy",
            ),
        ),
        ("with image", with_image),
    ]
}

fn decoded_account(bytes: &[u8]) -> KeyUri {
    let found = decode_image_bytes(bytes).expect("the image is readable");
    assert_eq!(found.len(), 1, "exactly one code");
    match &found[0].content {
        Content::Account(uri) => uri.clone(),
        other => panic!("expected an account, got {other}"),
    }
}

fn rasterise_svg(svg: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("code.svg");
    std::fs::write(&path, svg).unwrap();
    let out = Command::new("rsvg-convert")
        .arg("--background-color=white")
        .arg(&path)
        .output()
        .expect("rsvg-convert (Debian package librsvg2-bin) is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn every_account_shape_survives_png_round_trip() {
    for (shape, uri) in every_account_shape() {
        let png = qr::key_uri_png(&uri).unwrap();
        assert_eq!(decoded_account(&png), uri, "{shape}");
    }
}

#[test]
fn every_account_shape_survives_svg_round_trip() {
    for (shape, uri) in every_account_shape() {
        let account = Account::from_key_uri(uri.clone(), 1_700_000_000);
        let svg = qr::account_svg(&account).unwrap();
        assert!(
            svg.starts_with("<?xml") || svg.starts_with("<svg"),
            "{shape}: not SVG"
        );
        let back = decoded_account(&rasterise_svg(&svg));
        assert_eq!(back.otp, uri.otp, "{shape}");
        assert_eq!(back.issuer, uri.issuer, "{shape}");
        assert_eq!(back.account, uri.account, "{shape}");
    }
}

#[test]
fn codes_are_read_from_every_supported_file_format() {
    let (_, uri) = &every_account_shape()[0];
    let image = image::load_from_memory(&qr::key_uri_png(uri).unwrap()).unwrap();
    for format in [
        ImageFormat::Png,
        ImageFormat::Jpeg,
        ImageFormat::Gif,
        ImageFormat::Bmp,
        ImageFormat::WebP,
    ] {
        let mut bytes = Cursor::new(Vec::new());
        let image = match format {
            ImageFormat::Jpeg => DynamicImage::ImageRgb8(image.to_rgb8()),
            ImageFormat::Gif | ImageFormat::WebP => DynamicImage::ImageRgba8(image.to_rgba8()),
            _ => image.clone(),
        };
        image.write_to(&mut bytes, format).unwrap();
        assert_eq!(&decoded_account(bytes.get_ref()), uri, "{format:?}");
    }
}

#[test]
fn a_transparent_png_is_read_as_dark_on_white() {
    let (_, uri) = &every_account_shape()[0];
    let gray = image::load_from_memory(&qr::key_uri_png(uri).unwrap())
        .unwrap()
        .to_luma8();
    // Dark modules opaque black, light modules fully transparent *black*.
    let rgba = image::RgbaImage::from_fn(gray.width(), gray.height(), |x, y| {
        let dark = gray.get_pixel(x, y).0[0] < 128;
        image::Rgba([0, 0, 0, if dark { 255 } else { 0 }])
    });
    let mut bytes = Cursor::new(Vec::new());
    DynamicImage::ImageRgba8(rgba)
        .write_to(&mut bytes, ImageFormat::Png)
        .unwrap();
    assert_eq!(&decoded_account(bytes.get_ref()), uri);
}

#[test]
fn transfer_batches_scanned_in_any_order_give_back_every_account() {
    let uris: Vec<KeyUri> = (0..23)
        .map(|i| {
            let secret: Vec<u8> = (0u8..20).map(|b| b ^ i as u8).collect();
            key(
                totp(&secret, Algorithm::Sha1, if i % 2 == 0 { 6 } else { 8 }, 30),
                Some("Org"),
                &format!("user{i}"),
            )
        })
        .collect();
    let accounts: Vec<Account> = uris
        .iter()
        .cloned()
        .map(|u| Account::from_key_uri(u, 0))
        .collect();
    let pngs = qr::transfer_pngs(&accounts).unwrap();
    assert_eq!(pngs.len(), 3, "10 accounts per code");

    let mut collector = TransferCollector::new();
    let mut outcome = None;
    for (step, index) in [2usize, 0, 2, 1].into_iter().enumerate() {
        let found = decode_image_bytes(&pngs[index]).unwrap();
        let [decoded] = found.as_slice() else {
            panic!("one code per image")
        };
        let Content::Transfer(batch) = &decoded.content else {
            panic!("a transfer code")
        };
        assert_eq!(
            decoded.content.to_string(),
            format!(
                "Google Authenticator transfer code {} of 3 with {} accounts",
                index + 1,
                batch.accounts.len()
            )
        );
        match (step, collector.add(batch.clone())) {
            (
                0,
                TransferProgress::Waiting {
                    scanned: 1,
                    total: 3,
                    missing,
                    ..
                },
            ) => assert_eq!(missing, [1, 2]),
            (
                1,
                TransferProgress::Waiting {
                    scanned: 2,
                    total: 3,
                    missing,
                    ..
                },
            ) => {
                assert_eq!(missing, [2]);
                assert_eq!(
                    collector.unfinished(),
                    ["Google Authenticator export: scanned 2 of 3 codes; still missing code 2"]
                );
            }
            (2, TransferProgress::Duplicate) => {}
            (3, TransferProgress::Complete(all)) => outcome = Some(all),
            (step, other) => panic!("step {step}: unexpected {other:?}"),
        }
    }
    assert_eq!(outcome.expect("complete after the third code"), uris);
    assert!(collector.is_empty());
}

#[test]
fn transfer_svgs_render_one_svg_per_ten_accounts() {
    let (_, uri) = &every_account_shape()[0];
    let accounts: Vec<Account> = (0..11)
        .map(|_| Account::from_key_uri(uri.clone(), 0))
        .collect();
    let svgs = qr::transfer_svgs(&accounts).unwrap();
    assert_eq!(svgs.len(), 2);
    let found = decode_image_bytes(&rasterise_svg(&svgs[1])).unwrap();
    assert_eq!(found[0].content.kind(), ContentKind::Transfer);
}

#[test]
fn steam_accounts_cannot_be_put_in_a_transfer_code() {
    let steam = every_account_shape()
        .into_iter()
        .find(|(s, _)| *s == "steam")
        .unwrap()
        .1;
    let err = qr::transfer_pngs(&[Account::from_key_uri(steam, 0)]).unwrap_err();
    assert!(matches!(err, QrError::Transfer(_)), "{err}");
    assert_eq!(err.code(), "transfer_unsupported");
}

#[test]
fn text_too_long_for_a_qr_code_is_refused() {
    let err = qr::svg(&"x".repeat(5000)).unwrap_err();
    assert!(matches!(err, QrError::TooLong { bytes: 5000 }), "{err}");
}

#[test]
fn bytes_that_are_not_an_image_are_refused_clearly() {
    let err = decode_image_bytes(b"otpauth://totp/not-an-image").unwrap_err();
    assert_eq!(err.code(), "unreadable_image");
    assert!(
        err.to_string().contains("PNG, JPEG, GIF, BMP or WebP"),
        "{err}"
    );
}

#[test]
fn an_image_claiming_huge_dimensions_is_refused_before_decoding() {
    // A BMP header for 20000×20000 pixels at 24 bits, with no pixel data.
    let mut bmp = Vec::new();
    bmp.extend_from_slice(b"BM");
    bmp.extend_from_slice(&(54u32 + 1).to_le_bytes());
    bmp.extend_from_slice(&[0; 4]);
    bmp.extend_from_slice(&54u32.to_le_bytes());
    bmp.extend_from_slice(&40u32.to_le_bytes());
    bmp.extend_from_slice(&20_000i32.to_le_bytes());
    bmp.extend_from_slice(&20_000i32.to_le_bytes());
    bmp.extend_from_slice(&1u16.to_le_bytes());
    bmp.extend_from_slice(&24u16.to_le_bytes());
    bmp.extend_from_slice(&[0; 24]);
    let err = decode_image_bytes(&bmp).unwrap_err();
    assert!(
        matches!(
            err,
            QrError::ImageTooLarge {
                width: 20_000,
                height: 20_000,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn an_image_without_a_code_gives_an_empty_list() {
    let blank = image::GrayImage::from_pixel(640, 480, image::Luma([200]));
    let mut bytes = Cursor::new(Vec::new());
    DynamicImage::ImageLuma8(blank)
        .write_to(&mut bytes, ImageFormat::Png)
        .unwrap();
    assert!(decode_image_bytes(bytes.get_ref()).unwrap().is_empty());
}
