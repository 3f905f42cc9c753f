//! Copying codes: write to the system clipboard, then clear it after a while if it still holds
//! the code (and nothing the user copied since).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tauri::{AppHandle, Runtime};
use tauri_plugin_clipboard_manager::ClipboardExt;
use zeroize::Zeroizing;

/// The text clipboard the shell copies codes to.
pub trait TextClipboard: Send + Sync {
    /// Replaces the clipboard's contents with `text`.
    fn write(&self, text: &str) -> Result<(), String>;
    /// The clipboard's text, if it holds text.
    fn read(&self) -> Option<String>;
    /// Empties the clipboard.
    fn clear(&self) -> Result<(), String>;
}

/// The system clipboard, through the Tauri clipboard plugin.
pub struct SystemClipboard<R: Runtime>(pub AppHandle<R>);

impl<R: Runtime> TextClipboard for SystemClipboard<R> {
    fn write(&self, text: &str) -> Result<(), String> {
        self.0
            .clipboard()
            .write_text(text.to_owned())
            .map_err(|e| e.to_string())
    }

    fn read(&self) -> Option<String> {
        self.0.clipboard().read_text().ok()
    }

    fn clear(&self) -> Result<(), String> {
        self.0.clipboard().clear().map_err(|e| e.to_string())
    }
}

/// Copies codes and schedules their removal from the clipboard.
pub struct CodeCopier {
    clipboard: Arc<dyn TextClipboard>,
    /// Bumped on every copy, so an older copy's timer leaves a newer code alone.
    generation: Arc<AtomicU64>,
}

impl CodeCopier {
    /// A copier over `clipboard`.
    pub fn new(clipboard: Arc<dyn TextClipboard>) -> Self {
        CodeCopier {
            clipboard,
            generation: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Puts `code` on the clipboard; after `clear_after` (if any) clears it, unless the clipboard
    /// no longer holds this code or another code was copied since.
    pub fn copy(&self, code: &str, clear_after: Option<Duration>) -> Result<(), String> {
        self.clipboard.write(code)?;
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let Some(delay) = clear_after else {
            return Ok(());
        };
        let clipboard = Arc::clone(&self.clipboard);
        let current = Arc::clone(&self.generation);
        let code = Zeroizing::new(code.to_owned());
        std::thread::Builder::new()
            .name("clipboard-clear".into())
            .spawn(move || {
                std::thread::sleep(delay);
                if current.load(Ordering::SeqCst) != generation {
                    return;
                }
                if clipboard.read().is_some_and(|text| text == *code) {
                    // Best effort: a failure leaves the code there, as if clearing were off.
                    let _ = clipboard.clear();
                }
            })
            .map_err(|e| format!("could not start the clipboard timer: {e}"))?;
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A clipboard in memory, for unit tests (the real one is checked end to end with xclip).
    #[derive(Default)]
    pub struct MemoryClipboard(pub Mutex<Option<String>>);

    impl TextClipboard for MemoryClipboard {
        fn write(&self, text: &str) -> Result<(), String> {
            *self.0.lock().unwrap() = Some(text.to_owned());
            Ok(())
        }
        fn read(&self) -> Option<String> {
            self.0.lock().unwrap().clone()
        }
        fn clear(&self) -> Result<(), String> {
            *self.0.lock().unwrap() = None;
            Ok(())
        }
    }

    #[test]
    fn the_code_is_cleared_after_the_delay() {
        let clipboard = Arc::new(MemoryClipboard::default());
        let copier = CodeCopier::new(clipboard.clone());
        copier
            .copy("123456", Some(Duration::from_millis(50)))
            .unwrap();
        assert_eq!(clipboard.read().as_deref(), Some("123456"));
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(clipboard.read(), None);
    }

    #[test]
    fn something_else_copied_meanwhile_is_left_alone() {
        let clipboard = Arc::new(MemoryClipboard::default());
        let copier = CodeCopier::new(clipboard.clone());
        copier
            .copy("123456", Some(Duration::from_millis(50)))
            .unwrap();
        clipboard.write("the user's own text").unwrap();
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(clipboard.read().as_deref(), Some("the user's own text"));
    }

    #[test]
    fn a_newer_code_is_not_cleared_by_an_older_timer() {
        let clipboard = Arc::new(MemoryClipboard::default());
        let copier = CodeCopier::new(clipboard.clone());
        copier
            .copy("111111", Some(Duration::from_millis(50)))
            .unwrap();
        copier.copy("111111", None).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(clipboard.read().as_deref(), Some("111111"));
    }
}
