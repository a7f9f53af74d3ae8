//! The sinks of a scenario's world: the tables they keep, which outlive restarts as a database
//! would, and a record of every batch handed to them.
//!
//! This module builds sinks and reads back what a reader of each one sees. It must never judge
//! what it reads: that is the checks' job.

use super::format::{QuerySpec, SinkKind};
use super::gathered::GatheredRows;
use super::sink_spec::SinkSpec;
use crate::bugs::{Bug, BugSet};
use crate::check::{Emission, EmissionOutcome, SinkView};
use crashpoint_engine::checkpoint::{Checkpoint, WriteCtx};
use crashpoint_engine::guarantee::Guarantee;
use crashpoint_engine::plan::{CompiledPlan, Row, format_timestamp_ms};
use crashpoint_engine::sink::{
    Batch, ConsoleSink, EncodedBatch, FileSink, ForeachBatchSink, HeldBatches, MemorySink, MemoryStore, PartFormat,
    ReadBack, Sink, SinkError, SinkOutcome,
};
use crashpoint_engine::source::{SourceOptions, parse_file};
use crashpoint_engine::storage::Storage;
use crashpoint_engine::uri::path_of;
use crashpoint_sinks::{CommandSink, SqliteMode, SqliteSink};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Poisoning only follows an injected panic; the data is whole.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A `Write` into a shared buffer, for the console sink.
#[derive(Clone, Default)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        lock(&self.0).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What the sinks keep across restarts (the file sink keeps its output on the disk), and every
/// hand-over of a batch to a sink.
#[derive(Default)]
pub(super) struct SinkTables {
    /// What the console printed.
    console: SharedBuffer,
    /// The memory sink's table.
    memory: MemoryStore,
    /// The naive foreach-batch callback's appended rows.
    appended: Arc<Mutex<Vec<Row>>>,
    /// The idempotent foreach-batch callback's table.
    by_batch: Arc<Mutex<BTreeMap<u64, Vec<Row>>>>,
    /// Every hand-over of a batch to the sink.
    emissions: Arc<Mutex<Vec<Emission>>>,
    /// A directory of the real disk for the sinks that live outside the engine's storage (the
    /// SQLite database, the user's program's files), made on first use, one per world.
    external: OnceLock<Result<Arc<tempfile::TempDir>, String>>,
}

/// Where worlds keep their external sinks' files: a memory-backed file system when there is
/// one, since a simulated power loss never reaches them and their fsyncs need not be slow.
fn external_root() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() { shm.to_path_buf() } else { std::env::temp_dir() }
}

/// Copies the files and directories under `from` into `to` (the external sinks' state: a
/// program's directory, the SQLite database). No sink runs while a world forks.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir(&target)?;
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// The SQLite sink's database in a world's external directory.
const SQLITE_FILE: &str = "table.db";

fn sqlite_mode(kind: SinkKind) -> Option<SqliteMode> {
    match kind {
        SinkKind::SqliteIdempotent => Some(SqliteMode::Idempotent),
        SinkKind::SqliteAppend => Some(SqliteMode::Append),
        _ => None,
    }
}

/// A deep copy of a shared table.
fn copied<T: Clone>(table: &Arc<Mutex<T>>) -> Arc<Mutex<T>> {
    Arc::new(Mutex::new(lock(table).clone()))
}

impl SinkTables {
    /// The world's directory for external sinks, made on first use.
    pub(super) fn external_dir(&self) -> Result<&Path, SinkError> {
        let made = self.external.get_or_init(|| {
            let root = external_root();
            tempfile::Builder::new()
                .prefix("crashpoint-sink-")
                .tempdir_in(&root)
                .map(Arc::new)
                .map_err(|e| format!("cannot make a directory for the sink in {}: {e}", root.display()))
        });
        match made {
            Ok(dir) => Ok(dir.path()),
            Err(message) => Err(SinkError::External { sink: "the scenario's world".into(), message: message.clone() }),
        }
    }

    /// The user's program; its state in `<external>/state`, its stderr in `<external>/stderr.log`.
    fn command(&self, sink: &SinkSpec) -> Result<CommandSink, SinkError> {
        let program = sink.program().expect("a command kind comes with its program");
        let dir = self.external_dir()?;
        let sink = CommandSink::new(&program.command, &dir.join("state"), &dir.join("stderr.log"), program.guarantee);
        Ok(sink.with_kill_mid_batch(program.kill_sink))
    }

    fn sqlite(&self, mode: SqliteMode) -> Result<SqliteSink, SinkError> {
        Ok(SqliteSink::new(&self.external_dir()?.join(SQLITE_FILE), mode))
    }

    /// An independent copy of every table, for a forked world: the external sinks' directory
    /// (a SQLite database) is copied too, file by file.
    pub(super) fn fork(&self) -> std::io::Result<SinkTables> {
        let external = OnceLock::new();
        if let Some(Ok(dir)) = self.external.get() {
            let copy = tempfile::Builder::new().prefix("crashpoint-sink-").tempdir_in(external_root())?;
            copy_tree(dir.path(), copy.path())?;
            let _ = external.set(Ok(Arc::new(copy)));
        }
        Ok(SinkTables {
            console: SharedBuffer(copied(&self.console.0)),
            memory: copied(&self.memory),
            appended: copied(&self.appended),
            by_batch: copied(&self.by_batch),
            emissions: copied(&self.emissions),
            external,
        })
    }

    /// A fresh sink of `kind` for one process, recording what it is handed; the file sink
    /// writes into `output`.
    pub(super) fn sink(
        &self,
        query: &QuerySpec,
        output: &Path,
        seed: u64,
        process: u32,
        cause: &str,
        planned: PlannedRows,
    ) -> Result<Box<dyn Sink>, SinkError> {
        let kind = query.sink.kind();
        let inner: Box<dyn Sink> = match kind {
            SinkKind::Console => Box::new(ConsoleSink::new(Box::new(self.console.clone()))),
            SinkKind::File => {
                let file = FileSink::new(output, seed)
                    .with_compact_interval(query.checkpoint.compact_interval())
                    .with_min_batches_to_retain(query.checkpoint.min_batches_to_retain());
                if query.gather_rows { Box::new(GatheredRows(Box::new(file))) } else { Box::new(file) }
            }
            SinkKind::Memory => Box::new(MemorySink::new(self.memory.clone())),
            SinkKind::ForeachBatch => {
                let appended = self.appended.clone();
                Box::new(ForeachBatchSink::new(Box::new(move |_, _, rows| {
                    lock(&appended).extend_from_slice(rows);
                    Ok(())
                })))
            }
            SinkKind::ForeachBatchIdempotent => {
                let by_batch = self.by_batch.clone();
                Box::new(ForeachBatchSink::new(Box::new(move |id, _, rows| {
                    lock(&by_batch).insert(id, rows.to_vec());
                    Ok(())
                })))
            }
            SinkKind::SqliteIdempotent | SinkKind::SqliteAppend => {
                Box::new(self.sqlite(sqlite_mode(kind).expect("a SQLite kind"))?)
            }
            SinkKind::Command => Box::new(self.command(&query.sink)?),
            SinkKind::Rust => match &query.sink {
                SinkSpec::Rust(rust) => (rust.factory)(output),
                _ => unreachable!("a Rust kind comes with its factory"),
            },
        };
        let log = self.emissions.clone();
        let name = query.sink.name();
        Ok(Box::new(RecordingSink { inner, name, log, process, cause: cause.to_string(), planned }))
    }

    /// What a reader of the sink sees now; the file sink's output is read from `output`.
    pub(super) fn visible_output(
        &self,
        sink: &SinkSpec,
        storage: &dyn Storage,
        output: &Path,
        schema: &[String],
        bugs: BugSet,
    ) -> Result<Vec<Row>, SinkError> {
        Ok(match sink.kind() {
            SinkKind::Console => lock(&self.emissions)
                .iter()
                .filter(|e| e.outcome != EmissionOutcome::Skipped)
                .flat_map(|e| e.rows.clone())
                .collect(),
            // Read by the oracle's own reader of Spark's log, never by the engine's.
            SinkKind::File => {
                crate::check::spark_log::file_sink_rows(storage, output, schema, !bugs.has(Bug::FileSinkIgnoresLog))
                    .map_err(|e| SinkError::Io {
                        path: output.to_path_buf(),
                        op: "read the output as Spark's reader does",
                        error: std::io::Error::other(e.to_string()),
                    })?
            }
            SinkKind::Memory => lock(&self.memory).values().flatten().cloned().collect(),
            SinkKind::ForeachBatch => lock(&self.appended).clone(),
            SinkKind::ForeachBatchIdempotent => lock(&self.by_batch).values().flatten().cloned().collect(),
            kind @ (SinkKind::SqliteIdempotent | SinkKind::SqliteAppend) => {
                self.sqlite(sqlite_mode(kind).expect("a SQLite kind"))?.read_back(storage, schema)?
            }
            SinkKind::Command => self.command(sink)?.read_back(storage, schema)?,
            // A fresh instance reads, as a new connection would.
            SinkKind::Rust => match sink {
                SinkSpec::Rust(rust) => (rust.factory)(output).read_back(storage, schema)?,
                _ => unreachable!("a Rust kind comes with its factory"),
            },
        })
    }

    /// The batch ids the sink keeps, for the invariant checks.
    pub(super) fn batch_ids(&self, kind: SinkKind) -> Result<Vec<u64>, SinkError> {
        Ok(match kind {
            SinkKind::Memory => lock(&self.memory).keys().copied().collect(),
            SinkKind::ForeachBatchIdempotent => lock(&self.by_batch).keys().copied().collect(),
            SinkKind::SqliteIdempotent => self.sqlite(SqliteMode::Idempotent)?.batch_ids()?,
            _ => Vec::new(),
        })
    }

    /// The sink's view for the invariant checks; the file sink's log is in `output`.
    pub(super) fn view<'a>(kind: SinkKind, output: &'a Path, ids: &'a [u64]) -> SinkView<'a> {
        match kind {
            SinkKind::File => SinkView::FileSinkLog(output),
            SinkKind::Memory | SinkKind::ForeachBatchIdempotent | SinkKind::SqliteIdempotent => SinkView::BatchIds(ids),
            // The naive sinks keep no record; the user's sinks keep whatever they keep.
            SinkKind::Console
            | SinkKind::ForeachBatch
            | SinkKind::SqliteAppend
            | SinkKind::Command
            | SinkKind::Rust => SinkView::Nothing,
        }
    }

    /// The console's text so far.
    pub(super) fn console_text(&self) -> String {
        String::from_utf8_lossy(&lock(&self.console.0)).into_owned()
    }

    /// Every hand-over so far.
    pub(super) fn emissions(&self) -> Vec<Emission> {
        lock(&self.emissions).clone()
    }

    /// The user deleted the output's record of batch `batch` (`None`: of every batch): what was
    /// handed over for it is the user's to lose, not a loss to blame on the engine or the sink.
    pub(super) fn forget_emissions(&self, batch: Option<u64>) -> Vec<Emission> {
        let mut emissions = lock(&self.emissions);
        let (kept, forgotten) =
            std::mem::take(&mut *emissions).into_iter().partition(|e| batch.is_some_and(|b| e.batch != b));
        *emissions = kept;
        forgotten
    }

    /// Emissions forgotten when the user deleted their sink record, back with that record (a
    /// `restore`), in the order of the runs that made them.
    pub(super) fn remember_emissions(&self, forgotten: Vec<Emission>) {
        let mut emissions = lock(&self.emissions);
        emissions.extend(forgotten);
        emissions.sort_by_key(|e| e.process);
    }
}

/// What a batch the sink skips would have handed it: the engine reads no input for such a
/// batch, so the recorder reads the batch's planned files itself, for the checks (a skipped
/// batch whose planned rows never reach a reader is a loss, as when a new checkpoint writes
/// into an old output).
pub struct PlannedRows {
    /// The disk as the harness sees it: no fault of the run is injected into these reads.
    pub storage: Arc<dyn Storage>,
    /// The checkpoint, whose source log names the batch's files.
    pub checkpoint: PathBuf,
    /// The query's plan (none if it does not compile: then the engine does not start).
    pub plan: Option<CompiledPlan>,
    /// How the source reads files: layout, schema, line limit.
    pub source: SourceOptions,
}

impl PlannedRows {
    /// What `query` plans, read through `storage`.
    pub fn of(storage: Arc<dyn Storage>, query: &crashpoint_engine::engine::Query) -> PlannedRows {
        PlannedRows {
            storage,
            checkpoint: query.checkpoint_dir.clone(),
            plan: query.plan.compile_for(&query.source.schema).ok(),
            source: query.source.clone(),
        }
    }

    /// The rows batch `id` would give, from the files still readable and unchanged since it
    /// took them; bad lines give none.
    pub fn rows(&self, id: u64) -> Vec<Row> {
        let storage = self.storage.as_ref();
        let Some(plan) = &self.plan else { return Vec::new() };
        let checkpoint = Checkpoint::new(&self.checkpoint);
        let range = checkpoint.source_range(storage, id);
        let files = range.and_then(|r| checkpoint.source_files(storage, id, r)).unwrap_or_default();
        let timestamp_ms = checkpoint.read_offsets(storage, id).map_or(0, |o| o.metadata.batch_timestamp_ms);
        let time = serde_json::Value::String(format_timestamp_ms(timestamp_ms));
        let mut rows = Vec::new();
        for file in files {
            // A file written again since its batch took it no longer holds what the batch read.
            let path = path_of(&file.path);
            if storage.stat(&path).ok().map(|entry| entry.mtime_ms) != Some(file.timestamp) {
                continue;
            }
            let Ok(bytes) = storage.read(&path) else { continue };
            for record in parse_file(&file.path, &bytes, &self.source).records {
                let _ = plan.apply(&record.value, &time, &mut rows);
            }
        }
        rows
    }
}

struct RecordingSink {
    inner: Box<dyn Sink>,
    name: &'static str,
    log: Arc<Mutex<Vec<Emission>>>,
    process: u32,
    cause: String,
    planned: PlannedRows,
}

impl Sink for RecordingSink {
    fn kind(&self) -> &'static str {
        self.name
    }

    fn guarantee(&self) -> Guarantee {
        self.inner.guarantee()
    }

    fn add_batch(&mut self, ctx: &mut WriteCtx<'_>, batch: Batch<'_>) -> Result<SinkOutcome, SinkError> {
        let result = self.inner.add_batch(ctx, batch);
        self.record_result(batch.id, batch.rows.to_vec(), &result);
        result
    }

    // The file sink's parts are encoded on the task threads, as outside a scenario (unless
    // `gather-rows` hides its format): forwarding the format keeps that path under the crashes
    // it must survive.
    fn part_format(&self) -> Option<PartFormat> {
        self.inner.part_format()
    }

    fn add_encoded_batch(&mut self, ctx: &mut WriteCtx<'_>, batch: EncodedBatch<'_>) -> Result<SinkOutcome, SinkError> {
        let result = self.inner.add_encoded_batch(ctx, batch);
        self.record_result(batch.id, decoded_rows(&batch), &result);
        result
    }

    fn open(&mut self, storage: &dyn Storage) -> Result<(), SinkError> {
        self.inner.open(storage)
    }

    fn held_batches(&self, storage: &dyn Storage) -> Result<Option<HeldBatches>, SinkError> {
        self.inner.held_batches(storage)
    }

    fn keeps_batches(&self) -> bool {
        self.inner.keeps_batches()
    }

    fn skip_if_held(&mut self, ctx: &mut WriteCtx<'_>, id: u64) -> Result<Option<String>, SinkError> {
        let held = self.inner.skip_if_held(ctx, id)?;
        if held.is_some() {
            self.record(id, self.planned.rows(id), EmissionOutcome::Skipped, None);
        }
        Ok(held)
    }
}

/// The rows an encoded batch holds, read back from its JSON Lines parts in the schema's order,
/// as a reader of the part files reads them. A line that does not parse is kept as a row that
/// says so: what the sink was handed is never dropped from the record.
fn decoded_rows(batch: &EncodedBatch<'_>) -> Vec<Row> {
    let lines = batch.parts.iter().flat_map(|part| part.bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()));
    lines
        .map(|line| match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(line) {
            Ok(mut object) => batch.schema.iter().map(|c| object.remove(c).unwrap_or_default()).collect(),
            Err(e) => vec![serde_json::Value::String(format!("an undecodable part line ({e})"))],
        })
        .collect()
}

impl RecordingSink {
    /// Records what the sink did with batch `id`, with the time `offsets/id` holds.
    fn record_result(&self, id: u64, rows: Vec<Row>, result: &Result<SinkOutcome, SinkError>) {
        let outcome = match result {
            Ok(SinkOutcome::Written) => EmissionOutcome::Written,
            Ok(SinkOutcome::Skipped(_)) => EmissionOutcome::Skipped,
            Err(_) => EmissionOutcome::Crashed,
        };
        // Through the harness's own view of the disk: a read of the recorder's must never meet
        // (nor count as) the run's injected I/O error.
        let storage = self.planned.storage.as_ref();
        let recorded = Checkpoint::new(&self.planned.checkpoint).read_offsets(storage, id);
        self.record(id, rows, outcome, recorded.ok().map(|o| o.metadata.batch_timestamp_ms));
    }

    fn record(&self, batch: u64, rows: Vec<Row>, outcome: EmissionOutcome, recorded_timestamp_ms: Option<i64>) {
        let (process, cause) = (self.process, self.cause.clone());
        let emission = Emission { process, cause, batch, rows, outcome, recorded_timestamp_ms };
        lock(&self.log).push(emission);
    }
}
