//! One batch, as Spark runs it: plan it, write its source log and offsets, run the plan, hand
//! it to the sink, commit. Crash points sit between every two writes.

use super::{Engine, EngineError, Event, Resume};
use crate::checkpoint::{SourceFileEntry, WriteCtx};
use crate::faults::CrashPoint;
use crate::plan::{Row, format_timestamp_ms};
use crate::sink::{Batch, SinkOutcome};
use crate::source::{BadRecord, BadRecordMode, ModifiedFilePolicy, SourceNotice, parse_file};
use crate::uri::path_of;
use serde_json::Value;

/// Which writes a batch still needs.
#[derive(Debug, Clone, Copy)]
pub(super) struct Stage {
    source_log: bool,
    offsets: bool,
}

impl Engine<'_> {
    /// Runs the next batch, if there is one. Returns false when there is nothing to do.
    pub(super) fn run_next_batch(&mut self) -> Result<bool, EngineError> {
        let resume = self.pending.expect("start() sets the pending resume");
        let (id, files, timestamp_ms, stage, origin) = match resume {
            Resume::Rerun { batch } => {
                let files = self.recorded_files(batch)?;
                let offsets = self.checkpoint.read_offsets(self.storage, batch)?;
                (
                    batch,
                    files,
                    offsets.metadata.batch_timestamp_ms,
                    Stage { source_log: false, offsets: false },
                    "re-run",
                )
            }
            Resume::Fresh | Resume::Continue { .. } => {
                let id = if let Resume::Continue { next } = resume { next } else { 0 };
                let clock_ms = self.options.clock.batch_timestamp_ms(id);
                let timestamp_ms =
                    self.last_timestamp_ms.map_or(clock_ms, |t| clock_ms.max(t + self.options.clock.step_ms));
                // Spark writes the source log while planning; if it got that far, keep its choice.
                if let Some(files) = self.checkpoint.sources.batch(self.storage, id)? {
                    (id, files, timestamp_ms, Stage { source_log: false, offsets: true }, "source log ahead of offsets")
                } else {
                    let files = self.new_files(id)?;
                    if files.is_empty() {
                        return Ok(false);
                    }
                    self.check_sink_behind(id, &format!("(offsets/{id} and sources/0/{id} are missing)"))?;
                    (id, files, timestamp_ms, Stage { source_log: true, offsets: true }, "new files")
                }
            }
        };
        let uris = files.iter().map(|f| f.path.clone()).collect();
        self.events.push(Event::BatchPlanned { id, files: uris, origin });
        self.run_batch(id, &files, timestamp_ms, stage)?;
        self.pending = Some(Resume::Continue { next: id + 1 });
        self.last_timestamp_ms = Some(self.last_timestamp_ms.map_or(timestamp_ms, |t| t.max(timestamp_ms)));
        Ok(true)
    }

    fn recorded_files(&self, batch: u64) -> Result<Vec<SourceFileEntry>, EngineError> {
        self.checkpoint.sources.batch(self.storage, batch)?.ok_or_else(|| EngineError::Recovery {
            checkpoint: self.checkpoint.root().to_path_buf(),
            problem: format!("offsets/{batch} must be re-run but sources/0/{batch} is missing"),
            hint: "the source log was tampered with; delete offsets/{batch} to plan the batch anew"
                .replace("{batch}", &batch.to_string()),
        })
    }

    fn new_files(&mut self, id: u64) -> Result<Vec<SourceFileEntry>, EngineError> {
        let (files, notices) = self.source.next_files(self.storage, id).map_err(|source| EngineError::Input {
            path: self.query.input_dir.clone(),
            op: "list the input directory",
            source,
        })?;
        for notice in notices {
            let modified = matches!(notice, SourceNotice::ModifiedAfterProcessing { .. });
            if modified && self.query.source.on_modified == ModifiedFilePolicy::Error {
                return Err(EngineError::ModifiedInput(notice.to_string()));
            }
            self.events.push(Event::Warning(notice.to_string()));
        }
        Ok(files)
    }

    /// Spark's lifecycle of a planned batch: `sources/0/N` and `offsets/N`, read and run the
    /// plan, the sink, `commits/N`.
    fn run_batch(
        &mut self,
        id: u64,
        files: &[SourceFileEntry],
        timestamp_ms: i64,
        stage: Stage,
    ) -> Result<(), EngineError> {
        #[cfg(feature = "seeded-bugs")]
        if self.faults.seams().batch_order != crate::seams::BatchOrder::SPARK {
            return self.run_batch_in_order(self.faults.seams().batch_order, id, files, timestamp_ms, stage);
        }
        self.write_plan_logs(id, files, timestamp_ms, stage)?;
        if let Some(rows) = self.read_unless_held(id, files, timestamp_ms)? {
            self.add_to_sink(id, timestamp_ms, &rows)?;
        }
        self.faults.hit(CrashPoint::AfterSinkWrite)?;
        self.commit(id)?;
        self.faults.hit(CrashPoint::AfterCommitWrite)?;
        self.finish_batch(id, files)
    }

    /// `sources/0/N` and `offsets/N`, those the batch still needs, with their crash points.
    pub(super) fn write_plan_logs(
        &mut self,
        id: u64,
        files: &[SourceFileEntry],
        timestamp_ms: i64,
        stage: Stage,
    ) -> Result<(), EngineError> {
        let mut ctx = WriteCtx { storage: self.storage, faults: &mut self.faults };
        if stage.source_log {
            ctx.faults.hit(CrashPoint::BeforeSourceLogWrite)?;
            self.checkpoint.sources.add(&mut ctx, id, files)?;
        }
        if stage.offsets {
            ctx.faults.hit(CrashPoint::BeforeOffsetsWrite)?;
            self.checkpoint.write_offsets(&mut ctx, id, timestamp_ms, &self.fingerprint)?;
            ctx.faults.hit(CrashPoint::AfterOffsetsWrite)?;
        }
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
    ) -> Result<Option<Vec<Row>>, EngineError> {
        let mut ctx = WriteCtx { storage: self.storage, faults: &mut self.faults };
        if let Some(reason) = self.sink.skip_if_held(&mut ctx, id)? {
            let reason = format!("{reason}; its input was not read");
            self.events.push(Event::SinkSkipped { id, reason });
            return Ok(None);
        }
        self.read_batch(id, files, timestamp_ms).map(Some)
    }

    /// Hands the batch's rows to the sink and records what it did with them.
    pub(super) fn add_to_sink(&mut self, id: u64, timestamp_ms: i64, rows: &[Row]) -> Result<(), EngineError> {
        let mut ctx = WriteCtx { storage: self.storage, faults: &mut self.faults };
        let batch = Batch { id, timestamp_ms, schema: self.plan.schema(), rows };
        let event = match self.sink.add_batch(&mut ctx, batch)? {
            SinkOutcome::Written => Event::SinkWrote { id, rows: rows.len() },
            SinkOutcome::Skipped(reason) => Event::SinkSkipped { id, reason },
        };
        self.events.push(event);
        Ok(())
    }

    pub(super) fn commit(&mut self, id: u64) -> Result<(), EngineError> {
        let mut ctx = WriteCtx { storage: self.storage, faults: &mut self.faults };
        self.checkpoint.write_commit(&mut ctx, id)?;
        self.events.push(Event::Committed { id });
        Ok(())
    }

    /// After the commit: old offsets and commits go, and the batch's files are seen.
    pub(super) fn finish_batch(&mut self, id: u64, files: &[SourceFileEntry]) -> Result<(), EngineError> {
        self.checkpoint.purge(self.storage, id)?;
        self.source.mark_seen(files);
        Ok(())
    }

    /// Reads a batch's files and runs the plan. Bad lines go to the dead-letter file, or stop
    /// the query in failfast mode; none is dropped without a word.
    pub(super) fn read_batch(
        &mut self,
        id: u64,
        files: &[SourceFileEntry],
        timestamp_ms: i64,
    ) -> Result<Vec<Row>, EngineError> {
        use crate::json::JsonView;
        use crate::source::{InputFormat, ParsedFile};
        let time = Value::String(format_timestamp_ms(timestamp_ms));
        let mut rows = Vec::new();
        let mut bad: Vec<BadRecord> = Vec::new();
        for file in files {
            let path = path_of(&file.path);
            let bytes = self.storage.read(&path).map_err(|source| EngineError::PlannedInput {
                batch: id,
                path,
                checkpoint: self.checkpoint.root().to_path_buf(),
                source,
            })?;
            let rejected = |line: u32, reason: String, value: &Value| BadRecord {
                file: file.path.clone(),
                line,
                reason,
                text: value.to_string().chars().take(1024).collect(),
            };
            // Per file: the lines that do not parse, then the records the plan rejects.
            if self.query.source.format == InputFormat::JsonLines {
                // The hot path: records stay on a parse tape; only selected values are copied.
                let plan = &self.plan;
                let mut plan_bad = Vec::new();
                bad.extend(ParsedFile::scan_json_lines(&file.path, &bytes, |line, record| {
                    if let Err(reason) = plan.apply_node(record, &time, &mut rows) {
                        plan_bad.push(rejected(line, reason, &record.to_value()));
                    }
                }));
                bad.extend(plan_bad);
            } else {
                let parsed = parse_file(&file.path, &bytes, self.query.source.format);
                bad.extend(parsed.bad);
                for record in &parsed.records {
                    if let Err(reason) = self.plan.apply(&record.value, &time, &mut rows) {
                        bad.push(rejected(record.line, reason, &record.value));
                    }
                }
            }
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
        let io = |op: &'static str| {
            let path = path.clone();
            move |source| EngineError::Input { path, op, source }
        };
        self.storage.create_dir_all(&dir).map_err(io("create the dead-letter directory"))?;
        // A re-run batch writes the same lines again: overwriting keeps each bad line once.
        self.storage.write(&path, &bytes).map_err(io("write the dead-letter file"))?;
        self.storage.sync_file(&path).map_err(io("fsync the dead-letter file"))?;
        // The name must be durable too, or a power loss drops the bad lines without a word.
        self.storage.sync_dir(&dir).map_err(io("fsync the dead-letter directory"))?;
        let dead_letter = path.display().to_string();
        self.events.push(Event::BadRecords { id, count: bad.len(), dead_letter });
        Ok(())
    }
}
