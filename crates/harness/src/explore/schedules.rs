//! Systematic exploration: first a run that counts the hits of every crash point and the storage
//! operations of every run (redb's two passes), then the schedules below each first fault: a
//! crash at every (run, point, hit), each followed by every crash state a power loss may leave;
//! with depth 2, a second crash at every point of each recovery run; with I/O errors, every
//! storage operation of every run failed once.
//!
//! Schedules share their prefix: the world is forked where they part (see `tree`).

use super::crash_states::CrashStateStats;
use super::parallel::run_indexed;
use super::reproducer::{findings_of, minimize, reproducer, with_final_drain};
use super::tree::{Ctx, FirstFault, Leaf, Subtree, explore_first, run_with_starts};
use crate::scenario::{DiskKind, Injection, Oracle, ProcessRecord, Report, Scenario, judge};
use crashpoint_engine::faults::CrashPoint;
use crashpoint_engine::storage::{DiskModel, IoFault};
use std::collections::BTreeMap;
use std::path::Path;

/// The part of the first faults this process explores: `index` of `count` (from 1), for CI
/// matrices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// From 1.
    pub index: usize,
    /// How many shards.
    pub count: usize,
}

impl Default for Shard {
    fn default() -> Self {
        Shard { index: 1, count: 1 }
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parsed = s.split_once('/').and_then(|(k, n)| Some((k.parse().ok()?, n.parse().ok()?)));
        match parsed {
            Some((index, count)) if (1..=count).contains(&index) => Ok(Shard { index, count }),
            _ => Err(format!("'{s}' is not a shard; write K/N with 1 ≤ K ≤ N, e.g. 2/4")),
        }
    }
}

/// How to explore.
#[derive(Debug, Clone, Copy)]
pub struct ExploreOptions {
    /// 1: a crash at every point; 2: also a second crash in the recovery run.
    pub depth: u32,
    /// Worker threads; the outcome does not depend on it.
    pub threads: usize,
    /// Which share of the first faults to explore.
    pub shard: Shard,
    /// Also follow each crash by every crash state of a power loss (and each I/O error by a
    /// power loss that keeps nothing unsynced).
    pub power_loss: bool,
    /// The crash states a power loss may leave.
    pub disk_model: DiskModel,
    /// At most this many crash states per crash: all of them when there are no more, else the
    /// two extremes and a seeded sample.
    pub crash_states_max: usize,
    /// Seeds the sample of crash states.
    pub seed: u64,
    /// Also fail every storage operation of every run once (EIO, or ENOSPC where space is taken).
    pub io_errors: bool,
    /// Shrink at most this many violations to a minimal reproducer.
    pub reproducers_max: usize,
    /// The disk the schedules run on: a real temp directory is slower and has no power losses
    /// and no injected I/O errors.
    pub disk: DiskKind,
}

/// The default limit on crash states per crash.
pub const CRASH_STATES_MAX: usize = 64;

impl Default for ExploreOptions {
    fn default() -> Self {
        Self {
            depth: 1,
            threads: 1,
            shard: Shard::default(),
            power_loss: false,
            disk_model: DiskModel::Posix,
            crash_states_max: CRASH_STATES_MAX,
            seed: 0,
            io_errors: false,
            reproducers_max: 5,
            disk: DiskKind::Simulated,
        }
    }
}

/// A schedule that broke exactly-once, an invariant or the engine's error contract.
#[derive(Debug, Clone)]
pub struct Violation {
    /// The faults.
    pub injection: Injection,
    /// What the checker found.
    pub findings: Vec<String>,
    /// A minimal scenario that reproduces it, when it was shrunk.
    pub reproducer: Option<Scenario>,
}

/// Which crash points the schedules crashed at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Schedules that crashed at each point (points never reached are absent).
    pub crashes_by_point: BTreeMap<CrashPoint, usize>,
}

impl Coverage {
    /// Points hit.
    pub fn hit(&self) -> usize {
        self.crashes_by_point.len()
    }

    /// All points.
    pub fn total(&self) -> usize {
        CrashPoint::ALL.len()
    }
}

/// The result of an exploration.
#[derive(Debug, Clone)]
pub struct ExploreOutcome {
    /// First faults in all shards: crashes at a (run, point, hit) and failed storage operations.
    pub first_faults_total: usize,
    /// First faults this shard explored.
    pub first_faults_run: usize,
    /// Schedules run and checked by this shard: every crash state of every crash below its
    /// first faults counts as one.
    pub schedules_run: usize,
    /// Of those, the schedules with an injected I/O error.
    pub io_error_schedules: usize,
    /// Executions run and checked, the crash-free one included.
    pub cycles: usize,
    /// The crash states tried after power losses.
    pub crash_states: CrashStateStats,
    /// What failed.
    pub violations: Vec<Violation>,
    /// Crash point coverage.
    pub coverage: Coverage,
    /// True if the scenario already fails with no crash; then no schedule was run.
    pub crash_free: bool,
}

/// Explores every schedule of `scenario` up to `options.depth`. `progress` gets the first
/// faults done and their total.
pub fn explore(
    scenario: &Scenario,
    options: &ExploreOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> ExploreOutcome {
    let explored = explored(scenario, options, progress);
    let Some(subtrees) = explored.subtrees else {
        return crash_free_violation(&explored.base, &explored.uncrashed, options);
    };
    let mut outcome = ExploreOutcome {
        first_faults_total: explored.first_faults_total,
        first_faults_run: subtrees.len(),
        schedules_run: 0,
        io_error_schedules: 0,
        cycles: 1,
        crash_states: CrashStateStats::default(),
        violations: Vec::new(),
        coverage: Coverage::default(),
        crash_free: false,
    };
    for subtree in subtrees {
        outcome.crash_states.add(&subtree.stats);
        subtree.leaves.into_iter().for_each(|leaf| outcome.add(leaf));
    }
    for violation in outcome.violations.iter_mut().take(options.reproducers_max) {
        let case = reproducer(&explored.base, &violation.injection, &violation.findings);
        violation.reproducer = Some(minimize(&case, "crashpoint explore").0);
    }
    outcome
}

/// Every schedule [`explore`] runs, each as the injection that replays it from scratch on the
/// returned scenario (with [`crate::scenario::verify_with_oracle`] and `Oracle::of(scenario)`):
/// to run schedules elsewhere, or to measure what forking saves (`cargo bench --bench fork`).
/// Empty when the crash-free run already fails.
pub fn schedules(scenario: &Scenario, options: &ExploreOptions) -> (Scenario, Vec<Injection>) {
    let explored = explored(scenario, options, &|_, _| {});
    let leaves = explored.subtrees.into_iter().flatten().flat_map(|subtree| subtree.leaves);
    let injections = leaves.map(|leaf| leaf.injection).collect();
    (explored.base, injections)
}

/// The scenario the schedules run on, its crash-free run, and the schedules below this shard's
/// first faults (`None` when the crash-free run fails: crashing it proves nothing more).
struct Explored {
    base: Scenario,
    uncrashed: Report,
    first_faults_total: usize,
    subtrees: Option<Vec<Subtree>>,
}

fn explored(scenario: &Scenario, options: &ExploreOptions, progress: &(dyn Fn(usize, usize) + Sync)) -> Explored {
    let scenario = &with_final_drain(scenario);
    let mut base = scenario.without_crashes();
    base.query.bugs = scenario.query.bugs.clone();
    let oracle = Oracle::of(scenario);
    let simulated = options.disk == DiskKind::Simulated;
    let record_io = options.io_errors && simulated;
    // The crash-free run first: it counts the hits and the I/O operations, and leaves a fork at
    // the start of every run for the schedules to begin from.
    let injection = Injection { disk: options.disk, record_io, ..Injection::default() };
    let (starts, runner) = run_with_starts(&base, injection.clone());
    let uncrashed = judge(&base, &injection, runner.finish(), &oracle);
    if uncrashed.violated() {
        return Explored { base, uncrashed, first_faults_total: 0, subtrees: None };
    }
    let faults = first_faults(&uncrashed.execution.processes, &uncrashed.execution.root, record_io);
    let mine: Vec<usize> = (0..faults.len()).filter(|i| i % options.shard.count == options.shard.index - 1).collect();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let tick = || progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1, mine.len());
    let ctx = Ctx { base: &base, oracle: &oracle, options };
    let subtrees = run_indexed(mine.len(), options.threads, |k| explore_first(&ctx, &starts, &faults[mine[k]]), tick);
    drop(starts);
    Explored { base, uncrashed, first_faults_total: faults.len(), subtrees: Some(subtrees) }
}

impl ExploreOutcome {
    fn add(&mut self, leaf: Leaf) {
        self.schedules_run += 1;
        self.cycles += 1;
        self.io_error_schedules += usize::from(!leaf.injection.io_errors.is_empty());
        for record in leaf.outcome.processes.iter().filter(|p| p.crashed.is_some()) {
            let (point, _) = record.crashed.expect("filtered on crashed");
            *self.coverage.crashes_by_point.entry(point).or_default() += 1;
        }
        if let Some(findings) = leaf.outcome.findings {
            self.violations.push(Violation { injection: leaf.injection, findings, reproducer: None });
        }
    }
}

/// Every first fault of the crash-free run: a crash at each (run, point, hit), then, with
/// `io_errors`, a failure of each storage operation of each run, named by its path relative to
/// `root` and its count among the operations of that kind on that path.
fn first_faults(processes: &[ProcessRecord], root: &Path, io_errors: bool) -> Vec<FirstFault> {
    let mut faults = Vec::new();
    for record in processes {
        for (point, hits) in &record.hits {
            let crashes = (1..=*hits).map(|hit| FirstFault::Crash { process: record.ordinal, point: *point, hit });
            faults.extend(crashes);
        }
    }
    for record in processes.iter().filter(|_| io_errors) {
        let mut seen: BTreeMap<(crashpoint_engine::storage::IoOp, &Path), u32> = BTreeMap::new();
        for (op, path) in &record.io_ops {
            let hit = seen.entry((*op, path)).or_insert(0);
            *hit += 1;
            let relative = path.strip_prefix(root).unwrap_or(path).to_string_lossy().into_owned();
            let fault = IoFault { op: *op, path: Some(relative), hit: *hit, errno: op.typical_errno() };
            faults.push(FirstFault::Io { process: record.ordinal, fault });
        }
    }
    faults
}

/// The outcome when the scenario fails with no crash at all: that one violation, shrunk.
fn crash_free_violation(base: &Scenario, report: &Report, options: &ExploreOptions) -> ExploreOutcome {
    let findings = findings_of(report);
    let reproducer = (options.reproducers_max > 0)
        .then(|| minimize(&reproducer(base, &Injection::default(), &findings), "crashpoint explore").0);
    let violation = Violation { injection: Injection::default(), findings, reproducer };
    ExploreOutcome {
        first_faults_total: 0,
        first_faults_run: 0,
        schedules_run: 0,
        io_error_schedules: 0,
        cycles: 1,
        crash_states: CrashStateStats::default(),
        violations: vec![violation],
        coverage: Coverage::default(),
        crash_free: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_cases() {
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, count: 4 }));
        for bad in ["0/4", "5/4", "a/b", "3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn schedules_are_the_ones_explore_runs_and_replay_to_the_same_verdicts() {
        // Goal: `schedules` hands out exactly what `explore` runs. Method: the tutorial with a
        // seeded bug at depth 1 with power losses; the count must equal explore's, and the
        // schedules that violate when replayed from scratch must be explore's violations.
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/tutorial.toml");
        let mut scenario = Scenario::load(&path).unwrap();
        scenario.query.bugs.push("commit-before-sink".into());
        let options = ExploreOptions { power_loss: true, reproducers_max: 0, ..ExploreOptions::default() };
        let outcome = explore(&scenario, &options, &|_, _| {});
        let (base, injections) = schedules(&scenario, &options);
        assert_eq!(injections.len(), outcome.schedules_run);
        let oracle = Oracle::of(&base);
        let violating: Vec<&Injection> =
            injections.iter().filter(|i| crate::scenario::verify_with_oracle(&base, i, &oracle).violated()).collect();
        let expected: Vec<&Injection> = outcome.violations.iter().map(|v| &v.injection).collect();
        assert!(!expected.is_empty(), "the seeded bug must show, or equal verdicts mean little");
        assert_eq!(violating, expected);
    }
}
