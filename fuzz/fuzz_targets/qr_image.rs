//! Image bytes into the QR decoder chain. Two shapes of input, chosen by the first byte:
//! even: an image file (PNG, JPEG, GIF, BMP, WebP) for `decode_image_bytes`;
//! odd: raw 8-bit luma, the next byte giving the width (1..=256), for the decoders directly
//! (where rqrr's known panics live: they must be contained, never escape).
#![no_main]

use countersign_core::qr;
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        // libfuzzer-sys aborts on every panic, even one the decoder chain catches on purpose
        // (rqrr's known panics are contained with `catch_unwind`). Keep panics quiet instead: a
        // panic that escapes still unwinds into libFuzzer's C frame, which aborts: a crash.
        std::panic::set_hook(Box::new(|_| {}));
    },
    |data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode % 2 == 0 {
        if let Ok(found) = qr::decode_image_bytes(rest) {
            for decoded in found {
                let _ = decoded.content.to_string();
            }
        }
    } else if let Some((&width, pixels)) = rest.split_first() {
        let width = u32::from(width) + 1;
        let height = (pixels.len() as u32) / width;
        if height == 0 {
            return;
        }
        let pixels = pixels[..(width * height) as usize].to_vec();
        let image = image::GrayImage::from_raw(width, height, pixels).expect("sized above");
        for decoded in qr::decode_gray(&image) {
            let _ = decoded.content.to_string();
        }
    }
});
