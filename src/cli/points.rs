//! `crashpoint points`.

use crashpoint_engine::faults::CrashPoint;
use crashpoint_harness::bugs::Bug;
use std::process::ExitCode;

pub fn run() -> anyhow::Result<ExitCode> {
    println!("Crash points, in lifecycle order (FAILPOINTS=<name>=panic crashes a real process there):");
    for point in CrashPoint::ALL {
        println!("  {:<24} {}", point.name(), point.meaning());
    }
    println!("\nSeeded bugs for the self-test (--bug <name>):");
    for bug in Bug::ALL {
        println!("  {}", bug.name());
    }
    Ok(ExitCode::SUCCESS)
}
