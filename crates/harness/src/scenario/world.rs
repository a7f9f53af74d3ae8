//! The simulated world a scenario runs in: an in-memory disk with fixed paths, the sinks'
//! outputs that outlive restarts, and a clock for file arrivals.

use super::format::SinkKind;
use super::steps::FileContent;
use crate::bugs::{Bug, BugSet};
use crate::check::{Emission, EmissionOutcome, SinkView};
use crashpoint_engine::checkpoint::WriteCtx;
use crashpoint_engine::plan::Row;
use crashpoint_engine::rng::Rng;
use crashpoint_engine::sink::{
    Batch, ConsoleSink, FileSink, ForeachBatchSink, MemorySink, MemoryStore, Sink, SinkError, SinkOutcome,
    read_file_sink_output,
};
use crashpoint_engine::storage::{DiskStorage, SimStorage, Storage};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Where everything lives in the simulated disk; fixed, so snapshots never see a temp path.
pub const ROOT: &str = "/scenario";

/// First file arrival time; each file operation advances the clock by a second.
pub const CLOCK_START_MS: i64 = 1_790_000_000_000;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Poisoning only follows an injected panic; the data is whole.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A `Write` into a shared buffer, for the console sink.
#[derive(Clone, Default)]
pub struct SharedBuffer(pub Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        lock(&self.0).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The world of one scenario execution.
pub struct World {
    /// The disk: simulated, or a real temp directory.
    pub storage: Arc<dyn Storage>,
    /// The simulated disk, for power losses; `None` on a real disk.
    pub sim: Option<SimStorage>,
    /// Where everything lives: [`ROOT`] on the simulated disk.
    pub root: PathBuf,
    /// Keeps a real temp directory alive as long as the world and its executions.
    pub temp: Option<Arc<tempfile::TempDir>>,
    /// `/scenario/input`.
    pub input: PathBuf,
    /// `/scenario/checkpoint`.
    pub checkpoint: PathBuf,
    /// `/scenario/output` (file sink).
    pub output: PathBuf,
    /// What the console printed.
    pub console: SharedBuffer,
    /// The memory sink's table.
    pub memory: MemoryStore,
    /// The naive foreach-batch callback's appended rows.
    pub appended: Arc<Mutex<Vec<Row>>>,
    /// The idempotent foreach-batch callback's table.
    pub by_batch: Arc<Mutex<BTreeMap<u64, Vec<Row>>>>,
    /// Every hand-over of a batch to the sink.
    pub emissions: Arc<Mutex<Vec<Emission>>>,
    /// The time stamped on the next file operation.
    pub clock_ms: i64,
}

impl World {
    /// An empty world with the input directory in place: on the simulated disk, or in a fresh
    /// temp directory of the real one when `real_disk` is set.
    pub fn new(real_disk: bool) -> std::io::Result<Self> {
        let (storage, sim, root, temp): (Arc<dyn Storage>, _, _, _) = if real_disk {
            let temp = tempfile::tempdir()?;
            let root = temp.path().canonicalize()?;
            (Arc::new(DiskStorage), None, root, Some(Arc::new(temp)))
        } else {
            let sim = SimStorage::new(CLOCK_START_MS);
            (Arc::new(sim.clone()), Some(sim), PathBuf::from(ROOT), None)
        };
        let input = root.join("input");
        storage.create_dir_all(&input)?;
        Ok(World {
            storage,
            sim,
            input,
            checkpoint: root.join("checkpoint"),
            output: root.join("output"),
            root,
            temp,
            console: SharedBuffer::default(),
            memory: MemoryStore::default(),
            appended: Arc::default(),
            by_batch: Arc::default(),
            emissions: Arc::default(),
            clock_ms: CLOCK_START_MS,
        })
    }

    /// Advances the arrival clock and returns the new time.
    pub fn tick(&mut self) -> i64 {
        self.clock_ms += 1000;
        if let Some(sim) = &self.sim {
            sim.set_clock_ms(self.clock_ms);
        }
        self.clock_ms
    }

    /// A fresh sink of `kind` for one process, recording what it is handed.
    pub fn sink(&self, kind: SinkKind, seed: u64, process: u32, cause: &str) -> Box<dyn Sink> {
        let inner: Box<dyn Sink> = match kind {
            SinkKind::Console => Box::new(ConsoleSink::new(Box::new(self.console.clone()))),
            SinkKind::File => Box::new(FileSink::new(&self.output, seed)),
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
        };
        Box::new(RecordingSink { inner, kind, log: self.emissions.clone(), process, cause: cause.to_string() })
    }

    /// What a reader of the sink sees now.
    pub fn visible_output(&self, kind: SinkKind, schema: &[String], bugs: BugSet) -> Result<Vec<Row>, SinkError> {
        Ok(match kind {
            SinkKind::Console => lock(&self.emissions)
                .iter()
                .filter(|e| e.outcome != EmissionOutcome::Skipped)
                .flat_map(|e| e.rows.clone())
                .collect(),
            SinkKind::File => {
                read_file_sink_output(self.storage.as_ref(), &self.output, schema, !bugs.has(Bug::FileSinkIgnoresLog))?
            }
            SinkKind::Memory => lock(&self.memory).values().flatten().cloned().collect(),
            SinkKind::ForeachBatch => lock(&self.appended).clone(),
            SinkKind::ForeachBatchIdempotent => lock(&self.by_batch).values().flatten().cloned().collect(),
        })
    }

    /// The batch ids the sink keeps, for the invariant checks.
    pub fn sink_batch_ids(&self, kind: SinkKind) -> Vec<u64> {
        match kind {
            SinkKind::Memory => lock(&self.memory).keys().copied().collect(),
            SinkKind::ForeachBatchIdempotent => lock(&self.by_batch).keys().copied().collect(),
            _ => Vec::new(),
        }
    }

    /// The sink's view for the invariant checks.
    pub fn sink_view<'a>(&'a self, kind: SinkKind, ids: &'a [u64]) -> SinkView<'a> {
        match kind {
            SinkKind::File => SinkView::FileSinkLog(&self.output),
            SinkKind::Memory | SinkKind::ForeachBatchIdempotent => SinkView::BatchIds(ids),
            SinkKind::Console | SinkKind::ForeachBatch => SinkView::Nothing,
        }
    }

    /// The console's text so far.
    pub fn console_text(&self) -> String {
        String::from_utf8_lossy(&lock(&self.console.0)).into_owned()
    }

    /// Every hand-over so far.
    pub fn emissions(&self) -> Vec<Emission> {
        lock(&self.emissions).clone()
    }
}

struct RecordingSink {
    inner: Box<dyn Sink>,
    kind: SinkKind,
    log: Arc<Mutex<Vec<Emission>>>,
    process: u32,
    cause: String,
}

impl Sink for RecordingSink {
    fn kind(&self) -> &'static str {
        self.kind.name()
    }

    fn guarantee(&self) -> crashpoint_engine::guarantee::Guarantee {
        self.inner.guarantee()
    }

    fn add_batch(&mut self, ctx: &mut WriteCtx<'_>, batch: Batch<'_>) -> Result<SinkOutcome, SinkError> {
        let result = self.inner.add_batch(ctx, batch);
        let outcome = match &result {
            Ok(SinkOutcome::Written) => EmissionOutcome::Written,
            Ok(SinkOutcome::Skipped(_)) => EmissionOutcome::Skipped,
            Err(_) => EmissionOutcome::Crashed,
        };
        lock(&self.log).push(Emission {
            process: self.process,
            cause: self.cause.clone(),
            batch: batch.id,
            rows: batch.rows.to_vec(),
            outcome,
        });
        result
    }
}

/// The bytes of an input file.
pub fn file_bytes(name: &str, content: &FileContent) -> Vec<u8> {
    match content {
        FileContent::Lines(lines) => lines.iter().map(|l| format!("{l}\n")).collect::<String>().into_bytes(),
        FileContent::Text(text) => text.clone().into_bytes(),
        FileContent::Generate { events, seed } => generate_lines(name, *events, *seed).into_bytes(),
    }
}

/// Tutorial-shaped events with 0–3 devices each; event ids carry the file name so that every
/// record in a scenario is distinct.
pub fn generate_lines(name: &str, events: u64, seed: u64) -> String {
    let stem = name.trim_end_matches(".json");
    let mut rng = Rng::new(seed ^ crashpoint_engine::rng::fnv1a(name.as_bytes()));
    let mut out = String::new();
    for event in 0..events {
        let devices: Vec<String> = (0..rng.below(4))
            .map(|_| {
                let temp = 15.0 + rng.below(200) as f64 / 10.0;
                format!("{{\"deviceId\": \"d{}\", \"temperature\": {temp:?}}}", rng.below(10))
            })
            .collect();
        out += &format!("{{\"eventId\": \"{stem}-e{event}\", \"data\": {{\"devices\": [{}]}}}}\n", devices.join(", "));
    }
    out
}
