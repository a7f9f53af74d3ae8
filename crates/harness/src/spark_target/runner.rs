//! Executes a scenario on real Spark, step by step, in a real temp directory: the same steps,
//! crashes mapped onto the driver's crash positions, the checkpoint invariants after every
//! restart, and what a reader of Spark's sink sees at the end. It produces the same
//! [`Execution`] as the engine's runner, so that the same checks judge both.

use super::output::{normalise, parse_console, parse_table, row_of};
use super::request::{self, crash_at, hits_of};
use super::world::SparkWorld;
use crate::check::{
    ByHand, Emission, EmissionOutcome, Intervals, LogKnobs, SinkView, check_compactible_logs, check_invariants,
    compactions_where_spark_puts_them,
};
use crate::scenario::{
    Execution, Injection, PlannedRows, ProcessRecord, QuerySpec, RunStep, Scenario, SinkKind, SpelledTrigger, Step,
};
use crate::spark::{Outcome, RunRequest, RunResponse, SparkDriver, SparkError, TriggerSpec};
use crashpoint_engine::checkpoint::{Checkpoint, CheckpointOptions};
use crashpoint_engine::faults::CrashPoint;
use crashpoint_engine::plan::Row;
use crashpoint_engine::source::SourceOptions;
use crashpoint_engine::storage::{DiskStorage, Storage};
use std::collections::BTreeMap;
use std::sync::Arc;

/// How long one run may take on Spark before the driver stops it.
const RUN_TIMEOUT_MS: u64 = 120_000;

/// Runs `scenario` (with the explorer's `injection`) on Spark. An `Err` is Spark itself failing
/// (the driver died, or Spark could not start), never a finding about the scenario.
pub fn execute_on_spark(
    spark: &mut SparkDriver,
    scenario: &Scenario,
    injection: &Injection,
    expected_errors: &Option<BTreeMap<u32, String>>,
) -> Result<Execution, SparkError> {
    let world = SparkWorld::new().map_err(|e| SparkError::Io {
        context: "creating a temp directory for",
        path: scenario.path.clone(),
        error: e,
    })?;
    let schema = scenario.query.plan.plan().compile().map(|p| p.schema().to_vec()).unwrap_or_default();
    let first_interval = crate::scenario::compact_interval(&scenario.query.checkpoint);
    let mut runner = Runner {
        spark,
        scenario,
        injection,
        expected_errors,
        query: scenario.query.clone(),
        memory_name: format!("crashpoint_{}", std::process::id()),
        schema,
        world,
        trace: Vec::new(),
        violations: Vec::new(),
        problems: Vec::new(),
        processes: Vec::new(),
        emissions: Vec::new(),
        console: String::new(),
        memory_rows: Vec::new(),
        table_lines: 0,
        invariant_checks: 0,
        pending_cause: String::new(),
        by_hand: ByHand::new(),
        knobs_in_force: scenario.query.checkpoint,
        intervals: (Intervals::uniform(first_interval), Intervals::uniform(first_interval)),
        scenario_runs: 0,
    };
    for (index, step) in scenario.steps.iter().enumerate() {
        if step.needs_recovered_query() {
            runner.restart_after_injected_crashes(index)?;
        }
        runner.trace.push(format!("[step {}] {step}", index + 1));
        runner.step(index + 1, step)?;
    }
    runner.restart_after_injected_crashes(scenario.steps.len())?;
    let mut execution = runner.finish()?;
    // Nothing written about a Spark run may carry its temp directory or a fresh UUID.
    let root = execution.root.clone();
    for text in execution.trace.iter_mut().chain(&mut execution.problems).chain(&mut execution.violations) {
        *text = normalise(text, &root);
    }
    for process in &mut execution.processes {
        process.error = process.error.as_deref().map(|e| normalise(e, &root));
    }
    Ok(execution)
}

struct Runner<'s> {
    spark: &'s mut SparkDriver,
    scenario: &'s Scenario,
    injection: &'s Injection,
    expected_errors: &'s Option<BTreeMap<u32, String>>,
    query: QuerySpec,
    memory_name: String,
    schema: Vec<String>,
    world: SparkWorld,
    trace: Vec<String>,
    violations: Vec<String>,
    problems: Vec<String>,
    processes: Vec<ProcessRecord>,
    emissions: Vec<Emission>,
    console: String,
    memory_rows: Vec<Row>,
    table_lines: usize,
    invariant_checks: usize,
    pending_cause: String,
    /// The checkpoint files the scenario deleted or damaged itself (not Spark's violations).
    by_hand: ByHand,
    /// The checkpoint confs the logs were last written with (a refused value writes nothing).
    knobs_in_force: CheckpointOptions,
    /// The intervals the source log's and the file sink's log's batches were written with.
    intervals: (Intervals, Intervals),
    /// The scenario's runs so far (restarts inserted after injected crashes not counted).
    scenario_runs: u32,
}

impl Runner<'_> {
    fn step(&mut self, number: usize, step: &Step) -> Result<(), SparkError> {
        // `latest` names the latest commit before the step: the file it tampers with.
        let latest = Checkpoint::new(&self.world.checkpoint()).commits.latest(&DiskStorage).ok().flatten();
        let resolved = step.with_latest(latest);
        match step {
            Step::Run(run) => {
                let ordinal = self.processes.len() as u32 + 1;
                self.scenario_runs += 1;
                let injected = self.injection.crashes.iter().find(|c| c.process == ordinal);
                let crash = injected.map(|c| (c.point, c.hit)).or(run.crash);
                self.process(number, ordinal, false, run, crash)?;
            }
            Step::ChangeQuery(change) => {
                if let Some(plan) = &change.plan {
                    self.query.plan = plan.clone();
                }
                if let Some(source) = &change.source {
                    self.query.source = source.clone();
                }
                if let Some(checkpoint) = change.checkpoint {
                    self.query.checkpoint = checkpoint;
                    if crate::scenario::knobs_taken(&checkpoint) {
                        self.knobs_in_force = checkpoint;
                    }
                }
            }
            // Spark stamps a batch with its JVM's wall clock, which the harness cannot move: the
            // step is not applied here, and the trace says so (the engine target applies it).
            Step::ClockBack { .. } | Step::ClockForward { .. } => self.trace.push(
                "    (not applied on Spark: its batch times come from its JVM's wall clock, which the harness \
                 cannot move)"
                    .into(),
            ),
            // Spark takes no lock on its checkpoint or its output (spark/FINDINGS.md Q21): there
            // is nothing another process could hold to keep a run out.
            Step::HoldLock { .. } | Step::HolderDies { .. } => self.trace.push(
                "    (not applied on Spark: it takes no lock on the checkpoint or the output, so its run goes on)"
                    .into(),
            ),
            other => match self.world.apply(other) {
                Ok(true) => {}
                Ok(false) => self.trace.push("    (the file does not exist: nothing to do)".into()),
                Err(e) => {
                    self.trace.push(format!("    step failed: {e}"));
                    self.problems.push(format!("step {number}: {e}"));
                }
            },
        }
        match resolved.as_ref().unwrap_or(step) {
            Step::Delete { path }
            | Step::Corrupt { path, .. }
            | Step::Truncate { path, .. }
            | Step::Write { path, .. } => {
                self.by_hand.insert(path.clone());
            }
            Step::DeleteOutput { path } | Step::CorruptOutput { path, .. } => {
                self.by_hand.insert(format!("output/{path}"));
            }
            Step::DeleteCheckpoint => self.by_hand.clear(),
            _ => {}
        }
        if !matches!(step, Step::Run(_) | Step::Add { .. }) {
            self.pending_cause = format!("after step {number} ({step})");
        }
        Ok(())
    }

    fn restart_after_injected_crashes(&mut self, steps: usize) -> Result<(), SparkError> {
        // A restart finishes the crashed run's work, so it expects what that run expected.
        let crashed_step = self.processes.last().and_then(|p| self.scenario.steps.get(p.step.wrapping_sub(1)));
        let expect_error = match crashed_step {
            Some(Step::Run(run)) => run.expect_error.clone(),
            _ => None,
        };
        let restart = RunStep {
            restart: true,
            trigger: None,
            crash: None,
            power_loss: false,
            persisted: Vec::new(),
            io_error: None,
            expect_error,
            second_query: None,
            arrive: None,
            again: None,
        };
        while let Some(last) = self.processes.last()
            && last.crashed.is_some()
            && self.injection.crashes.iter().any(|c| c.process == last.ordinal)
        {
            let ordinal = last.ordinal + 1;
            self.trace.push(format!("[after step {steps}] restart after the injected crash (run {ordinal})"));
            let crash = self.injection.crashes.iter().find(|c| c.process == ordinal).map(|c| (c.point, c.hit));
            self.process(steps, ordinal, true, &restart, crash)?;
        }
        Ok(())
    }

    fn process(
        &mut self,
        number: usize,
        ordinal: u32,
        inserted: bool,
        run: &RunStep,
        crash: Option<(CrashPoint, u32)>,
    ) -> Result<(), SparkError> {
        let cause = std::mem::take(&mut self.pending_cause);
        if ordinal > 1 {
            self.check(&format!("before run {ordinal}"));
        }
        self.intervals_at_start();
        let mut request = self.request(run);
        if let Some((point, hit)) = crash {
            self.trace.push(format!("    (run {ordinal} will crash at {point}, hit {hit})"));
            match crash_at(point, hit, self.query.sink.kind()) {
                Ok(at) => request.crash = Some(at),
                Err(why) => self.problems.push(format!("run {ordinal}: not applicable to the Spark target: {why}")),
            }
        }
        let response = self.spark.run(request)?;
        self.trace.extend(describe(&response));
        let crashed = (response.outcome == Outcome::Crashed).then_some(crash).flatten();
        let error = match response.outcome {
            Outcome::Failed | Outcome::Timeout => response.error.as_ref().map(|e| e.full_text()),
            _ => None,
        };
        self.record_sink(ordinal, &cause, &response);
        self.processes.push(ProcessRecord {
            ordinal,
            step: number,
            inserted,
            hits: hits_of(&response.hits, self.query.sink.kind()),
            crashed,
            error: error.clone(),
            io_failed: None,
            io_ops: Vec::new(),
            events: Vec::new(),
            needs_restart: crashed.is_some(),
        });
        if let Some((point, hit)) = crashed {
            self.pending_cause = format!("after a crash at {point} (hit {hit}) in run {ordinal}");
            return Ok(());
        }
        if response.crash_armed_but_not_reached {
            self.trace.push(format!("    (run {ordinal} ended without reaching its crash)"));
        }
        self.expect_error(ordinal, run, error, &response);
        Ok(())
    }

    fn request(&self, run: &RunStep) -> RunRequest {
        let query = &self.query;
        let sink = request::sink(query.sink.kind(), self.world.root(), &self.memory_name)
            .expect("a sink without a Spark counterpart makes the scenario not applicable");
        let mut request = RunRequest::new(self.world.input(), self.world.checkpoint(), sink);
        request.trigger = match run.trigger.as_ref().map_or(Ok(query.trigger), SpelledTrigger::read) {
            Ok(trigger) => request::trigger(trigger),
            // One the engine refuses goes to Spark as written: its `trigger()` says what it makes
            // of it.
            Err(_) => {
                let spelled = run.trigger.as_ref().map(|t| t.0.as_str()).unwrap_or_default();
                TriggerSpec::ProcessingTimeSpelled(spelled.trim_start_matches("processing-time=").into())
            }
        };
        request.source = request::source(query);
        // Spark reads with the query's schema as the engine does (the driver's default is the tutorial's).
        request.schema = (!query.source.schema.is_tutorial()).then(|| query.source.schema.to_string());
        request.plan = request::plan(query);
        request.conf = request::conf(query);
        request.timeout_ms = RUN_TIMEOUT_MS;
        request
    }

    /// Checks a run's error against what is expected of it. Declared errors name the scenario's
    /// runs; a restart inserted after an injected crash finishes the crashed run's work, so it
    /// expects what that run expected.
    fn expect_error(&mut self, ordinal: u32, run: &RunStep, error: Option<String>, response: &RunResponse) {
        let expected = match self.expected_errors {
            Some(declared) => declared.get(&self.scenario_runs).cloned(),
            None => run.expect_error.clone(),
        };
        let root = response.error.as_ref().map(|e| e.root()).unwrap_or_default();
        match (error, expected) {
            (None, None) => {}
            (Some(error), Some(expected)) if error.contains(&expected) => {
                self.trace.push(format!("    error (expected): {}", first_line(&root)));
            }
            (Some(_), Some(expected)) => {
                self.problems.push(format!("run {ordinal}: the error does not contain {expected:?}: {root}"))
            }
            (Some(_), None) => self.problems.push(format!("run {ordinal}: unexpected error on Spark: {root}")),
            (None, Some(expected)) => self
                .problems
                .push(format!("run {ordinal}: expected an error containing {expected:?}, but it succeeded on Spark")),
        }
    }

    fn check(&mut self, when: &str) {
        let checkpoint = self.world.checkpoint();
        if !checkpoint.exists() {
            return;
        }
        self.invariant_checks += 1;
        let output = self.world.output();
        let ids = self.table_batches();
        let view = match self.query.sink.kind() {
            SinkKind::File => SinkView::FileSinkLog(&output),
            SinkKind::ForeachBatchIdempotent => SinkView::BatchIds(&ids),
            _ => SinkView::Nothing,
        };
        let retain = crate::scenario::min_batches_to_retain(&self.knobs_in_force);
        // The model's window, not the engine's: the invariant judges Spark, not the engine.
        let age = crate::scenario::max_file_age_ms(&self.query.source);
        let mut violations = check_invariants(&DiskStorage, &checkpoint, view, &self.by_hand, retain, age);
        // Spark's own compactions, held to the intervals each run derived by Spark's rule.
        let written = |name: &str| self.by_hand.contains(&format!("sources/0/{name}"));
        let sources = checkpoint.join("sources").join("0");
        let source_intervals = &self.intervals.0;
        violations.extend(compactions_where_spark_puts_them(
            &DiskStorage,
            "sources/0/",
            &sources,
            source_intervals,
            &written,
        ));
        if self.query.sink.kind() == SinkKind::File {
            let sink_log = output.join("_spark_metadata");
            violations.extend(compactions_where_spark_puts_them(
                &DiskStorage,
                "_spark_metadata/",
                &sink_log,
                &self.intervals.1,
                &|_| false,
            ));
        }
        let (source, sink) = self.intervals.clone();
        let knobs = LogKnobs { source, sink, min_batches_to_retain: retain };
        let file_sink = (self.query.sink.kind() == SinkKind::File).then_some(output.as_path());
        violations.extend(check_compactible_logs(&DiskStorage, &checkpoint, file_sink, &knobs, &self.by_hand));
        for violation in violations {
            self.trace.push(format!("    INVARIANT VIOLATED {when}: {violation}"));
            self.violations.push(format!("{when}: {violation}"));
        }
    }

    /// A run starts: each compactible log fixes its interval from its compactions, as Spark does.
    fn intervals_at_start(&mut self) {
        let conf = crate::scenario::compact_interval(&self.knobs_in_force);
        let sources = self.world.checkpoint().join("sources").join("0");
        self.intervals.0.run_starts(&DiskStorage, &sources, conf);
        self.intervals.1.run_starts(&DiskStorage, &self.world.output().join("_spark_metadata"), conf);
    }

    fn table_batches(&self) -> Vec<u64> {
        let text = std::fs::read_to_string(self.world.table()).unwrap_or_default();
        let mut ids: Vec<u64> = parse_table(&text, &self.schema).iter().map(|l| l.batch).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    fn finish(mut self) -> Result<Execution, SparkError> {
        self.check("at the end");
        let output = self.visible_output()?;
        let last_committed_batch = DiskStorage
            .list(&self.world.checkpoint().join("commits"))
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e.name.parse::<u64>().ok())
            .max();
        Ok(Execution {
            trace: self.trace,
            emissions: self.emissions,
            output,
            schema: self.schema,
            console: self.console,
            violations: self.violations,
            problems: self.problems,
            missed_errors: Vec::new(),
            processes: self.processes,
            invariant_checks: self.invariant_checks,
            last_committed_batch,
            bad_records: 0,
            // Spark keeps no dead letters; its batches are compared by their checkpoint's shape.
            dead_letters: BTreeMap::new(),
            dead_letter_reasons: Vec::new(),
            planned: Vec::new(),
            unmatched_faults: Vec::new(),
            disk: Arc::new(DiskStorage),
            root: self.world.root().to_path_buf(),
            temp: Some(self.world.temp()),
        })
    }
}

/// The trace lines of one Spark run: its outcome, the batches it ran, where it crashed.
fn describe(response: &RunResponse) -> Vec<String> {
    let mut lines = Vec::new();
    for batch in response.batches.iter().filter(|b| b.executed) {
        lines.push(format!("    batch {} ran on Spark: {} input row(s)", batch.batch_id, batch.num_input_rows));
    }
    let writes: Vec<String> = response.writes.iter().map(|w| format!("{}/{}", w.log, w.file)).collect();
    if !writes.is_empty() {
        lines.push(format!("    log writes: {}", writes.join(", ")));
    }
    match (&response.outcome, &response.crash) {
        (Outcome::Crashed, Some(c)) => {
            let at = format!("{:?} the write of {:?} {}", c.when, c.log, c.file.clone().unwrap_or_default());
            lines.push(format!("    CRASH (Spark): {}", at.to_lowercase()));
        }
        (Outcome::Failed | Outcome::Timeout, _) => {
            let root = response.error.as_ref().map(|e| e.root()).unwrap_or_default();
            lines.push(format!("    {:?} on Spark: {}", response.outcome, first_line(&root)).to_lowercase());
        }
        _ => {}
    }
    lines
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("").chars().take(300).collect()
}

fn emission(process: u32, cause: &str, batch: u64, rows: Vec<Row>, outcome: EmissionOutcome) -> Emission {
    Emission { process, cause: cause.to_string(), batch, rows, outcome, recorded_timestamp_ms: None }
}

impl Runner<'_> {
    /// Records what this run handed the sink, as the engine's recording sink does.
    fn record_sink(&mut self, process: u32, cause: &str, response: &RunResponse) {
        match self.query.sink.kind() {
            SinkKind::Console => {
                self.console += &response.console;
                for printed in parse_console(&response.console, &self.schema) {
                    let e = emission(process, cause, printed.batch, printed.rows, EmissionOutcome::Written);
                    self.emissions.push(e);
                }
            }
            SinkKind::ForeachBatch | SinkKind::ForeachBatchIdempotent => {
                let text = std::fs::read_to_string(self.world.table()).unwrap_or_default();
                let lines = parse_table(&text, &self.schema);
                for line in lines.iter().skip(self.table_lines) {
                    let e = emission(process, cause, line.batch, line.rows.clone(), EmissionOutcome::Written);
                    self.emissions.push(e);
                }
                self.table_lines = lines.len();
            }
            SinkKind::Memory => {
                if let Some(rows) = &response.memory_rows {
                    let rows: Vec<Row> =
                        rows.iter().filter_map(|r| r.as_object()).map(|o| row_of(&self.schema, o)).collect();
                    let batch = response.batches.iter().filter(|b| b.executed).map(|b| b.batch_id).max();
                    let new: Vec<Row> = rows[self.memory_rows.len().min(rows.len())..].to_vec();
                    if let Some(batch) = batch.and_then(|b| u64::try_from(b).ok()) {
                        self.emissions.push(emission(process, cause, batch, new, EmissionOutcome::Written));
                    }
                    self.memory_rows = rows;
                }
            }
            SinkKind::File => self.record_file_sink(process, cause, response),
            // No counterpart in the driver: such a scenario is not applicable and never runs.
            SinkKind::SqliteIdempotent | SinkKind::SqliteAppend | SinkKind::Command | SinkKind::Rust => {}
        }
    }

    /// The file sink: the rows of the part files that each `_spark_metadata` write of this run
    /// names (a write the crash stopped names none).
    fn record_file_sink(&mut self, process: u32, cause: &str, response: &RunResponse) {
        let log = self.world.output().join("_spark_metadata");
        let mut seen = std::collections::BTreeSet::new();
        for write in response.writes.iter().filter(|w| w.log == "sink") {
            let Ok(batch) = write.file.trim_end_matches(".compact").parse::<u64>() else { continue };
            let Ok(text) = std::fs::read_to_string(log.join(&write.file)) else { continue };
            let mut rows = Vec::new();
            for line in text.lines().skip(1) {
                let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) else { continue };
                let Some(path) = entry["path"].as_str() else { continue };
                // A compaction names every earlier batch's files too: keep this batch's only.
                if !seen.insert(path.to_string()) || (write.file.ends_with(".compact") && self.named_before(path)) {
                    continue;
                }
                rows.extend(self.part_rows(path));
            }
            self.emissions.push(emission(process, cause, batch, rows, EmissionOutcome::Written));
        }
        // A batch committed in this run with no sink write was skipped by the sink (its log
        // already had it): what it would have written must still reach a reader.
        let sink_batches: Vec<&str> =
            response.writes.iter().filter(|w| w.log == "sink").map(|w| w.file.trim_end_matches(".compact")).collect();
        for write in response.writes.iter().filter(|w| w.log == "commits" && !sink_batches.contains(&w.file.as_str())) {
            let Ok(batch) = write.file.parse::<u64>() else { continue };
            let planned = PlannedRows {
                storage: Arc::new(DiskStorage),
                checkpoint: self.world.checkpoint(),
                plan: self.query.plan.plan().compile_for(&self.query.source.schema).ok(),
                // Spark has no line limit: it plans every line the engine would keep out.
                source: SourceOptions { max_line_bytes: Some(i64::MAX), ..self.query.source.clone() },
            };
            let rows = planned.rows(batch);
            self.emissions.push(emission(process, cause, batch, rows, EmissionOutcome::Skipped));
        }
    }

    fn named_before(&self, path: &str) -> bool {
        let log = self.world.output().join("_spark_metadata");
        let entries = DiskStorage.list(&log).unwrap_or_default();
        entries
            .iter()
            .filter(|e| e.name.parse::<u64>().is_ok())
            .any(|e| std::fs::read_to_string(&e.path).is_ok_and(|text| text.contains(&format!("\"path\":\"{path}\""))))
    }

    fn part_rows(&self, uri: &str) -> Vec<Row> {
        let name = crashpoint_engine::uri::file_name_of(uri);
        let text = std::fs::read_to_string(self.world.output().join(name)).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v.as_object().map(|o| row_of(&self.schema, o)))
            .collect()
    }

    /// What a reader of Spark's sink sees now.
    fn visible_output(&mut self) -> Result<Vec<Row>, SparkError> {
        Ok(match self.query.sink.kind() {
            SinkKind::Console => self.emissions.iter().flat_map(|e| e.rows.clone()).collect(),
            SinkKind::ForeachBatch | SinkKind::ForeachBatchIdempotent => {
                let text = std::fs::read_to_string(self.world.table()).unwrap_or_default();
                parse_table(&text, &self.schema).into_iter().flat_map(|l| l.rows).collect()
            }
            SinkKind::Memory => self.memory_rows.clone(),
            SinkKind::SqliteIdempotent | SinkKind::SqliteAppend | SinkKind::Command | SinkKind::Rust => Vec::new(),
            SinkKind::File if !self.world.output().join("_spark_metadata").exists() => Vec::new(),
            SinkKind::File => {
                // Read with the output's types: inferred, `temp` would be a STRING once a "NaN" is in it.
                let source_schema = &self.query.source.schema;
                let typed = self
                    .query
                    .plan
                    .plan()
                    .compile_for(source_schema)
                    .ok()
                    .map(|p| p.output_schema(source_schema).to_string());
                let read = self.spark.read_file_sink(&self.world.output(), typed.as_deref());
                match read {
                    Ok(read) => read.rows.iter().map(|o| row_of(&self.schema, o)).collect(),
                    Err(SparkError::Refused { message, .. }) => {
                        let failed = format!("Spark's reader of the file sink failed: {}", first_line(&message));
                        // A reader that fails is a loss of every row, which the verdict reports;
                        // where the scenario declares that Spark's verdict fails, it is that loss.
                        let declared = self.scenario.expect.spark.as_ref().and_then(|s| s.verdict);
                        if declared == Some(crate::scenario::ExpectedVerdict::Fail) {
                            self.trace.push(format!("    {failed} (Spark's verdict is declared to fail)"));
                        } else {
                            self.problems.push(failed);
                        }
                        Vec::new()
                    }
                    Err(e) => return Err(e),
                }
            }
        })
    }
}
