//! What can go wrong reading or writing QR codes.

use countersign_oath::migration::MigrationError;

/// Why an image could not be read, the screen captured, or a QR code made.
///
/// Finding no QR code in a readable image is not an error: the decoders return an empty list.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QrError {
    /// The bytes are not an image in a supported format, or the image is damaged.
    #[error("this is not an image that can be read (PNG, JPEG, GIF, BMP or WebP): {0}")]
    UnreadableImage(String),
    /// The image is larger than the decoder accepts (a guard against decompression bombs).
    #[error("the image is too large to scan ({width}×{height} pixels; at most {max}×{max})")]
    ImageTooLarge {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// The largest side accepted.
        max: u32,
    },
    /// There is no display to capture (no `DISPLAY`/`WAYLAND_DISPLAY`, or the display server
    /// refused the connection).
    #[error("there is no screen to capture: {0}")]
    NoDisplay(String),
    /// The display server answered, but capturing failed (on Wayland the desktop portal may
    /// have refused the screenshot).
    #[error("the screen could not be captured: {0}")]
    Capture(String),
    /// The text does not fit in a QR code (more than 2,953 bytes at the lowest error correction).
    #[error("the text is too long for a QR code ({bytes} bytes)")]
    TooLong {
        /// Length of the text in bytes.
        bytes: usize,
    },
    /// An account cannot be written as a Google Authenticator transfer code (Steam, a period
    /// other than 30 s, digits other than 6 or 8).
    #[error("cannot make a Google Authenticator transfer code: {0}")]
    Transfer(#[from] MigrationError),
    /// Encoding the PNG failed.
    #[error("could not write the PNG image: {0}")]
    Png(String),
}

impl QrError {
    /// A stable snake_case code the UI and the CLI switch on.
    pub fn code(&self) -> &'static str {
        match self {
            QrError::UnreadableImage(_) => "unreadable_image",
            QrError::ImageTooLarge { .. } => "image_too_large",
            QrError::NoDisplay(_) => "no_display",
            QrError::Capture(_) => "screen_capture_failed",
            QrError::TooLong { .. } => "qr_text_too_long",
            QrError::Transfer(_) => "transfer_unsupported",
            QrError::Png(_) => "png_encode_failed",
        }
    }
}
