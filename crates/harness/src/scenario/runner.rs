//! Executes a scenario step by step in a simulated world, crashing runs where the scenario (or
//! an explorer's injection) says, and checking the checkpoint invariants after every restart.
//!
//! The execution is a [`Runner`] that advances one unit at a time (a step, or a restart) and
//! forks: the explorer runs the prefix that many crash schedules share once, forks the world at
//! the crash, and finishes each schedule from there. A fork finishes exactly as a run from
//! scratch with the same injection would.

use super::format::{QuerySpec, Scenario, SinkKind};
use super::process::Spec;
use super::steps::{RunStep, Step};
use super::world::{DiskKind, World, file_bytes};
use crate::check::{
    BadLine, ByHand, DeadLetter, Emission, Intervals, LogKnobs, PlannedBatch, RanBatch, check_batch_files,
    check_compactible_logs,
};
use crashpoint_engine::checkpoint::{Checkpoint, CheckpointOptions};
use crashpoint_engine::engine::Event;
use crashpoint_engine::faults::CrashPoint;
use crashpoint_engine::plan::Row;
use crashpoint_engine::storage::create_dir_durable;
use crashpoint_engine::storage::{FiredIoError, IoFault, IoOp, Storage, file_name};
use crashpoint_engine::uri::path_of;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A crash the explorer injects into one process (run), counted from 1 over the execution.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InjectedCrash {
    /// The process.
    pub process: u32,
    /// The crash point.
    pub point: CrashPoint,
    /// The hit of the point within that process, from 1.
    pub hit: u32,
    /// The power fails at the crash.
    pub power_loss: bool,
    /// With `power_loss`: the unsynced operations that survive it (the crash state); the others
    /// are lost. Empty: every unsynced write is lost.
    pub persisted: Vec<String>,
}

/// An I/O error the explorer injects into one process.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InjectedIoError {
    /// The process.
    pub process: u32,
    /// The operation that fails; its path is relative to the world's root.
    pub fault: IoFault,
    /// The power fails when the run has stopped: nothing unsynced survives.
    pub power_loss: bool,
}

/// Faults to inject on top of the scenario. After an injected crash or I/O error the runner
/// restarts the query at once, as a supervisor would, before going on with the scenario.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Injection {
    /// The crashes, at most one per process.
    pub crashes: Vec<InjectedCrash>,
    /// The I/O errors, at most one per process and never in a process that crashes.
    pub io_errors: Vec<InjectedIoError>,
    /// The disk to run on (no power losses and no I/O errors on a real one).
    pub disk: DiskKind,
    /// Log every storage operation of every process (for the explorer's counting run).
    pub record_io: bool,
}

impl Injection {
    /// The crash injected into `process`, if any.
    pub fn crash(&self, process: u32) -> Option<&InjectedCrash> {
        self.crashes.iter().find(|c| c.process == process)
    }

    /// The I/O error injected into `process`, if any.
    pub fn io_error(&self, process: u32) -> Option<&InjectedIoError> {
        self.io_errors.iter().find(|c| c.process == process)
    }
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
    /// The injected I/O error that fired in it.
    pub io_failed: Option<FiredIoError>,
    /// Every storage operation it made, in order, when the injection records them.
    pub io_ops: Vec<(IoOp, PathBuf)>,
    /// What the engine did, in order (empty on another target).
    pub events: Vec<Event>,
    /// An injected fault stopped it, so the runner restarts the query.
    pub needs_restart: bool,
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
    /// Faults the scenario names that found nothing to act on: a `persisted` operation that was
    /// not unsynced at the power loss. The scenario no longer describes what happens; not a
    /// violation of the engine.
    pub unmatched_faults: Vec<String>,
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
    /// Every dead-letter record on the disk at the end, with its reason.
    pub dead_letter_reasons: Vec<DeadLetter>,
    /// Every batch planned: (run, batch id, file names sorted).
    pub planned: Vec<PlannedBatch>,
    /// The disk at the end.
    pub disk: std::sync::Arc<dyn Storage>,
    /// Where the world lives on it.
    pub root: std::path::PathBuf,
    /// Keeps a real temp directory alive.
    pub temp: Option<std::sync::Arc<tempfile::TempDir>>,
}

/// What the runner does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    /// Restart the query after an injected fault, before the step `steps` (or at the end).
    Restart { steps: usize },
    /// Carry out step `index` (from 0).
    Step(usize),
    /// The last invariant check.
    Finish,
    /// Nothing left.
    Done,
}

/// A scenario's execution in progress.
pub struct Runner<'s> {
    pub(super) scenario: &'s Scenario,
    pub(super) injection: Injection,
    pub(super) world: World,
    pub(super) query: QuerySpec,
    pub(super) trace: Vec<String>,
    pub(super) violations: Vec<String>,
    pub(super) problems: Vec<String>,
    pub(super) missed_errors: Vec<String>,
    pub(super) unmatched_faults: Vec<String>,
    pub(super) processes: Vec<ProcessRecord>,
    pub(super) invariant_checks: usize,
    pub(super) pending_cause: String,
    pub(super) planned: Vec<PlannedBatch>,
    /// Checkpoint files the scenario deleted or damaged itself, since the checkpoint began.
    by_hand: ByHand,
    /// The checkpoint confs the logs were last written with: a query changed to a value its
    /// rule refuses writes nothing, so the invariants keep judging by these.
    knobs_in_force: CheckpointOptions,
    /// The intervals the source log's and the file sink's log's batches were written with.
    intervals: (Intervals, Intervals),
    /// The files (URIs) of each committed batch, which the source log must keep recording.
    committed_files: BTreeMap<u64, Vec<String>>,
    /// The next step to carry out, from 0.
    next_step: usize,
    finished: bool,
    /// Units carried out so far: a fork on a real disk replays as many.
    units: usize,
    /// How far the machine's clock has gone back (`clock-back-ms` steps so far, less the
    /// `clock-forward-ms` ones; negative when it is ahead): every later run's logical clock
    /// starts this much earlier.
    pub(super) clock_back_ms: i64,
    /// The query id the checkpoint got when it was created, once a run has seen it (invariant 7).
    pub(super) query_id: Option<String>,
    /// The query ids of the checkpoints the scenario deleted, and how many it deleted: each new
    /// checkpoint is a new query, which the seeded world gives a new id.
    pub(super) earlier_query_ids: Vec<String>,
    pub(super) checkpoints_deleted: u64,
    /// The locks other processes hold (`hold-lock`), until each dies (`holder-dies`).
    pub(super) holders: super::holders::Holders,
    /// What the latest tampering step changed, as it was before (a `restore` puts it back), with
    /// the sink's emissions that step made the checks forget.
    backup: Option<(super::backup::Backup, Vec<Emission>)>,
}

/// Runs a scenario with extra injected faults (none for a plain run).
pub fn execute(scenario: &Scenario, injection: &Injection) -> Execution {
    let mut runner = Runner::new(scenario, injection.clone());
    runner.run_to_end();
    runner.finish()
}

impl<'s> Runner<'s> {
    /// A runner at the start of `scenario`, with `injection`.
    pub fn new(scenario: &'s Scenario, injection: Injection) -> Self {
        let world = match World::new(injection.disk) {
            Ok(world) => world,
            Err(e) => panic!("cannot create a temp directory for the scenario: {e}"),
        };
        let first_interval = super::model::compact_interval(&scenario.query.checkpoint);
        Runner {
            scenario,
            injection,
            world,
            query: scenario.query.clone(),
            trace: Vec::new(),
            violations: Vec::new(),
            problems: Vec::new(),
            missed_errors: Vec::new(),
            unmatched_faults: Vec::new(),
            processes: Vec::new(),
            invariant_checks: 0,
            pending_cause: String::new(),
            planned: Vec::new(),
            by_hand: ByHand::new(),
            knobs_in_force: scenario.query.checkpoint,
            intervals: (Intervals::uniform(first_interval), Intervals::uniform(first_interval)),
            committed_files: BTreeMap::new(),
            next_step: 0,
            finished: false,
            units: 0,
            clock_back_ms: 0,
            query_id: None,
            earlier_query_ids: Vec::new(),
            checkpoints_deleted: 0,
            holders: super::holders::Holders::default(),
            backup: None,
        }
    }

    /// An independent copy of this execution as it is now, which goes on exactly as this one
    /// would. On the simulated disk the world is copied; on a real disk it is replayed.
    pub fn fork(&self) -> Runner<'s> {
        let Some(world) = self.world.fork() else {
            let mut replay = Runner::new(self.scenario, self.injection.clone());
            (0..self.units).for_each(|_| replay.advance());
            return replay;
        };
        Runner {
            scenario: self.scenario,
            injection: self.injection.clone(),
            query: self.query.clone(),
            trace: self.trace.clone(),
            violations: self.violations.clone(),
            problems: self.problems.clone(),
            missed_errors: self.missed_errors.clone(),
            unmatched_faults: self.unmatched_faults.clone(),
            processes: self.processes.clone(),
            invariant_checks: self.invariant_checks,
            pending_cause: self.pending_cause.clone(),
            planned: self.planned.clone(),
            by_hand: self.by_hand.clone(),
            knobs_in_force: self.knobs_in_force,
            intervals: self.intervals.clone(),
            committed_files: self.committed_files.clone(),
            next_step: self.next_step,
            finished: self.finished,
            units: self.units,
            clock_back_ms: self.clock_back_ms,
            query_id: self.query_id.clone(),
            earlier_query_ids: self.earlier_query_ids.clone(),
            checkpoints_deleted: self.checkpoints_deleted,
            holders: self.holders.adopted(&world),
            backup: self.backup.clone(),
            world,
        }
    }

    /// The faults injected so far.
    pub fn injection(&self) -> &Injection {
        &self.injection
    }

    /// The injection, for the explorer to add faults to processes that have not run yet.
    pub fn injection_mut(&mut self) -> &mut Injection {
        &mut self.injection
    }

    /// The world as it is now.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The processes so far.
    pub fn processes(&self) -> &[ProcessRecord] {
        &self.processes
    }

    /// The step trace so far.
    pub fn trace(&self) -> &[String] {
        &self.trace
    }

    /// True once the execution has nothing left to do.
    pub fn is_done(&self) -> bool {
        self.next_unit() == Unit::Done
    }

    /// The scenario step (from 0) the next unit carries out, if the next unit is a step.
    pub fn next_step(&self) -> Option<usize> {
        match self.next_unit() {
            Unit::Step(index) => Some(index),
            _ => None,
        }
    }

    /// The ordinal of the process the next unit starts, if it starts one.
    pub fn next_process(&self) -> Option<u32> {
        let next = self.processes.len() as u32 + 1;
        match self.next_unit() {
            Unit::Restart { .. } => Some(next),
            Unit::Step(index) if matches!(self.scenario.steps[index], Step::Run(_)) => Some(next),
            _ => None,
        }
    }

    /// Advances until the next unit starts process `ordinal`; false if the execution ends first.
    pub fn advance_to_process(&mut self, ordinal: u32) -> bool {
        loop {
            if self.next_process() == Some(ordinal) {
                return true;
            }
            if self.next_unit() == Unit::Done {
                return false;
            }
            self.advance();
        }
    }

    /// Advances to the end of the scenario.
    pub fn run_to_end(&mut self) {
        while self.next_unit() != Unit::Done {
            self.advance();
        }
    }

    fn restart_due(&self) -> bool {
        self.processes.last().is_some_and(|p| p.needs_restart)
    }

    fn next_unit(&self) -> Unit {
        let steps = &self.scenario.steps;
        if self.finished {
            return Unit::Done;
        }
        match steps.get(self.next_step) {
            // Processed files and the checkpoint are only touched once the query has recovered,
            // so that the step means what it means in the oracle.
            Some(step) if step.needs_recovered_query() && self.restart_due() => Unit::Restart { steps: self.next_step },
            Some(_) => Unit::Step(self.next_step),
            None if self.restart_due() => Unit::Restart { steps: steps.len() },
            None => Unit::Finish,
        }
    }

    /// Carries out one unit: a step, a restart, or the final check.
    pub fn advance(&mut self) {
        self.units += 1;
        match self.next_unit() {
            Unit::Restart { steps } => self.restart(steps),
            Unit::Step(index) => {
                let step = &self.scenario.steps[index];
                self.trace.push(format!("[step {}] {step}", index + 1));
                if let Err(message) = self.step(index + 1, step) {
                    self.trace.push(format!("    step failed: {message}"));
                    self.problems.push(format!("step {}: {message}", index + 1));
                }
                self.next_step += 1;
            }
            Unit::Finish => {
                self.check("at the end");
                self.finished = true;
            }
            Unit::Done => {}
        }
    }

    fn step(&mut self, number: usize, step: &Step) -> Result<(), String> {
        let latest = Checkpoint::new(self.world.checkpoint()).commits.latest(self.world.storage().as_ref());
        let Some(step) = step.with_latest(latest.ok().flatten()) else {
            self.trace.push("    (no such batch: nothing to do)".into());
            return Ok(());
        };
        let step = &step;
        let input = self.world.input().to_path_buf();
        let checkpoint = self.world.checkpoint().to_path_buf();
        let io = |e: std::io::Error| e.to_string();
        if let Some(path) = step.tampered_path() {
            let backup = super::backup::Backup::take(self.world.storage().as_ref(), &self.world.root().join(path));
            self.backup = Some((backup.map_err(io)?, Vec::new()));
        }
        if self.tampered_exists(step) {
            self.note_tampering(step);
        }
        match step {
            Step::Add { name, content } | Step::Modify { name, content } => {
                self.world.add_input(name, &file_bytes(name, content)).map_err(io)?;
            }
            Step::Redrop { name } => {
                let bytes = self.world.storage().read(&input.join(name)).map_err(io)?;
                self.world.add_input(name, &bytes).map_err(io)?;
            }
            Step::Rename { from, to } => self.world.user_rename(&input.join(from), &input.join(to)).map_err(io)?,
            Step::Mkdir { name } => self.world.make_input_dir(&input.join(name)).map_err(io)?,
            Step::Link { name, to } => self.world.make_input_link(name, to).map_err(io)?,
            Step::Special { name, kind } => self.world.make_input_special(name, *kind).map_err(io)?,
            Step::InputDir(change) => self.world.change_input_dir(*change).map_err(io)?,
            Step::Remove { name } => self.world.user_remove(&input.join(name)).map_err(io)?,
            Step::Touch { name, shift_ms } => {
                let path = input.join(name);
                let mtime_ms = self.world.storage().stat(&path).map_err(io)?.mtime_ms;
                self.world.user_set_mtime(&path, mtime_ms + shift_ms).map_err(io)?;
            }
            Step::Write { path, with } => {
                let path = checkpoint.join(path);
                let dir = path.parent().unwrap_or(&checkpoint).to_path_buf();
                create_dir_durable(self.world.storage().as_ref(), &dir)
                    .map_err(|e| format!("{}: {}", e.path.display(), e.error))?;
                self.world.user_write(&path, with.as_bytes()).map_err(io)?;
            }
            Step::Run(run) => self.run(number, run),
            // Tampering with a file a crash kept from being written is a no-op, not a failure.
            Step::Delete { .. } | Step::Corrupt { .. } | Step::Truncate { .. } if !self.tampered_exists(step) => {
                self.trace.push("    (the file does not exist: nothing to do)".into());
            }
            Step::Delete { path } => self.world.user_remove(&checkpoint.join(path)).map_err(io)?,
            Step::Corrupt { path, with } => {
                self.world.user_write(&checkpoint.join(path), with.as_bytes()).map_err(io)?
            }
            Step::Truncate { path, bytes } => {
                let path = checkpoint.join(path);
                let mut data = self.world.storage().read(&path).map_err(io)?;
                data.truncate(*bytes as usize);
                self.world.user_write(&path, &data).map_err(io)?;
            }
            Step::ClockBack { ms } => {
                self.clock_back_ms = self.clock_back_ms.saturating_add_unsigned(*ms);
            }
            Step::ClockForward { ms } => {
                self.clock_back_ms = self.clock_back_ms.saturating_sub_unsigned(*ms);
            }
            Step::Restore => self.restore()?,
            Step::DeleteCheckpoint => {
                self.backup = None;
                if self.world.storage().exists(&checkpoint) {
                    self.world.storage().remove_dir_all(&checkpoint).map_err(io)?;
                }
            }
            Step::DeleteOutput { path } => {
                let full = self.world.output().join(path);
                let storage = self.world.storage().clone();
                match storage.stat(&full) {
                    Err(_) => self.trace.push("    (the file does not exist: nothing to do)".into()),
                    Ok(entry) if entry.kind == crashpoint_engine::storage::EntryKind::Dir => {
                        storage.remove_dir_all(&full).map_err(io)?
                    }
                    Ok(_) => self.world.user_remove(&full).map_err(io)?,
                }
                if let Some(batches) = sink_log_batches(path) {
                    let forgotten = self.world.forget_emissions(batches);
                    if let Some((_, emissions)) = &mut self.backup {
                        *emissions = forgotten;
                    }
                }
            }
            Step::CorruptOutput { .. } if !self.tampered_exists(step) => {
                self.trace.push("    (the file does not exist: nothing to do)".into());
            }
            Step::CorruptOutput { path, with } => {
                self.world.user_write(&self.world.output().join(path), with.as_bytes()).map_err(io)?
            }
            Step::HoldLock { place } => self.hold_lock(*place)?,
            Step::HolderDies { place } => self.holder_dies(*place),
            Step::ChangeQuery(change) => {
                if let Some(plan) = &change.plan {
                    self.query.plan = plan.clone();
                }
                if let Some(source) = &change.source {
                    self.query.source = source.clone();
                }
                if let Some(checkpoint) = change.checkpoint {
                    self.query.checkpoint = checkpoint;
                    if super::model::knobs_taken(&checkpoint) {
                        self.knobs_in_force = checkpoint;
                    }
                }
            }
        }
        if !matches!(
            step,
            Step::Run(_) | Step::Add { .. } | Step::Mkdir { .. } | Step::Link { .. } | Step::Special { .. }
        ) {
            self.pending_cause = format!("after step {number} ({step})");
        }
        Ok(())
    }

    /// The user puts back what the latest tampering step changed; with no backup, nothing.
    fn restore(&mut self) -> Result<(), String> {
        let Some((backup, forgotten)) = self.backup.take() else {
            self.trace.push("    (no tampering to undo: nothing to do)".into());
            return Ok(());
        };
        backup.restore(self.world.storage().as_ref(), &self.world).map_err(|e| e.to_string())?;
        self.world.remember_emissions(forgotten);
        Ok(())
    }

    /// A run step: one process. A fault the explorer injects here is recovered by the next run
    /// step, or by a restart before a step that needs it, or at the end.
    fn run(&mut self, number: usize, run: &RunStep) {
        let ordinal = self.processes.len() as u32 + 1;
        let injected = Spec::of(&self.injection, ordinal);
        let scheduled = injected.is_none();
        let spec = injected.unwrap_or_else(|| Spec::from_step(run));
        self.process(number, ordinal, false, run, spec);
        if scheduled {
            self.check_fired(number, run);
        }
    }

    /// A crash or an I/O error the scenario schedules must happen: one that never fires makes a
    /// bad scenario, which tests nothing of what it says.
    fn check_fired(&mut self, number: usize, run: &RunStep) {
        let record = self.processes.last().expect("every run step records its process");
        if let Some((point, hit)) = run.crash
            && record.crashed != Some((point, hit))
        {
            let hits = record.hits.get(&point).copied().unwrap_or(0);
            self.unmatched_faults.push(format!(
                "step {number}: the crash at {point} (hit {hit}) never fired: run {} hit {point} {hits} time(s)",
                record.ordinal
            ));
        }
        if let Some(fault) = &run.io_error
            && record.io_failed.is_none()
        {
            self.unmatched_faults
                .push(format!("step {number}: the I/O error ({fault}) never fired in run {}", record.ordinal));
        }
    }

    /// One restart after an injected fault left the query down.
    fn restart(&mut self, steps: usize) {
        // A restart finishes the crashed run's work, so it expects what that run expected.
        let crashed_step = self.processes.last().and_then(|p| self.scenario.steps.get(p.step.wrapping_sub(1)));
        let expect_error = match crashed_step {
            Some(Step::Run(run)) => run.expect_error.clone(),
            _ => None,
        };
        let restart = RunStep { restart: true, expect_error, ..RunStep::default() };
        let ordinal = self.processes.len() as u32 + 1;
        let fault = if self.processes.last().is_some_and(|p| p.crashed.is_some()) { "crash" } else { "I/O error" };
        self.trace.push(format!("[after step {steps}] restart after the injected {fault} (run {ordinal})"));
        let spec = Spec::of(&self.injection, ordinal).unwrap_or_default();
        self.process(steps, ordinal, true, &restart, spec);
    }

    /// Checkpoint files the scenario deletes, damages or writes are the user's own doing.
    fn note_tampering(&mut self, step: &Step) {
        match step {
            Step::Delete { path }
            | Step::Corrupt { path, .. }
            | Step::Truncate { path, .. }
            | Step::Write { path, .. } => {
                if path.starts_with("sources") {
                    // What the source log records is now the user's: nothing to hold it to.
                    self.committed_files.clear();
                }
                if path == "metadata" {
                    // The query id is now the user's: the next run's is learned afresh.
                    self.query_id = None;
                }
                self.by_hand.insert(path.clone());
            }
            Step::DeleteOutput { path } | Step::CorruptOutput { path, .. } => {
                self.by_hand.insert(format!("output/{path}"));
            }
            Step::DeleteCheckpoint => {
                self.by_hand.clear();
                self.committed_files.clear();
                self.earlier_query_ids.extend(self.query_id.take());
                self.checkpoints_deleted += 1;
            }
            _ => {}
        }
    }

    /// After a process: the batches it planned against the checkpoint it left (invariant 4),
    /// and the files of the batches it committed, to hold the source log to (invariant 5).
    pub(super) fn check_batches(&mut self, ordinal: u32, events: &[Event]) {
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
            Step::DeleteOutput { path } | Step::CorruptOutput { path, .. } => {
                self.world.storage().exists(&self.world.output().join(path))
            }
            Step::Delete { path } | Step::Corrupt { path, .. } | Step::Truncate { path, .. } => {
                self.world.storage().exists(&self.world.checkpoint().join(path))
            }
            _ => true,
        }
    }

    pub(super) fn check(&mut self, when: &str) {
        if !self.world.storage().exists(self.world.checkpoint()) {
            return;
        }
        self.invariant_checks += 1;
        // The window the invariants allow a second read by, and the batches the purge must keep,
        // are the model's statement of Spark's.
        let max_file_age_ms = super::model::max_file_age_ms(&self.query.source);
        let knobs = &self.knobs_in_force;
        let limits = (super::model::min_batches_to_retain(knobs), max_file_age_ms);
        let (kind, committed) = (self.query.sink.kind(), &self.committed_files);
        let mut violations = self.world.invariant_violations(kind, &self.by_hand, committed, limits, &self.intervals);
        let (source, sink) = self.intervals.clone();
        let knobs = LogKnobs { source, sink, min_batches_to_retain: limits.0 };
        let file_sink = (self.query.sink.kind() == SinkKind::File).then(|| self.world.output());
        let storage = self.world.storage().as_ref();
        violations.extend(check_compactible_logs(storage, self.world.checkpoint(), file_sink, &knobs, &self.by_hand));
        for violation in violations {
            self.trace.push(format!("    INVARIANT VIOLATED {when}: {violation}"));
            self.violations.push(format!("{when}: {violation}"));
        }
    }

    /// A run starts: each compactible log fixes its interval from its compactions, as Spark's
    /// does, from its next batch on.
    pub(super) fn intervals_at_start(&mut self) {
        let conf = super::model::compact_interval(&self.knobs_in_force);
        let storage = self.world.storage().as_ref();
        self.intervals.0.run_starts(storage, &self.world.checkpoint().join("sources/0"), conf);
        self.intervals.1.run_starts(storage, &self.world.output().join("_spark_metadata"), conf);
    }

    /// What the execution produced; call it once [`Runner::run_to_end`] is done.
    pub fn finish(mut self) -> Execution {
        if !self.finished {
            self.run_to_end();
        }
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
        let (dead_letters, dead_letter_reasons) = dead_letters(self.world.storage().as_ref(), self.world.checkpoint());
        Execution {
            trace: self.trace,
            emissions: self.world.emissions(),
            output,
            schema,
            console: self.world.console_text(),
            violations: self.violations,
            problems: self.problems,
            missed_errors: self.missed_errors,
            unmatched_faults: self.unmatched_faults,
            processes: self.processes,
            invariant_checks: self.invariant_checks,
            last_committed_batch,
            bad_records: dead_letters.values().map(Vec::len).sum(),
            dead_letters,
            dead_letter_reasons,
            planned: self.planned,
            disk: self.world.storage().clone(),
            root: self.world.root().to_path_buf(),
            temp: self.world.temp_dir(),
        }
    }
}

/// The bad lines kept in `checkpoint/dead-letters/`, read on the disk itself: what the engine
/// reported is not evidence that it kept them. A line that is not a dead-letter record counts
/// under its file's name and line 0, so that it is never lost from the count. Each record's reason
/// too, for the words the user reads.
fn dead_letters(
    storage: &dyn Storage,
    checkpoint: &std::path::Path,
) -> (BTreeMap<BadLine, Vec<String>>, Vec<DeadLetter>) {
    #[derive(serde::Deserialize)]
    struct Record {
        file: String,
        line: u32,
        #[serde(default)]
        reason: String,
        #[serde(default)]
        text: String,
    }
    let mut kept: BTreeMap<BadLine, Vec<String>> = BTreeMap::new();
    let mut reasons = Vec::new();
    for file in storage.list(&checkpoint.join("dead-letters")).unwrap_or_default() {
        let bytes = storage.read(&file.path).unwrap_or_default();
        for line in bytes.split(|c| *c == b'\n').filter(|l| !l.is_empty()) {
            let key = match serde_json::from_slice::<Record>(line) {
                Ok(record) => {
                    let (file, line) = (file_name(&path_of(&record.file)), record.line);
                    reasons.push(DeadLetter { file: file.clone(), line, reason: record.reason, text: record.text });
                    (file, line)
                }
                Err(_) => (format!("(unreadable line in {})", file.name), 0),
            };
            kept.entry(key).or_default().push(format!("dead-letters/{}", file.name));
        }
    }
    (kept, reasons)
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

/// The batches whose record in the file sink's log a deleted output path held: `Some(Some(N))`
/// for `_spark_metadata/N`, `Some(None)` for the whole `_spark_metadata`; `None` for any other path.
fn sink_log_batches(path: &str) -> Option<Option<u64>> {
    match path.split('/').collect::<Vec<_>>().as_slice() {
        ["_spark_metadata"] => Some(None),
        ["_spark_metadata", id] => id.parse().ok().map(Some),
        _ => None,
    }
}
