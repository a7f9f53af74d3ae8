//! One batch, as Spark runs it: plan it, write its source log and offsets, run the plan, hand
//! it to the sink, commit. Crash points sit between every two writes.

use super::tasks::{BatchOutput, InputFile, run_tasks};
use super::{Engine, EngineError, Event, Resume};
use crate::checkpoint::{CheckpointError, PlanRecord, SourceFileEntry, SourceRange, WriteCtx};
use crate::exec::map_ordered;
use crate::faults::CrashPoint;
use crate::plan::format_timestamp_ms;
use crate::sink::{Batch, EncodedBatch, SinkOutcome};
use crate::source::{BadRecord, BadRecordMode, ModifiedFilePolicy, NullValue, SourceNotice};
use crate::uri::path_of;
use serde_json::Value;

/// A batch, planned: its files, the source-log range they come from, and what it still has to
/// write before it runs.
#[derive(Debug, Clone)]
pub(super) struct Planned {
    pub(super) id: u64,
    /// The source-log batches it covers; `through` goes into `offsets/N` as `logOffset`.
    pub(super) range: SourceRange,
    /// Every file of the range, in source-log order.
    pub(super) files: Vec<SourceFileEntry>,
    /// New files, to be written as source-log batch `range.through` before `offsets/N`.
    pub(super) new_source_entries: Vec<SourceFileEntry>,
    pub(super) timestamp_ms: i64,
    /// False for a re-run: `offsets/N` is already there.
    pub(super) write_offsets: bool,
    pub(super) origin: &'static str,
}

impl Engine<'_> {
    /// Runs the next batch, if there is one. Returns false when there is nothing to do.
    pub(super) fn run_next_batch(&mut self) -> Result<bool, EngineError> {
        let resume = self.pending.expect("start() sets the pending resume");
        let planned = match resume {
            Resume::Rerun { batch } => self.plan_rerun(batch)?,
            Resume::Fresh | Resume::Continue { .. } => {
                let id = if let Resume::Continue { next } = resume { next } else { 0 };
                match self.plan_new(id)? {
                    Some(planned) => planned,
                    None => return Ok(false),
                }
            }
        };
        let uris = planned.files.iter().map(|f| f.path.clone()).collect();
        let (id, range, origin) = (planned.id, planned.range, planned.origin);
        self.emit(Event::BatchPlanned { id, files: uris, origin, sources: range });
        self.run_batch(&planned)?;
        self.pending = Some(Resume::Continue { next: id + 1 });
        self.last_log_offset = range.through;
        self.source_log_latest = self.source_log_latest.max(range.through);
        #[cfg(feature = "seeded-bugs")]
        {
            let timestamp_ms = planned.timestamp_ms;
            self.last_timestamp_ms = Some(self.last_timestamp_ms.map_or(timestamp_ms, |t| t.max(timestamp_ms)));
        }
        Ok(true)
    }

    /// Batch `batch` again, exactly as `offsets/<batch>` recorded it: its source-log range and
    /// its timestamp.
    fn plan_rerun(&mut self, batch: u64) -> Result<Planned, EngineError> {
        let offsets = self.checkpoint.read_offsets(self.storage, batch)?;
        let range = self.checkpoint.source_range(self.storage, batch)?;
        let files = self.checkpoint.source_files(self.storage, batch, range)?;
        let timestamp_ms = offsets.metadata.batch_timestamp_ms;
        #[cfg(feature = "seeded-bugs")]
        let timestamp_ms = super::seeded::bent_rerun_time(
            self.faults.seams(),
            timestamp_ms,
            self.last_timestamp_ms,
            &self.options.clock,
        );
        Ok(Planned {
            id: batch,
            range,
            files,
            new_source_entries: Vec::new(),
            timestamp_ms,
            write_offsets: false,
            origin: "re-run",
        })
    }

    /// A new batch `id`, as Spark's file source plans it: the source-log entries no batch has
    /// taken yet (left by a crash before `offsets/N`), plus the new files, which become the next
    /// source-log batch. `None` when there is neither.
    fn plan_new(&mut self, id: u64) -> Result<Option<Planned>, EngineError> {
        let after = self.last_log_offset;
        let latest = self.source_log_latest;
        if latest < after {
            return Err(EngineError::Recovery {
                checkpoint: self.checkpoint.root().to_path_buf(),
                problem: format!(
                    "the source log ends at {} but batch {} ended at logOffset {}",
                    latest.map_or("nothing".into(), |l| format!("sources/0/{l}")),
                    id.saturating_sub(1),
                    after.map_or(-1, |a| a as i64),
                ),
                hint: "the source log was tampered with; restore it, or start with a new checkpoint".into(),
            });
        }
        let orphans = match latest {
            Some(through) if latest > after => {
                self.checkpoint.source_files(self.storage, id, SourceRange { after, through: Some(through) })?
            }
            _ => Vec::new(),
        };
        let next_log_id = latest.map_or(0, |l| l + 1);
        // A sink that holds batch N while offsets/N is missing (deleted as torn) holds exactly
        // the orphan entries, which offsets/N covered: take them alone, so that the sink's skip
        // loses no new file. Spark adds the new files too, and loses them.
        let sink_has_orphans = !orphans.is_empty() && self.sink_holds(id)?;
        #[cfg(feature = "seeded-bugs")]
        let sink_has_orphans = super::seeded::bent_held_orphans(self.faults.seams(), sink_has_orphans);
        let new_source_entries = if sink_has_orphans { Vec::new() } else { self.new_files(next_log_id)? };
        let through = if new_source_entries.is_empty() { latest } else { Some(next_log_id) };
        if through == after {
            return Ok(None);
        }
        if orphans.is_empty() {
            self.check_sink_behind(id, &format!("(offsets/{id} is missing)"))?;
        }
        let origin = match (orphans.is_empty(), new_source_entries.is_empty()) {
            (false, true) => "source log ahead of offsets",
            (false, false) => "source log ahead of offsets, and new files",
            _ => "new files",
        };
        let timestamp_ms = self.new_batch_timestamp_ms(id);
        let mut files = orphans;
        files.extend(new_source_entries.iter().cloned());
        let range = SourceRange { after, through };
        Ok(Some(Planned { id, range, files, new_source_entries, timestamp_ms, write_offsets: true, origin }))
    }

    /// A new batch's time: the logical clock's, or the wall clock's when asked. As in Spark, it
    /// is the clock's even when the checkpoint's newest batch is later (a clock gone back, a
    /// checkpoint from a machine ahead): Spark 4.3 keeps no "never before" rule (FINDINGS Q26c).
    fn new_batch_timestamp_ms(&self, id: u64) -> i64 {
        let clock = self.options.clock;
        if self.options.wall_clock {
            // The one place the engine reads a clock, and only when the caller asks for it.
            let now_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
            return now_ms;
        }
        let clock_ms = clock.batch_timestamp_ms(id);
        #[cfg(feature = "seeded-bugs")]
        let clock_ms =
            super::seeded::bent_new_batch_time(self.faults.seams(), clock_ms, self.last_timestamp_ms, &clock);
        clock_ms
    }

    /// The input directory's new files, as entries of source-log batch `log_id`.
    fn new_files(&mut self, log_id: u64) -> Result<Vec<SourceFileEntry>, EngineError> {
        let max_files = self.trigger.max_files(self.query.source.max_files());
        let (files, notices) = self.source.next_files(self.storage, log_id, max_files).map_err(|error| {
            EngineError::Input { path: self.query.input_dir.clone(), op: "list the input directory", error }
        })?;
        #[cfg(feature = "seeded-bugs")]
        let files = super::seeded::bent_new_files(self.faults.seams(), &self.source, files);
        for notice in notices {
            let modified = matches!(notice, SourceNotice::ModifiedAfterProcessing { .. });
            if modified && self.query.source.on_modified == ModifiedFilePolicy::Error {
                return Err(EngineError::ModifiedInput(notice.to_string()));
            }
            self.emit(Event::SourceNotice(notice));
        }
        Ok(files)
    }

    /// Spark's lifecycle of a planned batch: `sources/0/N` and `offsets/N`, read and run the
    /// plan, the sink, `commits/N`.
    fn run_batch(&mut self, planned: &Planned) -> Result<(), EngineError> {
        #[cfg(feature = "seeded-bugs")]
        if self.faults.seams().batch_order != crate::seams::BatchOrder::SPARK {
            return self.run_batch_in_order(self.faults.seams().batch_order, planned);
        }
        let (id, timestamp_ms) = (planned.id, planned.timestamp_ms);
        self.write_plan_logs(planned)?;
        if let Some(rows) = self.read_unless_held(id, &planned.files, timestamp_ms)? {
            self.add_to_sink(id, timestamp_ms, &rows)?;
        }
        self.faults.hit(CrashPoint::AfterSinkWrite)?;
        self.commit(id)?;
        self.faults.hit(CrashPoint::AfterCommitWrite)?;
        self.finish_batch(id, &planned.files)
    }

    /// The new source-log batch (if the batch found new files) and `offsets/N` (unless it is a
    /// re-run), with their crash points.
    pub(super) fn write_plan_logs(&mut self, planned: &Planned) -> Result<(), EngineError> {
        let mut ctx = WriteCtx { storage: self.storage, faults: &mut self.faults };
        if !planned.write_offsets {
            return Ok(());
        }
        if let (false, Some(log_id)) = (planned.new_source_entries.is_empty(), planned.range.through) {
            ctx.faults.hit(CrashPoint::BeforeSourceLogWrite)?;
            self.checkpoint.sources.add(&mut ctx, log_id, &planned.new_source_entries)?;
        }
        ctx.faults.hit(CrashPoint::BeforeOffsetsWrite)?;
        let log_offset = planned.range.through.expect("a new batch always covers a source-log batch");
        #[cfg(feature = "seeded-bugs")]
        let log_offset = super::seeded::bent_log_offset(ctx.faults.seams(), planned.id, log_offset);
        let plan = PlanRecord { fingerprint: &self.fingerprint, json: &self.plan_json };
        self.checkpoint.write_offsets(&mut ctx, planned.id, planned.timestamp_ms, plan, log_offset)?;
        ctx.faults.hit(CrashPoint::AfterOffsetsWrite)?;
        Ok(())
    }

    /// Reads the batch, unless the sink already holds it: then, as Spark's file sink does, the
    /// batch is committed without reading its input, so that an input file that has gone
    /// since cannot block a batch whose rows are already out.
    pub(super) fn read_unless_held(
        &mut self,
        id: u64,
        files: &[SourceFileEntry],
        timestamp_ms: i64,
    ) -> Result<Option<BatchOutput>, EngineError> {
        let mut ctx = WriteCtx { storage: self.storage, faults: &mut self.faults };
        if let Some(reason) = self.sink.skip_if_held(&mut ctx, id)? {
            let reason = format!("{reason}; its input was not read");
            self.emit(Event::SinkSkipped { id, reason });
            return Ok(None);
        }
        self.read_batch(id, files, timestamp_ms).map(Some)
    }

    /// Hands the batch's rows (or their parts, encoded) to the sink and records what it did.
    pub(super) fn add_to_sink(&mut self, id: u64, timestamp_ms: i64, output: &BatchOutput) -> Result<(), EngineError> {
        let mut ctx = WriteCtx { storage: self.storage, faults: &mut self.faults };
        let (schema, threads) = (self.plan.schema(), self.options.threads);
        let outcome = match output {
            BatchOutput::Rows(rows) => {
                let batch = Batch { id, timestamp_ms, schema, rows: &rows.rows, parts: &rows.parts, threads };
                self.sink.add_batch(&mut ctx, batch)?
            }
            BatchOutput::Encoded(parts) => {
                let batch = EncodedBatch { id, timestamp_ms, schema, parts, threads };
                self.sink.add_encoded_batch(&mut ctx, batch)?
            }
        };
        let event = match outcome {
            SinkOutcome::Written => Event::SinkWrote { id, rows: output.rows() },
            SinkOutcome::Skipped(reason) => Event::SinkSkipped { id, reason },
        };
        self.emit(event);
        Ok(())
    }

    pub(super) fn commit(&mut self, id: u64) -> Result<(), EngineError> {
        let mut ctx = WriteCtx { storage: self.storage, faults: &mut self.faults };
        self.checkpoint.write_commit(&mut ctx, id)?;
        self.emit(Event::Committed { id });
        Ok(())
    }

    /// After the commit: old offsets and commits go, and the batch's files are seen.
    pub(super) fn finish_batch(&mut self, id: u64, files: &[SourceFileEntry]) -> Result<(), EngineError> {
        #[cfg(feature = "seeded-bugs")]
        let id = super::seeded::bent_purge(self.faults.seams(), id);
        self.checkpoint.purge(self.storage, id)?;
        self.source.mark_seen(files);
        Ok(())
    }

    /// Reads a batch's files and runs the plan, task by task on the executor's threads; a sink
    /// that names a part format gets each task's rows encoded on the task's thread. Bad
    /// lines go to the dead-letter file, or stop the query in failfast mode; none is dropped
    /// without a word. Values that do not fit the schema are NULL, their records kept, as in
    /// Spark, and told in one event per batch (failfast stops at them, as Spark's FAILFAST).
    pub(super) fn read_batch(
        &mut self,
        id: u64,
        files: &[SourceFileEntry],
        timestamp_ms: i64,
    ) -> Result<BatchOutput, EngineError> {
        let time = Value::String(format_timestamp_ms(timestamp_ms));
        let threads = self.options.threads;
        let (storage, faults) = (self.storage, &self.faults);
        let read = map_ordered(threads, files, |file| {
            let path = path_of(&file.path);
            let bytes = storage.read(&path).map_err(|error| (path, error))?;
            #[cfg(feature = "seeded-bugs")]
            let bytes = super::seeded::bent_last_line(faults.seams(), bytes);
            #[cfg(not(feature = "seeded-bugs"))]
            let _ = faults;
            Ok(InputFile { uri: file.path.clone(), bytes })
        });
        let inputs = read.into_iter().collect::<Result<Vec<_>, _>>().map_err(|(path, error)| {
            EngineError::PlannedInput { batch: id, path, checkpoint: self.checkpoint.root().to_path_buf(), error }
        })?;
        let format = self.sink.part_format();
        let (rows, bad, nulls) = run_tasks(&inputs, &self.query.source, &self.plan, &time, (threads, format));
        drop(inputs);
        if self.query.source.mode == BadRecordMode::Failfast {
            fail_fast(files, &bad, &nulls)?;
        }
        if let Some(first) = nulls.first() {
            self.emit(Event::ReadAsNull { id, count: nulls.len(), first: first.to_string() });
        }
        if !bad.is_empty() {
            self.route_bad_records(id, bad)?;
        }
        Ok(rows)
    }

    fn route_bad_records(&mut self, id: u64, bad: Vec<BadRecord>) -> Result<(), EngineError> {
        if self.query.source.mode == BadRecordMode::Failfast {
            let first = bad.into_iter().next().expect("called with bad records");
            return Err(EngineError::BadRecord { file: first.file, line: first.line, reason: first.reason });
        }
        let dir = self.checkpoint.root().join("dead-letters");
        let path = dir.join(format!("{id}.jsonl"));
        let mut bytes = Vec::new();
        for record in &bad {
            serde_json::to_writer(&mut bytes, record).expect("bad records serialize");
            bytes.push(b'\n');
        }
        let io = |path: &std::path::Path, op: &'static str| {
            let path = path.to_path_buf();
            move |error| CheckpointError::Io { log: "dead-letter file", path, op, error }
        };
        crate::storage::create_dir_durable(self.storage, &dir).map_err(|e| io(&e.path, e.op)(e.error))?;
        #[cfg(feature = "seeded-bugs")]
        let bytes = super::seeded::bent_dead_letters(self.faults.seams(), self.storage, &path, bytes);
        // A re-run batch writes the same lines again: overwriting keeps each bad line once.
        self.storage.write(&path, &bytes).map_err(io(&path, "write the file"))?;
        crate::checkpoint::sync_file(self.storage, &self.faults, &path).map_err(io(&path, "fsync the file"))?;
        // The name must be durable too, or a power loss drops the bad lines without a word.
        self.storage.sync_dir(&dir).map_err(io(&dir, "fsync the directory"))?;
        let dead_letter = path.display().to_string();
        let first = bad.first().map(|b| format!("{}:{}: {}", b.file, b.line, b.reason)).unwrap_or_default();
        self.emit(Event::BadRecords { id, count: bad.len(), dead_letter, first });
        Ok(())
    }
}

/// In failfast mode the first bad line or value of the wrong type, by file then line, stops the
/// query: Spark 4.3's FAILFAST fails on a value it cannot convert too (spark/FINDINGS.md Q16).
/// Both lists come in task order, which is not file order (tasks go longest first).
fn fail_fast(files: &[SourceFileEntry], bad: &[BadRecord], nulls: &[NullValue]) -> Result<(), EngineError> {
    let at = |file: &str, line: u32| (files.iter().position(|f| f.path == file), line);
    let first_bad = bad.iter().min_by_key(|b| at(&b.file, b.line));
    let first_null = nulls.iter().min_by_key(|n| at(&n.file, n.line));
    match (first_bad, first_null) {
        (Some(b), Some(n)) if at(&n.file, n.line) < at(&b.file, b.line) => Err(null_error(n)),
        (Some(b), _) => Err(EngineError::BadRecord { file: b.file.clone(), line: b.line, reason: b.reason.clone() }),
        (None, Some(n)) => Err(null_error(n)),
        (None, None) => Ok(()),
    }
}

fn null_error(null: &NullValue) -> EngineError {
    let reason = format!("{} (permissive mode reads it as NULL, as Spark does)", null.mismatch);
    EngineError::BadRecord { file: null.file.clone(), line: null.line, reason }
}
