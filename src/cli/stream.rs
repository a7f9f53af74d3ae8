//! `crashpoint stream`: the tutorial's query on real directories.

use super::live::{LiveLog, LogArgs, LogFormat};
use super::query_args::QueryArgs;
use super::signals;
use anyhow::{Context, bail};
use crashpoint_engine::engine::{Engine, EngineError, Event, Query, Trigger};
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
    /// Where the rows go (the tutorial's query prints them: console).
    #[arg(long, value_enum, default_value = "console")]
    sink: SinkArg,
    /// The output directory of the file sink.
    #[arg(long, required_if_eq("sink", "file"))]
    output: Option<PathBuf>,
    #[command(flatten)]
    query: QueryArgs,
    #[command(flatten)]
    log: LogArgs,
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
    let mut log = LiveLog::new(&args.log, matches!(args.sink, SinkArg::Console));
    let progress = log.progress();
    let result = execute(&args, move |event| log.observe(event));
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let ran = result?;
    if args.log.quiet || args.log.log == LogFormat::Json {
        return Ok(ExitCode::SUCCESS);
    }
    let written: usize = ran.events.iter().map(|e| if let Event::SinkWrote { rows, .. } = e { *rows } else { 0 }).sum();
    let batches = ran.events.iter().filter(|e| matches!(e, Event::Committed { .. })).count();
    let how = ran.stopped_by.map(|signal| format!(" (stopped by {signal}, between batches)")).unwrap_or_default();
    eprintln!("done{how}: {batches} batch(es) committed, {written} row(s) written");
    Ok(ExitCode::SUCCESS)
}

/// What a `stream` run did.
pub struct Ran {
    /// The engine's events, in order.
    pub events: Vec<Event>,
    /// The signal that stopped a processing-time query.
    pub stopped_by: Option<&'static str>,
}

/// Runs the query `args` describe, telling `observer` of each event as it happens.
pub fn execute(args: &StreamArgs, observer: impl FnMut(&Event) + Send) -> anyhow::Result<Ran> {
    check_paths(args)?;
    // A refused option writes nothing, as its message says: not even the directories the run
    // would create. The engine checks the same rules again when it starts.
    args.query.engine_options().checkpoint.validate().map_err(EngineError::from)?;
    args.query.source_options().validate().map_err(EngineError::from)?;
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
            let knobs = options.checkpoint;
            Box::new(
                sink.with_compact_interval(knobs.compact_interval())
                    .with_min_batches_to_retain(knobs.min_batches_to_retain()),
            )
        }
    };
    let mut engine = Engine::new(&DiskStorage, query, sink, options, args.query.fault_plan())?;
    engine.on_event(observer);
    let stopped_by = match args.query.trigger {
        Trigger::ProcessingTime { interval_ms } => run_processing_time(&mut engine, interval_ms)?,
        trigger => {
            engine.run(trigger)?;
            None
        }
    };
    Ok(Ran { events: engine.events().to_vec(), stopped_by })
}

/// Spark's `spark.streaming.pollingDelay`: how long a back-to-back query waits when a trigger
/// found nothing, instead of spinning.
const POLLING_DELAY_MS: u64 = 10;

/// A `processing-time` query on the wall clock, as Spark's `ProcessingTimeExecutor` runs it: a
/// trigger at every multiple of the interval, or at once if the last batch ran over; back to back
/// with interval 0. It runs until SIGINT or SIGTERM, which stop it between two batches. Returns
/// the signal that stopped it.
fn run_processing_time(engine: &mut Engine<'_>, interval_ms: u64) -> anyhow::Result<Option<&'static str>> {
    signals::catch_stop_signals();
    loop {
        let trigger_ms = now_ms();
        let ran = engine.run_micro_batch(interval_ms)?;
        let next_ms = match interval_ms {
            0 if ran => trigger_ms,
            0 => trigger_ms + POLLING_DELAY_MS,
            interval => trigger_ms - trigger_ms % interval + interval,
        };
        while let Some(wait_ms) = next_ms.checked_sub(now_ms()).filter(|w| *w > 0) {
            if signals::stop_requested().is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(wait_ms.min(50)));
        }
        if let Some(signal) = signals::stop_requested() {
            return Ok(Some(signal));
        }
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}
