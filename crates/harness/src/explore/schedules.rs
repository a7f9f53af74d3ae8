//! Systematic exploration: first a run that counts the hits of every crash point in every run
//! (redb's two passes), then one schedule per (run, point, hit); with depth 2, also a second
//! crash at every point of the recovery run after each first crash.

use super::parallel::run_indexed;
use super::reproducer::{findings_of, minimize, reproducer, with_final_drain};
use crate::scenario::{
    DiskKind, InjectedCrash, Injection, Oracle, ProcessRecord, Report, Scenario, verify_with_oracle,
};
use crashpoint_engine::faults::CrashPoint;
use std::collections::BTreeMap;

/// The part of the schedules this process runs: `index` of `count` (from 1), for CI matrices.
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
    /// Which share of the schedules to run.
    pub shard: Shard,
    /// Also try each crash as a power loss (unsynced writes lost).
    pub power_loss: bool,
    /// Shrink at most this many violations to a minimal reproducer.
    pub reproducers_max: usize,
    /// The disk the schedules run on: a real temp directory is slower and has no power losses.
    pub disk: DiskKind,
}

impl Default for ExploreOptions {
    fn default() -> Self {
        Self {
            depth: 1,
            threads: 1,
            shard: Shard::default(),
            power_loss: false,
            reproducers_max: 5,
            disk: DiskKind::Simulated,
        }
    }
}

/// A schedule that broke exactly-once or an invariant.
#[derive(Debug, Clone)]
pub struct Violation {
    /// The crashes.
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
    /// Schedules enumerated in all shards.
    pub schedules_total: usize,
    /// Schedules run and checked by this shard.
    pub schedules_run: usize,
    /// Crash, restart, recover and verify cycles executed (depth-1 enumeration included).
    pub cycles: usize,
    /// What failed.
    pub violations: Vec<Violation>,
    /// Crash point coverage.
    pub coverage: Coverage,
    /// True if the scenario already fails with no crash; then no schedule was run.
    pub crash_free: bool,
}

/// What one schedule's run left to know: its processes (for coverage and depth 2), and its
/// findings if it violated.
#[derive(Debug, Clone)]
struct Outcome {
    processes: Vec<ProcessRecord>,
    findings: Option<Vec<String>>,
}

impl Outcome {
    fn of(report: &Report) -> Self {
        let findings = report.violated().then(|| findings_of(report));
        Outcome { processes: report.execution.processes.clone(), findings }
    }
}

/// One schedule per (point, hit) of `process`, after the crashes in `prefix`.
fn crashes_in(
    processes: &[ProcessRecord],
    process: u32,
    options: &ExploreOptions,
    prefix: &[InjectedCrash],
) -> Vec<Injection> {
    // Power losses need the simulated disk.
    let power_loss = options.power_loss && options.disk == DiskKind::Simulated;
    let Some(record) = processes.iter().find(|p| p.ordinal == process) else { return Vec::new() };
    let mut schedules = Vec::new();
    for (point, hits) in &record.hits {
        for hit in 1..=*hits {
            for loss in [false, true].into_iter().filter(|l| !l || power_loss) {
                let mut crashes = prefix.to_vec();
                crashes.push(InjectedCrash { process, point: *point, hit, power_loss: loss });
                schedules.push(Injection { crashes, disk: options.disk });
            }
        }
    }
    schedules
}

/// Explores every crash schedule of `scenario` up to `options.depth`.
pub fn explore(
    scenario: &Scenario,
    options: &ExploreOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> ExploreOutcome {
    let scenario = &with_final_drain(scenario);
    let mut base = scenario.without_crashes();
    base.query.bugs = scenario.query.bugs.clone();
    let oracle = Oracle::of(scenario);
    // The crash-free run first: it counts the hits, and if it already fails, crashing it proves
    // nothing more.
    let uncrashed = verify_with_oracle(&base, &Injection { crashes: Vec::new(), disk: options.disk }, &oracle);
    if uncrashed.violated() {
        return crash_free_violation(&base, &uncrashed, options);
    }
    let counting = &uncrashed.execution;
    let first: Vec<Injection> =
        counting.processes.iter().flat_map(|p| crashes_in(&counting.processes, p.ordinal, options, &[])).collect();
    let total_hint = first.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let tick = |total: usize| progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1, total);
    // Only a summary of each run is kept: thousands of full executions would fill memory.
    let check = |injection: &Injection| Outcome::of(&verify_with_oracle(&base, injection, &oracle));
    // At depth 1 a shard runs only its share; at depth 2 every shard runs every first crash,
    // because the second crashes are enumerated from their recovery runs.
    let first_mine: Vec<usize> =
        (0..first.len()).filter(|i| options.depth >= 2 || i % options.shard.count == options.shard.index - 1).collect();
    let first_run =
        run_indexed(first_mine.len(), options.threads, |k| check(&first[first_mine[k]]), || tick(total_hint));
    let mut first_outcomes: Vec<Option<Outcome>> = first.iter().map(|_| None).collect();
    for (k, outcome) in first_run.into_iter().enumerate() {
        first_outcomes[first_mine[k]] = Some(outcome);
    }
    let mut schedules: Vec<(Injection, Option<Outcome>)> = Vec::new();
    let mut second = Vec::new();
    for (injection, outcome) in first.iter().zip(first_outcomes) {
        let crash = injection.crashes[0];
        if let Some(outcome) = &outcome
            && options.depth >= 2
            && outcome.processes.iter().any(|p| p.ordinal == crash.process && p.crashed.is_some())
        {
            second.extend(crashes_in(&outcome.processes, crash.process + 1, options, &injection.crashes));
        }
        schedules.push((injection.clone(), outcome));
    }
    schedules.extend(second.into_iter().map(|i| (i, None)));
    let total = schedules.len();
    let mine: Vec<usize> = (0..total).filter(|i| i % options.shard.count == options.shard.index - 1).collect();
    let cycles = first_mine.len() + mine.iter().filter(|i| schedules[**i].1.is_none()).count();
    done.store(first_mine.len().min(total), std::sync::atomic::Ordering::Relaxed);
    let outcomes = run_indexed(
        mine.len(),
        options.threads,
        |k| match &schedules[mine[k]] {
            (_, Some(outcome)) => outcome.clone(),
            (injection, None) => check(injection),
        },
        || tick(total),
    );
    let mut coverage = Coverage::default();
    let mut violations = Vec::new();
    for (k, outcome) in outcomes.into_iter().enumerate() {
        for record in outcome.processes.iter().filter(|p| p.crashed.is_some()) {
            let (point, _) = record.crashed.expect("filtered on crashed");
            *coverage.crashes_by_point.entry(point).or_default() += 1;
        }
        if let Some(findings) = outcome.findings {
            violations.push(Violation { injection: schedules[mine[k]].0.clone(), findings, reproducer: None });
        }
    }
    for violation in violations.iter_mut().take(options.reproducers_max) {
        let case = reproducer(&base, &violation.injection, &violation.findings);
        violation.reproducer = Some(minimize(&case, "crashpoint explore").0);
    }
    ExploreOutcome {
        schedules_total: total,
        schedules_run: mine.len(),
        cycles,
        violations,
        coverage,
        crash_free: false,
    }
}

/// The outcome when the scenario fails with no crash at all: that one violation, shrunk.
fn crash_free_violation(base: &Scenario, report: &Report, options: &ExploreOptions) -> ExploreOutcome {
    let findings = findings_of(report);
    let reproducer = (options.reproducers_max > 0)
        .then(|| minimize(&reproducer(base, &Injection::default(), &findings), "crashpoint explore").0);
    let violation = Violation { injection: Injection::default(), findings, reproducer };
    ExploreOutcome {
        schedules_total: 0,
        schedules_run: 0,
        cycles: 1,
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
}
