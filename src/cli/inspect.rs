//! `crashpoint inspect CHECKPOINT`.

use crashpoint_engine::storage::DiskStorage;
use crashpoint_harness::diagnosis::SinkDir;
use crashpoint_harness::report::inspect;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The checkpoint directory.
    checkpoint: PathBuf,
    /// The file sink's output directory, to check its `_spark_metadata` against the checkpoint.
    #[arg(long)]
    output: Option<PathBuf>,
}

pub fn run(args: InspectArgs) -> anyhow::Result<ExitCode> {
    let sink = args.output.as_deref().map(|output| SinkDir { output });
    let inspection = inspect(&DiskStorage, &args.checkpoint, sink)?;
    print!("{inspection}");
    Ok(ExitCode::SUCCESS)
}
