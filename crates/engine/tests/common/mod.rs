//! Helpers shared by the end-to-end tests: the tutorial's input files, a console capture, and
//! short ways to build, run and read back an engine. The engine's tests use them, and so do the
//! workspace's end-to-end tests at the root (through `#[path]`), so that there is one copy.
#![allow(dead_code)] // Each test file uses its own subset.

use crashpoint_engine::engine::{Engine, EngineError, EngineOptions, Event, Query, Resume, Trigger};
use crashpoint_engine::faults::FaultPlan;
use crashpoint_engine::plan::Plan;
use crashpoint_engine::sink::Sink;
use crashpoint_engine::source::SourceOptions;
use crashpoint_engine::storage::Storage;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The tutorial's first device file (the same as Spark's reference input).
pub const DEVICE_01: &str = r#"{"eventId": "e1", "data": {"devices": [{"deviceId": "d1", "temperature": 21.5}, {"deviceId": "d2", "temperature": 19.0}]}}"#;
/// The tutorial's second device file: one device, then an event without devices.
pub const DEVICE_02: &str = "{\"eventId\": \"e2\", \"data\": {\"devices\": [{\"deviceId\": \"d3\", \"temperature\": 30.0}]}}\n\
                             {\"eventId\": \"e3\", \"data\": {\"devices\": []}}";
/// A third device file, as in `spark-reference/three_files`.
pub const DEVICE_03: &str = r#"{"eventId": "e4", "data": {"devices": [{"deviceId": "d1", "temperature": 22.0}]}}"#;

/// The modification time of the first dropped file; later drops add seconds to it.
pub const FIRST_MTIME_MS: i64 = 1_790_000_000_000;

/// Everything written to a console sink, shared with the test.
#[derive(Debug, Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// What was printed so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The tutorial's query (without the processing time, as Spark's reference output has none).
pub fn query(input: &Path, checkpoint: &Path, source: SourceOptions) -> Query {
    Query {
        input_dir: input.to_path_buf(),
        checkpoint_dir: checkpoint.to_path_buf(),
        source,
        plan: Plan::tutorial_without_time(),
    }
}

/// Source options with `maxFilesPerTrigger`.
pub fn max_files(n: i64) -> SourceOptions {
    SourceOptions { max_files_per_trigger: Some(n), ..SourceOptions::default() }
}

/// Writes `text` plus a newline to `dir/name` with an explicit modification time.
pub fn drop_file(storage: &dyn Storage, dir: &Path, name: &str, text: &str, mtime_ms: i64) -> PathBuf {
    storage.create_dir_all(dir).unwrap();
    let path = dir.join(name);
    storage.write(&path, format!("{text}\n").as_bytes()).unwrap();
    storage.set_mtime(&path, mtime_ms).unwrap();
    path
}

/// A real temp dir (canonical path) with `input/` holding the tutorial's two device files,
/// a second apart.
pub fn tutorial_workspace() -> (tempfile::TempDir, PathBuf) {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().canonicalize().unwrap();
    let disk = crashpoint_engine::storage::DiskStorage;
    drop_file(&disk, &root.join("input"), "device_01.json", DEVICE_01, FIRST_MTIME_MS);
    drop_file(&disk, &root.join("input"), "device_02.json", DEVICE_02, FIRST_MTIME_MS + 1000);
    (temp, root)
}

/// What one engine run did.
pub struct Run {
    /// The trace.
    pub events: Vec<Event>,
    /// How it ended.
    pub result: Result<(), EngineError>,
}

impl Run {
    /// The batches planned, with the file names (not URIs) each took.
    pub fn planned(&self) -> Vec<(u64, Vec<String>)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::BatchPlanned { id, files, .. } => Some((*id, files.iter().map(|f| base_name(f)).collect())),
                _ => None,
            })
            .collect()
    }

    /// Why each batch was planned with its files ("new files", "re-run", …).
    pub fn origins(&self) -> Vec<(u64, &'static str)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::BatchPlanned { id, origin, .. } => Some((*id, *origin)),
                _ => None,
            })
            .collect()
    }

    /// How the run resumed.
    pub fn resume(&self) -> Option<Resume> {
        self.events.iter().find_map(|e| match e {
            Event::Started { resume, .. } => Some(*resume),
            _ => None,
        })
    }

    /// The warnings.
    pub fn warnings(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Warning(w) => Some(w.clone()),
                Event::SkippedUncommitted { .. } | Event::SourceNotice(_) => {
                    e.to_string().strip_prefix("warning: ").map(str::to_string)
                }
                _ => None,
            })
            .collect()
    }

    /// The ids of the batches committed.
    pub fn committed(&self) -> Vec<u64> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Committed { id } => Some(*id),
                _ => None,
            })
            .collect()
    }

    /// The whole trace, one event a line, for assertion messages.
    pub fn trace(&self) -> String {
        self.events.iter().map(|e| format!("{e}\n")).collect()
    }

    /// Panics with the trace unless the run succeeded.
    pub fn ok(self) -> Self {
        if let Err(e) = &self.result {
            panic!("run failed: {e}\n{}", self.trace());
        }
        self
    }

    /// The error; panics if the run succeeded.
    pub fn err(self) -> EngineError {
        match self.result {
            Ok(()) => panic!("run should have failed\n{}", self.trace()),
            Err(e) => e,
        }
    }
}

/// Runs a query with the available-now trigger and no faults.
pub fn run(storage: &dyn Storage, query: Query, sink: Box<dyn Sink + '_>) -> Run {
    run_with(storage, query, sink, FaultPlan::none())
}

/// Runs a query with the available-now trigger and a fault plan.
pub fn run_with(storage: &dyn Storage, query: Query, sink: Box<dyn Sink + '_>, faults: FaultPlan) -> Run {
    let mut engine = Engine::new(storage, query, sink, EngineOptions::default(), faults).unwrap();
    let result = engine.run(Trigger::AvailableNow);
    Run { events: engine.events().to_vec(), result }
}

/// The last path segment of a path or URI.
pub fn base_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

/// `(eventId, device_id, temp)` of the tutorial's rows, for readable comparisons.
pub fn triples(rows: &[Vec<serde_json::Value>]) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = rows.iter().map(|r| (r[0].to_string(), r[1].to_string(), r[2].to_string())).collect();
    out.sort();
    out
}

/// Sorted `(eventId, device_id, temp)` triples written as JSON literals, e.g. `("\"e1\"", "\"d1\"", "21.5")`.
pub fn expected(rows: &[(&str, &str, f64)]) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = rows
        .iter()
        .map(|(e, d, t)| (format!("\"{e}\""), format!("\"{d}\""), serde_json::Value::from(*t).to_string()))
        .collect();
    out.sort();
    out
}

/// The file names in a directory that are batch or compaction files of a log.
pub fn log_files(storage: &dyn Storage, dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = storage
        .list(dir)
        .unwrap_or_default()
        .into_iter()
        .filter(|e| !e.is_dir() && crashpoint_engine::checkpoint::LogFile::parse(&e.name).is_some())
        .map(|e| e.name)
        .collect();
    names.sort_by_key(|n| crashpoint_engine::checkpoint::LogFile::parse(n).map(|f| f.id));
    names
}

/// A file's text.
pub fn read_text(storage: &dyn Storage, path: &Path) -> String {
    String::from_utf8(storage.read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

/// What [`HookedDisk`] calls before each read.
pub type ReadHook = Box<dyn Fn(&Path) -> std::io::Result<()> + Send + Sync>;

/// A simulated disk whose reads go through a hook first: to record them, or to fail one.
pub struct HookedDisk {
    /// The disk underneath.
    pub sim: crashpoint_engine::storage::SimStorage,
    before_read: ReadHook,
}

impl HookedDisk {
    /// A disk that calls `before_read` before each read; an error from it is the read's error.
    pub fn new(
        sim: crashpoint_engine::storage::SimStorage,
        before_read: impl Fn(&Path) -> std::io::Result<()> + Send + Sync + 'static,
    ) -> Self {
        Self { sim, before_read: Box::new(before_read) }
    }
}

impl Storage for HookedDisk {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        (self.before_read)(path)?;
        self.sim.read(path)
    }
    fn write(&self, path: &Path, data: &[u8]) -> std::io::Result<()> {
        self.sim.write(path, data)
    }
    fn sync_file(&self, path: &Path) -> std::io::Result<()> {
        self.sim.sync_file(path)
    }
    fn rename_no_replace(&self, from: &Path, to: &Path) -> std::io::Result<()> {
        self.sim.rename_no_replace(from, to)
    }
    fn sync_dir(&self, dir: &Path) -> std::io::Result<()> {
        self.sim.sync_dir(dir)
    }
    fn list(&self, dir: &Path) -> std::io::Result<Vec<crashpoint_engine::storage::DirEntry>> {
        self.sim.list(dir)
    }
    fn stat(&self, path: &Path) -> std::io::Result<crashpoint_engine::storage::DirEntry> {
        self.sim.stat(path)
    }
    fn create_dir_all(&self, dir: &Path) -> std::io::Result<()> {
        self.sim.create_dir_all(dir)
    }
    fn remove_file(&self, path: &Path) -> std::io::Result<()> {
        self.sim.remove_file(path)
    }
    fn remove_dir_all(&self, dir: &Path) -> std::io::Result<()> {
        self.sim.remove_dir_all(dir)
    }
    fn set_mtime(&self, path: &Path, mtime_ms: i64) -> std::io::Result<()> {
        self.sim.set_mtime(path, mtime_ms)
    }
}
