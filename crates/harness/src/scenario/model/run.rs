//! One run of the query in the model, as the protocol specifies it: start (the sink's record,
//! `metadata`, the recovery decision, the plan check), then batches until the trigger is done:
//! plan (a re-run of its recorded source-log range, or the source log's untaken entries plus
//! the oldest unseen files), read, sink, commit, purge.
//!
//! This is a second, independent statement of the engine's rules, written from its
//! specification (README, DESIGN, Spark's measured behaviour): it must never call the engine's
//! lifecycle or recovery code.

use super::super::format::SinkKind;
use super::super::steps::Arrival;
use super::Model;
use super::clock::new_batch_time_ms;
use super::contract::{BatchTasks, Split, knobs, parts_of, split_of_line, split_size, tasks};
use super::input::{Input, Read, read_file};
use super::state::{Offsets, SinkState, SourceEntry, SourceGap};
use crate::check::BatchParts;
use crate::check::{Cause, Place};
use crashpoint_engine::engine::Trigger;
use crashpoint_engine::faults::CrashPoint;
use crashpoint_engine::plan::{CompiledPlan, format_timestamp_ms};
use crashpoint_engine::source::{BadRecordMode, InputFormat, ModifiedFilePolicy};
use std::collections::{BTreeMap, BTreeSet};

/// Where a run resumes.
#[derive(Debug, Clone, Copy)]
enum Resume {
    Next(u64),
    Rerun(u64),
}

/// A batch ready to run.
struct Planned {
    id: u64,
    files: Vec<SourceEntry>,
    timestamp_ms: i64,
    /// Its `logOffset`.
    through: Option<u64>,
}

/// What a run keeps in memory: the seen files, and where the source log stands (Spark's `FileStreamSource` offset) and where the last batch ended in it.
struct RunState {
    seen: BTreeMap<String, (i64, u64)>,
    noticed: BTreeSet<String>,
    source_log_latest: Option<u64>,
    last_log_offset: Option<u64>,
    /// New files a batch may take: `maxFilesPerTrigger`, or no limit under `once`.
    max_files: Option<usize>,
    /// True when a batch keeps the new files it leaves for the next batches: a run that lists
    /// before each batch (processing-time) under `maxFilesPerTrigger`.
    keeps_unread: bool,
    /// The new files kept so, oldest first, as (time, URI, name).
    unread: Vec<(i64, String, String)>,
    /// An `available-now` run's listing, taken once at its start, as (name, modification time):
    /// Spark's `prepareForTriggerAvailableNow` lists the input once, so a file that arrives
    /// during the run waits for the next one. `None`: each batch lists the input again.
    fixed: Option<Vec<(String, i64)>>,
}

/// A file to arrive during the run, at the `hit`-th hit of its point, counted by the model's
/// own statement of when each point is hit: `after-offsets-write` once a new batch (a re-run
/// writes no offsets), `after-sink-write` and `after-commit-write` once every batch.
struct Due<'a> {
    arrival: &'a Arrival,
    hits: u32,
}

impl Due<'_> {
    /// True when the batch just run (a re-run or not) brings the arrival's hit.
    fn reached(&mut self, rerun: bool) -> bool {
        let (point, hit) = self.arrival.at;
        if point == CrashPoint::AfterOffsetsWrite && rerun {
            return false;
        }
        self.hits += 1;
        self.hits == hit
    }
}

impl Model {
    /// One run; an error stops it where the engine stops, and is recorded with the run.
    /// `arrive`: a file that arrives during the run; if the run ends (or fails) before its hit,
    /// it arrives once the run has stopped.
    /// `trigger`: the run's, or why the engine must refuse its spelling. `again`: once the
    /// trigger is done, the same process triggers the query again with it.
    pub(super) fn run(&mut self, trigger: Result<Trigger, Cause>, again: Option<Trigger>, arrive: Option<&Arrival>) {
        self.ordinal += 1;
        self.contract.begin(self.ordinal);
        let mut due = arrive.map(|arrival| Due { arrival, hits: 0 });
        let ran = trigger.and_then(|trigger| self.run_inner(trigger, again, &mut due));
        // A run refused for its options or its trigger stops before it touches anything: its
        // hits (none) are stated, so that a refusal after a write (`metadata`, a batch) is a
        // finding.
        self.contract.end(ran.is_ok() || matches!(ran, Err(Cause::BadOption { .. } | Cause::BadTrigger { .. })));
        if let Err(why) = ran {
            self.failed_runs.push((self.ordinal, why));
        }
        if let Some(due) = due {
            self.arrive(&due.arrival.file);
        }
    }

    fn run_inner(&mut self, trigger: Trigger, again: Option<Trigger>, due: &mut Option<Due>) -> Result<(), Cause> {
        let plan = self.query.plan.plan();
        let compiled = plan.compile_for(&self.query.source.schema).map_err(|e| Cause::Other(e.to_string()))?;
        if let Some(cause) = super::options::refused(&self.query.checkpoint, &self.query.source) {
            return Err(cause);
        }
        let (mut resume, mut state) = self.start(&plan.fingerprint())?;
        // A query triggered again starts no more: it goes on from where the last trigger ended,
        // with what it keeps in memory, exactly as a restart on the checkpoint would.
        for trigger in std::iter::once(trigger).chain(again) {
            resume = self.run_trigger(trigger, resume, &mut state, &compiled, due)?;
        }
        Ok(())
    }

    /// One trigger: batches until it is done. Returns where the next trigger resumes.
    fn run_trigger(
        &mut self,
        trigger: Trigger,
        mut resume: Resume,
        state: &mut RunState,
        compiled: &CompiledPlan,
        due: &mut Option<Due>,
    ) -> Result<Resume, Cause> {
        // `once` takes everything available in one batch, whatever maxFilesPerTrigger says.
        let max_files = self.query.source.max_files_per_trigger.and_then(|n| usize::try_from(n).ok());
        state.max_files = if trigger == Trigger::Once { None } else { max_files };
        state.keeps_unread = matches!(trigger, Trigger::ProcessingTime { .. }) && state.max_files.is_some();
        // Each trigger lists anew: an available-now listing is the input as this trigger starts.
        state.unread.clear();
        state.fixed = (trigger == Trigger::AvailableNow)
            .then(|| self.input.listed().map(|(name, file)| (name.clone(), file.mtime_ms)).collect());
        loop {
            let planned = match resume {
                Resume::Rerun(id) => Some(self.plan_rerun(id)?),
                Resume::Next(id) => self.plan_new(id, state)?,
            };
            let Some(batch) = planned else { return Ok(resume) };
            let mut names: Vec<String> = batch.files.iter().map(|f| f.name.clone()).collect();
            names.sort();
            self.planned.push((self.ordinal, batch.id, names));
            self.batch_times.push((self.ordinal, batch.id, batch.timestamp_ms));
            let rerun = matches!(resume, Resume::Rerun(_));
            self.run_batch(&batch, compiled, due, rerun)?;
            for entry in &batch.files {
                state.seen.insert(entry.name.clone(), (entry.mtime_ms, batch.id));
            }
            state.last_log_offset = batch.through;
            state.source_log_latest = state.source_log_latest.max(batch.through);
            resume = Resume::Next(batch.id + 1);
            if trigger == Trigger::Once {
                return Ok(resume);
            }
        }
    }

    /// The start of a run: the sink's record against a new checkpoint, `metadata`, recovery,
    /// the plan check, where the source log stands, and the seen files.
    fn start(&mut self, fingerprint: &str) -> Result<(Resume, RunState), Cause> {
        self.input.refusal().map_or(Ok(()), Err)?;
        self.check_locks()?;
        if self.query.sink.kind() == SinkKind::File {
            self.sink_log_readable()?;
        }
        let checkpoint = &self.checkpoint;
        if checkpoint.offsets.is_empty() && checkpoint.sources.is_empty() {
            self.check_sink_behind(0)?;
        }
        // Every start reads `metadata` when it is there: bytes that are no query id stop it.
        if let Some(cause) = self.checkpoint.unreadable("metadata").filter(|_| self.checkpoint.metadata) {
            return Err(cause.clone());
        }
        if let Some(cause) = self.checkpoint.stray_refusal() {
            return Err(cause);
        }
        if !self.checkpoint.metadata {
            if !self.checkpoint.offsets.is_empty() {
                return Err(Cause::MetadataMissing);
            }
            self.checkpoint.metadata = true;
            self.contract.run().log_write();
        }
        let resume = self.decide()?;
        self.check_sink_holds_commits()?;
        let checkpoint = &self.checkpoint;
        let latest_id = checkpoint.offsets.keys().next_back();
        latest_id.map_or(Ok(()), |id| self.readable(&format!("offsets/{id}")))?;
        let latest = checkpoint.offsets.last_key_value().map(|(_, o)| o.clone());
        if let Some(offsets) = &latest
            && offsets.fingerprint != fingerprint
            // Spark records no plan: the start cannot check it, and warns instead.
            && !offsets.fingerprint.is_empty()
        {
            return Err(Cause::QueryChanged);
        }
        let last_log_offset = match resume {
            Resume::Rerun(id) => self.previous_log_offset(id)?,
            Resume::Next(_) => latest.as_ref().and_then(|o| o.log_offset),
        };
        self.fix_intervals()?;
        let checkpoint = &self.checkpoint;
        // The start reads the whole source log (from its latest compaction on) for the files
        // seen: a file of it the user overwrote stops the run.
        if let Some(cause) = checkpoint.unreadable_source_log() {
            return Err(cause.clone());
        }
        let seen = checkpoint.sources.seen().into_iter().map(|e| (e.name, (e.mtime_ms, 0)));
        let state = RunState {
            seen: seen.collect(),
            noticed: BTreeSet::new(),
            source_log_latest: checkpoint.sources.latest(),
            last_log_offset,
            max_files: None,
            keeps_unread: false,
            unread: Vec::new(),
            fixed: None,
        };
        let skipped = self.checkpoint.skipped_uncommitted();
        if !skipped.is_empty() {
            self.skipped_uncommitted.push((self.ordinal, skipped));
        }
        Ok((resume, state))
    }

    /// A run takes the checkpoint's lock first, then (a file sink) the output's: one that
    /// another process holds refuses the run before it reads or writes anything.
    fn check_locks(&self) -> Result<(), Cause> {
        let file_sink = self.query.sink.kind() == SinkKind::File;
        let mut places =
            [Place::Checkpoint, Place::Output].into_iter().filter(|p| *p == Place::Checkpoint || file_sink);
        match places.find(|place| self.held.contains(place)) {
            Some(place) => Err(Cause::Held { place }),
            None => Ok(()),
        }
    }

    /// A log file a run reads must start with `v1`: one the user overwrote stops the run.
    fn readable(&self, path: &str) -> Result<(), Cause> {
        self.checkpoint.unreadable(path).map_or(Ok(()), |cause| Err(cause.clone()))
    }

    /// Spark's decision from the latest offsets L and the latest commit C, which it reads first
    /// (a commit it cannot read is no commit to decide by).
    fn decide(&self) -> Result<Resume, Cause> {
        let latest = self.checkpoint.offsets.keys().next_back().copied();
        let commit = self.checkpoint.commits.iter().next_back().copied();
        commit.map_or(Ok(()), |c| self.readable(&format!("commits/{c}")))?;
        match (latest, commit) {
            (None, None) => Ok(Resume::Next(0)),
            (None, Some(c)) => Err(Cause::CommitsWithoutOffsets { commit: c }),
            (Some(l), Some(c)) if c == l => Ok(Resume::Next(l + 1)),
            (Some(l), c) if c.map_or(l == 0, |c| c + 1 == l) => Ok(Resume::Rerun(l)),
            (Some(l), Some(c)) if c > l => Err(Cause::CommitNewerThanOffsets { commit: c, offsets: l }),
            (Some(l), commit) => Err(Cause::CommitsTrailOffsets { offsets: l, commit }),
        }
    }

    /// The `logOffset` of the batch before `id`: where batch `id` starts in the source log.
    fn previous_log_offset(&self, id: u64) -> Result<Option<u64>, Cause> {
        let Some(previous) = id.checked_sub(1) else { return Ok(None) };
        self.readable(&format!("offsets/{previous}"))?;
        let path = format!("offsets/{previous}");
        let offsets = self.checkpoint.offsets.get(&previous).ok_or(Cause::LogMissing { path, batch: id })?;
        Ok(offsets.log_offset)
    }

    /// The sink must not already hold a batch id that new files are planned into.
    fn check_sink_behind(&self, id: u64) -> Result<(), Cause> {
        match self.sink.held_latest() {
            Some(latest) if latest >= id && !self.query.allow_existing_sink_log => {
                Err(Cause::SinkAhead { held: latest })
            }
            _ => Ok(()),
        }
    }

    /// A sink that keeps a record of its batches must hold the latest commit: a commit whose
    /// batch the output lacks (its log entry deleted by hand, the log gone) means rows a reader
    /// never sees, and a next batch would write past the hole.
    fn check_sink_holds_commits(&self) -> Result<(), Cause> {
        let Some(committed) = self.checkpoint.commits.iter().next_back().copied() else { return Ok(()) };
        let keeps = matches!(self.sink, SinkState::File(_) | SinkState::Memory(_));
        match self.sink.held_latest() {
            Some(held) if held >= committed => Ok(()),
            held if keeps => Err(Cause::SinkBehind { held, committed }),
            _ => Ok(()),
        }
    }

    /// Batch `id` again: exactly its recorded source-log range, with its recorded time.
    fn plan_rerun(&self, id: u64) -> Result<Planned, Cause> {
        let offsets = &self.checkpoint.offsets[&id];
        let after = self.previous_log_offset(id)?;
        let files = match offsets.log_offset {
            Some(through) => self.checkpoint.source_range(after, through).map_err(|gap| gap_cause(gap, id))?,
            None => Vec::new(),
        };
        Ok(Planned { id, files, timestamp_ms: offsets.timestamp_ms, through: offsets.log_offset })
    }

    /// A new batch `id`: the source log's entries no batch took yet (a crash before `offsets/N`
    /// leaves them), plus the oldest unseen files as the next source-log batch. A sink that
    /// already holds batch `id` gets the untaken entries alone.
    fn plan_new(&mut self, id: u64, state: &mut RunState) -> Result<Option<Planned>, Cause> {
        let (after, latest) = (state.last_log_offset, state.source_log_latest);
        // The source log cut back by hand below where the latest batch ended.
        if let Some(log_offset) = after.filter(|_| latest < after) {
            return Err(Cause::SourceLogCut { latest, batch: id.saturating_sub(1), log_offset });
        }
        let mut files = match latest {
            Some(through) if latest > after => {
                self.checkpoint.source_range(after, through).map_err(|gap| gap_cause(gap, id))?
            }
            _ => Vec::new(),
        };
        let next_log_id = latest.map_or(0, |l| l + 1);
        let untaken = !files.is_empty();
        let held = self.sink.held_latest().is_some_and(|held| held >= id);
        let new = if untaken && held { Vec::new() } else { self.new_files(state)? };
        let through = if new.is_empty() { latest } else { Some(next_log_id) };
        if through == after {
            return Ok(None);
        }
        if !untaken {
            self.check_sink_behind(id)?;
        }
        let timestamp_ms = new_batch_time_ms(id, self.clock_back_ms);
        if !new.is_empty() {
            let knobs = (self.compact_interval(), super::min_batches_to_retain(&self.query.checkpoint));
            self.checkpoint.add_source_batch(next_log_id, new.clone(), knobs);
        }
        self.contract.plan_written(!new.is_empty());
        for entry in &new {
            if let Some(misread) = super::names::misread(&entry.name) {
                self.misread_names.insert(entry.name.clone(), misread);
            }
        }
        let fingerprint = self.query.plan.plan().fingerprint();
        self.checkpoint.offsets.insert(id, Offsets { timestamp_ms, fingerprint, log_offset: through });
        files.extend(new);
        Ok(Some(Planned { id, files, timestamp_ms, through }))
    }

    fn compact_interval(&self) -> u64 {
        self.source_interval
    }

    /// The oldest unseen files, by (modification time, URI), at most the run's limit. A seen
    /// path with another modification time is ignored, or an error with `on-modified = error`.
    ///
    /// Spark's `maxFileAge` window (its `SeenFilesMap`): once a file is seen, a file older than
    /// the newest seen file's time minus the age is not new, and is never read while it stays
    /// that old; a seen file that old is forgotten (Spark purges it), so that it is new again if
    /// its time moves into the window. A file left unread so that was never read before is
    /// too old: the user must hear of it; a forgotten one was read, and is left without a word.
    ///
    /// Each batch judges the whole listing as the window stands then, under
    /// `maxFilesPerTrigger` too: a seen file forgotten by the batch before is taken by time
    /// among the new ones (Spark 4.3, measured: scenarios/reach/max_file_age_left_files.toml).
    ///
    /// A processing-time batch under `maxFilesPerTrigger` keeps the new files it leaves, and
    /// the next batches take them, oldest first, without a listing and without judging them
    /// again, until none is left; it drops them when they are fewer than a fifth of the limit
    /// (Spark's `unreadFiles` and `discardCachedInputRatio`; Spark 4.3, measured:
    /// scenarios/reach/max_file_age_processing_time.toml).
    fn new_files(&mut self, state: &mut RunState) -> Result<Vec<SourceEntry>, Cause> {
        let mut candidates = std::mem::take(&mut state.unread);
        if candidates.is_empty() {
            candidates = self.listed_new_files(state)?;
        }
        if let Some(limit) = state.max_files {
            let left = candidates.split_off(limit.min(candidates.len()));
            if state.keeps_unread && !left.is_empty() && 5 * left.len() >= limit {
                state.unread = left.into_iter().take(10_000).collect();
            }
        }
        Ok(candidates.into_iter().map(|(mtime_ms, _, name)| SourceEntry { name, mtime_ms }).collect())
    }

    /// The listing's new files as the window stands now, oldest first, as (time, URI, name).
    fn listed_new_files(&mut self, state: &mut RunState) -> Result<Vec<(i64, String, String)>, Cause> {
        let newest_ms = state.seen.values().map(|(mtime_ms, _)| *mtime_ms).max();
        let max_age_ms = super::max_file_age_ms(&self.query.source);
        let window_start_ms = newest_ms.map(|newest| newest.saturating_sub(max_age_ms));
        let older = |mtime_ms: i64| window_start_ms.is_some_and(|start| mtime_ms < start);
        let mut candidates = Vec::new();
        let listed: Vec<(String, i64)> = match &state.fixed {
            Some(fixed) => fixed.clone(),
            None => self.input.listed().map(|(name, file)| (name.clone(), file.mtime_ms)).collect(),
        };
        // What a listing says of the subdirectories comes with the run's first new batch (an
        // available-now run's listing too); no subdirectory appears during a run. The source
        // speaks of the listing's entries in name order, and a modified file under
        // `on-modified = "error"` stops it: nothing after that file is said.
        let stops = |(name, listed_ms): &&(String, i64)| {
            let modified = state.seen.get(name).is_some_and(|(seen_ms, _)| !older(*seen_ms) && seen_ms != listed_ms);
            modified && !state.noticed.contains(name)
        };
        let stop = listed.iter().find(stops).filter(|_| self.query.source.on_modified == ModifiedFilePolicy::Error);
        self.note_dirs(stop.map(|(name, _)| name.as_str()));
        for (name, listed_ms) in &listed {
            let (name, listed_ms) = (name, *listed_ms);
            match state.seen.get(name) {
                Some((seen_ms, _)) if older(*seen_ms) => {
                    if !older(listed_ms) {
                        candidates.push((listed_ms, Input::uri(name), name.clone()));
                    }
                }
                None if older(listed_ms) => {
                    self.too_old.entry(name.clone()).or_default().insert(max_age_ms);
                }
                Some((mtime_ms, _)) if *mtime_ms != listed_ms => {
                    let first = state.noticed.insert(name.clone());
                    if first && self.query.source.on_modified == ModifiedFilePolicy::Error {
                        return Err(Cause::ModifiedInput { file: name.clone() });
                    }
                }
                Some(_) => {}
                None => candidates.push((listed_ms, Input::uri(name), name.clone())),
            }
        }
        candidates.sort();
        Ok(candidates)
    }

    /// Read (unless the sink holds the batch), dead letters, sink, commit, purge; the file due
    /// to arrive at this batch's hit of its point arrives (each point is hit after the batch's
    /// listing, so this batch never takes it).
    fn run_batch(
        &mut self,
        batch: &Planned,
        plan: &CompiledPlan,
        due: &mut Option<Due>,
        rerun: bool,
    ) -> Result<(), Cause> {
        let at_offsets = due.as_ref().is_some_and(|due| due.arrival.at.0 == CrashPoint::AfterOffsetsWrite);
        if at_offsets {
            self.arrive_if_due(due, rerun);
        }
        let mut sink = "held by the sink".to_string();
        if !self.sink.holds(batch.id) {
            let read = self.read(batch, plan)?;
            let layout = BatchTasks { run: self.ordinal, batch: batch.id, tasks: read.layout.clone() };
            self.contract.tasks.push(layout);
            // Failfast stops at the first bad line or value of the wrong type, by file (in the
            // batch's order) then line, as Spark's FAILFAST does.
            let at = |(name, line): &&(String, u32)| (batch.files.iter().position(|f| &f.name == name), *line);
            if self.query.source.mode == BadRecordMode::Failfast
                && let Some((name, line)) = read.bad.iter().chain(&read.nulls).min_by_key(at)
            {
                return Err(Cause::BadRecordFailfast { uri: Input::uri(name), line: *line });
            }
            sink = self.sink_wrote(batch, &read);
            if !read.bad.is_empty() {
                self.checkpoint.dead_letters.insert(batch.id, read.bad);
            }
            if self.written.insert((self.epoch, batch.id)) {
                self.first_writes.extend(read.rows.iter().cloned());
            }
            self.sink.write(batch.id, read.rows);
        }
        if !at_offsets {
            self.arrive_if_due(due, rerun);
        }
        self.contract.committed(format!("batch {}: {sink}", batch.id));
        self.checkpoint.commits.insert(batch.id);
        self.checkpoint.purge(batch.id, super::min_batches_to_retain(&self.query.checkpoint));
        Ok(())
    }

    /// The sink got batch `batch`'s rows: its crash-point hits, and the file sink's part files.
    /// Returns what the sink did, in words.
    fn sink_wrote(&mut self, batch: &Planned, read: &Read) -> String {
        if self.query.sink.kind() != SinkKind::File {
            self.contract.sink_wrote(None);
            return "written".into();
        }
        let parts = parts_of(read.tasks.clone());
        self.contract.sink_wrote(Some(parts.len()));
        let written = format!("written in {} part file(s)", parts.len());
        let (run, id, timestamp_ms) = (self.ordinal, batch.id, batch.timestamp_ms);
        self.contract.parts.push(BatchParts { run, batch: id, timestamp_ms, parts });
        written
    }

    /// A listing of the input meets its subdirectories: the source must say of each that none of
    /// its files is read (unless Spark skips its name). `stop`: the modified file that stops the
    /// listing (`on-modified = "error"`): only the subdirectories before it in name order are said.
    fn note_dirs(&mut self, stop: Option<&str>) {
        let before = |name: &String| stop.is_none_or(|stop| name.as_str() < stop);
        for dir in self.input.dirs.iter().filter(|dir| before(dir)) {
            if let Some(unread) = super::names::unread_dir(dir) {
                self.not_read.insert(dir.clone(), unread);
            }
        }
        // Symlinks to directories, FIFOs, sockets, dangling links: met in the same listing.
        for (name, unread) in self.input.unread.iter().filter(|(name, _)| before(name)) {
            if !super::names::skipped(name) {
                self.not_read.insert(name.clone(), unread.clone());
            }
        }
    }

    /// The file due to arrive arrives if this batch brings its hit.
    fn arrive_if_due(&mut self, due: &mut Option<Due>, rerun: bool) {
        if due.as_mut().is_some_and(|due| due.reached(rerun))
            && let Some(due) = due.take()
        {
            self.arrive(&due.arrival.file);
        }
    }

    /// Reads a batch's files: its rows by task (and all of them in task order), its bad lines
    /// and values read as NULL.
    fn read(&self, batch: &Planned, plan: &CompiledPlan) -> Result<Read, Cause> {
        let time = serde_json::Value::String(format_timestamp_ms(batch.timestamp_ms));
        let source = &self.query.source;
        let mut read = Read::default();
        // Each file's lines: (first byte, its rows) in file order.
        let mut lines: Vec<Vec<(u64, std::ops::Range<usize>)>> = Vec::new();
        let mut lengths = Vec::new();
        for entry in &batch.files {
            let file = self.input.files.get(&entry.name).ok_or(Cause::PlannedInputGone { batch: batch.id })?;
            let (first_line, first_row) = (read.lines.len(), read.rows.len());
            read_file(&entry.name, &file.bytes, source, plan, &time, &mut read);
            let mut start = first_row;
            let file_lines =
                read.lines[first_line..].iter().map(|&(at, end)| (at, std::mem::replace(&mut start, end)..end));
            lines.push(file_lines.collect());
            lengths.push((file.bytes.len() as u64, source.format == InputFormat::JsonLines));
        }
        let knobs = knobs(source);
        let size = split_size(&lengths.iter().map(|f| f.0).collect::<Vec<_>>(), knobs);
        let owns = |split: &Split, at: u64| !lengths[split.file].1 || split_of_line(at, size) * size == split.start;
        let laid = tasks(&lengths, knobs);
        let name = |split: &Split| batch.files[split.file].name.clone();
        read.layout = laid.iter().map(|t| t.iter().map(|s| (name(s), s.start, s.end)).collect()).collect();
        read.tasks = laid
            .iter()
            .map(|task| {
                let lines = task.iter().flat_map(|split| lines[split.file].iter().filter(|l| owns(split, l.0)));
                lines.flat_map(|(_, rows)| read.rows[rows.clone()].iter().cloned()).collect()
            })
            .collect();
        read.rows = read.tasks.concat();
        Ok(read)
    }
}

/// What the model predicts when batch `batch` cannot read its range of the source log.
fn gap_cause(gap: SourceGap, batch: u64) -> Cause {
    match gap {
        SourceGap::Missing(path) => Cause::LogMissing { path, batch },
        SourceGap::Unreadable(cause) => cause,
    }
}
