//! The Google importer, through the same entry point the CLI and the app use.
#![no_main]

use countersign_core::import::{self, Credentials, Format};
use countersign_core::Password;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = import::preview(data, Some(Format::Google), &Credentials::default(), &[], 0);
    let with_password = Credentials {
        password: Some(Password::new("fuzz")),
        key: None,
    };
    if let Ok(preview) = import::preview(data, Some(Format::Google), &with_password, &[], 0) {
        assert_eq!(preview.entries.len(), preview.accounts().len());
    }
});
