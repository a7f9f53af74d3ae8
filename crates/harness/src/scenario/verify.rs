//! Verification: a scenario's execution against the oracle (the reference model of the same
//! scenario with no crashes), the invariants and the scenario's expectations, rendered
//! canonically for its snapshot.

use super::format::{ExpectedVerdict, Scenario, SinkKind};
use super::oracle::Oracle;
use super::runner::{Execution, Injection, ProcessRecord, execute, render_disk};
use super::sink_spec::SinkSpec;
use crate::check::{
    BatchParts, Emission, EmissionOutcome, RunWords, Verdict, json_lines_rows, judge_agreement, judge_batch_times,
    judge_crash_points, judge_dead_letters, judge_misread_notices, judge_part_files, judge_skipped_uncommitted,
    judge_times, judge_too_old_notices, judge_unread_dirs, judge_with_minimum, judge_words, row_key,
};
use crashpoint_engine::engine::Event;
use crashpoint_engine::faults::CrashPoint;
use crashpoint_engine::guarantee::Guarantee;
use crashpoint_engine::json::row_to_json;
use crashpoint_engine::plan::Row;
use crashpoint_engine::source::SourceNotice;
use std::fmt::Write;

/// The columns that identify a record. A processing-time column is left out: it says which
/// batch a record landed in, and a crash before a batch's plan is durable may legally move a
/// record to another batch. Those columns are checked on their own, against `offsets/N`.
pub(super) struct DataColumns {
    pub(super) data: Vec<usize>,
    times: Vec<(usize, String)>,
}

impl DataColumns {
    pub(super) fn of(scenario: &Scenario, schema: &[String]) -> Self {
        let times: Vec<String> = scenario
            .query
            .plan
            .plan()
            .steps
            .iter()
            .filter_map(|s| {
                if let crashpoint_engine::plan::Step::ProcessingTime { alias } = s { Some(alias.clone()) } else { None }
            })
            .collect();
        let (time_columns, data): (Vec<usize>, Vec<usize>) =
            (0..schema.len()).partition(|i| times.contains(&schema[*i]));
        Self { data, times: time_columns.into_iter().map(|i| (i, schema[i].clone())).collect() }
    }

    pub(super) fn project(&self, rows: &[Row]) -> Vec<Row> {
        rows.iter().map(|row| self.data.iter().filter_map(|i| row.get(*i).cloned()).collect()).collect()
    }
}

/// What a sink kind promises.
pub fn guarantee_of(kind: SinkKind) -> Guarantee {
    SinkSpec::Named(kind).guarantee()
}

/// The outcome of verifying one scenario (or one crash schedule of it).
#[derive(Debug, Clone)]
pub struct Report {
    /// The scenario as run.
    pub scenario: Scenario,
    /// The run.
    pub execution: Execution,
    /// How many rows the oracle's reader sees.
    pub oracle_rows: usize,
    /// Which oracle judged it.
    pub oracle: String,
    /// The sink's verdict.
    pub verdict: Verdict,
    /// Expectations that were not met, in words.
    pub failures: Vec<String>,
}

impl Report {
    /// True if every expectation of the scenario holds.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// True if the scenario schedules something that did not happen (a crash or an I/O error
    /// that never fired, a crash state naming no unsynced operation): it tests nothing of what
    /// it says.
    pub fn bad_scenario(&self) -> bool {
        !self.execution.unmatched_faults.is_empty()
    }

    /// True if the checker found a violation (verdict, invariant or unexpected error).
    pub fn violated(&self) -> bool {
        !self.verdict.passed || !self.execution.violations.is_empty() || !self.execution.problems.is_empty()
    }
}

/// Every notice the file source gave, in every run.
fn notices(execution: &Execution) -> impl Iterator<Item = &SourceNotice> {
    execution.processes.iter().flat_map(|p| &p.events).filter_map(|event| match event {
        Event::SourceNotice(notice) => Some(notice),
        _ => None,
    })
}

/// What each run said: its live log and the error it stopped with.
fn run_words(execution: &Execution) -> Vec<RunWords<'_>> {
    execution
        .processes
        .iter()
        .map(|p| RunWords { run: p.ordinal, events: &p.events, error: p.error.as_deref() })
        .collect()
}

/// Runs the scenario and judges it against its oracle.
pub fn verify(scenario: &Scenario) -> Report {
    verify_with_oracle(scenario, &Injection::default(), &Oracle::of(scenario))
}

/// Runs the scenario with `injection` and judges it against `oracle`.
pub fn verify_with_oracle(scenario: &Scenario, injection: &Injection, oracle: &Oracle) -> Report {
    judge(scenario, injection, execute(scenario, injection), oracle)
}

/// Judges an execution of `scenario` with `injection` against `oracle`: the sink's output, the
/// dead letters, the processing times, and for a crash-free run, its batches.
pub fn judge(scenario: &Scenario, injection: &Injection, execution: Execution, oracle: &Oracle) -> Report {
    let sink = &scenario.query.sink;
    let data = DataColumns::of(scenario, &execution.schema);
    let emissions: Vec<Emission> =
        execution.emissions.iter().map(|e| Emission { rows: data.project(&e.rows), ..e.clone() }).collect();
    let guarantee = sink.guarantee();
    let expected = &oracle.expected;
    let required = match guarantee {
        Guarantee::ExactlyOnce => &expected.rows,
        Guarantee::AtLeastOnce => &expected.first_writes,
    };
    let (wanted, minimum) = (data.project(&expected.rows), data.project(required));
    let actual = data.project(&execution.output);
    let mut verdict = judge_with_minimum(sink.name(), guarantee, &wanted, &minimum, &actual, &emissions);
    let mut findings = judge_dead_letters(&expected.dead_letters, &execution.dead_letters);
    findings.extend(judge_times(&execution.emissions, &data.times));
    if oracle.is_model() {
        findings.extend(judge_misread_notices(&expected.misread_names, notices(&execution)));
        findings.extend(judge_words(&expected.lines, &execution.dead_letter_reasons, &run_words(&execution)));
        findings.extend(judge_too_old_notices(&expected.too_old, notices(&execution)));
        findings.extend(judge_unread_dirs(&expected.not_read, &expected.dirs, notices(&execution)));
        let refused = refused_before_anything(&expected.failed_runs);
        findings.extend(judge_crash_points(
            &expected.hits,
            &expected.hit_points,
            &unfaulted_hits(&execution, &refused),
        ));
    }
    if oracle.is_model() && sink.kind() == SinkKind::File {
        // The data columns only: a part file's processing times are judged with the batch times.
        // A sink-log entry the user deleted leaves its part files unlisted, the user's doing:
        // such a case is held to the per-write checks only.
        let by_hand = scenario.steps.iter().any(|s| matches!(s, crate::scenario::Step::DeleteOutput { .. }));
        let exact: Option<Vec<BatchParts>> = (is_crash_free(scenario, injection) && !by_hand).then(|| {
            let project = |b: &BatchParts| BatchParts {
                parts: b.parts.iter().map(|(k, p)| (*k, data.project(p))).collect(),
                ..*b
            };
            expected.parts.iter().map(project).collect()
        });
        let read = |bytes: &[u8]| json_lines_rows(bytes, &execution.schema).map(|rows| data.project(&rows));
        let output = execution.root.join("output");
        findings.extend(judge_part_files(execution.disk.as_ref(), &output, exact.as_deref(), &read));
    }
    if oracle.is_model() && is_crash_free(scenario, injection) {
        let failed: Vec<(u32, String)> =
            execution.processes.iter().filter_map(|p| p.error.clone().map(|e| (p.ordinal, e))).collect();
        findings.extend(judge_agreement(&expected.planned, &execution.planned, &expected.failed_runs, &failed));
        findings.extend(judge_skipped_uncommitted(&expected.skipped_uncommitted, &warned_skipped(&execution)));
    }
    if oracle.is_model() {
        let shifts = ClockShifts { steps: &scenario.steps, processes: &execution.processes };
        let times =
            model_times(&expected.batch_times, &execution.emissions, is_crash_free(scenario, injection), &shifts);
        findings.extend(judge_batch_times(&times, &execution.emissions, &data.times));
    }
    verdict.passed &= findings.is_empty();
    verdict.findings.extend(findings);
    let oracle_rows = expected.rows.len();
    let mut report = Report {
        scenario: scenario.clone(),
        oracle_rows,
        oracle: oracle.describe(),
        execution,
        verdict,
        failures: vec![],
    };
    report.failures = expectation_failures(&report);
    report
}

/// The model's time for each batch handed to the sink: (run, batch id, ms). A crash-free run is
/// held to the model's batch of the same run and id. With crashes, a batch's files and run may
/// legally move, but not its time: the clock gives a time to a batch id, so each batch is held
/// to the model's time for the id it got, where the model gives that id one time throughout
/// and plans it on the same shifted clock (a crash may move a batch past a `clock-back-ms` or
/// `clock-forward-ms`, and the clock then legally gives it another time).
fn model_times(
    model: &[(u32, u64, i64)],
    emissions: &[Emission],
    crash_free: bool,
    shifts: &ClockShifts<'_>,
) -> Vec<(u32, u64, i64)> {
    if crash_free {
        return model.to_vec();
    }
    let of_id = |id: u64, shift_ms: i64| {
        let mut times = model.iter().filter(|(_, b, _)| *b == id);
        let &(run, _, first) = times.next()?;
        let same_clock = shifts.of_model_run(run) == shift_ms;
        (same_clock && times.all(|(_, _, ms)| *ms == first)).then_some(first)
    };
    emissions.iter().filter_map(|e| Some((e.process, e.batch, of_id(e.batch, shifts.of_process(e.process))?))).collect()
}

/// How far the clock has moved (`clock-forward-ms` steps less `clock-back-ms` ones) before a run
/// starts.
struct ClockShifts<'a> {
    steps: &'a [crate::scenario::Step],
    processes: &'a [ProcessRecord],
}

impl ClockShifts<'_> {
    fn before(&self, step: usize) -> i64 {
        let jump = |s: &crate::scenario::Step| match s {
            crate::scenario::Step::ClockForward { ms } => i64::try_from(*ms).unwrap_or(i64::MAX),
            crate::scenario::Step::ClockBack { ms } => i64::try_from(*ms).map_or(i64::MIN, |ms| -ms),
            _ => 0,
        };
        self.steps.iter().take(step).map(jump).fold(0, i64::saturating_add)
    }

    /// Before the model's run `ordinal`: the scenario's run step of that ordinal.
    fn of_model_run(&self, ordinal: u32) -> i64 {
        let runs = self.steps.iter().enumerate().filter(|(_, s)| matches!(s, crate::scenario::Step::Run(_)));
        runs.map(|(i, _)| i).nth(ordinal as usize - 1).map_or(0, |step| self.before(step))
    }

    /// Before the execution's process `ordinal` (a restart the runner inserted included).
    fn of_process(&self, ordinal: u32) -> i64 {
        self.processes.iter().find(|p| p.ordinal == ordinal).map_or(0, |p| self.before(p.step))
    }
}

/// The counted hits of each run before the first one a fault stopped (a crash, an injected I/O
/// error, a restart the runner inserted): up to there the execution is the crash-free one the
/// model states. A run that stopped with an error is left out (where an error stops a run is
/// not part of the crash-point contract).
/// The runs the model expects to be refused before they touch anything (a query option out of
/// its rule): the model states their hits, none, so the engine's are held to them.
fn refused_before_anything(failed_runs: &[(u32, crate::check::Cause)]) -> Vec<u32> {
    failed_runs
        .iter()
        .filter(|(_, cause)| matches!(cause, crate::check::Cause::BadOption { .. }))
        .map(|(r, _)| *r)
        .collect()
}

fn unfaulted_hits<'a>(
    execution: &'a Execution,
    refused: &[u32],
) -> Vec<(u32, &'a std::collections::BTreeMap<CrashPoint, u32>)> {
    execution
        .processes
        .iter()
        .take_while(|p| !p.inserted && !p.needs_restart && p.crashed.is_none() && p.io_failed.is_none())
        .filter(|p| p.error.is_none() || refused.contains(&p.ordinal))
        .map(|p| (p.ordinal, &p.hits))
        .collect()
}

/// The batches each run's live log warned are skipped for a later commit: (run, batch ids),
/// runs with none left out.
fn warned_skipped(execution: &Execution) -> Vec<(u32, Vec<u64>)> {
    let skipped = |events: &[Event]| -> Vec<u64> {
        events.iter().filter_map(|e| if let Event::SkippedUncommitted { id } = e { Some(*id) } else { None }).collect()
    };
    execution.processes.iter().map(|p| (p.ordinal, skipped(&p.events))).filter(|(_, ids)| !ids.is_empty()).collect()
}

/// True if nothing crashes: no crash in the scenario, none injected.
/// True if no run of the execution crashes or fails an I/O operation on purpose: a restart after
/// either may plan its batches otherwise than a run that went through.
fn is_crash_free(scenario: &Scenario, injection: &Injection) -> bool {
    let faulted = |run: &super::steps::RunStep| run.crash.is_some() || run.io_error.is_some();
    let scripted = scenario.steps.iter().any(|s| matches!(s, super::steps::Step::Run(run) if faulted(run)));
    injection.crashes.is_empty() && injection.io_errors.is_empty() && !scripted
}

fn expectation_failures(report: &Report) -> Vec<String> {
    let expect = &report.scenario.expect;
    let execution = &report.execution;
    let mut failures: Vec<String> = execution.problems.clone();
    failures.extend(execution.missed_errors.iter().cloned());
    failures.extend(execution.unmatched_faults.iter().cloned());
    match (expect.verdict, report.verdict.passed && execution.violations.is_empty()) {
        (ExpectedVerdict::Pass, false) => {
            failures.push("expected verdict pass, but the checker found violations".into())
        }
        (ExpectedVerdict::Fail, true) => failures.push("expected verdict fail, but the checker found nothing".into()),
        _ => {}
    }
    if let Some(rows) = expect.rows
        && rows != execution.output.len()
    {
        failures.push(format!("expected {rows} rows, a reader sees {}", execution.output.len()));
    }
    if expect.last_committed_batch.is_some() && expect.last_committed_batch != execution.last_committed_batch {
        let batch = |b: Option<u64>| b.map_or_else(|| "none (no batch committed)".to_string(), |b| b.to_string());
        failures.push(format!(
            "expected last committed batch {}, found {}",
            batch(expect.last_committed_batch),
            batch(execution.last_committed_batch)
        ));
    }
    if let Some(bad) = expect.bad_records
        && bad != execution.bad_records
    {
        failures.push(format!("expected {bad} bad records, found {}", execution.bad_records));
    }
    failures
}

/// The sink in a report's header: its name, and a program's command line.
fn sink_label(sink: &SinkSpec) -> String {
    match sink {
        SinkSpec::Command(program) => format!("command {:?}", program.command),
        other => other.name().to_string(),
    }
}

fn json_line(schema: &[String], row: &[serde_json::Value]) -> String {
    let mut bytes = Vec::new();
    row_to_json(schema, row, &mut bytes);
    String::from_utf8(bytes).expect("JSON is UTF-8")
}

impl Report {
    /// The canonical rendering stored in the scenario's snapshot.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let scenario = &self.scenario;
        let execution = &self.execution;
        let query = &scenario.query;
        let _ = writeln!(out, "scenario: {}", scenario.name());
        if !scenario.description.is_empty() {
            let _ = writeln!(out, "description: {}", scenario.description);
        }
        let plan = query.plan.plan();
        let _ = writeln!(
            out,
            "query: sink={} trigger={} plan fingerprint={} source={} seed={}",
            sink_label(&query.sink),
            query.trigger,
            plan.fingerprint(),
            serde_json::to_string(&query.source).unwrap_or_default(),
            scenario.seed
        );
        if !query.checkpoint.is_default() {
            let knobs = &query.checkpoint;
            let given = |n: Option<i64>| n.map_or_else(|| "Spark's default".to_string(), |n| n.to_string());
            let _ = writeln!(
                out,
                "checkpoint: compact-interval={} min-batches-to-retain={}",
                given(knobs.compact_interval),
                given(knobs.min_batches_to_retain)
            );
        }
        if !query.bugs.is_empty() {
            let _ = writeln!(out, "seeded bugs: {}", query.bugs.join(", "));
        }
        out += "\n== trace\n";
        execution.trace.iter().for_each(|line| out += &format!("{line}\n"));
        self.render_output(&mut out);
        if query.sink == SinkKind::Console {
            out += "\n== console\n";
            out += &execution.console;
        }
        out += "\n== disk (input, checkpoint, output)\n";
        out += &render_disk(execution);
        self.render_verdict(&mut out);
        out
    }

    fn render_output(&self, out: &mut String) {
        let execution = &self.execution;
        let _ = writeln!(out, "\n== batches handed to the {} sink", self.scenario.query.sink.name());
        for emission in &execution.emissions {
            let (batch, run, rows) = (emission.batch, emission.process, emission.rows.len());
            let _ = match emission.outcome {
                EmissionOutcome::Written => writeln!(out, "batch {batch} (run {run}, written): {rows} row(s)"),
                EmissionOutcome::Crashed => {
                    writeln!(out, "batch {batch} (run {run}, crashed inside the sink): {rows} row(s)")
                }
                // The sink held the batch, so the engine read no input for it.
                EmissionOutcome::Skipped => {
                    writeln!(out, "batch {batch} (run {run}, skipped, input not read): {rows} planned row(s)")
                }
            };
            for row in &emission.rows {
                let _ = writeln!(out, "  {}", json_line(&execution.schema, row));
            }
        }
        let mut visible: Vec<&Vec<serde_json::Value>> = execution.output.iter().collect();
        visible.sort_by_key(|row| row_key(row));
        let _ = writeln!(out, "\n== what a reader of the sink sees ({} rows, sorted)", visible.len());
        for row in visible {
            let _ = writeln!(out, "  {}", json_line(&execution.schema, row));
        }
    }

    fn render_verdict(&self, out: &mut String) {
        let execution = &self.execution;
        let verdict = &self.verdict;
        let _ = writeln!(
            out,
            "\n== verdict\noracle ({}): {} rows; this run: {} rows",
            self.oracle,
            self.oracle_rows,
            execution.output.len()
        );
        let status = if verdict.passed { "PASS" } else { "FAIL" };
        let _ = writeln!(out, "{} sink ({}): {status}", verdict.sink, verdict.guarantee);
        verdict.findings.iter().for_each(|f| *out += &format!("  - {f}\n"));
        let status = if execution.violations.is_empty() { "PASS" } else { "FAIL" };
        let _ = writeln!(
            out,
            "invariants ({} check(s), after every restart and at the end): {status}",
            execution.invariant_checks
        );
        execution.violations.iter().for_each(|v| *out += &format!("  - {v}\n"));
        let _ = writeln!(out, "bad records: {}", execution.bad_records);
        let status = if self.passed() { "PASS" } else { "FAIL" };
        let _ = writeln!(out, "expectations: {status}");
        self.failures.iter().for_each(|f| *out += &format!("  - {f}\n"));
    }
}
