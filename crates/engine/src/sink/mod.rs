//! Sinks: where a batch's rows go. `console` and a naive `foreach-batch` are at-least-once;
//! `file` (with its `_spark_metadata` log) and `memory` are exactly-once.
//!
//! A sink sees one batch at a time and must never touch the checkpoint: its own log, if it
//! keeps one, lives beside its output.

mod console;
mod file;
mod foreach;
mod memory;

pub use console::{ConsoleSink, SHOW_ROWS_MAX, render_table};
pub use file::{FileSink, OUTPUT_LOCK, read_file_sink_output};
pub use foreach::{BatchCallback, ForeachBatchSink};
pub use memory::{MemorySink, MemoryStore};

use crate::checkpoint::{CheckpointError, WriteCtx};
use crate::guarantee::Guarantee;
use crate::plan::Row;
use crate::storage::Storage;
use std::path::PathBuf;

/// One batch, as handed to a sink.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    /// The batch id.
    pub id: u64,
    /// The batch's logical time, ms.
    pub timestamp_ms: i64,
    /// The column names.
    pub schema: &'a [String],
    /// The rows.
    pub rows: &'a [Row],
    /// Each task's share of `rows`, in task order, as Spark's partitions: a sink that writes
    /// one file per partition (the file sink) writes the parts [`Batch::written_parts`] gives.
    /// Together they cover `rows`; empty when the caller does not split the batch (one part
    /// then holds every row).
    pub parts: &'a [std::ops::Range<usize>],
    /// Threads the sink may use for its parts (0 counts as 1). Nothing it writes may depend on it.
    pub threads: usize,
}

impl Batch<'_> {
    /// The parts a file per partition is written for, with each one's task number, in task
    /// order: see [`written_tasks`].
    pub fn written_parts(&self) -> Vec<(usize, std::ops::Range<usize>)> {
        let whole = 0..self.rows.len();
        let parts = if self.parts.is_empty() { std::slice::from_ref(&whole) } else { self.parts };
        debug_assert_eq!(parts.iter().map(|p| p.len()).sum::<usize>(), self.rows.len(), "the parts cover the rows");
        let written = written_tasks(parts.len(), |k| !parts[k].is_empty());
        written.into_iter().map(|k| (k, parts.get(k).cloned().unwrap_or(0..0))).collect()
    }
}

/// The tasks of a batch of `tasks` tasks that write a part file, as Spark's file writer has
/// them (`spark/FINDINGS.md` Q23): task 0 always, empty or not (a batch of no task still runs
/// one), and every other task that made a row. A part file is numbered by its task, so an
/// empty task leaves a gap (`part-00000`, `part-00001`, `part-00003`).
pub fn written_tasks(tasks: usize, has_rows: impl Fn(usize) -> bool) -> Vec<usize> {
    std::iter::once(0).chain((1..tasks).filter(|k| has_rows(*k))).collect()
}

/// How a sink wants each task's rows encoded: a sink that writes each task's rows as bytes of
/// its own (the file sink's part files) names its format through [`Sink::part_format`], and the
/// engine then encodes every row on the task's thread as the plan makes it, straight from the
/// parsed record, and hands the sink the bytes ([`Sink::add_encoded_batch`]) instead of
/// gathering the rows. The bytes are exactly what the format's writer makes of the same rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PartFormat {
    /// Each row a JSON object on a line of its own, as [`crate::json::RowWriter`] writes it,
    /// then `\n`: Spark's JSON part files.
    JsonLines,
}

/// One task's rows, encoded in the sink's [`PartFormat`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EncodedPart {
    /// The bytes of the task's rows, in the plan's order.
    pub bytes: Vec<u8>,
    /// How many rows they hold.
    pub rows: usize,
}

/// One batch whose rows were encoded in the sink's [`PartFormat`], as handed to
/// [`Sink::add_encoded_batch`].
#[derive(Debug, Clone, Copy)]
pub struct EncodedBatch<'a> {
    /// The batch id.
    pub id: u64,
    /// The batch's logical time, ms.
    pub timestamp_ms: i64,
    /// The column names.
    pub schema: &'a [String],
    /// One part per task, in task order, empty ones included (a task whose records gave no row).
    pub parts: &'a [EncodedPart],
    /// Threads the sink may use for its parts (0 counts as 1). Nothing it writes may depend on it.
    pub threads: usize,
}

impl EncodedBatch<'_> {
    /// The rows of every part.
    pub fn rows(&self) -> usize {
        self.parts.iter().map(|p| p.rows).sum()
    }
}

/// What a sink did with a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkOutcome {
    /// The rows were written.
    Written,
    /// The sink already had the batch and wrote nothing.
    Skipped(String),
}

/// The batches a sink already holds, from a log it keeps beside its output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldBatches {
    /// The newest batch id it holds.
    pub latest: u64,
    /// Where it keeps them, for messages: e.g. `/out/_spark_metadata`.
    pub place: String,
}

/// A sink failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SinkError {
    /// The sink log or a data file could not be written (or a crash was injected there).
    #[error(transparent)]
    Log(#[from] CheckpointError),
    /// A data file could not be written (the OS error is in the message, not a `source`).
    #[error("file sink {}: could not {op}: {error}; {}", path.display(), crate::storage::what_to_do(error))]
    Io {
        /// The file.
        path: PathBuf,
        /// What was attempted.
        op: &'static str,
        /// The cause.
        error: std::io::Error,
    },
    /// Another query holds the output's lock.
    #[error(
        "output {}: another query is writing into it ({} is locked); stop the other query first: \
         two queries on one output directory corrupt its log",
        dir.display(), lock.display()
    )]
    OutputLocked {
        /// The output directory.
        dir: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// The console could not be written: the batch did not reach it.
    #[error("console sink: could not print batch {batch_id}: {error}")]
    Console {
        /// The batch.
        batch_id: u64,
        /// The cause (in the message, not a `source`, so that it is printed once).
        error: std::io::Error,
    },
    /// A `foreach-batch` callback failed.
    #[error("foreach-batch callback failed on batch {batch_id}: {message}")]
    Callback {
        /// The batch.
        batch_id: u64,
        /// The callback's message.
        message: String,
    },
    /// A sink outside the engine (a database, the user's program) failed.
    #[error("{sink}: {message}")]
    External {
        /// Which sink, e.g. "sqlite sink /tmp/x/table.db".
        sink: String,
        /// What went wrong, with its cause.
        message: String,
    },
}

impl SinkError {
    /// The operating system's error behind this one, if it is an I/O error.
    pub fn io_error(&self) -> Option<&std::io::Error> {
        match self {
            SinkError::Io { error, .. } | SinkError::Console { error, .. } => Some(error),
            SinkError::Log(log) => log.io_error(),
            SinkError::OutputLocked { .. } | SinkError::Callback { .. } | SinkError::External { .. } => None,
        }
    }
}

impl From<crate::faults::Crash> for SinkError {
    fn from(crash: crate::faults::Crash) -> Self {
        SinkError::Log(CheckpointError::Crash(crash))
    }
}

/// A sink: where the engine hands each batch's rows, between `offsets/N` and `commits/N`.
///
/// The engine calls [`Sink::open`] once per query start, then [`Sink::add_batch`] for every
/// batch it runs, a re-run batch included: after a crash between the sink and `commits/N`,
/// the restarted query hands the same batch id and the same rows again. A sink that must be
/// exactly-once therefore recognises a batch id it already holds, as Spark's documentation
/// asks of a `foreachBatch` writer. A crash may also come inside `add_batch`, at
/// [`CrashPoint::DuringSinkWrite`](crate::faults::CrashPoint::DuringSinkWrite): the process
/// dies there and whatever the sink had not made durable is gone.
///
/// Write through the [`Storage`] in the [`WriteCtx`] (or keep state in a system of your own),
/// never through a global: a harness runs many worlds at once.
///
/// ```
/// use crashpoint_engine::checkpoint::WriteCtx;
/// use crashpoint_engine::faults::CrashPoint;
/// use crashpoint_engine::guarantee::Guarantee;
/// use crashpoint_engine::sink::{Batch, Sink, SinkError, SinkOutcome};
///
/// /// Counts rows; keeps nothing, so it is at most at-least-once.
/// struct Counter(usize);
///
/// impl Sink for Counter {
///     fn kind(&self) -> &'static str {
///         "counter"
///     }
///     fn guarantee(&self) -> Guarantee {
///         Guarantee::AtLeastOnce
///     }
///     fn add_batch(&mut self, ctx: &mut WriteCtx<'_>, batch: Batch<'_>) -> Result<SinkOutcome, SinkError> {
///         self.0 += batch.rows.len();
///         // Where a crash may cut the batch short: after the data, before any record of it.
///         ctx.faults.hit(CrashPoint::DuringSinkWrite)?;
///         Ok(SinkOutcome::Written)
///     }
/// }
/// ```
pub trait Sink: Send {
    /// The kind, e.g. "file".
    fn kind(&self) -> &'static str;
    /// What it promises.
    fn guarantee(&self) -> Guarantee;
    /// Takes one batch. Must hit `DuringSinkWrite` once its data is out and before its own log
    /// (or, for a transactional sink, before its commit).
    fn add_batch(&mut self, ctx: &mut WriteCtx<'_>, batch: Batch<'_>) -> Result<SinkOutcome, SinkError>;

    /// The format the sink writes each task's rows in, if it writes them as bytes of its own.
    /// With `Some`, the engine encodes each task's rows on the task's thread and calls
    /// [`Sink::add_encoded_batch`] instead of [`Sink::add_batch`]: no row is gathered. `None` (the
    /// default): the rows are gathered and handed to [`Sink::add_batch`]. A sink that wraps
    /// another and needs the rows (a recorder) keeps the default.
    fn part_format(&self) -> Option<PartFormat> {
        None
    }

    /// Takes one batch encoded in the sink's [`Sink::part_format`], with the contract of
    /// [`Sink::add_batch`] (a re-run batch comes again; `DuringSinkWrite` once the data is out).
    /// The engine calls it only on a sink that names a format: the default refuses.
    fn add_encoded_batch(&mut self, ctx: &mut WriteCtx<'_>, batch: EncodedBatch<'_>) -> Result<SinkOutcome, SinkError> {
        let _ = ctx;
        Err(SinkError::External {
            sink: format!("{} sink", self.kind()),
            message: format!("batch {} came encoded, but the sink names no part format", batch.id),
        })
    }

    /// Called once when a query starts, before any batch: a sink that owns an output directory
    /// takes its lock here, so that a second query on it gets a clear error.
    fn open(&mut self, storage: &dyn Storage) -> Result<(), SinkError> {
        let _ = storage;
        Ok(())
    }

    /// The batches the sink already holds, if it keeps a record of them. The engine refuses to
    /// plan new files into a batch id at or below [`HeldBatches::latest`]: the sink would skip
    /// that batch and its rows would be lost.
    fn held_batches(&self, storage: &dyn Storage) -> Result<Option<HeldBatches>, SinkError> {
        let _ = storage;
        Ok(None)
    }

    /// True if the sink keeps a record of the batches it holds ([`Sink::held_batches`]): then
    /// every committed batch must be in it, and the engine refuses to run on a checkpoint whose
    /// latest commit the sink does not hold.
    fn keeps_batches(&self) -> bool {
        false
    }

    /// If the sink already holds batch `id`, says why and makes that durable: the engine then
    /// commits the batch without reading its input, as Spark's file sink does. `None` means the
    /// batch must be read and handed to [`Sink::add_batch`].
    fn skip_if_held(&mut self, ctx: &mut WriteCtx<'_>, id: u64) -> Result<Option<String>, SinkError> {
        let _ = (ctx, id);
        Ok(None)
    }
}

/// A sink whose output can be read back as a reader of it sees it: what a harness checks after
/// crashes and restarts. The harness reads through a fresh instance, as a new connection would.
pub trait ReadBack {
    /// Every row a reader of the sink's output sees now, each in `schema`'s column order.
    fn read_back(&self, storage: &dyn Storage, schema: &[String]) -> Result<Vec<Row>, SinkError>;
}
