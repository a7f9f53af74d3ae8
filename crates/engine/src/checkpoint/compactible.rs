//! A metadata log that compacts like Spark's `CompactibleFileStreamLog`: the batch `N` with
//! `(N + 1) % interval == 0` is written as `N.compact`, holding every entry so far. Files below
//! the newest compaction are deleted, so restart reads one compaction and at most
//! `interval - 1` batch files, however many batches ran. Reading never depends on the interval:
//! the files themselves say which batches are compactions.

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
    _entry: std::marker::PhantomData<T>,
}

/// True if batch `id` is written as a compaction in a log that compacts every `interval` batches.
pub fn is_compaction_batch(id: u64, interval: u64) -> bool {
    (id + 1).is_multiple_of(interval)
}

impl<T: LogEntry> CompactibleLog<T> {
    /// A log in `dir` that compacts every [`COMPACT_INTERVAL`] batches, as Spark's default.
    pub fn new(dir: PathBuf, log: &'static str) -> Self {
        Self { log: MetadataLog::new(dir, log), interval: COMPACT_INTERVAL, _entry: std::marker::PhantomData }
    }

    /// This log, compacting every `interval` batches instead.
    pub fn with_compact_interval(mut self, interval: NonZeroU64) -> Self {
        self.interval = interval.get();
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

    /// Writes batch `id`, as a compaction when its turn has come.
    pub fn add(&self, ctx: &mut WriteCtx<'_>, id: u64, entries: &[T]) -> Result<()> {
        if !is_compaction_batch(id, self.interval) {
            return self.log.write(ctx, LogFile { id, compact: false }, &to_lines(entries));
        }
        #[cfg(feature = "seeded-bugs")]
        if let Some(written) = super::seeded::bent_compaction(self, ctx, id, entries) {
            return written;
        }
        let mut all = self.all_entries(ctx.storage)?;
        all.extend_from_slice(entries);
        self.log.write(ctx, LogFile { id, compact: true }, &to_lines(&all))?;
        self.log.purge_below(ctx.storage, id)
    }
}

pub(super) fn to_lines<T: Serialize>(entries: &[T]) -> Vec<String> {
    entries.iter().map(|e| serde_json::to_string(e).expect("log entries always serialize")).collect()
}
