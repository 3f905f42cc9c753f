//! The user's preferences: a small JSON file in the app's config folder (not secret, so not in
//! the vault). Unknown or missing fields fall back to the defaults, so old files keep working.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{CommandError, CommandResult};

/// How the account list is ordered (favourites are always pinned first).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SortOrder {
    /// The user's drag-and-drop order.
    #[default]
    Custom,
    /// By issuer, then account name.
    Issuer,
    /// By account name, then issuer.
    Account,
    /// Most recently copied first.
    LastUsed,
}

/// Preferences the settings screen edits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// Minutes without input before the app locks (vaults with a password only); 0 = never.
    pub lock_after_minutes: u32,
    /// Seconds after a copy when the clipboard is cleared if it still holds the code; 0 = never.
    pub clipboard_clear_seconds: u32,
    /// Show the next code beside the current one near expiry.
    pub show_next_code: bool,
    /// List order.
    pub sort_order: SortOrder,
    /// Write an encrypted backup to [`Settings::backup_folder`] after the accounts change (the
    /// password is in the OS keystore, not here).
    pub auto_backup: bool,
    /// The folder backups go to (absolute), chosen in the folder dialog.
    pub backup_folder: Option<PathBuf>,
    /// How many backups to keep in the folder ([`KEEP_RANGE`]).
    pub backup_keep: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            lock_after_minutes: 5,
            clipboard_clear_seconds: 30,
            show_next_code: true,
            sort_order: SortOrder::Custom,
            auto_backup: false,
            backup_folder: None,
            backup_keep: 10,
        }
    }
}

/// Longest idle time the settings accept (a day).
const MAX_LOCK_MINUTES: u32 = 24 * 60;
/// Longest clipboard delay the settings accept (an hour).
const MAX_CLEAR_SECONDS: u32 = 3600;
/// How many backups the settings may keep.
pub const KEEP_RANGE: std::ops::RangeInclusive<u32> = 1..=100;

impl Settings {
    /// Checks the ranges a UI could get wrong.
    pub fn validated(self) -> CommandResult<Settings> {
        if self.lock_after_minutes > MAX_LOCK_MINUTES {
            return Err(CommandError::field(
                "lockAfterMinutes",
                format!("lock after at most {MAX_LOCK_MINUTES} minutes"),
            ));
        }
        if self.clipboard_clear_seconds > MAX_CLEAR_SECONDS {
            return Err(CommandError::field(
                "clipboardClearSeconds",
                format!("clear the clipboard after at most {MAX_CLEAR_SECONDS} seconds"),
            ));
        }
        if !KEEP_RANGE.contains(&self.backup_keep) {
            return Err(CommandError::field(
                "backupKeep",
                format!(
                    "keep between {} and {} backups",
                    KEEP_RANGE.start(),
                    KEEP_RANGE.end()
                ),
            ));
        }
        if let Some(folder) = &self.backup_folder {
            if !folder.is_absolute() {
                return Err(CommandError::field(
                    "backupFolder",
                    format!(
                        "the backup folder must be a full path, not {}",
                        folder.display()
                    ),
                ));
            }
        }
        if self.auto_backup && self.backup_folder.is_none() {
            return Err(CommandError::field(
                "backupFolder",
                "choose a backup folder before turning on automatic backups",
            ));
        }
        Ok(self)
    }
}

/// Where settings are read from and saved to.
#[derive(Clone, Debug)]
pub struct SettingsFile(PathBuf);

impl SettingsFile {
    /// The settings file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        SettingsFile(path.into())
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The saved settings; the defaults when there is no file or it cannot be read.
    pub fn load(&self) -> Settings {
        std::fs::read(&self.0)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Saves `settings` (write to a temporary file, then rename over the old one).
    pub fn save(&self, settings: &Settings) -> CommandResult<()> {
        let fail = |e: std::io::Error| {
            CommandError::internal(format!(
                "could not save the settings to {}: {e}",
                self.0.display()
            ))
        };
        if let Some(folder) = self.0.parent() {
            std::fs::create_dir_all(folder).map_err(fail)?;
        }
        let json = serde_json::to_vec_pretty(settings)
            .map_err(|e| CommandError::internal(format!("could not encode the settings: {e}")))?;
        let temp = self.0.with_extension("json.tmp");
        std::fs::write(&temp, json).map_err(fail)?;
        std::fs::rename(&temp, &self.0).map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_survive_a_save_and_load() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::new(dir.path().join("nested/settings.json"));
        assert_eq!(file.load(), Settings::default());
        let changed = Settings {
            lock_after_minutes: 15,
            clipboard_clear_seconds: 0,
            show_next_code: false,
            sort_order: SortOrder::LastUsed,
            auto_backup: true,
            backup_folder: Some(dir.path().join("backups")),
            backup_keep: 3,
        };
        file.save(&changed).unwrap();
        assert_eq!(file.load(), changed);
    }

    #[test]
    fn a_damaged_or_partial_file_falls_back_to_defaults_field_by_field() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::new(dir.path().join("settings.json"));
        std::fs::write(file.path(), br#"{"showNextCode": false}"#).unwrap();
        assert_eq!(
            file.load(),
            Settings {
                show_next_code: false,
                ..Settings::default()
            }
        );
        std::fs::write(file.path(), b"not json").unwrap();
        assert_eq!(file.load(), Settings::default());
    }

    #[test]
    fn backup_settings_are_checked_naming_the_field() {
        let field = |s: Settings| s.validated().unwrap_err().field;
        let folder = std::env::temp_dir().join("backups");
        for keep in [0, 101] {
            let s = Settings {
                backup_keep: keep,
                ..Settings::default()
            };
            assert_eq!(field(s), Some("backupKeep"), "keep {keep}");
        }
        for keep in [1, 100] {
            let s = Settings {
                backup_keep: keep,
                ..Settings::default()
            };
            assert_eq!(s.validated().unwrap().backup_keep, keep);
        }
        let relative = Settings {
            backup_folder: Some(PathBuf::from("backups")),
            ..Settings::default()
        };
        assert_eq!(field(relative), Some("backupFolder"));
        let on_without_folder = Settings {
            auto_backup: true,
            ..Settings::default()
        };
        assert_eq!(field(on_without_folder), Some("backupFolder"));
        let on = Settings {
            auto_backup: true,
            backup_folder: Some(folder),
            ..Settings::default()
        };
        assert!(on.validated().is_ok());
    }

    #[test]
    fn out_of_range_values_are_refused_naming_the_field() {
        let too_long = Settings {
            clipboard_clear_seconds: 999_999,
            ..Settings::default()
        };
        assert_eq!(
            too_long.validated().unwrap_err().field,
            Some("clipboardClearSeconds")
        );
    }
}
