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
        let mut name = format!("{PREFIX}{}{SUFFIX}", utc_stamp(now));
        // Two backups in one second get a sequence suffix rather than overwrite.
        let mut n = 1;
        while self.folder.join(&name).exists() {
            n += 1;
            name = format!("{PREFIX}{}-{n}{SUFFIX}", utc_stamp(now));
        }
        let path = self.folder.join(&name);
        super::countersign_with_kdf(accounts, &path, password, kdf)?;
        let state = State {
            last: name,
            fingerprint: fingerprint(accounts),
            at: now,
        };
        let state_path = self.folder.join(STATE);
        let text = serde_json::to_string(&state)
            .map_err(|e| Error::InvalidInput(format!("backup state: {e}")))?;
        write_private(&state_path, text.as_bytes()).map_err(|e| io(&state_path, e))?;
        self.prune()?;
        Ok(path)
    }

    /// The backups in the folder, oldest first.
    pub fn list(&self) -> Result<Vec<PathBuf>, Error> {
        let entries = match fs::read_dir(&self.folder) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(&self.folder, e)),
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
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
        !self.folder.join(&state.last).exists() || state.fingerprint != fingerprint(accounts)
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

/// `(stamp, sequence)` of a backup file name; the first backup of a second is sequence 1.
fn order_key(name: &str) -> (String, u32) {
    let stem = &name[PREFIX.len()..name.len() - SUFFIX.len()];
    match stem.split_once('-') {
        Some((stamp, n)) => (stamp.to_owned(), n.parse().unwrap_or(u32::MAX)),
        None => (stem.to_owned(), 1),
    }
}

fn fingerprint(accounts: &[Account]) -> String {
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
    use super::utc_stamp;

    #[test]
    fn utc_stamps_match_known_dates() {
        assert_eq!(utc_stamp(0), "19700101T000000Z");
        assert_eq!(utc_stamp(951_782_400), "20000229T000000Z");
        assert_eq!(utc_stamp(1_764_358_200), "20251128T193000Z");
    }
}
