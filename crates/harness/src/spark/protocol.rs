//! The driver's line protocol (`spark/PROTOCOL.md`, version 1) as typed requests and responses.
//! One JSON object per line each way; this module only describes them, it never does I/O.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The protocol version this client speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// A request to the driver.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Request {
    /// Versions and start-up figures.
    Hello,
    /// One streaming query, from start to stop.
    Run(Box<RunRequest>),
    /// `spark.read.json(path)`: what a reader of a file sink sees.
    ReadFileSink(ReadFileSinkRequest),
    /// A batch SQL query.
    Sql(SqlRequest),
    /// Stop Spark and exit.
    Shutdown,
}

impl Request {
    /// The op's name, for messages.
    pub fn op(&self) -> &'static str {
        match self {
            Request::Hello => "hello",
            Request::Run(_) => "run",
            Request::ReadFileSink(_) => "read-file-sink",
            Request::Sql(_) => "sql",
            Request::Shutdown => "shutdown",
        }
    }
}

/// `run`: every field as PROTOCOL.md describes it.
#[derive(Debug, Clone, Serialize)]
pub struct RunRequest {
    /// The input directory (absolute).
    pub input: PathBuf,
    /// The checkpoint directory (absolute).
    pub checkpoint: PathBuf,
    /// The sink.
    pub sink: SinkSpec,
    /// The trigger.
    pub trigger: TriggerSpec,
    /// The file source's options.
    pub source: SourceSpec,
    /// A DDL schema; the tutorial's when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// crashpoint's declarative plan.
    pub plan: Vec<PlanStep>,
    /// Where to crash, if anywhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crash: Option<CrashAt>,
    /// The query is stopped after this long.
    pub timeout_ms: u64,
    /// Session SQL confs for this run only.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub conf: BTreeMap<String, Value>,
}

impl RunRequest {
    /// A run of the tutorial's plan with no crash, on the console sink, `available-now`.
    pub fn new(input: impl Into<PathBuf>, checkpoint: impl Into<PathBuf>, sink: SinkSpec) -> RunRequest {
        RunRequest {
            input: input.into(),
            checkpoint: checkpoint.into(),
            sink,
            trigger: TriggerSpec::AvailableNow,
            source: SourceSpec::default(),
            schema: None,
            plan: PlanStep::tutorial(),
            crash: None,
            timeout_ms: 120_000,
            conf: BTreeMap::new(),
        }
    }
}

/// The sink of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SinkSpec {
    /// Spark's console sink.
    Console {
        /// `numRows`, `truncate`, ….
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        options: BTreeMap<String, Value>,
    },
    /// Spark's JSON file sink with `_spark_metadata`.
    File {
        /// The output directory (absolute).
        path: PathBuf,
    },
    /// Spark's memory sink (it cannot restart from a checkpoint).
    Memory {
        /// The table's name.
        name: String,
    },
    /// The driver's Python `foreachBatch` that appends one line per batch to a table file.
    ForeachBatch {
        /// The table file (absolute).
        table: PathBuf,
        /// Skip a batch id already in the table.
        idempotent: bool,
        /// Fail in this batch after some rows.
        #[serde(skip_serializing_if = "Option::is_none")]
        fail: Option<ForeachFail>,
    },
}

/// A foreach-batch failure: in batch `batch`, append the first `after_rows` rows, then raise.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForeachFail {
    /// The batch.
    pub batch: u64,
    /// Rows written before the failure (half when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_rows: Option<u64>,
}

/// The trigger of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TriggerSpec {
    /// `Trigger.AvailableNow`.
    AvailableNow,
    /// `Trigger.Once`.
    Once,
    /// `Trigger.ProcessingTime(ms)`, run until everything available is processed.
    ProcessingTimeMs(u64),
    /// `Trigger.ProcessingTime(interval)` with the interval as the user wrote it: Spark reads
    /// it (or refuses it) itself.
    ProcessingTimeSpelled(String),
}

impl Serialize for TriggerSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            TriggerSpec::AvailableNow => s.serialize_str("available-now"),
            TriggerSpec::Once => s.serialize_str("once"),
            TriggerSpec::ProcessingTimeMs(ms) => {
                let mut map = BTreeMap::new();
                map.insert("processing-time-ms", *ms);
                map.serialize(s)
            }
            TriggerSpec::ProcessingTimeSpelled(interval) => {
                let mut map = BTreeMap::new();
                map.insert("processing-time", interval);
                map.serialize(s)
            }
        }
    }
}

/// The file source's options.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SourceSpec {
    /// `maxFilesPerTrigger`.
    #[serde(rename = "maxFilesPerTrigger", skip_serializing_if = "Option::is_none")]
    pub max_files_per_trigger: Option<i64>,
    /// `json-lines` (default) or `whole-file`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// `permissive` (default), `failfast`, `dropmalformed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Any other reader option, verbatim.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

/// One step of crashpoint's declarative plan, as the driver maps it onto Spark columns.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum PlanStep {
    /// `explode(col(column)).alias(as)`.
    Explode {
        /// The array column.
        column: String,
        /// The exploded column's name.
        #[serde(rename = "as")]
        alias: String,
    },
    /// A filter condition.
    Filter {
        /// `path op JSON-literal`, `path is [not] null`, or Spark SQL.
        condition: String,
    },
    /// A projection.
    Select {
        /// `path` or `path as name`.
        columns: Vec<String>,
    },
    /// `current_timestamp()` as a column.
    ProcessingTime {
        /// The column's name.
        #[serde(rename = "as")]
        alias: String,
    },
}

impl PlanStep {
    /// The tutorial's plan without its processing time.
    pub fn tutorial() -> Vec<PlanStep> {
        vec![
            PlanStep::Explode { column: "data.devices".into(), alias: "device".into() },
            PlanStep::Select {
                columns: vec![
                    "eventId".into(),
                    "device.deviceId as device_id".into(),
                    "device.temperature as temp".into(),
                ],
            },
        ]
    }
}

/// Which log a crash strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CrashLog {
    /// The checkpoint's `metadata`.
    Metadata,
    /// `sources/0/N`.
    Sources,
    /// `offsets/N`.
    Offsets,
    /// The file sink's `_spark_metadata/N`.
    Sink,
    /// `commits/N`.
    Commits,
    /// The k-th atomic write of whichever log (requests only; crashpoint's `during-log-write`).
    Any,
    /// A foreach-batch function that raised (responses only).
    ForeachBatch,
}

/// When, around the atomic write, a crash strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CrashWhen {
    /// Nothing written, not even the temp file.
    Before,
    /// The temp file written and closed, not renamed.
    During,
    /// Renamed into place, complete.
    After,
}

/// A crash to inject: the `hit`-th atomic write of `log` in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CrashAt {
    /// The log.
    pub log: CrashLog,
    /// The position.
    pub when: CrashWhen,
    /// The k-th write of that log in this run (1-based).
    pub hit: u32,
}

/// `read-file-sink`.
#[derive(Debug, Clone, Serialize)]
pub struct ReadFileSinkRequest {
    /// The output directory (absolute).
    pub path: PathBuf,
    /// A DDL schema; inferred when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
}

/// `sql`.
#[derive(Debug, Clone, Serialize)]
pub struct SqlRequest {
    /// The query.
    pub query: String,
}

/// A Java (or Python) exception, as the driver describes it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct JavaError {
    /// The exception's class.
    pub class: String,
    /// Its message.
    #[serde(default)]
    pub message: Option<String>,
    /// Spark's error condition, when it has one.
    #[serde(default)]
    pub condition: Option<String>,
    /// The cause chain, outermost first.
    #[serde(default)]
    pub chain: Vec<ChainLink>,
    /// `"start"` when `DataStreamWriter.start()` threw.
    #[serde(default)]
    pub stage: Option<String>,
}

impl JavaError {
    /// Every message of the chain, joined, to search for an expected error.
    pub fn full_text(&self) -> String {
        let mut parts = vec![self.message.clone().unwrap_or_default()];
        parts.extend(self.chain.iter().map(|l| format!("{}: {}", l.class, l.message.clone().unwrap_or_default())));
        parts.join("\n")
    }

    /// The root cause's class and message, one line.
    pub fn root(&self) -> String {
        match self.chain.last() {
            Some(link) => {
                format!("{}: {}", link.class, link.message.as_deref().unwrap_or("").lines().next().unwrap_or(""))
            }
            None => format!("{}: {}", self.class, self.message.as_deref().unwrap_or("")),
        }
    }
}

/// One link of a cause chain.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct ChainLink {
    /// The class.
    pub class: String,
    /// The message.
    #[serde(default)]
    pub message: Option<String>,
}

/// `hello`'s answer.
#[derive(Debug, Clone, Deserialize)]
pub struct Hello {
    /// The protocol version.
    pub protocol: u32,
    /// Spark's version.
    pub spark: String,
    /// Java's version.
    pub java: String,
    /// Python's version.
    pub python: String,
    /// Driver start to a ready SparkSession.
    pub jvm_start_ms: u64,
    /// Where the JVM's stdout and stderr go.
    pub log_dir: PathBuf,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The trigger finished normally.
    Completed,
    /// An injected crash, or a foreach-batch failure.
    Crashed,
    /// Any other exception.
    Failed,
    /// Stopped after the timeout.
    Timeout,
}

/// Where an injected crash struck.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Struck {
    /// The log.
    pub log: CrashLog,
    /// The position.
    pub when: CrashWhen,
    /// The write's hit number in the run.
    #[serde(default)]
    pub hit: Option<u32>,
    /// The batch of the write.
    #[serde(default)]
    pub batch: Option<i64>,
    /// The file's name.
    #[serde(default)]
    pub file: Option<String>,
}

/// One atomic write attempt of a run.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Write {
    /// The log (`metadata`, `sources`, `offsets`, `sink`, `commits`).
    pub log: String,
    /// The file's name (`1`, `9.compact`).
    pub file: String,
    /// Its hit number in the run.
    pub hit: u32,
}

/// One progress report of a run.
#[derive(Debug, Clone, Deserialize)]
pub struct Progress {
    /// The batch id.
    #[serde(rename = "batchId")]
    pub batch_id: i64,
    /// Input rows.
    #[serde(rename = "numInputRows", default)]
    pub num_input_rows: i64,
    /// Whether the batch ran (a trigger with no data reports progress too).
    #[serde(default)]
    pub executed: bool,
}

/// `run`'s answer.
#[derive(Debug, Clone, Deserialize)]
pub struct RunResponse {
    /// How the run ended.
    pub outcome: Outcome,
    /// The query's exception.
    #[serde(default)]
    pub error: Option<JavaError>,
    /// Where the injected crash struck.
    #[serde(default)]
    pub crash: Option<Struck>,
    /// A crash was asked and the run ended without reaching it.
    #[serde(default)]
    pub crash_armed_but_not_reached: bool,
    /// Atomic-write attempts per log.
    #[serde(default)]
    pub hits: BTreeMap<String, u32>,
    /// Every atomic-write attempt, in order.
    #[serde(default)]
    pub writes: Vec<Write>,
    /// Progress reports.
    #[serde(default)]
    pub batches: Vec<Progress>,
    /// What the console sink printed.
    #[serde(default)]
    pub console: String,
    /// What Spark logged.
    #[serde(default)]
    pub spark_log: String,
    /// The memory sink's rows after the run.
    #[serde(default)]
    pub memory_rows: Option<Vec<Value>>,
    /// The foreach-batch function's events.
    #[serde(default)]
    pub foreach_batch: Option<Vec<Value>>,
    /// The query could not be stopped after a timeout.
    #[serde(default)]
    pub zombie: bool,
    /// Wall-clock time of the run.
    #[serde(default)]
    pub elapsed_ms: u64,
}

/// `read-file-sink`'s answer.
#[derive(Debug, Clone, Deserialize)]
pub struct FileSinkRows {
    /// The rows (Spark's JSON: nulls omitted).
    pub rows: Vec<serde_json::Map<String, Value>>,
    /// The data files the reader read.
    #[serde(default)]
    pub files: Vec<String>,
}

/// `sql`'s answer.
#[derive(Debug, Clone, Deserialize)]
pub struct SqlRows {
    /// The columns.
    pub columns: Vec<String>,
    /// The rows.
    pub rows: Vec<serde_json::Map<String, Value>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_written_as_the_protocol_says() {
        let mut run = RunRequest::new("/t/in", "/t/cp", SinkSpec::File { path: "/t/out".into() });
        run.crash = Some(CrashAt { log: CrashLog::Offsets, when: CrashWhen::Before, hit: 2 });
        run.source.max_files_per_trigger = Some(1);
        run.trigger = TriggerSpec::ProcessingTimeMs(500);
        let json = serde_json::to_value(Request::Run(Box::new(run))).unwrap();
        assert_eq!(json["op"], "run");
        assert_eq!(json["sink"], serde_json::json!({"kind": "file", "path": "/t/out"}));
        assert_eq!(json["crash"], serde_json::json!({"log": "offsets", "when": "before", "hit": 2}));
        assert_eq!(json["source"], serde_json::json!({"maxFilesPerTrigger": 1}));
        assert_eq!(json["trigger"], serde_json::json!({"processing-time-ms": 500}));
        assert_eq!(json["plan"][0], serde_json::json!({"op": "explode", "column": "data.devices", "as": "device"}));
        assert_eq!(serde_json::to_value(Request::Hello).unwrap(), serde_json::json!({"op": "hello"}));
        let sink = SinkSpec::ForeachBatch { table: "/t/table".into(), idempotent: true, fail: None };
        assert_eq!(
            serde_json::to_value(sink).unwrap(),
            serde_json::json!({"kind": "foreach-batch", "table": "/t/table", "idempotent": true})
        );
    }

    #[test]
    fn a_crashed_run_response_is_read() {
        let line = r#"{"ok": true, "op": "run", "outcome": "crashed",
            "error": {"class": "org.apache.spark.sql.streaming.StreamingQueryException", "message": "m", "chain": [{"class": "X", "message": "root"}]},
            "crash": {"log": "offsets", "when": "before", "hit": 1, "batch": 1, "file": "1", "path": "file:/cp/offsets/1"},
            "crash_armed_but_not_reached": false, "query_id": "q", "run_id": "r",
            "hits": {"metadata": 0, "sources": 1, "offsets": 1, "sink": 0, "commits": 0},
            "writes": [{"log": "sources", "file": "1", "hit": 1}],
            "batches": [{"batchId": 1, "numInputRows": 0, "executed": true, "durationMs": {}}],
            "console": "", "spark_log": "", "elapsed_ms": 407}"#;
        let run: RunResponse = serde_json::from_str(line).unwrap();
        assert_eq!(run.outcome, Outcome::Crashed);
        assert_eq!(run.crash.unwrap().log, CrashLog::Offsets);
        assert_eq!(run.error.unwrap().root(), "X: root");
        assert_eq!(run.hits["offsets"], 1);
        assert_eq!(run.batches[0].batch_id, 1);
    }
}
