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
pub use file::{FileSink, read_file_sink_output};
pub use foreach::{BatchCallback, ForeachBatchSink};
pub use memory::{MemorySink, MemoryStore};

use crate::checkpoint::{CheckpointError, WriteCtx};
use crate::guarantee::Guarantee;
use crate::plan::Row;
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
}
