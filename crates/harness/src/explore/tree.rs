//! The schedules below one first fault, run by forking the simulated world instead of replaying
//! each schedule from the start.
//!
//! A first crash runs from the start of its process (shared by every crash of that process) to
//! the crash; then each crash state forks from there; at depth 2 each state's recovery run is
//! forked again at every crash point it hits. An I/O error fails one operation of a process,
//! with and without a power loss afterwards. Every leaf is judged against the oracle.
//!
//! A fork finishes exactly as a run from scratch with the same injection would, so a leaf's
//! injection alone reproduces it (that is what reproducers and shrinking use).

use super::crash_states::{CrashStateStats, choose};
use super::reproducer::findings_of;
use super::schedules::ExploreOptions;
use crate::scenario::{
    InjectedCrash, InjectedIoError, Injection, Oracle, ProcessRecord, Report, Runner, Scenario, judge,
};
use crashpoint_engine::faults::CrashPoint;
use crashpoint_engine::storage::IoFault;

/// What an exploration shares between its schedules.
pub(super) struct Ctx<'a> {
    /// The scenario without its own crashes, with its seeded bugs.
    pub base: &'a Scenario,
    /// What the scenario must give.
    pub oracle: &'a Oracle,
    pub options: &'a ExploreOptions,
}

/// What one schedule's run left to know: its processes (for coverage), and its findings if it
/// violated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Outcome {
    pub processes: Vec<ProcessRecord>,
    pub findings: Option<Vec<String>>,
    /// A digest of the trace and of what a reader sees: equal for a fork and a run from scratch.
    pub digest: u64,
}

impl Outcome {
    pub(super) fn of(report: &Report) -> Self {
        use std::hash::{Hash, Hasher};
        let findings = report.violated().then(|| findings_of(report));
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        report.execution.trace.hash(&mut hasher);
        format!("{:?}", report.execution.output).hash(&mut hasher);
        Outcome { processes: report.execution.processes.clone(), findings, digest: hasher.finish() }
    }
}

/// A schedule, run and judged.
pub(super) struct Leaf {
    pub injection: Injection,
    pub outcome: Outcome,
}

/// The schedules of one first fault, and the crash states they tried.
#[derive(Default)]
pub(super) struct Subtree {
    pub leaves: Vec<Leaf>,
    pub stats: CrashStateStats,
}

/// The first fault of a schedule: the unit that shards and threads share out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum FirstFault {
    /// A crash at the `hit`-th hit of `point` in `process`.
    Crash { process: u32, point: CrashPoint, hit: u32 },
    /// A failed storage operation in `process` (path relative to the world's root).
    Io { process: u32, fault: IoFault },
}

impl FirstFault {
    fn process(&self) -> u32 {
        match self {
            FirstFault::Crash { process, .. } | FirstFault::Io { process, .. } => *process,
        }
    }
}

/// Runs `base` without a fault to the end, leaving a fork paused at the start of every run:
/// where the schedules of that run begin. Returns the forks and the finished runner.
pub(super) fn run_with_starts<'s>(base: &'s Scenario, injection: Injection) -> (Vec<Runner<'s>>, Runner<'s>) {
    let mut runner = Runner::new(base, injection);
    let mut starts = Vec::new();
    while runner.advance_to_process(starts.len() as u32 + 1) {
        starts.push(runner.fork());
        runner.advance();
    }
    runner.run_to_end();
    (starts, runner)
}

/// Every schedule below `fault`, forked from `starts[process - 1]` (paused just before it).
pub(super) fn explore_first(ctx: &Ctx<'_>, starts: &[Runner<'_>], fault: &FirstFault) -> Subtree {
    let mut out = Subtree::default();
    let start = &starts[fault.process() as usize - 1];
    match fault {
        FirstFault::Crash { process, point, hit } => {
            let crash =
                InjectedCrash { process: *process, point: *point, hit: *hit, power_loss: false, persisted: vec![] };
            let key = format!("{process}/{point}/{hit}");
            crash_states(ctx, start, crash, ctx.options.depth.saturating_sub(1), &key, &mut out);
        }
        FirstFault::Io { process, fault } => io_error(ctx, start, *process, fault, &mut out),
    }
    out
}

/// A crash, then every crash state of it (no power loss among them), each run to the end or,
/// with depth left, through every crash of its recovery run.
fn crash_states(
    ctx: &Ctx<'_>,
    start: &Runner<'_>,
    crash: InjectedCrash,
    depth_left: u32,
    key: &str,
    out: &mut Subtree,
) {
    let options = ctx.options;
    let mut crashed = start.fork();
    crashed.injection_mut().record_io = false;
    crashed.injection_mut().crashes.push(crash.clone());
    crashed.advance();
    let record = crashed.processes().last().filter(|p| p.ordinal == crash.process);
    let did_crash = record.is_some_and(|p| p.crashed.is_some());
    let number = record.map_or(0, |p| p.step);
    let mut states: Vec<Option<Vec<String>>> = vec![None];
    if let Some(sim) = crashed.world().sim().filter(|_| did_crash && options.power_loss) {
        let root = crashed.world().root();
        let (chosen, stats) = choose(sim, root, options.disk_model, options.crash_states_max, options.seed, key);
        out.stats.add(&stats);
        states.extend(chosen.into_iter().map(Some));
    }
    for (index, state) in states.into_iter().enumerate() {
        let mut runner = crashed.fork();
        if let Some(kept) = &state {
            let injected = runner.injection_mut().crashes.iter_mut().find(|c| c.process == crash.process);
            let injected = injected.expect("the crash was injected above");
            injected.power_loss = true;
            injected.persisted = kept.clone();
            runner.lose_power(number, kept);
        }
        if depth_left > 0 && did_crash {
            recover_and_crash(ctx, runner, crash.process + 1, depth_left - 1, &format!("{key}/{index}"), out);
        } else {
            out.leaves.push(leaf(ctx, runner));
        }
    }
}

/// The recovery run after a crash: once without a crash (a leaf, whose hits it counts), then
/// crashed at each of them.
fn recover_and_crash(ctx: &Ctx<'_>, mut runner: Runner<'_>, next: u32, depth_left: u32, key: &str, out: &mut Subtree) {
    if !runner.advance_to_process(next) {
        out.leaves.push(leaf(ctx, runner));
        return;
    }
    let recovered = leaf(ctx, runner.fork());
    let hits = recovered.outcome.processes.iter().find(|p| p.ordinal == next).map(|p| p.hits.clone());
    out.leaves.push(recovered);
    for (point, count) in hits.unwrap_or_default() {
        for hit in 1..=count {
            let crash = InjectedCrash { process: next, point, hit, power_loss: false, persisted: vec![] };
            crash_states(ctx, &runner, crash, depth_left, &format!("{key}/{next}/{point}/{hit}"), out);
        }
    }
}

/// One failed storage operation: the run goes on as the engine decides; then the rest of the
/// scenario, and again with a power loss (nothing unsynced survives) right after the run.
fn io_error(ctx: &Ctx<'_>, start: &Runner<'_>, process: u32, fault: &IoFault, out: &mut Subtree) {
    let mut failed = start.fork();
    failed.injection_mut().record_io = false;
    failed.injection_mut().io_errors.push(InjectedIoError { process, fault: fault.clone(), power_loss: false });
    failed.advance();
    let number = failed.processes().last().map_or(0, |p| p.step);
    if ctx.options.power_loss && failed.world().sim().is_some() {
        let mut lost = failed.fork();
        lost.injection_mut().io_errors[0].power_loss = true;
        lost.lose_power(number, &[]);
        out.leaves.push(leaf(ctx, failed));
        out.leaves.push(leaf(ctx, lost));
    } else {
        out.leaves.push(leaf(ctx, failed));
    }
}

fn leaf(ctx: &Ctx<'_>, runner: Runner<'_>) -> Leaf {
    let injection = runner.injection().clone();
    let report = judge(ctx.base, &injection, runner.finish(), ctx.oracle);
    Leaf { injection, outcome: Outcome::of(&report) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::reproducer::with_final_drain;
    use crate::scenario::verify_with_oracle;
    use std::path::Path;

    #[test]
    fn every_forked_schedule_ends_as_the_same_schedule_run_from_scratch() {
        // Goal: forking the world is only faster, never different. Method: the tutorial with a
        // seeded bug (so that findings are not all empty) at depth 2 with power losses; for a
        // spread of first crashes, every leaf's injection is run from scratch and its trace,
        // output, processes and findings must equal the forked leaf's.
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/tutorial.toml");
        let mut scenario = with_final_drain(&Scenario::load(&path).unwrap());
        scenario.query.bugs.push("commit-before-sink".into());
        let mut base = scenario.without_crashes();
        base.query.bugs = scenario.query.bugs.clone();
        let oracle = Oracle::of(&scenario);
        let options = ExploreOptions { depth: 2, power_loss: true, ..ExploreOptions::default() };
        let ctx = Ctx { base: &base, oracle: &oracle, options: &options };
        let (starts, runner) = run_with_starts(&base, Injection::default());
        let processes = runner.finish().processes;
        let (mut leaves, mut violating) = (0, 0);
        for (k, record) in processes.iter().enumerate() {
            let (point, hits) = record.hits.iter().nth(k % record.hits.len()).unwrap();
            let fault = FirstFault::Crash { process: record.ordinal, point: *point, hit: *hits };
            for leaf in explore_first(&ctx, &starts, &fault).leaves {
                let fresh = Outcome::of(&verify_with_oracle(&base, &leaf.injection, &oracle));
                assert_eq!(leaf.outcome, fresh, "{:?}", leaf.injection);
                leaves += 1;
                violating += usize::from(fresh.findings.is_some());
            }
        }
        assert!(leaves > 100 && violating > 0, "{leaves} leaves, {violating} violating: too few to mean much");
    }

    #[test]
    fn an_io_error_schedule_forked_ends_as_it_does_from_scratch() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/tutorial.toml");
        let base = with_final_drain(&Scenario::load(&path).unwrap()).without_crashes();
        let oracle = Oracle::of(&base);
        let options = ExploreOptions { power_loss: true, io_errors: true, ..ExploreOptions::default() };
        let ctx = Ctx { base: &base, oracle: &oracle, options: &options };
        let (starts, _) = run_with_starts(&base, Injection::default());
        let fsync = IoFault {
            op: crashpoint_engine::storage::IoOp::Fsync,
            path: Some("checkpoint/offsets/.1.*.tmp".into()),
            hit: 1,
            errno: crashpoint_engine::storage::IoErrno::Eio,
        };
        let leaves = explore_first(&ctx, &starts, &FirstFault::Io { process: 2, fault: fsync }).leaves;
        assert_eq!(leaves.len(), 2, "without and with a power loss after the failed run");
        for leaf in leaves {
            assert!(leaf.outcome.processes[1].io_failed.is_some(), "the fsync of offsets/1's temp file failed");
            let fresh = Outcome::of(&verify_with_oracle(&base, &leaf.injection, &oracle));
            assert_eq!(leaf.outcome, fresh, "{:?}", leaf.injection);
            assert_eq!(fresh.findings, None, "the engine stops, and the next run recovers exactly-once");
        }
    }
}
