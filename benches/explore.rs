//! Exploration speed: crash-recover-verify cycles per second on the tutorial scenario, at
//! depth 1 and 2, on the simulated disk and on real temp directories, side by side in one run.
//!
//! Run: `cargo bench --bench explore`. A cycle is one crash schedule: run the scenario with the
//! crash, restart, complete, and verify against the oracle and the invariants.
//!
//! `CRASHPOINT_BENCH_CURVES=1 cargo bench --bench explore` measures the two curves of issue 12
//! instead, on the simulated disk at depth 2 with power losses (up to 64 crash states a crash):
//!
//! - schedules/s of the tutorial by threads (1, 2), each point the median of
//!   `CRASHPOINT_BENCH_RUNS` (3) whole explorations;
//! - schedules/s and the number of schedules by scenario length (a scenario of B batches, one
//!   file each, file sink, for B = 2, 4, 6, 8, 10, 12) on all cores. A long scenario has too many
//!   schedules to run whole in a bench (from B = 10 on, a run writes the logs' compactions, whose
//!   crash states multiply them: about 1.3 million at B = 12), so each point runs a bounded, evenly spread share of the first faults: every k-th one (a
//!   shard), with k the smallest that leaves at most `CRASHPOINT_BENCH_FIRST_FAULTS` (20; 0 for
//!   all). Its schedules/s is measured on that share; the total is the share's schedules scaled
//!   by first faults total / run, and is printed as exact when the share is all of them.
//!   `CRASHPOINT_BENCH_BATCHES` (`2,4,6,8,10,12`) lists the lengths.
//!
//! The load average is printed before and after.

use crashpoint_harness::explore::{ExploreOptions, Shard, explore};
use crashpoint_harness::scenario::{DiskKind, Scenario};
use std::path::Path;
use std::time::Instant;

fn measure(scenario: &Scenario, depth: u32, disk: DiskKind, threads: usize) -> (usize, f64, usize) {
    let options = ExploreOptions { depth, threads, disk, ..ExploreOptions::default() };
    let started = Instant::now();
    let outcome = explore(scenario, &options, &|_, _| {});
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(outcome.coverage.hit(), outcome.coverage.total(), "every crash point must be reached");
    assert!(outcome.violations.is_empty(), "the correct engine must pass: {:?}", outcome.violations.first());
    (outcome.cycles, seconds, outcome.violations.len())
}

/// What one exploration at depth 2 with power losses did, checked.
struct Explored {
    schedules: usize,
    seconds: f64,
    first_faults_run: usize,
    first_faults_total: usize,
}

fn explore_depth_2(scenario: &Scenario, threads: usize, shard: Shard) -> Explored {
    let options = ExploreOptions { depth: 2, threads, power_loss: true, shard, ..ExploreOptions::default() };
    let started = Instant::now();
    let outcome = explore(scenario, &options, &|_, _| {});
    let seconds = started.elapsed().as_secs_f64();
    assert!(outcome.violations.is_empty(), "the correct engine must pass: {:?}", outcome.violations.first());
    Explored {
        schedules: outcome.schedules_run,
        seconds,
        first_faults_run: outcome.first_faults_run,
        first_faults_total: outcome.first_faults_total,
    }
}

/// Schedules and seconds of one whole exploration at depth 2 with power losses, checked.
fn schedules_per_s(scenario: &Scenario, threads: usize) -> (usize, f64) {
    let explored = explore_depth_2(scenario, threads, Shard::default());
    (explored.schedules, explored.seconds)
}

/// A scenario of `batches` batches: one file each, file sink, `maxFilesPerTrigger` 1, one run.
fn scenario_of(batches: usize) -> Scenario {
    let mut text = String::from("[query]\nsink = \"file\"\nsource = { max-files-per-trigger = 1 }\n");
    for b in 0..batches {
        let line =
            format!(r#"{{"eventId": "e{b}", "data": {{"devices": [{{"deviceId": "d{b}", "temperature": 20.5}}]}}}}"#);
        text += &format!("\n[[step]]\nadd = \"device_{b:02}.json\"\nlines = ['{line}']\n");
    }
    text += "\n[[step]]\nrun = \"available-now\"\n\n[expect]\nverdict = \"pass\"\n";
    Scenario::parse(Path::new(&format!("batches_{batches}.toml")), &text).expect("the generated scenario parses")
}

fn median_of(runs: usize, mut measure: impl FnMut() -> (usize, f64)) -> (usize, f64) {
    let mut results: Vec<(usize, f64)> = (0..runs).map(|_| measure()).collect();
    results.sort_by(|a, b| a.1.total_cmp(&b.1));
    results[results.len() / 2]
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(|_| "unknown".into(), |l| l.trim().to_string())
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().map_or(default, |v| v.parse().unwrap_or_else(|_| panic!("{name}={v} is not a number")))
}

fn curves(tutorial: &Scenario, cores: usize) {
    let runs = env_number("CRASHPOINT_BENCH_RUNS", 3).max(1);
    let first_faults_max = env_number("CRASHPOINT_BENCH_FIRST_FAULTS", 20);
    println!("load average before: {}", load_average());
    println!("\ntutorial, depth 2, power losses, simulated disk, by threads (median of {runs}):");
    println!("{:>7} {:>10} {:>9} {:>12}", "threads", "schedules", "seconds", "schedules/s");
    for threads in [1, 2] {
        let (schedules, seconds) = median_of(runs, || schedules_per_s(tutorial, threads));
        println!("{threads:>7} {schedules:>10} {seconds:>9.2} {:>12.0}", schedules as f64 / seconds);
    }
    println!(
        "\nB batches (one file each, file sink), depth 2, power losses, {cores} threads, at most {first_faults_max} first faults run a point:"
    );
    println!(
        "{:>7} {:>12} {:>15} {:>9} {:>12} {:>16}",
        "batches", "first faults", "run (shard)", "seconds", "schedules/s", "schedules, all"
    );
    let mut totals = Vec::new();
    let batch_counts: Vec<usize> = std::env::var("CRASHPOINT_BENCH_BATCHES")
        .unwrap_or_else(|_| "2,4,6,8,10,12".into())
        .split(',')
        .map(|b| b.trim().parse().expect("CRASHPOINT_BENCH_BATCHES is a list of numbers"))
        .collect();
    for batches in batch_counts {
        let scenario = scenario_of(batches);
        // A shard of one in a million runs the first fault alone: it tells how many there are.
        let probe = explore_depth_2(&scenario, cores, Shard { index: 1, count: 1_000_000 });
        let total = probe.first_faults_total;
        let count = if first_faults_max == 0 { 1 } else { total.div_ceil(first_faults_max).max(1) };
        let share = explore_depth_2(&scenario, cores, Shard { index: 1, count });
        let all = share.schedules as f64 * total as f64 / share.first_faults_run as f64;
        let exactness = if count == 1 { "exact" } else { "scaled" };
        println!(
            "{batches:>7} {total:>12} {:>15} {:>9.2} {:>12.0} {:>10.0} {exactness}",
            format!("{} (1/{count})", share.first_faults_run),
            share.seconds,
            share.schedules as f64 / share.seconds,
            all
        );
        totals.push((batches as f64, all));
    }
    // The growth: the exponent of a power law through the first and the last point.
    if let (Some(first), Some(last)) = (totals.first(), totals.last()) {
        let exponent = (last.1 / first.1).ln() / (last.0 / first.0).ln();
        println!("schedules grow as batches^{exponent:.2} from {} to {} batches", first.0, last.0);
    }
    println!("\nload average after: {}", load_average());
}

fn main() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/tutorial.toml");
    let scenario = Scenario::load(&path).expect("the tutorial scenario ships with the project");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if std::env::var_os("CRASHPOINT_BENCH_CURVES").is_some() {
        return curves(&scenario, cores);
    }
    let system_temp = std::env::temp_dir();
    // Real disks wait on fsync, so more threads than cores help there.
    let mut disks = vec![("simulated disk (in memory)", DiskKind::Simulated, None, cores)];
    disks.push(("real temp dir", DiskKind::Real, Some(system_temp.clone()), cores));
    disks.push(("real temp dir", DiskKind::Real, Some(system_temp.clone()), cores * 4));
    if Path::new("/dev/shm").is_dir() {
        disks.push(("real temp dir on tmpfs", DiskKind::Real, Some("/dev/shm".into()), cores));
    }
    println!("explore benchmark: {} ({cores} cores)", path.display());
    println!("{:<40} {:>7} {:>5} {:>8} {:>9} {:>10}", "disk", "threads", "depth", "cycles", "seconds", "cycles/s");
    for (name, disk, temp, threads) in disks {
        if let Some(dir) = &temp {
            // SAFETY: set before any thread of this process reads the environment.
            unsafe { std::env::set_var("TMPDIR", dir) };
        }
        for depth in [1, 2] {
            let (cycles, seconds, _) = measure(&scenario, depth, disk, threads);
            let shown = temp.as_ref().map_or(name.to_string(), |d| format!("{name} ({})", d.display()));
            let rate = cycles as f64 / seconds;
            println!("{shown:<40} {threads:>7} {depth:>5} {cycles:>8} {seconds:>9.2} {rate:>10.0}");
        }
    }
}
