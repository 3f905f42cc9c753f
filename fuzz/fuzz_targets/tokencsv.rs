//! CSV token file reader.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(file) = countersign_oath::tokencsv::parse(text) {
            for row in &file.rows {
                assert!(!row.secret.is_empty());
            }
        }
    }
});
