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
    /// A data file could not be written.
    #[error("file sink {}: could not {op}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was attempted.
        op: &'static str,
        /// The cause.
        source: std::io::Error,
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
    #[error("console sink: could not print batch {batch_id}: {source}")]
    Console {
        /// The batch.
        batch_id: u64,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A `foreach-batch` callback failed.
    #[error("foreach-batch callback failed on batch {batch_id}: {message}")]
    Callback {
        /// The batch.
        batch_id: u64,
        /// The callback's message.
        message: String,
    },
}

impl From<crate::faults::Crash> for SinkError {
    fn from(crash: crate::faults::Crash) -> Self {
        SinkError::Log(CheckpointError::Crash(crash))
    }
}

/// A sink.
pub trait Sink: Send {
    /// The kind, e.g. "file".
    fn kind(&self) -> &'static str;
    /// What it promises.
    fn guarantee(&self) -> Guarantee;
    /// Takes one batch. Must hit `DuringSinkWrite` once its data is out and before its own log.
    fn add_batch(&mut self, ctx: &mut WriteCtx<'_>, batch: Batch<'_>) -> Result<SinkOutcome, SinkError>;

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

    /// If the sink already holds batch `id`, says why and makes that durable: the engine then
    /// commits the batch without reading its input, as Spark's file sink does. `None` means the
    /// batch must be read and handed to [`Sink::add_batch`].
    fn skip_if_held(&mut self, ctx: &mut WriteCtx<'_>, id: u64) -> Result<Option<String>, SinkError> {
        let _ = (ctx, id);
        Ok(None)
    }
}
