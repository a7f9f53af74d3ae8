//! The driver client: the protocol round trip, an injected crash, the restart that recovers from
//! it, and the reader of the file sink.

use crashpoint_harness::spark::{CrashAt, CrashLog, CrashWhen, Outcome, RunRequest, SinkSpec, SparkError, with_driver};
use std::path::Path;

const E1: &str = "{\"eventId\": \"e1\", \"data\": {\"devices\": [{\"deviceId\": \"d1\", \"temperature\": 21.5}, {\"deviceId\": \"d2\", \"temperature\": 19.0}]}}\n";
const E2: &str = "{\"eventId\": \"e2\", \"data\": {\"devices\": [{\"deviceId\": \"d3\", \"temperature\": 30.0}]}}\n";

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn the_driver_answers_hello_and_refuses_a_bad_request_without_dying() {
    // Goal: the client speaks the protocol. Method: hello, then a request the driver refuses,
    // then a request that works, on the same driver.
    with_driver(|spark| {
        let hello = spark.hello().clone();
        assert_eq!(hello.spark, "4.3.0");
        assert!(hello.java.starts_with("17") || hello.java.split('.').next().unwrap().parse::<u32>().unwrap() >= 17);
        let dir = tempfile::tempdir().unwrap();
        let mut bad = RunRequest::new(
            dir.path().join("in"),
            dir.path().join("cp"),
            SinkSpec::Console { options: Default::default() },
        );
        bad.input = "relative".into();
        let refused = spark.run(bad).unwrap_err();
        assert!(matches!(refused, SparkError::Refused { .. }), "{refused}");
        assert!(refused.to_string().contains("absolute path"), "{refused}");
        let rows = spark.sql("SELECT 1 AS one")?;
        assert_eq!(rows.columns, ["one"]);
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_crash_before_the_second_commit_recovers_exactly_once() {
    // Goal: crash injection and recovery through the client. Method: two files, one per batch,
    // crash before the 2nd commit, restart, read the file sink: 3 rows, each once.
    let dir = tempfile::tempdir().unwrap();
    let (input, cp, out) = (dir.path().join("in"), dir.path().join("cp"), dir.path().join("out"));
    write(&input.join("device_01.json"), E1);
    write(&input.join("device_02.json"), E2);
    filetime(&input.join("device_01.json"), 1_700_000_000);
    filetime(&input.join("device_02.json"), 1_700_000_001);
    with_driver(|spark| {
        let mut run = RunRequest::new(&input, &cp, SinkSpec::File { path: out.clone() });
        run.source.max_files_per_trigger = Some(1);
        run.crash = Some(CrashAt { log: CrashLog::Commits, when: CrashWhen::Before, hit: 2 });
        let crashed = spark.run(run.clone())?;
        assert_eq!(crashed.outcome, Outcome::Crashed, "{:?}", crashed.error);
        assert_eq!(crashed.crash.as_ref().unwrap().batch, Some(1));
        run.crash = None;
        let restarted = spark.run(run)?;
        assert_eq!(restarted.outcome, Outcome::Completed, "{:?}", restarted.error);
        let read = spark.read_file_sink(&out, Some("eventId STRING, device_id STRING, temp DOUBLE"))?;
        let mut ids: Vec<String> = read.rows.iter().map(|r| r["device_id"].as_str().unwrap().to_string()).collect();
        ids.sort();
        assert_eq!(ids, ["d1", "d2", "d3"]);
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
}

fn filetime(path: &Path, secs: i64) {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs as u64);
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(t).unwrap();
}
