//! `crashpoint explore SCENARIO`: every crash schedule, in parallel, with coverage.

use super::EXIT_CHECK_FAILED;
use crashpoint_engine::faults::CrashPoint;
use crashpoint_harness::bugs::Bug;
use crashpoint_harness::explore::{ExploreOptions, Shard, explore};
use crashpoint_harness::scenario::{DiskKind, Scenario, Step};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct ExploreArgs {
    /// The scenario file.
    scenario: PathBuf,
    /// 1: a crash at every point of every batch; 2: also a second crash during recovery.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=2))]
    depth: u32,
    /// Worker threads (default: all cores). The result does not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Run only share K of N of the schedules, e.g. 2/4 (for CI matrix jobs).
    #[arg(long, default_value = "1/1")]
    shard: Shard,
    /// Also try every crash as a power loss (writes not fsynced are lost).
    #[arg(long)]
    power_loss: bool,
    /// Switch on a seeded engine bug; repeatable.
    #[arg(long = "bug", value_parser = parse_bug)]
    bugs: Vec<Bug>,
    /// Run the schedules on a real temp directory instead of the simulated disk (slower; no power losses).
    #[arg(long)]
    real_disk: bool,
    /// Write shrunk reproducers of violations as scenario files into this folder.
    #[arg(long)]
    write_reproducers: Option<PathBuf>,
}

fn parse_bug(s: &str) -> Result<Bug, String> {
    s.parse()
}

pub fn run(args: ExploreArgs) -> anyhow::Result<ExitCode> {
    let mut scenario = Scenario::load(&args.scenario)?;
    let expects_error = scenario.steps.iter().position(|s| matches!(s, Step::Run(run) if run.expect_error.is_some()));
    if let Some(step) = expects_error {
        anyhow::bail!(
            "{}: step {} expects an error; a crash before it can legitimately move or remove it, so crash \
             schedules of this scenario cannot be judged against its oracle. Explore a scenario without expect-error.",
            args.scenario.display(),
            step + 1
        );
    }
    scenario.query.bugs.extend(args.bugs.iter().map(|b| b.name().to_string()));
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    let options = ExploreOptions {
        depth: args.depth,
        threads,
        shard: args.shard,
        power_loss: args.power_loss,
        reproducers_max: 5,
        disk: if args.real_disk { DiskKind::Real } else { DiskKind::Simulated },
    };
    println!(
        "explore {}: depth {}, shard {}/{}, {threads} thread(s){}",
        args.scenario.display(),
        args.depth,
        args.shard.index,
        args.shard.count,
        if args.power_loss { ", with power losses" } else { "" }
    );
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} schedules {per_sec} ETA {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let outcome = explore(&scenario, &options, &|done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    });
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    if outcome.crash_free {
        println!("the scenario already fails with no crash at all, so no crash schedule was run:");
    }
    println!("schedules: {} run of {} in all", outcome.schedules_run, outcome.schedules_total);
    eprintln!(
        "speed: {} crash-recover-verify cycles in {seconds:.2} s ({:.0} cycles/s)",
        outcome.cycles,
        outcome.cycles as f64 / seconds.max(1e-9)
    );
    println!("coverage: {}/{} crash points hit", outcome.coverage.hit(), outcome.coverage.total());
    for point in CrashPoint::ALL {
        let count = outcome.coverage.crashes_by_point.get(&point).copied().unwrap_or(0);
        println!("  {:<24} {count} schedule(s){}", point.name(), if count == 0 { "  <- never reached" } else { "" });
    }
    println!("violations: {}", outcome.violations.len());
    for (n, violation) in outcome.violations.iter().enumerate() {
        let crashes: Vec<String> = violation
            .injection
            .crashes
            .iter()
            .map(|c| {
                format!(
                    "run {} at {} (hit {}){}",
                    c.process,
                    c.point,
                    c.hit,
                    if c.power_loss { " + power loss" } else { "" }
                )
            })
            .collect();
        let crashes = if crashes.is_empty() { "none".to_string() } else { crashes.join(", then ") };
        println!("\n#{}: crash {crashes}", n + 1);
        violation.findings.iter().take(5).for_each(|f| println!("  - {f}"));
        if let Some(case) = &violation.reproducer {
            println!("  reproducer ({} steps; paste into a .toml file and `crashpoint run` it):", case.steps.len());
            println!("{}", indent(&case.to_toml()));
            if let Some(dir) = &args.write_reproducers {
                std::fs::create_dir_all(dir)?;
                let path = dir.join(format!("{}-explore-{}.toml", scenario.name(), n + 1));
                std::fs::write(&path, case.to_toml())?;
                println!("  written to {}", path.display());
            }
        }
    }
    Ok(if outcome.violations.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_CHECK_FAILED) })
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
}
