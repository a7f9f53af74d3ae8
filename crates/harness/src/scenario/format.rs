//! The scenario file format (TOML), readable by a Spark user who does not read Rust.
//!
//! ```toml
//! description = "Experiment 2: delete commits/1 and batch 1 runs again"
//! [query]
//! sink = "console"                      # console | file | memory | foreach-batch | foreach-batch-idempotent
//!                                       # | sqlite-idempotent | sqlite-append | { command = ["prog", "arg"] }
//! source = { max-files-per-trigger = 1 }
//! [[step]]
//! add = "device_01.json"
//! lines = ['{"eventId": "e1", "data": {"devices": [{"deviceId": "d1", "temperature": 21.5}]}}']
//! [[step]]
//! run = "available-now"                 # or "once"; crash = "after-sink-write" to crash the run
//! [[step]]
//! delete = "commits/0"                  # a checkpoint file
//! [expect]
//! verdict = "pass"
//! ```
//!
//! Parsing rejects unknown keys and bad values with the file, the line and what is allowed.

use super::sink_spec::SinkSpec;
use super::steps::{ARRIVAL_POINTS, Arrival, ArrivingFile, FileContent, RunStep, SpelledTrigger, Step};
use crate::bugs::{Bug, BugSet};
use crashpoint_engine::checkpoint::CheckpointOptions;
use crashpoint_engine::engine::Trigger;
use crashpoint_engine::faults::CrashPoint;
use crashpoint_engine::plan::Plan;
use crashpoint_engine::source::SourceOptions;
use crashpoint_engine::storage::{IoFault, IoOp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::{Spanned, Value};

/// Which sink the query writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SinkKind {
    /// Spark's console sink: at-least-once.
    Console,
    /// Spark's file sink with `_spark_metadata`: exactly-once.
    File,
    /// An in-memory table keyed by batch id: exactly-once.
    Memory,
    /// A naive foreach-batch callback that appends: at-least-once.
    ForeachBatch,
    /// A foreach-batch callback that replaces by batch id: exactly-once.
    ForeachBatchIdempotent,
    /// A real SQLite table written with its batch id in one transaction, skipping ids it holds.
    SqliteIdempotent,
    /// A real SQLite table, the naive insert: promised exactly-once, and it is not.
    SqliteAppend,
    /// The user's program, over the line protocol (`sink = { command = [...] }`).
    Command,
    /// The user's Rust sink, given in code through `crashpoint_harness::check_sink`.
    Rust,
}

impl SinkKind {
    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            SinkKind::Console => "console",
            SinkKind::File => "file",
            SinkKind::Memory => "memory",
            SinkKind::ForeachBatch => "foreach-batch",
            SinkKind::ForeachBatchIdempotent => "foreach-batch-idempotent",
            SinkKind::SqliteIdempotent => "sqlite-idempotent",
            SinkKind::SqliteAppend => "sqlite-append",
            SinkKind::Command => "command",
            SinkKind::Rust => "rust",
        }
    }

    /// The kinds a scenario names with a string.
    pub const NAMED: [SinkKind; 7] = [
        SinkKind::Console,
        SinkKind::File,
        SinkKind::Memory,
        SinkKind::ForeachBatch,
        SinkKind::ForeachBatchIdempotent,
        SinkKind::SqliteIdempotent,
        SinkKind::SqliteAppend,
    ];
}

/// A named plan, or explicit steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PlanSpec {
    /// `"tutorial"` or `"tutorial-without-time"`.
    Named(NamedPlan),
    /// Explicit steps: `[{ op = "explode", column = "data.devices", as = "device" }, …]`.
    Steps(Vec<crashpoint_engine::plan::Step>),
}

/// The built-in plans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NamedPlan {
    /// `explode(data.devices)` → `eventId, device_id, temp, processing_time`.
    Tutorial,
    /// The same without `processing_time`, as Spark's reference output.
    TutorialWithoutTime,
}

impl Default for PlanSpec {
    fn default() -> Self {
        PlanSpec::Named(NamedPlan::Tutorial)
    }
}

impl PlanSpec {
    /// The plan.
    pub fn plan(&self) -> Plan {
        match self {
            PlanSpec::Named(NamedPlan::Tutorial) => Plan::tutorial(),
            PlanSpec::Named(NamedPlan::TutorialWithoutTime) => Plan::tutorial_without_time(),
            PlanSpec::Steps(steps) => Plan { steps: steps.clone() },
        }
    }
}

/// The query of a scenario: source options, plan, sink and trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct QuerySpec {
    /// The sink.
    pub sink: SinkSpec,
    /// The default trigger of `run` steps.
    #[serde(default)]
    pub trigger: Trigger,
    /// File source options.
    #[serde(default)]
    pub source: SourceOptions,
    /// The plan.
    #[serde(default)]
    pub plan: PlanSpec,
    /// Spark's knobs of the checkpoint's logs: `compact-interval` and `min-batches-to-retain`.
    #[serde(default, skip_serializing_if = "CheckpointOptions::is_default")]
    pub checkpoint: CheckpointOptions,
    /// Seeded engine bugs to switch on (self-test only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bugs: Vec<String>,
    /// Let a new checkpoint plan batches that the sink already holds, as Spark does (their
    /// rows are lost); off, the engine refuses.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_existing_sink_log: bool,
    /// The file sink behind a wrapper of the user's that names no part format: the engine then
    /// gathers each batch's rows and hands them to the file sink's `add_batch`, which encodes
    /// them itself. Nothing it writes may differ from the encoded path. File sink only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub gather_rows: bool,
}

impl QuerySpec {
    /// The seeded bugs, parsed.
    pub fn bug_set(&self) -> BugSet {
        self.bugs.iter().filter_map(|b| b.parse::<Bug>().ok()).collect()
    }
}

/// What the scenario expects at the end.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Expect {
    /// `pass` (the default): the sink keeps its promise and the invariants hold; `fail`: the
    /// checker must find a violation (for scenarios that show a bug).
    #[serde(default)]
    pub verdict: ExpectedVerdict,
    /// The number of rows a reader of the sink sees at the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<usize>,
    /// The id of the latest committed batch at the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_committed_batch: Option<u64>,
    /// The number of bad lines routed to dead-letter files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bad_records: Option<usize>,
    /// Where real Spark legitimately behaves otherwise: `[expect.spark]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark: Option<SparkExpect>,
}

/// `[expect.spark]`: what real Spark 4.3 does where it legitimately differs from the engine, and
/// why. Every field given is asserted on the Spark target; a field left out is the same as the
/// engine's. With `--target both`, only the kinds of difference listed in `differs` are allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SparkExpect {
    /// Why Spark differs, in a sentence (required).
    pub reason: String,
    /// The kinds of difference from the engine that are declared: `verdict`, `rows`, `output`
    /// (the sink's rows), `checkpoint` (its shape), `errors` (which runs fail).
    #[serde(default)]
    pub differs: Vec<DifferenceKind>,
    /// Spark's verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<ExpectedVerdict>,
    /// The rows a reader of Spark's sink sees at the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<usize>,
    /// Spark's latest commit at the end: a batch id, or `"none"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_committed_batch: Option<LastCommit>,
    /// Exactly the runs that fail on Spark, each with a text its error must contain. When left
    /// out, the runs with `expect-error` must fail with that text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ExpectedRunError>>,
}

/// The latest commit expected at the end: a batch id, or none at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LastCommit {
    /// This batch.
    Batch(u64),
    /// `"none"`: no batch is committed.
    Nothing(NoCommit),
}

/// The word `"none"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoCommit {
    /// No batch is committed.
    None,
}

/// A run that must fail on Spark.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ExpectedRunError {
    /// The scenario's k-th run step, from 1 (a restart that exploration inserts after a crash
    /// is not counted: it finishes the crashed run's work and expects what it expected).
    pub run: u32,
    /// A text the error (any message of its cause chain) must contain.
    pub contains: String,
}

/// A kind of difference between the engine's and Spark's result of one scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DifferenceKind {
    /// The verdicts differ.
    Verdict,
    /// The number of rows a reader sees differs.
    Rows,
    /// The sink's rows differ (as a multiset).
    Output,
    /// The checkpoint's shape differs (files per batch, `logOffset`, commits, the sink log).
    Checkpoint,
    /// Different runs fail.
    Errors,
}

impl DifferenceKind {
    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            DifferenceKind::Verdict => "verdict",
            DifferenceKind::Rows => "rows",
            DifferenceKind::Output => "output",
            DifferenceKind::Checkpoint => "checkpoint",
            DifferenceKind::Errors => "errors",
        }
    }
}

/// The expected verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExpectedVerdict {
    /// No violation.
    #[default]
    Pass,
    /// At least one violation.
    Fail,
}

/// A parsed scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The file it came from (for messages), or a name.
    pub path: PathBuf,
    /// What it shows.
    pub description: String,
    /// Seeds the query id and part-file names.
    pub seed: u64,
    /// The query.
    pub query: QuerySpec,
    /// The steps.
    pub steps: Vec<Step>,
    /// The expectations.
    pub expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawScenario {
    #[serde(default)]
    description: String,
    #[serde(default)]
    seed: u64,
    query: QuerySpec,
    #[serde(default)]
    step: Vec<Spanned<BTreeMap<String, Spanned<Value>>>>,
    #[serde(default)]
    expect: Expect,
}

/// A scenario file that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", path.display(), if *line > 0 { format!(":{line}") } else { String::new() })]
pub struct ScenarioError {
    /// The file.
    pub path: PathBuf,
    /// The line, from 1 (0 when unknown).
    pub line: usize,
    /// What is wrong and what is allowed.
    pub message: String,
}

/// A parser's message in words a user reads: no Rust type names ("expected usize").
fn in_words(message: &str) -> String {
    const WORDS: [(&str, &str); 14] = [
        ("a nonzero u64", "a whole number ≥ 1"),
        ("a nonzero usize", "a whole number ≥ 1"),
        ("a nonzero u32", "a whole number ≥ 1"),
        ("usize", "a whole number ≥ 0"),
        ("u64", "a whole number ≥ 0"),
        ("u32", "a whole number ≥ 0"),
        ("u16", "a whole number ≥ 0"),
        ("u8", "a whole number ≥ 0"),
        ("i64", "a whole number"),
        ("i32", "a whole number"),
        ("f64", "a number"),
        ("f32", "a number"),
        ("a boolean", "true or false"),
        ("a sequence", "an array"),
    ];
    let mut out = message.to_string();
    for (rust, words) in WORDS {
        out = out.replace(&format!("expected {rust}"), &format!("expected {words}"));
    }
    out = out.replace("wanted string or table", "expected a string (or a table)");
    let untagged = [
        (
            "PlanSpec",
            "plan must be \"tutorial\", \"tutorial-without-time\", or a list of steps ([[query.plan]] with op = \
             \"explode\" (column, as), \"filter\" (condition), \"select\" (columns) or \"processing-time\" (as))",
        ),
        ("LastCommit", "last-committed-batch must be a batch number (0, 1, ...) or \"none\""),
    ];
    for (name, words) in untagged {
        if out.contains(&format!("untagged enum {name}")) {
            return words.to_string();
        }
    }
    out
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|b| *b == b'\n').count() + 1
}

impl Scenario {
    /// Reads and parses a scenario file.
    pub fn load(path: &Path) -> Result<Self, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            path: path.into(),
            line: 0,
            message: format!("cannot read the file: {e}"),
        })?;
        Self::parse(path, &text)
    }

    /// Parses scenario text; `path` names it in messages.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ScenarioError> {
        let raw: RawScenario = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| line_of(text, s.start));
            ScenarioError { path: path.into(), line, message: in_words(e.message().trim()) }
        })?;
        for bug in &raw.query.bugs {
            // The query table keeps no spans; the quoted name finds the line well enough.
            let line = text.find(&format!("\"{bug}\"")).map_or(0, |at| line_of(text, at));
            bug.parse::<Bug>().map_err(|message| ScenarioError { path: path.into(), line, message })?;
        }
        let err =
            |offset: usize, message: String| ScenarioError { path: path.into(), line: line_of(text, offset), message };
        if let Some(spark) = &raw.expect.spark
            && spark.reason.trim().is_empty()
        {
            let at = text.find("[expect.spark]").unwrap_or(0);
            return Err(err(at, "[expect.spark] needs a reason: why real Spark differs here".into()));
        }
        if raw.query.gather_rows && raw.query.sink.kind() != SinkKind::File {
            let at = text.find("gather-rows").unwrap_or(0);
            let sink = raw.query.sink.name();
            return Err(err(
                at,
                format!(
                    "gather-rows is for the file sink only (sink = \"file\"), not the {sink} sink: only the file \
                     sink names a part format, every other sink is handed gathered rows already"
                ),
            ));
        }
        let mut steps = Vec::new();
        for (index, table) in raw.step.iter().enumerate() {
            let step = super::steps::parse_step(table.get_ref()).map_err(|(offset, message)| {
                err(offset.unwrap_or(table.span().start), format!("step {}: {message}", index + 1))
            })?;
            steps.push(step);
        }
        Ok(Scenario {
            path: path.into(),
            description: raw.description,
            seed: raw.seed,
            query: raw.query,
            steps,
            expect: raw.expect,
        })
    }

    /// The scenario's name: its file name without `.toml`.
    pub fn name(&self) -> String {
        self.path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
    }

    /// The oracle's workload: the same scenario with every crash, power loss and seeded bug
    /// taken out.
    pub fn without_crashes(&self) -> Scenario {
        let mut oracle = self.clone();
        oracle.query.bugs.clear();
        for step in &mut oracle.steps {
            if let Step::Run(run) = step {
                run.crash = None;
                run.power_loss = false;
                run.persisted.clear();
                run.io_error = None;
            }
        }
        oracle
    }

    /// Renders the scenario back to TOML that [`Scenario::parse`] reads, e.g. for reproducers.
    pub fn to_toml(&self) -> String {
        #[derive(Serialize)]
        struct Head<'a> {
            description: &'a str,
            seed: u64,
            query: &'a QuerySpec,
        }
        #[derive(Serialize)]
        struct Tail<'a> {
            expect: &'a Expect,
        }
        let head = Head { description: &self.description, seed: self.seed, query: &self.query };
        let mut out = toml::to_string(&head).expect("scenarios serialize");
        for step in &self.steps {
            out += "\n[[step]]\n";
            out += &step.to_toml();
        }
        out += "\n";
        out += &toml::to_string(&Tail { expect: &self.expect }).expect("expectations serialize");
        out
    }
}

/// The trigger of a run step, from its value: any text is kept as spelled, for the run to read
/// when it starts (a spelling the engine refuses, a typo such as `avaliable-now` too, fails that
/// run with the engine's words, as Spark's `trigger()` refuses an interval when the query starts),
/// so that a generated case with one is a scenario file that loads.
pub(super) fn parse_trigger(value: &Value) -> Result<Option<SpelledTrigger>, String> {
    match value {
        Value::Boolean(true) => Ok(None),
        Value::String(s) => Ok(Some(SpelledTrigger(s.clone()))),
        other => Err(format!(
            "'{other}' is not a trigger; allowed: \"available-now\", \"once\", \"processing-time\", or true (the \
             query's)"
        )),
    }
}

/// Parses a crash point name.
pub(super) fn parse_point(value: &Value) -> Result<CrashPoint, String> {
    value.as_str().ok_or_else(|| "crash must be a string".to_string())?.parse()
}

/// An error about one key of a step (or about the step, with `None`).
pub(super) type KeyError = (Option<&'static str>, String);

fn on(key: &'static str) -> impl Fn(String) -> KeyError {
    move |message| (Some(key), message)
}

/// The content of an `add` or `modify` step.
pub(super) fn parse_content(keys: &BTreeMap<String, Spanned<Value>>) -> Result<FileContent, KeyError> {
    parse_content_inner(keys)
}

fn parse_content_inner(keys: &BTreeMap<String, Spanned<Value>>) -> Result<FileContent, KeyError> {
    if let Some(bytes) = keys.get("long-line") {
        if ["lines", "text", "generate"].iter().any(|k| keys.contains_key(*k)) {
            return Err((None, "give only one of lines, text, generate and long-line".into()));
        }
        let min = super::world::LONG_LINE_BYTES_MIN;
        return match bytes.get_ref() {
            Value::Integer(n) if *n >= min as i64 => Ok(FileContent::LongLine { bytes: *n as u64 }),
            other => Err((Some("long-line"), format!("long-line must be a line length in bytes ≥ {min}, not {other}"))),
        };
    }
    match (keys.get("lines"), keys.get("text"), keys.get("generate")) {
        (Some(lines), None, None) => {
            let bad = || (Some("lines"), "lines must be an array of strings".to_string());
            let lines = lines.get_ref().as_array().ok_or_else(bad)?;
            let lines: Option<Vec<String>> = lines.iter().map(|l| l.as_str().map(str::to_string)).collect();
            Ok(FileContent::Lines(lines.ok_or_else(bad)?))
        }
        (None, Some(text), None) => {
            let text = text.get_ref().as_str().ok_or((Some("text"), "text must be a string".to_string()))?;
            Ok(FileContent::Text(text.into()))
        }
        (None, None, Some(generate)) => {
            let table = generate
                .get_ref()
                .as_table()
                .ok_or((Some("generate"), "generate must be a table { events = N, seed = S }".to_string()))?;
            let number = |key: &str, default: i64| -> Result<u64, String> {
                match table.get(key) {
                    None => Ok(default as u64),
                    Some(Value::Integer(n)) if *n >= 0 => Ok(*n as u64),
                    Some(other) => Err(format!("generate.{key} must be a number ≥ 0, not {other}")),
                }
            };
            if let Some(key) = table.keys().find(|k| !["events", "seed"].contains(&k.as_str())) {
                return Err((Some("generate"), format!("generate has unknown key '{key}'; allowed: events, seed")));
            }
            let events = number("events", 3).map_err(on("generate"))?;
            Ok(FileContent::Generate { events, seed: number("seed", 0).map_err(on("generate"))? })
        }
        (None, None, None) => {
            Err((None, "give the file's content: lines = [...], text = \"...\" or generate = {...}".into()))
        }
        _ => Err((None, "give only one of lines, text and generate".into())),
    }
}

/// Makes a run step from its keys.
pub(super) fn parse_run(keys: &BTreeMap<String, Spanned<Value>>, action: &str) -> Result<RunStep, KeyError> {
    let trigger = parse_trigger(keys[action].get_ref()).map_err(|m| (None, m))?;
    let crash = keys.get("crash").map(|v| parse_point(v.get_ref())).transpose().map_err(on("crash"))?;
    let hit = match keys.get("hit").map(|v| v.get_ref()) {
        None => 1,
        Some(Value::Integer(n)) if *n >= 1 => *n as u32,
        Some(other) => return Err((Some("hit"), format!("hit must be a number ≥ 1, not {other}"))),
    };
    if keys.contains_key("hit") && crash.is_none() {
        return Err((Some("hit"), "hit needs a crash point: crash = \"...\"".into()));
    }
    let power_loss = match keys.get("power-loss").map(|v| v.get_ref()) {
        None => false,
        Some(Value::Boolean(b)) => *b,
        Some(other) => return Err((Some("power-loss"), format!("power-loss must be true or false, not {other}"))),
    };
    let io_error = keys.get("io-error").map(|v| parse_io_fault(v.get_ref())).transpose().map_err(on("io-error"))?;
    if power_loss && crash.is_none() && io_error.is_none() {
        let message = "power-loss needs a crash point (crash = \"...\") or an I/O error (io-error = {...})";
        return Err((Some("power-loss"), message.into()));
    }
    let persisted = match keys.get("persisted").map(|v| v.get_ref()) {
        None => Vec::new(),
        Some(Value::Array(items)) if items.iter().all(Value::is_str) => {
            items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()
        }
        Some(_) => return Err((Some("persisted"), "persisted must be an array of strings".into())),
    };
    if !persisted.is_empty() && !power_loss {
        return Err((Some("persisted"), "persisted names what survives a power loss: add power-loss = true".into()));
    }
    let expect_error = match keys.get("expect-error").map(|v| v.get_ref()) {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => return Err((Some("expect-error"), format!("expect-error must be a string, not {other}"))),
    };
    let crash = crash.map(|p| (p, hit));
    let second_query = keys.get("second-query").map(|v| parse_second_query(v.get_ref())).transpose();
    let second_query = second_query.map_err(on("second-query"))?;
    let arrive = keys.get("arrive").map(parse_arrival).transpose()?;
    let again = match keys.get("again").map(|v| v.get_ref()) {
        None => None,
        Some(Value::String(s)) => Some(s.parse().map_err(|e| (Some("again"), format!("again: {e}")))?),
        Some(other) => {
            let usage = "again must be a trigger: \"available-now\", \"once\" or \"processing-time\"";
            return Err((Some("again"), format!("{usage}, not {other}")));
        }
    };
    let restart = action == "restart";
    Ok(RunStep { restart, trigger, crash, power_loss, persisted, io_error, expect_error, second_query, arrive, again })
}

/// Parses `arrive = { at = "after-commit-write", hit = 1, add = "late.json", lines = [...] }`
/// (or `generate = {...}`, `text = "..."`, `long-line = N`), or `arrive = { at = ..., rename =
/// "late.json._COPYING_", to = "late.json" }`; `hit` defaults to 1.
fn parse_arrival(value: &Spanned<Value>) -> Result<Arrival, KeyError> {
    const KEYS: [&str; 9] = ["at", "hit", "add", "rename", "to", "lines", "text", "generate", "long-line"];
    let usage = "arrive must be a table { at = \"after-commit-write\", hit = 1, add = \"late.json\", lines = [...] } \
                 or { at = ..., hit = ..., rename = \"late.json._COPYING_\", to = \"late.json\" }";
    let table = value.get_ref().as_table().ok_or((Some("arrive"), usage.to_string()))?;
    let bad = |message: String| (Some("arrive"), message);
    if let Some(key) = table.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(bad(format!("arrive has unknown key '{key}'; allowed: {}", KEYS.join(", "))));
    }
    let at = parse_point(table.get("at").ok_or(bad(usage.into()))?).map_err(&bad)?;
    if !ARRIVAL_POINTS.contains(&at) {
        let points: Vec<String> = ARRIVAL_POINTS.iter().map(ToString::to_string).collect();
        return Err(bad(format!(
            "a file arrives at a point hit once a batch, between two listings: {}, not {at}",
            points.join(", ")
        )));
    }
    let hit = match table.get("hit") {
        None => 1,
        Some(Value::Integer(n)) if *n >= 1 => *n as u32,
        Some(other) => return Err(bad(format!("arrive's hit must be a number ≥ 1, not {other}"))),
    };
    let name = |key: &str| -> Result<String, KeyError> {
        let name = table.get(key).and_then(Value::as_str).ok_or(bad(format!("arrive.{key} must be a file name")))?;
        let plain = !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\']);
        plain.then(|| name.to_string()).ok_or(bad(format!("arrive.{key} = {name:?} is not a plain file name")))
    };
    let file = match (table.contains_key("add"), table.contains_key("rename")) {
        (true, false) if !table.contains_key("to") => {
            let keys: BTreeMap<String, Spanned<Value>> =
                table.iter().map(|(k, v)| (k.clone(), Spanned::new(value.span(), v.clone()))).collect();
            let content = parse_content(&keys).map_err(|(_, message)| bad(format!("arrive: {message}")))?;
            ArrivingFile::Add { name: name("add")?, content }
        }
        (false, true) if !["lines", "text", "generate", "long-line"].iter().any(|k| table.contains_key(*k)) => {
            let (from, to) = (name("rename")?, name("to")?);
            if !super::model::skipped_name(&from) || super::model::skipped_name(&to) {
                return Err(bad(format!(
                    "arrive renames a copy in: from a name Spark never lists (such as {to}._COPYING_) to one it \
                     lists, not {from:?} -> {to:?}"
                )));
            }
            ArrivingFile::Rename { from, to }
        }
        _ => return Err(bad(usage.into())),
    };
    Ok(Arrival { at: (at, hit), file })
}

/// Parses `second-query = { at = "after-offsets-write", hit = 1 }` (`hit` defaults to 1).
fn parse_second_query(value: &Value) -> Result<(CrashPoint, u32), String> {
    let usage = "second-query must be a table { at = \"after-offsets-write\", hit = 1 }";
    let table = value.as_table().ok_or(usage)?;
    if let Some(key) = table.keys().find(|k| !["at", "hit"].contains(&k.as_str())) {
        return Err(format!("second-query has unknown key '{key}'; allowed: at, hit"));
    }
    let at = parse_point(table.get("at").ok_or(usage)?)?;
    match table.get("hit") {
        None => Ok((at, 1)),
        Some(Value::Integer(n)) if *n >= 1 => Ok((at, *n as u32)),
        Some(other) => Err(format!("second-query's hit must be a number ≥ 1, not {other}")),
    }
}

/// Parses `io-error = { op = "fsync", path = "checkpoint/offsets/*", hit = 1, error = "eio" }`;
/// only `op` is required (`path`: any; `hit`: 1; `error`: ENOSPC for write and mkdir, else EIO).
fn parse_io_fault(value: &Value) -> Result<IoFault, String> {
    const KEYS: [&str; 4] = ["op", "path", "hit", "error"];
    let usage =
        "io-error must be a table { op = \"fsync\", path = \"checkpoint/offsets/*\", hit = 1, error = \"eio\" }";
    let table = value.as_table().ok_or(usage)?;
    if let Some(key) = table.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(format!("io-error has unknown key '{key}'; allowed: {}", KEYS.join(", ")));
    }
    let op: IoOp = table.get("op").and_then(Value::as_str).ok_or(usage)?.parse()?;
    let path = match table.get("path") {
        None => None,
        Some(Value::String(path)) => Some(path.clone()),
        Some(other) => return Err(format!("io-error.path must be a string, not {other}")),
    };
    let hit = match table.get("hit") {
        None => 1,
        Some(Value::Integer(n)) if *n >= 1 => *n as u32,
        Some(other) => return Err(format!("io-error.hit must be a number ≥ 1, not {other}")),
    };
    let errno = match table.get("error") {
        None => op.typical_errno(),
        Some(Value::String(name)) => name.parse()?,
        Some(other) => return Err(format!("io-error.error must be \"eio\" or \"enospc\", not {other}")),
    };
    Ok(IoFault { op, path, hit, errno })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::QueryChange;
    use crashpoint_engine::storage::IoErrno;

    /// One step that parses, before the step under test, so that step numbers and lines are
    /// not trivially 1.
    const HEAD: &str = "[query]\nsink = \"file\"\n\n[[step]]\nadd = \"a.json\"\ntext = \"\"\n\n";
    /// Lines in `HEAD`; the step under test starts on the next line.
    const HEAD_LINES: usize = 7;

    fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse(Path::new("case.toml"), text)
    }

    #[test]
    fn fail_cases() {
        // Goal: a bad scenario file is rejected with the line to look at and what is allowed
        // there. Method: one file per mistake; check the line and words the message must hold.
        // `H` is the line of the step under test's `[[step]]` header (after HEAD).
        const H: usize = HEAD_LINES + 1;
        let with_head = |step: &str| format!("{HEAD}{step}");
        #[rustfmt::skip]
        let cases: Vec<(&str, String, usize, &[&str])> = vec![
            ("unknown top-level key", "descripton = \"x\"\n[query]\nsink = \"file\"\n".into(),
             1, &["descripton", "description", "seed", "query", "step", "expect"]),
            ("unknown query key", "[query]\nsink = \"file\"\nmax-files = 1\n".into(),
             3, &["max-files", "sink", "trigger", "source", "plan", "bugs"]),
            ("unknown step key", with_head("[[step]]\nrun = true\ncrsh = \"after-sink-write\"\n"),
             H + 2, &["step 2", "'crsh'", "allowed: crash, hit, power-loss, persisted, io-error, expect-error"]),
            ("unknown key of a step that allows none", with_head("[[step]]\nredrop = \"a.json\"\nto = \"b\"\n"),
             H + 2, &["'to'", "redrop", "allowed: none"]),
            ("two actions in one step", with_head("[[step]]\n\nrun = true\ndelete = \"commits/0\"\n"),
             H, &["step 2", "one action", "run and delete"]),
            ("no action", with_head("[[step]]\nhit = 1\n"),
             H, &["step 2", "allowed: add, redrop, rename, modify, remove, run, restart, delete"]),
            // A bad key's error points at that key's line.
            ("bad crash point name", with_head("[[step]]\nrun = true\ncrash = \"after-lunch\"\n"),
             H + 2, &["'after-lunch'", "known: before-source-log-write", "after-sink-write", "before-log-dir-sync"]),
            ("crash point not a string", with_head("[[step]]\nrun = true\ncrash = 3\n"),
             H + 2, &["crash must be a string"]),
            ("hit = 0", with_head("[[step]]\nrun = true\ncrash = \"after-sink-write\"\nhit = 0\n"),
             H + 3, &["hit", "≥ 1", "not 0"]),
            ("hit without crash", with_head("[[step]]\nrestart = true\nhit = 2\n"),
             H + 2, &["hit needs a crash point", "crash ="]),
            ("power-loss without crash", with_head("[[step]]\nrun = true\npower-loss = true\n"),
             H + 2, &["power-loss needs a crash point", "or an I/O error"]),
            ("persisted without power-loss", with_head("[[step]]\nrun = true\ncrash = \"after-sink-write\"\npersisted = [\"x\"]\n"),
             H + 3, &["persisted", "power-loss = true"]),
            ("persisted not strings", with_head("[[step]]\nrun = true\ncrash = \"after-sink-write\"\npower-loss = true\npersisted = [1]\n"),
             H + 4, &["persisted must be an array of strings"]),
            ("io-error not a table", with_head("[[step]]\nrun = true\nio-error = \"fsync\"\n"),
             H + 2, &["io-error must be a table", "op = \"fsync\""]),
            ("io-error unknown op", with_head("[[step]]\nrun = true\nio-error = { op = \"fsck\" }\n"),
             H + 2, &["'fsck'", "known: write, fsync, rename, read, list, mkdir, remove"]),
            ("io-error unknown key", with_head("[[step]]\nrun = true\nio-error = { op = \"read\", file = \"x\" }\n"),
             H + 2, &["'file'", "allowed: op, path, hit, error"]),
            ("io-error bad errno", with_head("[[step]]\nrun = true\nio-error = { op = \"read\", error = \"eperm\" }\n"),
             H + 2, &["'eperm'", "eio, enospc"]),
            ("io-error hit 0", with_head("[[step]]\nrun = true\nio-error = { op = \"read\", hit = 0 }\n"),
             H + 2, &["io-error.hit", "≥ 1"]),
            ("run not a trigger", with_head("[[step]]\nrun = 5\n"),
             H + 1, &["'5' is not a trigger", "allowed: \"available-now\"", "or true"]),
            ("again not a trigger", with_head("[[step]]\nrun = true\nagain = \"twice\"\n"),
             H + 2, &["again: ", "twice", "allowed: available-now, once, processing-time"]),
            ("again not a string", with_head("[[step]]\nrun = true\nagain = true\n"),
             H + 2, &["again must be a trigger", "not true"]),
            ("bad query trigger", "[query]\nsink = \"file\"\ntrigger = \"continuous\"\n".into(),
             3, &["continuous", "available-now", "once"]),
            ("unknown checkpoint knob", "[query]\nsink = \"file\"\ncheckpoint = { retain = 2 }\n".into(),
             3, &["retain", "compact-interval", "min-batches-to-retain"]),
            ("gather-rows into another sink", "[query]\nsink = \"memory\"\ngather-rows = true\n".into(),
             3, &["gather-rows is for the file sink only", "not the memory sink"]),
            ("bad sink", "[query]\nsink = \"kafka\"\n".into(),
             2, &["kafka", "console", "file", "memory", "foreach-batch", "foreach-batch-idempotent"]),
            ("bad bug name", "[query]\nsink = \"file\"\nbugs = [\"no-bug\"]\n".into(),
             3, &["'no-bug'", "known: commit-before-sink", "no-fsync"]),
            ("missing to in rename", with_head("[[step]]\nrename = \"a.json\"\n"),
             H, &["step 2", "'to' is missing"]),
            ("misspelt generate key", with_head("[[step]]\nadd = \"b.json\"\ngenerate = { evnts = 3 }\n"),
             H + 2, &["'evnts'", "allowed: events, seed"]),
            ("two contents", with_head("[[step]]\nadd = \"b.json\"\ntext = \"\"\nlines = []\n"),
             H + 1, &["only one of lines, text and generate"]),
            ("no content", with_head("[[step]]\nmodify = \"a.json\"\n"),
             H + 1, &["lines = [...], text = \"...\" or generate = {...}"]),
            ("action not a string", with_head("[[step]]\nadd = 3\ntext = \"\"\n"),
             H + 1, &["add must be a string"]),
            ("delete-checkpoint = false", with_head("[[step]]\ndelete-checkpoint = false\n"),
             H + 1, &["delete-checkpoint = true"]),
            ("unknown change-query key", with_head("[[step]]\nchange-query = { plan = \"tutorial\", sinc = 1 }\n"),
             H + 1, &["sinc", "plan", "source"]),
            ("bad expected verdict", "[query]\nsink = \"file\"\n[expect]\nverdict = \"maybe\"\n".into(),
             4, &["maybe", "pass", "fail"]),
            ("no query", "sink = \"file\"\n".into(),
             1, &["sink", "query"]),
            ("a path out of the checkpoint", with_head("[[step]]\ndelete = \"/tmp/victim\"\n"),
             H + 1, &["not a path inside the checkpoint", "commits/1"]),
            ("a parent path in the checkpoint", with_head("[[step]]\ntruncate = \"../x\"\n"),
             H + 1, &["not a path inside the checkpoint"]),
            ("a path for an input file", with_head("[[step]]\nadd = \"../x.json\"\ntext = \"\"\n"),
             H + 1, &["not a file name", "plain name"]),
            ("a rename out of the input", with_head("[[step]]\nrename = \"a.json\"\nto = \"/etc/x\"\n"),
             H + 2, &["to = \"/etc/x\" is not a file name"]),
            ("touch without shift-ms", with_head("[[step]]\ntouch = \"a.json\"\n"),
             H + 1, &["touch needs shift-ms"]),
            ("touch with a fractional shift", with_head("[[step]]\ntouch = \"a.json\"\nshift-ms = 1.5\n"),
             H + 2, &["shift-ms must be a whole number"]),
            ("clock-back-ms = 0", with_head("[[step]]\nclock-back-ms = 0\n"),
             H + 1, &["clock-back-ms must be a whole number of ms ≥ 1", "not 0"]),
            ("clock-back-ms negative", with_head("[[step]]\nclock-back-ms = -60000\n"),
             H + 1, &["clock-back-ms must be a whole number of ms ≥ 1"]),
            ("clock-forward-ms = 0", with_head("[[step]]\nclock-forward-ms = 0\n"),
             H + 1, &["clock-forward-ms must be a whole number of ms ≥ 1", "not 0"]),
            ("write out of the checkpoint", with_head("[[step]]\nwrite = \"../x\"\nwith = \"\"\n"),
             H + 1, &["not a path inside the checkpoint"]),
            ("a lock of no place", with_head("[[step]]\nhold-lock = \"sink\"\n"),
             H + 1, &["hold-lock = \"sink\"", "\"checkpoint\" or \"output\""]),
            ("a holder of no place", with_head("[[step]]\nholder-dies = 1\n"),
             H + 1, &["holder-dies must be a string"]),
            ("TOML syntax error", with_head("[[step]]\nrun = \n"),
             H + 1, &[]),
        ];
        for (name, text, line, words) in cases {
            let error = match parse(&text) {
                Ok(scenario) => panic!("{name}: parsed, to {:?}", scenario.steps),
                Err(error) => error,
            };
            assert_eq!(error.line, line, "{name}: wrong line in '{error}' for\n{text}");
            for word in words {
                assert!(error.message.contains(word), "{name}: '{}' does not mention {word:?}", error.message);
            }
            assert!(error.to_string().starts_with(&format!("case.toml:{line}: ")), "{name}: {error}");
        }
    }

    #[test]
    fn a_bad_bug_name_is_reported_on_its_line() {
        // Goal: every error names its line. Method: a bad name in `bugs`, on line 3.
        let error = parse("[query]\nsink = \"file\"\nbugs = [\"no-bug\"]\n").unwrap_err();
        assert_eq!(error.line, 3, "{error}");
    }

    #[test]
    fn cases() {
        // Goal: every construct of the format parses to what it says, defaults included.
        // Method: one small file per construct; check the parsed step or query.
        let run = |trigger, crash, power_loss, expect_error: Option<&str>| RunStep {
            restart: false,
            trigger,
            crash,
            power_loss,
            expect_error: expect_error.map(str::to_string),
            ..RunStep::default()
        };
        let cases: Vec<(&str, Step)> = vec![
            (
                "add = \"a.json\"\nlines = ['x', \"y\"]",
                Step::Add { name: "a.json".into(), content: FileContent::Lines(vec!["x".into(), "y".into()]) },
            ),
            (
                "modify = \"a.json\"\ntext = \"t\"",
                Step::Modify { name: "a.json".into(), content: FileContent::Text("t".into()) },
            ),
            (
                "add = \"a.json\"\ngenerate = {}",
                Step::Add { name: "a.json".into(), content: FileContent::Generate { events: 3, seed: 0 } },
            ),
            (
                "add = \"a.json\"\ngenerate = { events = 0, seed = 9 }",
                Step::Add { name: "a.json".into(), content: FileContent::Generate { events: 0, seed: 9 } },
            ),
            ("redrop = \"a.json\"", Step::Redrop { name: "a.json".into() }),
            ("rename = \"a.json\"\nto = \"b.json\"", Step::Rename { from: "a.json".into(), to: "b.json".into() }),
            ("remove = \"a.json\"", Step::Remove { name: "a.json".into() }),
            ("run = true", Step::Run(run(None, None, false, None))),
            ("run = \"once\"", Step::Run(run(Some(Trigger::Once.into()), None, false, None))),
            (
                "run = \"available-now\"\ncrash = \"after-sink-write\"",
                Step::Run(run(Some(Trigger::AvailableNow.into()), Some((CrashPoint::AfterSinkWrite, 1)), false, None)),
            ),
            // An interval is the run's to read: kept as spelled, a bad one too, and a typo.
            (
                "run = \"processing-time=1 month\"",
                Step::Run(run(Some(SpelledTrigger("processing-time=1 month".into())), None, false, None)),
            ),
            (
                "run = \"avaliable-now\"",
                Step::Run(run(Some(SpelledTrigger("avaliable-now".into())), None, false, None)),
            ),
            (
                "run = true\ncrash = \"during-log-write\"\nhit = 3\npower-loss = true\nexpect-error = \"boom\"",
                Step::Run(run(None, Some((CrashPoint::DuringLogWrite, 3)), true, Some("boom"))),
            ),
            ("restart = true", Step::Run(RunStep { restart: true, ..run(None, None, false, None) })),
            (
                "run = \"available-now\"\nagain = \"processing-time=2s\"",
                Step::Run(RunStep {
                    again: Some(Trigger::ProcessingTime { interval_ms: 2_000 }),
                    ..run(Some(Trigger::AvailableNow.into()), None, false, None)
                }),
            ),
            (
                "run = true\ncrash = \"before-log-dir-sync\"\npower-loss = true\npersisted = [\"mkdir checkpoint\", \"create x\"]",
                Step::Run(RunStep {
                    persisted: vec!["mkdir checkpoint".into(), "create x".into()],
                    ..run(None, Some((CrashPoint::BeforeLogDirSync, 1)), true, None)
                }),
            ),
            (
                "run = true\nio-error = { op = \"fsync\", path = \"checkpoint/offsets/*\", hit = 2, error = \"eio\" }\npower-loss = true",
                Step::Run(RunStep {
                    io_error: Some(IoFault {
                        op: IoOp::Fsync,
                        path: Some("checkpoint/offsets/*".into()),
                        hit: 2,
                        errno: IoErrno::Eio,
                    }),
                    ..run(None, None, true, None)
                }),
            ),
            (
                "restart = true\nio-error = { op = \"write\" }",
                Step::Run(RunStep {
                    restart: true,
                    io_error: Some(IoFault { op: IoOp::Write, path: None, hit: 1, errno: IoErrno::Enospc }),
                    ..run(None, None, false, None)
                }),
            ),
            (
                "run = true\nio-error = { op = \"lock\", path = \"output/.crashpoint-output.lock\" }",
                Step::Run(RunStep {
                    io_error: Some(IoFault {
                        op: IoOp::Lock,
                        path: Some("output/.crashpoint-output.lock".into()),
                        hit: 1,
                        errno: IoErrno::Enolck,
                    }),
                    ..run(None, None, false, None)
                }),
            ),
            ("delete = \"commits/1\"", Step::Delete { path: "commits/1".into() }),
            ("corrupt = \"offsets/0\"", Step::Corrupt { path: "offsets/0".into(), with: "{\"torn".into() }),
            ("corrupt = \"offsets/0\"\nwith = \"x\"", Step::Corrupt { path: "offsets/0".into(), with: "x".into() }),
            ("truncate = \"offsets/0\"", Step::Truncate { path: "offsets/0".into(), bytes: 0 }),
            ("truncate = \"offsets/0\"\nbytes = 5", Step::Truncate { path: "offsets/0".into(), bytes: 5 }),
            ("delete-checkpoint = true", Step::DeleteCheckpoint),
            ("hold-lock = \"output\"", Step::HoldLock { place: crate::check::Place::Output }),
            ("holder-dies = \"checkpoint\"", Step::HolderDies { place: crate::check::Place::Checkpoint }),
            ("clock-back-ms = 60000", Step::ClockBack { ms: 60_000 }),
            ("clock-forward-ms = 600000", Step::ClockForward { ms: 600_000 }),
            ("touch = \"a.json\"\nshift-ms = -1000", Step::Touch { name: "a.json".into(), shift_ms: -1000 }),
            (
                "write = \"commits/.1.crc\"\nwith = \"x\"",
                Step::Write { path: "commits/.1.crc".into(), with: "x".into() },
            ),
            (
                "change-query = { plan = \"tutorial-without-time\" }",
                Step::ChangeQuery(QueryChange {
                    plan: Some(PlanSpec::Named(NamedPlan::TutorialWithoutTime)),
                    ..QueryChange::default()
                }),
            ),
            (
                "change-query = { checkpoint = { min-batches-to-retain = 0 } }",
                Step::ChangeQuery(QueryChange {
                    checkpoint: Some(CheckpointOptions { min_batches_to_retain: Some(0), compact_interval: None }),
                    ..QueryChange::default()
                }),
            ),
        ];
        for (step, expected) in cases {
            let text = format!("{HEAD}[[step]]\n{step}\n");
            let scenario = parse(&text).unwrap_or_else(|e| panic!("{step}: {e}"));
            assert_eq!(scenario.steps.len(), 2, "{step}");
            assert_eq!(scenario.steps[1], expected, "{step}");
            let again = parse(&scenario.to_toml()).unwrap_or_else(|e| panic!("{step}: back from TOML: {e}"));
            assert_eq!(again.steps, scenario.steps, "{step}: the step changes on the way through to_toml");
        }
    }

    #[test]
    fn a_whole_file_parses_with_its_query_and_expectations() {
        // Goal: the top level and the query parse, with their defaults. Method: a full file and a
        // minimal one.
        let text = "description = \"d\"\nseed = 7\n[query]\nsink = \"memory\"\ntrigger = \"once\"\n\
                    plan = \"tutorial-without-time\"\nsource = { max-files-per-trigger = 2 }\n\
                    checkpoint = { compact-interval = 3, min-batches-to-retain = 2 }\n\
                    bugs = [\"no-fsync\"]\n[[step]]\nrun = true\n[expect]\nverdict = \"fail\"\nrows = 4\n\
                    last-committed-batch = 1\nbad-records = 0\n";
        let scenario = parse(text).unwrap();
        assert_eq!((scenario.description.as_str(), scenario.seed), ("d", 7));
        assert_eq!(scenario.query.sink, SinkSpec::Named(SinkKind::Memory));
        assert_eq!(scenario.query.trigger, Trigger::Once);
        assert_eq!(scenario.query.plan, PlanSpec::Named(NamedPlan::TutorialWithoutTime));
        assert_eq!(scenario.query.source.max_files_per_trigger, Some(2));
        assert!(scenario.query.bug_set().has(Bug::NoFsync));
        assert_eq!(
            scenario.query.checkpoint,
            CheckpointOptions { compact_interval: Some(3), min_batches_to_retain: Some(2) }
        );
        assert_eq!(parse(&scenario.to_toml()).unwrap().query, scenario.query);
        let expect = Expect {
            verdict: ExpectedVerdict::Fail,
            rows: Some(4),
            last_committed_batch: Some(1),
            bad_records: Some(0),
            spark: None,
        };
        assert_eq!(scenario.expect, expect);

        let minimal = parse("[query]\nsink = \"console\"\n").unwrap();
        assert_eq!(minimal.query.trigger, Trigger::AvailableNow);
        assert_eq!(minimal.query.plan, PlanSpec::Named(NamedPlan::Tutorial));
        assert!(minimal.steps.is_empty() && minimal.query.bugs.is_empty());
        assert!(minimal.query.checkpoint.is_default(), "unset: the engine and the model apply Spark's 10 and 100");
        // A bad value is the engine's to refuse, in words, when the query starts.
        let zero =
            parse("[query]\nsink = \"file\"\ncheckpoint = { compact-interval = 0, min-batches-to-retain = -1 }\n");
        assert_eq!(
            zero.unwrap().query.checkpoint,
            CheckpointOptions { compact_interval: Some(0), min_batches_to_retain: Some(-1) }
        );
        assert_eq!(minimal.expect, Expect::default());
        assert_eq!(parse(&minimal.to_toml()).unwrap(), minimal);
    }

    #[test]
    fn a_source_option_out_of_its_rule_is_read_as_written_for_the_run_to_refuse() {
        // Goal: a query option's rule is the run's to apply, as Spark's first trigger applies
        // it, so the refusal names the option, the value and the rule in one place (the
        // engine's). Method: 0 and negative values of each ruled source option parse as given.
        for (key, value) in [
            ("max-files-per-trigger", 0),
            ("max-files-per-trigger", -1),
            ("max-line-bytes", 0),
            ("max-file-age-ms", -5),
        ] {
            let text = format!("[query]\nsink = \"file\"\nsource = {{ {key} = {value} }}\n");
            let source = parse(&text).unwrap_or_else(|e| panic!("{key} = {value}: {e}")).query.source;
            let got = [source.max_files_per_trigger, source.max_line_bytes, source.max_file_age_ms];
            assert!(got.contains(&Some(value)), "{key} = {value}: {got:?}");
        }
    }

    #[test]
    fn a_file_arriving_during_a_run_parses_round_trips_and_bad_ones_are_told() {
        // Goal: `arrive` reads a new file or a copy renamed in, at a point hit once a batch, and
        // writes back to the same step (fuzz's reproducers carry it); a point hit elsewhere
        // (inside a log write, before the listing) and a rename of a file the listing offers
        // are refused in words. Method: parse, render, parse again; and one bad step each.
        let run = |arrive: &str| format!("{HEAD}[[step]]\nrun = \"available-now\"\narrive = {arrive}\n");
        let add = r#"{ at = "after-commit-write", hit = 2, add = "late.json", lines = ['{"eventId": "l1"}'] }"#;
        let rename = r#"{ at = "after-offsets-write", rename = "p.json._COPYING_", to = "p.json" }"#;
        for (arrive, want) in [
            (
                add,
                Arrival {
                    at: (CrashPoint::AfterCommitWrite, 2),
                    file: ArrivingFile::Add {
                        name: "late.json".into(),
                        content: FileContent::Lines(vec![r#"{"eventId": "l1"}"#.into()]),
                    },
                },
            ),
            (
                rename,
                Arrival {
                    at: (CrashPoint::AfterOffsetsWrite, 1),
                    file: ArrivingFile::Rename { from: "p.json._COPYING_".into(), to: "p.json".into() },
                },
            ),
        ] {
            let scenario = parse(&run(arrive)).unwrap_or_else(|e| panic!("{arrive}: {e}"));
            let Step::Run(step) = &scenario.steps[1] else { panic!("a run step") };
            assert_eq!(step.arrive.as_ref(), Some(&want), "{arrive}");
            assert_eq!(parse(&scenario.to_toml()).unwrap(), scenario, "{}", scenario.to_toml());
        }
        let bad = [
            (r#"{ at = "during-log-write", add = "x.json", text = "" }"#, "between two listings"),
            (r#"{ at = "after-sink-write", rename = "a.json", to = "b.json" }"#, "from a name Spark never lists"),
            (r#"{ at = "after-sink-write", add = "x.json" }"#, "give the file's content"),
            (r#"{ at = "after-sink-write", add = "../x.json", text = "" }"#, "not a plain file name"),
            (r#"{ at = "after-sink-write", hit = 0, add = "x.json", text = "" }"#, "≥ 1"),
            (r#"{ add = "x.json", text = "", when = 1 }"#, "unknown key 'when'"),
        ];
        for (arrive, words) in bad {
            let error = parse(&run(arrive)).expect_err(arrive);
            assert!(error.message.contains(words), "{arrive}: {}", error.message);
            assert_eq!(error.line, HEAD_LINES + 3, "{arrive}: the arrive key's line");
        }
    }

    #[test]
    fn a_subdirectory_and_a_file_in_it_parse_and_round_trip_one_level_down_only() {
        // Goal: `mkdir` makes a subdirectory of the input and `add = "DIR/NAME"` a file in one,
        // one level down; deeper paths and paths out of the input are refused. Method: parse,
        // render, parse again; and one bad step each.
        let steps = "[[step]]\nmkdir = \"year=2024\"\n\n[[step]]\nadd = \"sub/x.json\"\ntext = \"\"\n";
        let scenario = parse(&format!("{HEAD}{steps}")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(scenario.steps[1], Step::Mkdir { name: "year=2024".into() });
        assert_eq!(
            scenario.steps[2],
            Step::Add { name: "sub/x.json".into(), content: FileContent::Text(String::new()) }
        );
        assert_eq!(parse(&scenario.to_toml()).unwrap(), scenario);
        for bad in [
            "[[step]]\nadd = \"a/b/c.json\"\ntext = \"\"\n",
            "[[step]]\nadd = \"../c.json\"\ntext = \"\"\n",
            "[[step]]\nmkdir = \"a/b\"\n",
            "[[step]]\nmkdir = \"..\"\n",
        ] {
            let error = parse(&format!("{HEAD}{bad}")).expect_err(bad);
            assert!(error.message.contains("not a file name"), "{bad}: {}", error.message);
        }
    }

    #[test]
    fn type_errors_are_told_in_words_not_rust_types() {
        // Goal: a user never reads "expected usize" or "Some(4)". Method: a wrong type or value
        // in each kind of numeric and enum field, and the message read for Rust type names.
        let cases = [
            ("seed = \"x\"\n[query]\nsink = \"console\"\n", "expected a whole number ≥ 0"),
            ("[query]\nsink = \"console\"\nsource = { max-files-per-trigger = \"a\" }\n", "expected a whole number"),
            ("[query]\nsink = \"console\"\ncheckpoint = { compact-interval = \"x\" }\n", "expected a whole number"),
            ("[query]\nsink = \"console\"\n[expect]\nrows = \"x\"\n", "expected a whole number ≥ 0"),
            ("[query]\nsink = \"console\"\n[expect]\nrows = -3\n", "expected a whole number ≥ 0"),
            ("[query]\nsink = \"console\"\n[expect]\nverdict = 3\n", "expected a string"),
            ("[query]\nsink = \"console\"\nallow-existing-sink-log = 1\n", "expected true or false"),
            ("[query]\nsink = \"console\"\n[[query.plan]]\nop = \"zzz\"\n", "or a list of steps"),
            ("[query]\nsink = \"console\"\n[expect]\nlast-committed-batch = \"x\"\n", "expected a whole number"),
        ];
        let rust = ["usize", "u64", "u32", "i64", "f64", "Some(", "None", "wanted string", "enum", "variant"];
        for (text, words) in cases {
            let error = Scenario::parse(Path::new("x.toml"), text).expect_err(text);
            assert!(error.message.contains(words), "{text}: {}", error.message);
            for name in rust {
                assert!(!error.message.contains(name), "{text}: a Rust type in {:?}", error.message);
            }
        }
    }
}
