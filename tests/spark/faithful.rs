//! The engine made faithful, proven against real Spark 4.3 (issue 7, item 4): each test runs
//! Spark and the engine on the same input and compares what both wrote: `sources/0/*` byte for
//! byte, each `offsets/N`'s `logOffset`, the files of every batch, and the JSON sink's lines
//! byte for byte (paths with each side's root as `{root}`), and the console sink's tables line
//! for line (types). Where crashpoint differs from Spark on purpose, the test checks the
//! difference itself, as the README's table states it.

use crate::twin::{Side, Twin, same};
use crashpoint_engine::engine::{Engine, EngineOptions, Event, Query, Trigger};
use crashpoint_engine::faults::{CrashPoint, FaultPlan};
use crashpoint_engine::plan::Plan;
use crashpoint_engine::sink::ConsoleSink;
use crashpoint_engine::source::SourceOptions;
use crashpoint_engine::storage::DiskStorage;
use crashpoint_harness::spark::{
    CrashAt, CrashLog, CrashWhen, Outcome, RunRequest, SinkSpec, SparkDriver, TriggerSpec, with_driver,
};
use std::sync::{Arc, Mutex};

/// A one-device record with this event id.
fn record(event: &str, device: &str, temperature: f64) -> String {
    format!(
        r#"{{"eventId": "{event}", "data": {{"devices": [{{"deviceId": "{device}", "temperature": {temperature:?}}}]}}}}"#
    ) + "\n"
}

const T0: i64 = 1_700_000_000_000;

fn spark_run(spark: &mut SparkDriver, run: RunRequest, expected: Outcome) {
    let response = spark.run(run).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.outcome, expected, "Spark: {:?}", response.error.map(|e| e.root()));
}

fn limit(n: i64) -> SourceOptions {
    SourceOptions { max_files_per_trigger: Some(n), ..SourceOptions::default() }
}

/// Compares the checkpoints' source logs, `logOffset`s and batches, and the sinks' lines.
fn same_checkpoints_and_rows(twin: &Twin) {
    same("sources/0/*", twin.sources(Side::Spark), twin.sources(Side::Engine));
    same("offsets/* logOffset lines", twin.log_offsets(Side::Spark), twin.log_offsets(Side::Engine));
    same("batches (id, logOffset, files)", twin.batches(Side::Spark), twin.batches(Side::Engine));
    same("JSON sink lines", twin.sink_lines(Side::Spark), twin.sink_lines(Side::Engine));
}

#[test]
fn log_offset_after_orphaning_crashes_is_sparks_and_spark_checkpoints_resume_exactly_once() {
    // Goal: item 1. Two crashes in a row between `sources/0/N` and `offsets/N`, each with a new
    // file (FINDINGS Q1 D), then a restart with one more file and a last batch: the engine's
    // source log, logOffsets, batches and rows equal Spark's. Then crashpoint resumes Spark's
    // own checkpoint (logOffset ≠ batch id) with a new file, and Spark reads the result: once.
    // Method: the same steps on both sides; the crash is Spark's injector before the 1st
    // offsets write, and the engine's `before-offsets-write` hit 1.
    let twin = Twin::new();
    let crash = FaultPlan::crash_at(CrashPoint::BeforeOffsetsWrite, 1);
    with_driver(|spark| {
        let mut orphaning = twin.spark_request();
        orphaning.crash = Some(CrashAt { log: CrashLog::Offsets, when: CrashWhen::Before, hit: 1 });
        twin.drop("f1.json", &(record("e1", "d1", 21.5) + &record("e1b", "d2", 19.0)), T0);
        spark_run(spark, twin.spark_request(), Outcome::Completed);
        twin.engine_run(Trigger::AvailableNow, limit(1), FaultPlan::none()).ok();
        for (n, name) in [(2, "f2.json"), (3, "f3.json")] {
            twin.drop(name, &record(&format!("e{n}"), &format!("d{n}"), 30.0), T0 + (n - 1) * 1000);
            spark_run(spark, orphaning.clone(), Outcome::Crashed);
            assert!(twin.engine_run(Trigger::AvailableNow, limit(1), crash.clone()).err().crash().is_some());
        }
        twin.drop("f4.json", &record("e4", "d4", 25.0), T0 + 3000);
        let mut limited = twin.spark_request();
        limited.source.max_files_per_trigger = Some(1);
        spark_run(spark, limited.clone(), Outcome::Completed);
        twin.engine_run(Trigger::AvailableNow, limit(1), FaultPlan::none()).ok();
        twin.drop("f5.json", &record("e5", "d5", 26.0), T0 + 4000);
        spark_run(spark, limited, Outcome::Completed);
        twin.engine_run(Trigger::AvailableNow, limit(1), FaultPlan::none()).ok();
        same_checkpoints_and_rows(&twin);
        let batches = twin.batches(Side::Spark);
        assert_eq!(batches[1], (1, Some(3), vec!["f2.json".into(), "f3.json".into(), "f4.json".into()]));

        // crashpoint resumes Spark's checkpoint; Spark then reads what crashpoint wrote.
        std::fs::write(twin.input(Side::Spark).join("f6.json"), record("e6", "d6", 27.0)).unwrap();
        let resumed = twin.engine_run_on(Side::Spark, Trigger::AvailableNow, limit(1), FaultPlan::none()).ok();
        assert_eq!(resumed.planned(), vec![(3, vec!["f6.json".to_string()])], "{}", resumed.trace());
        assert_eq!(twin.log_offsets(Side::Spark)["3"], r#"{"logOffset":5}"#);
        let read =
            spark.read_file_sink(&twin.output(Side::Spark), Some("eventId STRING, device_id STRING, temp DOUBLE"))?;
        let mut events: Vec<&str> = read.rows.iter().map(|r| r["eventId"].as_str().unwrap()).collect();
        events.sort();
        assert_eq!(events, ["e1", "e1b", "e2", "e3", "e4", "e5", "e6"], "each row once, read by Spark");
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn triggers_take_the_batches_spark_takes() {
    // Goal: item 3. With maxFilesPerTrigger 1 and three waiting files: `once` makes one batch of
    // all three, `available-now` three batches, `processing-time` (0 ms, until all available
    // data is processed) three batches; the engine's batches and logs equal Spark's each time.
    // Method: a fresh twin per trigger, the same files, one run each.
    with_driver(|spark| {
        for (spark_trigger, trigger) in [
            (TriggerSpec::Once, Trigger::Once),
            (TriggerSpec::AvailableNow, Trigger::AvailableNow),
            (TriggerSpec::ProcessingTimeMs(0), Trigger::ProcessingTime { interval_ms: 0 }),
        ] {
            let twin = Twin::new();
            for n in 0..3 {
                twin.drop(&format!("f{n}.json"), &record(&format!("e{n}"), "d", 1.0), T0 + n * 1000);
            }
            let mut run = twin.spark_request();
            run.trigger = spark_trigger;
            run.source.max_files_per_trigger = Some(1);
            spark_run(spark, run, Outcome::Completed);
            twin.engine_run(trigger, limit(1), FaultPlan::none()).ok();
            same_checkpoints_and_rows(&twin);
            let expected = if trigger == Trigger::Once { 1 } else { 3 };
            assert_eq!(twin.batches(Side::Engine).len(), expected, "{trigger}");
        }
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
}

/// Q2's names that Spark reads right, and a JSON string of each (the file's event id).
const PLAIN_NAMES: [&str; 7] =
    ["my file.json", "100%.json", "my%20file.json", "a#b.json", "a+b.json", "é.json", "日本.json"];

#[test]
fn paths_are_quoted_as_spark_quotes_them_both_ways() {
    // Goal: item 2. Input dir `in dir`, output dir `out dir é`, files named with a space, %,
    // an escape look-alike, #, +, and non-ASCII letters: `sources/0/0` equals Spark's byte for
    // byte, the part-file lines too, `_spark_metadata` names the output dir as Spark does, and a
    // second run on each side (reading the names back) finds nothing new. Method: twin runs.
    let twin = Twin::named("in dir", "out dir é");
    for (i, name) in PLAIN_NAMES.iter().enumerate() {
        let text = record(name, &format!("d{i}"), i as f64);
        twin.drop(name, &text, T0 + i as i64 * 1000);
    }
    with_driver(|spark| {
        spark_run(spark, twin.spark_request(), Outcome::Completed);
        twin.engine_run(Trigger::AvailableNow, SourceOptions::default(), FaultPlan::none()).ok();
        same_checkpoints_and_rows(&twin);
        let sink_log = |side| twin.log(side, &twin.output(side).join("_spark_metadata"))["0"].clone();
        let prefix = r#"{"path":"file://{root}/out%20dir%20é/part-00000-"#;
        assert!(sink_log(Side::Spark).lines().nth(1).unwrap().starts_with(prefix), "{}", sink_log(Side::Spark));
        assert!(sink_log(Side::Engine).lines().nth(1).unwrap().starts_with(prefix), "{}", sink_log(Side::Engine));
        let again = spark.run(twin.spark_request())?;
        assert!(again.batches.iter().all(|b| !b.executed), "Spark reads its names back: nothing new");
        let engine_again = twin.engine_run(Trigger::AvailableNow, SourceOptions::default(), FaultPlan::none()).ok();
        assert_eq!(engine_again.planned(), vec![], "the engine reads its names back: nothing new");
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn glob_and_colon_names_break_spark_and_crashpoint_stays_exactly_once() {
    // Goal: item 2, the names where Spark itself breaks (README, difference table): a batch of
    // `plain`, `other` and `a*b` reads plain and other twice in Spark, once in crashpoint, with
    // a warning; a name with `:` fails Spark's batch and is read once by crashpoint. The source
    // logs still agree. Method: twin runs, the reader's event ids compared with the files.
    let twin = Twin::new();
    for (i, name) in ["plain.json", "other.json", "a*b.json"].iter().enumerate() {
        twin.drop(name, &record(name, "d", 1.0), T0 + i as i64 * 1000);
    }
    let colon = Twin::new();
    colon.drop("a:b.json", &record("a:b.json", "d", 1.0), T0);
    with_driver(|spark| {
        spark_run(spark, twin.spark_request(), Outcome::Completed);
        let run = twin.engine_run(Trigger::AvailableNow, SourceOptions::default(), FaultPlan::none()).ok();
        same("sources/0/*", twin.sources(Side::Spark), twin.sources(Side::Engine));
        let events = |side| {
            let mut ids: Vec<String> =
                twin.sink_lines(side).iter().map(|l| l.split('"').nth(3).unwrap().into()).collect();
            ids.sort();
            ids
        };
        assert_eq!(events(Side::Spark), ["a*b.json", "other.json", "other.json", "plain.json", "plain.json"]);
        assert_eq!(events(Side::Engine), ["a*b.json", "other.json", "plain.json"]);
        assert!(run.warnings().iter().any(|w| w.contains("a*b.json: Spark 4.3 takes this name as a glob")));

        let failed = spark.run(colon.spark_request())?;
        assert_eq!(failed.outcome, Outcome::Failed);
        assert!(failed.error.unwrap().full_text().contains("URISyntaxException"));
        let run = colon.engine_run(Trigger::AvailableNow, SourceOptions::default(), FaultPlan::none()).ok();
        same("sources/0/0 with a colon", colon.sources(Side::Spark), colon.sources(Side::Engine));
        assert_eq!(colon.sink_lines(Side::Engine).len(), 1);
        assert!(run.warnings().iter().any(|w| w.contains("a:b.json: Spark 4.3 fails")));
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_new_checkpoint_gets_a_fresh_id_and_a_rerun_keeps_its_time_as_in_spark() {
    // Goal: item 5. Spark gives each new checkpoint its own random query id, and a batch re-run
    // after a crash keeps the `batchTimestampMs` of its `offsets/N` (its rows' processing_time);
    // `crashpoint stream` does both too. Method: two new checkpoints per side; then a crash
    // right after `offsets/0` (Spark's injector, crashpoint's FAILPOINTS) and a restart a second
    // later; the processing_time in the part file against `offsets/0`.
    let twin = Twin::new();
    twin.drop("f1.json", &record("e1", "d1", 21.5), T0);
    let time_plan = || {
        let mut plan = crashpoint_harness::spark::PlanStep::tutorial();
        plan.push(crashpoint_harness::spark::PlanStep::ProcessingTime { alias: "processing_time".into() });
        plan
    };
    with_driver(|spark| {
        let mut ids = Vec::new();
        for cp in ["a", "b"] {
            let mut run = twin.spark_request();
            run.checkpoint = twin.checkpoint(Side::Spark).join(cp);
            run.sink = crashpoint_harness::spark::SinkSpec::File { path: twin.output(Side::Spark).join(cp) };
            spark_run(spark, run, Outcome::Completed);
            ids.push(query_id(&twin.checkpoint(Side::Spark).join(cp)));
        }
        assert_ne!(ids[0], ids[1], "Spark: a fresh id per new checkpoint");
        let mut crashing = twin.spark_request();
        crashing.plan = time_plan();
        crashing.crash = Some(CrashAt { log: CrashLog::Offsets, when: CrashWhen::After, hit: 1 });
        spark_run(spark, crashing.clone(), Outcome::Crashed);
        std::thread::sleep(std::time::Duration::from_millis(1100));
        crashing.crash = None;
        spark_run(spark, crashing, Outcome::Completed);
        let spark_cp = twin.checkpoint(Side::Spark);
        assert_eq!(processing_time(&twin.output(Side::Spark)), iso(batch_time(&spark_cp)), "Spark keeps the time");
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{e}"));

    let stream = |cp: &str, failpoints: Option<&str>| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_crashpoint"));
        command.args(["stream", "--sink", "file", "--processing-time", "--input"]).arg(twin.input(Side::Engine));
        command.arg("--checkpoint").arg(twin.checkpoint(Side::Engine).join(cp));
        command.arg("--output").arg(twin.output(Side::Engine).join(cp)).env_remove("FAILPOINTS");
        if let Some(failpoints) = failpoints {
            command.env("FAILPOINTS", failpoints);
        }
        command.output().unwrap()
    };
    assert!(stream("a", None).status.success() && stream("b", None).status.success());
    let engine_cp = twin.checkpoint(Side::Engine);
    assert_ne!(query_id(&engine_cp.join("a")), query_id(&engine_cp.join("b")), "crashpoint: a fresh id too");
    assert!(!stream("c", Some("after-offsets-write=panic")).status.success());
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert!(stream("c", None).status.success());
    let recorded = batch_time(&engine_cp.join("c"));
    assert_eq!(processing_time(&twin.output(Side::Engine).join("c")), iso(recorded), "crashpoint keeps the time");
}

fn query_id(checkpoint: &std::path::Path) -> String {
    let metadata: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(checkpoint.join("metadata")).unwrap()).unwrap();
    metadata["id"].as_str().unwrap().to_string()
}

fn batch_time(checkpoint: &std::path::Path) -> i64 {
    let text = std::fs::read_to_string(checkpoint.join("offsets/0")).unwrap();
    let metadata: serde_json::Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
    metadata["batchTimestampMs"].as_i64().unwrap()
}

fn iso(ms: i64) -> String {
    crashpoint_engine::plan::format_timestamp_ms(ms)
}

/// The processing_time of the one row in the output's part files.
fn processing_time(output: &std::path::Path) -> String {
    let part = std::fs::read_dir(output)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name().unwrap().to_string_lossy().starts_with("part-") && p.extension().is_some_and(|e| e == "json")
        })
        .unwrap();
    let line = std::fs::read_to_string(part).unwrap();
    let row: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    row["processing_time"].as_str().unwrap().to_string()
}

/// Spark's FINDINGS Q4 values, one line each: the event id names what the line holds.
const TYPES: [&str; 26] = [
    r#"{"eventId": "hot", "data": {"devices": [{"deviceId": "d", "temperature": "hot"}]}}"#,
    r#"{"eventId": "int30", "data": {"devices": [{"deviceId": "d", "temperature": 30}]}}"#,
    r#"{"eventId": "str30", "data": {"devices": [{"deviceId": "d", "temperature": "30"}]}}"#,
    r#"{"eventId": "true", "data": {"devices": [{"deviceId": "d", "temperature": true}]}}"#,
    r#"{"eventId": "null", "data": {"devices": [{"deviceId": "d", "temperature": null}]}}"#,
    r#"{"eventId": "missing", "data": {"devices": [{"deviceId": "d"}]}}"#,
    r#"{"eventId": 42, "data": {"devices": [{"deviceId": "d", "temperature": 1.0}]}}"#,
    r#"{"eventId": {"a": 1}, "data": {"devices": [{"deviceId": "d", "temperature": 1.0}]}}"#,
    r#"{"eventId": "NaN", "data": {"devices": [{"deviceId": "d", "temperature": NaN}]}}"#,
    r#"{"eventId": "-Infinity", "data": {"devices": [{"deviceId": "d", "temperature": -Infinity}]}}"#,
    r#"{"eventId": "str-NaN", "data": {"devices": [{"deviceId": "d", "temperature": "NaN"}]}}"#,
    r#"{"eventId": "1e400", "data": {"devices": [{"deviceId": "d", "temperature": 1e400}]}}"#,
    r#"{"eventId": "devices-object", "data": {"devices": {"deviceId": "d", "temperature": 1.0}}}"#,
    r#"{"eventId": "devices-string", "data": {"devices": "d"}}"#,
    r#"{"eventId": "no-data"}"#,
    r#"{"eventId": "deviceId-number", "data": {"devices": [{"deviceId": 7, "temperature": 1.0}]}}"#,
    r#"{"eventId": "dup-key", "data": {"devices": [{"deviceId": "d", "temperature": 1.0, "temperature": 2.0}]}}"#,
    r#"{"eventId": "case", "data": {"devices": [{"DeviceId": "d", "Temperature": 1.0}]}}"#,
    r#"{'eventId': 'single-quotes', 'data': {'devices': [{'deviceId': 'd', 'temperature': 0.5}]}}"#,
    r#"{"eventId": "-0.0", "data": {"devices": [{"deviceId": "d", "temperature": -0.0}]}}"#,
    r#"{"eventId": "0.1+0.2", "data": {"devices": [{"deviceId": "d", "temperature": 0.30000000000000004}]}}"#,
    r#"{"eventId": "1e20", "data": {"devices": [{"deviceId": "d", "temperature": 1e20}]}}"#,
    r#"{"eventId": "1e7", "data": {"devices": [{"deviceId": "d", "temperature": 1e7}]}}"#,
    r#"{"eventId": "1234567.0", "data": {"devices": [{"deviceId": "d", "temperature": 1234567.0}]}}"#,
    r#"{"eventId": "0.0001", "data": {"devices": [{"deviceId": "d", "temperature": 0.0001}]}}"#,
    r#"{"eventId": "big", "data": {"devices": [{"deviceId": "d", "temperature": 123456789012345678901234567890}]}}"#,
];

#[test]
fn values_of_every_type_are_read_written_and_printed_as_spark_does() {
    // Goal: item 4, types. Spark reads the tutorial's JSON with its schema: "hot", "30" and true
    // for the DOUBLE temperature are NULL with the rest of the record kept, 30 is 30.0, NaN and
    // the infinities are doubles (written "NaN"), a number or an object for the STRING eventId
    // is its raw text, devices that is not an array gives no row; its JSON sink leaves null
    // fields out and its console prints NULL. crashpoint does the same, and says which values
    // it read as NULL. Method: one file of such lines on both sides; the file sink's lines
    // compared byte for byte, then the console sink's tables line for line.
    let twin = Twin::new();
    twin.drop("types.json", &(TYPES.join("\n") + "\n"), T0);
    with_driver(|spark| {
        spark_run(spark, twin.spark_request(), Outcome::Completed);
        let run = twin.engine_run(Trigger::AvailableNow, SourceOptions::default(), FaultPlan::none()).ok();
        same("JSON sink lines", twin.sink_lines(Side::Spark), twin.sink_lines(Side::Engine));
        let lines = twin.sink_lines(Side::Engine);
        for line in [r#"{"eventId":"hot","device_id":"d"}"#, r#"{"eventId":"NaN","device_id":"d","temp":"NaN"}"#] {
            assert!(lines.iter().any(|l| l == line), "{line} in {lines:#?}");
        }
        let nulls: Vec<usize> = run
            .events
            .iter()
            .filter_map(|e| if let Event::ReadAsNull { count, .. } = e { Some(*count) } else { None })
            .collect();
        assert_eq!(nulls, [5], "hot, \"30\", true and two devices that are no array: {}", run.trace());

        let console = twin.checkpoint(Side::Spark).with_file_name("cp-console");
        let request =
            RunRequest::new(twin.input(Side::Spark), console, SinkSpec::Console { options: Default::default() });
        let printed = spark.run(request)?;
        assert_eq!(printed.outcome, Outcome::Completed, "{:?}", printed.error.map(|e| e.root()));
        let engine_printed = engine_console(&twin);
        same("console table", table_lines(&printed.console), table_lines(&engine_printed));
        let hot =
            table_lines(&engine_printed).into_iter().find(|l| l.trim_start_matches([' ', '|']).starts_with("hot|"));
        assert!(hot.is_some_and(|l| l.ends_with(" NULL|")), "{engine_printed}");
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
}

/// The lines of the console's tables.
fn table_lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.starts_with(['+', '|'])).collect()
}

/// The engine's tutorial query on the engine side's input, printed by its console sink.
fn engine_console(twin: &Twin) -> String {
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Shared {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let printed = Arc::new(Mutex::new(Vec::new()));
    let query = Query {
        input_dir: twin.input(Side::Engine),
        checkpoint_dir: twin.checkpoint(Side::Engine).with_file_name("cp-console"),
        source: SourceOptions::default(),
        plan: Plan::tutorial_without_time(),
    };
    let sink = Box::new(ConsoleSink::new(Box::new(Shared(printed.clone()))));
    let mut engine = Engine::new(&DiskStorage, query, sink, EngineOptions::default(), FaultPlan::none()).unwrap();
    engine.run(Trigger::AvailableNow).unwrap();
    drop(engine);
    String::from_utf8(printed.lock().unwrap().clone()).unwrap()
}
