//! The command line: parses arguments, calls the library, reports with context. Exit codes:
//! 0 all passed, 1 a check failed, 2 bad input or usage, 3 the disk failed at run time.

mod demo;
mod doctor;
mod explore;
mod fuzz;
mod help;
mod inspect;
mod live;
mod paths;
mod points;
mod query_args;
mod report;
mod run;
mod signals;
mod stream;
mod style;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Exit code: a check failed (a verdict, a snapshot, a violation).
pub const EXIT_CHECK_FAILED: u8 = 1;
/// Exit code: bad input, bad scenario, or usage.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code: the disk failed an operation at run time (EIO, ENOSPC, ...): not the user's input.
pub const EXIT_IO_ERROR: u8 = 3;

/// crashpoint: crash a Spark-style streaming engine between its writes, restart it, and check
/// that the output is exactly-once.
#[derive(Debug, Parser)]
#[command(name = "crashpoint", version, about, long_about = None, after_help = help::MAIN)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate the tutorial's device files and walk through its experiments.
    #[command(after_help = help::DEMO)]
    Demo(demo::DemoArgs),
    /// Run the tutorial's query on real directories.
    #[command(after_help = help::STREAM)]
    Stream(stream::StreamArgs),
    /// Show what is in a checkpoint (crashpoint's or Spark's).
    #[command(after_help = help::INSPECT)]
    Inspect(inspect::InspectArgs),
    /// Check a checkpoint and repair the safe cases (torn uncommitted log files, temp files).
    #[command(after_help = help::DOCTOR)]
    Doctor(doctor::DoctorArgs),
    /// List the crash points and what each means.
    #[command(after_help = help::POINTS)]
    Points,
    /// Run scenario files and compare them with their snapshots.
    #[command(after_help = help::RUN)]
    Run(run::RunArgs),
    /// Enumerate every crash schedule of a scenario and check each one.
    #[command(after_help = help::EXPLORE)]
    Explore(explore::ExploreArgs),
    /// Generate workloads and crash schedules; shrink and save any failure as a scenario.
    #[command(after_help = help::FUZZ)]
    Fuzz(fuzz::FuzzArgs),
    /// Draw a picture of every run of scenarios: one self-contained HTML page.
    #[command(after_help = help::REPORT)]
    Report(report::ReportArgs),
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
        Command::Report(args) => report::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(exit_code_of(&error))
        }
    }
}

/// [`EXIT_IO_ERROR`] when the disk failed an operation at run time, else [`EXIT_BAD_INPUT`].
fn exit_code_of(error: &anyhow::Error) -> u8 {
    use crashpoint_engine::checkpoint::CheckpointError;
    use crashpoint_engine::engine::EngineError;
    use crashpoint_engine::storage::is_runtime_io_error;
    let io = error.chain().find_map(|cause| {
        let engine = cause.downcast_ref::<EngineError>().and_then(EngineError::io_error);
        let checkpoint = || cause.downcast_ref::<CheckpointError>().and_then(CheckpointError::io_error);
        engine.or_else(checkpoint).or_else(|| cause.downcast_ref::<std::io::Error>())
    });
    match io {
        Some(io) if is_runtime_io_error(io) => EXIT_IO_ERROR,
        _ => EXIT_BAD_INPUT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crashpoint_engine::checkpoint::CheckpointError;
    use crashpoint_engine::engine::EngineError;
    use crashpoint_engine::storage::IoErrno;
    use std::path::PathBuf;

    fn engine_io(error: std::io::Error) -> anyhow::Error {
        let path = PathBuf::from("/cp/offsets/.0.tmp");
        let error = CheckpointError::Io { log: "offsets log", path, op: "fsync the temp file", error };
        anyhow::Error::new(EngineError::Checkpoint(error))
    }

    #[test]
    fn exit_codes_tell_a_failed_disk_from_bad_input() {
        // Goal: a script can tell "the disk failed" (3) from "you gave me something wrong" (2).
        // Method: errors as the engine and the CLI make them, with and without context.
        let cases: Vec<(anyhow::Error, u8)> = vec![
            (engine_io(IoErrno::Eio.error()), EXIT_IO_ERROR),
            (engine_io(IoErrno::Enospc.error()).context("running the query"), EXIT_IO_ERROR),
            (anyhow::Error::new(IoErrno::Enospc.error()).context("writing demo files"), EXIT_IO_ERROR),
            (engine_io(std::io::ErrorKind::NotFound.into()), EXIT_BAD_INPUT),
            (anyhow::anyhow!("--input x: not a directory"), EXIT_BAD_INPUT),
        ];
        for (error, code) in cases {
            assert_eq!(exit_code_of(&error), code, "{error:#}");
        }
    }

    #[test]
    fn an_io_error_prints_its_os_error_once() {
        // Goal: "Input/output error (os error 5)" appears once in what the user reads, not once
        // per level of the chain. Method: the alternate rendering the CLI prints.
        let text = format!("{:#}", engine_io(IoErrno::Eio.error()).context("running the query"));
        assert_eq!(text.matches("os error 5").count(), 1, "{text}");
        assert!(text.contains("/cp/offsets/.0.tmp") && text.contains("check the device"), "{text}");
    }
}
