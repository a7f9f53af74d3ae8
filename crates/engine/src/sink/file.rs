//! The file sink: JSON part files plus Spark's `_spark_metadata` log. Exactly-once: it skips
//! any batch id at or below the newest one in its log, and readers see only logged files.

use super::{Batch, EncodedBatch, EncodedPart, HeldBatches, PartFormat, Sink, SinkError, SinkOutcome};
use crate::checkpoint::{CompactibleLog, SinkFileStatus, WriteCtx};
use crate::faults::{CrashPoint, FaultPlan};
use crate::guarantee::Guarantee;
use crate::json::RowWriter;
use crate::plan::Row;
use crate::rng::{Rng, derive};
use crate::storage::Storage;
use crate::uri::{path_of, uri_of};
use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// At most this many part files of a batch are written and fsynced at once.
const WRITERS_MAX: usize = 16;

/// Spark's `blockSize` for the local file system.
const BLOCK_SIZE: u64 = 32 * 1024 * 1024;

/// Writes batches as JSON part files under an output directory.
pub struct FileSink {
    dir: PathBuf,
    log: CompactibleLog<SinkFileStatus>,
    seed: u64,
    /// The output's lock, held from [`Sink::open`] while the sink lives.
    lock: Option<crate::storage::LockGuard>,
}

/// The lock file of an output directory: hidden, so that readers of the output ignore it.
pub const OUTPUT_LOCK: &str = ".crashpoint-output.lock";

fn sink_log(dir: &Path) -> CompactibleLog<SinkFileStatus> {
    CompactibleLog::new(dir.join("_spark_metadata"), "sink log")
}

fn io(path: &Path, op: &'static str) -> impl FnOnce(std::io::Error) -> SinkError {
    let path = path.to_path_buf();
    move |error| SinkError::Io { path, op, error }
}

impl FileSink {
    /// A file sink into `dir`; part-file names derive from `seed` (the query id's seed). Its
    /// log compacts every 10 batches, as Spark's default `fileSink.log.compactInterval`.
    pub fn new(dir: &Path, seed: u64) -> Self {
        Self { dir: dir.to_path_buf(), log: sink_log(dir), seed, lock: None }
    }

    /// The newest batch in `_spark_metadata`; `None` while the seeded bug that ignores the log
    /// is on, since the bent sink never skips.
    fn latest_logged(&self, ctx: &WriteCtx<'_>) -> Result<Option<u64>, SinkError> {
        #[cfg(feature = "seeded-bugs")]
        if ctx.faults.seams().file_sink_log == crate::seams::FileSinkLog::Ignored {
            return Ok(None);
        }
        Ok(self.log.log().latest(ctx.storage)?)
    }

    /// This sink, with its log compacting every `interval` batches.
    pub fn with_compact_interval(mut self, interval: std::num::NonZeroU64) -> Self {
        self.log = self.log.with_compact_interval(interval);
        self
    }

    /// This sink, with its log keeping the files its newest `retain` batches need (Spark's
    /// `minBatchesToRetain`, default 100).
    pub fn with_min_batches_to_retain(mut self, retain: std::num::NonZeroU64) -> Self {
        self.log = self.log.with_min_batches_to_retain(retain);
        self
    }

    /// Fresh part-file names for a batch's parts of tasks `tasks`, `part-0000K-<uuid>-c000.json`
    /// as Spark names partition K: one seeded uuid for the batch, and never a name that exists.
    fn part_paths(&self, storage: &dyn Storage, batch_id: u64, tasks: &[usize]) -> Vec<PathBuf> {
        (0u64..)
            .map(|attempt| {
                let uuid = Rng::new(derive(self.seed, &format!("part/{batch_id}/{attempt}"))).uuid();
                tasks.iter().map(|k| self.dir.join(format!("part-{k:05}-{uuid}-c000.json"))).collect::<Vec<_>>()
            })
            .find(|paths| !paths.iter().any(|path| storage.exists(path)))
            .expect("an unbounded range always finds free names")
    }

    /// One part file: written, stamped with the batch's logical time, fsynced.
    fn write_part(
        storage: &dyn Storage,
        faults: &FaultPlan,
        timestamp_ms: i64,
        bytes: &[u8],
        path: &Path,
    ) -> Result<SinkFileStatus, SinkError> {
        storage.write(path, bytes).map_err(io(path, "write a part file"))?;
        // Stamped with the batch's logical time, so that the sink log is deterministic.
        storage.set_mtime(path, timestamp_ms).map_err(io(path, "set a part file's time"))?;
        crate::checkpoint::sync_file(storage, faults, path).map_err(io(path, "fsync a part file"))?;
        Ok(SinkFileStatus {
            path: uri_of(path),
            size: bytes.len() as u64,
            is_dir: false,
            modification_time: timestamp_ms,
            block_replication: 1,
            block_size: BLOCK_SIZE,
            action: "add".into(),
        })
    }

    /// Writes a batch of gathered rows: each written task's rows encoded, then written.
    fn write_batch(&self, ctx: &mut WriteCtx<'_>, batch: Batch<'_>) -> Result<(), SinkError> {
        let parts = batch.written_parts();
        let tasks: Vec<usize> = parts.iter().map(|(k, _)| *k).collect();
        let writer = RowWriter::new(batch.schema);
        let encode = |i: usize| {
            let rows = &batch.rows[parts[i].1.clone()];
            let mut bytes = Vec::with_capacity(rows.len() * 64);
            for row in rows {
                writer.write(row, &mut bytes);
                bytes.push(b'\n');
            }
            Cow::Owned(bytes)
        };
        self.write_parts(ctx, (batch.id, batch.timestamp_ms, batch.threads), &tasks, encode)
    }

    /// Writes a batch's part files, one per written task (`tasks`, their numbers; `part(i)` gives
    /// the i-th one's bytes), on the batch's threads, then its entry in `_spark_metadata`. `DuringSinkWrite` is
    /// hit between every two part files (with one thread, the later ones are not begun) and once
    /// after the last.
    fn write_parts<'b>(
        &self,
        ctx: &mut WriteCtx<'_>,
        (id, timestamp_ms, threads): (u64, i64, usize),
        tasks: &[usize],
        part: impl Fn(usize) -> Cow<'b, [u8]> + Sync,
    ) -> Result<(), SinkError> {
        crate::storage::create_dir_durable(ctx.storage, &self.dir).map_err(|e| io(&e.path, e.op)(e.error))?;
        let (paths, count) = (self.part_paths(ctx.storage, id, tasks), tasks.len());
        // The writers fsync under the run's seams; crash points are hit on this thread only.
        let (storage, sync_faults) = (ctx.storage, ctx.faults.clone());
        let mut entries = Vec::with_capacity(count);
        // A part's fsync waits on the disk, not on a core: with more than one thread, up to
        // WRITERS_MAX parts are written at once, so that their fsyncs overlap. One thread keeps
        // one (exploration's worlds: a crash between two parts leaves the later ones unbegun).
        let writers = if threads > 1 { threads.max(count.min(WRITERS_MAX)) } else { 1 };
        crate::exec::run_ordered(
            writers,
            count,
            |k| Self::write_part(storage, &sync_faults, timestamp_ms, &part(k), &paths[k]),
            |k, written: Result<SinkFileStatus, SinkError>| {
                entries.push(written?);
                if k + 1 < count {
                    ctx.faults.hit(CrashPoint::DuringSinkWrite)?;
                }
                Ok::<(), SinkError>(())
            },
        )?;
        ctx.storage.sync_dir(&self.dir).map_err(io(&self.dir, "fsync the output directory"))?;
        ctx.faults.hit(CrashPoint::DuringSinkWrite)?;
        self.log.add(ctx, id, &entries)?;
        Ok(())
    }

    /// Writes a batch whose rows came encoded: one part file per written task.
    fn write_encoded_batch(&self, ctx: &mut WriteCtx<'_>, batch: EncodedBatch<'_>) -> Result<(), SinkError> {
        let tasks = super::written_tasks(batch.parts.len(), |k| batch.parts[k].rows > 0);
        let empty = EncodedPart::default();
        let part = |i: usize| Cow::Borrowed(&batch.parts.get(tasks[i]).unwrap_or(&empty).bytes[..]);
        self.write_parts(ctx, (batch.id, batch.timestamp_ms, batch.threads), &tasks, part)
    }
}

impl FileSink {
    /// Writes batch `id` with `write` unless the sink log already holds it. The engine asks
    /// `skip_if_held` first; this second look keeps the sink exactly-once for any caller that
    /// does not.
    fn add_unless_held(
        &mut self,
        ctx: &mut WriteCtx<'_>,
        id: u64,
        write: impl FnOnce(&Self, &mut WriteCtx<'_>) -> Result<(), SinkError>,
    ) -> Result<SinkOutcome, SinkError> {
        #[cfg(feature = "seeded-bugs")]
        if ctx.faults.seams().file_sink_log == crate::seams::FileSinkLog::Ignored {
            return ignoring_log(write(self, ctx));
        }
        if let Some(reason) = self.skip_if_held(ctx, id)? {
            return Ok(SinkOutcome::Skipped(reason));
        }
        write(self, ctx)?;
        Ok(SinkOutcome::Written)
    }
}

/// The file-sink-log seam bent: every batch is written again, and a log entry that already
/// exists is taken as written.
#[cfg(feature = "seeded-bugs")]
fn ignoring_log(written: Result<(), SinkError>) -> Result<SinkOutcome, SinkError> {
    match written {
        Ok(()) | Err(SinkError::Log(crate::checkpoint::CheckpointError::ConcurrentWriter { .. })) => {
            Ok(SinkOutcome::Written)
        }
        Err(e) => Err(e),
    }
}

impl Sink for FileSink {
    fn kind(&self) -> &'static str {
        "file"
    }

    fn guarantee(&self) -> Guarantee {
        Guarantee::ExactlyOnce
    }

    fn add_batch(&mut self, ctx: &mut WriteCtx<'_>, batch: Batch<'_>) -> Result<SinkOutcome, SinkError> {
        self.add_unless_held(ctx, batch.id, |sink, ctx| sink.write_batch(ctx, batch))
    }

    fn part_format(&self) -> Option<PartFormat> {
        Some(PartFormat::JsonLines)
    }

    fn add_encoded_batch(&mut self, ctx: &mut WriteCtx<'_>, batch: EncodedBatch<'_>) -> Result<SinkOutcome, SinkError> {
        self.add_unless_held(ctx, batch.id, |sink, ctx| sink.write_encoded_batch(ctx, batch))
    }

    fn open(&mut self, storage: &dyn Storage) -> Result<(), SinkError> {
        crate::storage::create_dir_durable(storage, &self.dir).map_err(|e| io(&e.path, e.op)(e.error))?;
        let lock = self.dir.join(OUTPUT_LOCK);
        match storage.lock(&lock) {
            Ok(guard) => self.lock = Some(guard),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                return Err(SinkError::OutputLocked { dir: self.dir.clone(), lock });
            }
            Err(e) => return Err(io(&lock, "take the output's lock")(e)),
        }
        // Readers read every entry from the newest compaction on: one they cannot read must
        // stop the query before it commits more batches over it.
        self.log.all_entries(storage)?;
        self.log.open(storage)?;
        Ok(())
    }

    fn keeps_batches(&self) -> bool {
        true
    }

    fn held_batches(&self, storage: &dyn Storage) -> Result<Option<HeldBatches>, SinkError> {
        let latest = self.log.log().latest(storage)?;
        Ok(latest.map(|latest| HeldBatches { latest, place: self.log.log().dir().display().to_string() }))
    }

    fn skip_if_held(&mut self, ctx: &mut WriteCtx<'_>, id: u64) -> Result<Option<String>, SinkError> {
        let Some(latest) = self.latest_logged(ctx)?.filter(|latest| id <= *latest) else {
            return Ok(None);
        };
        // The engine commits on the strength of this entry: a torn one must stop it, or readers
        // of the output break on a batch that is committed.
        self.log.batch(ctx.storage, id)?;
        // A crashed run may have renamed the entry without a directory fsync: make it durable
        // before the engine commits on the strength of it.
        let dir = self.log.log().dir();
        ctx.storage.sync_dir(dir).map_err(io(dir, "fsync the sink log directory"))?;
        Ok(Some(format!("batch {id} is already in _spark_metadata (latest {latest})")))
    }
}

/// What a reader of the output directory sees, batch by batch where the log says so: the
/// files in `_spark_metadata`. With `trust_log` false, every part file in the directory: what a
/// reader that ignores the log sees.
pub fn read_file_sink_output(
    storage: &dyn Storage,
    dir: &Path,
    schema: &[String],
    trust_log: bool,
) -> Result<Vec<Row>, SinkError> {
    let paths: Vec<PathBuf> = if trust_log {
        let entries = sink_log(dir).all_entries(storage)?;
        entries.iter().filter(|e| e.action == "add").map(|e| path_of(&e.path)).collect()
    } else {
        match storage.list(dir) {
            Ok(list) => list.into_iter().filter(|e| e.name.starts_with("part-")).map(|e| e.path).collect(),
            Err(_) => Vec::new(),
        }
    };
    let mut rows = Vec::new();
    for path in paths {
        let bytes = storage.read(&path).map_err(io(&path, "read a part file"))?;
        for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let mut object: serde_json::Map<String, serde_json::Value> =
                serde_json::from_slice(line).map_err(|e| io(&path, "parse a part file")(std::io::Error::other(e)))?;
            rows.push(schema.iter().map(|c| object.remove(c).unwrap_or_default()).collect());
        }
    }
    Ok(rows)
}
