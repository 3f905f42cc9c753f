//! Image clean-up before decoding: halving (the scale pyramid), contrast stretching and a
//! block-wise local threshold in the manner of ZXing's hybrid binariser.
//!
//! All functions work on 8-bit luma (`GrayImage`), row-major, 0 = black.

use image::GrayImage;

/// Halves both sides, each output pixel the mean of a 2×2 block (odd edges dropped).
pub fn halve(image: &GrayImage) -> GrayImage {
    let (w, h) = (image.width() / 2, image.height() / 2);
    let src = image.as_raw();
    let stride = image.width() as usize;
    let mut out = Vec::with_capacity(w as usize * h as usize);
    for y in 0..h as usize {
        let top = &src[2 * y * stride..];
        let bottom = &src[(2 * y + 1) * stride..];
        for x in 0..w as usize {
            let sum = u16::from(top[2 * x])
                + u16::from(top[2 * x + 1])
                + u16::from(bottom[2 * x])
                + u16::from(bottom[2 * x + 1]);
            out.push(((sum + 2) / 4) as u8);
        }
    }
    // The buffer has exactly w * h bytes.
    GrayImage::from_raw(w, h, out).unwrap_or_else(|| GrayImage::new(0, 0))
}

/// Stretches the levels so the 1st percentile becomes black and the 99th white. Returns `None`
/// when the image already spans most of the range (nothing to gain).
pub fn stretch_contrast(image: &GrayImage) -> Option<GrayImage> {
    let mut histogram = [0u32; 256];
    for &p in image.as_raw() {
        histogram[p as usize] += 1;
    }
    let total = image.as_raw().len() as u64;
    let cut = total / 100;
    let (mut low, mut high) = (0usize, 255usize);
    let mut seen = 0u64;
    for (level, &count) in histogram.iter().enumerate() {
        seen += u64::from(count);
        if seen > cut {
            low = level;
            break;
        }
    }
    seen = 0;
    for (level, &count) in histogram.iter().enumerate().rev() {
        seen += u64::from(count);
        if seen > cut {
            high = level;
            break;
        }
    }
    if high <= low || high - low > 160 {
        return None;
    }
    let span = (high - low) as u32;
    let mut table = [0u8; 256];
    for (level, entry) in table.iter_mut().enumerate() {
        let clamped = level.clamp(low, high) - low;
        *entry = ((clamped as u32 * 255 + span / 2) / span) as u8;
    }
    let mut out = image.clone();
    for p in out.iter_mut() {
        *p = table[*p as usize];
    }
    Some(out)
}

/// Side of the square blocks the local threshold is computed over.
pub const BLOCK: usize = 8;
/// Smaller blocks, for low-contrast codes whose quiet zone is darker than the page around it
/// (an 8-pixel block average pulls the quiet zone into the finder patterns).
pub const SMALL_BLOCK: usize = 3;
/// A block whose levels span less than this is taken to be all one colour.
const MIN_DYNAMIC_RANGE: u32 = 24;

/// Binarises with a threshold per `block`×`block` square: the mean of the block averages in its 5×5
/// neighbourhood. Flat blocks take a level that keeps them with their neighbours. Returns
/// `true` for black. Images smaller than 5 blocks a side use one global mean.
pub fn local_threshold(image: &GrayImage, block: usize) -> Vec<bool> {
    let block = block.max(2);
    let (w, h) = (image.width() as usize, image.height() as usize);
    let src = image.as_raw();
    if w < block * 5 || h < block * 5 {
        let mean = src.iter().map(|&p| u64::from(p)).sum::<u64>() / (src.len().max(1) as u64);
        return src.iter().map(|&p| u64::from(p) <= mean).collect();
    }
    let (bw, bh) = (w.div_ceil(block), h.div_ceil(block));
    let mut averages = vec![0u32; bw * bh];
    for by in 0..bh {
        // The last row and column of blocks overlap the one before so they are whole.
        let y0 = (by * block).min(h - block);
        for bx in 0..bw {
            let x0 = (bx * block).min(w - block);
            let (mut sum, mut min, mut max) = (0u32, 255u32, 0u32);
            for row in src[y0 * w..].chunks(w).take(block) {
                for &p in &row[x0..x0 + block] {
                    let p = u32::from(p);
                    sum += p;
                    min = min.min(p);
                    max = max.max(p);
                }
            }
            let mut average = sum / (block * block) as u32;
            if max - min <= MIN_DYNAMIC_RANGE {
                // A flat block: assume it is background (light) unless its neighbours above
                // and to the left say the area is darker.
                average = min / 2;
                if by > 0 && bx > 0 {
                    let neighbours = (averages[(by - 1) * bw + bx]
                        + 2 * averages[by * bw + bx - 1]
                        + averages[(by - 1) * bw + bx - 1])
                        / 4;
                    if min < neighbours {
                        average = neighbours;
                    }
                }
            }
            averages[by * bw + bx] = average;
        }
    }
    let mut out = vec![false; w * h];
    for by in 0..bh {
        let y0 = (by * block).min(h - block);
        let cy = by.clamp(2, bh - 3);
        for bx in 0..bw {
            let x0 = (bx * block).min(w - block);
            let cx = bx.clamp(2, bw - 3);
            let mut sum = 0u32;
            for ny in cy - 2..=cy + 2 {
                for nx in cx - 2..=cx + 2 {
                    sum += averages[ny * bw + nx];
                }
            }
            let threshold = sum / 25;
            for y in y0..y0 + block {
                for x in x0..x0 + block {
                    out[y * w + x] = u32::from(src[y * w + x]) <= threshold;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halving_averages_two_by_two_blocks() {
        let image = GrayImage::from_raw(4, 2, vec![0, 255, 10, 10, 255, 0, 20, 20]).unwrap();
        let half = halve(&image);
        assert_eq!((half.width(), half.height()), (2, 1));
        assert_eq!(half.as_raw(), &[128, 15]);
    }

    #[test]
    fn low_contrast_is_stretched_to_the_full_range() {
        let image = GrayImage::from_fn(100, 100, |x, _| {
            image::Luma([if x < 50 { 100 } else { 140 }])
        });
        let stretched = stretch_contrast(&image).expect("a 40-level span is stretched");
        assert_eq!(stretched.get_pixel(0, 0).0[0], 0);
        assert_eq!(stretched.get_pixel(99, 0).0[0], 255);
    }

    #[test]
    fn local_threshold_separates_dark_from_light_under_a_gradient() {
        // A checkerboard of 4-pixel squares, lit from the left: light squares on the dark side
        // are darker than dark squares on the light side.
        let image = GrayImage::from_fn(200, 80, |x, y| {
            let light = (x / 4 + y / 4) % 2 == 0;
            let base = 40 + x * 160 / 200;
            image::Luma([if light { (base + 50) as u8 } else { base as u8 }])
        });
        let bits = local_threshold(&image, BLOCK);
        for (i, black) in bits.iter().enumerate() {
            let (x, y) = (i % 200, i / 200);
            assert_eq!(*black, (x / 4 + y / 4) % 2 == 1, "pixel {x},{y}");
        }
    }
}
