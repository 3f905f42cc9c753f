//! The import flow against a real vault file: preview, duplicates, selection, one save; and
//! every malformed or tampered file refused with a clear error while the vault stays as it was.

use countersign_core::import::{self, Credentials, Duplicates, Format, ImportError, Selection};
use countersign_core::{CreateOptions, KdfParams, Password, Unlock, Vault};

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/data/import/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn new_vault(dir: &tempfile::TempDir) -> Vault {
    Vault::create(
        dir.path().join("vault.csv1"),
        CreateOptions::password_only(Password::new("vault pw"))
            .with_kdf(KdfParams::INSECURE_FAST_FOR_TESTS),
    )
    .unwrap()
}

fn reopen(dir: &tempfile::TempDir) -> Vault {
    Vault::open(
        dir.path().join("vault.csv1"),
        &Unlock::password_only(Password::new("vault pw")),
    )
    .unwrap()
}

fn uris() -> Vec<u8> {
    data("otpauth.txt")
}

#[test]
fn apply_adds_every_entry_in_one_save_and_the_vault_reopens_with_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(&dir);
    let preview = import::preview(
        &uris(),
        None,
        &Credentials::default(),
        vault.accounts(),
        100,
    )
    .unwrap();
    assert_eq!(preview.entries.len(), 5);
    let report = import::apply(&mut vault, &preview, &Selection::default()).unwrap();
    assert_eq!(report.added.len(), 5);
    assert_eq!(report.errors.len(), 1, "the bad line is reported");
    let reopened = reopen(&dir);
    let names: Vec<_> = reopened.accounts().iter().map(|a| a.name.clone()).collect();
    assert_eq!(
        names,
        [
            "alice@example.com",
            "alice",
            "a.smith",
            "alice@mail.example",
            "alice_gamer"
        ]
    );
    assert!(reopened.accounts().iter().all(|a| a.created == 100));
}

#[test]
fn importing_the_same_file_twice_marks_and_skips_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(&dir);
    let first =
        import::preview(&uris(), None, &Credentials::default(), vault.accounts(), 1).unwrap();
    import::apply(&mut vault, &first, &Selection::default()).unwrap();
    let again =
        import::preview(&uris(), None, &Credentials::default(), vault.accounts(), 2).unwrap();
    assert_eq!(again.duplicates(), 5);
    assert!(again.entries.iter().all(|e| e.duplicate_of.is_some()));
    let report = import::apply(&mut vault, &again, &Selection::default()).unwrap();
    assert!(report.added.is_empty());
    assert_eq!(report.skipped_duplicates, 5);
    assert_eq!(reopen(&dir).accounts().len(), 5);
}

#[test]
fn duplicates_are_added_when_the_user_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(&dir);
    let first =
        import::preview(&uris(), None, &Credentials::default(), vault.accounts(), 1).unwrap();
    import::apply(&mut vault, &first, &Selection::default()).unwrap();
    let again =
        import::preview(&uris(), None, &Credentials::default(), vault.accounts(), 2).unwrap();
    let keep = Selection {
        duplicates: Duplicates::Keep,
        only: None,
    };
    let report = import::apply(&mut vault, &again, &keep).unwrap();
    assert_eq!(report.added.len(), 5);
    assert_eq!(reopen(&dir).accounts().len(), 10);
}

#[test]
fn a_file_that_repeats_an_entry_marks_the_repeat() {
    let mut text = uris();
    text.extend_from_slice(&uris());
    let preview = import::preview(&text, None, &Credentials::default(), &[], 1).unwrap();
    assert_eq!(preview.entries.len(), 10);
    assert_eq!(preview.entries[5].repeats, Some(0));
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(&dir);
    let report = import::apply(&mut vault, &preview, &Selection::default()).unwrap();
    assert_eq!(report.added.len(), 5);
    assert_eq!(report.skipped_duplicates, 5);
}

#[test]
fn only_the_selected_entries_are_added() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(&dir);
    let preview = import::preview(&uris(), None, &Credentials::default(), &[], 1).unwrap();
    let pick = Selection {
        duplicates: Duplicates::Skip,
        only: Some(vec![0, 3]),
    };
    let report = import::apply(&mut vault, &preview, &pick).unwrap();
    assert_eq!(report.added.len(), 2);
    assert_eq!(report.not_selected, 3);
    let names: Vec<_> = reopen(&dir)
        .accounts()
        .iter()
        .map(|a| a.name.clone())
        .collect();
    assert_eq!(names, ["alice@example.com", "alice@mail.example"]);
}

#[test]
fn a_selection_naming_a_missing_entry_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = new_vault(&dir);
    let before = std::fs::read(dir.path().join("vault.csv1")).unwrap();
    let preview = import::preview(&uris(), None, &Credentials::default(), &[], 1).unwrap();
    let pick = Selection {
        duplicates: Duplicates::Skip,
        only: Some(vec![0, 99]),
    };
    let err = import::apply(&mut vault, &preview, &pick).unwrap_err();
    assert!(err.to_string().contains("99"), "{err}");
    assert_eq!(
        std::fs::read(dir.path().join("vault.csv1")).unwrap(),
        before
    );
}

#[test]
fn the_preview_serialises_without_any_secret() {
    let preview = import::preview(&uris(), None, &Credentials::default(), &[], 1).unwrap();
    let json = serde_json::to_string(&preview).unwrap();
    assert!(json.contains("\"format\":\"otpauth\""), "{json}");
    assert!(json.contains("alice@example.com"));
    for account in preview.accounts() {
        assert!(
            !json.contains(&account.otp.secret.to_base32()),
            "secret leaked into {json}"
        );
    }
}

/// Each of these is refused as a whole; the vault file is byte-for-byte unchanged.
#[test]
fn malformed_and_tampered_files_are_refused_and_the_vault_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let vault_path = dir.path().join("vault.csv1");
    let mut vault = new_vault(&dir);
    let seed = import::preview(&uris(), None, &Credentials::default(), &[], 1).unwrap();
    import::apply(&mut vault, &seed, &Selection::default()).unwrap();
    let before = std::fs::read(&vault_path).unwrap();
    let pw = || Credentials {
        password: Some(Password::new("import-test-password")),
        key: None,
    };

    let mut aegis_db_flipped = String::from_utf8(data("aegis-encrypted.json")).unwrap();
    let db_at = aegis_db_flipped.find("\"db\": \"").unwrap() + 8;
    let flipped = if &aegis_db_flipped[db_at..=db_at] == "A" {
        "B"
    } else {
        "A"
    };
    aegis_db_flipped.replace_range(db_at..=db_at, flipped);

    let mut two_fas_flipped: serde_json::Value =
        serde_json::from_slice(&data("2fas-encrypted.2fas")).unwrap();
    let sealed = two_fas_flipped["servicesEncrypted"]
        .as_str()
        .unwrap()
        .to_owned();
    let flipped_2fas = format!(
        "{}{}",
        if sealed.starts_with('A') { "B" } else { "A" },
        &sealed[1..]
    );
    two_fas_flipped["servicesEncrypted"] = flipped_2fas.into();

    let cases: Vec<(&str, Vec<u8>, Option<Format>, &str)> = vec![
        (
            "not JSON",
            b"{\"db\": ".to_vec(),
            Some(Format::Aegis),
            "malformed_file",
        ),
        (
            "aegis without entries",
            br#"{"version":1,"header":{"slots":null},"db":{"version":2}}"#.to_vec(),
            None,
            "malformed_file",
        ),
        (
            "aegis ciphertext flipped",
            aegis_db_flipped.into_bytes(),
            None,
            "file_tampered",
        ),
        (
            "2fas ciphertext flipped",
            serde_json::to_vec(&two_fas_flipped).unwrap(),
            None,
            "wrong_password",
        ),
        (
            "2fas bad layout",
            br#"{"services":[],"servicesEncrypted":"abc","schemaVersion":4}"#.to_vec(),
            None,
            "malformed_file",
        ),
        (
            "PSKC not XML",
            b"<KeyContainer><KeyPackage>".to_vec(),
            None,
            "malformed_file",
        ),
        (
            "PSKC with a DTD",
            b"<!DOCTYPE x [<!ENTITY a \"b\">]><KeyContainer/>".to_vec(),
            None,
            "malformed_file",
        ),
        (
            "google data not base64",
            b"otpauth-migration://offline?data=%%%".to_vec(),
            None,
            "ok_with_errors",
        ),
        (
            "binary",
            vec![0xff, 0xfe, 0x00, 0x01],
            Some(Format::Csv),
            "malformed_file",
        ),
        (
            "bitwarden encrypted",
            br#"{"encrypted":true,"items":[]}"#.to_vec(),
            None,
            "unsupported_file",
        ),
        (
            "empty csv",
            b"\n\n".to_vec(),
            Some(Format::Csv),
            "malformed_file",
        ),
    ];
    for (what, bytes, format, code) in cases {
        match import::preview(&bytes, format, &pw(), vault.accounts(), 1) {
            Err(e) => {
                assert_eq!(e.code(), code, "{what}: {e}");
                assert!(!e.to_string().is_empty());
            }
            Ok(p) => {
                assert_eq!(code, "ok_with_errors", "{what} was accepted");
                assert!(
                    p.entries.is_empty() && !p.errors.is_empty(),
                    "{what}: {:?}",
                    p.errors
                );
            }
        }
    }
    assert_eq!(
        std::fs::read(&vault_path).unwrap(),
        before,
        "the vault file changed"
    );
    assert_eq!(reopen(&dir).accounts().len(), 5);
}

#[test]
fn an_unrecognisable_file_asks_for_a_format() {
    let err =
        import::preview(b"{\"hello\": 1}", None, &Credentials::default(), &[], 1).unwrap_err();
    assert!(matches!(err, ImportError::UnknownFormat));
    assert!(err.to_string().contains("--format"));
}
