//! `crashpoint run [PATHS…]`: scenarios against their snapshots, reported as text, JSON or JUnit.

use super::style::Style;
use super::{EXIT_BAD_INPUT, EXIT_CHECK_FAILED};
use crashpoint_harness::results::json::to_json;
use crashpoint_harness::results::junit::{case_of, failure_text, to_junit};
use crashpoint_harness::results::targets::{Target, check_on_target};
use crashpoint_harness::results::{ScenarioResult, SnapshotMode, Status, Summary, check_scenario_file};
use std::path::PathBuf;
use std::process::ExitCode;

/// The report's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// For people: one line per scenario, details under each failure.
    Text,
    /// One JSON document (schema `crashpoint-run/1`, in the README).
    Json,
    /// JUnit XML for CI (GitLab, Jenkins): a testcase per scenario.
    Junit,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario files, folders of them, or quoted globs (default: scenarios/).
    paths: Vec<PathBuf>,
    /// Write the new renderings as the snapshots (only of scenarios whose expectations hold).
    #[arg(long)]
    accept: bool,
    /// Print each scenario's full rendering.
    #[arg(long, short)]
    verbose: bool,
    /// The report's format, on stdout.
    #[arg(long, value_enum, default_value = "text")]
    format: ReportFormat,
    /// Where the scenarios run: the engine (against the snapshots), real Spark 4.3 (against
    /// Spark's own crash-free run), or both side by side, every difference checked against the
    /// scenario's [expect.spark].
    #[arg(long, value_enum, default_value = "engine")]
    target: TargetArg,
}

/// `--target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TargetArg {
    /// crashpoint's engine, in a simulated world.
    Engine,
    /// Real Spark 4.3 (pyspark), in a real temp directory.
    Spark,
    /// Both, side by side.
    Both,
}

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let files = super::paths::scenario_files(&args.paths, "scenarios")?;
    let mode = if args.accept { SnapshotMode::Accept } else { SnapshotMode::Compare };
    let target = match args.target {
        TargetArg::Engine => Target::Engine,
        TargetArg::Spark => Target::Spark,
        TargetArg::Both => Target::Both,
    };
    let mut results: Vec<ScenarioResult> = Vec::new();
    for file in &files {
        results.push(match target {
            Target::Engine => check_scenario_file(file, mode),
            _ => check_on_target(file, mode, target)?,
        });
    }
    if args.verbose {
        for file in &files {
            if let Ok(scenario) = crashpoint_harness::scenario::Scenario::load(file) {
                println!("{}", crashpoint_harness::scenario::verify(&scenario).render());
            }
        }
    }
    match args.format {
        ReportFormat::Text => print!("{}", text_report(&results, Style::stdout())),
        ReportFormat::Json => println!("{}", to_json(&results)),
        ReportFormat::Junit => {
            print!("{}", to_junit("crashpoint run", &results.iter().map(case_of).collect::<Vec<_>>()))
        }
    }
    let summary = Summary::of(&results);
    Ok(ExitCode::from(if summary.errors > 0 {
        EXIT_BAD_INPUT
    } else if summary.failed > 0 {
        EXIT_CHECK_FAILED
    } else {
        0
    }))
}

/// One line per scenario; under a failure, every reason and violation, and the first
/// differing lines of the snapshot.
pub fn text_report(results: &[ScenarioResult], style: Style) -> String {
    let mut out = String::new();
    for result in results {
        let word = format!("{:<9}", result.status.name().to_uppercase());
        let word = match result.status {
            Status::Pass | Status::Accepted => style.good(&word),
            Status::Fail => style.bad(&word),
            Status::Error => style.warn(&word),
        };
        let time = style.dim(&format!("({:.2} s)", result.time.as_secs_f64()));
        out += &format!("{word} {} {time}\n", result.path.display());
        if let Some(sides) = &result.sides {
            out += &format!("    engine: {:<36} spark: {}\n", sides.engine, sides.spark);
            sides.differences.iter().for_each(|d| out += &format!("    {d}\n"));
        }
        let details = match result.status {
            Status::Fail => failure_text(result),
            Status::Error => result.failures.join("\n"),
            Status::Accepted => {
                result.snapshot.as_ref().map(|s| format!("wrote {}", s.path.display())).unwrap_or_default()
            }
            Status::Pass => String::new(),
        };
        for line in details.lines() {
            out += &format!("    {line}\n");
        }
    }
    let summary = Summary::of(results);
    let total: f64 = results.iter().map(|r| r.time.as_secs_f64()).sum();
    let line = format!(
        "{} of {} scenario(s) passed, {} failed, {} could not be used ({total:.2} s)",
        summary.passed, summary.scenarios, summary.failed, summary.errors
    );
    let line = if summary.passed == summary.scenarios { style.good(&line) } else { style.bad(&line) };
    out + &format!("\n{line}\n")
}
