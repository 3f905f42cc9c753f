//! Capturing every monitor (xcap) and reading the QR codes on them. Frames stay in memory;
//! nothing is written to disk.

use image::{DynamicImage, RgbaImage};

use super::{decode_image, Decoded, QrError};

/// Captures every monitor, in the order the display server lists them.
///
/// On Linux this needs an X11 display (`DISPLAY`) or a Wayland session whose desktop portal
/// allows screenshots (`WAYLAND_DISPLAY`); without either it fails with
/// [`QrError::NoDisplay`] instead of trying.
pub fn capture_screens() -> Result<Vec<RgbaImage>, QrError> {
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
        if !set("DISPLAY") && !set("WAYLAND_DISPLAY") {
            return Err(QrError::NoDisplay(
                "neither DISPLAY nor WAYLAND_DISPLAY is set (is this a graphical session?)"
                    .to_owned(),
            ));
        }
    }
    let monitors = xcap::Monitor::all().map_err(|err| QrError::NoDisplay(err.to_string()))?;
    if monitors.is_empty() {
        return Err(QrError::NoDisplay(
            "the display server reports no monitors".to_owned(),
        ));
    }
    monitors
        .iter()
        .map(|monitor| {
            monitor
                .capture_image()
                .map_err(|err| QrError::Capture(err.to_string()))
        })
        .collect()
}

/// Captures every monitor and reads every QR code on them (each text once).
pub fn scan_screens() -> Result<Vec<Decoded>, QrError> {
    let mut found: Vec<Decoded> = Vec::new();
    for frame in capture_screens()? {
        for decoded in decode_image(&DynamicImage::ImageRgba8(frame)) {
            if !found.iter().any(|seen| seen.text() == decoded.text()) {
                found.push(decoded);
            }
        }
    }
    Ok(found)
}
