//! Finding and reading every QR code in an image.
//!
//! The chain, cheapest first; it stops after the first pass that reads at least one code, then
//! looks for more codes at that scale (step 4):
//!
//! 0. **Fast pass** (feature `qr-rxing`): rxing's multi-code QR reader, one hybrid
//!    binarisation, on the image (halved while above [`FAST_PASS_PIXELS`]). Screenshots and
//!    camera frames usually end here, every code read in a few milliseconds.
//! 1. **Scale pyramid.** The image is halved until its longer side is at most
//!    [`FIRST_PASS_SIDE`] pixels. Large photos and screenshots are read there first (fast,
//!    and halving averages out sensor noise); then each larger level up to full size (small
//!    or dense codes need the resolution); then the smaller levels (very blurry codes become
//!    sharp when shrunk).
//! 2. **Binarisations** at each level: rqrr's own moving-average threshold, then the same on
//!    the inverted image (light codes on dark backgrounds), then a block-wise local threshold
//!    after contrast stretching (uneven light, low contrast), plain and inverted.
//! 3. **rxing** (feature `qr-rxing`), a port of ZXing, on the full image, when rqrr read
//!    nothing at any level. It recovers dense codes under perspective or blur that rqrr's
//!    grid sampling misses.
//!
//! 4. **Several codes.** rqrr groups finder patterns greedily and often reads one code of
//!    several. The codes read are painted over (with their quiet zone) and the level is read
//!    again, by rqrr's threshold and by the local one, until a round finds nothing new.
//!
//! rqrr panics on some malformed grids (rqrr issue #54); every call runs under
//! `catch_unwind`, and a panic counts as "nothing read" for that pass.

use std::fmt;
use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};

use image::{DynamicImage, GrayImage, ImageReader};
use zeroize::Zeroizing;

use super::preprocess::{halve, local_threshold, stretch_contrast, BLOCK, SMALL_BLOCK};
use super::{Content, QrError};

/// The longer side the first, fast pass works at.
pub const FIRST_PASS_SIDE: u32 = 1024;
/// The largest image side accepted (larger files are refused before decoding).
pub const MAX_SIDE: u32 = 16_384;
/// The most memory image decoding may allocate.
const MAX_ALLOC: u64 = 512 * 1024 * 1024;
/// Pyramid levels below this longer side are not tried (a QR code needs 21+ modules).
const MIN_SIDE: u32 = 64;

/// One QR code read from an image: its text and what the text is.
///
/// `Debug` does not show the text (it usually holds a secret).
pub struct Decoded {
    text: Zeroizing<String>,
    /// The text, classified.
    pub content: Content,
    /// Which decoder read it.
    pub engine: Engine,
}

impl Decoded {
    /// Classifies a decoded text.
    pub fn new(text: String, engine: Engine) -> Decoded {
        let content = Content::classify(&text);
        Decoded {
            text: Zeroizing::new(text),
            content,
            engine,
        }
    }

    /// The code's text exactly as read (may contain a secret).
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for Decoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoded")
            .field("text", &"..redacted..")
            .field("content", &self.content)
            .field("engine", &self.engine)
            .finish()
    }
}

/// The decoder that read a code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Engine {
    /// rqrr (a Rust port of quirc), with this module's pre-processing.
    Rqrr,
    /// rxing (a Rust port of ZXing), the fallback.
    Rxing,
}

/// Which decoders to run; [`Chain::default`] is the best this build has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Chain {
    /// rqrr with the scale pyramid and binarisations only.
    Rqrr,
    /// Then rxing when rqrr read nothing (needs feature `qr-rxing`; without it, as `Rqrr`).
    RqrrThenRxing,
    /// Only rxing on the full image (for comparison in the benchmark).
    Rxing,
    /// The fast pass first (rxing's multi-code QR reader on the image, or on a halved copy of a
    /// large one), then [`Chain::RqrrThenRxing`] when it reads nothing. Without feature
    /// `qr-rxing`, as `Rqrr`.
    #[default]
    FastThenRqrrThenRxing,
}

/// Reads every QR code in an image file's bytes (PNG, JPEG, GIF, BMP, WebP).
pub fn decode_image_bytes(bytes: &[u8]) -> Result<Vec<Decoded>, QrError> {
    // First the header only, without limits, so an oversized image gets its own error.
    let (width, height) = reader(bytes, image::Limits::no_limits())?
        .into_dimensions()
        .map_err(|err| QrError::UnreadableImage(err.to_string()))?;
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(QrError::ImageTooLarge {
            width,
            height,
            max: MAX_SIDE,
        });
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    let image = reader(bytes, limits)?
        .decode()
        .map_err(|err| QrError::UnreadableImage(err.to_string()))?;
    Ok(decode_image(&image))
}

fn reader(bytes: &[u8], limits: image::Limits) -> Result<ImageReader<Cursor<&[u8]>>, QrError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|err| QrError::UnreadableImage(err.to_string()))?;
    if reader.format().is_none() {
        return Err(QrError::UnreadableImage(
            "the file's format is not recognised".to_owned(),
        ));
    }
    reader.limits(limits);
    Ok(reader)
}

/// Reads every QR code in a decoded image (a camera frame, a pasted or captured image).
pub fn decode_image(image: &DynamicImage) -> Vec<Decoded> {
    decode_gray(&flatten_to_luma(image))
}

/// Reads every QR code in a raw 8-bit greyscale frame (`width × height` bytes, row by row), such
/// as a camera frame the UI converted to luma.
pub fn decode_luma(width: u32, height: u32, luma: Vec<u8>) -> Result<Vec<Decoded>, QrError> {
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(QrError::ImageTooLarge {
            width,
            height,
            max: MAX_SIDE,
        });
    }
    let expected = width as usize * height as usize;
    if luma.len() != expected {
        return Err(QrError::UnreadableImage(format!(
            "a {width}×{height} grey frame has {expected} bytes, not {}",
            luma.len()
        )));
    }
    let image = GrayImage::from_raw(width, height, luma).ok_or_else(|| {
        QrError::UnreadableImage(format!("the frame is not {width}×{height} bytes"))
    })?;
    Ok(decode_gray(&image))
}

/// Reads every QR code in a greyscale image with the default chain.
pub fn decode_gray(image: &GrayImage) -> Vec<Decoded> {
    decode_texts(image, Chain::default())
        .into_iter()
        .map(|(text, engine)| Decoded::new(text.to_string(), engine))
        .collect()
}

/// Reads every QR code's text with the given chain, each text once, in the order found.
pub fn decode_texts(image: &GrayImage, chain: Chain) -> Vec<(Zeroizing<String>, Engine)> {
    if image.width() == 0 || image.height() == 0 {
        return Vec::new();
    }
    if chain == Chain::FastThenRqrrThenRxing {
        let found = fast_pass(image);
        if !found.is_empty() {
            return found
                .into_iter()
                .map(|text| (text, Engine::Rxing))
                .collect();
        }
    }
    if chain != Chain::Rxing {
        let found = rqrr_chain(image);
        if !found.is_empty() {
            return found.into_iter().map(|text| (text, Engine::Rqrr)).collect();
        }
    }
    if chain != Chain::Rqrr {
        return rxing_pass(image)
            .into_iter()
            .map(|text| (text, Engine::Rxing))
            .collect();
    }
    Vec::new()
}

/// Converts to luma, compositing transparent pixels onto white (a transparent PNG of a code
/// would otherwise turn its background black).
fn flatten_to_luma(image: &DynamicImage) -> GrayImage {
    if !image.color().has_alpha() {
        return image.to_luma8();
    }
    let rgba = image.to_rgba8();
    GrayImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        // Rec. 601 luma, then blend with white by alpha.
        let luma = (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000;
        let blended = (luma * u32::from(a) + 255 * (255 - u32::from(a))) / 255;
        image::Luma([blended as u8])
    })
}

fn rqrr_chain(image: &GrayImage) -> Vec<Zeroizing<String>> {
    // levels[0] is full size, each next one half the one before.
    let mut levels = vec![image.clone()];
    while levels
        .last()
        .is_some_and(|level| level.width().max(level.height()) / 2 >= MIN_SIDE)
    {
        let next = halve(levels.last().expect("levels is never empty"));
        levels.push(next);
    }
    let first = levels
        .iter()
        .position(|level| level.width().max(level.height()) <= FIRST_PASS_SIDE)
        .unwrap_or(levels.len() - 1);
    let order: Vec<usize> = (0..=first).rev().chain(first + 1..levels.len()).collect();

    for pass in PASSES {
        for &index in &order {
            let level = &levels[index];
            let found = pass(level);
            if found.is_empty() {
                continue;
            }
            return complete(level, found)
                .into_iter()
                .map(|(text, _)| text)
                .collect();
        }
    }
    Vec::new()
}

/// A text read by rqrr and where its code is (corners in the level's pixels).
type Found = (Zeroizing<String>, [rqrr::Point; 4]);
type Pass = fn(&GrayImage) -> Vec<Found>;

/// The binarisations, cheapest first.
const PASSES: [Pass; 5] = [
    |level| rqrr_grey(level, false),
    |level| rqrr_grey(level, true),
    |level| rqrr_bits(&local_threshold(&stretched(level), BLOCK), level, false),
    |level| rqrr_bits(&local_threshold(&stretched(level), BLOCK), level, true),
    |level| {
        rqrr_bits(
            &local_threshold(&stretched(level), SMALL_BLOCK),
            level,
            false,
        )
    },
];

/// The most codes looked for in one image (each round masks what was read and looks again).
const MAX_ROUNDS: usize = 8;

/// Several codes in one image: rqrr groups finder patterns greedily and often reads only one
/// of several codes. The codes read are painted over (with their quiet zone) and the level is
/// read again, by rqrr's threshold and by the local one, until a round reads nothing new.
fn complete(level: &GrayImage, mut found: Vec<Found>) -> Vec<Found> {
    let mut masked = level.clone();
    let mut painted = 0;
    for _ in 0..MAX_ROUNDS {
        for (_, corners) in &found[painted..] {
            paint_over(&mut masked, corners);
        }
        painted = found.len();
        let mut new = false;
        for pass in [PASSES[0], PASSES[2]] {
            for (text, corners) in pass(&masked) {
                if !found.iter().any(|(seen, _)| seen.as_str() == text.as_str()) {
                    found.push((text, corners));
                    new = true;
                }
            }
            if new {
                break;
            }
        }
        if !new {
            break;
        }
    }
    found
}

/// Paints a code's quadrilateral, grown by a fifth around its centre (the quiet zone and a
/// margin), in the level's light colour, so the next round does not see its finder patterns.
fn paint_over(image: &mut GrayImage, corners: &[rqrr::Point; 4]) {
    let (cx, cy) = corners.iter().fold((0.0, 0.0), |(x, y), p| {
        (x + f64::from(p.x) / 4.0, y + f64::from(p.y) / 4.0)
    });
    let grown: Vec<(f64, f64)> = corners
        .iter()
        .map(|p| {
            (
                cx + (f64::from(p.x) - cx) * 1.2,
                cy + (f64::from(p.y) - cy) * 1.2,
            )
        })
        .collect();
    let (w, h) = (f64::from(image.width()), f64::from(image.height()));
    let clamp = |v: f64, max: f64| v.clamp(0.0, max) as u32;
    let x0 = clamp(grown.iter().map(|p| p.0).fold(f64::MAX, f64::min), w);
    let x1 = clamp(grown.iter().map(|p| p.0).fold(f64::MIN, f64::max) + 1.0, w);
    let y0 = clamp(grown.iter().map(|p| p.1).fold(f64::MAX, f64::min), h);
    let y1 = clamp(grown.iter().map(|p| p.1).fold(f64::MIN, f64::max) + 1.0, h);
    // The quad is convex: a pixel is inside when it is on the same side of all four edges.
    let side = |a: (f64, f64), b: (f64, f64), x: f64, y: f64| {
        (b.0 - a.0) * (y - a.1) - (b.1 - a.1) * (x - a.0)
    };
    let light = 255u8;
    for y in y0..y1 {
        for x in x0..x1 {
            let (px, py) = (f64::from(x) + 0.5, f64::from(y) + 0.5);
            let signs: Vec<f64> = (0..4)
                .map(|i| side(grown[i], grown[(i + 1) % 4], px, py))
                .collect();
            if signs.iter().all(|s| *s >= 0.0) || signs.iter().all(|s| *s <= 0.0) {
                image.put_pixel(x, y, image::Luma([light]));
            }
        }
    }
}

/// The level with its contrast stretched, or as it is when that gains nothing.
fn stretched(level: &GrayImage) -> std::borrow::Cow<'_, GrayImage> {
    match stretch_contrast(level) {
        Some(image) => std::borrow::Cow::Owned(image),
        None => std::borrow::Cow::Borrowed(level),
    }
}

/// Reads every grid rqrr detects in a prepared image. (A macro: rqrr's buffer trait is private,
/// so a function cannot name the prepared image's type.)
macro_rules! read_grids {
    ($prepared:expr) => {{
        let mut prepared = $prepared;
        let mut found: Vec<Found> = Vec::new();
        for grid in prepared.detect_grids() {
            if let Ok((_, text)) = grid.decode() {
                let text = Zeroizing::new(text);
                if !found.iter().any(|(seen, _)| seen.as_str() == text.as_str()) {
                    found.push((text, grid.bounds));
                }
            }
        }
        found
    }};
}

/// rqrr with its own thresholding.
fn rqrr_grey(image: &GrayImage, invert: bool) -> Vec<Found> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let raw = image.as_raw();
    guarded(|| {
        let flip = if invert { 255 } else { 0 };
        read_grids!(rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
            flip ^ raw[y * w + x]
        }))
    })
}

/// rqrr on a bitmap binarised here (`true` = black).
fn rqrr_bits(bits: &[bool], image: &GrayImage, invert: bool) -> Vec<Found> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    guarded(|| {
        read_grids!(rqrr::PreparedImage::prepare_from_bitmap(w, h, |x, y| {
            bits[y * w + x] != invert
        }))
    })
}

/// Runs a decoder, turning a panic into "nothing found".
fn guarded<T>(decode: impl FnOnce() -> Vec<T>) -> Vec<T> {
    catch_unwind(AssertUnwindSafe(decode)).unwrap_or_default()
}

fn push_unique(texts: &mut Vec<Zeroizing<String>>, text: Zeroizing<String>) {
    if !texts.iter().any(|seen| **seen == *text) {
        texts.push(text);
    }
}

#[cfg(feature = "qr-rxing")]
fn rxing_pass(image: &GrayImage) -> Vec<Zeroizing<String>> {
    use rxing::{BarcodeFormat, DecodeHints};
    let (w, h) = (image.width(), image.height());
    let luma = image.as_raw().clone();
    guarded(move || {
        let mut hints = DecodeHints {
            PossibleFormats: Some(std::iter::once(BarcodeFormat::QR_CODE).collect()),
            TryHarder: Some(true),
            AlsoInverted: Some(true),
            ..DecodeHints::default()
        };
        let mut texts = Vec::new();
        match rxing::helpers::detect_multiple_in_luma_with_hints(luma.clone(), w, h, &mut hints) {
            Ok(results) => {
                for result in results {
                    if *result.getBarcodeFormat() == BarcodeFormat::QR_CODE {
                        push_unique(&mut texts, Zeroizing::new(result.getText().to_owned()));
                    }
                }
            }
            Err(_) => {
                if let Ok(result) = rxing::helpers::detect_in_luma_with_hints(
                    luma,
                    w,
                    h,
                    Some(BarcodeFormat::QR_CODE),
                    &mut hints,
                ) {
                    push_unique(&mut texts, Zeroizing::new(result.getText().to_owned()));
                }
            }
        }
        texts
    })
}

#[cfg(not(feature = "qr-rxing"))]
fn rxing_pass(_image: &GrayImage) -> Vec<Zeroizing<String>> {
    Vec::new()
}

/// The most pixels the fast pass reads; larger images are halved until they fit (a 4K screen
/// is read at 1920×1080, a 12-megapixel photo at 2000×1500).
pub const FAST_PASS_PIXELS: u64 = 2560 * 1600;

/// The fast pass: rxing's QR multi reader (ZXing's `QRCodeMultiReader`: one hybrid
/// binarisation, every finder-pattern triple) on the image at most [`FAST_PASS_PIXELS`]. It
/// reads a clean screenshot's codes, all of them, in a few milliseconds; what it misses (low
/// contrast, light on dark, heavy blur, dense codes under perspective) goes on to the rqrr
/// chain.
#[cfg(feature = "qr-rxing")]
fn fast_pass(image: &GrayImage) -> Vec<Zeroizing<String>> {
    use rxing::common::HybridBinarizer;
    use rxing::multi::qrcode::QRCodeMultiReader;
    use rxing::multi::MultipleBarcodeReader;
    use rxing::{BarcodeFormat, BinaryBitmap, DecodeHints, Luma8LuminanceSource};

    let mut level = std::borrow::Cow::Borrowed(image);
    while u64::from(level.width()) * u64::from(level.height()) > FAST_PASS_PIXELS {
        level = std::borrow::Cow::Owned(halve(&level));
    }
    let (w, h) = (level.width(), level.height());
    let luma = level.into_owned().into_raw();
    guarded(move || {
        let hints = DecodeHints {
            PossibleFormats: Some(std::iter::once(BarcodeFormat::QR_CODE).collect()),
            TryHarder: Some(true),
            ..DecodeHints::default()
        };
        let Ok(source) = Luma8LuminanceSource::new(luma, w, h) else {
            return Vec::new();
        };
        let mut bitmap = BinaryBitmap::new(HybridBinarizer::new(source));
        let mut texts = Vec::new();
        if let Ok(results) =
            QRCodeMultiReader::new().decode_multiple_with_hints(&mut bitmap, &hints)
        {
            for result in results {
                push_unique(&mut texts, Zeroizing::new(result.getText().to_owned()));
            }
        }
        texts
    })
}

#[cfg(not(feature = "qr-rxing"))]
fn fast_pass(_image: &GrayImage) -> Vec<Zeroizing<String>> {
    Vec::new()
}
