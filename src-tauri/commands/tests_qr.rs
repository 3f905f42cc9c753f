//! The QR, import and export commands through Tauri's IPC over a real vault file: images made
//! by the core's encoder are decoded by the commands, the results classified, and accounts added
//! only on confirmation; QR exports are decoded back; imports preview and apply, and refuse a
//! bad file without touching the vault.

use countersign_core::qr;
use countersign_core::{Account, Password, Unlock, Vault};
use countersign_oath::KeyUri;
use serde_json::{json, Value};
use tauri::ipc::InvokeBody;

use super::{file_bytes, Harness, GITHUB_URI, PASSWORD};

const PROTON_URI: &str =
    "otpauth://totp/Proton:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Proton";

/// Invokes `cmd` with a raw body (an image's bytes, a frame) and headers.
fn invoke_raw(
    harness: &Harness,
    cmd: &str,
    body: Vec<u8>,
    headers: &[(&'static str, String)],
) -> Result<Value, Value> {
    let mut map = tauri::http::HeaderMap::new();
    for (name, value) in headers {
        map.insert(*name, value.parse().unwrap());
    }
    super::super::ipc::invoke_with(&harness.window, cmd, InvokeBody::Raw(body), map)
}

fn png_of(text: &str) -> Vec<u8> {
    qr::png(text).unwrap()
}

/// `count` distinct TOTP account URIs.
fn account_uris(count: usize) -> Vec<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    (0..count)
        .map(|i| {
            let secret: String = (0..16)
                .map(|k| ALPHABET[(i * 7 + k * 5) % 32] as char)
                .collect();
            format!("otpauth://totp/Service{i}:user{i}?secret={secret}&issuer=Service{i}")
        })
        .collect()
}

fn names(accounts: &Value) -> Vec<String> {
    accounts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["issuer"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_pasted_account_code_is_described_then_added_only_on_confirmation() {
    let harness = Harness::unlocked();
    let outcome = invoke_raw(&harness, "scan_image", png_of(GITHUB_URI), &[]).unwrap();
    assert_eq!(outcome["codes"][0]["kind"], "account");
    assert_eq!(
        outcome["codes"][0]["message"],
        "TOTP account GitHub (alice@example.com): ready to add"
    );
    let ready = &outcome["ready"];
    assert_eq!(ready["accounts"][0]["issuer"], "GitHub");
    assert_eq!(ready["accounts"][0]["duplicate"], false);
    assert!(
        !outcome.to_string().contains("JBSWY3DP"),
        "the secret never crosses to the UI"
    );
    // Nothing is stored until the user confirms.
    assert_eq!(harness.ok("list_accounts", json!({})), json!([]));

    let token = ready["token"].as_str().unwrap();
    let added = harness.ok(
        "add_scanned",
        json!({ "token": token, "keepDuplicates": false }),
    );
    assert_eq!(names(&added["added"]), ["GitHub"]);
    assert_eq!(names(&harness.ok("list_accounts", json!({}))), ["GitHub"]);

    // The token is used up; scanning the same code again marks it a duplicate and skips it.
    let again = harness
        .invoke(
            "add_scanned",
            json!({ "token": token, "keepDuplicates": false }),
        )
        .unwrap_err();
    assert_eq!(again["code"], "invalid_input");
    let second = invoke_raw(&harness, "scan_image", png_of(GITHUB_URI), &[]).unwrap();
    assert_eq!(second["ready"]["accounts"][0]["duplicate"], true);
    let skipped = harness.ok(
        "add_scanned",
        json!({ "token": second["ready"]["token"], "keepDuplicates": false }),
    );
    assert_eq!(skipped["added"], json!([]));
    assert_eq!(skipped["skippedDuplicates"], 1);
}

#[test]
fn a_dropped_file_with_two_codes_offers_both_accounts() {
    let harness = Harness::unlocked();
    // Two codes side by side in one PNG.
    let left = image::load_from_memory(&png_of(GITHUB_URI))
        .unwrap()
        .to_luma8();
    let right = image::load_from_memory(&png_of(PROTON_URI))
        .unwrap()
        .to_luma8();
    let mut both = image::GrayImage::from_pixel(
        left.width() + right.width(),
        left.height().max(right.height()),
        image::Luma([255]),
    );
    image::imageops::replace(&mut both, &left, 0, 0);
    image::imageops::replace(&mut both, &right, i64::from(left.width()), 0);
    let path = harness.vault_path.with_file_name("two-codes.png");
    both.save(&path).unwrap();

    let outcome = harness.ok("scan_file", json!({ "path": path }));
    let mut found = names(&outcome["ready"]["accounts"]);
    found.sort();
    assert_eq!(found, ["GitHub", "Proton"]);
}

#[test]
fn a_transfer_export_in_two_codes_is_collected_across_scans() {
    let harness = Harness::unlocked();
    let uris: Vec<KeyUri> = account_uris(12)
        .iter()
        .map(|u| KeyUri::parse(u).unwrap())
        .collect();
    let codes = qr::transfer_uris(&uris).unwrap();
    assert_eq!(codes.len(), 2);

    let first = invoke_raw(&harness, "scan_image", png_of(&codes[1]), &[]).unwrap();
    assert_eq!(first["codes"][0]["kind"], "transfer");
    assert_eq!(
        first["codes"][0]["message"],
        "Google Authenticator export: 1 of 2 codes scanned; scan code 1 next"
    );
    assert_eq!(first["ready"], Value::Null);

    let second = invoke_raw(&harness, "scan_image", png_of(&codes[0]), &[]).unwrap();
    assert_eq!(
        second["codes"][0]["message"],
        "Google Authenticator export complete: 12 accounts ready to add"
    );
    let added = harness.ok(
        "add_scanned",
        json!({ "token": second["ready"]["token"], "keepDuplicates": false }),
    );
    assert_eq!(added["added"].as_array().unwrap().len(), 12);
    assert_eq!(
        names(&harness.ok("list_accounts", json!({})))[..2],
        ["Service0", "Service1"]
    );
}

#[test]
fn a_code_that_is_not_an_account_says_what_it_holds() {
    let harness = Harness::unlocked();
    let outcome = invoke_raw(
        &harness,
        "scan_image",
        png_of("https://example.com/login"),
        &[],
    )
    .unwrap();
    assert_eq!(outcome["codes"][0]["kind"], "other");
    assert_eq!(
        outcome["codes"][0]["message"],
        "Not an account: a web link, not an account: https://example.com/login"
    );
    assert_eq!(outcome["ready"], Value::Null);

    let broken = invoke_raw(
        &harness,
        "scan_image",
        png_of("otpauth://totp/Example:alice?issuer=Example"),
        &[],
    )
    .unwrap();
    assert_eq!(broken["codes"][0]["kind"], "invalid");
    assert!(broken["codes"][0]["message"]
        .as_str()
        .unwrap()
        .contains("secret"));
}

#[test]
fn an_image_without_a_code_finds_nothing_and_a_bad_image_is_refused_by_code() {
    let harness = Harness::unlocked();
    let blank = qr::png("x").unwrap();
    let mut white = image::load_from_memory(&blank).unwrap().to_luma8();
    white.pixels_mut().for_each(|p| p.0[0] = 255);
    let mut bytes = Vec::new();
    white
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .unwrap();
    let none = invoke_raw(&harness, "scan_image", bytes, &[]).unwrap();
    assert_eq!(none, json!({ "codes": [], "ready": null }));

    let bad = invoke_raw(&harness, "scan_image", b"not an image".to_vec(), &[]).unwrap_err();
    assert_eq!(bad["code"], "unreadable_image");
    assert!(bad["message"].as_str().unwrap().contains("PNG, JPEG"));

    let text = harness.vault_path.with_file_name("notes.txt");
    std::fs::write(&text, "hello").unwrap();
    let bad_file = harness
        .invoke("scan_file", json!({ "path": text }))
        .unwrap_err();
    assert_eq!(bad_file["code"], "unreadable_image");
    let missing = harness
        .invoke(
            "scan_file",
            json!({ "path": text.with_file_name("gone.png") }),
        )
        .unwrap_err();
    assert_eq!(missing["code"], "file_unreadable");
}

#[test]
fn a_grey_camera_frame_is_decoded_and_a_short_frame_is_refused() {
    let harness = Harness::unlocked();
    let frame = image::load_from_memory(&png_of(PROTON_URI))
        .unwrap()
        .to_luma8();
    let (w, h) = frame.dimensions();
    let headers = [
        ("x-frame-width", w.to_string()),
        ("x-frame-height", h.to_string()),
    ];
    let outcome = invoke_raw(&harness, "scan_frame", frame.into_raw(), &headers).unwrap();
    assert_eq!(outcome["ready"]["accounts"][0]["issuer"], "Proton");

    let short = invoke_raw(&harness, "scan_frame", vec![0; 10], &headers).unwrap_err();
    assert_eq!(short["code"], "unreadable_image");
    let no_size = invoke_raw(&harness, "scan_frame", vec![0; 10], &[]).unwrap_err();
    assert_eq!(no_size["code"], "invalid_input");
}

#[test]
fn show_qr_returns_the_accounts_otpauth_code_as_svg() {
    let harness = Harness::unlocked();
    let id = harness.add_github();
    let svg = harness.ok("account_qr", json!({ "id": id }));
    let expected = Account::from_key_uri(KeyUri::parse(GITHUB_URI).unwrap(), 0).to_key_uri();
    assert_eq!(svg, json!(qr::key_uri_svg(&expected).unwrap()));
    assert!(svg.as_str().unwrap().starts_with("<?xml") || svg.as_str().unwrap().contains("<svg"));

    let locked = Harness::new();
    locked.ok("vault_state", json!({}));
    let error = locked
        .invoke("account_qr", json!({ "id": id }))
        .unwrap_err();
    assert_eq!(error["code"], "locked");
}

#[test]
fn transfer_qr_pages_carry_ten_accounts_each_and_name_an_account_they_cannot_carry() {
    let harness = Harness::unlocked();
    let ids: Vec<String> = account_uris(12)
        .iter()
        .map(|uri| {
            harness.ok("add_account_uri", json!({ "uri": uri }))["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let pages = harness.ok("transfer_qr", json!({ "ids": ids }));
    let pages = pages.as_array().unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!(
        pages
            .iter()
            .map(|p| (
                p["number"].as_u64().unwrap(),
                p["total"].as_u64().unwrap(),
                p["accounts"].as_u64().unwrap()
            ))
            .collect::<Vec<_>>(),
        [(1, 2, 10), (2, 2, 2)]
    );

    let steam = harness.ok(
        "add_account",
        json!({ "account": {
            "issuer": "Steam", "name": "gamer", "secret": "JBSWY3DPEHPK3PXP", "kind": "steam",
            "algorithm": "SHA1", "digits": 5, "period": 30, "counter": 0, "group": null
        }}),
    );
    let error = harness
        .invoke("transfer_qr", json!({ "ids": [ids[0], steam["id"]] }))
        .unwrap_err();
    assert_eq!(error["code"], "transfer_unsupported");
    assert!(error["message"].as_str().unwrap().contains("Steam"));
    let empty = harness
        .invoke("transfer_qr", json!({ "ids": [] }))
        .unwrap_err();
    assert_eq!(empty["code"], "invalid_input");
}

#[test]
fn an_import_is_previewed_with_its_duplicates_then_applied_in_one_save() {
    let harness = Harness::unlocked();
    harness.add_github();
    let file = harness.vault_path.with_file_name("uris.txt");
    std::fs::write(&file, format!("{GITHUB_URI}\n{PROTON_URI}\nnot a uri\n")).unwrap();

    let before = file_bytes(&harness.vault_path);
    let preview = harness.ok("import_preview", json!({ "path": file }));
    assert_eq!(preview["format"], "otpauth");
    assert_eq!(preview["entries"].as_array().unwrap().len(), 2);
    assert_eq!(preview["duplicates"], 1);
    assert_eq!(preview["entries"][0]["duplicate"], true);
    assert_eq!(preview["errors"][0]["source"], "line 3");
    assert_eq!(
        file_bytes(&harness.vault_path),
        before,
        "a preview stores nothing"
    );

    let result = harness.ok(
        "import_apply",
        json!({ "token": preview["token"], "keepDuplicates": false, "only": null }),
    );
    assert_eq!(names(&result["added"]), ["Proton"]);
    assert_eq!(result["skippedDuplicates"], 1);
    assert_eq!(
        names(&harness.ok("list_accounts", json!({}))),
        ["GitHub", "Proton"]
    );
}

#[test]
fn a_bad_import_file_is_refused_by_name_and_the_vault_is_unchanged() {
    let harness = Harness::unlocked();
    harness.add_github();
    let before = file_bytes(&harness.vault_path);
    let file = harness.vault_path.with_file_name("aegis.json");
    std::fs::write(
        &file,
        r#"{"version": 1, "header": {"slots": null}, "db": 5}"#,
    )
    .unwrap();
    let error = harness
        .invoke("import_preview", json!({ "path": file, "format": "aegis" }))
        .unwrap_err();
    assert_eq!(error["code"], "malformed_file");
    assert!(
        error["message"].as_str().unwrap().contains("aegis"),
        "{error}"
    );
    assert_eq!(file_bytes(&harness.vault_path), before);

    let unknown = harness
        .invoke(
            "import_preview",
            json!({ "path": file, "format": "lastpass" }),
        )
        .unwrap_err();
    assert_eq!(unknown["code"], "unknown_format");
    let stale = harness
        .invoke(
            "import_apply",
            json!({ "token": "999", "keepDuplicates": false, "only": null }),
        )
        .unwrap_err();
    assert_eq!(stale["code"], "invalid_input");
    assert_eq!(file_bytes(&harness.vault_path), before);
}

#[test]
fn an_encrypted_backup_opens_with_its_password_and_a_plain_export_lists_the_uris() {
    let harness = Harness::unlocked();
    harness.add_github();
    let backup = harness.vault_path.with_file_name("backup.csv1");
    // The save dialog has confirmed replacing an existing file.
    std::fs::write(&backup, "old").unwrap();
    let count = harness.ok(
        "export_file",
        json!({ "path": backup, "format": "countersign", "password": "backup password" }),
    );
    assert_eq!(count, 1);
    let copy = Vault::open(
        &backup,
        &Unlock::password_only(Password::new("backup password")),
    )
    .unwrap();
    assert_eq!(copy.accounts()[0].issuer, "GitHub");
    assert!(Vault::open(&backup, &Unlock::password_only(Password::new(PASSWORD))).is_err());
    let mut left: Vec<String> = std::fs::read_dir(backup.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("backup"))
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["backup.csv1"],
        "no temporary or previous-generation file is left"
    );

    let missing = harness
        .invoke(
            "export_file",
            json!({ "path": backup.with_file_name("aegis.json"), "format": "aegis", "password": null }),
        )
        .unwrap_err();
    assert_eq!(missing["field"], "password");
    assert!(!backup.with_file_name("aegis.json").exists());

    let plain = backup.with_file_name("plain.txt");
    harness.ok(
        "export_file",
        json!({ "path": plain, "format": "otpauth", "password": null }),
    );
    let text = std::fs::read_to_string(&plain).unwrap();
    let uri = KeyUri::parse(text.trim()).unwrap();
    assert_eq!(uri.otp.secret.to_base32(), "JBSWY3DPEHPK3PXP");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&plain).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}
