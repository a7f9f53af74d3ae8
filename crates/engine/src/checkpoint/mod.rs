//! The checkpoint: `metadata`, `sources/0/N`, `offsets/N` and `commits/N` in Spark's formats,
//! and the sink's `_spark_metadata` log format.
//!
//! This layer reads and writes log files atomically and knows their formats. It must never
//! decide what a batch contains or how to recover: that is the engine's job.

mod compactible;
mod error;
mod format;
mod log;
mod options;
mod records;
#[cfg(feature = "seeded-bugs")]
mod seeded;

pub use compactible::{COMPACT_INTERVAL, CompactibleLog, LogEntry, is_compaction_batch};
pub use error::{CheckpointError, Result};
pub use format::{VERSION_LINE, decode, encode};
pub use log::{LogFile, MetadataLog, WriteCtx, sync_file, write_atomic};
pub use options::{CheckpointOptions, MIN_BATCHES_TO_RETAIN, OptionRefused};
pub use records::{
    CommitMetadata, FileSourceOffset, OffsetSeqMetadata, PLAN_FINGERPRINT_KEY, PLAN_KEY, SPARK_CONF, SinkFileStatus,
    SourceFileEntry, StreamMetadata, encode_offset_metadata,
};

use crate::storage::Storage;
use std::path::{Path, PathBuf};

/// What `offsets/N` says about a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchOffsets {
    /// The metadata line.
    pub metadata: OffsetSeqMetadata,
    /// The file source's offset: the source log batch this batch reads up to.
    pub log_offset: Option<u64>,
}

/// The part of the source log that one batch covers, as Spark's file source reads it:
/// source-log batches `after + 1 ..= through`, where `after` is the previous batch's
/// `logOffset` (`None` before the first batch) and `through` is the batch's own.
///
/// `through` is usually the batch id, but not always: after a crash between `sources/0/N` and
/// `offsets/N`, the next batch N takes the orphan entry together with any new files, so its
/// range is `N ..= N + 1`, and every later batch's `logOffset` is its id plus one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceRange {
    /// The previous batch's `logOffset`, or `None` before the first.
    pub after: Option<u64>,
    /// This batch's `logOffset`, or `None` if it records none (no source data at all).
    pub through: Option<u64>,
}

impl SourceRange {
    /// The source-log batch ids of the range, in order.
    pub fn ids(&self) -> std::ops::RangeInclusive<u64> {
        let first = self.after.map_or(0, |a| a + 1);
        match self.through {
            Some(through) => first..=through,
            #[allow(clippy::reversed_empty_ranges)]
            None => 1..=0,
        }
    }

    /// True when the range is exactly source-log batch `batch_id`, the usual case.
    pub fn is_batch_id(&self, batch_id: u64) -> bool {
        self.through == Some(batch_id) && self.after == batch_id.checked_sub(1)
    }
}

impl std::fmt::Display for SourceRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids = self.ids();
        match (ids.start(), ids.end()) {
            _ if ids.is_empty() => write!(f, "no source-log batch"),
            (a, b) if a == b => write!(f, "sources/0/{a}"),
            (a, b) => write!(f, "sources/0/{a}..{b}"),
        }
    }
}

/// A checkpoint directory.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    root: PathBuf,
    min_batches_to_retain: u64,
    /// `offsets/`.
    pub offsets: MetadataLog,
    /// `commits/`.
    pub commits: MetadataLog,
    /// `sources/0/`.
    pub sources: CompactibleLog<SourceFileEntry>,
}

impl Checkpoint {
    /// The checkpoint at `root` (which need not exist yet), with Spark's default knobs. Reading
    /// a checkpoint does not depend on them.
    pub fn new(root: &Path) -> Self {
        Self::with_options(root, &CheckpointOptions::default())
    }

    /// The checkpoint at `root`, written with these knobs.
    pub fn with_options(root: &Path, options: &CheckpointOptions) -> Self {
        let sources = CompactibleLog::new(root.join("sources").join("0"), "source log");
        Self {
            root: root.to_path_buf(),
            min_batches_to_retain: options.min_batches_to_retain().get(),
            offsets: MetadataLog::new(root.join("offsets"), "offsets log"),
            commits: MetadataLog::new(root.join("commits"), "commit log"),
            sources: sources
                .with_compact_interval(options.compact_interval())
                .with_min_batches_to_retain(options.min_batches_to_retain()),
        }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The path of the `metadata` file.
    pub fn metadata_path(&self) -> PathBuf {
        self.root.join("metadata")
    }

    /// Reads `metadata`; `None` if the checkpoint has none yet.
    pub fn read_metadata(&self, storage: &dyn Storage) -> Result<Option<StreamMetadata>> {
        let path = self.metadata_path();
        if !storage.exists(&path) {
            return Ok(None);
        }
        let bytes = storage.read(&path).map_err(error::io_err("metadata file", &path, "read the file"))?;
        let corrupt = |problem: String| CheckpointError::Corrupt {
            log: "metadata file",
            path: path.clone(),
            problem,
            hint: "it should hold {\"id\":\"<uuid>\"}; run `crashpoint doctor` on the checkpoint: it says what can be \
                   done"
                .into(),
        };
        if bytes.is_empty() {
            return Err(corrupt("the file is empty".into()));
        }
        serde_json::from_slice(&bytes).map(Some).map_err(|e| corrupt(format!("not valid: {e}")))
    }

    /// Writes `metadata` atomically.
    pub fn write_metadata(&self, ctx: &mut WriteCtx<'_>, metadata: &StreamMetadata) -> Result<()> {
        let json = serde_json::to_string(metadata).expect("metadata always serializes");
        write_atomic(ctx, "metadata file", &self.metadata_path(), json.as_bytes())
    }

    /// Reads `offsets/N`.
    pub fn read_offsets(&self, storage: &dyn Storage, id: u64) -> Result<BatchOffsets> {
        let file = LogFile { id, compact: false };
        let lines = self.offsets.read_file(storage, file)?;
        let Some(first) = lines.first() else {
            let problem = format::DecodeProblem {
                problem: "the batch metadata line is missing".into(),
                hint: "the file is torn; if this batch has no commit, delete the file and restart".into(),
            };
            return Err(self.offsets.corrupt(&self.offsets.path(file), problem));
        };
        let metadata = self.offsets.parse(file, first, 0)?;
        let log_offset = match lines.get(1) {
            Some(line) if line != "-" => Some(self.offsets.parse::<FileSourceOffset>(file, line, 1)?.log_offset),
            _ => None,
        };
        Ok(BatchOffsets { metadata, log_offset })
    }

    /// The source-log range of batch `id`: from `offsets/<id - 1>`'s `logOffset` (exclusive) to
    /// `offsets/<id>`'s (inclusive), as Spark's `FileStreamSource.getBatch(start, end)`.
    pub fn source_range(&self, storage: &dyn Storage, id: u64) -> Result<SourceRange> {
        let through = self.read_offsets(storage, id)?.log_offset;
        Ok(SourceRange { after: self.previous_log_offset(storage, id)?, through })
    }

    /// The `logOffset` of the batch before `id` (`None` for batch 0), which Spark needs to
    /// re-run or continue after batch `id - 1`.
    pub fn previous_log_offset(&self, storage: &dyn Storage, id: u64) -> Result<Option<u64>> {
        let Some(previous) = id.checked_sub(1) else {
            return Ok(None);
        };
        let file = LogFile { id: previous, compact: false };
        if !storage.exists(&self.offsets.path(file)) {
            return Err(CheckpointError::Missing {
                log: self.offsets.log_name(),
                path: self.offsets.path(file),
                needed_by: format!("batch {id} starts where batch {previous} ended in the source log"),
                hint: "Spark stops here too; restore the file, or start with a new checkpoint".into(),
            });
        }
        Ok(self.read_offsets(storage, previous)?.log_offset)
    }

    /// The files of a source-log range, in source-log order.
    pub fn source_files(
        &self,
        storage: &dyn Storage,
        batch_id: u64,
        range: SourceRange,
    ) -> Result<Vec<SourceFileEntry>> {
        let Some(through) = range.through else {
            return Ok(Vec::new());
        };
        let needed_by = || format!("batch {batch_id} covers {range}");
        self.sources.range(storage, range.after, through, &needed_by)
    }

    /// Writes `offsets/N` for the one file source, with its source-log offset `log_offset` and
    /// the plan that runs the batch.
    pub fn write_offsets(
        &self,
        ctx: &mut WriteCtx<'_>,
        id: u64,
        batch_timestamp_ms: i64,
        plan: PlanRecord<'_>,
        log_offset: u64,
    ) -> Result<()> {
        let offset = serde_json::to_string(&FileSourceOffset { log_offset }).expect("offsets serialize");
        let lines = [encode_offset_metadata(batch_timestamp_ms, plan.fingerprint, plan.json), offset];
        self.offsets.write(ctx, LogFile { id, compact: false }, &lines)
    }

    /// Reads and checks `commits/N`.
    pub fn read_commit(&self, storage: &dyn Storage, id: u64) -> Result<CommitMetadata> {
        let file = LogFile { id, compact: false };
        let lines = self.commits.read_file(storage, file)?;
        let line = lines.first().map(String::as_str).unwrap_or("{\"nextBatchWatermarkMs\":0}");
        self.commits.parse(file, line, 0)
    }

    /// Writes `commits/N`.
    pub fn write_commit(&self, ctx: &mut WriteCtx<'_>, id: u64) -> Result<()> {
        let line = serde_json::to_string(&CommitMetadata { next_batch_watermark_ms: 0 }).expect("commit serializes");
        self.commits.write(ctx, LogFile { id, compact: false }, &[line])
    }

    /// Fsyncs the checkpoint's directories, so that files a crashed run renamed into place
    /// without a directory fsync are durable before a new run builds on them.
    pub fn sync_dirs(&self, storage: &dyn Storage) -> Result<()> {
        let root = self.root.clone();
        for dir in [
            root.clone(),
            self.offsets.dir().to_path_buf(),
            self.commits.dir().to_path_buf(),
            self.sources.log().dir().to_path_buf(),
        ] {
            if storage.exists(&dir) {
                storage.sync_dir(&dir).map_err(error::io_err("checkpoint", &dir, "fsync the directory"))?;
            }
        }
        Ok(())
    }

    /// Purges offsets and commits below `committed_id - min_batches_to_retain`, as Spark 4.3
    /// does (`purge(currentBatchId - minBatchesToRetain)`): measured, with minBatchesToRetain 2,
    /// Spark keeps batches 4, 5 and 6 after batch 6.
    pub fn purge(&self, storage: &dyn Storage, committed_id: u64) -> Result<()> {
        let Some(threshold) = committed_id.checked_sub(self.min_batches_to_retain) else {
            return Ok(());
        };
        self.offsets.purge_below(storage, threshold)?;
        self.commits.purge_below(storage, threshold)
    }
}

/// The plan as `offsets/N` records it: its fingerprint and its canonical JSON.
#[derive(Debug, Clone, Copy)]
pub struct PlanRecord<'a> {
    /// The fingerprint.
    pub fingerprint: &'a str,
    /// The canonical JSON.
    pub json: &'a str,
}
