//! A metadata log that compacts like Spark's `CompactibleFileStreamLog`: the batch `N` with
//! `(N + 1) % interval == 0` is written as `N.compact`, holding every entry so far, so restart
//! reads one compaction and at most `interval - 1` batch files, however many batches ran.
//! Files a compaction made redundant are deleted as Spark's `deleteExpiredLog` deletes them:
//! only once `minBatchesToRetain` batches lie after the compaction that replaced them
//! (spark/FINDINGS.md Q12). Reading never depends on the interval: the files themselves say
//! which batches are compactions, and a batch file below the newest compaction is never read
//! for the log's whole contents. Writing does: [`CompactibleLog::open`] derives the interval
//! from the log's own compactions, as Spark does at each start, so that a query restarted with
//! another `compactInterval` keeps writing where Spark would look (FINDINGS Q26e2).

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
    /// The `compactInterval` the query is given.
    conf: u64,
    /// The interval the log compacts with: `conf`, or the one its compactions dictate once opened.
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
        let (conf, interval) = (COMPACT_INTERVAL, COMPACT_INTERVAL);
        Self { log: MetadataLog::new(dir, log), conf, interval, retain, _entry: std::marker::PhantomData }
    }

    /// This log, given a `compactInterval` of `interval` instead (taken as is until
    /// [`Self::open`] finds compactions that dictate another).
    pub fn with_compact_interval(mut self, interval: NonZeroU64) -> Self {
        (self.conf, self.interval) = (interval.get(), interval.get());
        self
    }

    /// Derives the interval from the compactions the log holds, as Spark's
    /// `CompactibleFileStreamLog.compactInterval` does once per start.
    pub fn open(&mut self, storage: &dyn crate::storage::Storage) -> Result<()> {
        let files = self.log.files(storage)?;
        let compactions: Vec<u64> = files.iter().filter(|f| f.compact).map(|f| f.id).collect();
        self.interval = derived_interval(self.conf, &compactions);
        Ok(())
    }

    /// Opens the log as a start that reads it whole does (the source log's): Spark reads the
    /// files from the newest compaction the interval names on (`getAllValidBatches`), so a
    /// batch file there named for another interval stops it (FINDINGS Q26e2).
    pub fn open_to_read(&mut self, storage: &dyn crate::storage::Storage) -> Result<()> {
        self.open(storage)?;
        let files = self.log.files(storage)?;
        let Some(latest) = files.last().map(|f| f.id) else { return Ok(()) };
        for id in read_from(latest, self.interval)..=latest {
            let wanted = LogFile { id, compact: is_compaction_batch(id, self.interval) };
            let other = LogFile { compact: !wanted.compact, ..wanted };
            if !files.contains(&wanted) && files.contains(&other) {
                let found = self.log.path(other).file_name().map(|n| n.to_string_lossy().into_owned());
                return Err(CheckpointError::IntervalMismatch {
                    log: self.log.log_name(),
                    wanted: self.log.path(wanted),
                    found: found.unwrap_or_default(),
                    interval: self.interval,
                    conf: self.conf,
                });
            }
        }
        Ok(())
    }

    /// The interval the log compacts with.
    pub fn interval(&self) -> u64 {
        self.interval
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

/// The interval a log given `conf` compacts with, from its compactions' batch ids (ascending),
/// as Spark 4.3 derives it (FINDINGS Q26e2): two or more, the distance of the newest two; one,
/// `c`, the smallest divisor of `c + 1` at least `conf` (`c + 1` itself when `conf` is at least
/// that or above half of it, Spark's `deriveCompactInterval`); none, `conf`.
fn derived_interval(conf: u64, compactions: &[u64]) -> u64 {
    match compactions {
        [] => conf,
        [only] => {
            let n = only + 1;
            if n <= conf || conf >= n / 2 {
                return n;
            }
            (conf..=n / 2).find(|i| n.is_multiple_of(*i)).unwrap_or(n)
        }
        [.., previous, newest] => newest - previous,
    }
}

/// The first batch Spark reads for a log whose newest batch is `latest`: the compaction the
/// interval puts at or below it (`getAllValidBatches`), or 0 before the first.
fn read_from(latest: u64, interval: u64) -> u64 {
    ((latest + 1) / interval * interval).saturating_sub(1)
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
    use super::{derived_interval, expired_below, read_from};

    #[test]
    fn the_interval_is_derived_from_the_compactions_as_spark_derives_it() {
        // Goal: a restart with another compactInterval compacts where Spark 4.3 does. Method:
        // the cases measured (FINDINGS Q26e2) and the edges of Spark's `deriveCompactInterval`.
        assert_eq!(derived_interval(5, &[2, 5]), 3, "two compactions: their distance, whatever the conf");
        assert_eq!(derived_interval(2, &[2, 5]), 3);
        assert_eq!(derived_interval(2, &[]), 2, "no compaction yet: the conf as is");
        assert_eq!(derived_interval(2, &[2]), 3, "2 is not above half of 3: 3 itself");
        assert_eq!(derived_interval(5, &[2]), 3, "the conf covers 2.compact: 3");
        assert_eq!(derived_interval(5, &[11]), 6, "the smallest divisor of 12 at least 5");
        assert_eq!(derived_interval(4, &[11]), 4);
        assert_eq!(derived_interval(7, &[11]), 12, "no divisor of 12 in 7..=6: 12");
        assert_eq!(derived_interval(1, &[5]), 1);
        assert_eq!(derived_interval(2, &[5]), 2);
        assert_eq!(derived_interval(3, &[5]), 6, "3 is not below half of 6");
        assert_eq!(derived_interval(10, &[9, 19, 29]), 10);
    }

    #[test]
    fn a_start_reads_from_the_compaction_the_interval_names() {
        // Goal: the files a start reads are Spark's `getAllValidBatches`: measured, a log of
        // 0..3 restarted with interval 2 looks for 3.compact (FINDINGS Q26e2).
        assert_eq!(read_from(3, 2), 3);
        assert_eq!(read_from(3, 10), 0, "before the first compaction: from 0");
        assert_eq!(read_from(1, 5), 0);
        assert_eq!(read_from(16, 4), 15);
        assert_eq!(read_from(13, 6), 11);
        assert_eq!(read_from(2, 3), 2);
    }

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
