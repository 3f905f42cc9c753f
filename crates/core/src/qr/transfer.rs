//! Collecting the codes of a Google Authenticator export ("1 of 3", "2 of 3", ...).

use std::collections::BTreeMap;

use countersign_oath::migration::{self, MigrationBatch};
use countersign_oath::KeyUri;

/// Gathers transfer codes as they are scanned, in any order, across images or camera frames,
/// and hands out an export's accounts once all its codes are in.
///
/// Codes from several exports can be mixed; each export is keyed by its batch id. A code
/// scanned twice (a camera sees it in many frames) is ignored.
#[derive(Debug, Default)]
pub struct TransferCollector {
    exports: BTreeMap<i32, Pending>,
}

#[derive(Debug)]
struct Pending {
    size: i32,
    batches: BTreeMap<i32, MigrationBatch>,
}

/// What adding one transfer code achieved.
#[derive(Debug)]
#[non_exhaustive]
pub enum TransferProgress {
    /// That was the last missing code: here are all the export's accounts, in export order.
    Complete(Vec<KeyUri>),
    /// More codes of this export are needed.
    Waiting {
        /// The export's batch id.
        batch_id: i32,
        /// Codes scanned so far.
        scanned: usize,
        /// Codes in the export.
        total: usize,
        /// Which codes are still missing, numbered from 1 as the phone shows them.
        missing: Vec<i32>,
    },
    /// This code was already scanned; nothing changed.
    Duplicate,
    /// The code contradicts the others of its export (another batch size, or an index outside
    /// it); it was not kept.
    Inconsistent(String),
}

impl TransferCollector {
    /// An empty collector.
    pub fn new() -> TransferCollector {
        TransferCollector::default()
    }

    /// Adds one scanned transfer code.
    pub fn add(&mut self, batch: MigrationBatch) -> TransferProgress {
        // Some encoders write 0 for a single code.
        let size = batch.batch_size.max(1);
        if batch.batch_index < 0 || batch.batch_index >= size {
            return TransferProgress::Inconsistent(format!(
                "code index {} is outside an export of {size} codes",
                batch.batch_index
            ));
        }
        let pending = self
            .exports
            .entry(batch.batch_id)
            .or_insert_with(|| Pending {
                size,
                batches: BTreeMap::new(),
            });
        if pending.size != size {
            return TransferProgress::Inconsistent(format!(
                "this code says its export has {size} codes, an earlier one said {}",
                pending.size
            ));
        }
        if pending.batches.contains_key(&batch.batch_index) {
            return TransferProgress::Duplicate;
        }
        let batch_id = batch.batch_id;
        pending.batches.insert(batch.batch_index, batch);
        if pending.batches.len() < size as usize {
            let missing = (0..size)
                .filter(|index| !pending.batches.contains_key(index))
                .map(|index| index + 1)
                .collect();
            return TransferProgress::Waiting {
                batch_id,
                scanned: pending.batches.len(),
                total: size as usize,
                missing,
            };
        }
        let Some(done) = self.exports.remove(&batch_id) else {
            // Inserted just above.
            return TransferProgress::Duplicate;
        };
        match migration::join(done.batches.into_values().collect()) {
            Ok(accounts) => TransferProgress::Complete(accounts),
            Err(err) => TransferProgress::Inconsistent(err.to_string()),
        }
    }

    /// True when no export is waiting for more codes.
    pub fn is_empty(&self) -> bool {
        self.exports.is_empty()
    }

    /// A sentence per unfinished export, e.g. "Google Authenticator export: scanned 1 of 3
    /// codes; still missing codes 2, 3".
    pub fn unfinished(&self) -> Vec<String> {
        self.exports
            .values()
            .map(|pending| {
                let missing: Vec<String> = (0..pending.size)
                    .filter(|index| !pending.batches.contains_key(index))
                    .map(|index| (index + 1).to_string())
                    .collect();
                format!(
                    "Google Authenticator export: scanned {} of {} codes; still missing code{} {}",
                    pending.batches.len(),
                    pending.size,
                    if missing.len() == 1 { "" } else { "s" },
                    missing.join(", ")
                )
            })
            .collect()
    }
}
