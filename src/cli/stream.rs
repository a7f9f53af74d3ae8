//! `crashpoint stream`: the tutorial's query on real directories.

use super::query_args::QueryArgs;
use anyhow::{Context, bail};
use crashpoint_engine::engine::{Engine, Event, Query};
use crashpoint_engine::sink::{ConsoleSink, FileSink, Sink};
use crashpoint_engine::storage::DiskStorage;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SinkArg {
    Console,
    File,
}

#[derive(Debug, clap::Args)]
pub struct StreamArgs {
    /// The input directory of JSON files.
    #[arg(long)]
    input: PathBuf,
    /// The checkpoint directory (created if missing).
    #[arg(long)]
    checkpoint: PathBuf,
    /// Where the rows go.
    #[arg(long, value_enum)]
    sink: SinkArg,
    /// The output directory of the file sink.
    #[arg(long, required_if_eq("sink", "file"))]
    output: Option<PathBuf>,
    #[command(flatten)]
    query: QueryArgs,
}

/// Refuses inputs and option combinations that cannot mean what the user wants.
fn check_paths(args: &StreamArgs) -> anyhow::Result<()> {
    match std::fs::metadata(&args.input) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => {
            bail!("--input {}: not a directory; give the directory the JSON files arrive in", args.input.display())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!("--input {}: does not exist; create it, or check the path", args.input.display())
        }
        Err(e) => bail!("--input {}: cannot be opened ({e})", args.input.display()),
    }
    if let (SinkArg::Console, Some(output)) = (args.sink, &args.output) {
        bail!(
            "--output {} has no effect with --sink console, which prints to stdout; use --sink file to write \
             into a directory, or leave --output out",
            output.display()
        );
    }
    Ok(())
}

/// An absolute path, so that the logs hold `file:///…` URIs as Spark's do.
pub fn absolute(path: &Path, create: bool) -> anyhow::Result<PathBuf> {
    if create {
        std::fs::create_dir_all(path).with_context(|| format!("{}: cannot create the directory", path.display()))?;
    }
    std::fs::canonicalize(path).with_context(|| format!("{}: cannot open the directory", path.display()))
}

pub fn run(args: StreamArgs) -> anyhow::Result<ExitCode> {
    check_paths(&args)?;
    let query = Query {
        input_dir: absolute(&args.input, false)?,
        checkpoint_dir: absolute(&args.checkpoint, true)?,
        source: args.query.source_options(),
        plan: args.query.plan(),
    };
    let options = args.query.engine_options();
    let sink: Box<dyn Sink> = match args.sink {
        SinkArg::Console => Box::new(ConsoleSink::new(Box::new(std::io::stdout()))),
        SinkArg::File => {
            let output = args.output.as_deref().context("--output is required with --sink file")?;
            let sink = FileSink::new(&absolute(output, true)?, options.seed);
            Box::new(sink.with_compact_interval(options.checkpoint.compact_interval))
        }
    };
    let mut engine = Engine::new(&DiskStorage, query, sink, options, args.query.fault_plan())?;
    let result = engine.run(args.query.trigger());
    for event in engine.events() {
        eprintln!("{event}");
    }
    result?;
    let written: usize =
        engine.events().iter().map(|e| if let Event::SinkWrote { rows, .. } = e { *rows } else { 0 }).sum();
    let batches = engine.events().iter().filter(|e| matches!(e, Event::Committed { .. })).count();
    eprintln!("done: {batches} batch(es) committed, {written} row(s) written");
    Ok(ExitCode::SUCCESS)
}
