//! A metadata log that compacts like Spark's `CompactibleFileStreamLog`: the batch `N` with
//! `(N + 1) % interval == 0` is written as `N.compact`, holding every entry so far, so restart
//! reads one compaction and at most `interval - 1` batch files, however many batches ran.
//! Files a compaction made redundant are deleted as Spark's `deleteExpiredLog` deletes them:
//! only once `minBatchesToRetain` batches lie after the compaction that replaced them
//! (spark/FINDINGS.md Q12). Reading never depends on the interval: the files themselves say
//! which batches are compactions, and a batch file below the newest compaction is never read
//! for the log's whole contents.

use super::error::{CheckpointError, Result};
use super::log::{LogFile, MetadataLog, WriteCtx};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::num::NonZeroU64;
use std::path::PathBuf;

/// Spark's default `compactInterval` for both the file source log and the file sink log
/// (`spark.sql.streaming.fileSource.log.compactInterval`, `fileSink.log.compactInterval`).
pub const COMPACT_INTERVAL: u64 = 10;

/// An entry of a compactible log.
pub trait LogEntry: Serialize + DeserializeOwned + Clone {
    /// The batch that added the entry, when the entry records it.
    fn batch_id(&self) -> Option<u64>;
}

/// A compactible log of entries of type `T`.
#[derive(Debug, Clone)]
pub struct CompactibleLog<T> {
    log: MetadataLog,
    interval: u64,
    /// Spark's `minBatchesToRetain`: how many of the newest batches keep every file they need.
    retain: u64,
    _entry: std::marker::PhantomData<T>,
}

/// True if batch `id` is written as a compaction in a log that compacts every `interval` batches.
pub fn is_compaction_batch(id: u64, interval: u64) -> bool {
    (id + 1).is_multiple_of(interval)
}

impl<T: LogEntry> CompactibleLog<T> {
    /// A log in `dir` that compacts every [`COMPACT_INTERVAL`] batches, as Spark's default.
    pub fn new(dir: PathBuf, log: &'static str) -> Self {
        let retain = super::MIN_BATCHES_TO_RETAIN;
        Self { log: MetadataLog::new(dir, log), interval: COMPACT_INTERVAL, retain, _entry: std::marker::PhantomData }
    }

    /// This log, compacting every `interval` batches instead.
    pub fn with_compact_interval(mut self, interval: NonZeroU64) -> Self {
        self.interval = interval.get();
        self
    }

    /// This log, keeping the files the newest `retain` batches need instead.
    pub fn with_min_batches_to_retain(mut self, retain: NonZeroU64) -> Self {
        self.retain = retain.get();
        self
    }

    /// The plain log underneath.
    pub fn log(&self) -> &MetadataLog {
        &self.log
    }

    /// Reads and parses one file.
    pub fn read_file(&self, storage: &dyn crate::storage::Storage, file: LogFile) -> Result<Vec<T>> {
        let lines = self.log.read_file(storage, file)?;
        lines.iter().enumerate().map(|(i, line)| self.log.parse(file, line, i)).collect()
    }

    /// Every entry of the log: the newest compaction plus the batch files after it.
    pub fn all_entries(&self, storage: &dyn crate::storage::Storage) -> Result<Vec<T>> {
        let files = self.log.files(storage)?;
        let start = files.iter().rposition(|f| f.compact).unwrap_or(0);
        let mut entries = Vec::new();
        for file in &files[start..] {
            entries.extend(self.read_file(storage, *file)?);
        }
        Ok(entries)
    }

    /// The entries of one batch, from its own file or from the compaction that holds it.
    pub fn batch(&self, storage: &dyn crate::storage::Storage, id: u64) -> Result<Option<Vec<T>>> {
        let files = self.log.files(storage)?;
        if let Some(file) = files.iter().find(|f| f.id == id && !f.compact) {
            return self.read_file(storage, *file).map(Some);
        }
        let Some(compaction) = files.iter().find(|f| f.compact && f.id >= id) else {
            return Ok(None);
        };
        let entries = self.read_file(storage, *compaction)?;
        Ok(Some(entries.into_iter().filter(|e| e.batch_id() == Some(id)).collect()))
    }

    /// The entries of batches `after + 1 ..= through` (from 0 when `after` is `None`), in batch
    /// order, as Spark's `HDFSMetadataLog.get(start, end)` gives them: every batch in the range
    /// must be there, in its own file or in a compaction that holds it. `needed_by` says who
    /// asks, for the error.
    pub fn range(
        &self,
        storage: &dyn crate::storage::Storage,
        after: Option<u64>,
        through: u64,
        needed_by: &dyn Fn() -> String,
    ) -> Result<Vec<T>> {
        let first = after.map_or(0, |a| a + 1);
        let files = self.log.files(storage)?;
        let mut entries = Vec::new();
        let mut compaction: Option<(LogFile, Vec<T>)> = None;
        for id in first..=through {
            if let Some(file) = files.iter().find(|f| f.id == id && !f.compact) {
                entries.extend(self.read_file(storage, *file)?);
                continue;
            }
            let Some(holder) = files.iter().find(|f| f.compact && f.id >= id).copied() else {
                return Err(CheckpointError::Missing {
                    log: self.log.log_name(),
                    path: self.log.path(LogFile { id, compact: false }),
                    needed_by: needed_by(),
                    hint: "the log was tampered with; restore the file, or start with a new checkpoint".into(),
                });
            };
            if compaction.as_ref().is_none_or(|(file, _)| *file != holder) {
                compaction = Some((holder, self.read_file(storage, holder)?));
            }
            let held = compaction.as_ref().map(|(_, held)| held.as_slice()).unwrap_or_default();
            entries.extend(held.iter().filter(|e| e.batch_id() == Some(id)).cloned());
        }
        Ok(entries)
    }

    /// Writes batch `id`, as a compaction when its turn has come, then deletes the files that
    /// have expired.
    pub fn add(&self, ctx: &mut WriteCtx<'_>, id: u64, entries: &[T]) -> Result<()> {
        self.write_batch(ctx, id, entries)?;
        match expired_below(id, self.interval, self.retain) {
            Some(threshold) => self.log.purge_below(ctx.storage, threshold),
            None => Ok(()),
        }
    }

    fn write_batch(&self, ctx: &mut WriteCtx<'_>, id: u64, entries: &[T]) -> Result<()> {
        if !is_compaction_batch(id, self.interval) {
            return self.log.write(ctx, LogFile { id, compact: false }, &to_lines(entries));
        }
        #[cfg(feature = "seeded-bugs")]
        if let Some(written) = super::seeded::bent_compaction(self, ctx, id, entries) {
            return written;
        }
        let mut all = self.all_entries(ctx.storage)?;
        all.extend_from_slice(entries);
        self.log.write(ctx, LogFile { id, compact: true }, &to_lines(&all))
    }
}

/// Spark's `deleteExpiredLog` after batch `id`: once the oldest batch to retain
/// (`id + 1 - retain`) lies past the first compaction, every file below the last compaction
/// before it goes. Spark also waits `cleanupDelay` (10 minutes of wall clock) after a file was
/// written; the engine has no wall clock and deletes as if the delay had passed, as Spark does
/// with `cleanupDelay` 0 (FINDINGS Q12).
fn expired_below(id: u64, interval: u64, retain: u64) -> Option<u64> {
    let oldest_retained = (id + 1).checked_sub(retain)?;
    (oldest_retained >= interval).then(|| oldest_retained - oldest_retained % interval - 1)
}

pub(super) fn to_lines<T: Serialize>(entries: &[T]) -> Vec<String> {
    entries.iter().map(|e| serde_json::to_string(e).expect("log entries always serialize")).collect()
}

#[cfg(test)]
mod tests {
    use super::expired_below;

    #[test]
    fn files_expire_as_sparks_delete_expired_log_deletes_them() {
        // Goal: the threshold below which files go, after each batch, is Spark's. Method: the
        // listings measured on Spark 4.3 (FINDINGS Q12: interval 10, `minBatchesToRetain` 3,
        // `cleanupDelay` 0: after batch 20, `9.compact, 10…18, 19.compact, 20`; with the default
        // 100, every file is still there after 21 batches) and the edges of the rule.
        assert_eq!(expired_below(20, 10, 3), Some(9));
        assert_eq!(expired_below(11, 10, 3), None, "the oldest batch to retain, 9, is before the first compaction");
        assert_eq!(expired_below(12, 10, 3), Some(9));
        assert_eq!(expired_below(32, 10, 3), Some(29));
        assert_eq!(expired_below(20, 10, 100), None);
        assert_eq!(expired_below(108, 10, 100), None);
        assert_eq!(expired_below(109, 10, 100), Some(9));
        assert_eq!(expired_below(0, 1, 1), None, "batch 0 is the first compaction: nothing is before it");
        assert_eq!(expired_below(5, 1, 1), Some(4), "every batch a compaction: the one before the last stays");
        assert_eq!(expired_below(5, 2, 1), Some(3));
        assert_eq!(expired_below(4, 2, 2), Some(1));
    }
}
