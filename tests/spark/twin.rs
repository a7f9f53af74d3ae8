//! Twin runs: the same input files, with the same names and modification times, under
//! `<root>/spark/` for real Spark and `<root>/engine/` for crashpoint's engine, and the two
//! checkpoints and outputs read back in a form that can be compared: each side's root replaced
//! by `{root}`, only what legitimately differs (batch times, query ids, part-file names) left out.

pub use crate::common::Run;
use crashpoint_engine::checkpoint::{Checkpoint, LogFile};
use crashpoint_engine::engine::{Engine, EngineOptions, Query, Trigger};
use crashpoint_engine::faults::FaultPlan;
use crashpoint_engine::plan::Plan;
use crashpoint_engine::sink::FileSink;
use crashpoint_engine::source::SourceOptions;
use crashpoint_engine::storage::{DiskStorage, Storage};
use crashpoint_engine::uri::{file_name_of, uri_of};
use crashpoint_harness::spark::{RunRequest, SinkSpec};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Which side of a twin run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Real Spark 4.3.
    Spark,
    /// crashpoint's engine.
    Engine,
}

/// One temp directory with a Spark side and an engine side.
pub struct Twin {
    _temp: tempfile::TempDir,
    root: PathBuf,
    /// The input directory's name on both sides.
    input: String,
    /// The output directory's name on both sides.
    output: String,
}

/// A batch as its checkpoint records it: id, `logOffset`, and its files' names in log order.
pub type BatchFiles = (u64, Option<u64>, Vec<String>);

impl Twin {
    /// Input `in/`, output `out/`.
    pub fn new() -> Twin {
        Twin::named("in", "out")
    }

    /// Input and output directories with these names (quoted in the logs, as names are).
    pub fn named(input: &str, output: &str) -> Twin {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().canonicalize().unwrap();
        let twin = Twin { _temp: temp, root, input: input.into(), output: output.into() };
        for side in [Side::Spark, Side::Engine] {
            std::fs::create_dir_all(twin.input(side)).unwrap();
        }
        twin
    }

    fn side(&self, side: Side) -> PathBuf {
        self.root.join(match side {
            Side::Spark => "spark",
            Side::Engine => "engine",
        })
    }

    /// The input directory of a side.
    pub fn input(&self, side: Side) -> PathBuf {
        self.side(side).join(&self.input)
    }

    /// The checkpoint of a side.
    pub fn checkpoint(&self, side: Side) -> PathBuf {
        self.side(side).join("cp")
    }

    /// The file sink's output of a side.
    pub fn output(&self, side: Side) -> PathBuf {
        self.side(side).join(&self.output)
    }

    /// Writes the same file into both inputs (the text as is, no newline added).
    pub fn drop(&self, name: &str, text: &str, mtime_ms: i64) {
        for side in [Side::Spark, Side::Engine] {
            let path = self.input(side).join(name);
            std::fs::write(&path, text).unwrap();
            DiskStorage.set_mtime(&path, mtime_ms).unwrap();
        }
    }

    /// A Spark run of the tutorial plan (no processing time) into the file sink.
    pub fn spark_request(&self) -> RunRequest {
        let sink = SinkSpec::File { path: self.output(Side::Spark) };
        RunRequest::new(self.input(Side::Spark), self.checkpoint(Side::Spark), sink)
    }

    /// An engine run of the tutorial plan (no processing time) into the file sink, as Spark's.
    pub fn engine_run(&self, trigger: Trigger, source: SourceOptions, faults: FaultPlan) -> Run {
        self.engine_run_on(Side::Engine, trigger, source, faults)
    }

    /// An engine run on either side's directories (on Spark's: crashpoint resuming Spark).
    pub fn engine_run_on(&self, side: Side, trigger: Trigger, source: SourceOptions, faults: FaultPlan) -> Run {
        let query = Query {
            input_dir: self.input(side),
            checkpoint_dir: self.checkpoint(side),
            source,
            plan: Plan::tutorial_without_time(),
        };
        let sink = Box::new(FileSink::new(&self.output(side), 0));
        let mut engine = Engine::new(&DiskStorage, query, sink, EngineOptions::default(), faults).unwrap();
        let result = engine.run(trigger);
        Run { events: engine.events().to_vec(), result }
    }

    /// A text with this side's root written `{root}`, as both sides' URIs hold it.
    pub fn normalized(&self, side: Side, text: &str) -> String {
        let prefix = uri_of(&self.side(side));
        text.replace(&prefix, "file://{root}")
    }

    /// Every batch file of a log directory (`sources/0`, `offsets`, ...), by name, normalized.
    pub fn log(&self, side: Side, dir: &Path) -> BTreeMap<String, String> {
        let mut files = BTreeMap::new();
        for entry in std::fs::read_dir(dir).into_iter().flatten() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if LogFile::parse(&name).is_some() {
                let text = std::fs::read_to_string(dir.join(&name)).unwrap();
                files.insert(name, self.normalized(side, &text));
            }
        }
        files
    }

    /// `sources/0/*`, normalized.
    pub fn sources(&self, side: Side) -> BTreeMap<String, String> {
        self.log(side, &self.checkpoint(side).join("sources/0"))
    }

    /// The last line of every `offsets/N` (the source's `{"logOffset":K}`), by N.
    pub fn log_offsets(&self, side: Side) -> BTreeMap<String, String> {
        let offsets = self.log(side, &self.checkpoint(side).join("offsets"));
        offsets.into_iter().map(|(n, text)| (n, text.rsplit('\n').next().unwrap().to_string())).collect()
    }

    /// Each batch with its `logOffset` and the names of the files of its source-log range.
    pub fn batches(&self, side: Side) -> Vec<BatchFiles> {
        let checkpoint = Checkpoint::new(&self.checkpoint(side));
        let ids = checkpoint.offsets.files(&DiskStorage).unwrap();
        ids.iter()
            .map(|file| {
                let range = checkpoint.source_range(&DiskStorage, file.id).unwrap();
                let files = checkpoint.source_files(&DiskStorage, file.id, range).unwrap();
                (file.id, range.through, files.iter().map(|f| file_name_of(&f.path)).collect())
            })
            .collect()
    }

    /// The lines of every part file the sink log lists, sorted: what a reader reads, byte for byte.
    pub fn sink_lines(&self, side: Side) -> Vec<String> {
        let log = self.log(side, &self.output(side).join("_spark_metadata"));
        let mut lines = Vec::new();
        for text in log.values() {
            for entry in text.lines().skip(1) {
                let entry: serde_json::Value = serde_json::from_str(entry).unwrap();
                let uri = entry["path"].as_str().unwrap().replace("file://{root}", &uri_of(&self.side(side)));
                let bytes = std::fs::read(crashpoint_engine::uri::path_of(&uri)).unwrap();
                lines.extend(String::from_utf8(bytes).unwrap().lines().map(str::to_string));
            }
        }
        lines.sort();
        lines
    }
}

/// Panics with both sides unless they are equal.
#[track_caller]
pub fn same<T: PartialEq + std::fmt::Debug>(what: &str, spark: T, engine: T) {
    assert!(spark == engine, "{what} differ\n--- Spark 4.3\n{spark:#?}\n--- crashpoint\n{engine:#?}");
}
