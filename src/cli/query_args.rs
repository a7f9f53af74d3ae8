//! Arguments shared by commands that run the query.

use crashpoint_engine::checkpoint::CheckpointOptions;
use crashpoint_engine::engine::{Clock, EngineOptions, Trigger};
use crashpoint_engine::faults::FaultPlan;
use crashpoint_engine::plan::Plan;
use crashpoint_engine::source::{BadRecordMode, InputFormat, ModifiedFilePolicy, SourceOptions};
use crashpoint_harness::bugs::{Bug, BugSet};

#[derive(Debug, Clone, clap::Args)]
pub struct QueryArgs {
    /// Spark's maxFilesPerTrigger: at most this many new files per batch (a positive integer,
    /// 1 as in the tutorial's query, or `none` for no limit). Any other integer is the
    /// engine's to refuse, with the rule, before any batch.
    #[arg(long, allow_negative_numbers = true, value_parser = parse_max_files, default_value = "1")]
    pub max_files_per_trigger: MaxFiles,
    /// Input layout.
    #[arg(long, value_enum, default_value = "json-lines")]
    pub input_format: InputFormatArg,
    /// Malformed lines: permissive routes them to a dead-letter file, failfast stops.
    #[arg(long, value_enum, default_value = "permissive")]
    pub mode: ModeArg,
    /// A processed file written again: warn (as Spark, which ignores it silently) or error.
    #[arg(long, value_enum, default_value = "warn")]
    pub on_modified: OnModifiedArg,
    /// When batches run: available-now (the files there at start, in batches of
    /// maxFilesPerTrigger, then stop), once (one batch of everything), or
    /// processing-time=<interval> (a batch every interval, e.g. 5s, or back to back with 0,
    /// until SIGINT or SIGTERM).
    #[arg(long, default_value = "available-now", value_parser = parse_trigger)]
    pub trigger: Trigger,
    /// Add a processing_time column (Spark's `current_timestamp()`: the batch's time). The
    /// tutorial's query has none: eventId, device_id, temp.
    #[arg(long, conflicts_with = "no_processing_time")]
    pub processing_time: bool,
    /// Leave out the processing_time column: the default, kept so that old command lines work.
    #[arg(long, hide = true)]
    pub no_processing_time: bool,
    /// Seeds the query id and part-file names, and runs on the logical clock: the same output
    /// every time. Without it, a new checkpoint gets a random query id and batches the
    /// wall-clock time, as in Spark.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run on the logical clock, batch 0 at this time (ms since the epoch), batch N a second
    /// per batch later.
    #[arg(long)]
    pub start_ms: Option<i64>,
    /// Let a new checkpoint plan batches that the file sink's `_spark_metadata` already holds, as
    /// Spark does: the sink skips them and their rows are lost. Without it, such a run is refused.
    #[arg(long)]
    pub allow_existing_sink_log: bool,
    /// Spark's compactInterval of the source log and the file sink's log (default 10): every N
    /// batches, a log writes N.compact with every entry so far. Must be 1 or more.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub compact_interval: Option<i64>,
    /// Spark's minBatchesToRetain (default 100): offsets and commits of the last N batches are
    /// kept. Must be 1 or more.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub min_batches_to_retain: Option<i64>,
    /// Threads that run a batch's tasks (Spark's partitions: files cut and packed by
    /// --max-partition-bytes and --open-cost-in-bytes; each writes its own part file); default:
    /// all cores. The output is the same for any N.
    #[arg(long, value_name = "N", default_value_t = crashpoint_engine::exec::all_cores(), value_parser = parse_threads)]
    pub threads: usize,
    /// Spark's maxFileAge in ms (default 7 days): a new file older than this, counted back from
    /// the newest file already seen, is not read, with a warning (Spark says nothing).
    #[arg(long, value_name = "MS", allow_negative_numbers = true)]
    pub max_file_age_ms: Option<i64>,
    /// The longest JSON Lines line read, in bytes (default 16 MiB): a longer line is a bad
    /// record, kept in the dead letters (Spark has no such limit).
    #[arg(long, value_name = "BYTES", allow_negative_numbers = true)]
    pub max_line_bytes: Option<i64>,
    /// Spark's spark.sql.files.maxPartitionBytes (default 128 MiB): the most input bytes a task
    /// reads; a JSON Lines file is cut into splits of at most this size.
    #[arg(long, value_name = "BYTES", allow_negative_numbers = true)]
    pub max_partition_bytes: Option<i64>,
    /// Spark's spark.sql.files.openCostInBytes (default 4 MiB): what opening a file costs a
    /// task, in bytes, when small files are packed into tasks.
    #[arg(long, value_name = "BYTES", allow_negative_numbers = true)]
    pub open_cost_in_bytes: Option<i64>,
    /// Spark's spark.sql.files.minPartitionNum (default 2, the parallelism of Spark's local[2]):
    /// the tasks a batch's bytes are spread over at least. Not the thread count.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub min_partition_num: Option<i64>,
    /// Switch on a seeded engine bug (for the self-test); repeatable.
    #[arg(long = "bug", value_parser = parse_bug)]
    pub bugs: Vec<Bug>,
}

/// `--max-files-per-trigger`: a limit, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxFiles(pub Option<i64>);

/// An integer or `none`. Spark accepts any value at `start()` and refuses one below 1 in the
/// first trigger; so does the engine, before any batch, with the rule: one place words it.
fn parse_max_files(s: &str) -> Result<MaxFiles, String> {
    if s == "none" {
        return Ok(MaxFiles(None));
    }
    s.parse::<i64>().map(|n| MaxFiles(Some(n))).map_err(|_| {
        format!(
            "'{s}' is not allowed: maxFilesPerTrigger must be a positive integer (1 or more), as in Spark; \
             give `none` for no limit"
        )
    })
}

/// `--threads`: a batch's tasks need at least one thread to run on.
fn parse_threads(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("'{s}' is not allowed: --threads must be 1 or more (the threads a batch's tasks run on)")),
    }
}

fn parse_trigger(s: &str) -> Result<Trigger, String> {
    s.parse()
}

fn parse_bug(s: &str) -> Result<Bug, String> {
    s.parse()
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum InputFormatArg {
    JsonLines,
    WholeFile,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ModeArg {
    Permissive,
    Failfast,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum OnModifiedArg {
    Warn,
    Error,
}

impl QueryArgs {
    pub fn source_options(&self) -> SourceOptions {
        SourceOptions {
            format: match self.input_format {
                InputFormatArg::JsonLines => InputFormat::JsonLines,
                InputFormatArg::WholeFile => InputFormat::WholeFile,
            },
            max_files_per_trigger: self.max_files_per_trigger.0,
            mode: match self.mode {
                ModeArg::Permissive => BadRecordMode::Permissive,
                ModeArg::Failfast => BadRecordMode::Failfast,
            },
            on_modified: match self.on_modified {
                OnModifiedArg::Warn => ModifiedFilePolicy::Warn,
                OnModifiedArg::Error => ModifiedFilePolicy::Error,
            },
            max_file_age_ms: self.max_file_age_ms,
            max_line_bytes: self.max_line_bytes,
            max_partition_bytes: self.max_partition_bytes,
            open_cost_in_bytes: self.open_cost_in_bytes,
            min_partition_num: self.min_partition_num,
            schema: Default::default(),
        }
    }

    pub fn plan(&self) -> Plan {
        if self.processing_time { Plan::tutorial() } else { Plan::tutorial_without_time() }
    }

    /// Spark's identity and time unless asked otherwise: a random seed (so a new checkpoint gets
    /// a fresh query id and fresh part-file names) and the wall clock.
    pub fn engine_options(&self) -> EngineOptions {
        let logical = self.seed.is_some() || self.start_ms.is_some();
        EngineOptions {
            seed: self.seed.unwrap_or_else(random_seed),
            clock: Clock { start_ms: self.start_ms.unwrap_or(Clock::default().start_ms), ..Clock::default() },
            wall_clock: !logical,
            allow_existing_sink_log: self.allow_existing_sink_log,
            threads: self.threads,
            checkpoint: CheckpointOptions {
                compact_interval: self.compact_interval,
                min_batches_to_retain: self.min_batches_to_retain,
            },
        }
    }

    /// A plan that never crashes, with the seeded bugs asked for.
    pub fn fault_plan(&self) -> FaultPlan {
        self.bugs.iter().copied().collect::<BugSet>().apply(FaultPlan::none())
    }
}

/// A seed from the operating system's randomness (std's hash keys are drawn from it), for a
/// fresh query id as Spark's `UUID.randomUUID()`.
fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(std::process::id().into());
    hasher.finish()
}
