//! The start-up benchmark's probe (see `tests/e2e/bench.mjs`).
//!
//! With `COUNTERSIGN_BENCH` set, the shell records when each start-up step happened (wall clock,
//! so the benchmark can subtract the moment it spawned the process), and the UI adds its own
//! steps from the Performance API when it reports the first code. Without the variable nothing
//! is recorded.

use std::io::Write;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use tauri::{Runtime, State};

use crate::error::CommandResult;
use crate::state::AppState;

/// Environment variable that makes the app report when the first code is on screen.
pub const BENCH_ENV: &str = "COUNTERSIGN_BENCH";

/// The shell's start-up steps so far: name and wall-clock milliseconds.
static MARKS: Mutex<Vec<(&'static str, f64)>> = Mutex::new(Vec::new());

fn unix_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// Records that the start-up step `name` happened now, when benchmarking.
pub fn mark(name: &'static str) {
    if std::env::var_os(BENCH_ENV).is_some() {
        let now = unix_ms();
        MARKS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((name, now));
    }
}

/// The UI's start-up steps, from the Performance API.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UiTiming {
    /// `performance.timeOrigin`: wall-clock milliseconds when the page's navigation began.
    pub time_origin: f64,
    /// Step names and their milliseconds after `time_origin`.
    pub marks: Vec<(String, f64)>,
}

/// Called by the UI once the first code has been painted. With `COUNTERSIGN_BENCH` set, prints
/// one `startup-mark NAME unix_ms=MS` line per recorded step (the shell's, then the UI's), then
/// `first-code-visible unix_ms=<wall clock> since_main_ms=<time since the shell's setup>`, for
/// the benchmark to read.
#[tauri::command]
pub async fn mark_first_code<R: Runtime>(
    _app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    timing: Option<UiTiming>,
) -> CommandResult<()> {
    if std::env::var_os(BENCH_ENV).is_none() {
        return Ok(());
    }
    let now = unix_ms();
    let since_main = state.started.elapsed().as_millis();
    let shell = MARKS.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let timing = timing.unwrap_or_default();
    let mut out = std::io::stdout().lock();
    for (name, at) in shell {
        let _ = writeln!(out, "startup-mark {name} unix_ms={at:.1}");
    }
    for (name, after) in timing.marks {
        let name: String = name.chars().filter(|c| !c.is_whitespace()).collect();
        let at = timing.time_origin + after;
        let _ = writeln!(out, "startup-mark ui:{name} unix_ms={at:.1}");
    }
    let _ = writeln!(
        out,
        "first-code-visible unix_ms={now:.0} since_main_ms={since_main}"
    );
    let _ = out.flush();
    Ok(())
}
