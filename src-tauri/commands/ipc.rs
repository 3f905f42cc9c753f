//! What the command tests share: a vault and app state to test over, and calling a command the
//! way the webview does, through Tauri's IPC on the mock runtime.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use countersign_core::{CreateOptions, KdfParams, Password, Vault};
use serde_json::Value;
use tauri::http::HeaderMap;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindow;

use crate::clipboard::tests::MemoryClipboard;
use crate::clipboard::CodeCopier;
use crate::settings::SettingsFile;
use crate::state::AppState;

/// Creates `dir/vault.csv1` with a password slot only (cheap Argon2id: no keystore needed).
pub fn password_vault(dir: &Path, password: &str) -> PathBuf {
    let vault_path = dir.join("vault.csv1");
    Vault::create(
        &vault_path,
        CreateOptions::password_only(Password::new(password))
            .with_kdf(KdfParams::INSECURE_FAST_FOR_TESTS),
    )
    .unwrap();
    vault_path
}

/// The app's state over `vault_path`, with `dir/settings.json` and an in-memory clipboard.
pub fn app_state(dir: &Path, vault_path: &Path, clipboard: Arc<MemoryClipboard>) -> AppState {
    AppState::new(
        vault_path.to_path_buf(),
        SettingsFile::new(dir.join("settings.json")),
        CodeCopier::new(clipboard),
    )
}

/// Invokes `cmd` with `body` and `headers`; the reply or the `{code, message}` error as JSON.
pub fn invoke_with(
    window: &WebviewWindow<MockRuntime>,
    cmd: &str,
    body: InvokeBody,
    headers: HeaderMap,
) -> Result<Value, Value> {
    tauri::test::get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body,
            headers,
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().unwrap())
}

/// Invokes `cmd` with JSON arguments.
pub fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    invoke_with(window, cmd, InvokeBody::Json(args), HeaderMap::new())
}

/// Invokes `cmd` and panics with the error when it fails.
pub fn ok(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Value {
    invoke(window, cmd, args).unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
}
