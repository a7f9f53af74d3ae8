//! Paths as Spark 4.3 writes them into the source log and `_spark_metadata`, both ways (written,
//! then read back to the same file), for the input and output directory names too; and the
//! names Spark itself reads wrong, which crashpoint reads once and names in a warning.
//! Evidence: `spark/FINDINGS.md` Q2, `spark/results/q02_paths.txt`.

// The engine's test helpers, shared with the end-to-end tests here.
#[path = "../crates/engine/tests/common/mod.rs"]
mod common;

use common::*;
use crashpoint_engine::engine::{Engine, EngineOptions, Query, Trigger};
use crashpoint_engine::faults::FaultPlan;
use crashpoint_engine::plan::Plan;
use crashpoint_engine::sink::{FileSink, read_file_sink_output};
use crashpoint_engine::source::SourceOptions;
use crashpoint_engine::storage::DiskStorage;
use std::path::Path;

/// Q2's eleven input names, in the order of their modification times.
const NAMES: [&str; 11] = [
    "my file.json",
    "100%.json",
    "my%20file.json",
    "a#b.json",
    "a+b.json",
    "é.json",
    "日本.json",
    "a?b.json",
    "[x].json",
    "{y}.json",
    "a*b.json",
];

/// `sources/0/0` as Spark 4.3 wrote it for Q2, with its directory prefix as `{root}`.
const SPARK_SOURCES_0: &str = r#"v1
{"path":"file://{root}/in%20dir/my%20file.json","timestamp":1700000000000,"batchId":0}
{"path":"file://{root}/in%20dir/100%25.json","timestamp":1700000001000,"batchId":0}
{"path":"file://{root}/in%20dir/my%2520file.json","timestamp":1700000002000,"batchId":0}
{"path":"file://{root}/in%20dir/a%23b.json","timestamp":1700000003000,"batchId":0}
{"path":"file://{root}/in%20dir/a+b.json","timestamp":1700000004000,"batchId":0}
{"path":"file://{root}/in%20dir/é.json","timestamp":1700000005000,"batchId":0}
{"path":"file://{root}/in%20dir/日本.json","timestamp":1700000006000,"batchId":0}
{"path":"file://{root}/in%20dir/a%3Fb.json","timestamp":1700000007000,"batchId":0}
{"path":"file://{root}/in%20dir/%5Bx%5D.json","timestamp":1700000008000,"batchId":0}
{"path":"file://{root}/in%20dir/%7By%7D.json","timestamp":1700000009000,"batchId":0}
{"path":"file://{root}/in%20dir/a*b.json","timestamp":1700000010000,"batchId":0}"#;

/// Q2's input: one record per file, its eventId the file's name.
fn q2_input(root: &Path) -> std::path::PathBuf {
    let input = root.join("in dir");
    for (i, name) in NAMES.iter().enumerate() {
        let line = format!(
            r#"{{"eventId": {}, "data": {{"devices": [{{"deviceId": "d{i}", "temperature": {i}.0}}]}}}}"#,
            serde_json::Value::from(*name)
        );
        drop_file(&DiskStorage, &input, name, &line, 1_700_000_000_000 + i as i64 * 1000);
    }
    input
}

fn run_file_sink(input: &Path, checkpoint: &Path, output: &Path) -> Run {
    let query = Query {
        input_dir: input.to_path_buf(),
        checkpoint_dir: checkpoint.to_path_buf(),
        source: SourceOptions::default(),
        plan: Plan::tutorial_without_time(),
    };
    let sink = Box::new(FileSink::new(output, 0));
    let mut engine = Engine::new(&DiskStorage, query, sink, EngineOptions::default(), FaultPlan::none()).unwrap();
    let result = engine.run(Trigger::AvailableNow);
    Run { events: engine.events().to_vec(), result }
}

#[test]
fn the_logs_quote_paths_exactly_as_spark_and_a_restart_reads_them_back() {
    // Goal: `sources/0/0` equals Spark 4.3's byte for byte (space, %, #, ?, [ ], { } quoted;
    // +, *, non-ASCII raw; the input dir `in dir` quoted too), `_spark_metadata/0` names its
    // part file under `out%20dir%20é`, a second run finds nothing new (the names read back to
    // the same files), and a reader gets each record once. Method: Q2's input on a real disk.
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().canonicalize().unwrap();
    let input = q2_input(&root);
    let (checkpoint, output) = (root.join("cp dir"), root.join("out dir é"));
    let first = run_file_sink(&input, &checkpoint, &output).ok();
    assert_eq!(first.committed(), [0]);
    let sources = read_text(&DiskStorage, &checkpoint.join("sources/0/0"));
    assert_eq!(sources, SPARK_SOURCES_0.replace("{root}", &root.display().to_string()));
    let sink_log = read_text(&DiskStorage, &output.join("_spark_metadata/0"));
    let prefix = format!("{{\"path\":\"file://{}/out%20dir%20é/part-00000-", root.display());
    assert!(sink_log.lines().nth(1).unwrap().starts_with(&prefix), "{sink_log}");

    let again = run_file_sink(&input, &checkpoint, &output).ok();
    assert_eq!(again.planned(), vec![], "every name read back to its file: nothing is new");
    let schema = Plan::tutorial_without_time().compile().unwrap().schema().to_vec();
    let rows = read_file_sink_output(&DiskStorage, &output, &schema, true).unwrap();
    let mut ids: Vec<&str> = rows.iter().map(|r| r[0].as_str().unwrap()).collect();
    ids.sort();
    let mut expected = NAMES.to_vec();
    expected.sort();
    assert_eq!(ids, expected, "each record once (Spark 4.3 read this batch as 51 records)");
}

#[test]
fn names_spark_reads_wrong_are_read_once_and_named_in_a_warning() {
    // Goal: Spark 4.3 reads a batch with a glob-named file wrong (every other file again) and
    // fails on a name with a colon; crashpoint reads each once, exactly-once, and says so.
    // Method: Q2's glob case (plain, other, a*b in one batch) and a colon name; warnings, rows.
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().canonicalize().unwrap();
    let input = root.join("in");
    for (i, name) in ["plain.json", "other.json", "a*b.json", "a:b.json"].iter().enumerate() {
        let line =
            format!(r#"{{"eventId": "{name}", "data": {{"devices": [{{"deviceId": "d", "temperature": 1.0}}]}}}}"#);
        drop_file(&DiskStorage, &input, name, &line, 1_700_000_000_000 + i as i64 * 1000);
    }
    let run = run_file_sink(&input, &root.join("cp"), &root.join("out")).ok();
    let warnings = run.warnings();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].contains("a*b.json: Spark 4.3 takes this name as a glob pattern"), "{}", warnings[0]);
    assert!(warnings[1].contains("a:b.json: Spark 4.3 fails every run"), "{}", warnings[1]);
    let sources = read_text(&DiskStorage, &root.join("cp/sources/0/0"));
    assert!(sources.contains("/in/a:b.json\""), "a colon stays raw, as Spark logs it: {sources}");
    let schema = Plan::tutorial_without_time().compile().unwrap().schema().to_vec();
    let rows = read_file_sink_output(&DiskStorage, &root.join("out"), &schema, true).unwrap();
    let mut ids: Vec<&str> = rows.iter().map(|r| r[0].as_str().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, ["a*b.json", "a:b.json", "other.json", "plain.json"]);
}

#[test]
fn a_checkpoint_with_raw_names_from_an_older_crashpoint_is_read_as_the_same_files() {
    // Goal: a source log that spells a path raw (`my file.json`, as crashpoint wrote before it
    // quoted like Spark) still marks that file seen: nothing is reprocessed. Method: a run,
    // then the source log rewritten with the raw spelling, then a second run.
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().canonicalize().unwrap();
    let input = root.join("in");
    drop_file(&DiskStorage, &input, "my file.json", DEVICE_01, FIRST_MTIME_MS);
    run_file_sink(&input, &root.join("cp"), &root.join("out")).ok();
    let log = root.join("cp/sources/0/0");
    let raw = read_text(&DiskStorage, &log).replace("my%20file.json", "my file.json");
    std::fs::write(&log, raw).unwrap();
    let again = run_file_sink(&input, &root.join("cp"), &root.join("out")).ok();
    assert_eq!(again.planned(), vec![]);
}
