//! `crashpoint doctor CHECKPOINT [--repair]`.

use super::EXIT_CHECK_FAILED;
use crashpoint_engine::storage::DiskStorage;
use crashpoint_harness::doctor::{diagnose, repair};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// The checkpoint directory.
    checkpoint: PathBuf,
    /// Delete the files whose deletion is safe (torn uncommitted log files, stray temp files).
    #[arg(long)]
    repair: bool,
}

pub fn run(args: DoctorArgs) -> anyhow::Result<ExitCode> {
    if !args.checkpoint.is_dir() {
        anyhow::bail!("{}: not a directory", args.checkpoint.display());
    }
    let findings = diagnose(&DiskStorage, &args.checkpoint);
    if findings.is_empty() {
        println!("{}: healthy", args.checkpoint.display());
        return Ok(ExitCode::SUCCESS);
    }
    for finding in &findings {
        println!("- {}", finding.problem);
        match &finding.repair {
            Some((path, then)) => println!("  safe repair: delete {} ({then})", path.display()),
            None => println!("  no safe repair: fix it by hand as the message says"),
        }
    }
    if !args.repair {
        println!("run again with --repair to apply the safe repairs");
        return Ok(ExitCode::from(EXIT_CHECK_FAILED));
    }
    for line in repair(&DiskStorage, &findings)? {
        println!("{line}");
    }
    let left = diagnose(&DiskStorage, &args.checkpoint);
    if left.is_empty() {
        println!("{}: healthy", args.checkpoint.display());
        Ok(ExitCode::SUCCESS)
    } else {
        left.iter().for_each(|f| println!("still wrong: {}", f.problem));
        Ok(ExitCode::from(EXIT_CHECK_FAILED))
    }
}
