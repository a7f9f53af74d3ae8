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
    use crate::scenario::{Step, expected};
    use crashpoint_engine::engine::Trigger;
    use crashpoint_engine::source::BadRecordMode;
    use proptest::strategy::ValueTree;
    use std::collections::BTreeSet;

    /// What kinds of case one generated case is, of those `fuzz` once never made.
    fn kinds(scenario: &Scenario) -> Vec<&'static str> {
        let mut kinds = Vec::new();
        let processing_time = |t: Trigger| matches!(t, Trigger::ProcessingTime { .. });
        if processing_time(scenario.query.trigger) {
            kinds.push("a processing-time query");
        }
        let runs = scenario.steps.iter().filter_map(|s| if let Step::Run(run) = s { Some(run) } else { None });
        if runs.clone().any(|run| run.trigger.is_some_and(processing_time)) {
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
                _ => "another failure",
            });
        }
        kinds
    }

    #[test]
    fn seed_1_generates_every_new_kind_of_case() {
        // Goal: the cases of `fuzz --seed 1` (as tests/generators_alone.rs runs it) include
        // processing-time runs, failfast failures and both refusals, each a run the model expects
        // to fail and that names its error. Method: the first 200 cases of fuzz's own strategy
        // and runner, classified by their steps and the reference model's causes.
        let options = FuzzOptions { cases: 200, seed: 1, power_loss: true, shrink: false, ..FuzzOptions::default() };
        let (mut runner, strategy) = (runner(&options), strategy(&options));
        let mut seen = BTreeSet::new();
        for _ in 0..options.cases {
            let case = strategy.new_tree(&mut runner).expect("a case").current();
            let scenario = case.expect("every spelling parses");
            seen.extend(kinds(&scenario));
            let failing = expected(&scenario).map(|e| e.failed_runs).unwrap_or_default();
            let runs: Vec<_> =
                scenario.steps.iter().filter_map(|s| if let Step::Run(r) = s { Some(r) } else { None }).collect();
            for (run, cause) in failing {
                let step = runs[run as usize - 1];
                assert_eq!(step.expect_error, cause.phrase(), "run {run} of\n{}", scenario.to_toml());
                assert!(step.crash.is_none() && step.io_error.is_none());
            }
        }
        for kind in [
            "a processing-time query",
            "a processing-time run of its own",
            "a failfast run stopped by a bad record",
            "a refusal: a commit newer than the offsets",
            "a refusal: commits trailing offsets",
            "a refusal: a new checkpoint over a file sink's output",
        ] {
            assert!(seen.contains(kind), "no case is {kind}: {seen:?}");
        }
    }
}
