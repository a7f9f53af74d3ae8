//! The command line: parses arguments, calls the library, reports with context. Exit codes:
//! 0 all passed, 1 a check failed, 2 bad input or usage.

mod demo;
mod doctor;
mod explore;
mod fuzz;
mod inspect;
mod points;
mod query_args;
mod run;
mod stream;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Exit code: a check failed (a verdict, a snapshot, a violation).
pub const EXIT_CHECK_FAILED: u8 = 1;
/// Exit code: bad input, bad scenario, or usage.
pub const EXIT_BAD_INPUT: u8 = 2;

/// crashpoint: crash a Spark-style streaming engine between its writes, restart it, and check
/// that the output is exactly-once.
#[derive(Debug, Parser)]
#[command(name = "crashpoint", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate the tutorial's device files and walk through its experiments.
    Demo(demo::DemoArgs),
    /// Run the tutorial's query on real directories.
    Stream(stream::StreamArgs),
    /// Show what is in a checkpoint (crashpoint's or Spark's).
    Inspect(inspect::InspectArgs),
    /// Check a checkpoint and repair the safe cases (torn uncommitted log files, temp files).
    Doctor(doctor::DoctorArgs),
    /// List the crash points and what each means.
    Points,
    /// Run scenario files and compare them with their snapshots.
    Run(run::RunArgs),
    /// Enumerate every crash schedule of a scenario and check each one.
    Explore(explore::ExploreArgs),
    /// Generate workloads and crash schedules; shrink and save any failure as a scenario.
    Fuzz(fuzz::FuzzArgs),
}

/// Runs the command line.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Stream(args) => stream::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Doctor(args) => doctor::run(args),
        Command::Points => points::run(),
        Command::Run(args) => run::run(args),
        Command::Explore(args) => explore::run(args),
        Command::Fuzz(args) => fuzz::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}
