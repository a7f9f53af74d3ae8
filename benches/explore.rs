//! Exploration speed: crash-recover-verify cycles per second on the tutorial scenario, at
//! depth 1 and 2, on the simulated disk and on real temp directories, side by side in one run.
//!
//! Run: `cargo bench --bench explore`. A cycle is one crash schedule: run the scenario with the
//! crash, restart, complete, and verify against the oracle and the invariants.
//!
//! `CRASHPOINT_BENCH_CURVES=1 cargo bench --bench explore` measures the two curves of issue 12
//! instead, on the simulated disk at depth 2 with power losses (every crash state): schedules/s
//! of the tutorial by threads (1, 2, 4), and by scenario length (a scenario of B batches, one
//! file each, file sink, for B = 2, 4, 6, 8, 12) on all cores. Each point is the median of
//! `CRASHPOINT_BENCH_RUNS` (3) runs, and the load average is printed before and after.

use crashpoint_harness::explore::{ExploreOptions, explore};
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

/// Schedules and seconds of one exploration at depth 2 with power losses, checked.
fn schedules_per_s(scenario: &Scenario, threads: usize) -> (usize, f64) {
    let options = ExploreOptions { depth: 2, threads, power_loss: true, ..ExploreOptions::default() };
    let started = Instant::now();
    let outcome = explore(scenario, &options, &|_, _| {});
    let seconds = started.elapsed().as_secs_f64();
    assert!(outcome.violations.is_empty(), "the correct engine must pass: {:?}", outcome.violations.first());
    (outcome.schedules_run, seconds)
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

fn curves(tutorial: &Scenario, cores: usize) {
    let runs = std::env::var("CRASHPOINT_BENCH_RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(3usize).max(1);
    println!("load average before: {}", load_average());
    println!("\ntutorial, depth 2, power losses, simulated disk, by threads (median of {runs}):");
    println!("{:>7} {:>10} {:>9} {:>12}", "threads", "schedules", "seconds", "schedules/s");
    for threads in [1, 2, 4] {
        let (schedules, seconds) = median_of(runs, || schedules_per_s(tutorial, threads));
        println!("{threads:>7} {schedules:>10} {seconds:>9.2} {:>12.0}", schedules as f64 / seconds);
    }
    println!("\nB batches (one file each, file sink), depth 2, power losses, {cores} threads (median of {runs}):");
    println!("{:>7} {:>10} {:>9} {:>12}", "batches", "schedules", "seconds", "schedules/s");
    for batches in [2, 4, 6, 8, 12] {
        let scenario = scenario_of(batches);
        let (schedules, seconds) = median_of(runs, || schedules_per_s(&scenario, cores));
        println!("{batches:>7} {schedules:>10} {seconds:>9.2} {:>12.0}", schedules as f64 / seconds);
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
