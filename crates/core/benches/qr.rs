//! QR decoding on the generated corpus: decode rate and median time per image, per distortion
//! and per decoder chain. Targets (issue 4): a decode rate at least zxing-cpp's on the same
//! images, and a median of at most 15 ms for a 1920×1080 frame.
//!
//! `cargo bench -p countersign-core --bench qr` prints the table and writes the corpus (PNG
//! files and `manifest.json`) to `$QR_CORPUS_DIR` (default `target/qr-corpus`), where
//! `benches/qr-compare/compare.py` runs zbar and zxing-cpp on the same files. Set
//! `QR_BENCH_PER_CATEGORY` for a smaller or larger corpus.

#[path = "../tests/qr_corpus/mod.rs"]
mod qr_corpus;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use countersign_core::qr::decode::{decode_texts, Chain};
use qr_corpus::{generate, Size, CATEGORIES};

const RUNS: usize = 3;

/// Per category: images read, images, median time of each image in ms.
type Tally = BTreeMap<&'static str, (usize, usize, Vec<f64>)>;

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let per_category = std::env::var("QR_BENCH_PER_CATEGORY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(Size::BENCH.per_category);
    let size = Size {
        per_category,
        ..Size::BENCH
    };
    let started = Instant::now();
    let corpus = generate(size, 0xC0FFEE);
    eprintln!(
        "generated {} images in {:.1} s",
        corpus.len(),
        started.elapsed().as_secs_f64()
    );
    write_corpus(&corpus);

    let chains = [
        ("rqrr+pre", Chain::Rqrr),
        ("rqrr+pre→rxing", Chain::RqrrThenRxing),
        ("rxing", Chain::Rxing),
        (
            "fast→rqrr+pre→rxing (default)",
            Chain::FastThenRqrrThenRxing,
        ),
    ];
    // results[chain][category] = (read, total, times in ms)
    let mut results: Vec<Tally> = vec![BTreeMap::new(); chains.len()];
    let mut screen_times: Vec<Vec<f64>> = vec![Vec::new(); chains.len()];
    for sample in &corpus {
        for (c, (_, chain)) in chains.iter().enumerate() {
            let mut times = Vec::with_capacity(RUNS);
            let mut found = Vec::new();
            for _ in 0..RUNS {
                let start = Instant::now();
                found = decode_texts(&sample.image, *chain);
                times.push(start.elapsed().as_secs_f64() * 1000.0);
            }
            let ok = sample
                .texts
                .iter()
                .all(|t| found.iter().any(|(f, _)| **f == *t));
            let time = median(&mut times);
            let entry = results[c].entry(sample.category).or_default();
            entry.0 += usize::from(ok);
            entry.1 += 1;
            entry.2.push(time);
            if (sample.image.width(), sample.image.height()) == (1920, 1080) {
                screen_times[c].push(time);
            }
        }
    }

    println!("\nQR decode rate and median time per image ({per_category} images per category, median of {RUNS} runs each)\n");
    print!("| category |");
    for (name, _) in &chains {
        print!(" {name} |");
    }
    println!();
    print!("|---|");
    for _ in &chains {
        print!("---|");
    }
    println!();
    for &category in CATEGORIES {
        print!("| {category} |");
        for result in &results {
            let (read, total, times) = result.get(category).cloned().unwrap_or_default();
            let mut times = times;
            print!(" {read}/{total} ({:.1} ms) |", median(&mut times));
        }
        println!();
    }
    print!("| **all** |");
    for result in &results {
        let read: usize = result.values().map(|r| r.0).sum();
        let total: usize = result.values().map(|r| r.1).sum();
        let mut times: Vec<f64> = result.values().flat_map(|r| r.2.iter().copied()).collect();
        print!(
            " **{read}/{total} = {:.1}%** ({:.1} ms) |",
            100.0 * read as f64 / total as f64,
            median(&mut times)
        );
    }
    println!();
    print!("| 1920×1080 frames, median |");
    for times in &mut screen_times {
        print!(" {:.1} ms |", median(times));
    }
    println!("\n\ntarget: 1920×1080 median ≤ 15 ms");
}

fn median(times: &mut [f64]) -> f64 {
    if times.is_empty() {
        return f64::NAN;
    }
    times.sort_by(|a, b| a.total_cmp(b));
    times[times.len() / 2]
}

/// Writes the corpus as PNG files plus `manifest.json` (`[{file, category, texts}]`).
fn write_corpus(corpus: &[qr_corpus::Sample]) {
    let dir = std::env::var_os("QR_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| "target".into());
            target.join("qr-corpus")
        });
    std::fs::create_dir_all(&dir).expect("create the corpus folder");
    let mut manifest = Vec::new();
    for sample in corpus {
        let file = format!("{}.png", sample.name);
        sample
            .image
            .save(dir.join(&file))
            .expect("write a corpus image");
        manifest.push(
            serde_json::json!({"file": file, "category": sample.category, "texts": sample.texts}),
        );
    }
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_string_pretty(&manifest).unwrap(),
    )
    .expect("write the manifest");
    eprintln!("corpus written to {}", dir.display());
}
