//! The scenario file format (TOML), readable by a Spark user who does not read Rust.
//!
//! ```toml
//! description = "Experiment 2: delete commits/1 and batch 1 runs again"
//! [query]
//! sink = "console"                      # console | file | memory | foreach-batch | foreach-batch-idempotent
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

use super::steps::{FileContent, RunStep, Step};
use crate::engine::Trigger;
use crate::faults::{Bug, CrashPoint};
use crate::plan::Plan;
use crate::source::SourceOptions;
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
        }
    }
}

/// A named plan, or explicit steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PlanSpec {
    /// `"tutorial"` or `"tutorial-without-time"`.
    Named(NamedPlan),
    /// Explicit steps: `[{ op = "explode", column = "data.devices", as = "device" }, …]`.
    Steps(Vec<crate::plan::Step>),
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
    pub sink: SinkKind,
    /// The default trigger of `run` steps.
    #[serde(default)]
    pub trigger: Trigger,
    /// File source options.
    #[serde(default)]
    pub source: SourceOptions,
    /// The plan.
    #[serde(default)]
    pub plan: PlanSpec,
    /// Seeded engine bugs to switch on (self-test only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bugs: Vec<String>,
}

impl QuerySpec {
    /// The seeded bugs, parsed.
    pub fn bug_set(&self) -> crate::faults::BugSet {
        self.bugs.iter().filter_map(|b| b.parse::<Bug>().ok()).fold(Default::default(), |set, bug| set.with(bug))
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
#[error("{}:{line}: {message}", path.display())]
pub struct ScenarioError {
    /// The file.
    pub path: PathBuf,
    /// The line, from 1 (0 when unknown).
    pub line: usize,
    /// What is wrong and what is allowed.
    pub message: String,
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
            ScenarioError { path: path.into(), line, message: e.message().trim().to_string() }
        })?;
        for bug in &raw.query.bugs {
            bug.parse::<Bug>().map_err(|message| ScenarioError { path: path.into(), line: 0, message })?;
        }
        let err =
            |offset: usize, message: String| ScenarioError { path: path.into(), line: line_of(text, offset), message };
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

/// The trigger of a run step, from its value.
pub(super) fn parse_trigger(value: &Value) -> Result<Option<Trigger>, String> {
    match value {
        Value::Boolean(true) => Ok(None),
        Value::String(s) if s == "available-now" => Ok(Some(Trigger::AvailableNow)),
        Value::String(s) if s == "once" => Ok(Some(Trigger::Once)),
        other => {
            Err(format!("'{other}' is not a trigger; allowed: \"available-now\", \"once\", or true (the query's)"))
        }
    }
}

/// Parses a crash point name.
pub(super) fn parse_point(value: &Value) -> Result<CrashPoint, String> {
    value.as_str().ok_or_else(|| "crash must be a string".to_string())?.parse()
}

/// The content of an `add` or `modify` step.
pub(super) fn parse_content(keys: &BTreeMap<String, Spanned<Value>>) -> Result<FileContent, String> {
    match (keys.get("lines"), keys.get("text"), keys.get("generate")) {
        (Some(lines), None, None) => {
            let lines = lines.get_ref().as_array().ok_or("lines must be an array of strings")?;
            let lines: Option<Vec<String>> = lines.iter().map(|l| l.as_str().map(str::to_string)).collect();
            Ok(FileContent::Lines(lines.ok_or("lines must be an array of strings")?))
        }
        (None, Some(text), None) => {
            Ok(FileContent::Text(text.get_ref().as_str().ok_or("text must be a string")?.into()))
        }
        (None, None, Some(generate)) => {
            let table = generate.get_ref().as_table().ok_or("generate must be a table { events = N, seed = S }")?;
            let number = |key: &str, default: i64| -> Result<u64, String> {
                match table.get(key) {
                    None => Ok(default as u64),
                    Some(Value::Integer(n)) if *n >= 0 => Ok(*n as u64),
                    Some(other) => Err(format!("generate.{key} must be a number ≥ 0, not {other}")),
                }
            };
            if let Some(key) = table.keys().find(|k| !["events", "seed"].contains(&k.as_str())) {
                return Err(format!("generate has unknown key '{key}'; allowed: events, seed"));
            }
            Ok(FileContent::Generate { events: number("events", 3)?, seed: number("seed", 0)? })
        }
        (None, None, None) => Err("give the file's content: lines = [...], text = \"...\" or generate = {...}".into()),
        _ => Err("give only one of lines, text and generate".into()),
    }
}

/// Makes a run step from its keys.
pub(super) fn parse_run(keys: &BTreeMap<String, Spanned<Value>>, action: &str) -> Result<RunStep, String> {
    let trigger = parse_trigger(keys[action].get_ref())?;
    let crash = keys.get("crash").map(|v| parse_point(v.get_ref())).transpose()?;
    let hit = match keys.get("hit").map(|v| v.get_ref()) {
        None => 1,
        Some(Value::Integer(n)) if *n >= 1 => *n as u32,
        Some(other) => return Err(format!("hit must be a number ≥ 1, not {other}")),
    };
    if keys.contains_key("hit") && crash.is_none() {
        return Err("hit needs a crash point: crash = \"...\"".into());
    }
    let power_loss = match keys.get("power-loss").map(|v| v.get_ref()) {
        None => false,
        Some(Value::Boolean(b)) => *b,
        Some(other) => return Err(format!("power-loss must be true or false, not {other}")),
    };
    if power_loss && crash.is_none() {
        return Err("power-loss needs a crash point: crash = \"...\"".into());
    }
    let expect_error = match keys.get("expect-error").map(|v| v.get_ref()) {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => return Err(format!("expect-error must be a string, not {other}")),
    };
    Ok(RunStep { restart: action == "restart", trigger, crash: crash.map(|p| (p, hit)), power_loss, expect_error })
}
