//! `crashpoint inspect CHECKPOINT`.

use crashpoint_engine::storage::DiskStorage;
use crashpoint_harness::report::inspect;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The checkpoint directory.
    checkpoint: PathBuf,
}

pub fn run(args: InspectArgs) -> anyhow::Result<ExitCode> {
    if !args.checkpoint.is_dir() {
        anyhow::bail!("{}: not a directory", args.checkpoint.display());
    }
    let inspection = inspect(&DiskStorage, &args.checkpoint);
    print!("{inspection}");
    Ok(ExitCode::SUCCESS)
}
