//! Property-based recovery testing: proptest generates workloads, query settings, tampering
//! and crash schedules (nested ones included; see `generate`); the property is that the
//! checker finds nothing, and that the case survives its scenario file (written and read back,
//! as a reproducer is). A failure shrinks to a minimal case, which is kept as a scenario file,
//! not only as a seed. A case that cannot be built (a trigger spelling that does not parse)
//! is a failure too.

use super::generate::{GeneratedCase, case_strategy, case_strategy_for_sink, empty};
use super::reproducer::{failure, minimize, round_trip_finding, still_fails};
use crate::scenario::{Scenario, SinkSpec};
use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

/// How to fuzz.
#[derive(Debug, Clone)]
pub struct FuzzOptions {
    /// Generated cases.
    pub cases: u32,
    /// The seed; the same seed gives the same cases and the same result.
    pub seed: u64,
    /// Seeded bugs to switch on in every generated query.
    pub bugs: Vec<String>,
    /// Also generate power losses.
    pub power_loss: bool,
    /// Write into this sink in every case (the user's program, SQLite, ...); `None`: a built-in
    /// sink chosen by the generator.
    pub sink: Option<SinkSpec>,
    /// Shrink the first failure to a minimal case (proptest, then step removal). Off, the failing
    /// case comes back as generated: faster when only "does anything fail?" matters.
    pub shrink: bool,
}

impl Default for FuzzOptions {
    /// The command line's defaults: 256 cases from seed 0, built-in sinks, no power loss, shrunk.
    fn default() -> Self {
        FuzzOptions { cases: 256, seed: 0, bugs: Vec::new(), power_loss: false, sink: None, shrink: true }
    }
}

/// A failure, shrunk unless [`FuzzOptions::shrink`] is off.
#[derive(Debug, Clone)]
pub struct FuzzFailure {
    /// The minimal scenario.
    pub scenario: Scenario,
    /// What the checker found in it.
    pub findings: Vec<String>,
}

/// The result of a fuzz run.
#[derive(Debug, Clone)]
pub struct FuzzOutcome {
    /// Cases that passed before the end (or the failure).
    pub cases_passed: u32,
    /// The first failure, shrunk.
    pub failure: Option<FuzzFailure>,
}

fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut rng = crashpoint_engine::rng::Rng::new(seed);
    let mut bytes = [0u8; 32];
    for chunk in bytes.chunks_mut(8) {
        chunk.copy_from_slice(&rng.next_u64().to_le_bytes());
    }
    bytes
}

/// Runs `options.cases` generated scenarios; the first failure is shrunk by proptest, then by
/// step removal, and returned.
pub fn fuzz(options: &FuzzOptions) -> FuzzOutcome {
    let mut runner = runner(options);
    let passed = std::sync::atomic::AtomicU32::new(0);
    // Shrinking re-runs the property on smaller cases: only passes before the first failure count.
    let failed = std::sync::atomic::AtomicBool::new(false);
    let strategy = strategy(options);
    let result = runner.run(&strategy, |case| {
        let found = match &case {
            Err(why) => Some(why.clone()),
            Ok(scenario) => round_trip_finding(scenario).or_else(|| still_fails(scenario).then(|| "violation".into())),
        };
        if let Some(found) = found {
            failed.store(true, std::sync::atomic::Ordering::Relaxed);
            return Err(TestCaseError::fail(found));
        }
        if !failed.load(std::sync::atomic::Ordering::Relaxed) {
            passed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    });
    let failure = match result {
        Ok(()) => None,
        Err(TestError::Fail(_, Err(why))) => Some(FuzzFailure { scenario: empty_of(options), findings: vec![why] }),
        Err(TestError::Fail(_, Ok(scenario))) if let Some(found) = round_trip_finding(&scenario) => {
            Some(FuzzFailure { scenario, findings: vec![found] })
        }
        Err(TestError::Fail(_, Ok(scenario))) if options.shrink => {
            let (scenario, findings) = minimize(&scenario, &format!("crashpoint fuzz --seed {}", options.seed));
            Some(FuzzFailure { scenario, findings })
        }
        Err(TestError::Fail(_, Ok(scenario))) => {
            let findings = failure(&scenario).unwrap_or_default();
            Some(FuzzFailure { scenario, findings })
        }
        Err(TestError::Abort(reason)) => {
            Some(FuzzFailure { scenario: empty_of(options), findings: vec![format!("proptest aborted: {reason}")] })
        }
    };
    FuzzOutcome { cases_passed: passed.into_inner(), failure }
}

/// The cases `options` generate.
fn strategy(options: &FuzzOptions) -> proptest::strategy::BoxedStrategy<GeneratedCase> {
    match &options.sink {
        Some(sink) => case_strategy_for_sink(options.bugs.clone(), options.power_loss, sink.clone()).boxed(),
        None => case_strategy(options.bugs.clone(), options.power_loss).boxed(),
    }
}

/// The runner of `options`: the same seed gives the same cases.
fn runner(options: &FuzzOptions) -> TestRunner {
    let max_shrink_iters = if options.shrink { Config::default().max_shrink_iters } else { 0 };
    let config = Config { cases: options.cases, failure_persistence: None, max_shrink_iters, ..Config::default() };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes(options.seed));
    TestRunner::new_with_rng(config, rng)
}

/// The empty scenario of `options`, for a failure that has no case of its own.
fn empty_of(options: &FuzzOptions) -> Scenario {
    let mut scenario = empty(&options.bugs);
    if let Some(sink) = &options.sink {
        scenario.query.sink = sink.clone();
    }
    scenario
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Cause;
    use crate::scenario::{FileContent, InputDirChange, QueryChange, SpelledTrigger, Step, expected};
    use crashpoint_engine::engine::Trigger;
    use crashpoint_engine::source::BadRecordMode;
    use std::collections::BTreeSet;

    /// What kinds of case one generated case is, of those `fuzz` once never made.
    fn kinds(scenario: &Scenario) -> Vec<&'static str> {
        let mut kinds = Vec::new();
        let processing_time = |t: Trigger| matches!(t, Trigger::ProcessingTime { .. });
        if processing_time(scenario.query.trigger) {
            kinds.push("a processing-time query");
        }
        let runs = scenario.steps.iter().filter_map(|s| if let Step::Run(run) = s { Some(run) } else { None });
        if runs.clone().any(|run| run.trigger.as_ref().is_some_and(SpelledTrigger::is_processing_time)) {
            kinds.push("a processing-time run of its own");
        }
        if scenario.query.source.mode == BadRecordMode::Failfast {
            kinds.push("a failfast query");
        }
        for (_, cause) in expected(scenario).map(|e| e.failed_runs).unwrap_or_default() {
            kinds.push(match cause {
                Cause::BadRecordFailfast { .. } => "a failfast run stopped by a bad record",
                Cause::CommitNewerThanOffsets { .. } => "a refusal: a commit newer than the offsets",
                Cause::CommitsTrailOffsets { .. } => "a refusal: commits trailing offsets",
                Cause::SinkAhead { .. } => "a refusal: a new checkpoint over a file sink's output",
                Cause::LogUnreadable { path, .. } if path.starts_with("_spark_metadata/") => {
                    "a refusal: the file sink's log unreadable"
                }
                Cause::LogUnreadable { first_line, .. } if crate::check::newer_log_version(&first_line).is_some() => {
                    "a refusal: a log from a newer Spark"
                }
                Cause::LogUnreadable { .. } => "a refusal: a log that is not a log",
                Cause::SinkBehind { .. } => "a refusal: a file sink behind its commits",
                Cause::BadOption { option, .. } if option == "minBatchesToRetain" => {
                    "a refusal: minBatchesToRetain out of its rule"
                }
                Cause::BadOption { option, .. } if option == "compactInterval" => {
                    "a refusal: compactInterval out of its rule"
                }
                Cause::BadOption { option, .. } if option.starts_with("spark.sql.files.") => {
                    "a refusal: a task-layout knob out of its rule"
                }
                Cause::BadOption { .. } => "a refusal: a query option out of its rule",
                Cause::BadTrigger { fault: crate::check::IntervalFault::NotATrigger, .. } => {
                    "a refusal: a run's trigger that is no trigger (a typo)"
                }
                Cause::BadTrigger { .. } => "a refusal: a run's trigger interval Spark would not read",
                Cause::QueryChanged => "a refusal: the query changed on its checkpoint",
                Cause::ModifiedInput { .. } => "a run stopped by a seen file modified (on-modified error)",
                Cause::MetadataUnreadable { .. } => "a refusal: a metadata file that is no query id",
                Cause::MetadataMissing => "a refusal: metadata missing",
                // One draw (a torn log): 0 bytes, a line that is no JSON, no batch line.
                Cause::LogTorn { .. } => "a refusal: a log torn after its version line, or of 0 bytes",
                Cause::LogMissing { path, .. } if path.starts_with("offsets/") => {
                    "a refusal: the offsets before a re-run missing"
                }
                Cause::LogMissing { .. } => "a refusal: a source-log file of a re-run missing",
                Cause::SourceLogCut { .. } => "a refusal: the source log cut back",
                Cause::StrayName { .. } => "a refusal: a stray file above its log's newest batch",
                Cause::IntervalMismatch { .. } => "a refusal: a source-log file named for another compactInterval",
                Cause::InputDirMissing => "a refusal: the input directory missing",
                Cause::InputNotADirectory => "a refusal: a file where the input directory was",
                Cause::Held { place: crate::check::Place::Output } => "a refusal: another query writes the output",
                Cause::Held { place: crate::check::Place::Checkpoint } => "a refusal: another query on the checkpoint",
                _ => "another failure",
            });
        }
        kinds
    }

    const DAY_MS: i64 = 24 * 60 * 60 * 1000;

    /// A file a run needs deleted: `metadata`, the offsets before a re-run batch, the latest
    /// source-log file.
    const NEEDED_FILE_DELETED: &str = "final: a file a run needs deleted (metadata, offsets, source log)";

    const FAILFAST_NULL_FIRST: &str = "failfast: stopped at a NULL read, a bad line after it";
    const FAILFAST_BAD_FIRST: &str = "failfast: stopped at a bad line, a NULL read after it";

    /// Where a failfast run stopped, when a problem of the other kind comes after it in its
    /// file or in the next file added (its batch, unless a limit of files splits them).
    fn failfast_order(scenario: &Scenario, cause: &Cause) -> Option<&'static str> {
        let Cause::BadRecordFailfast { uri, line } = cause else { return None };
        let added: Vec<(&String, &Vec<String>)> = (scenario.steps.iter())
            .filter_map(|s| match s {
                Step::Add { name, content: FileContent::Lines(lines) } => Some((name, lines)),
                _ => None,
            })
            .collect();
        let at = added.iter().position(|(name, _)| uri.ends_with(&format!("/{name}")))?;
        let stopped = added[at].1.get((*line as usize).checked_sub(1)?)?;
        let mut after = added[at].1[*line as usize..].iter().chain(added.get(at + 1).into_iter().flat_map(|a| a.1));
        let null = |l: &String| l.contains(r#""devices": "none""#);
        let bad = |l: &String| l.contains(r#"{"eventId": "torn"#);
        match (null(stopped), bad(stopped)) {
            (true, _) if after.any(bad) => Some(FAILFAST_NULL_FIRST),
            (_, true) if after.any(null) => Some(FAILFAST_BAD_FIRST),
            _ => None,
        }
    }

    /// The knobs one generated case draws, as its steps and query show them: each kind of the
    /// user's tampering, each trigger, each fault, each kind of input. A case may draw many.
    fn knobs(scenario: &Scenario) -> BTreeSet<&'static str> {
        let mut drawn = BTreeSet::new();
        let steps = &scenario.steps;
        let delete = |i: usize, p: &str| matches!(steps.get(i), Some(Step::Delete { path }) if path == p);
        let is_run = |i: usize| matches!(steps.get(i), Some(Step::Run(_)));
        for (i, step) in steps.iter().enumerate() {
            let prev_delete = i > 0 && (delete(i - 1, "commits/latest") || delete(i - 1, "offsets/latest"));
            drawn.extend(match step {
                Step::Delete { path } => match path.as_str() {
                    "commits/latest" if delete(i + 1, "commits/latest") => {
                        Some("final: the two latest commits deleted")
                    }
                    "commits/latest" if prev_delete && is_run(i + 2) => Some("tamper: the latest batch rolled back"),
                    "commits/latest" if !prev_delete && is_run(i + 1) => Some("tamper: the latest commit deleted"),
                    "commits/latest-1" => Some("tamper: an older commit deleted"),
                    "offsets/latest-1" => Some("tamper: an older offsets file deleted"),
                    // The kinds of each are counted apart by their causes (`kinds`).
                    "offsets/latest" if i > 0 && delete(i - 1, "commits/latest") => Some(NEEDED_FILE_DELETED),
                    "sources/0/latest" | "metadata" => Some(NEEDED_FILE_DELETED),
                    "offsets/latest" if !delete(i + 1, "commits/latest") => Some("final: offsets/latest deleted"),
                    _ => None,
                },
                Step::Write { path, .. } if path == "commits/.latest.crc" => Some("tamper: a stale .crc"),
                Step::Write { .. } => Some("a stray file in a checkpoint log"),
                Step::InputDir(InputDirChange::Make) => Some("the input directory made again"),
                Step::InputDir(_) => Some("final: the input directory deleted or replaced by a file"),
                Step::Corrupt { with, .. } if with.is_empty() || with.starts_with("v1") => {
                    Some("final: a log torn after its version line, or of 0 bytes")
                }
                Step::Corrupt { path, with } => {
                    let newer = crate::check::newer_log_version(with.lines().next().unwrap_or_default()).is_some();
                    match (path.as_str(), newer) {
                        ("sources/0/latest", _) => Some("final: sources/0/latest overwritten (v2, v3 or garbage)"),
                        ("metadata", _) => Some("final: metadata overwritten (no query id)"),
                        ("offsets/latest", true) => Some("final: offsets/latest from a newer Spark"),
                        ("commits/latest", true) => Some("final: commits/latest from a newer Spark"),
                        (_, true) => Some("final: another log from a newer Spark"),
                        (_, false) => Some("final: a log with a garbage first line"),
                    }
                }
                Step::DeleteCheckpoint => Some("tamper: a new checkpoint, the output kept"),
                Step::DeleteOutput { path } if path == "_spark_metadata" => {
                    Some("final: the file sink's whole log deleted")
                }
                Step::DeleteOutput { .. } => Some("final: the file sink's latest log entry deleted"),
                Step::CorruptOutput { .. } => Some("final: the file sink's latest log entry overwritten"),
                Step::ClockBack { .. } => Some("the clock goes back"),
                Step::ClockForward { .. } => Some("the clock jumps forward"),
                Step::Restore if is_run(i + 1) => Some("final: the refusal repaired, then a run"),
                Step::ChangeQuery(QueryChange { plan: Some(_), .. }) => Some("final: the query's plan changed"),
                Step::ChangeQuery(QueryChange { checkpoint: Some(knobs), .. }) => {
                    let bad = |value: Option<i64>| value.is_some_and(|v| v < 1);
                    let conf = bad(knobs.min_batches_to_retain) || bad(knobs.compact_interval);
                    let interval = knobs.compact_interval != scenario.query.checkpoint.compact_interval;
                    match (conf, interval) {
                        (true, _) => {
                            Some("final: a checkpoint conf (minBatchesToRetain, compactInterval) out of its rule")
                        }
                        (false, true) => Some("a restart with another valid compactInterval"),
                        (false, false) => None,
                    }
                }
                Step::ChangeQuery(change) => change.source.as_ref().and_then(|source| {
                    let bad = |value: Option<i64>, least: i64| value.is_some_and(|v| v < least);
                    if bad(source.max_files_per_trigger, 1) {
                        Some("final: maxFilesPerTrigger out of its rule")
                    } else if bad(source.max_file_age_ms, 0) {
                        Some("final: maxFileAge out of its rule")
                    } else if bad(source.max_line_bytes, 1) {
                        Some("final: max-line-bytes out of its rule")
                    } else if bad(source.max_partition_bytes, 1) {
                        Some("a task-layout knob out of its rule: maxPartitionBytes")
                    } else if bad(source.min_partition_num, 1) {
                        Some("a task-layout knob out of its rule: minPartitionNum")
                    } else if bad(source.open_cost_in_bytes, 0) {
                        Some("a task-layout knob out of its rule: openCostInBytes")
                    } else if source.open_cost_in_bytes == Some(0) {
                        Some("an open cost of 0 (Spark runs with it)")
                    } else {
                        None
                    }
                }),
                Step::HoldLock { place: crate::check::Place::Output } => Some("another query holds the output's lock"),
                Step::HoldLock { .. } => Some("another query holds the checkpoint's lock"),
                Step::HolderDies { .. } if is_run(i + 1) => Some("a lock's holder dies, then a run"),
                Step::Touch { shift_ms, .. } if *shift_ms <= -DAY_MS * 7 => Some("an old copy: past 7 days"),
                Step::Touch { shift_ms, .. } if *shift_ms <= -DAY_MS => Some("an old copy: within 7 days"),
                Step::Mkdir { .. } => Some("a subdirectory in the input: empty"),
                Step::Link { .. } => Some("a symlink in the input (to a file, a directory, nothing)"),
                Step::Special { .. } => Some("a FIFO or a socket in the input"),
                Step::Add { name, .. } if name.contains('=') && name.contains('/') => {
                    Some("a subdirectory in the input: a partition k=v")
                }
                Step::Add { name, .. } if name.contains('/') => Some("a subdirectory in the input: files in it"),
                Step::Run(run) if run.power_loss => Some("a power loss"),
                _ => None,
            });
            if let Step::Run(run) = step {
                drawn.extend(run.crash.map(|_| if run.restart { "a crash in a restart" } else { "a crash" }));
                drawn.extend(run.second_query.map(|_| "a second query"));
                drawn.extend(run.arrive.as_ref().map(|_| "a file arriving during a run"));
                drawn.extend(run.again.map(|_| "an engine triggered again"));
                drawn.extend(run.trigger.as_ref().map(|t| match t.is_processing_time() {
                    true => "a run's own trigger: processing-time",
                    false => "a run's own trigger: another",
                }));
            }
        }
        let names = steps.iter().filter_map(|s| if let Step::Add { name, .. } = s { Some(name) } else { None });
        for name in names {
            drawn.extend(match name {
                n if n.ends_with("._COPYING_") => Some("a name Spark skips: a copy"),
                n if n.starts_with('.') => Some("a name Spark skips: hidden"),
                n if n.starts_with('_') && n.contains('=') => Some("an _-name with '=' (read)"),
                n if n.starts_with('_') => Some("a name Spark skips: _-name"),
                n if n.contains(['*', '?', '[', ']', '{', '}', ':']) => Some("a name Spark misreads"),
                _ => None,
            });
        }
        drawn.insert(match scenario.query.trigger {
            Trigger::AvailableNow => "the query's trigger: available-now",
            Trigger::Once => "the query's trigger: once",
            Trigger::ProcessingTime { .. } => "the query's trigger: processing-time",
        });
        drawn.insert(match scenario.query.sink.kind() {
            crate::scenario::SinkKind::File => "sink: file",
            crate::scenario::SinkKind::Console => "sink: console",
            crate::scenario::SinkKind::Memory => "sink: memory",
            crate::scenario::SinkKind::ForeachBatch => "sink: foreach-batch",
            _ => "sink: another",
        });
        if scenario.query.source.max_line_bytes.is_some() {
            drawn.insert("a line limit");
        }
        if scenario.query.source.mode == BadRecordMode::Failfast {
            drawn.insert("a failfast query");
        }
        if scenario.query.source.max_file_age_ms.is_some() {
            drawn.insert("a maxFileAge of its own");
        }
        if scenario.query.source.on_modified == crashpoint_engine::source::ModifiedFilePolicy::Error {
            drawn.insert("on-modified error");
        }
        if scenario.query.source.format == crashpoint_engine::source::InputFormat::WholeFile {
            drawn.insert("files read whole");
            let array = |s: &Step| matches!(s, Step::Add { content: FileContent::Text(t), .. } if t.starts_with('['));
            if steps.iter().any(array) {
                drawn.insert("files read whole: a JSON array of records");
            }
        }
        if crate::scenario::min_batches_to_retain(&scenario.query.checkpoint) < 100 {
            drawn.insert("purge: few batches retained");
        }
        // Spark's defaults left to the engine: a wrong default shows only here.
        if scenario.query.checkpoint.min_batches_to_retain.is_none() {
            drawn.insert("purge: Spark's default retain (not set)");
        }
        if scenario.query.checkpoint.compact_interval.is_none() {
            drawn.insert("compaction: Spark's default interval (not set)");
        }
        drawn
    }

    /// How many cases of seed 1 `tests/generators_alone.rs` fuzzes (its `FUZZ_CASES`).
    const GENERATORS_ALONE_CASES: u32 = 500;

    /// The knobs each kind of case must draw at least this often in `generators_alone`'s
    /// cases, so that a kill never rests on one case: a change to the draw that makes one rare
    /// fails here, loudly, instead of silently losing what only it reached.
    const DRAWN_AT_LEAST: usize = 4;

    #[test]
    fn seed_1_generates_every_new_kind_of_case_and_draws_every_knob() {
        // Goal: the cases of `fuzz --seed 1` (as tests/generators_alone.rs runs it) include
        // processing-time runs, failfast failures and both refusals, each a run the model expects
        // to fail and that names its error; and draw each knob of the generators (each kind of
        // tampering, each trigger, crashes, power losses, a second query, the clock, the line
        // limit, skipped and misread names, each sink) at least DRAWN_AT_LEAST times, as well as
        // cases where the model expects a warning about a batch left uncommitted below the latest
        // commit (the live log's invariant judges it in every run). Method: the
        // GENERATORS_ALONE_CASES cases of fuzz's own strategy and runner (generated, not run), classified by their steps
        // and the reference model's causes.
        let options = FuzzOptions {
            cases: GENERATORS_ALONE_CASES,
            seed: 1,
            power_loss: true,
            shrink: false,
            ..FuzzOptions::default()
        };
        let (mut runner, strategy) = (runner(&options), strategy(&options));
        let mut seen = BTreeSet::new();
        let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        let mut intervals: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
        // Collected through `runner.run`, as `fuzz` draws them: `new_tree` alone gives other cases.
        let cases = std::sync::Mutex::new(Vec::new());
        runner
            .run(&strategy, |case| {
                cases.lock().expect("no panic while collecting").push(case);
                Ok(())
            })
            .expect("collecting cases fails no case");
        let cases = cases.into_inner().expect("no panic while collecting");
        assert_eq!(cases.len(), options.cases as usize);
        for case in cases {
            let scenario = case.expect("every spelling parses");
            seen.extend(kinds(&scenario));
            let mut drawn = knobs(&scenario);
            let expected = expected(&scenario).ok();
            if expected.as_ref().is_some_and(|e| !e.skipped_uncommitted.is_empty()) {
                drawn.insert("the model: a run warns of an uncommitted batch");
            }
            let tasks = expected.as_ref().map(|e| e.tasks.as_slice()).unwrap_or_default();
            let task_files = |t: &Vec<(String, u64, u64)>| t.iter().map(|s| &s.0).collect::<BTreeSet<_>>().len();
            if tasks.iter().flat_map(|b| b.tasks.iter().flatten()).any(|split| split.1 > 0) {
                drawn.insert("the model: a file cut into splits");
            }
            if tasks.iter().flat_map(|b| &b.tasks).any(|t| task_files(t) > 1) {
                drawn.insert("the model: several files packed into one task");
            }
            let failing = expected.map(|e| e.failed_runs).unwrap_or_default();
            drawn.extend(failing.iter().filter_map(|(_, cause)| failfast_order(&scenario, cause)));
            drawn.into_iter().for_each(|knob| *counts.entry(knob).or_default() += 1);
            let runs: Vec<_> =
                scenario.steps.iter().filter_map(|s| if let Step::Run(r) = s { Some(r) } else { None }).collect();
            for (ordinal, run) in (1u32..).zip(&runs) {
                let odd = run.trigger.as_ref().and_then(|t| t.0.strip_prefix("processing-time="));
                if odd.is_some_and(|interval| super::super::spellings::ODD_INTERVALS.contains(&interval)) {
                    let refused = failing.iter().find(|(r, _)| *r == ordinal);
                    // A run that read its interval may still fail later (a failfast bad line).
                    let read_as = match refused {
                        Some((_, Cause::BadTrigger { fault, .. })) => format!("an odd interval refused: {fault:?}"),
                        _ => "an odd interval read".into(),
                    };
                    *intervals.entry(read_as).or_default() += 1;
                }
            }
            for (run, cause) in failing {
                let step = runs[run as usize - 1];
                assert_eq!(step.expect_error, cause.phrase(), "run {run} of\n{}", scenario.to_toml());
                assert!(step.crash.is_none() && step.io_error.is_none());
            }
        }
        let missing = [
            "a refusal: minBatchesToRetain out of its rule",
            "a refusal: compactInterval out of its rule",
            "a processing-time query",
            "a processing-time run of its own",
            "a failfast run stopped by a bad record",
            "a refusal: a commit newer than the offsets",
            "a refusal: commits trailing offsets",
            "a refusal: a new checkpoint over a file sink's output",
            "a refusal: a log from a newer Spark",
            "a refusal: a log that is not a log",
            "a refusal: a file sink behind its commits",
            "a refusal: a query option out of its rule",
            "a refusal: a task-layout knob out of its rule",
            "a refusal: a run's trigger interval Spark would not read",
            "a refusal: a run's trigger that is no trigger (a typo)",
            "a refusal: another query writes the output",
            "a refusal: another query on the checkpoint",
            "a refusal: the query changed on its checkpoint",
            "a refusal: a metadata file that is no query id",
            "a refusal: the file sink's log unreadable",
            "a refusal: metadata missing",
            "a refusal: a log torn after its version line, or of 0 bytes",
            "a refusal: the offsets before a re-run missing",
            "a refusal: a source-log file of a re-run missing",
            "a refusal: the source log cut back",
            "a refusal: a stray file above its log's newest batch",
            "a refusal: the input directory missing",
            "a refusal: a file where the input directory was",
            "a run stopped by a seen file modified (on-modified error)",
        ]
        .into_iter()
        .filter(|kind| !seen.contains(kind))
        .collect::<Vec<_>>();
        let every = [
            "tamper: the latest commit deleted",
            "tamper: an older commit deleted",
            "tamper: an older offsets file deleted",
            "tamper: a stale .crc",
            "tamper: the latest batch rolled back",
            "tamper: a new checkpoint, the output kept",
            "final: offsets/latest deleted",
            "final: the two latest commits deleted",
            "final: offsets/latest from a newer Spark",
            "final: commits/latest from a newer Spark",
            "final: a log with a garbage first line",
            "final: metadata overwritten (no query id)",
            "final: sources/0/latest overwritten (v2, v3 or garbage)",
            "final: the file sink's latest log entry deleted",
            "final: the file sink's whole log deleted",
            "final: the file sink's latest log entry overwritten",
            "final: maxFilesPerTrigger out of its rule",
            "final: maxFileAge out of its rule",
            "final: max-line-bytes out of its rule",
            "final: a checkpoint conf (minBatchesToRetain, compactInterval) out of its rule",
            "final: the query's plan changed",
            NEEDED_FILE_DELETED,
            "final: a log torn after its version line, or of 0 bytes",
            "a stray file in a checkpoint log",
            "a restart with another valid compactInterval",
            "final: the input directory deleted or replaced by a file",
            "the input directory made again",
            "the model: a run warns of an uncommitted batch",
            "the model: a file cut into splits",
            "the model: several files packed into one task",
            "the query's trigger: available-now",
            "the query's trigger: once",
            "the query's trigger: processing-time",
            "a run's own trigger: processing-time",
            "a run's own trigger: another",
            "a crash",
            "a crash in a restart",
            "a power loss",
            "a second query",
            "final: the refusal repaired, then a run",
            "another query holds the output's lock",
            "another query holds the checkpoint's lock",
            "a lock's holder dies, then a run",
            "a file arriving during a run",
            "an engine triggered again",
            "a subdirectory in the input: empty",
            "a subdirectory in the input: a partition k=v",
            "a subdirectory in the input: files in it",
            "a symlink in the input (to a file, a directory, nothing)",
            "a FIFO or a socket in the input",
            "the clock goes back",
            "the clock jumps forward",
            FAILFAST_NULL_FIRST,
            FAILFAST_BAD_FIRST,
            "a line limit",
            "a failfast query",
            "files read whole",
            "on-modified error",
            "files read whole: a JSON array of records",
            "purge: few batches retained",
            "purge: Spark's default retain (not set)",
            "compaction: Spark's default interval (not set)",
            "a maxFileAge of its own",
            "an old copy: within 7 days",
            "an old copy: past 7 days",
            "a name Spark skips: a copy",
            "a name Spark skips: hidden",
            "a name Spark skips: _-name",
            "an _-name with '=' (read)",
            "a name Spark misreads",
            "sink: file",
            "sink: console",
            "sink: memory",
            "sink: foreach-batch",
            "sink: another",
        ];
        eprintln!("odd intervals in {GENERATORS_ALONE_CASES} cases of seed 1: {intervals:#?}");
        let refused = |fault: crate::check::IntervalFault| format!("an odd interval refused: {fault:?}");
        let faults = {
            use crate::check::IntervalFault::*;
            [Empty, Prefix, NotANumber, NoUnit, NotAUnit, Fraction, MonthsOrYears, TooLong, Negative]
        };
        for kind in faults.map(refused).into_iter().chain(["an odd interval read".to_string()]) {
            assert!(intervals.get(&kind).copied().unwrap_or(0) >= 2, "{kind}: fewer than 2 runs in {intervals:?}");
        }
        // The spelled options take one case in ten between them (their refusals make a case
        // crash-free): each of their kinds twice, reach/spelled_options besides. An open cost of
        // 0 is a value Spark runs with, where crashpoint once refused it.
        for kind in [
            "a task-layout knob out of its rule: maxPartitionBytes",
            "a task-layout knob out of its rule: minPartitionNum",
            "a task-layout knob out of its rule: openCostInBytes",
        ] {
            assert!(counts.get(kind).copied().unwrap_or(0) >= 2, "{kind}: fewer than 2 cases in {counts:?}");
        }
        assert!(counts.contains_key("an open cost of 0 (Spark runs with it)"), "{counts:?}");
        let table: Vec<String> = every.iter().map(|k| format!("{k}: {}", counts.get(k).unwrap_or(&0))).collect();
        eprintln!("knobs drawn in {GENERATORS_ALONE_CASES} cases of seed 1:\n{}", table.join("\n"));
        let rare: Vec<&String> = every
            .iter()
            .zip(&table)
            .filter(|(k, _)| counts.get(*k).copied().unwrap_or(0) < DRAWN_AT_LEAST)
            .map(|(_, t)| t)
            .collect();
        assert!(
            missing.is_empty() && rare.is_empty(),
            "in {GENERATORS_ALONE_CASES} cases of seed 1, no case is {missing:?}; knobs drawn fewer than {DRAWN_AT_LEAST} times: {rare:?}"
        );
    }
}
