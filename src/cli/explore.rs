//! `crashpoint explore SCENARIO…`: every crash schedule, in parallel, with coverage; files,
//! folders and quoted globs; `--html` draws the violating schedules (or the crash-free run).

use super::EXIT_CHECK_FAILED;
use super::style::Style;
use anyhow::Context;
use crashpoint_engine::faults::CrashPoint;
use crashpoint_engine::storage::DiskModel;
use crashpoint_harness::bugs::Bug;
use crashpoint_harness::explore::{CRASH_STATES_MAX, ExploreOptions, ExploreOutcome, Shard, Violation, explore};
use crashpoint_harness::html::{Page, Picture, picture};
use crashpoint_harness::results::junit::{Case, CaseOutcome, to_junit};
use crashpoint_harness::scenario::{DiskKind, Injection, Scenario, Step};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct ExploreArgs {
    /// Scenario files, folders of them, or quoted globs.
    #[arg(required = true)]
    scenarios: Vec<PathBuf>,
    /// 1: a crash at every point of every batch; 2: also a second crash during recovery.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=2))]
    depth: u32,
    /// Worker threads (default: all cores). The result does not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Run only share K of N of the schedules, e.g. 2/4 (for CI matrix jobs).
    #[arg(long, default_value = "1/1")]
    shard: Shard,
    /// Also follow every crash by each crash state a power loss may leave (which unsynced
    /// writes, creates, renames and deletes survive), and every I/O error by a power loss.
    #[arg(long)]
    power_loss: bool,
    /// The crash states a power loss may leave: posix (each unsynced operation independently,
    /// torn last writes) or ext4-ordered (directory operations in order, a renamed file's data
    /// with its rename).
    #[arg(long, default_value = "posix")]
    disk_model: DiskModel,
    /// At most this many crash states per crash: all of them up to this, else a seeded sample.
    #[arg(long, default_value_t = CRASH_STATES_MAX)]
    crash_states: usize,
    /// Seeds the sample of crash states.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Also fail every storage operation of every run once (EIO; ENOSPC for writes and mkdir).
    #[arg(long)]
    io_errors: bool,
    /// Switch on a seeded engine bug; repeatable.
    #[arg(long = "bug", value_parser = parse_bug)]
    bugs: Vec<Bug>,
    /// Run the schedules on a real temp directory instead of the simulated disk (slower; no power losses).
    #[arg(long)]
    real_disk: bool,
    /// Write shrunk reproducers of violations as scenario files into this folder.
    #[arg(long)]
    write_reproducers: Option<PathBuf>,
    /// With a command sink: also kill the program in the middle of a batch (crash point
    /// during-sink-write, after half of the batch's rows).
    #[arg(long)]
    kill_sink: bool,
    /// Where the schedules run: the engine, or real Spark 4.3 (depth 1 only, one schedule at a
    /// time, judged against Spark's own crash-free run).
    #[arg(long, value_enum, default_value = "engine")]
    target: ExploreTarget,
    /// Also write a picture of the violating schedules (or, with none, of the crash-free run)
    /// as one self-contained HTML page.
    #[arg(long, value_name = "OUT.html")]
    html: Option<PathBuf>,
    /// Also write a JUnit XML report for CI: a testcase per explored scenario, with its time; a
    /// violation is a <failure> whose message is its first finding, a skipped scenario (one that
    /// expects an error) is skipped.
    #[arg(long, value_name = "OUT.xml")]
    junit: Option<PathBuf>,
}

/// `--target` of explore.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExploreTarget {
    /// crashpoint's engine.
    Engine,
    /// Real Spark 4.3.
    Spark,
}

fn parse_bug(s: &str) -> Result<Bug, String> {
    s.parse()
}

/// Most violating schedules drawn per scenario by `--html`.
const PICTURES_MAX: usize = 5;

pub fn run(args: ExploreArgs) -> anyhow::Result<ExitCode> {
    let files = super::paths::scenario_files(&args.scenarios, "scenarios")?;
    if args.html.is_some() && args.target == ExploreTarget::Spark {
        anyhow::bail!("--html draws runs on the engine's simulated disk; drop --target spark or --html");
    }
    let mut pictures = Vec::new();
    let mut worst = ExitCode::SUCCESS;
    let (mut explored, mut violating) = (0, 0);
    let mut cases = Vec::new();
    for file in &files {
        let mut scenario = Scenario::load(file)?;
        let expects_error =
            scenario.steps.iter().position(|s| matches!(s, Step::Run(run) if run.expect_error.is_some()));
        if let Some(step) = expects_error {
            let why = format!(
                "{}: step {} expects an error; a crash before it can legitimately move or remove it, so crash \
                 schedules of this scenario cannot be judged against its oracle",
                file.display(),
                step + 1
            );
            if files.len() == 1 {
                anyhow::bail!("{why}. Explore a scenario without expect-error.");
            }
            println!("skipped {why}\n");
            let outcome = CaseOutcome::Skipped { message: why.clone() };
            cases.push(Case { path: file.clone(), name: scenario.name(), time: Duration::ZERO, outcome });
            continue;
        }
        let started = std::time::Instant::now();
        let (code, outcome) = if args.target == ExploreTarget::Spark {
            (explore_on_spark(&args, file, &scenario)?, None)
        } else {
            explore_engine(&args, file, &mut scenario, &mut pictures)?
        };
        cases.push(Case {
            path: file.clone(),
            name: scenario.name(),
            time: started.elapsed(),
            outcome: case_outcome(code, outcome),
        });
        explored += 1;
        if code != ExitCode::SUCCESS {
            (worst, violating) = (code, violating + 1);
        }
        if files.len() > 1 {
            println!();
        }
    }
    if files.len() > 1 {
        println!("explored {explored} of {} scenario(s): {violating} with violations", files.len());
    }
    if let Some(path) = &args.junit {
        let xml = to_junit("crashpoint explore", &cases);
        std::fs::write(path, xml).with_context(|| format!("{}: cannot write the JUnit report", path.display()))?;
        println!("wrote {}", path.display());
    }
    if let Some(path) = &args.html {
        let intro = vec![format!("crashpoint explore: {} scenario(s), depth {}", files.len(), args.depth)];
        super::report::write_page(path, &Page { title: "crashpoint explore".into(), intro, pictures })?;
        println!("wrote {}", path.display());
    }
    Ok(worst)
}

/// Explores one scenario on the engine; draws its pictures into `pictures` when asked.
fn explore_engine(
    args: &ExploreArgs,
    file: &Path,
    scenario: &mut Scenario,
    pictures: &mut Vec<Picture>,
) -> anyhow::Result<(ExitCode, Option<Vec<String>>)> {
    scenario.query.bugs.extend(args.bugs.iter().map(|b| b.name().to_string()));
    if args.kill_sink {
        if scenario.query.sink.program().is_none() {
            anyhow::bail!("{}: --kill-sink needs a command sink (sink = {{ command = [...] }})", file.display());
        }
        scenario.query.sink = scenario.query.sink.with_kill_sink();
    }
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    if args.real_disk && (args.power_loss || args.io_errors) {
        anyhow::bail!("--power-loss and --io-errors need the simulated disk; drop --real-disk");
    }
    let options = ExploreOptions {
        depth: args.depth,
        threads,
        shard: args.shard,
        power_loss: args.power_loss,
        disk_model: args.disk_model,
        crash_states_max: args.crash_states.max(1),
        seed: args.seed,
        io_errors: args.io_errors,
        reproducers_max: 5,
        disk: if args.real_disk { DiskKind::Real } else { DiskKind::Simulated },
    };
    let mut extras = Vec::new();
    if args.power_loss {
        extras.push(format!(
            "power losses ({} model, at most {} crash states per crash, seed {})",
            args.disk_model, options.crash_states_max, args.seed
        ));
    }
    if args.io_errors {
        extras.push("I/O errors".to_string());
    }
    println!(
        "explore {}: depth {}, shard {}/{}, {threads} thread(s){}",
        file.display(),
        args.depth,
        args.shard.index,
        args.shard.count,
        extras.iter().map(|e| format!(", with {e}")).collect::<String>()
    );
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} first faults {per_sec} ETA {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let outcome = explore(scenario, &options, &|done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    });
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let style = Style::stdout();
    if outcome.crash_free {
        println!("the scenario already fails with no crash at all, so no crash schedule was run:");
    }
    print_counts(&outcome, &options);
    eprintln!(
        "speed: {} crash-recover-verify cycles in {seconds:.2} s ({:.0} cycles/s)",
        outcome.cycles,
        outcome.cycles as f64 / seconds.max(1e-9)
    );
    println!("coverage: {}/{} crash points hit", outcome.coverage.hit(), outcome.coverage.total());
    for point in CrashPoint::ALL {
        let count = outcome.coverage.crashes_by_point.get(&point).copied().unwrap_or(0);
        let never = if count == 0 { style.warn("  <- never reached") } else { String::new() };
        println!("  {:<24} {count} schedule(s){never}", point.name());
    }
    let found = format!("violations: {}", outcome.violations.len());
    println!("{}", if outcome.violations.is_empty() { style.good(&found) } else { style.bad(&found) });
    for (n, violation) in outcome.violations.iter().enumerate() {
        println!("\n{}: {}", style.bad(&format!("#{}", n + 1)), describe_faults(violation));
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
    if args.html.is_some() {
        pictures.extend(draw(file, scenario, &outcome));
    }
    let found: Vec<String> = outcome
        .violations
        .iter()
        .enumerate()
        .map(|(n, v)| format!("#{}: {}: {}", n + 1, describe_faults(v), v.findings.join("; ")))
        .collect();
    let code = if outcome.violations.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_CHECK_FAILED) };
    Ok((code, Some(found)))
}

/// A test case's outcome from an exploration: its violations (each with its faults and
/// findings), or, on Spark, only its exit code.
fn case_outcome(code: ExitCode, violations: Option<Vec<String>>) -> CaseOutcome {
    match violations {
        Some(found) if !found.is_empty() => {
            let message = found[0].split_once(": ").map_or(found[0].as_str(), |(_, rest)| rest).to_string();
            CaseOutcome::Failure { message, text: found.join("\n") }
        }
        None if code != ExitCode::SUCCESS => {
            let message = "violations on Spark (see the log)".to_string();
            CaseOutcome::Failure { text: message.clone(), message }
        }
        _ => CaseOutcome::Pass,
    }
}

/// The pictures of an exploration: its first violating schedules, each with its reproducer, or
/// the crash-free run when no schedule failed.
fn draw(file: &Path, scenario: &Scenario, outcome: &ExploreOutcome) -> Vec<Picture> {
    if outcome.violations.is_empty() {
        let title =
            format!("{}: the crash-free run ({} schedule(s), no violation)", file.display(), outcome.schedules_run);
        return vec![picture(scenario, &Injection::default(), &title)];
    }
    let shown = outcome.violations.len().min(PICTURES_MAX);
    outcome.violations[..shown]
        .iter()
        .enumerate()
        .map(|(n, violation)| {
            let title = format!(
                "{}: violation #{} of {}: {}",
                file.display(),
                n + 1,
                outcome.violations.len(),
                describe_faults(violation)
            );
            let mut drawn = picture(scenario, &violation.injection, &title);
            drawn.note = violation.reproducer.as_ref().map(|case| {
                (
                    format!(
                        "shrunk reproducer ({} steps): paste into a .toml file and `crashpoint run` it",
                        case.steps.len()
                    ),
                    case.to_toml(),
                )
            });
            drawn
        })
        .collect()
}

fn print_counts(outcome: &ExploreOutcome, options: &ExploreOptions) {
    println!(
        "schedules: {} run, below {} of {} first faults (crashes at a run, point and hit{})",
        outcome.schedules_run,
        outcome.first_faults_run,
        outcome.first_faults_total,
        if options.io_errors { ", failed storage operations" } else { "" }
    );
    if options.power_loss {
        let states = &outcome.crash_states;
        println!(
            "crash states: {} explored after {} power losses ({} by seeded sample, at {} crash(es) with more than \
             {}); {} possible before equal disks were merged",
            states.explored,
            states.crashes,
            states.sampled,
            states.crashes_sampled,
            options.crash_states_max,
            states.possible
        );
    }
    if options.io_errors {
        println!("I/O errors: {} schedule(s)", outcome.io_error_schedules);
    }
}

/// The faults of a violating schedule, in words.
fn describe_faults(violation: &Violation) -> String {
    let injection = &violation.injection;
    let mut faults: Vec<(u32, String)> = injection
        .crashes
        .iter()
        .map(|c| {
            let loss = match (c.power_loss, c.persisted.len()) {
                (false, _) => String::new(),
                (true, 0) => " + power loss".into(),
                (true, n) => format!(" + power loss keeping {n} unsynced operation(s)"),
            };
            (c.process, format!("crash in run {} at {} (hit {}){loss}", c.process, c.point, c.hit))
        })
        .collect();
    faults.extend(injection.io_errors.iter().map(|e| {
        let loss = if e.power_loss { " + power loss" } else { "" };
        (e.process, format!("run {}: {}{loss}", e.process, e.fault))
    }));
    faults.sort();
    if faults.is_empty() {
        return "no fault".into();
    }
    faults.into_iter().map(|(_, f)| f).collect::<Vec<_>>().join(", then ")
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
}

/// `explore --target spark`: depth 1 on real Spark, one schedule at a time.
fn explore_on_spark(args: &ExploreArgs, file: &Path, scenario: &Scenario) -> anyhow::Result<ExitCode> {
    let engine_only = args.depth != 1
        || args.power_loss
        || args.io_errors
        || args.real_disk
        || args.kill_sink
        || !args.bugs.is_empty()
        || args.shard.count != 1;
    if engine_only {
        anyhow::bail!(
            "--target spark explores at depth 1 only, with no --power-loss, --io-errors, --real-disk, --kill-sink, \
             --bug or --shard: Spark has no hook for them"
        );
    }
    println!("explore {} on Spark 4.3: depth 1, one schedule at a time", file.display());
    let bar = indicatif::ProgressBar::new(0);
    let started = std::time::Instant::now();
    let result = crashpoint_harness::spark::with_driver(|spark| {
        crashpoint_harness::spark_target::explore_on_spark(spark, scenario, &|done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        })
    })?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    if !result.not_applicable.is_empty() {
        println!("not applicable to the Spark target: {}", result.not_applicable.join("; "));
        return Ok(ExitCode::SUCCESS);
    }
    let mut by_point: std::collections::BTreeMap<CrashPoint, usize> = std::collections::BTreeMap::new();
    for crash in &result.schedules {
        *by_point.entry(crash.point).or_default() += 1;
    }
    println!(
        "schedules: {} crash-restart-verify cycles on Spark, {} violation(s)",
        result.schedules.len(),
        result.violations.len()
    );
    for (point, count) in &by_point {
        println!("  {point:<24} {count} schedule(s)");
    }
    for (crash, reason) in &result.violations {
        println!("VIOLATION run {} crash at {} (hit {}): {reason}", crash.process, crash.point, crash.hit);
    }
    eprintln!(
        "speed: {} cycles in {seconds:.1} s ({:.2} cycles/s, JVM start included)",
        result.schedules.len(),
        result.schedules.len() as f64 / seconds.max(1e-9)
    );
    Ok(ExitCode::from(if result.violations.is_empty() { 0 } else { EXIT_CHECK_FAILED }))
}
