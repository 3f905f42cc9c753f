//! The start-up benchmark's probe (see `tests/bench/`).

use std::io::Write;

use tauri::{Runtime, State};

use crate::error::CommandResult;
use crate::state::AppState;

/// Environment variable that makes the app report when the first code is on screen.
pub const BENCH_ENV: &str = "COUNTERSIGN_BENCH";

/// Called by the UI once the first code has been painted. With `COUNTERSIGN_BENCH` set, prints
/// `first-code-visible unix_ms=<wall clock> since_main_ms=<time since the shell started>` to
/// stdout, for the benchmark to read.
#[tauri::command]
pub async fn mark_first_code<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
) -> CommandResult<()> {
    if std::env::var_os(BENCH_ENV).is_some() {
        let unix_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let since_main = state.started.elapsed().as_millis();
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "first-code-visible unix_ms={unix_ms} since_main_ms={since_main}"
        );
        let _ = out.flush();
    }
    Ok(())
}
