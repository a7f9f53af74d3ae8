//! What forking the simulated world saves: the tutorial explored at depth 2 with power losses
//! (every crash state), each schedule forked where it parts from its neighbours, next to the same
//! schedules each run from the start as exploration ran them before forking, in one run.
//!
//! Run: `cargo bench --bench fork`. The schedules to replay come from `explore::schedules` (one
//! injection per schedule); they run on the same threads, each judged against the same oracle.

use crashpoint_harness::explore::{ExploreOptions, explore, run_indexed, schedules};
use crashpoint_harness::scenario::{Injection, Oracle, Scenario, verify_with_oracle};
use std::path::Path;
use std::time::Instant;

/// Schedules and seconds of the forked exploration, checked.
fn forked(scenario: &Scenario, options: &ExploreOptions) -> (usize, f64) {
    let started = Instant::now();
    let outcome = explore(scenario, options, &|_, _| {});
    let seconds = started.elapsed().as_secs_f64();
    assert!(outcome.violations.is_empty(), "the correct engine must pass: {:?}", outcome.violations.first());
    (outcome.schedules_run, seconds)
}

/// Seconds to run every schedule from scratch, checked.
fn replayed(base: &Scenario, injections: &[Injection], threads: usize) -> f64 {
    let oracle = Oracle::of(base);
    let started = Instant::now();
    let violated = |k: usize| verify_with_oracle(base, &injections[k], &oracle).violated();
    let verdicts = run_indexed(injections.len(), threads, violated, || {});
    let seconds = started.elapsed().as_secs_f64();
    let violated = verdicts.iter().filter(|v| **v).count();
    assert_eq!(violated, 0, "a schedule replayed from scratch must pass as its fork did");
    seconds
}

fn median(mut seconds: Vec<f64>) -> f64 {
    seconds.sort_by(f64::total_cmp);
    seconds[seconds.len() / 2]
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(|_| "unknown".into(), |l| l.trim().to_string())
}

fn main() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/tutorial.toml");
    let tutorial = Scenario::load(&path).expect("the tutorial scenario loads");
    let runs = std::env::var("CRASHPOINT_BENCH_RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(3usize).max(1);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let options =
        ExploreOptions { depth: 2, threads, power_loss: true, reproducers_max: 0, ..ExploreOptions::default() };
    let (base, injections) = schedules(&tutorial, &options);
    println!("tutorial, depth 2, power losses (posix, <= 64 crash states), {threads} threads, median of {runs}");
    println!("load average before: {}", load_average());
    let (mut fork_times, mut replay_times) = (Vec::new(), Vec::new());
    // Alternate the two, so that a change of load touches both alike.
    for _ in 0..runs {
        let (schedules, seconds) = forked(&tutorial, &options);
        assert_eq!(schedules, injections.len(), "both ways run the same schedules");
        fork_times.push(seconds);
        replay_times.push(replayed(&base, &injections, threads));
    }
    let (fork, replay, n) = (median(fork_times), median(replay_times), injections.len());
    println!("{:>22} {:>10} {:>9} {:>12}", "", "schedules", "seconds", "schedules/s");
    println!("{:>22} {n:>10} {replay:>9.2} {:>12.0}", "from scratch (before)", n as f64 / replay);
    println!("{:>22} {n:>10} {fork:>9.2} {:>12.0}", "forked (now)", n as f64 / fork);
    println!("forking is {:.1}x faster", replay / fork);
    println!("load average after: {}", load_average());
}
