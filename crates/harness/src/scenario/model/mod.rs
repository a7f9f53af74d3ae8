//! The reference model: what a crash-free run of a scenario must show, computed from its steps
//! alone (the files it adds, renames and modifies, the runs, the tampering) by a small, separate
//! statement of the file source and the checkpoint protocol. The oracle of every verdict.
//!
//! Which file contents reach which batch follows the path-seen rules: a path is taken once,
//! the oldest unseen files first (by modification time, then path), a re-run batch reads exactly
//! its recorded files as they are now, a renamed file is new, a rewritten seen path is ignored.
//! The model shares with the engine only plain data (the plan's evaluator on JSON values, the
//! logical clock's start and step, URIs; its batch-time arithmetic is its own, in `clock`); it must never run the engine, so that a bug that loses the same
//! data with or without a crash cannot hide in the oracle.
//!
//! A step whose effect depends on bytes the model does not keep (corrupting or truncating a
//! log file) is not modelled: [`expected`] says so, and the caller falls back to the engine's
//! crash-free run.

mod clock;
mod contract;
mod input;
mod interval;
mod intervals;
mod lines;
mod live;
mod names;
mod options;
mod origins;
mod run;
mod sink_log;
mod source_log;
mod state;
mod strays;

use super::format::{QuerySpec, Scenario, SinkKind};
use super::steps::{ArrivingFile, Step};
use super::world::file_bytes;
use crashpoint_engine::checkpoint::CheckpointOptions;
use crashpoint_engine::plan::Row;
use input::Input;
use state::{Checkpoint, SinkState};
use std::collections::{BTreeMap, BTreeSet};

pub use crate::check::Cause;
pub use contract::BatchTasks;
pub(in crate::scenario) use live::{modified_files, predict_live};
pub(in crate::scenario) use names::skipped as skipped_name;
pub(in crate::scenario) use origins::predict_run;

/// Spark's default `maxFileAge`, stated here and not taken from the engine: `7d`, as Spark's
/// `FileStreamOptions` documents it ("Default to a week").
pub const SPARK_MAX_FILE_AGE_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// The `maxFileAge` window a query's source has, in ms: the option, or Spark's default.
pub fn max_file_age_ms(source: &crashpoint_engine::source::SourceOptions) -> i64 {
    source.max_file_age_ms.unwrap_or(SPARK_MAX_FILE_AGE_MS)
}

/// Spark's default `compactInterval` of the file source's and the file sink's logs, stated here
/// and not taken from the engine: `spark.sql.streaming.fileSource.log.compactInterval` and
/// `fileSink.log.compactInterval` default to 10 (`SQLConf`).
pub const SPARK_COMPACT_INTERVAL: u64 = 10;

/// Spark's default `minBatchesToRetain`, stated here and not taken from the engine:
/// `spark.sql.streaming.minBatchesToRetain` defaults to 100 (`SQLConf`).
pub const SPARK_MIN_BATCHES_TO_RETAIN: u64 = 100;

/// The compaction interval a query's logs have: the one given, or Spark's default. A value its
/// rule refuses never runs ([`options`]): it reads as the default here.
pub fn compact_interval(knobs: &CheckpointOptions) -> u64 {
    knobs.compact_interval.and_then(|n| u64::try_from(n).ok()).filter(|n| *n > 0).unwrap_or(SPARK_COMPACT_INTERVAL)
}

/// The batches a query's checkpoint retains: the number given, or Spark's default.
pub fn min_batches_to_retain(knobs: &CheckpointOptions) -> u64 {
    knobs
        .min_batches_to_retain
        .and_then(|n| u64::try_from(n).ok())
        .filter(|n| *n > 0)
        .unwrap_or(SPARK_MIN_BATCHES_TO_RETAIN)
}

/// True when Spark takes these checkpoint confs (each unset or 1 or more, by the model's own
/// rule): a query with them runs, and its logs follow them from then on.
pub fn knobs_taken(knobs: &CheckpointOptions) -> bool {
    options::refused(knobs, &Default::default()).is_none()
}

/// What a crash-free run of the scenario shows, by the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    /// The rows a reader of the sink sees at the end (processing time: the model's batches').
    pub rows: Vec<Row>,
    /// Each batch's rows once, from its first write: what an at-least-once sink owes.
    pub first_writes: Vec<Row>,
    /// The bad lines the dead-letter files keep at the end, by (file name, line), with a count.
    pub dead_letters: BTreeMap<(String, u32), usize>,
    /// Every batch planned: (run, batch id, file names sorted).
    pub planned: Vec<(u32, u64, Vec<String>)>,
    /// Every batch planned, with its `batchTimestampMs`: (run, batch id, ms).
    pub batch_times: Vec<(u32, u64, i64)>,
    /// The batches each run's start finds with offsets but no commit, below the latest commit:
    /// they are not run again, and the run warns of each. (run, batch ids); runs with none left out.
    pub skipped_uncommitted: Vec<(u32, Vec<u64>)>,
    /// The runs that fail, with why.
    pub failed_runs: Vec<(u32, Cause)>,
    /// The newest commit at the end.
    pub last_committed_batch: Option<u64>,
    /// The files a batch took as new whose names Spark 4.3 misreads, with what it does wrong:
    /// the engine must warn about each of them, and about no other.
    pub misread_names: BTreeMap<String, crate::check::Misread>,
    /// What each line of each input file is, by the model's own reading: the cause of each bad
    /// line, the values each good line reads as NULL; what the engine's words are held to.
    pub lines: crate::check::LineFacts,
    /// The files left unread as older than `maxFileAge`, counted back from the newest file
    /// seen, that were never read before, each with the windows (ms) it was judged by: the engine
    /// must warn about each of them (Spark says nothing), and about no other, naming that window.
    pub too_old: BTreeMap<String, BTreeSet<i64>>,
    /// The hits of each crash point in each run the model finishes (the contract of README's
    /// table of crash points).
    pub hits: Vec<crate::check::RunHits>,
    /// The crash points whose hits the model states: all of them, but `during-sink-write` only
    /// for the engine's own sinks (a user's sink hits it as it likes).
    pub hit_points: Vec<crashpoint_engine::faults::CrashPoint>,
    /// Every batch the file sink writes, with its part files, in order.
    pub parts: Vec<crate::check::BatchParts>,
    /// Every batch the query reads (any sink), with its tasks: for each, its splits as (file,
    /// first byte, end byte), in reading order (Spark 4.3's layout, FINDINGS Q23).
    pub tasks: Vec<BatchTasks>,
    /// The subdirectories of the input directory a listing met, each with what the source must
    /// say of it: none of their files is read.
    pub not_read: BTreeMap<String, crate::check::Unread>,
    /// Every subdirectory the scenario made, with what may be said of it (a crash may move the
    /// listing that meets it).
    pub dirs: BTreeMap<String, crate::check::Unread>,
}

/// Why the model cannot say what a scenario shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the reference model does not model step {step} ({what})")]
pub struct Unmodelled {
    /// The step, from 1.
    pub step: usize,
    /// The step, in words.
    pub what: String,
}

/// The model's state between steps.
struct Model {
    query: QuerySpec,
    input: Input,
    checkpoint: Checkpoint,
    sink: SinkState,
    /// Bumped when the checkpoint is deleted: batch ids start over.
    epoch: u32,
    written: BTreeSet<(u32, u64)>,
    first_writes: Vec<Row>,
    planned: Vec<(u32, u64, Vec<String>)>,
    batch_times: Vec<(u32, u64, i64)>,
    skipped_uncommitted: Vec<(u32, Vec<u64>)>,
    failed_runs: Vec<(u32, Cause)>,
    misread_names: BTreeMap<String, crate::check::Misread>,
    too_old: BTreeMap<String, BTreeSet<i64>>,
    not_read: BTreeMap<String, crate::check::Unread>,
    /// The number of runs so far.
    ordinal: u32,
    /// How far the machine's clock has gone back since the scenario began (negative: forward).
    clock_back_ms: i64,
    lines: crate::check::LineFacts,
    contract: contract::Contract,
    /// The places whose lock another process holds now.
    held: BTreeSet<crate::check::Place>,
    /// The file sink's log files the user made unreadable (relative to the output, e.g.
    /// `_spark_metadata/3`), with their first lines: every start reads them.
    sink_unreadable: BTreeMap<String, String>,
    /// The latest tampering step's path (relative to the world's root) and what it may change
    /// as it was before it: what a `restore` puts back.
    backup: Option<Backup>,
    /// The interval the source log compacts with, as the latest start fixed it.
    source_interval: u64,
    /// The intervals the file sink's log's batches were written with, each start's from its
    /// first batch on.
    sink_intervals: crate::check::Intervals,
}

/// What a `restore` puts back: the latest tampering step's path (relative to the world's root)
/// and the checkpoint, the sink and its unreadable log files as they were before it.
struct Backup {
    path: String,
    checkpoint: Checkpoint,
    sink: SinkState,
    sink_unreadable: BTreeMap<String, String>,
}

/// The rows the query's plan makes of one input file (no processing time), as the model reads
/// it: for tracing a record back to the file it came from.
pub(in crate::scenario) fn rows_of_file(
    name: &str,
    bytes: &[u8],
    source: &crashpoint_engine::source::SourceOptions,
    plan: &crashpoint_engine::plan::CompiledPlan,
) -> Vec<Row> {
    let mut read = input::Read::default();
    let null = serde_json::Value::Null;
    input::read_file(name, bytes, source, plan, &null, &mut read);
    read.rows
}

/// What a crash-free run of `scenario` shows, by the model.
pub fn expected(scenario: &Scenario) -> Result<Expected, Unmodelled> {
    let sink = match scenario.query.sink.kind() {
        SinkKind::File => SinkState::File(BTreeMap::new()),
        SinkKind::Memory => SinkState::Memory(BTreeMap::new()),
        SinkKind::ForeachBatchIdempotent => SinkState::Replacing(BTreeMap::new()),
        SinkKind::SqliteIdempotent => SinkState::Guarded(BTreeMap::new()),
        SinkKind::Console | SinkKind::ForeachBatch | SinkKind::SqliteAppend => SinkState::Appending(Vec::new()),
        // The user's sink owes what an exactly-once writer keyed by batch id shows (the
        // batch's first write), or, if it promises only at-least-once, every write.
        SinkKind::Command | SinkKind::Rust => match scenario.query.sink.guarantee() {
            crashpoint_engine::guarantee::Guarantee::ExactlyOnce => SinkState::Guarded(BTreeMap::new()),
            crashpoint_engine::guarantee::Guarantee::AtLeastOnce => SinkState::Appending(Vec::new()),
        },
    };
    let mut model = Model {
        source_interval: compact_interval(&scenario.query.checkpoint),
        sink_intervals: crate::check::Intervals::uniform(compact_interval(&scenario.query.checkpoint)),
        query: scenario.query.clone(),
        input: Input::default(),
        checkpoint: Checkpoint::default(),
        sink,
        epoch: 0,
        written: BTreeSet::new(),
        first_writes: Vec::new(),
        planned: Vec::new(),
        batch_times: Vec::new(),
        skipped_uncommitted: Vec::new(),
        failed_runs: Vec::new(),
        misread_names: BTreeMap::new(),
        too_old: BTreeMap::new(),
        not_read: BTreeMap::new(),
        ordinal: 0,
        clock_back_ms: 0,
        lines: crate::check::LineFacts::default(),
        contract: contract::Contract::default(),
        held: BTreeSet::new(),
        sink_unreadable: BTreeMap::new(),
        backup: None,
    };
    for (index, step) in scenario.steps.iter().enumerate() {
        let Some(step) = step.with_latest(model.checkpoint.commits.iter().next_back().copied()) else { continue };
        if !model.step(&step) {
            return Err(Unmodelled { step: index + 1, what: step.to_string() });
        }
        model.note_lines(&step);
    }
    Ok(model.finish())
}

impl Model {
    /// Carries out one step; false if the model cannot.
    fn step(&mut self, step: &Step) -> bool {
        if let Some(path) = step.tampered_path() {
            let (checkpoint, sink, sink_unreadable) =
                (self.checkpoint.clone(), self.sink.clone(), self.sink_unreadable.clone());
            self.backup = Some(Backup { path, checkpoint, sink, sink_unreadable });
        }
        if step.input_names().iter().any(|name| self.input.touches_link(name)) {
            return false;
        }
        if let Step::Link { name, .. } | Step::Special { name, .. } = step
            && self.input.exists(name)
        {
            return false;
        }
        // Into a directory that is not there, the user's hands fail: not modelled.
        let into_input = !step.input_names().is_empty() || matches!(step, Step::Link { .. } | Step::Special { .. });
        if into_input && self.input.dir != input::InputDirState::Here {
            return false;
        }
        let files = &mut self.input.files;
        match step {
            Step::Add { name, content } | Step::Modify { name, content } => {
                self.input.write(name, file_bytes(name, content), 0);
            }
            Step::Redrop { name } => {
                if let Some(file) = files.get(name) {
                    let bytes = file.bytes.clone();
                    self.input.write(name, bytes, 0);
                }
            }
            Step::Rename { from, to } => {
                if !files.contains_key(to)
                    && let Some(file) = files.remove(from)
                {
                    files.insert(to.clone(), file);
                }
            }
            Step::Remove { name } => drop(files.remove(name)),
            Step::Mkdir { name } => drop(self.input.dirs.insert(name.clone())),
            Step::Link { name, to } => self.input.link(name, to),
            Step::Special { name, kind } => self.input.special(name, *kind),
            Step::InputDir(change) => self.input.change_dir(*change),
            Step::Run(run) => {
                let trigger = run.trigger.as_ref().map_or(Ok(self.query.trigger), |t| interval::read_trigger(&t.0));
                let trigger = trigger.map_err(|(interval, fault)| Cause::BadTrigger { interval, fault });
                self.run(trigger, run.again, run.arrive.as_ref());
            }
            Step::Delete { path } => return self.checkpoint.delete(path),
            Step::Touch { name, shift_ms } => {
                if let Some(file) = files.get_mut(name) {
                    file.mtime_ms += shift_ms;
                }
            }
            // Listings ignore hidden names (`.N.crc` sidecars, temp files) and names that are
            // no batch id; a stray whose name reads as one counts at a start; anything else
            // written by hand depends on its bytes.
            Step::Write { path, .. } => {
                return self
                    .checkpoint
                    .strays
                    .write(path)
                    .unwrap_or_else(|| path.rsplit('/').next().is_some_and(|name| name.starts_with('.')));
            }
            Step::Corrupt { path, with } => {
                return self.checkpoint.corrupt(path, with);
            }
            Step::Truncate { .. } => return false,
            Step::ClockBack { ms } => self.clock_back_ms = self.clock_back_ms.saturating_add_unsigned(*ms),
            Step::ClockForward { ms } => self.clock_back_ms = self.clock_back_ms.saturating_sub_unsigned(*ms),
            Step::Restore => return self.restore(),
            Step::DeleteCheckpoint => {
                self.backup = None;
                self.checkpoint = Checkpoint::default();
                self.epoch += 1;
            }
            Step::DeleteOutput { path } => {
                self.sink_unreadable.retain(|file, _| !sink_log::under(file, path));
                return self.sink.delete(path, &self.sink_intervals);
            }
            Step::CorruptOutput { path, with } => return self.corrupt_output(path, with),
            Step::HoldLock { place } => drop(self.held.insert(*place)),
            // The OS releases a dead process's lock: nothing of it stays in the way.
            Step::HolderDies { place } => drop(self.held.remove(place)),
            Step::ChangeQuery(change) => {
                if let Some(plan) = &change.plan {
                    self.query.plan = plan.clone();
                }
                if let Some(source) = &change.source {
                    self.query.source = source.clone();
                }
                // Another interval takes effect at the next start, by Spark's rule (`intervals`).
                if let Some(checkpoint) = change.checkpoint {
                    self.query.checkpoint = checkpoint;
                }
            }
        }
        true
    }

    /// The user puts back what the latest tampering step changed, as it was: that one file
    /// (or the sink's log) from the state before the step, the rest as it is now. False for a
    /// path the model does not keep.
    fn restore(&mut self) -> bool {
        let Some(Backup { path, checkpoint, sink, sink_unreadable }) = self.backup.take() else { return true };
        match path.split_once('/') {
            Some(("checkpoint", path)) => self.checkpoint.restore(&checkpoint, path),
            Some(("output", path)) => {
                self.sink_unreadable.retain(|file, _| !sink_log::under(file, path));
                let saved = sink_unreadable.into_iter().filter(|(file, _)| sink_log::under(file, path));
                self.sink_unreadable.extend(saved);
                self.sink.restore(&sink, path)
            }
            _ => false,
        }
    }

    /// A file arriving during a run, as the user's hands put it: a new file stamped with the
    /// next arrival time, or a copy renamed in (its time kept).
    fn arrive(&mut self, file: &ArrivingFile) {
        let name = match file {
            ArrivingFile::Add { name, content } => {
                self.input.write(name, file_bytes(name, content), 0);
                name
            }
            ArrivingFile::Rename { from, to } => {
                self.step(&Step::Rename { from: from.clone(), to: to.clone() });
                to
            }
        };
        self.note_names(vec![name.clone()]);
    }

    /// States what each line is of the files `step` wrote or renamed, or of every file when it
    /// changed the query (its schema, format or line limit read them anew).
    fn note_lines(&mut self, step: &Step) {
        let names: Vec<String> = match step {
            Step::Add { name, .. } | Step::Modify { name, .. } | Step::Link { name, .. } => vec![name.clone()],
            Step::Rename { to, .. } => vec![to.clone()],
            Step::ChangeQuery(_) => self.input.files.keys().cloned().collect(),
            _ => return,
        };
        self.note_names(names);
    }

    fn note_names(&mut self, names: Vec<String>) {
        // A query refused before its first batch (an option out of its rule) reads no line.
        if options::refused(&self.query.checkpoint, &self.query.source).is_some() {
            return;
        }
        let Ok(plan) = self.query.plan.plan().compile_for(&self.query.source.schema) else { return };
        // A file in a subdirectory is never read: nothing is said of its lines.
        for name in names.into_iter().filter(|name| !name.contains('/')) {
            if let Some(file) = self.input.files.get(&name) {
                lines::note_file(&name, Input::uri(&name), &file.bytes, &self.query.source, &plan, &mut self.lines);
            }
        }
    }

    /// The crash points whose hits the model states for this query's sink.
    fn hit_points(&self) -> Vec<crashpoint_engine::faults::CrashPoint> {
        use crashpoint_engine::faults::CrashPoint;
        let engines = matches!(
            self.query.sink.kind(),
            SinkKind::File
                | SinkKind::Memory
                | SinkKind::Console
                | SinkKind::ForeachBatch
                | SinkKind::ForeachBatchIdempotent
        );
        CrashPoint::ALL.into_iter().filter(|p| engines || *p != CrashPoint::DuringSinkWrite).collect()
    }

    fn finish(self) -> Expected {
        let hit_points = self.hit_points();
        let mut dead_letters = BTreeMap::new();
        for line in self.checkpoint.dead_letters.into_values().flatten() {
            *dead_letters.entry(line).or_insert(0) += 1;
        }
        Expected {
            rows: self.sink.visible(),
            first_writes: self.first_writes,
            dead_letters,
            planned: self.planned,
            batch_times: self.batch_times,
            skipped_uncommitted: self.skipped_uncommitted,
            failed_runs: self.failed_runs,
            last_committed_batch: self.checkpoint.commits.iter().next_back().copied(),
            misread_names: self.misread_names,
            lines: self.lines,
            too_old: self.too_old,
            hits: self.contract.runs,
            hit_points,
            parts: self.contract.parts,
            tasks: self.contract.tasks,
            not_read: self.not_read,
            dirs: self.input.known_unread(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::LogFault;
    use std::path::Path;

    pub(super) fn shipped(name: &str) -> Scenario {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios").join(name);
        Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
    }

    fn planned(expected: &Expected) -> Vec<(u32, u64, String)> {
        expected.planned.iter().map(|(run, id, files)| (*run, *id, files.join(","))).collect()
    }

    #[test]
    fn the_tutorial_by_the_model() {
        // Goal: the model states the tutorial's experiments from the steps alone: the re-drop is
        // ignored, the deleted commits/1 re-runs batch 1 (the file sink skips it), the rename is
        // new. Method: the shipped tutorial scenario; its batches, runs and rows.
        let expected = expected(&shipped("tutorial.toml")).unwrap();
        let batch = |run, id, files: &str| (run, id, files.to_string());
        assert_eq!(
            planned(&expected),
            [
                batch(1, 0, "device_01.json"),
                batch(2, 1, "device_02.json"),
                batch(3, 1, "device_02.json"),
                batch(4, 2, "device_01_v2.json"),
                batch(4, 3, "device_03.json"),
            ]
        );
        assert_eq!(expected.rows.len(), 6);
        assert_eq!(expected.last_committed_batch, Some(3));
        assert!(expected.failed_runs.is_empty() && expected.dead_letters.is_empty());
    }

    #[test]
    fn a_console_reprints_a_rerun_and_a_changed_query_fails_its_run() {
        let console = expected(&shipped("tutorial_exp2_deleted_commit_console.toml")).unwrap();
        assert_eq!((console.rows.len(), console.first_writes.len()), (4, 3), "batch 1 printed twice, owed once");
        let changed = expected(&shipped("tutorial_changed_query.toml")).unwrap();
        assert_eq!(changed.failed_runs.len(), 1);
        assert_eq!(changed.failed_runs[0].0, 2);
        assert_eq!(changed.failed_runs[0].1, Cause::QueryChanged);
    }

    #[test]
    fn max_file_age_leaves_old_files_unread_and_forgets_read_ones() {
        // Goal: the model's maxFileAge window, as Spark's SeenFilesMap: a new file older than
        // the window is too old (noticed); a file read long ago is forgotten, so a new time
        // inside the window reads it again, and a time still outside it leaves it unread without
        // a notice (it was read). Method: the shipped scenario, then its re-drop of a.json
        // replaced by a touch 60 s back.
        let aged = expected(&shipped("reach/max_file_age.toml")).unwrap();
        assert_eq!(aged.too_old, BTreeMap::from([("e.json".to_string(), BTreeSet::from([2_000]))]));
        let batch = |run, id, files: &str| (run, id, files.to_string());
        assert_eq!(planned(&aged), [batch(1, 0, "a.json"), batch(2, 1, "b.json,c.json,d.json"), batch(3, 2, "a.json")]);
        let mut touched = shipped("reach/max_file_age.toml");
        let redrop = touched.steps.iter().position(|s| matches!(s, Step::Redrop { .. })).unwrap();
        touched.steps[redrop] = Step::Touch { name: "a.json".into(), shift_ms: -60_000 };
        let touched = expected(&touched).unwrap();
        let names: Vec<&String> = touched.too_old.keys().collect();
        assert_eq!(names, ["e.json"], "a.json was read: no notice");
        assert_eq!(touched.planned.len(), 2, "nothing new for run 3");
    }

    #[test]
    fn a_file_arriving_during_a_run_waits_under_available_now_and_once_not_under_processing_time() {
        // Goal: the model states which batch takes a file that arrives while a run goes on:
        // available-now fixed its listing at its start and once took its one batch (the file
        // waits for the next run); processing-time lists before each batch (the next batch of
        // the same run takes it). Method: the shipped scenario, then its first run made a
        // processing-time run.
        let batch = |run, id, files: &str| (run, id, files.to_string());
        let shipped = shipped("reach/arrive_during_run.toml");
        assert_eq!(
            planned(&expected(&shipped).unwrap()),
            [
                batch(1, 0, "a.json"),
                batch(1, 1, "b.json"),
                batch(2, 2, "c.json"),
                batch(2, 3, "d.json"),
                batch(3, 4, "e.json"),
                batch(4, 5, "f.json"),
                batch(4, 6, "g.json"),
            ]
        );
        let mut listed_again = shipped.clone();
        let Step::Run(first) = &mut listed_again.steps[2] else { panic!("step 3 is a run") };
        first.trigger = Some(crashpoint_engine::engine::Trigger::ProcessingTime { interval_ms: 0 }.into());
        let planned = planned(&expected(&listed_again).unwrap());
        assert_eq!(planned[..3], [batch(1, 0, "a.json"), batch(1, 1, "b.json"), batch(1, 2, "c.json")]);
    }

    #[test]
    fn no_file_in_a_subdirectory_is_read_and_each_visible_one_is_stated() {
        // Goal: the model reads the input directory's own files only, and states each
        // subdirectory a listing meets, by its name: a partition directory with its column, or a
        // subdirectory; a hidden one is skipped without a word, and one made after the last
        // listing is met by none. Method: the shipped scenario, and a directory made at its end.
        let mut scenario = shipped("reach/subdirectories.toml");
        scenario.steps.push(Step::Mkdir { name: "year=2025".into() });
        let expected = expected(&scenario).unwrap();
        let batch = |run, id, files: &str| (run, id, files.to_string());
        assert_eq!(planned(&expected), [batch(1, 0, "a.json"), batch(2, 1, "d.json")]);
        let unread = |names: &[&str]| -> Vec<String> { names.iter().map(ToString::to_string).collect() };
        assert_eq!(expected.not_read.keys().cloned().collect::<Vec<_>>(), unread(&["empty", "sub"]));
        assert!(expected.not_read.values().all(|u| *u == crate::check::Unread::Subdirectory));
        let partition = crate::check::Unread::Partition { column: "year".into() };
        assert_eq!(expected.dirs.get("year=2025"), Some(&partition), "known, though no listing met it");
        assert!(!expected.dirs.contains_key(".hidden"), "a hidden name is skipped without a word");
    }

    #[test]
    fn a_run_starting_without_the_input_directory_is_refused_and_what_it_held_stays_known() {
        // Goal: a run that starts with the input directory deleted, or a file in its place, is
        // refused for that cause and plans nothing; made again, a name read before stays seen;
        // a subdirectory the deleted directory held, met by an earlier run's listing, stays
        // known (that run's warning was right then) though no later listing meets it. Method:
        // the shipped scenario, with a subdirectory made before its first run.
        let mut scenario = shipped("reach/input_dir_gone.toml");
        scenario.steps.insert(0, Step::Mkdir { name: "empty0".into() });
        let expected = expected(&scenario).unwrap();
        assert_eq!(expected.failed_runs, [(2, Cause::InputDirMissing), (4, Cause::InputNotADirectory)]);
        let batch = |run, id, files: &str| (run, id, files.to_string());
        let batches = [batch(1, 0, "device_01.json"), batch(1, 1, "device_02.json")];
        let later = [batch(3, 2, "device_03.json"), batch(5, 3, "device_04.json")];
        assert_eq!(planned(&expected), [batches, later].concat());
        let subdirectory = Some(&crate::check::Unread::Subdirectory);
        assert_eq!(expected.not_read.get("empty0"), subdirectory, "run 1's listing met it");
        assert_eq!(expected.dirs.get("empty0"), subdirectory, "known, though the directory went");
    }

    #[test]
    fn a_held_lock_refuses_the_run_until_its_holder_dies() {
        // Goal: while another query holds the file sink's output, or the checkpoint, a run is
        // refused at its start for that place and plans nothing; once the holder died, the next
        // run takes what the refused one left. A sink with no output lock ignores a held output.
        // Method: the shipped scenario; then its file sink made a memory sink.
        let mut scenario = shipped("reach/output_held.toml");
        let held = expected(&scenario).unwrap();
        let place = |place| Cause::Held { place };
        use crate::check::Place;
        assert_eq!(held.failed_runs, [(2, place(Place::Output)), (4, place(Place::Checkpoint))]);
        let batch = |run, id, files: &str| (run, id, files.to_string());
        assert_eq!(planned(&held), [batch(1, 0, "a.json"), batch(3, 1, "b.json"), batch(5, 2, "c.json")]);
        assert_eq!(held.rows.len(), 3);
        scenario.query.sink = SinkKind::Memory.into();
        let memory = expected(&scenario).unwrap();
        assert_eq!(memory.failed_runs, [(4, place(Place::Checkpoint))], "a memory sink has no output lock");
        assert_eq!(planned(&memory)[1], batch(2, 1, "b.json"));
    }

    #[test]
    fn bad_lines_go_to_dead_letters_and_a_corrupted_log_stops_the_runs_that_read_it() {
        // Goal: a log file whose first line is not `v1`, that is empty, whose line a run reads
        // is no JSON, or an offsets file of its version line alone, fails every later run that
        // reads it, for that cause; a commit of its version line alone is a commit; lines of
        // JSON hold bytes the model does not keep (not modelled), and a file that is not there
        // stays absent. Method: the tutorial with `offsets/0` or `commits/0` overwritten after
        // its first run; the model's failed runs.
        let permissive = expected(&shipped("bad_input_permissive.toml")).unwrap();
        let lines: Vec<u32> = permissive.dead_letters.keys().map(|(_, line)| *line).collect();
        assert_eq!(lines, [2, 3], "a value of the wrong type is NULL, not a bad line");
        assert_eq!(permissive.rows.len(), 4);
        let corrupt = |path: &str, with: &str| {
            let mut scenario = shipped("tutorial.toml");
            scenario.steps.insert(2, Step::Corrupt { path: path.into(), with: with.into() });
            expected(&scenario)
        };
        let unreadable = Cause::LogUnreadable { path: "offsets/0".into(), first_line: "x".into() };
        let failed = corrupt("offsets/0", "x\n{}").unwrap().failed_runs;
        assert_eq!(failed, [(2, unreadable.clone()), (3, unreadable.clone()), (4, unreadable)]);
        let newer = Cause::LogUnreadable { path: "commits/0".into(), first_line: "v2".into() };
        assert_eq!(corrupt("commits/0", "v2").unwrap().failed_runs[0], (2, newer));
        assert!(corrupt("commits/7", "v2").unwrap().failed_runs.is_empty(), "no such file: nothing written");
        let torn = |path: &str, fault| Cause::LogTorn { path: path.into(), fault };
        for (path, with, fault) in [
            ("offsets/0", "v1\n{", LogFault::BadLine(2)),
            ("offsets/0", "v1\n{}\n{\"logOffset\"", LogFault::BadLine(3)),
            ("offsets/0", "", LogFault::Empty),
            ("offsets/0", "v1", LogFault::NoBatchLine),
            ("offsets/0", "v1\n\n", LogFault::NoBatchLine),
            ("commits/0", "", LogFault::Empty),
            ("commits/0", "v1\n{\"nextBatch", LogFault::BadLine(2)),
        ] {
            assert_eq!(corrupt(path, with).unwrap().failed_runs[0], (2, torn(path, fault)), "{with:?}");
        }
        assert!(corrupt("commits/0", "v1").unwrap().failed_runs.is_empty(), "a commit of no line is a commit");
        assert_eq!(corrupt("offsets/0", "v1\n{}").unwrap_err().step, 3, "a JSON line: the log's shape");
    }

    #[test]
    fn a_source_log_file_overwritten_stops_every_later_start_unless_a_compaction_took_it() {
        // Goal: each run's start reads the source log (from its latest compaction on) for the
        // files seen, so a plain `sources/0/N` overwritten with a newer Spark's log or garbage
        // fails every later run, naming it; a batch a compaction took in has no file of its own
        // to overwrite. Method: the tutorial with `sources/0/0` overwritten after its first run,
        // with Spark's compaction interval and with one of 1 (every batch writes `N.compact`).
        let corrupt = |with: &str, interval: i64| {
            let mut scenario = shipped("tutorial.toml");
            scenario.query.checkpoint.compact_interval = Some(interval);
            scenario.steps.insert(2, Step::Corrupt { path: "sources/0/0".into(), with: with.into() });
            expected(&scenario).unwrap().failed_runs
        };
        for first_line in ["v2", "garbage"] {
            let unreadable = Cause::LogUnreadable { path: "sources/0/0".into(), first_line: first_line.into() };
            let failed = corrupt(&format!("{first_line}\n{{}}"), 10);
            assert_eq!(failed, [(2, unreadable.clone()), (3, unreadable.clone()), (4, unreadable)]);
            assert!(corrupt(&format!("{first_line}\n{{}}"), 1).is_empty(), "sources/0/0 is 0.compact");
        }
    }

    #[test]
    fn the_logs_keep_the_interval_they_were_written_with_while_a_refused_one_is_set() {
        // Goal: a compaction interval the engine refuses (0) writes nothing, so what the user
        // does to the logs meanwhile is judged by the interval they were written with, not by
        // Spark's default. Method: the tutorial compacting every batch (sources/0/0 is
        // 0.compact), the query changed to interval 0, sources/0/0 overwritten (no such plain
        // file: nothing happens), the interval set back: only the refused run fails.
        let mut scenario = shipped("tutorial.toml");
        scenario.query.checkpoint.compact_interval = Some(1);
        let set = |interval| {
            let checkpoint = CheckpointOptions { compact_interval: Some(interval), min_batches_to_retain: None };
            Step::ChangeQuery(crate::scenario::QueryChange { checkpoint: Some(checkpoint), ..Default::default() })
        };
        let run = scenario.steps[1].clone();
        let corrupt = Step::Corrupt { path: "sources/0/0".into(), with: "v2\n{}".into() };
        scenario.steps.splice(2..2, [set(0), run, corrupt, set(1)]);
        let failed = expected(&scenario).unwrap().failed_runs;
        assert_eq!(failed, [(2, Cause::BadOption { option: "compactInterval".into(), value: 0, least: 1 })]);
    }
}
