//! Exploration speed: crash-recover-verify cycles per second on the tutorial scenario, at
//! depth 1 and 2, on the simulated disk and on real temp directories, side by side in one run.
//!
//! Run: `cargo bench --bench explore`. A cycle is one crash schedule: run the scenario with the
//! crash, restart, complete, and verify against the oracle and the invariants.

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

fn main() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/tutorial.toml");
    let scenario = Scenario::load(&path).expect("the tutorial scenario ships with the project");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
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
