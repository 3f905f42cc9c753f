//! A generated QR corpus: the same codes under the distortions phones, cameras and other apps
//! produce. Deterministic (seeded), so decode rates are comparable between runs and decoders.
//!
//! Shared by the corpus tests (`tests/qr_corpus_rates.rs`), the benchmark (`benches/qr.rs`,
//! which also writes the images and a manifest for the zbar / zxing-cpp comparison).
#![allow(dead_code)]

use countersign_oath::{migration, Algorithm, Digits, KeyUri, Otp, Period, Secret};
use image::{GrayImage, Luma};
use qrcode::{Color, EcLevel, QrCode};

/// One corpus image and the texts of the codes in it.
pub struct Sample {
    /// The distortion family (`clean`, `rotation`, ...).
    pub category: &'static str,
    /// A file-name-safe id, unique in the corpus.
    pub name: String,
    /// The image.
    pub image: GrayImage,
    /// Every code's text.
    pub texts: Vec<String>,
}

/// How big the corpus is.
#[derive(Clone, Copy)]
pub struct Size {
    /// Images per category.
    pub per_category: usize,
    /// Canvas for the screen-like categories (the benchmark uses 1920×1080).
    pub canvas: (u32, u32),
    /// Canvas for the photo category.
    pub photo: (u32, u32),
}

impl Size {
    /// Small enough for an unoptimised test build.
    pub const TEST: Size = Size {
        per_category: 12,
        canvas: (800, 600),
        photo: (2000, 1500),
    };
    /// The benchmark corpus.
    pub const BENCH: Size = Size {
        per_category: 30,
        canvas: (1920, 1080),
        photo: (4000, 3000),
    };
}

/// Every category, in report order.
pub const CATEGORIES: &[&str] = &[
    "clean",
    "rotation",
    "perspective",
    "blur",
    "noise",
    "low_contrast",
    "inverted",
    "scale",
    "dense",
    "multiple",
    "photo",
];

/// Builds the corpus.
pub fn generate(size: Size, seed: u64) -> Vec<Sample> {
    let mut rng = Rng(seed | 1);
    let mut out = Vec::new();
    for &category in CATEGORIES {
        for i in 0..size.per_category {
            out.push(sample(category, i, size, &mut rng));
        }
    }
    out
}

fn sample(category: &'static str, index: usize, size: Size, rng: &mut Rng) -> Sample {
    let (cw, ch) = if category == "photo" {
        size.photo
    } else {
        size.canvas
    };
    let mut canvas = Canvas::new(cw, ch, 235, rng);
    let light = 250.0;
    let dark = 20.0;
    let mut texts = Vec::new();
    match category {
        "multiple" => {
            let count = 2 + index % 3;
            let cell = cw / count as u32;
            for k in 0..count {
                let text = account_uri(rng);
                let code = modules(&text);
                let module = rng.range(3.0, 5.0);
                let side = module * code.width as f64;
                let cx = cell as f64 * (k as f64 + 0.5);
                let cy = ch as f64 / 2.0 + rng.range(-0.2, 0.2) * ch as f64;
                let quad = square(cx, cy, side, rng.range(-0.3, 0.3));
                canvas.draw(&code, &quad, dark, light);
                texts.push(text);
            }
        }
        _ => {
            let text = if category == "dense" {
                dense_uri(rng)
            } else {
                account_uri(rng)
            };
            let code = modules(&text);
            let module = match category {
                "scale" => {
                    // From barely resolvable to a code filling most of the frame.
                    let most = (ch as f64 * 0.9) / code.width as f64;
                    [2.0, 2.5, 3.0, most * 0.5, most][index % 5].min(most)
                }
                "dense" => rng.range(3.0, 4.0),
                "photo" => (ch as f64 * rng.range(0.25, 0.6)) / code.width as f64,
                _ => rng.range(4.0, 7.0),
            };
            let side = module * code.width as f64;
            let margin = side * 0.75;
            let cx = rng.range(margin, (cw as f64 - margin).max(margin + 1.0));
            let cy = rng.range(margin, (ch as f64 - margin).max(margin + 1.0));
            let angle = match category {
                "rotation" => rng.range(0.0, std::f64::consts::TAU),
                "perspective" | "photo" => rng.range(-0.3, 0.3),
                "dense" => rng.range(-0.1, 0.1),
                _ => 0.0,
            };
            let mut quad = square(cx, cy, side, angle);
            if category == "perspective" || category == "photo" {
                let jitter = side * if category == "photo" { 0.08 } else { 0.15 };
                for corner in &mut quad {
                    corner.0 += rng.range(-jitter, jitter);
                    corner.1 += rng.range(-jitter, jitter);
                }
            }
            let (dark, light) = match category {
                "low_contrast" => {
                    let d = rng.range(90.0, 120.0);
                    (d, d + rng.range(30.0, 45.0))
                }
                "inverted" => (light, dark),
                _ => (dark, light),
            };
            if category == "inverted" {
                canvas.fill(30);
            }
            canvas.draw(&code, &quad, dark, light);
            texts.push(text);
        }
    }
    let mut image = canvas.finish();
    match category {
        "blur" => image = image::imageops::blur(&image, rng.range(1.0, 2.2) as f32),
        "noise" => add_noise(&mut image, rng.range(15.0, 35.0), rng),
        "photo" => {
            image = image::imageops::blur(&image, rng.range(1.0, 3.0) as f32);
            add_noise(&mut image, 8.0, rng);
            add_shading(&mut image, rng);
        }
        "low_contrast" => add_noise(&mut image, 4.0, rng),
        _ => {}
    }
    Sample {
        category,
        name: format!("{category}-{index:03}"),
        image,
        texts,
    }
}

/// A code's modules, dark = true, without quiet zone.
pub struct Modules {
    /// Modules per side.
    pub width: usize,
    dark: Vec<bool>,
}

/// Encodes text at error correction M (what Countersign and most sites use).
pub fn modules(text: &str) -> Modules {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .expect("corpus texts fit a QR code");
    Modules {
        width: code.width(),
        dark: code
            .to_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect(),
    }
}

/// The QR version of a text at error correction M.
pub fn version(text: &str) -> i16 {
    match QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .expect("corpus texts fit a QR code")
        .version()
    {
        qrcode::Version::Normal(v) | qrcode::Version::Micro(v) => v,
    }
}

/// A realistic `otpauth://` URI with a random secret and label.
pub fn account_uri(rng: &mut Rng) -> String {
    key_uri(rng).to_uri()
}

fn key_uri(rng: &mut Rng) -> KeyUri {
    const ISSUERS: &[&str] = &[
        "GitHub",
        "Example Bank",
        "Proton",
        "AWS",
        "Nextcloud",
        "Bitwarden",
    ];
    let secret: Vec<u8> = (0..[10, 20, 32][rng.below(3)])
        .map(|_| rng.next() as u8)
        .collect();
    let issuer = ISSUERS[rng.below(ISSUERS.len())];
    KeyUri {
        otp: Otp::new_totp(
            Secret::from_bytes(secret),
            Algorithm::Sha1,
            Digits::new(6).expect("6 digits"),
            Period::new(30).expect("30 s"),
        ),
        issuer: Some(issuer.to_owned()),
        account: format!("user{}@example.com", rng.below(100_000)),
        image: None,
        extra: Vec::new(),
    }
}

/// A Google Authenticator transfer code of 10 accounts (version 20 and up at level M).
pub fn dense_uri(rng: &mut Rng) -> String {
    let accounts: Vec<KeyUri> = (0..10).map(|_| key_uri(rng)).collect();
    migration::encode(&accounts, 10)
        .expect("TOTP accounts encode")
        .remove(0)
}

/// Four corners (top-left, top-right, bottom-right, bottom-left) of a square.
fn square(cx: f64, cy: f64, side: f64, angle: f64) -> [(f64, f64); 4] {
    let (s, c) = angle.sin_cos();
    let h = side / 2.0;
    [(-h, -h), (h, -h), (h, h), (-h, h)].map(|(x, y)| (cx + x * c - y * s, cy + x * s + y * c))
}

struct Canvas {
    width: u32,
    height: u32,
    pixels: Vec<f64>,
}

impl Canvas {
    /// A light canvas with some darker "window" rectangles, like a desktop.
    fn new(width: u32, height: u32, level: u8, rng: &mut Rng) -> Canvas {
        let mut canvas = Canvas {
            width,
            height,
            pixels: vec![f64::from(level); (width * height) as usize],
        };
        for _ in 0..4 {
            let (x0, y0) = (
                rng.below(width as usize) as u32,
                rng.below(height as usize) as u32,
            );
            let (w, h) = (
                rng.below(width as usize / 3) as u32,
                rng.below(height as usize / 8) as u32,
            );
            let shade = rng.range(150.0, 220.0);
            for y in y0..(y0 + h).min(height) {
                for x in x0..(x0 + w).min(width) {
                    canvas.pixels[(y * width + x) as usize] = shade;
                }
            }
        }
        canvas
    }

    fn fill(&mut self, level: u8) {
        self.pixels.fill(f64::from(level));
    }

    /// Draws a code (with a 4-module quiet zone) so that its outer corners land on `quad`,
    /// through the projective map of the unit square onto the quad; 3×3 supersampled.
    fn draw(&mut self, code: &Modules, quad: &[(f64, f64); 4], dark: f64, light: f64) {
        let n = code.width as f64 + 8.0;
        let inverse = invert(&square_to_quad(quad));
        let xs = quad.iter().map(|p| p.0);
        let ys = quad.iter().map(|p| p.1);
        let x0 = xs.clone().fold(f64::MAX, f64::min).floor().max(0.0) as u32;
        let x1 = (xs.fold(f64::MIN, f64::max).ceil() as u32).min(self.width);
        let y0 = ys.clone().fold(f64::MAX, f64::min).floor().max(0.0) as u32;
        let y1 = (ys.fold(f64::MIN, f64::max).ceil() as u32).min(self.height);
        for y in y0..y1 {
            for x in x0..x1 {
                let (mut inside, mut sum) = (0u32, 0.0);
                for sy in 0..3 {
                    for sx in 0..3 {
                        let px = f64::from(x) + (f64::from(sx) + 0.5) / 3.0;
                        let py = f64::from(y) + (f64::from(sy) + 0.5) / 3.0;
                        let (u, v) = apply(&inverse, px, py);
                        if !(0.0..1.0).contains(&u) || !(0.0..1.0).contains(&v) {
                            continue;
                        }
                        inside += 1;
                        let (mx, my) = ((u * n) as i64 - 4, (v * n) as i64 - 4);
                        let w = code.width as i64;
                        let is_dark = (0..w).contains(&mx)
                            && (0..w).contains(&my)
                            && code.dark[(my * w + mx) as usize];
                        sum += if is_dark { dark } else { light };
                    }
                }
                if inside > 0 {
                    let index = (y * self.width + x) as usize;
                    let covered = f64::from(inside) / 9.0;
                    self.pixels[index] =
                        self.pixels[index] * (1.0 - covered) + sum / f64::from(inside) * covered;
                }
            }
        }
    }

    fn finish(self) -> GrayImage {
        let raw = self
            .pixels
            .iter()
            .map(|p| p.round().clamp(0.0, 255.0) as u8)
            .collect();
        GrayImage::from_raw(self.width, self.height, raw).expect("buffer matches size")
    }
}

/// Heckbert's closed form: the projective map taking the unit square's corners (0,0), (1,0),
/// (1,1), (0,1) to `q[0..4]`.
fn square_to_quad(q: &[(f64, f64); 4]) -> [[f64; 3]; 3] {
    let (x0, y0) = q[0];
    let (x1, y1) = q[1];
    let (x2, y2) = q[2];
    let (x3, y3) = q[3];
    let sx = x0 - x1 + x2 - x3;
    let sy = y0 - y1 + y2 - y3;
    let (dx1, dx2, dy1, dy2) = (x1 - x2, x3 - x2, y1 - y2, y3 - y2);
    let det = dx1 * dy2 - dx2 * dy1;
    let g = (sx * dy2 - dx2 * sy) / det;
    let h = (dx1 * sy - sx * dy1) / det;
    [
        [x1 - x0 + g * x1, x3 - x0 + h * x3, x0],
        [y1 - y0 + g * y1, y3 - y0 + h * y3, y0],
        [g, h, 1.0],
    ]
}

fn invert(m: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let [[a, b, c], [d, e, f], [g, h, i]] = *m;
    let det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
    [
        [
            (e * i - f * h) / det,
            (c * h - b * i) / det,
            (b * f - c * e) / det,
        ],
        [
            (f * g - d * i) / det,
            (a * i - c * g) / det,
            (c * d - a * f) / det,
        ],
        [
            (d * h - e * g) / det,
            (b * g - a * h) / det,
            (a * e - b * d) / det,
        ],
    ]
}

fn apply(m: &[[f64; 3]; 3], x: f64, y: f64) -> (f64, f64) {
    let w = m[2][0] * x + m[2][1] * y + m[2][2];
    (
        (m[0][0] * x + m[0][1] * y + m[0][2]) / w,
        (m[1][0] * x + m[1][1] * y + m[1][2]) / w,
    )
}

fn add_noise(image: &mut GrayImage, sigma: f64, rng: &mut Rng) {
    for p in image.pixels_mut() {
        let value = f64::from(p.0[0]) + rng.gaussian() * sigma;
        *p = Luma([value.round().clamp(0.0, 255.0) as u8]);
    }
}

/// Uneven light: a linear ramp across the frame, as a photo of a screen or paper has.
fn add_shading(image: &mut GrayImage, rng: &mut Rng) {
    let (w, h) = (f64::from(image.width()), f64::from(image.height()));
    let (ax, ay) = (rng.range(-0.5, 0.5), rng.range(-0.5, 0.5));
    for (x, y, p) in image.enumerate_pixels_mut() {
        let factor = 1.0 + ax * (f64::from(x) / w - 0.5) + ay * (f64::from(y) / h - 0.5);
        *p = Luma([(f64::from(p.0[0]) * factor).round().clamp(0.0, 255.0) as u8]);
    }
}

/// xorshift64*: small, seeded, good enough for test images.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[low, high)`.
    pub fn range(&mut self, low: f64, high: f64) -> f64 {
        low + (self.next() >> 11) as f64 / (1u64 << 53) as f64 * (high - low)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// Standard normal (Box–Muller).
    pub fn gaussian(&mut self) -> f64 {
        let u = self.range(f64::MIN_POSITIVE, 1.0);
        let v = self.range(0.0, 1.0);
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}
