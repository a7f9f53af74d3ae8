//! The world a scenario runs in: a disk (simulated, or a real temp directory) with the input,
//! checkpoint and output directories at fixed places, the sinks' tables that outlive restarts,
//! and a clock for file arrivals. A world on the simulated disk forks cheaply, so that the
//! explorer runs a shared prefix of many schedules once.
//!
//! The user's own actions (input files, tampering with the checkpoint) are durable at once: they
//! are the user's hands, not the engine's writes, and no power loss takes them back.
//!
//! The world holds state and answers questions about it; it must never decide what a step
//! means: that is the runner's job.

use super::format::{QuerySpec, SinkKind};
use super::sink_spec::SinkSpec;
use super::sinks::{PlannedRows, SinkTables};
use super::steps::{ArrivingFile, FileContent, INPUT_AS_FILE, InputDirChange, SpecialKind};
use crate::bugs::BugSet;
use crate::check::spark_log::{batch_files, entries_of};
use crate::check::{
    ByHand, Emission, HeldAtStart, Intervals, check_committed_files, check_invariants,
    compactions_where_spark_puts_them,
};
use crashpoint_engine::checkpoint::SourceFileEntry;
use crashpoint_engine::plan::Row;
use crashpoint_engine::rng::Rng;
use crashpoint_engine::sink::{Sink, SinkError};
use crashpoint_engine::storage::{DiskStorage, IoFault, SimStorage, Storage, create_dir_durable};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where everything lives in the simulated disk; fixed, so snapshots never see a temp path.
pub const ROOT: &str = "/scenario";

/// First file arrival time; each file operation advances the clock by a second.
pub const CLOCK_START_MS: i64 = 1_790_000_000_000;

/// Which disk a world lives on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum DiskKind {
    /// The simulated disk: in memory, everything under [`ROOT`], and power losses possible.
    #[default]
    Simulated,
    /// A fresh temp directory of the real disk: slower, and no power loss.
    Real,
}

/// The world of one scenario execution.
pub struct World {
    storage: Arc<dyn Storage>,
    /// The simulated disk, for power losses; `None` on a real disk.
    sim: Option<SimStorage>,
    /// [`ROOT`] on the simulated disk, the temp directory on a real one.
    root: PathBuf,
    /// Keeps a real temp directory alive as long as the world and its executions.
    temp: Option<Arc<tempfile::TempDir>>,
    input: PathBuf,
    checkpoint: PathBuf,
    output: PathBuf,
    sinks: SinkTables,
    /// The time stamped on the next file operation.
    clock_ms: i64,
}

impl World {
    /// An empty world on `disk`, with the input directory in place.
    pub fn new(disk: DiskKind) -> std::io::Result<Self> {
        let (storage, sim, root, temp): (Arc<dyn Storage>, _, _, _) = match disk {
            DiskKind::Real => {
                let temp = tempfile::tempdir()?;
                let root = temp.path().canonicalize()?;
                (Arc::new(DiskStorage), None, root, Some(Arc::new(temp)))
            }
            DiskKind::Simulated => {
                let sim = SimStorage::new(CLOCK_START_MS);
                (Arc::new(sim.clone()), Some(sim), PathBuf::from(ROOT), None)
            }
        };
        let input = root.join("input");
        create_dir_durable(storage.as_ref(), &input).map_err(|e| e.error)?;
        Ok(World {
            storage,
            sim,
            input,
            checkpoint: root.join("checkpoint"),
            output: root.join("output"),
            root,
            temp,
            sinks: SinkTables::default(),
            clock_ms: CLOCK_START_MS,
        })
    }

    /// The disk.
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    /// The simulated disk, if the world lives on it.
    pub fn sim(&self) -> Option<&SimStorage> {
        self.sim.as_ref()
    }

    /// An independent copy of this world as it is now: the disk with its unsynced operations,
    /// the sinks' tables and the clock. `None` on a real disk, which cannot be copied cheaply.
    pub fn fork(&self) -> Option<World> {
        let sim = self.sim.as_ref()?.fork();
        Some(World {
            storage: Arc::new(sim.clone()),
            sim: Some(sim),
            root: self.root.clone(),
            temp: None,
            input: self.input.clone(),
            checkpoint: self.checkpoint.clone(),
            output: self.output.clone(),
            sinks: self.sinks.fork().ok()?,
            clock_ms: self.clock_ms,
        })
    }

    /// The disk as one process sees it: on the simulated disk a handle that fails the I/O
    /// operation `fault` names (its path relative to the root) and, with `record`, logs every
    /// operation. `None` for the handle on a real disk, which injects nothing.
    pub fn process_storage(&self, fault: Option<&IoFault>, record: bool) -> (Arc<dyn Storage>, Option<SimStorage>) {
        let Some(sim) = &self.sim else { return (self.storage.clone(), None) };
        let fault = fault.map(|f| IoFault { path: f.path.as_ref().map(|p| self.absolute(p)), ..f.clone() });
        let handle = sim.for_process(fault, record);
        (Arc::new(handle.clone()), Some(handle))
    }

    /// A path or pattern relative to the root, made absolute.
    fn absolute(&self, relative: &str) -> String {
        self.root.join(relative).to_string_lossy().into_owned()
    }

    /// The user writes a file, durably.
    pub fn user_write(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        self.storage.write(path, bytes)?;
        self.settle(path)
    }

    /// The user sets a file's modification time, durably.
    pub fn user_set_mtime(&self, path: &Path, mtime_ms: i64) -> std::io::Result<()> {
        self.storage.set_mtime(path, mtime_ms)?;
        self.settle(path)
    }

    /// The user removes a file, durably.
    pub fn user_remove(&self, path: &Path) -> std::io::Result<()> {
        self.storage.remove_file(path)?;
        self.settle(path)
    }

    /// The user renames a file, durably.
    pub fn user_rename(&self, from: &Path, to: &Path) -> std::io::Result<()> {
        self.storage.rename_no_replace(from, to)?;
        self.settle(from)?;
        self.settle(to)
    }

    /// Makes one path durable as it is now.
    fn settle(&self, path: &Path) -> std::io::Result<()> {
        settle(self.storage.as_ref(), self.sim.as_ref(), path)
    }

    /// A file that will arrive while a run goes on, made ready now: a new file is stamped with
    /// the next arrival time already (nothing else arrives during the run), so that the run's
    /// interlude only writes it.
    pub fn arrival(&mut self, file: &ArrivingFile) -> PendingArrival {
        let (input, storage, sim) = (self.input.clone(), self.storage.clone(), self.sim.clone());
        let action = match file {
            ArrivingFile::Add { name, content } => {
                let mtime_ms = self.tick();
                ArrivalAction::Write { path: input.join(name), bytes: file_bytes(name, content), mtime_ms }
            }
            ArrivingFile::Rename { from, to } => ArrivalAction::Rename { from: input.join(from), to: input.join(to) },
        };
        PendingArrival { storage, sim, action }
    }

    /// A guard for a lock this world's disk records as held by no guard of its own (one its
    /// fork copied): `None` on a real disk, which is never forked, or if the lock is free.
    pub fn adopt_lock(&self, path: &Path) -> Option<crashpoint_engine::storage::LockGuard> {
        self.sim.as_ref()?.adopt_lock(path)
    }

    /// Where everything lives: [`ROOT`] on the simulated disk.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The input directory, `<root>/input`.
    pub fn input(&self) -> &Path {
        &self.input
    }

    /// The checkpoint directory, `<root>/checkpoint`.
    pub fn checkpoint(&self) -> &Path {
        &self.checkpoint
    }

    /// The output directory, `<root>/output`.
    pub fn output(&self) -> &Path {
        &self.output
    }

    /// What a sink of `kind` holds now, by the oracle's own readers: a file sink's latest batch
    /// in `_spark_metadata` (a log that cannot be listed is not judged), a memory table's ids.
    pub fn held_by_sink(&self, kind: SinkKind) -> HeldAtStart {
        match kind {
            SinkKind::File => batch_files(self.storage.as_ref(), &self.output.join("_spark_metadata"))
                .map_or(HeldAtStart::Unjudged, |files| HeldAtStart::SinkLog(files.iter().map(|f| f.id).max())),
            SinkKind::Memory => self
                .sinks
                .batch_ids(kind)
                .map_or(HeldAtStart::Unjudged, |ids| HeldAtStart::Table(ids.into_iter().collect())),
            _ => HeldAtStart::Unjudged,
        }
    }

    /// Every entry of the source log's files that can be read now (a compaction's and the
    /// batches' it repeats alike), by the oracle's own reader.
    pub fn source_entries(&self) -> Vec<SourceFileEntry> {
        let dir = self.checkpoint.join("sources").join("0");
        let storage = self.storage.as_ref();
        let files = batch_files(storage, &dir).unwrap_or_default();
        files.into_iter().flat_map(|file| entries_of(storage, &dir, file).unwrap_or_default()).collect()
    }

    /// The modification time of the input file `uri` now, if it is there.
    pub fn mtime_of(&self, uri: &str) -> Option<i64> {
        self.storage.stat(&crashpoint_engine::uri::path_of(uri)).ok().map(|entry| entry.mtime_ms)
    }

    /// Keeps a real disk's temp directory alive for as long as the returned handle lives.
    pub fn temp_dir(&self) -> Option<Arc<tempfile::TempDir>> {
        self.temp.clone()
    }

    /// Writes an input file as a user would: stamped with the next arrival time, and durable.
    /// A name `DIR/NAME` is a file in a subdirectory of the input, made (durably) if missing.
    pub fn add_input(&mut self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.input.join(name);
        if let Some(dir) = path.parent().filter(|dir| *dir != self.input) {
            self.make_input_dir(dir)?;
        }
        let mtime_ms = self.tick();
        self.storage.write(&path, bytes)?;
        self.storage.set_mtime(&path, mtime_ms)?;
        self.settle(&path)
    }

    /// Makes a subdirectory of the input as a user would (`mkdir`), durably.
    pub fn make_input_dir(&self, dir: &Path) -> std::io::Result<()> {
        create_dir_durable(self.storage.as_ref(), dir).map_err(|e| e.error)?;
        self.settle(dir)
    }

    /// The user deletes the input directory (with everything in it), makes it again (empty)
    /// where it is missing or a file took its place, or puts a file in its place: durable at once.
    pub fn change_input_dir(&self, change: InputDirChange) -> std::io::Result<()> {
        let (storage, input) = (self.storage.as_ref(), &self.input);
        let entry = storage.stat(input).ok();
        if change == InputDirChange::Make && entry.as_ref().is_some_and(|e| e.is_dir()) {
            return Ok(());
        }
        match entry {
            Some(e) if e.is_dir() => storage.remove_dir_all(input)?,
            Some(_) => storage.remove_file(input)?,
            None => {}
        }
        self.settle(input)?;
        match change {
            InputDirChange::Delete => Ok(()),
            InputDirChange::Make => self.make_input_dir(input),
            InputDirChange::File => self.user_write(input, INPUT_AS_FILE.as_bytes()),
        }
    }

    /// Makes `name` in the input a symlink to `to` (a path in the input) as a user's `ln -s`
    /// would: durable at once on the simulated disk, a real symlink on a real one.
    pub fn make_input_link(&self, name: &str, to: &str) -> std::io::Result<()> {
        let (link, target) = (self.input.join(name), self.input.join(to));
        match &self.sim {
            Some(sim) => sim.make_symlink(&target, &link),
            None => std::os::unix::fs::symlink(&target, &link),
        }
    }

    /// Makes `name` in the input a FIFO or a socket, as `mkfifo` would.
    pub fn make_input_special(&self, name: &str, kind: SpecialKind) -> std::io::Result<()> {
        let path = self.input.join(name);
        match &self.sim {
            Some(sim) => sim.make_special(&path, kind.what()),
            None => make_special_on_disk(&path, kind),
        }
    }

    /// Advances the arrival clock and returns the new time.
    fn tick(&mut self) -> i64 {
        self.clock_ms += 1000;
        if let Some(sim) = &self.sim {
            sim.set_clock_ms(self.clock_ms);
        }
        self.clock_ms
    }

    /// A fresh sink for one process of `query`, recording what it is handed.
    pub fn sink(
        &self,
        query: &QuerySpec,
        seed: u64,
        process: u32,
        cause: &str,
        planned: PlannedRows,
    ) -> Result<Box<dyn Sink>, SinkError> {
        self.sinks.sink(query, &self.output, seed, process, cause, planned)
    }

    /// What a reader of the sink sees now.
    pub fn visible_output(&self, sink: &SinkSpec, schema: &[String], bugs: BugSet) -> Result<Vec<Row>, SinkError> {
        self.sinks.visible_output(sink, self.storage.as_ref(), &self.output, schema, bugs)
    }

    /// The checkpoint invariants that do not hold now, against what a sink of `kind` keeps.
    /// `by_hand`: the checkpoint files the scenario deleted or damaged itself; `committed`: the
    /// files of each committed batch, which the source log must still record; `retain`: the
    /// query's `minBatchesToRetain`; `intervals`: the ones the source log's and the sink log's
    /// batches were written with.
    pub fn invariant_violations(
        &self,
        kind: SinkKind,
        by_hand: &ByHand,
        committed: &BTreeMap<u64, Vec<String>>,
        (retain, max_file_age_ms): (u64, i64),
        intervals: &(Intervals, Intervals),
    ) -> Vec<String> {
        let ids = match self.sinks.batch_ids(kind) {
            Ok(ids) => ids,
            Err(e) => return vec![format!("the sink's batch ids cannot be read: {e}")],
        };
        let view = SinkTables::view(kind, &self.output, &ids);
        let mut violations =
            check_invariants(self.storage.as_ref(), &self.checkpoint, view, by_hand, retain, max_file_age_ms);
        violations.extend(check_committed_files(self.storage.as_ref(), &self.checkpoint, committed));
        violations.extend(self.compaction_violations(kind, by_hand, intervals));
        violations
    }

    /// The compactible logs' files whose kind (`N` or `N.compact`) is not the one Spark gives
    /// their batch at the interval it was written with: the source log's, and a file sink's
    /// `_spark_metadata`.
    fn compaction_violations(
        &self,
        kind: SinkKind,
        by_hand: &ByHand,
        intervals: &(Intervals, Intervals),
    ) -> Vec<String> {
        let storage = self.storage.as_ref();
        let sources = self.checkpoint.join("sources").join("0");
        let written = |name: &str| by_hand.contains(&format!("sources/0/{name}"));
        let mut violations = compactions_where_spark_puts_them(storage, "sources/0/", &sources, &intervals.0, &written);
        if kind == SinkKind::File {
            let sink_log = self.output.join("_spark_metadata");
            violations.extend(compactions_where_spark_puts_them(
                storage,
                "_spark_metadata/",
                &sink_log,
                &intervals.1,
                &|_| false,
            ));
        }
        violations
    }

    /// The console's text so far.
    pub fn console_text(&self) -> String {
        self.sinks.console_text()
    }

    /// Every hand-over so far.
    pub fn emissions(&self) -> Vec<Emission> {
        self.sinks.emissions()
    }

    /// The user deleted the output's record of batch `batch` (`None`: of every batch).
    pub fn forget_emissions(&self, batch: Option<u64>) -> Vec<crate::check::Emission> {
        self.sinks.forget_emissions(batch)
    }

    /// Emissions [`World::forget_emissions`] forgot, back with the sink record a `restore` put
    /// back.
    pub fn remember_emissions(&self, forgotten: Vec<crate::check::Emission>) {
        self.sinks.remember_emissions(forgotten)
    }
}

impl super::backup::Hands for World {
    fn write(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        self.user_write(path, bytes)
    }

    fn remove(&self, path: &Path) -> std::io::Result<()> {
        self.user_remove(path)
    }
}

/// Makes one path durable as it is now. On the simulated disk nothing else that is unsynced
/// changes; on a real disk it takes an fsync of the file and of its directory.
fn settle(storage: &dyn Storage, sim: Option<&SimStorage>, path: &Path) -> std::io::Result<()> {
    if let Some(sim) = sim {
        sim.make_durable(path);
        return Ok(());
    }
    if storage.stat(path).is_ok_and(|e| !e.is_dir()) {
        storage.sync_file(path)?;
    }
    storage.sync_dir(path.parent().unwrap_or(Path::new("/")))
}

/// What the user's hands do when a file arrives during a run.
#[derive(Debug, Clone)]
enum ArrivalAction {
    Write { path: PathBuf, bytes: Vec<u8>, mtime_ms: i64 },
    Rename { from: PathBuf, to: PathBuf },
}

/// A file arriving during a run, ready to be put in place from the run's interlude (or after
/// the run, if it stopped first): durable at once, as every step of the user's is.
#[derive(Clone)]
pub struct PendingArrival {
    storage: Arc<dyn Storage>,
    sim: Option<SimStorage>,
    action: ArrivalAction,
}

impl PendingArrival {
    /// Puts the file in place.
    pub fn apply(&self) -> std::io::Result<()> {
        let storage = self.storage.as_ref();
        match &self.action {
            ArrivalAction::Write { path, bytes, mtime_ms } => {
                storage.write(path, bytes)?;
                storage.set_mtime(path, *mtime_ms)?;
                settle(storage, self.sim.as_ref(), path)
            }
            ArrivalAction::Rename { from, to } => {
                storage.rename_no_replace(from, to)?;
                settle(storage, self.sim.as_ref(), from)?;
                settle(storage, self.sim.as_ref(), to)
            }
        }
    }
}

/// The bytes of an input file.
pub fn file_bytes(name: &str, content: &FileContent) -> Vec<u8> {
    match content {
        FileContent::Lines(lines) => lines.iter().map(|l| format!("{l}\n")).collect::<String>().into_bytes(),
        FileContent::Text(text) => text.clone().into_bytes(),
        FileContent::Generate { events, seed } => generate_lines(name, *events, *seed).into_bytes(),
        FileContent::LongLine { bytes } => long_line_text(name, *bytes).into_bytes(),
    }
}

/// The shortest `long-line`: a record with an empty padding field is shorter.
pub const LONG_LINE_BYTES_MIN: u64 = 128;

/// Three records, each line ending in a newline; the second one's line is `bytes` long, made so
/// by spaces before its `"data"` key (JSON whitespace: the record still fits the schema, so the
/// engine's fast path must check the length itself, and its row stays short). Event ids carry the
/// file name. A `bytes` shorter than the record with no padding (the parser asks for
/// [`LONG_LINE_BYTES_MIN`], enough for a short name) gives that record.
pub fn long_line_text(name: &str, bytes: u64) -> String {
    let stem = name.trim_end_matches(".json");
    let record = |id: &str, device: &str, padding: &str| {
        format!(
            r#"{{"eventId": "{stem}-{id}",{padding} "data": {{"devices": [{{"deviceId": "{device}", "temperature": 21.5}}]}}}}"#
        )
    };
    let pad = |n: usize| " ".repeat(n);
    let unpadded = record("long", "d2", &pad(0)).len();
    let long = record("long", "d2", &pad(usize::try_from(bytes).unwrap_or(usize::MAX).saturating_sub(unpadded)));
    format!("{}\n{long}\n{}\n", record("first", "d1", ""), record("last", "d3", ""))
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

/// A FIFO or a socket on the real disk (a socket's file stays after its listener is gone).
pub(crate) fn make_special_on_disk(path: &Path, kind: SpecialKind) -> std::io::Result<()> {
    match kind {
        SpecialKind::Socket => std::os::unix::net::UnixListener::bind(path).map(drop),
        SpecialKind::Fifo => {
            use std::os::unix::ffi::OsStrExt;
            let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
            // SAFETY: a NUL-terminated path that lives through the call; mkfifo reads nothing else.
            match unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) } {
                0 => Ok(()),
                _ => Err(std::io::Error::last_os_error()),
            }
        }
    }
}
