//! One process of a scenario's execution: an engine started on the world's disk, run until it
//! stops, crashes or fails; then the power loss its schedule asks for, and the judgement of
//! its error.
//!
//! An injected I/O error must stop the run with an error that names the failed operation's
//! file and the cause; a run that carries on is a violation of the engine's contract.

use super::runner::{Injection, ProcessRecord, Runner};
use super::sinks::PlannedRows;
use super::steps::{RunStep, SpelledTrigger};
use crate::check::{
    Call, LogsAtStart, QueryIdRun, RunTrace, check_query_id, check_skipped_warned, check_trace, judge_live,
    judge_origins, planned_files,
};
use crashpoint_engine::checkpoint::Checkpoint;
use crashpoint_engine::engine::Event;
use crashpoint_engine::engine::{Clock, Engine, EngineError, EngineOptions, Query, Trigger};
use crashpoint_engine::faults::Crash;
use crashpoint_engine::faults::{CrashPoint, FaultPlan};
use crashpoint_engine::rng::derive;
use crashpoint_engine::storage::{FiredIoError, IoErrno, IoFault, IoOp, is_runtime_io_error, op_names};
use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

/// Runs the engine as the product does: a `processing-time` run as `crashpoint stream` drives
/// it, one trigger at a time ([`Engine::run_micro_batch`]) until a trigger finds no new data
/// (the harness has no clock: nothing waits between triggers); any other trigger in one call.
fn run_engine(engine: &mut Engine<'_>, trigger: Trigger) -> Result<(), EngineError> {
    match trigger {
        Trigger::ProcessingTime { interval_ms } => {
            while engine.run_micro_batch(interval_ms)? {}
            Ok(())
        }
        trigger => engine.run(trigger),
    }
}

fn is_modified_notice(event: &Event) -> bool {
    matches!(event, Event::SourceNotice(crashpoint_engine::source::SourceNotice::ModifiedAfterProcessing { .. }))
}

/// The events of each trigger of a run, from where each ended.
fn calls_of<'e>(events: &'e [Event], triggers: &[(Trigger, usize, bool)]) -> Vec<Call<'e>> {
    let mut start = 0;
    let mut calls = Vec::new();
    for &(trigger, end, ok) in triggers {
        calls.push(Call { trigger, events: &events[start..end], ok });
        start = end;
    }
    calls
}

/// The faults of one process: a crash, a failed I/O operation, a power loss afterwards.
#[derive(Debug, Clone, Default)]
pub(super) struct Spec {
    crash: Option<(CrashPoint, u32)>,
    io_error: Option<IoFault>,
    power_loss: bool,
    persisted: Vec<String>,
    /// The explorer injected it: once it stops the run, the runner restarts the query.
    injected: bool,
}

impl Spec {
    /// The faults the explorer injects into process `ordinal`, if any.
    pub(super) fn of(injection: &Injection, ordinal: u32) -> Option<Spec> {
        if let Some(c) = injection.crash(ordinal) {
            let (power_loss, persisted) = (c.power_loss, c.persisted.clone());
            return Some(Spec {
                crash: Some((c.point, c.hit)),
                power_loss,
                persisted,
                injected: true,
                ..Spec::default()
            });
        }
        let e = injection.io_error(ordinal)?;
        Some(Spec { io_error: Some(e.fault.clone()), power_loss: e.power_loss, injected: true, ..Spec::default() })
    }

    /// The faults a scenario's run step asks for.
    pub(super) fn from_step(run: &RunStep) -> Spec {
        Spec {
            crash: run.crash,
            io_error: run.io_error.clone(),
            power_loss: run.power_loss,
            persisted: run.persisted.clone(),
            injected: false,
        }
    }
}

impl Runner<'_> {
    /// Runs one process of the query with `spec`'s faults and records it.
    pub(super) fn process(&mut self, number: usize, ordinal: u32, inserted: bool, run: &RunStep, spec: Spec) {
        let cause = std::mem::take(&mut self.pending_cause);
        if ordinal > 1 {
            self.check(&format!("before run {ordinal}"));
        }
        self.intervals_at_start();
        self.announce(ordinal, &spec);
        let trigger = match run.trigger.as_ref().map_or(Ok(self.query.trigger), SpelledTrigger::read) {
            Ok(trigger) => trigger,
            Err(why) => return self.trigger_refused(number, ordinal, inserted, run, why),
        };
        let faults = spec.crash.map_or_else(FaultPlan::none, |(point, hit)| FaultPlan::crash_at(point, hit));
        let (storage, handle) = self.world.process_storage(spec.io_error.as_ref(), self.injection.record_io);
        let query = Query {
            input_dir: self.world.input().to_path_buf(),
            checkpoint_dir: self.world.checkpoint().to_path_buf(),
            source: self.query.source.clone(),
            plan: self.query.plan.plan(),
        };
        let faults = self.query.bug_set().apply(faults);
        let clock = Clock::default();
        let clock = Clock { start_ms: clock.start_ms.saturating_sub(self.clock_back_ms), ..clock };
        let options = EngineOptions {
            seed: self.engine_seed(),
            clock,
            allow_existing_sink_log: self.query.allow_existing_sink_log,
            checkpoint: self.query.checkpoint,
            ..Default::default()
        };
        // The recorder reads what a skipped batch would have given through the world's own view
        // of the disk: none of the run's injected I/O errors reaches it, and it counts none.
        let planned = PlannedRows::of(self.world.storage().clone(), &query);
        let sink = self.world.sink(&self.query, self.scenario.seed, ordinal, &cause, planned);
        let (faults, intrusion) = match run.second_query {
            Some(at) => {
                let (faults, slot) = self.with_second_query(faults, at, ordinal, &query, options, trigger);
                (faults, Some((at, slot)))
            }
            None => (faults, None),
        };
        let (faults, arrival) = self.with_arrival(faults, run);
        let commits_before = self.commit_ids();
        let offsets_before = self.offsets_ids();
        let logs_before = LogsAtStart::read(self.world.storage().as_ref(), self.world.checkpoint());
        let held_before = self.world.held_by_sink(self.query.sink.kind());
        let mut taken = self.world.source_entries();
        // The run's events as its live log tells them, as `crashpoint stream` shows them: not
        // the engine's record read afterwards.
        let live = Mutex::new(Vec::new());
        let engine = sink
            .map_err(EngineError::from)
            .and_then(|sink| Engine::new(storage.as_ref(), query, sink, options, faults));
        let said = || live.lock().unwrap_or_else(PoisonError::into_inner).len();
        // Each trigger: (trigger, where its events end, whether it ended without an error).
        let mut triggers = Vec::new();
        let (result, hits) = match engine {
            Ok(mut engine) => {
                engine.on_event(|event| live.lock().unwrap_or_else(PoisonError::into_inner).push(event.clone()));
                // Triggered again, the same engine value goes on: no new process, no new start.
                let mut result = run_engine(&mut engine, trigger);
                triggers.push((trigger, said(), result.is_ok()));
                if let (Ok(()), Some(again)) = (&result, run.again) {
                    result = run_engine(&mut engine, again);
                    triggers.push((again, said(), result.is_ok()));
                }
                (result, engine.faults().hits().clone())
            }
            Err(e) => (Err(e), BTreeMap::new()),
        };
        let events = live.into_inner().unwrap_or_else(PoisonError::into_inner);
        for event in &events {
            self.trace.push(format!("    {event}"));
        }
        if let Some((at, slot)) = &intrusion
            && !self.judge_second_query(ordinal, *at, slot)
            && !spec.injected
        {
            let (point, hit) = at;
            let hits = hits.get(point).copied().unwrap_or(0);
            self.unmatched_faults.push(format!(
                "step {number}: the second query at {point} (hit {hit}) never started: run {ordinal} hit {point} {hits} \
                 time(s)"
            ));
        }
        let crashed = result.as_ref().err().and_then(|e| e.crash());
        if let (Some(arrival), Some(arrive)) = (&arrival, &run.arrive) {
            let stopped = result.is_err() || spec.injected;
            self.finish_arrival(number, ordinal, arrive, arrival, &hits, stopped);
        }
        self.check_batches(ordinal, &events);
        self.check_live_log(ordinal, &events, &commits_before, crashed, result.is_err());
        self.check_query_id(ordinal, &events);
        let predicted = super::model::predict_run(&logs_before, &planned_files(&events));
        self.record_violations(ordinal, judge_origins(&events, &predicted));
        let calls = calls_of(&events, &triggers);
        // Only a run that says a file was written again needs the files that were.
        let modified = match events.iter().any(is_modified_notice) {
            true => {
                taken.extend(self.world.source_entries());
                super::model::modified_files(&taken, |uri| self.world.mtime_of(uri))
            }
            false => BTreeMap::new(),
        };
        let live_facts = super::model::predict_live(&logs_before, held_before, modified);
        self.record_violations(ordinal, judge_live(&calls, &live_facts));
        let io_failed = handle.as_ref().and_then(|h| h.fired());
        if io_failed.is_none() {
            self.record_violations(ordinal, check_skipped_warned(&events, &offsets_before, &commits_before));
        }
        let error = result.as_ref().err().filter(|e| e.crash().is_none()).map(|e| e.to_string());
        self.processes.push(ProcessRecord {
            ordinal,
            step: number,
            inserted,
            hits,
            crashed: crashed.map(|c| (c.point, c.hit)),
            error,
            io_failed: io_failed.clone(),
            io_ops: handle.map(|h| h.io_log()).unwrap_or_default(),
            events,
            needs_restart: spec.injected && (crashed.is_some() || io_failed.is_some()),
        });
        if let Some(crash) = crashed {
            self.pending_cause = format!("after a crash at {} (hit {}) in run {ordinal}", crash.point, crash.hit);
            if spec.power_loss {
                self.lose_power(number, &spec.persisted);
            }
            return;
        }
        match (&io_failed, &run.expect_error) {
            (Some(fired), None) => self.judge_io_error(ordinal, fired, result.err()),
            // An I/O error the explorer injected stopped the run before the error the step
            // expects: the run's error must name that failure, and the restart expects the
            // step's error.
            (Some(fired), Some(_)) if spec.injected => self.judge_io_error(ordinal, fired, result.err()),
            _ => self.expect_error(ordinal, run, result.err().map(|e| e.to_string())),
        }
        if let Some(fired) = &io_failed {
            let op = fired.op;
            self.pending_cause = format!("after a failed {op} of {} in run {ordinal}", self.relative(&fired.path));
        }
        if spec.io_error.is_some() && spec.power_loss {
            self.lose_power(number, &spec.persisted);
        }
    }

    /// A run whose own trigger the engine's parser refuses, as Spark's `trigger()` refuses the
    /// query before it starts: no engine starts, so nothing is read or written; a file due
    /// during the run arrives once it has stopped.
    fn trigger_refused(&mut self, number: usize, ordinal: u32, inserted: bool, run: &RunStep, why: String) {
        let commits_before = self.commit_ids();
        let (_, arrival) = self.with_arrival(FaultPlan::none(), run);
        if let (Some(arrival), Some(arrive)) = (&arrival, &run.arrive) {
            self.finish_arrival(number, ordinal, arrive, arrival, &BTreeMap::new(), true);
        }
        self.check_live_log(ordinal, &[], &commits_before, None, true);
        self.processes.push(ProcessRecord {
            ordinal,
            step: number,
            inserted,
            hits: BTreeMap::new(),
            crashed: None,
            error: Some(why.clone()),
            io_failed: None,
            io_ops: Vec::new(),
            events: Vec::new(),
            needs_restart: false,
        });
        self.expect_error(ordinal, run, Some(why));
    }

    /// The commits on the disk now, ascending (none if the checkpoint cannot be listed).
    fn commit_ids(&self) -> Vec<u64> {
        let commits = Checkpoint::new(self.world.checkpoint()).commits.files(self.world.storage().as_ref());
        commits.map(|files| files.iter().map(|f| f.id).collect()).unwrap_or_default()
    }

    /// The offsets files on the disk now, ascending (none if the checkpoint cannot be listed).
    fn offsets_ids(&self) -> Vec<u64> {
        let offsets = Checkpoint::new(self.world.checkpoint()).offsets.files(self.world.storage().as_ref());
        offsets.map(|files| files.iter().map(|f| f.id).collect()).unwrap_or_default()
    }

    /// Records a run's violations of an invariant, in the trace too.
    fn record_violations(&mut self, ordinal: u32, violations: Vec<String>) {
        for violation in violations {
            self.trace.push(format!("    INVARIANT VIOLATED in run {ordinal}: {violation}"));
            self.violations.push(format!("in run {ordinal}: {violation}"));
        }
    }

    /// Invariant 6, before any power loss: the run's live log against the commits it wrote and
    /// the batches its sink got.
    fn check_live_log(
        &mut self,
        ordinal: u32,
        events: &[Event],
        before: &[u64],
        crashed: Option<Crash>,
        stopped: bool,
    ) {
        let new_commits: Vec<u64> = self.commit_ids().into_iter().filter(|id| !before.contains(id)).collect();
        let emissions: Vec<_> = self.world.emissions().into_iter().filter(|e| e.process == ordinal).collect();
        let run = RunTrace { events, new_commits: &new_commits, emissions: &emissions, crashed, stopped };
        self.record_violations(ordinal, check_trace(&run));
    }

    /// The engine's seed, which gives the query id of a checkpoint it creates: the scenario's
    /// for its first checkpoint, another for each new one after the user deleted one. A new
    /// checkpoint is a new query, which Spark gives a new random id; the seeded world does too.
    fn engine_seed(&self) -> u64 {
        match self.checkpoints_deleted {
            0 => self.scenario.seed,
            n => derive(self.scenario.seed, &format!("checkpoint/{n}")),
        }
    }

    /// Invariant 7, before any power loss: the query id in `metadata` against the one the run
    /// announced and the one the checkpoint was created with.
    fn check_query_id(&mut self, ordinal: u32, events: &[Event]) {
        let path = self.world.checkpoint().join("metadata");
        let storage = self.world.storage();
        let metadata = if storage.exists(&path) { storage.read(&path).ok() } else { None };
        let run = QueryIdRun {
            metadata: metadata.as_deref(),
            events,
            created: self.query_id.as_deref(),
            earlier: &self.earlier_query_ids,
        };
        let (violations, id) = check_query_id(&run);
        self.query_id = id;
        self.record_violations(ordinal, violations);
    }

    /// Says what the run will suffer. A power loss is said when it happens: the explorer decides
    /// on it after the run, on a fork, and the trace must not tell the two apart.
    fn announce(&mut self, ordinal: u32, spec: &Spec) {
        if let Some((point, hit)) = spec.crash {
            self.trace.push(format!("    (run {ordinal} will crash at {point}, hit {hit})"));
        }
        if let Some(fault) = &spec.io_error {
            self.trace.push(format!("    (run {ordinal} will fail: {fault})"));
            if self.world.sim().is_none() {
                self.problems.push("an injected I/O error needs the simulated disk".into());
            }
        }
    }

    fn relative(&self, path: &std::path::Path) -> String {
        path.strip_prefix(self.world.root()).unwrap_or(path).display().to_string()
    }

    /// The power fails: the unsynced operations named in `persisted` survive, the others are
    /// lost. A name that matches no unsynced operation is recorded as unmatched: the scenario no
    /// longer describes this crash state (say, a shrunk step removed the write it names). `number` is the step of the process that stopped.
    /// The explorer calls this on a fork right after the process, as the runner itself does
    /// when the injection asks for the power loss from the start.
    pub fn lose_power(&mut self, number: usize, persisted: &[String]) {
        let Some(sim) = self.world.sim() else {
            self.problems.push("a power loss needs the simulated disk".into());
            return;
        };
        let names = op_names(&sim.unsynced(), self.world.root());
        let mut kept = Vec::new();
        let mut unknown = Vec::new();
        for name in persisted {
            match names.iter().position(|n| n == name) {
                Some(i) => kept.push(i),
                None => unknown.push(name.clone()),
            }
        }
        sim.power_loss_keeping(&kept);
        if persisted.is_empty() {
            self.trace.push("    power loss: every write that was not fsynced is gone".into());
        } else {
            let (k, n) = (kept.len(), names.len());
            let mut list: Vec<&str> = kept.iter().map(|i| names[*i].as_str()).collect();
            if list.is_empty() {
                list.push("none");
            }
            self.trace.push(format!(
                "    power loss: {k} of {n} unsynced operation(s) kept ({}); the rest is gone",
                list.join("; ")
            ));
        }
        for name in unknown {
            let message = format!(
                "persisted names {name:?}, but no unsynced operation at the power loss has that name; the unsynced \
                 operations were: {}",
                if names.is_empty() { "none".to_string() } else { names.join("; ") }
            );
            self.trace.push(format!("    {message}"));
            self.unmatched_faults.push(format!("step {number}: {message}"));
        }
    }

    /// The engine's contract after an injected I/O error: the run stops with an error that names
    /// the failed operation's file and the cause.
    fn judge_io_error(&mut self, ordinal: u32, fired: &FiredIoError, error: Option<EngineError>) {
        let (file, cause) = (fired.path.display().to_string(), fired.errno.error().to_string());
        let what = format!("{} of {}", fired.op, self.relative(&fired.path));
        let Some(error) = error else {
            self.trace.push(format!("    the run carried on after the injected I/O error ({what}: {cause})"));
            self.problems.push(format!(
                "run {ordinal}: the injected I/O error ({what}: {cause}) did not stop the run; after an I/O error \
                 the engine must stop, and the next run recover from what is durable"
            ));
            return;
        };
        let message = error.to_string();
        self.trace.push(format!("    error (injected I/O error): {message}"));
        // Nothing may be built on a failed write: no file written, renamed, made or fsynced after
        // it (removing a temp file is cleanup). So a batch whose writes failed is never committed.
        let built: Vec<String> = fired
            .later
            .iter()
            .filter(|(op, _)| !matches!(op, IoOp::Remove | IoOp::Read | IoOp::List))
            .map(|(op, path)| format!("{op} of {}", self.relative(path)))
            .collect();
        if !built.is_empty() {
            self.problems.push(format!(
                "run {ordinal}: after the injected I/O error ({what}) the run went on with {} before it stopped; \
                 nothing may be built on a failed operation",
                built.join(", ")
            ));
        }
        if blames_another_query(fired.op, &message) {
            self.problems.push(format!(
                "run {ordinal}: the injected lock error ({what}: {cause}) was reported as another query holding the \
                 lock: a lock the file system refuses is an I/O error, to be named with its cause, not a second \
                 query to go and stop: {message}"
            ));
        }
        if !keeps_io_cause(&error, fired.errno) {
            self.problems.push(format!(
                "run {ordinal}: the error after the injected I/O error ({what}: {cause}) does not keep that failure as its \
                 typed cause (`EngineError::io_error`), so the CLI cannot exit with 3 (the disk failed) and a caller \
                 cannot tell a failed disk from bad input: {message}"
            ));
        }
        if !message.contains(&file) || !message.contains(&cause) {
            self.problems.push(format!(
                "run {ordinal}: the error after the injected I/O error ({what}) does not name the file and the cause \
                 ({cause}): {message}"
            ));
        }
    }

    pub(super) fn expect_error(&mut self, ordinal: u32, run: &RunStep, error: Option<String>) {
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
}

/// True if `error` carries the injected failure as its typed cause: the operating system's error
/// of that errno, and one the disk made at run time. The CLI's exit code 3 and a caller's retry
/// read the cause there, not in the message.
fn keeps_io_cause(error: &EngineError, errno: IoErrno) -> bool {
    let injected = errno.error();
    error.io_error().is_some_and(|io| {
        io.raw_os_error() == injected.raw_os_error() && io.kind() == injected.kind() && is_runtime_io_error(io)
    })
}

/// True if the error after a failed lock says another query holds it. A lock the file system
/// refuses (ENOLCK on an NFS mount without a lock service, EIO) says nothing of another query:
/// such an error sends the user after a query that does not exist and hides the broken mount.
fn blames_another_query(op: IoOp, message: &str) -> bool {
    op == IoOp::Lock && message.contains("another query is")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crashpoint_engine::sink::SinkError;
    use std::path::PathBuf;

    #[test]
    fn a_refused_lock_reported_as_another_query_is_named() {
        // Goal: an engine that calls every lock error "locked by another query" is caught.
        // Method: the engine's own messages, hand-fed: the output's held-lock error after a lock
        // the file system refused is blamed; an I/O error naming the cause is not, nor a held
        // lock blamed after another operation failed.
        let (dir, lock) = (PathBuf::from("/w/output"), PathBuf::from("/w/output/.crashpoint-output.lock"));
        let held = SinkError::OutputLocked { dir, lock: lock.clone() }.to_string();
        assert!(blames_another_query(IoOp::Lock, &held), "{held}");
        let named = SinkError::Io { path: lock, op: "take the output's lock", error: IoErrno::Enolck.error() };
        assert!(!blames_another_query(IoOp::Lock, &named.to_string()), "{named}");
        assert!(!blames_another_query(IoOp::Write, &held), "only a failed lock is judged so");
    }

    #[test]
    fn an_error_that_drops_the_injected_cause_is_named() {
        // Goal: an engine whose error after a failed disk loses the OS error (so the CLI exits
        // 2, "bad input", not 3) is caught, though its message still names file and cause.
        // Method: the engine's own errors, hand-made: the cause kept passes; the same failure
        // as text only, or another errno, does not.
        let path = PathBuf::from("/w/output/part-0.json");
        let io = |errno: IoErrno| SinkError::Io { path: path.clone(), op: "write a part file", error: errno.error() };
        assert!(keeps_io_cause(&EngineError::Sink(io(IoErrno::Enospc)), IoErrno::Enospc));
        assert!(!keeps_io_cause(&EngineError::Sink(io(IoErrno::Eio)), IoErrno::Enospc), "another errno");
        let text_only = SinkError::External { sink: "file sink".into(), message: io(IoErrno::Enospc).to_string() };
        assert!(!keeps_io_cause(&EngineError::Sink(text_only), IoErrno::Enospc), "the cause only in the message");
    }
}
