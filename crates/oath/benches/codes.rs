//! Code generation cost per account: what a list of accounts costs to refresh.
//!
//! Target: well under 10 µs per code, so a vault of 1 000 accounts refreshes in a few
//! milliseconds. Run: `cargo bench -p countersign-oath --bench codes`.

use std::hint::black_box;

use countersign_oath::{Algorithm, Digits, KeyUri, Otp, Period, Secret};
use criterion::{criterion_group, criterion_main, Criterion};

fn secret() -> Secret {
    Secret::from_bytes(b"12345678901234567890".to_vec())
}

fn codes(c: &mut Criterion) {
    let now = 1_700_000_000u64;
    let accounts = [
        (
            "totp_sha1_6",
            Otp::new_totp(
                secret(),
                Algorithm::Sha1,
                Digits::SIX,
                Period::THIRTY_SECONDS,
            ),
        ),
        (
            "totp_sha256_8",
            Otp::new_totp(
                secret(),
                Algorithm::Sha256,
                Digits::EIGHT,
                Period::THIRTY_SECONDS,
            ),
        ),
        (
            "totp_sha512_8",
            Otp::new_totp(
                secret(),
                Algorithm::Sha512,
                Digits::EIGHT,
                Period::THIRTY_SECONDS,
            ),
        ),
        (
            "totp_sha1_10",
            Otp::new_totp(
                secret(),
                Algorithm::Sha1,
                Digits::new(10).expect("10 is in range"),
                Period::THIRTY_SECONDS,
            ),
        ),
        (
            "hotp_sha1_6",
            Otp::new_hotp(secret(), Algorithm::Sha1, Digits::SIX, 42),
        ),
        ("steam", Otp::new_steam(secret())),
    ];
    let mut group = c.benchmark_group("code");
    for (name, otp) in &accounts {
        group.bench_function(*name, |b| b.iter(|| black_box(otp).code_at(black_box(now))));
    }
    group.finish();

    let totp = &accounts[0].1;
    let code = totp.code_at(now).to_string();
    c.bench_function("verify_totp_window_1", |b| {
        b.iter(|| black_box(totp).verify(black_box(&code), now + 30, 1))
    });

    let uri = "otpauth://totp/ACME%20Co:john.doe%40email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30";
    c.bench_function("parse_otpauth_uri", |b| {
        b.iter(|| KeyUri::parse(black_box(uri)))
    });
}

criterion_group!(benches, codes);
criterion_main!(benches);
