//! `crashpoint fuzz --cases N --seed S`: generated workloads and crash schedules.

use super::EXIT_CHECK_FAILED;
use anyhow::Context;
use crashpoint_engine::guarantee::Guarantee;
use crashpoint_harness::bugs::Bug;
use crashpoint_harness::explore::{FuzzOptions, fuzz};
use crashpoint_harness::html::{Page, picture};
use crashpoint_harness::scenario::{Injection, Program, SinkSpec};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct FuzzArgs {
    /// How many cases to generate.
    #[arg(long, default_value_t = 256)]
    cases: u32,
    /// The seed; the same seed reproduces the run exactly.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Also generate power losses.
    #[arg(long)]
    power_loss: bool,
    /// Switch on a seeded engine bug; repeatable.
    #[arg(long = "bug", value_parser = parse_bug)]
    bugs: Vec<Bug>,
    /// Write into this built-in sink in every case (e.g. sqlite-idempotent) instead of one the
    /// generator picks.
    #[arg(long, value_name = "NAME", conflicts_with = "sink_command")]
    sink: Option<String>,
    /// Your program as the sink of every case, as a shell-quoted command line (e.g.
    /// "python3 examples/sinks/idempotent.py"); the README's "Any program as a sink" has its protocol.
    #[arg(long, value_name = "COMMAND")]
    sink_command: Option<String>,
    /// With --sink-command: also kill the program in the middle of a batch.
    #[arg(long, requires = "sink_command")]
    kill_sink: bool,
    /// Report the first failing case as generated, without shrinking it (faster; the saved
    /// scenario is longer)
    #[arg(long)]
    no_shrink: bool,
    /// Where a failing case is written as a scenario file (default: a new temp directory,
    /// printed). To keep it as a regression, name `scenarios/regressions` and accept its snapshot.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write a picture of the shrunk failure (its runs, crashes, the records it loses or
    /// duplicates) as one self-contained HTML page; with no failure, a page that says so.
    #[arg(long, value_name = "OUT.html")]
    html: Option<PathBuf>,
}

fn parse_bug(s: &str) -> Result<Bug, String> {
    s.parse()
}

/// The sink named by `--sink` or `--sink-command`, as a scenario's `sink` key would give it.
fn sink_of(args: &FuzzArgs) -> anyhow::Result<Option<SinkSpec>> {
    match (&args.sink, &args.sink_command) {
        (Some(name), _) => SinkSpec::from_name(name)
            .map(Some)
            .map_err(|e| anyhow::anyhow!("--sink {name}: {e}; your own program: --sink-command")),
        (None, Some(line)) => {
            let Some(command) = shlex::split(line).filter(|w| !w.is_empty()) else {
                anyhow::bail!("--sink-command {line:?}: not a command line (empty, or a quote left open)");
            };
            let program = Program { command, guarantee: Guarantee::ExactlyOnce, kill_sink: args.kill_sink };
            Ok(Some(SinkSpec::Command(program)))
        }
        (None, None) => Ok(None),
    }
}

pub fn run(args: FuzzArgs) -> anyhow::Result<ExitCode> {
    let sink = sink_of(&args)?;
    println!("fuzz: seed {}, {} case(s) (re-run with --seed {} to reproduce)", args.seed, args.cases, args.seed);
    let options = FuzzOptions {
        cases: args.cases,
        seed: args.seed,
        bugs: args.bugs.iter().map(|b| b.name().to_string()).collect(),
        power_loss: args.power_loss,
        sink,
        shrink: !args.no_shrink,
    };
    let outcome = fuzz(&options);
    let title = format!("crashpoint fuzz: seed {}, {} case(s)", args.seed, args.cases);
    let Some(failure) = outcome.failure else {
        println!("{} case(s) passed: no violation", outcome.cases_passed);
        if let Some(html) = &args.html {
            let intro = vec![format!("{} case(s) passed: no violation.", outcome.cases_passed)];
            super::report::write_page(html, &Page { title, intro, pictures: Vec::new() })?;
            println!("wrote {}", html.display());
        }
        return Ok(ExitCode::SUCCESS);
    };
    println!(
        "violation after {} passing case(s), {} to {} steps:",
        outcome.cases_passed,
        if options.shrink { "shrunk" } else { "not shrunk (--no-shrink)" },
        failure.scenario.steps.len()
    );
    failure.findings.iter().take(5).for_each(|f| println!("  - {f}"));
    let bugs = if options.bugs.is_empty() { String::new() } else { format!("-{}", options.bugs.join("-")) };
    let out = match &args.out {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create the directory", dir.display()))?;
            dir.clone()
        }
        // Never into the project: a reproducer in scenarios/ without a snapshot fails `cargo test`.
        None => {
            tempfile::Builder::new().prefix("crashpoint-fuzz-").tempdir().context("creating a temp directory")?.keep()
        }
    };
    let path = out.join(format!("fuzz-seed-{}{bugs}.toml", args.seed));
    std::fs::write(&path, failure.scenario.to_toml()).with_context(|| format!("writing {}", path.display()))?;
    println!("written to {} (replay: crashpoint run {})", path.display(), path.display());
    println!("{}", failure.scenario.to_toml());
    if let Some(html) = &args.html {
        let shrunk = format!("the failure, shrunk to {} steps ({})", failure.scenario.steps.len(), path.display());
        let mut drawn = picture(&failure.scenario, &Injection::default(), &shrunk);
        drawn.note = Some(("the reproducer".to_string(), failure.scenario.to_toml()));
        let intro = vec![format!("a violation after {} passing case(s)", outcome.cases_passed)];
        super::report::write_page(html, &Page { title, intro, pictures: vec![drawn] })?;
        println!("wrote {}", html.display());
    }
    Ok(ExitCode::from(EXIT_CHECK_FAILED))
}
