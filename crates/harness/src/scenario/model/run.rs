//! One run of the query in the model, as the protocol specifies it: start (the sink's record,
//! `metadata`, the recovery decision, the plan check), then batches until the trigger is done:
//! plan (re-run, source log ahead, or the oldest unseen files), read, sink, commit, purge.
//!
//! This is a second, independent statement of the engine's rules, written from its
//! specification (README, DESIGN): it must never call the engine's lifecycle or recovery code.

use super::Model;
use super::input::{Input, Read, read_file};
use super::state::{Offsets, SourceEntry};
use crashpoint_engine::engine::{Clock, Trigger};
use crashpoint_engine::plan::{CompiledPlan, format_timestamp_ms};
use crashpoint_engine::source::{BadRecordMode, ModifiedFilePolicy};
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
}

/// What a run keeps in memory: the seen files and the newest batch time.
struct RunState {
    seen: BTreeMap<String, (i64, u64)>,
    noticed: BTreeSet<String>,
    last_timestamp_ms: Option<i64>,
}

impl Model {
    /// One run; an error stops it where the engine stops, and is recorded with the run.
    pub(super) fn run(&mut self, trigger: Trigger) {
        self.ordinal += 1;
        if let Err(why) = self.run_inner(trigger) {
            self.failed_runs.push((self.ordinal, why));
        }
    }

    fn run_inner(&mut self, trigger: Trigger) -> Result<(), String> {
        let plan = self.query.plan.plan();
        let compiled = plan.compile().map_err(|e| e.to_string())?;
        self.query.source.validate()?;
        let (mut resume, mut state) = self.start(&plan.fingerprint())?;
        loop {
            let Some(batch) = self.plan_batch(resume, &mut state)? else { return Ok(()) };
            self.run_batch(&batch, &compiled)?;
            for entry in &batch.files {
                state.seen.insert(entry.name.clone(), (entry.mtime_ms, batch.id));
            }
            state.last_timestamp_ms =
                Some(state.last_timestamp_ms.map_or(batch.timestamp_ms, |t| t.max(batch.timestamp_ms)));
            resume = Resume::Next(batch.id + 1);
            if trigger == Trigger::Once {
                return Ok(());
            }
        }
    }

    /// The start of a run: the sink's record against a new checkpoint, `metadata`, recovery,
    /// the plan check, and the seen files from the source log.
    fn start(&mut self, fingerprint: &str) -> Result<(Resume, RunState), String> {
        if self.checkpoint.offsets.is_empty() && self.checkpoint.sources.is_empty() {
            self.check_sink_behind(0)?;
        }
        if !self.checkpoint.metadata {
            if !self.checkpoint.offsets.is_empty() {
                return Err("offsets/ has batches but the metadata file is missing".into());
            }
            self.checkpoint.metadata = true;
        }
        let resume = self.decide()?;
        let latest = self.checkpoint.offsets.last_key_value().map(|(_, o)| o.clone());
        if let Some(offsets) = &latest
            && offsets.fingerprint != fingerprint
        {
            return Err("the query changed: the plan differs from the one in the latest offsets".into());
        }
        let seen = self
            .checkpoint
            .sources
            .iter()
            .flat_map(|(id, entries)| entries.iter().map(move |e| (e.name.clone(), (e.mtime_ms, *id))));
        let state = RunState {
            seen: seen.collect(),
            noticed: BTreeSet::new(),
            last_timestamp_ms: latest.map(|o| o.timestamp_ms),
        };
        Ok((resume, state))
    }

    /// Spark's decision from the latest offsets L and the latest commit C.
    fn decide(&self) -> Result<Resume, String> {
        let latest = self.checkpoint.offsets.keys().next_back().copied();
        let commit = self.checkpoint.commits.iter().next_back().copied();
        match (latest, commit) {
            (None, None) => Ok(Resume::Next(0)),
            (None, Some(c)) => Err(format!("commits/{c} exists but offsets/ is empty")),
            (Some(l), Some(c)) if c == l => Ok(Resume::Next(l + 1)),
            (Some(l), c) if c.map_or(l == 0, |c| c + 1 == l) => Ok(Resume::Rerun(l)),
            (Some(l), c) => Err(format!("offsets/{l} and the latest commit {c:?} do not fit")),
        }
    }

    /// The sink must not already hold a batch id that new files are planned into.
    fn check_sink_behind(&self, id: u64) -> Result<(), String> {
        match self.sink.held_latest() {
            Some(latest) if latest >= id && !self.query.allow_existing_sink_log => {
                Err(format!("the sink already holds batch {latest}, at or after batch {id}"))
            }
            _ => Ok(()),
        }
    }

    fn plan_batch(&mut self, resume: Resume, state: &mut RunState) -> Result<Option<Planned>, String> {
        let id = match resume {
            Resume::Rerun(id) => {
                let files = self.checkpoint.sources.get(&id).cloned().ok_or(format!("sources/0/{id} is missing"))?;
                let timestamp_ms = self.checkpoint.offsets[&id].timestamp_ms;
                self.record_plan(id, &files);
                return Ok(Some(Planned { id, files, timestamp_ms }));
            }
            Resume::Next(id) => id,
        };
        let clock = Clock::default();
        let clock_ms = clock.batch_timestamp_ms(id);
        let timestamp_ms = state.last_timestamp_ms.map_or(clock_ms, |t| clock_ms.max(t + clock.step_ms));
        let files = match self.checkpoint.sources.get(&id) {
            // The source log is ahead of the offsets: its choice stands.
            Some(files) => files.clone(),
            None => {
                let files = self.new_files(state)?;
                if files.is_empty() {
                    return Ok(None);
                }
                self.check_sink_behind(id)?;
                self.checkpoint.sources.insert(id, files.clone());
                files
            }
        };
        let fingerprint = self.query.plan.plan().fingerprint();
        self.checkpoint.offsets.insert(id, Offsets { timestamp_ms, fingerprint });
        self.record_plan(id, &files);
        Ok(Some(Planned { id, files, timestamp_ms }))
    }

    fn record_plan(&mut self, id: u64, files: &[SourceEntry]) {
        let mut names: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
        names.sort();
        self.planned.push((self.ordinal, id, names));
    }

    /// The oldest unseen files, by (modification time, URI), at most `maxFilesPerTrigger`. A seen
    /// path with another modification time is ignored, or an error with `on-modified = error`.
    fn new_files(&self, state: &mut RunState) -> Result<Vec<SourceEntry>, String> {
        let mut candidates = Vec::new();
        for (name, file) in self.input.listed() {
            match state.seen.get(name) {
                Some((mtime_ms, batch)) if *mtime_ms != file.mtime_ms => {
                    let first = state.noticed.insert(name.clone());
                    if first && self.query.source.on_modified == ModifiedFilePolicy::Error {
                        return Err(format!("{name} was written again after batch {batch} took it"));
                    }
                }
                Some(_) => {}
                None => candidates.push((file.mtime_ms, Input::uri(name), name.clone())),
            }
        }
        candidates.sort();
        candidates.truncate(self.query.source.max_files_per_trigger.unwrap_or(usize::MAX));
        Ok(candidates.into_iter().map(|(mtime_ms, _, name)| SourceEntry { name, mtime_ms }).collect())
    }

    /// Read (unless the sink holds the batch), dead letters, sink, commit, purge.
    fn run_batch(&mut self, batch: &Planned, plan: &CompiledPlan) -> Result<(), String> {
        if !self.sink.holds(batch.id) {
            let read = self.read(batch, plan)?;
            if !read.bad.is_empty() {
                if self.query.source.mode == BadRecordMode::Failfast {
                    let (name, line) = &read.bad[0];
                    return Err(format!("{name}:{line}: a bad line in failfast mode"));
                }
                self.checkpoint.dead_letters.insert(batch.id, read.bad);
            }
            if self.written.insert((self.epoch, batch.id)) {
                self.first_writes.extend(read.rows.iter().cloned());
            }
            self.sink.write(batch.id, read.rows);
        }
        self.checkpoint.commits.insert(batch.id);
        self.checkpoint.purge(batch.id, self.query.checkpoint.min_batches_to_retain.get());
        Ok(())
    }

    fn read(&self, batch: &Planned, plan: &CompiledPlan) -> Result<Read, String> {
        let time = serde_json::Value::String(format_timestamp_ms(batch.timestamp_ms));
        let mut read = Read::default();
        for entry in &batch.files {
            let file = self.input.files.get(&entry.name).ok_or(format!("{} is gone: it cannot be read", entry.name))?;
            read_file(&entry.name, &file.bytes, self.query.source.format, plan, &time, &mut read);
        }
        Ok(read)
    }
}
