//! Automatic versioned backups to a folder the user picks.
//!
//! Each backup is a Countersign vault with a password slot only (see
//! [`super::countersign`]), named `countersign-backup-YYYYMMDDTHHMMSSZ.csv1` (UTC), so backups
//! sort by name in time order and open on any machine with the backup password. After writing
//! one, the oldest are deleted so that `keep` remain.
//!
//! The folder also holds `countersign-backup.state` (JSON: the newest backup's file name and a
//! fingerprint of the accounts it holds: a SHA-256 over the accounts' serialised form, so
//! [`Backups::needs_backup`] can tell whether accounts changed since, without the password).

use std::fs;
use std::path::{Path, PathBuf};

use ring::digest;
use serde::{Deserialize, Serialize};

use crate::account::Account;
use crate::password::Password;
use crate::vault::KdfParams;
use crate::Error;

const PREFIX: &str = "countersign-backup-";
const SUFFIX: &str = ".csv1";
const STATE: &str = "countersign-backup.state";

/// A backup folder and how many backups to keep there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backups {
    /// The folder (made when missing).
    pub folder: PathBuf,
    /// How many backups to keep (at least 1).
    pub keep: usize,
}

#[derive(Serialize, Deserialize)]
struct State {
    last: String,
    fingerprint: String,
    at: i64,
}

impl Backups {
    /// Backups in `folder`, keeping the newest `keep`.
    pub fn new(folder: impl Into<PathBuf>, keep: usize) -> Backups {
        Backups {
            folder: folder.into(),
            keep: keep.max(1),
        }
    }

    /// Writes a backup of `accounts` at time `now` (Unix seconds), openable with `password`,
    /// then deletes the oldest backups beyond `keep`. Returns the new file.
    pub fn backup_now(
        &self,
        accounts: &[Account],
        password: Password,
        now: i64,
    ) -> Result<PathBuf, Error> {
        self.backup_with_kdf(accounts, password, now, KdfParams::DEFAULT)
    }

    /// [`Backups::backup_now`] with a chosen Argon2id cost (tests use a fast one).
    pub fn backup_with_kdf(
        &self,
        accounts: &[Account],
        password: Password,
        now: i64,
        kdf: KdfParams,
    ) -> Result<PathBuf, Error> {
        fs::create_dir_all(&self.folder).map_err(|e| io(&self.folder, e))?;
        // Two backups in one second get a sequence suffix rather than overwrite, numbered after
        // the highest of that second still there: reusing a number freed by pruning would sort
        // the new backup before older ones, and the next prune would delete it.
        let stamp = utc_stamp(now);
        let mut n = self
            .list()?
            .iter()
            .filter_map(|p| p.file_name()?.to_str().map(order_key))
            .filter(|(s, _)| *s == stamp)
            .map(|(_, n)| n)
            .max()
            .map_or(1, |highest| highest.saturating_add(1));
        let mut name = backup_name(&stamp, n);
        while self.folder.join(&name).exists() {
            n = n.saturating_add(1);
            name = backup_name(&stamp, n);
        }
        let path = self.folder.join(&name);
        super::countersign_with_kdf(accounts, &path, password, kdf)?;
        let state = State {
            last: name,
            fingerprint: accounts_fingerprint(accounts),
            at: now,
        };
        let state_path = self.folder.join(STATE);
        let text = serde_json::to_string(&state)
            .map_err(|e| Error::InvalidInput(format!("backup state: {e}")))?;
        write_private(&state_path, text.as_bytes()).map_err(|e| io(&state_path, e))?;
        self.prune()?;
        Ok(path)
    }

    /// The backups in the folder, oldest first: only files named as [`Backups::backup_now`]
    /// names them (`countersign-backup-YYYYMMDDTHHMMSSZ[-N].csv1`), so pruning never touches
    /// anything else in the folder.
    pub fn list(&self) -> Result<Vec<PathBuf>, Error> {
        let entries = match fs::read_dir(&self.folder) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(&self.folder, e)),
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| is_backup_name(n))
            .collect();
        // By time, then by the sequence suffix of backups made in the same second (the first
        // has none): a plain name sort would put `…Z-2` before `…Z`.
        names.sort_by_cached_key(|n| order_key(n));
        Ok(names.into_iter().map(|n| self.folder.join(n)).collect())
    }

    /// True when `accounts` differ from what the newest backup holds (or there is none): the
    /// app shows a reminder.
    pub fn needs_backup(&self, accounts: &[Account]) -> bool {
        let Ok(text) = fs::read_to_string(self.folder.join(STATE)) else {
            return true;
        };
        let Ok(state) = serde_json::from_str::<State>(&text) else {
            return true;
        };
        !self.folder.join(&state.last).exists()
            || state.fingerprint != accounts_fingerprint(accounts)
    }

    /// When the newest backup was made (Unix seconds), if any.
    pub fn last_backup_at(&self) -> Option<i64> {
        let text = fs::read_to_string(self.folder.join(STATE)).ok()?;
        serde_json::from_str::<State>(&text).ok().map(|s| s.at)
    }

    fn prune(&self) -> Result<(), Error> {
        let all = self.list()?;
        let excess = all.len().saturating_sub(self.keep);
        for old in &all[..excess] {
            fs::remove_file(old).map_err(|e| io(old, e))?;
        }
        Ok(())
    }
}

/// Writes `bytes` to `path`, readable by its owner only (the fingerprint is derived from the
/// secrets).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

/// The file name of the `n`th backup made in the second `stamp` (the first has no suffix).
fn backup_name(stamp: &str, n: u32) -> String {
    if n <= 1 {
        format!("{PREFIX}{stamp}{SUFFIX}")
    } else {
        format!("{PREFIX}{stamp}-{n}{SUFFIX}")
    }
}

/// `(stamp, sequence)` of a backup file name; the first backup of a second is sequence 1.
fn order_key(name: &str) -> (String, u32) {
    let stem = &name[PREFIX.len()..name.len() - SUFFIX.len()];
    match stem.split_once('-') {
        Some((stamp, n)) => (stamp.to_owned(), n.parse().unwrap_or(u32::MAX)),
        None => (stem.to_owned(), 1),
    }
}

/// A name [`Backups::backup_now`] writes: the prefix, a `YYYYMMDDTHHMMSSZ` stamp, an optional
/// `-N` sequence, the suffix.
fn is_backup_name(name: &str) -> bool {
    let Some(stem) = name
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.strip_suffix(SUFFIX))
    else {
        return false;
    };
    let (stamp, sequence) = match stem.split_once('-') {
        Some((stamp, n)) => (stamp, Some(n)),
        None => (stem, None),
    };
    let b = stamp.as_bytes();
    let stamp_ok = b.len() == 16
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'T'
        && b[9..15].iter().all(u8::is_ascii_digit)
        && b[15] == b'Z';
    let sequence_ok =
        sequence.is_none_or(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()));
    stamp_ok && sequence_ok
}

/// A SHA-256 (hex) over the accounts as a backup holds them, leaving out when each was last
/// used: equal fingerprints mean a backup of one holds the other. The app compares them to tell
/// whether a vault save changed the accounts.
pub fn accounts_fingerprint(accounts: &[Account]) -> String {
    let mut ctx = digest::Context::new(&digest::SHA256);
    for a in accounts {
        // `last_used` changes on every copy of a code: not a change worth a backup.
        let mut a = a.clone();
        a.last_used = None;
        if let Ok(bytes) = serde_json::to_vec(&a) {
            ctx.update(&zeroize::Zeroizing::new(bytes));
        }
    }
    crate::import::crypto::hex(ctx.finish().as_ref())
}

fn io(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        action: "write the backup",
        path: path.to_owned(),
        source,
    }
}

/// `YYYYMMDDTHHMMSSZ` for Unix seconds (proleptic Gregorian, UTC).
fn utc_stamp(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::{is_backup_name, utc_stamp};

    #[test]
    fn only_names_backups_are_written_under_count_as_backups() {
        assert!(is_backup_name("countersign-backup-20251128T193000Z.csv1"));
        assert!(is_backup_name("countersign-backup-20251128T193000Z-2.csv1"));
        for foreign in [
            "countersign-backup-notes.csv1",
            "countersign-backup-20251128T193000Z.csv1.prev",
            "countersign-backup-20251128T193000Z-.csv1",
            "countersign-backup-20251128T193000Z-x.csv1",
            "countersign-backup-2025112T193000Z.csv1",
            "countersign-backup.state",
            "my-countersign-backup-20251128T193000Z.csv1",
        ] {
            assert!(!is_backup_name(foreign), "{foreign}");
        }
    }

    #[test]
    fn utc_stamps_match_known_dates() {
        assert_eq!(utc_stamp(0), "19700101T000000Z");
        assert_eq!(utc_stamp(951_782_400), "20000229T000000Z");
        assert_eq!(utc_stamp(1_764_358_200), "20251128T193000Z");
    }
}
