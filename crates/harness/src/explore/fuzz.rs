//! Property-based recovery testing: proptest generates workloads (files, sizes, re-drops,
//! renames, in-place changes, arrivals between runs), query settings and crash schedules
//! (nested ones included); the property is that the checker finds nothing. A failure shrinks
//! to a minimal case, which is kept as a scenario file, not only as a seed.

use super::reproducer::{minimize, still_fails, with_final_drain};
use crate::scenario::{
    Expect, ExpectedVerdict, FileContent, NamedPlan, PlanSpec, QuerySpec, RunStep, Scenario, SinkKind, Step,
};
use crashpoint_engine::engine::Trigger;
use crashpoint_engine::faults::CrashPoint;
use crashpoint_engine::source::SourceOptions;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use std::path::PathBuf;

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
}

/// A failure, shrunk.
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

#[derive(Debug, Clone)]
enum FileOp {
    Add { events: u64, seed: u64 },
    Redrop(usize),
    Rename(usize),
    Modify { file: usize, events: u64 },
    Remove(usize),
}

#[derive(Debug, Clone)]
struct Segment {
    ops: Vec<FileOp>,
    crash: Option<(CrashPoint, u32, bool)>,
    nested: Option<(CrashPoint, u32, bool)>,
}

fn point() -> impl Strategy<Value = CrashPoint> {
    proptest::sample::select(CrashPoint::ALL.to_vec())
}

fn crash(power_loss: bool) -> impl Strategy<Value = Option<(CrashPoint, u32, bool)>> {
    let loss = if power_loss { any::<bool>().boxed() } else { Just(false).boxed() };
    // Most points are hit once a batch, so early hits are the ones that happen.
    let hit = prop_oneof![6 => Just(1u32), 3 => Just(2u32), 1 => Just(3u32)];
    proptest::option::weighted(0.6, (point(), hit, loss))
}

fn file_op() -> impl Strategy<Value = FileOp> {
    prop_oneof![
        4 => (0u64..=4, 0u64..1000).prop_map(|(events, seed)| FileOp::Add { events, seed }),
        1 => (0usize..8).prop_map(FileOp::Redrop),
        1 => (0usize..8).prop_map(FileOp::Rename),
        1 => (0usize..8, 0u64..=3).prop_map(|(file, events)| FileOp::Modify { file, events }),
        1 => (0usize..8).prop_map(FileOp::Remove),
    ]
}

fn segment(power_loss: bool) -> impl Strategy<Value = Segment> {
    // Every segment brings a new file, so that its run has a batch to crash in.
    let arrival = (0u64..=4, 0u64..1000).prop_map(|(events, seed)| FileOp::Add { events, seed });
    (arrival, prop::collection::vec(file_op(), 0..=2), crash(power_loss), crash(power_loss)).prop_map(
        |(arrival, mut ops, crash, nested)| {
            ops.insert(0, arrival);
            Segment { nested: crash.and(nested), ops, crash }
        },
    )
}

fn sink() -> impl Strategy<Value = SinkKind> {
    proptest::sample::select(vec![
        SinkKind::Console,
        SinkKind::File,
        SinkKind::Memory,
        SinkKind::ForeachBatch,
        SinkKind::ForeachBatchIdempotent,
    ])
}

/// The strategy of whole scenarios.
pub fn scenario_strategy(bugs: Vec<String>, power_loss: bool) -> impl Strategy<Value = Scenario> {
    let max_files = proptest::option::of(1usize..=2);
    let trigger = prop_oneof![3 => Just(Trigger::AvailableNow), 1 => Just(Trigger::Once)];
    (sink(), max_files, trigger, prop::collection::vec(segment(power_loss), 1..=4))
        .prop_map(move |(sink, max_files, trigger, segments)| build(sink, max_files, trigger, &segments, &bugs))
}

fn build(
    sink: SinkKind,
    max_files: Option<usize>,
    trigger: Trigger,
    segments: &[Segment],
    bugs: &[String],
) -> Scenario {
    let mut files: Vec<String> = Vec::new();
    let mut next_name = 0;
    let mut steps = Vec::new();
    for segment in segments {
        // With trigger once a crash delays files, so only arrivals keep the oracle meaningful.
        let ops = segment.ops.iter().filter(|op| trigger != Trigger::Once || matches!(op, FileOp::Add { .. }));
        for op in ops {
            let pick = |i: usize| (!files.is_empty()).then(|| i % files.len());
            match *op {
                FileOp::Add { events, seed } => {
                    let name = format!("f{next_name}.json");
                    next_name += 1;
                    files.push(name.clone());
                    steps.push(Step::Add { name, content: FileContent::Generate { events, seed } });
                }
                FileOp::Redrop(i) => {
                    if let Some(i) = pick(i) {
                        steps.push(Step::Redrop { name: files[i].clone() });
                    }
                }
                FileOp::Rename(i) => {
                    if let Some(i) = pick(i) {
                        let to = format!("f{next_name}.json");
                        next_name += 1;
                        steps.push(Step::Rename { from: std::mem::replace(&mut files[i], to.clone()), to });
                    }
                }
                FileOp::Modify { file, events } => {
                    if let Some(i) = pick(file) {
                        let content = FileContent::Generate { events, seed: 7 };
                        steps.push(Step::Modify { name: files[i].clone(), content });
                    }
                }
                FileOp::Remove(i) => {
                    if let Some(i) = pick(i) {
                        steps.push(Step::Remove { name: files.remove(i) });
                    }
                }
            }
        }
        let run = |restart: bool, crash: Option<(CrashPoint, u32, bool)>| {
            Step::Run(RunStep {
                restart,
                trigger: None,
                crash: crash.map(|(p, h, _)| (p, h)),
                power_loss: crash.is_some_and(|(_, _, l)| l),
                expect_error: None,
                ..RunStep::default()
            })
        };
        steps.push(run(false, segment.crash));
        if segment.crash.is_some() {
            steps.push(run(true, segment.nested));
            if segment.nested.is_some() {
                steps.push(run(true, None));
            }
        }
    }
    let scenario = Scenario {
        path: PathBuf::from("fuzz.toml"),
        description: "Generated by crashpoint fuzz".into(),
        seed: 0,
        query: QuerySpec {
            sink: sink.into(),
            trigger,
            source: SourceOptions { max_files_per_trigger: max_files, ..SourceOptions::default() },
            plan: PlanSpec::Named(NamedPlan::Tutorial),
            checkpoint: Default::default(),
            bugs: bugs.to_vec(),
            allow_existing_sink_log: false,
        },
        steps,
        expect: Expect { verdict: ExpectedVerdict::Pass, ..Expect::default() },
    };
    with_final_drain(&scenario)
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
    let config = Config { cases: options.cases, failure_persistence: None, ..Config::default() };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes(options.seed));
    let mut runner = TestRunner::new_with_rng(config, rng);
    let passed = std::sync::atomic::AtomicU32::new(0);
    // Shrinking re-runs the property on smaller cases: only passes before the first failure count.
    let failed = std::sync::atomic::AtomicBool::new(false);
    let result = runner.run(&scenario_strategy(options.bugs.clone(), options.power_loss), |scenario| {
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
        Err(TestError::Fail(_, scenario)) => {
            let (scenario, findings) = minimize(&scenario, &format!("crashpoint fuzz --seed {}", options.seed));
            Some(FuzzFailure { scenario, findings })
        }
        Err(TestError::Abort(reason)) => Some(FuzzFailure {
            scenario: build(SinkKind::Memory, None, Trigger::AvailableNow, &[], &options.bugs),
            findings: vec![format!("proptest aborted: {reason}")],
        }),
    };
    FuzzOutcome { cases_passed: passed.into_inner(), failure }
}
