//! The micro-batch engine: Spark's batch lifecycle and recovery over a file source, a plan and
//! a sink, with crash points at every step.
//!
//! Lifecycle of batch N: plan (new files) → `sources/0/K` → `offsets/N` (`{"logOffset":K}`) →
//! run the plan → sink → `commits/N`. K is the file source's own offset, the source log's
//! batch id, which Spark keeps apart from N: it is N until a crash between `sources/0/N` and
//! `offsets/N`, after which a batch takes the orphan entry with the new files and K runs ahead.
//!
//! The engine uses no randomness (ids come from the seed) and reads no clock (time is the
//! batch's logical timestamp), unless the caller asks for the wall clock, as a query on real
//! directories does. It must never know about scenarios or checks.

mod batch;
mod error;
mod events;
mod recovery;
#[cfg(feature = "seeded-bugs")]
mod seeded;
mod tasks;
mod trigger;

pub use error::EngineError;
pub use events::Event;
pub use recovery::{Resume, decide, skipped_uncommitted};
pub use trigger::Trigger;

use crate::checkpoint::{
    BatchOffsets, Checkpoint, CheckpointOptions, LogFile, PLAN_FINGERPRINT_KEY, PLAN_KEY, StreamMetadata, WriteCtx,
};
use crate::faults::FaultPlan;
use crate::plan::{CompiledPlan, Plan, describe_changes};
use crate::rng::{Rng, derive};
use crate::sink::Sink;
use crate::source::{FileSource, SourceOptions};
use crate::storage::Storage;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The logical clock: batch N's timestamp is `start_ms + N * step_ms`, the same on every run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    /// Batch 0's timestamp, ms.
    pub start_ms: i64,
    /// Time between batches, ms.
    pub step_ms: i64,
}

impl Default for Clock {
    fn default() -> Self {
        // 2026-09-21T14:13:20Z: a round number near the reference checkpoints.
        Self { start_ms: 1_790_000_000_000, step_ms: 1_000 }
    }
}

impl Clock {
    /// The logical timestamp of a new batch.
    pub fn batch_timestamp_ms(&self, batch_id: u64) -> i64 {
        self.start_ms + batch_id as i64 * self.step_ms
    }
}

/// What the user asks for: where data comes from, how it is transformed, where the checkpoint is.
#[derive(Debug, Clone)]
pub struct Query {
    /// The input directory.
    pub input_dir: PathBuf,
    /// The checkpoint directory.
    pub checkpoint_dir: PathBuf,
    /// File source options.
    pub source: SourceOptions,
    /// The plan.
    pub plan: Plan,
}

/// How the engine runs, beyond the query itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct EngineOptions {
    /// Seeds the query id and part-file names.
    pub seed: u64,
    /// The logical clock.
    pub clock: Clock,
    /// New batches take the wall-clock time (Spark's `batchTimestampMs`) instead of the logical
    /// clock's; for a query on real directories. Never in scenarios, exploration or tests of
    /// output: they must be the same on every run. A re-run batch keeps its recorded time either way.
    pub wall_clock: bool,
    /// Plan new files into batch ids that the sink already holds, as Spark does when a new
    /// checkpoint writes into an old file-sink output. The sink skips those batches and their
    /// rows are lost; off (the default), the engine refuses instead.
    pub allow_existing_sink_log: bool,
    /// Spark's knobs of the checkpoint's logs: compaction interval and batches retained.
    pub checkpoint: CheckpointOptions,
    /// Threads that run a batch's tasks (0 counts as 1, the default: scenarios and exploration
    /// run each world on one thread). Nothing written depends on it: the tasks, the part files,
    /// the logs and the order of rows are the same for any number.
    pub threads: usize,
}

/// A callback told of each event as it happens.
type Observer<'a> = Box<dyn FnMut(&Event) + Send + 'a>;

/// A running query on one checkpoint. Dropping it after a crash is the process dying.
pub struct Engine<'a> {
    storage: &'a dyn Storage,
    query: Query,
    options: EngineOptions,
    checkpoint: Checkpoint,
    source: FileSource,
    plan: CompiledPlan,
    fingerprint: String,
    /// The plan's canonical JSON, recorded in `offsets/N` beside the fingerprint.
    plan_json: String,
    sink: Box<dyn Sink + 'a>,
    faults: FaultPlan,
    events: Vec<Event>,
    pending: Option<Resume>,
    /// The file source's current offset, as Spark's `FileStreamSource` keeps it: the newest
    /// source-log batch id (`None` while the source log is empty).
    source_log_latest: Option<u64>,
    /// Where the last batch ended in the source log: the `logOffset` of the latest `offsets/N`
    /// once it has run. The next new batch starts after it.
    last_log_offset: Option<u64>,
    /// The newest batch timestamp in the checkpoint: only seeded bugs read it (a new batch takes
    /// the clock's time, even before it, as Spark's does: spark/FINDINGS.md Q26c).
    #[cfg(feature = "seeded-bugs")]
    last_timestamp_ms: Option<i64>,
    /// The trigger of the current run: it decides how many new files a batch takes.
    trigger: Trigger,
    /// The checkpoint's lock, held while the engine lives.
    lock: Option<crate::storage::LockGuard>,
    /// Told of each event as it happens, before it joins the trace.
    observer: Option<Observer<'a>>,
}

impl<'a> Engine<'a> {
    /// An engine that has not touched the checkpoint yet.
    pub fn new(
        storage: &'a dyn Storage,
        query: Query,
        sink: Box<dyn Sink + 'a>,
        options: EngineOptions,
        faults: FaultPlan,
    ) -> Result<Self, EngineError> {
        let plan = query.plan.compile_for(&query.source.schema)?;
        options.checkpoint.validate()?;
        query.source.validate()?;
        Ok(Self {
            storage,
            checkpoint: Checkpoint::with_options(&query.checkpoint_dir, &options.checkpoint),
            source: FileSource::new(&query.input_dir, query.source.clone()),
            fingerprint: query.plan.fingerprint(),
            plan_json: query.plan.canonical_json(),
            plan,
            query,
            options,
            sink,
            faults,
            events: Vec::new(),
            pending: None,
            source_log_latest: None,
            last_log_offset: None,
            #[cfg(feature = "seeded-bugs")]
            last_timestamp_ms: None,
            trigger: Trigger::default(),
            lock: None,
            observer: None,
        })
    }

    /// Calls `observer` with each event as it happens (a live log), not only at the end of a
    /// run: a process that dies mid-batch has still said what it did.
    pub fn on_event(&mut self, observer: impl FnMut(&Event) + Send + 'a) {
        self.observer = Some(Box::new(observer));
    }

    /// Records an event, telling the observer first.
    fn emit(&mut self, event: Event) {
        if let Some(observer) = &mut self.observer {
            observer(&event);
        }
        self.events.push(event);
    }

    /// The trace so far, crashes included.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The fault plan, with its hit counts.
    pub fn faults(&self) -> &FaultPlan {
        &self.faults
    }

    /// The output column names.
    pub fn schema(&self) -> &[String] {
        self.plan.schema()
    }

    /// Runs until the trigger is done: `available-now` until the files present at its start are
    /// read, `once` for one batch, `processing-time` until a trigger finds no new data (the
    /// engine has no clock to wait on; see [`Engine::run_micro_batch`]). On an injected crash,
    /// the trace ends with `Crashed`.
    pub fn run(&mut self, trigger: Trigger) -> Result<(), EngineError> {
        let result = self.run_inner(trigger);
        self.source.unfix_listing();
        self.note_crash(result)
    }

    /// One trigger of a `processing-time` query (starting the query first if it has not
    /// started): the next batch, from the files an earlier batch left under
    /// `maxFilesPerTrigger`, or else from the input listed again. Returns false when the trigger
    /// found nothing new. The caller waits for the interval between calls.
    pub fn run_micro_batch(&mut self, interval_ms: u64) -> Result<bool, EngineError> {
        self.trigger = Trigger::ProcessingTime { interval_ms };
        let result = self.started().and_then(|()| self.run_next_batch());
        self.note_crash(result)
    }

    /// Spark resolves the input path when a query starts: a missing directory, or a file in its
    /// place, stops the start before anything is written (FINDINGS Q26d2).
    fn check_input_dir(&self) -> Result<(), EngineError> {
        let path = self.query.input_dir.clone();
        match self.storage.stat(&path) {
            Ok(entry) if entry.is_dir() => Ok(()),
            Ok(_) => Err(EngineError::InputNotADirectory { path }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(EngineError::InputDirMissing { path }),
            Err(error) => Err(EngineError::Input { path, op: "look at the input directory", error }),
        }
    }

    fn note_crash<T>(&mut self, result: Result<T, EngineError>) -> Result<T, EngineError> {
        if let Err(EngineError::Crash(crash)) = &result {
            self.emit(Event::Crashed(*crash));
        }
        result
    }

    fn started(&mut self) -> Result<(), EngineError> {
        if self.pending.is_none() {
            self.start()?;
        }
        Ok(())
    }

    fn run_inner(&mut self, trigger: Trigger) -> Result<(), EngineError> {
        self.trigger = trigger;
        self.started()?;
        let fix = trigger == Trigger::AvailableNow;
        #[cfg(feature = "seeded-bugs")]
        let fix = seeded::bent_fix_listing(self.faults.seams(), fix);
        if fix {
            self.source.fix_listing(self.storage).map_err(|error| EngineError::Input {
                path: self.query.input_dir.clone(),
                op: "list the input directory",
                error,
            })?;
        }
        loop {
            let ran = self.run_next_batch()?;
            if !ran {
                self.emit(Event::Idle);
                return Ok(());
            }
            if trigger == Trigger::Once {
                return Ok(());
            }
        }
    }

    /// Reads or creates `metadata`, decides how to resume, and checks the plan.
    fn start(&mut self) -> Result<(), EngineError> {
        let storage = self.storage;
        self.check_input_dir()?;
        self.lock = Some(self.lock_checkpoint()?);
        let opened = self.sink.open(storage);
        #[cfg(feature = "seeded-bugs")]
        let opened = seeded::bent_open(self.faults.seams(), opened);
        opened?;
        if self.checkpoint.offsets.latest(storage)?.is_none()
            && self.checkpoint.sources.log().latest(storage)?.is_none()
        {
            self.check_sink_behind(0, "(it is new)")?;
        }
        let query_id = match self.checkpoint.read_metadata(storage)? {
            Some(metadata) => metadata.id,
            None => self.create_metadata()?,
        };
        self.sync_checkpoint_dirs()?;
        let resume = decide(storage, &self.checkpoint)?;
        self.check_sink_holds_commits()?;
        #[cfg(feature = "seeded-bugs")]
        let resume = seeded::bent_resume(self.faults.seams(), resume);
        if let Some(latest) = self.checkpoint.offsets.latest(storage)? {
            let offsets = self.checkpoint.read_offsets(storage, latest)?;
            self.check_plan(latest, &offsets)?;
            #[cfg(feature = "seeded-bugs")]
            {
                self.last_timestamp_ms = Some(offsets.metadata.batch_timestamp_ms);
            }
            // A batch to re-run starts where the one before it ended; otherwise the next new
            // batch starts where the latest one ended.
            self.last_log_offset = match resume {
                Resume::Rerun { batch } => self.checkpoint.previous_log_offset(storage, batch)?,
                _ => offsets.log_offset,
            };
        }
        // Spark fixes the log's interval at the start, from the compactions it holds.
        self.checkpoint.sources.open_to_read(storage)?;
        self.source_log_latest = self.checkpoint.sources.log().latest(storage)?;
        self.restore_seen_files()?;
        self.emit(Event::Started { query_id, resume });
        for id in skipped_uncommitted(storage, &self.checkpoint)? {
            self.emit(Event::SkippedUncommitted { id });
        }
        self.pending = Some(resume);
        Ok(())
    }

    /// What a crashed run renamed into place may not be durable yet: fsync the checkpoint's
    /// directories, so that nothing is built on what a power loss could take away.
    fn sync_checkpoint_dirs(&self) -> Result<(), EngineError> {
        #[cfg(feature = "seeded-bugs")]
        if !self.faults.seams().log_fsync.syncs_dirs() {
            return Ok(());
        }
        Ok(self.checkpoint.sync_dirs(self.storage)?)
    }

    /// The files that earlier batches took, from the source log: the source skips them.
    fn restore_seen_files(&mut self) -> Result<(), EngineError> {
        #[cfg(feature = "seeded-bugs")]
        if self.faults.seams().seen_files == crate::seams::SeenFiles::Forgotten {
            return Ok(());
        }
        self.source.mark_seen(&self.checkpoint.sources.all_entries(self.storage)?);
        Ok(())
    }

    /// One query per checkpoint: a second one gets a clear error instead of racing the first.
    fn lock_checkpoint(&self) -> Result<crate::storage::LockGuard, EngineError> {
        let root = self.checkpoint.root();
        let path = root.join(".lock");
        let io = |path: PathBuf, op, error| {
            EngineError::Checkpoint(crate::checkpoint::CheckpointError::Io { log: "checkpoint", path, op, error })
        };
        crate::storage::create_dir_durable(self.storage, root).map_err(|e| io(e.path, e.op, e.error))?;
        #[cfg(feature = "seeded-bugs")]
        if self.faults.seams().checkpoint_lock == crate::seams::CheckpointLock::Skipped {
            return Ok(crate::storage::LockGuard(Box::new(())));
        }
        let held = |e: &std::io::Error| e.kind() == std::io::ErrorKind::WouldBlock;
        #[cfg(feature = "seeded-bugs")]
        let held = |e: &std::io::Error| seeded::bent_held(self.faults.seams(), held(e));
        self.storage.lock(&path).map_err(|e| match held(&e) {
            true => EngineError::Recovery {
                checkpoint: root.to_path_buf(),
                problem: format!("another query is running on it ({} is locked)", path.display()),
                hint: "stop the other query first; two queries on one checkpoint corrupt it".into(),
            },
            false => io(path.clone(), "take the lock", e),
        })
    }

    fn create_metadata(&mut self) -> Result<String, EngineError> {
        if self.checkpoint.offsets.latest(self.storage)?.is_some() {
            return Err(EngineError::Recovery {
                checkpoint: self.checkpoint.root().to_path_buf(),
                problem: "offsets/ has batches but the metadata file is missing".into(),
                hint: format!(
                    "restore metadata ({{\"id\":\"<uuid>\"}}) from a backup, or run `crashpoint doctor {}`: it can \
                     write a new query id",
                    self.checkpoint.root().display()
                ),
            });
        }
        let id = Rng::new(derive(self.options.seed, "query-id")).uuid();
        let mut ctx = WriteCtx { storage: self.storage, faults: &mut self.faults };
        self.checkpoint.write_metadata(&mut ctx, &StreamMetadata { id: id.clone() })?;
        Ok(id)
    }

    /// True if the sink already holds batch `id`.
    pub(super) fn sink_holds(&self, id: u64) -> Result<bool, EngineError> {
        Ok(self.sink.held_batches(self.storage)?.is_some_and(|held| held.latest >= id))
    }

    /// Refuses to go on when the sink keeps a record of its batches and lacks the latest one
    /// committed: its rows are not in the output, and a next batch would leave a hole there.
    fn check_sink_holds_commits(&self) -> Result<(), EngineError> {
        let Some(committed) = self.checkpoint.commits.latest(self.storage)? else { return Ok(()) };
        if !self.sink.keeps_batches() {
            return Ok(());
        }
        let held = self.sink.held_batches(self.storage)?;
        if held.as_ref().is_some_and(|h| h.latest >= committed) {
            return Ok(());
        }
        let place = held.as_ref().map_or_else(|| "the sink".to_string(), |h| h.place.clone());
        let held = held.map(|h| h.latest);
        Err(EngineError::SinkBehind { place, held, committed, checkpoint: self.checkpoint.root().to_path_buf() })
    }

    /// Refuses to plan new files into batch `id` if the sink already holds it, unless allowed.
    pub(super) fn check_sink_behind(&self, id: u64, why: &str) -> Result<(), EngineError> {
        if self.options.allow_existing_sink_log {
            return Ok(());
        }
        match self.sink.held_batches(self.storage)? {
            Some(held) if held.latest >= id => Err(EngineError::SinkAhead {
                place: held.place,
                latest: held.latest,
                checkpoint: self.checkpoint.root().to_path_buf(),
                batch: id,
                why: format!(" {why}"),
            }),
            _ => Ok(()),
        }
    }

    /// Compares this plan with the one recorded in the latest `offsets/N`.
    fn check_plan(&mut self, latest: u64, offsets: &BatchOffsets) -> Result<(), EngineError> {
        match offsets.metadata.conf.get(PLAN_FINGERPRINT_KEY) {
            Some(recorded) if *recorded != self.fingerprint => {
                // The recorded plan says what changed; a checkpoint written before plans were
                // recorded has only the fingerprint.
                let recorded_plan = offsets.metadata.conf.get(PLAN_KEY).and_then(|j| serde_json::from_str(j).ok());
                Err(EngineError::PlanChanged {
                    offsets_file: self.checkpoint.offsets.path(LogFile { id: latest, compact: false }),
                    recorded: recorded.clone(),
                    current: self.fingerprint.clone(),
                    changes: recorded_plan.map(|plan| describe_changes(&plan, &self.query.plan)).unwrap_or_default(),
                })
            }
            Some(_) => Ok(()),
            None => {
                self.emit(Event::Warning(format!(
                    "offsets/{latest} records no plan fingerprint (written by Spark?): the query cannot be checked \
                     against the one that wrote the checkpoint"
                )));
                Ok(())
            }
        }
    }
}
