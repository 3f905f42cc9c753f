//! The Tauri shell of Countersign: adapters from the UI to `countersign-core`.

/// Starts the app. On mobile this is the entry point the platform calls.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("error while running the Countersign app");
}
