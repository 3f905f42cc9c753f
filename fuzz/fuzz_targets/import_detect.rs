//! Format detection followed by whichever importer it picks (PSKC and CSV included).
#![no_main]

use countersign_core::import::{self, Credentials, Format};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if Format::detect(data).is_some() {
        let _ = import::preview(data, None, &Credentials::default(), &[], 0);
    }
});
