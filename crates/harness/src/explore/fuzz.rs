//! Property-based recovery testing: proptest generates workloads, query settings, tampering
//! and crash schedules (nested ones included; see `generate`); the property is that the
//! checker finds nothing. A failure shrinks to a minimal case, which is kept as a scenario
//! file, not only as a seed.

use super::generate::{empty, scenario_strategy, scenario_strategy_for_sink};
use super::reproducer::{failure, minimize, still_fails};
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
    let max_shrink_iters = if options.shrink { Config::default().max_shrink_iters } else { 0 };
    let config = Config { cases: options.cases, failure_persistence: None, max_shrink_iters, ..Config::default() };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes(options.seed));
    let mut runner = TestRunner::new_with_rng(config, rng);
    let passed = std::sync::atomic::AtomicU32::new(0);
    // Shrinking re-runs the property on smaller cases: only passes before the first failure count.
    let failed = std::sync::atomic::AtomicBool::new(false);
    let strategy = match &options.sink {
        Some(sink) => scenario_strategy_for_sink(options.bugs.clone(), options.power_loss, sink.clone()).boxed(),
        None => scenario_strategy(options.bugs.clone(), options.power_loss).boxed(),
    };
    let result = runner.run(&strategy, |scenario| {
        if still_fails(&scenario) {
            failed.store(true, std::sync::atomic::Ordering::Relaxed);
            return Err(TestCaseError::fail("violation"));
        }
        if !failed.load(std::sync::atomic::Ordering::Relaxed) {
            passed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    });
    let failure = match result {
        Ok(()) => None,
        Err(TestError::Fail(_, scenario)) if options.shrink => {
            let (scenario, findings) = minimize(&scenario, &format!("crashpoint fuzz --seed {}", options.seed));
            Some(FuzzFailure { scenario, findings })
        }
        Err(TestError::Fail(_, scenario)) => {
            let findings = failure(&scenario).unwrap_or_default();
            Some(FuzzFailure { scenario, findings })
        }
        Err(TestError::Abort(reason)) => {
            let mut scenario = empty(&options.bugs);
            if let Some(sink) = &options.sink {
                scenario.query.sink = sink.clone();
            }
            Some(FuzzFailure { scenario, findings: vec![format!("proptest aborted: {reason}")] })
        }
    };
    FuzzOutcome { cases_passed: passed.into_inner(), failure }
}
