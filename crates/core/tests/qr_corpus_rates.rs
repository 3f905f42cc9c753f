//! Decode rates on the generated corpus, per distortion. The thresholds are what the decoder
//! chain reaches with margin; a regression in pre-processing or the fallback shows up here.
#![cfg(feature = "qr")]

mod qr_corpus;

use countersign_core::qr::{decode_gray, Engine};
use qr_corpus::{generate, Size, CATEGORIES};

/// The lowest acceptable share of images whose every code is read, per category.
fn required_rate(category: &str) -> f64 {
    match category {
        "clean" | "rotation" | "inverted" | "scale" => 1.0,
        "perspective" | "noise" | "dense" => 0.9,
        "blur" | "photo" => 0.8,
        // Every code of images with two to four codes: rxing's multi reader in the fast pass,
        // then rqrr with the codes read painted over (10/12 read; it was 7/12 with rqrr alone).
        "multiple" => 0.8,
        // Known gap, at the floor measured now (target 0.9): a low-contrast code whose quiet
        // zone is darker than the page (5/12 read).
        "low_contrast" => 0.4,
        other => panic!("no threshold for category {other}"),
    }
}

#[test]
fn every_distortion_decodes_at_its_required_rate() {
    let corpus = generate(Size::TEST, 0x5eed);
    let mut failures = Vec::new();
    for &category in CATEGORIES {
        let samples: Vec<_> = corpus.iter().filter(|s| s.category == category).collect();
        let mut read = 0;
        for sample in &samples {
            let found = decode_gray(&sample.image);
            let texts: Vec<&str> = found.iter().map(|d| d.text()).collect();
            if sample.texts.iter().all(|t| texts.contains(&t.as_str())) {
                read += 1;
            }
            // Nothing is read that is not in the image.
            for text in &texts {
                assert!(
                    sample.texts.iter().any(|t| t == text),
                    "{}: read a text that is not in the image",
                    sample.name
                );
            }
        }
        let rate = read as f64 / samples.len() as f64;
        eprintln!("{category:>13}: {read}/{} read", samples.len());
        if rate < required_rate(category) {
            failures.push(format!(
                "{category}: {read}/{} read, below {:.0}%",
                samples.len(),
                required_rate(category) * 100.0
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn dense_corpus_codes_are_version_20_and_up() {
    let mut rng = qr_corpus::Rng(7);
    for _ in 0..5 {
        let text = qr_corpus::dense_uri(&mut rng);
        assert!(
            qr_corpus::version(&text) >= 20,
            "version {}",
            qr_corpus::version(&text)
        );
    }
}

#[test]
fn every_code_in_a_multi_code_image_is_returned() {
    let corpus = generate(
        Size {
            per_category: 3,
            ..Size::TEST
        },
        99,
    );
    for sample in corpus.iter().filter(|s| s.category == "multiple") {
        let found = decode_gray(&sample.image);
        assert_eq!(found.len(), sample.texts.len(), "{}", sample.name);
        assert!(found
            .iter()
            .all(|d| d.engine == Engine::Rqrr || d.engine == Engine::Rxing));
    }
}
