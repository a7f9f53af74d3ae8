//! Executes a scenario step by step in a simulated world, crashing runs where the scenario (or
//! an explorer's injection) says, and checking the checkpoint invariants after every restart.

use super::format::{QuerySpec, Scenario};
use super::sinks::PlannedRows;
use super::steps::{RunStep, Step};
use super::world::{DiskKind, World, file_bytes};
use crate::check::{BadLine, ByHand, Emission, PlannedBatch, RanBatch, check_batch_files};
use crashpoint_engine::engine::{Engine, EngineError, EngineOptions, Event, Query};
use crashpoint_engine::faults::{CrashPoint, FaultPlan};
use crashpoint_engine::plan::Row;
use crashpoint_engine::storage::{Storage, file_name};
use crashpoint_engine::uri::path_of;
use std::collections::BTreeMap;

/// A crash the explorer injects into one process (run), counted from 1 over the execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InjectedCrash {
    /// The process.
    pub process: u32,
    /// The crash point.
    pub point: CrashPoint,
    /// The hit of the point within that process, from 1.
    pub hit: u32,
    /// Lose unsynced writes after the crash.
    pub power_loss: bool,
}

/// Crashes to inject on top of the scenario. After an injected crash the runner restarts the
/// query at once, as a supervisor would, before going on with the scenario.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Injection {
    /// The crashes, at most one per process.
    pub crashes: Vec<InjectedCrash>,
    /// The disk to run on (no power losses on a real one).
    pub disk: DiskKind,
}

/// One process of the execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessRecord {
    /// From 1.
    pub ordinal: u32,
    /// The step that started it, from 1.
    pub step: usize,
    /// True if the runner inserted it as a restart after an injected crash.
    pub inserted: bool,
    /// How often each crash point was hit.
    pub hits: BTreeMap<CrashPoint, u32>,
    /// The crash that ended it.
    pub crashed: Option<(CrashPoint, u32)>,
    /// The error that ended it, other than a crash.
    pub error: Option<String>,
}

/// Everything an execution produced.
#[derive(Clone)]
pub struct Execution {
    /// The step trace with the engine's events, crashes included.
    pub trace: Vec<String>,
    /// Every hand-over of a batch to the sink.
    pub emissions: Vec<Emission>,
    /// What a reader of the sink sees at the end.
    pub output: Vec<Row>,
    /// The output columns.
    pub schema: Vec<String>,
    /// What the console sink printed.
    pub console: String,
    /// Invariant violations, each with when it was found.
    pub violations: Vec<String>,
    /// Unexpected errors, and steps that could not be carried out.
    pub problems: Vec<String>,
    /// Expected errors that did not come (a crash can move or remove them; not a violation).
    pub missed_errors: Vec<String>,
    /// The processes, in order.
    pub processes: Vec<ProcessRecord>,
    /// How many times the invariants were checked.
    pub invariant_checks: usize,
    /// The latest commit at the end.
    pub last_committed_batch: Option<u64>,
    /// Bad lines kept in the dead-letter files at the end, counted on the disk.
    pub bad_records: usize,
    /// The same bad lines by (input file name, line), each with the dead-letter files that keep
    /// it (one entry per copy).
    pub dead_letters: BTreeMap<BadLine, Vec<String>>,
    /// Every batch planned: (run, batch id, file names sorted).
    pub planned: Vec<PlannedBatch>,
    /// The disk at the end.
    pub disk: std::sync::Arc<dyn Storage>,
    /// Where the world lives on it.
    pub root: std::path::PathBuf,
    /// Keeps a real temp directory alive.
    pub temp: Option<std::sync::Arc<tempfile::TempDir>>,
}

struct Runner<'s> {
    scenario: &'s Scenario,
    injection: &'s Injection,
    world: World,
    query: QuerySpec,
    trace: Vec<String>,
    violations: Vec<String>,
    problems: Vec<String>,
    missed_errors: Vec<String>,
    processes: Vec<ProcessRecord>,
    invariant_checks: usize,
    pending_cause: String,
    planned: Vec<PlannedBatch>,
    /// Checkpoint files the scenario deleted or damaged itself, since the checkpoint began.
    by_hand: ByHand,
    /// The files (URIs) of each committed batch, which the source log must keep recording.
    committed_files: BTreeMap<u64, Vec<String>>,
}

/// Runs a scenario with extra injected crashes (none for a plain run).
pub fn execute(scenario: &Scenario, injection: &Injection) -> Execution {
    let mut runner = Runner {
        scenario,
        injection,
        world: match World::new(injection.disk) {
            Ok(world) => world,
            Err(e) => panic!("cannot create a temp directory for the scenario: {e}"),
        },
        query: scenario.query.clone(),
        trace: Vec::new(),
        violations: Vec::new(),
        problems: Vec::new(),
        missed_errors: Vec::new(),
        processes: Vec::new(),
        invariant_checks: 0,
        pending_cause: String::new(),
        planned: Vec::new(),
        by_hand: ByHand::new(),
        committed_files: BTreeMap::new(),
    };
    for (index, step) in scenario.steps.iter().enumerate() {
        if step.needs_recovered_query() {
            // Processed files and the checkpoint are only touched once the query has recovered,
            // so that the step means what it means in the oracle.
            runner.restart_after_injected_crashes(index);
        }
        runner.trace.push(format!("[step {}] {step}", index + 1));
        if let Err(message) = runner.step(index + 1, step) {
            runner.trace.push(format!("    step failed: {message}"));
            runner.problems.push(format!("step {}: {message}", index + 1));
        }
    }
    runner.restart_after_injected_crashes(scenario.steps.len());
    runner.finish()
}

impl Runner<'_> {
    fn step(&mut self, number: usize, step: &Step) -> Result<(), String> {
        let storage = self.world.storage().clone();
        let input = self.world.input().to_path_buf();
        let checkpoint = self.world.checkpoint().to_path_buf();
        let io = |e: std::io::Error| e.to_string();
        match step {
            Step::Add { name, content } | Step::Modify { name, content } => {
                self.world.add_input(name, &file_bytes(name, content)).map_err(io)?;
            }
            Step::Redrop { name } => {
                let bytes = storage.read(&input.join(name)).map_err(io)?;
                self.world.add_input(name, &bytes).map_err(io)?;
            }
            // Input files are the user's and durable: only the engine's own writes face power loss.
            Step::Rename { from, to } => {
                storage.rename_no_replace(&input.join(from), &input.join(to)).map_err(io)?;
                storage.sync_dir(&input).map_err(io)?;
            }
            Step::Remove { name } => {
                storage.remove_file(&input.join(name)).map_err(io)?;
                storage.sync_dir(&input).map_err(io)?;
            }
            Step::Run(run) => self.run(number, run),
            // Tampering with a file a crash kept from being written is a no-op, not a failure.
            Step::Delete { .. } | Step::Corrupt { .. } | Step::Truncate { .. } if !self.tampered_exists(step) => {
                self.trace.push("    (the file does not exist: nothing to do)".into());
            }
            Step::Delete { path } => storage.remove_file(&checkpoint.join(path)).map_err(io)?,
            Step::Corrupt { path, with } => storage.write(&checkpoint.join(path), with.as_bytes()).map_err(io)?,
            Step::Truncate { path, bytes } => {
                let path = checkpoint.join(path);
                let mut data = storage.read(&path).map_err(io)?;
                data.truncate(*bytes as usize);
                storage.write(&path, &data).map_err(io)?;
            }
            Step::DeleteCheckpoint => {
                if storage.exists(&checkpoint) {
                    storage.remove_dir_all(&checkpoint).map_err(io)?;
                }
            }
            Step::ChangeQuery(change) => {
                if let Some(plan) = &change.plan {
                    self.query.plan = plan.clone();
                }
                if let Some(source) = &change.source {
                    self.query.source = source.clone();
                }
            }
        }
        self.note_tampering(step);
        if !matches!(step, Step::Run(_) | Step::Add { .. }) {
            self.pending_cause = format!("after step {number} ({step})");
        }
        Ok(())
    }

    /// A run step: one process. A crash the explorer injects here is recovered by the next run
    /// step, or by a restart appended at the end.
    fn run(&mut self, number: usize, run: &RunStep) {
        let ordinal = self.processes.len() as u32 + 1;
        let injected = self.injection.crashes.iter().find(|c| c.process == ordinal);
        let crash = match injected {
            Some(c) => Some((c.point, c.hit, c.power_loss)),
            None => run.crash.map(|(p, h)| (p, h, run.power_loss)),
        };
        self.process(number, ordinal, false, run, crash);
    }

    /// After the last step: restart as often as injected crashes left the query dead.
    fn restart_after_injected_crashes(&mut self, steps: usize) {
        // A restart finishes the crashed run's work, so it expects what that run expected.
        let crashed_step = self.processes.last().and_then(|p| self.scenario.steps.get(p.step.wrapping_sub(1)));
        let expect_error = match crashed_step {
            Some(Step::Run(run)) => run.expect_error.clone(),
            _ => None,
        };
        let restart = RunStep { restart: true, trigger: None, crash: None, power_loss: false, expect_error };
        while let Some(last) = self.processes.last()
            && last.crashed.is_some()
            && self.injection.crashes.iter().any(|c| c.process == last.ordinal)
        {
            let ordinal = last.ordinal + 1;
            self.trace.push(format!("[after step {steps}] restart after the injected crash (run {ordinal})"));
            let injected = self.injection.crashes.iter().find(|c| c.process == ordinal);
            let crash = injected.map(|c| (c.point, c.hit, c.power_loss));
            self.process(steps, ordinal, true, &restart, crash);
        }
    }

    fn process(
        &mut self,
        number: usize,
        ordinal: u32,
        inserted: bool,
        run: &RunStep,
        crash: Option<(CrashPoint, u32, bool)>,
    ) -> bool {
        let cause = std::mem::take(&mut self.pending_cause);
        if ordinal > 1 {
            self.check(&format!("before run {ordinal}"));
        }
        let faults = crash.map_or_else(FaultPlan::none, |(point, hit, _)| FaultPlan::crash_at(point, hit));
        if let Some((point, hit, power_loss)) = crash {
            let loss = if power_loss { " with power loss" } else { "" };
            self.trace.push(format!("    (run {ordinal} will crash at {point}, hit {hit}{loss})"));
        }
        let query = Query {
            input_dir: self.world.input().to_path_buf(),
            checkpoint_dir: self.world.checkpoint().to_path_buf(),
            source: self.query.source.clone(),
            plan: self.query.plan.plan(),
        };
        let faults = self.query.bug_set().apply(faults);
        let options = EngineOptions {
            seed: self.scenario.seed,
            allow_existing_sink_log: self.query.allow_existing_sink_log,
            checkpoint: self.query.checkpoint,
            ..Default::default()
        };
        let planned = PlannedRows {
            checkpoint: query.checkpoint_dir.clone(),
            plan: query.plan.compile().ok(),
            format: query.source.format,
        };
        let sink = self.world.sink(&self.query, self.scenario.seed, ordinal, &cause, planned);
        let trigger = run.trigger.unwrap_or(self.query.trigger);
        let storage = self.world.storage().clone();
        let engine = sink
            .map_err(EngineError::from)
            .and_then(|sink| Engine::new(storage.as_ref(), query, sink, options, faults));
        let (result, events, hits) = match engine {
            Ok(mut engine) => {
                let result = engine.run(trigger);
                (result, engine.events().to_vec(), engine.faults().hits().clone())
            }
            Err(e) => (Err(e), Vec::new(), BTreeMap::new()),
        };
        for event in &events {
            self.trace.push(format!("    {event}"));
        }
        self.check_batches(ordinal, &events);
        let crash_spec = crash;
        let crashed = result.as_ref().err().and_then(|e| e.crash());
        let error = result.as_ref().err().filter(|e| e.crash().is_none()).map(|e| e.to_string());
        self.processes.push(ProcessRecord {
            ordinal,
            step: number,
            inserted,
            hits,
            crashed: crashed.map(|c| (c.point, c.hit)),
            error,
        });
        if let Some(crash) = crashed {
            self.pending_cause = format!("after a crash at {} (hit {}) in run {ordinal}", crash.point, crash.hit);
            if matches!(crash_spec, Some((_, _, true))) {
                if self.world.power_loss() {
                    self.trace.push("    power loss: every write that was not fsynced is gone".into());
                } else {
                    self.problems.push("a power loss needs the simulated disk".into());
                }
            }
            return true;
        }
        self.expect_error(ordinal, run, result.err().map(|e| e.to_string()));
        false
    }
}

impl Runner<'_> {
    /// Checkpoint files the scenario deletes, damages or writes are the user's own doing.
    fn note_tampering(&mut self, step: &Step) {
        match step {
            Step::Delete { path } | Step::Corrupt { path, .. } | Step::Truncate { path, .. } => {
                if path.starts_with("sources") {
                    // What the source log records is now the user's: nothing to hold it to.
                    self.committed_files.clear();
                }
                self.by_hand.insert(path.clone());
            }
            Step::DeleteCheckpoint => {
                self.by_hand.clear();
                self.committed_files.clear();
            }
            _ => {}
        }
    }

    /// After a process: the batches it planned against the checkpoint it left (invariant 4),
    /// and the files of the batches it committed, to hold the source log to (invariant 5).
    fn check_batches(&mut self, ordinal: u32, events: &[Event]) {
        let mut ran: Vec<RanBatch> = Vec::new();
        for event in events {
            match event {
                Event::BatchPlanned { id, files, .. } => {
                    let mut names: Vec<String> = files.iter().map(|uri| file_name(&path_of(uri))).collect();
                    names.sort();
                    self.planned.push((ordinal, *id, names));
                    ran.push((*id, files.clone()));
                }
                Event::Committed { id } => {
                    if let Some((_, files)) = ran.iter().find(|(planned, _)| planned == id) {
                        self.committed_files.insert(*id, files.clone());
                    }
                }
                _ => {}
            }
        }
        let storage = self.world.storage().clone();
        for violation in check_batch_files(storage.as_ref(), self.world.checkpoint(), &ran) {
            self.trace.push(format!("    INVARIANT VIOLATED after run {ordinal}: {violation}"));
            self.violations.push(format!("after run {ordinal}: {violation}"));
        }
    }

    fn tampered_exists(&self, step: &Step) -> bool {
        match step {
            Step::Delete { path } | Step::Corrupt { path, .. } | Step::Truncate { path, .. } => {
                self.world.storage().exists(&self.world.checkpoint().join(path))
            }
            _ => true,
        }
    }

    fn expect_error(&mut self, ordinal: u32, run: &RunStep, error: Option<String>) {
        match (error, &run.expect_error) {
            (None, None) => {}
            (Some(error), Some(expected)) if error.contains(expected.as_str()) => {
                self.trace.push(format!("    error (expected): {error}"));
            }
            (Some(error), Some(expected)) => {
                self.trace.push(format!("    error: {error}"));
                self.problems.push(format!("run {ordinal}: the error does not contain {expected:?}: {error}"));
            }
            (Some(error), None) => {
                self.trace.push(format!("    error: {error}"));
                self.problems.push(format!("run {ordinal}: unexpected error: {error}"));
            }
            (None, Some(expected)) => {
                self.missed_errors
                    .push(format!("run {ordinal}: expected an error containing {expected:?}, but it succeeded"));
            }
        }
    }

    fn check(&mut self, when: &str) {
        if !self.world.storage().exists(self.world.checkpoint()) {
            return;
        }
        self.invariant_checks += 1;
        for violation in self.world.invariant_violations(self.query.sink.kind(), &self.by_hand, &self.committed_files) {
            self.trace.push(format!("    INVARIANT VIOLATED {when}: {violation}"));
            self.violations.push(format!("{when}: {violation}"));
        }
    }

    fn finish(mut self) -> Execution {
        self.check("at the end");
        let schema = self.query.plan.plan().compile().map(|p| p.schema().to_vec()).unwrap_or_default();
        let output = match self.world.visible_output(&self.query.sink, &schema, self.query.bug_set()) {
            Ok(rows) => rows,
            Err(e) => {
                self.problems.push(format!("reading the sink's output: {e}"));
                Vec::new()
            }
        };
        let checkpoint = crashpoint_engine::checkpoint::Checkpoint::new(self.world.checkpoint());
        let last_committed_batch = checkpoint.commits.latest(self.world.storage().as_ref()).ok().flatten();
        let dead_letters = dead_letters(self.world.storage().as_ref(), self.world.checkpoint());
        Execution {
            trace: self.trace,
            emissions: self.world.emissions(),
            output,
            schema,
            console: self.world.console_text(),
            violations: self.violations,
            problems: self.problems,
            missed_errors: self.missed_errors,
            processes: self.processes,
            invariant_checks: self.invariant_checks,
            last_committed_batch,
            bad_records: dead_letters.values().map(Vec::len).sum(),
            dead_letters,
            planned: self.planned,
            disk: self.world.storage().clone(),
            root: self.world.root().to_path_buf(),
            temp: self.world.temp_dir(),
        }
    }
}

/// The bad lines kept in `checkpoint/dead-letters/`, read on the disk itself: what the engine
/// reported is not evidence that it kept them. A line that is not a dead-letter record counts
/// under its file's name and line 0, so that it is never lost from the count.
fn dead_letters(storage: &dyn Storage, checkpoint: &std::path::Path) -> BTreeMap<BadLine, Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Record {
        file: String,
        line: u32,
    }
    let mut kept: BTreeMap<BadLine, Vec<String>> = BTreeMap::new();
    for file in storage.list(&checkpoint.join("dead-letters")).unwrap_or_default() {
        let bytes = storage.read(&file.path).unwrap_or_default();
        for line in bytes.split(|c| *c == b'\n').filter(|l| !l.is_empty()) {
            let key = match serde_json::from_slice::<Record>(line) {
                Ok(record) => (file_name(&path_of(&record.file)), record.line),
                Err(_) => (format!("(unreadable line in {})", file.name), 0),
            };
            kept.entry(key).or_default().push(format!("dead-letters/{}", file.name));
        }
    }
    kept
}

/// Renders the simulated checkpoint and output directories for a snapshot.
pub fn render_disk(execution: &Execution) -> String {
    crate::report::render_tree(execution.disk.as_ref(), &execution.root, super::world::ROOT)
}

impl std::fmt::Debug for Execution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Execution")
            .field("processes", &self.processes)
            .field("violations", &self.violations)
            .field("problems", &self.problems)
            .field("output_rows", &self.output.len())
            .finish_non_exhaustive()
    }
}
