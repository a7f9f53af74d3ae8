//! A real process crash: the built binary is killed mid-batch by a fail point, restarted on the
//! same checkpoint, and its output is checked as the scenario checker does.
//!
//! Goal: the crash points are real `fail` fail points, not only the harness's in-process
//! injections. Method: `FAILPOINTS=<point>=1*off->panic` lets batch 0 pass and kills the process
//! at the point in batch 1 (the binary aborts on that panic, as under `kill -9`); a second run
//! without FAILPOINTS recovers. Each crash is checked to have happened where it was asked for.

use crashpoint_engine::plan::Plan;
use crashpoint_engine::sink::read_file_sink_output;
use crashpoint_engine::storage::{DiskStorage, Storage};
use crashpoint_harness::check::{SinkView, check_invariants};
use std::path::Path;
use std::process::{Command, Output};

const DEVICE_01: &str = r#"{"eventId": "e1", "data": {"devices": [{"deviceId": "d1", "temperature": 21.5}, {"deviceId": "d2", "temperature": 19.0}]}}"#;
const DEVICE_02: &str = r#"{"eventId": "e2", "data": {"devices": [{"deviceId": "d3", "temperature": 30.0}]}}"#;

fn setup(root: &Path) {
    let input = root.join("input");
    std::fs::create_dir_all(&input).unwrap();
    for (i, (name, line)) in [("device_01.json", DEVICE_01), ("device_02.json", DEVICE_02)].iter().enumerate() {
        std::fs::write(input.join(name), format!("{line}\n")).unwrap();
        DiskStorage.set_mtime(&input.join(name), 1_790_000_000_000 + i as i64 * 1000).unwrap();
    }
}

fn stream(root: &Path, sink: &str, failpoints: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_crashpoint"));
    command.args(["stream", "--sink", sink, "--max-files-per-trigger", "1", "--no-processing-time"]);
    command.arg("--input").arg(root.join("input")).arg("--checkpoint").arg(root.join("checkpoint"));
    if sink == "file" {
        command.arg("--output").arg(root.join("output"));
    }
    command.env_remove("FAILPOINTS");
    if let Some(failpoints) = failpoints {
        command.env("FAILPOINTS", failpoints);
    }
    command.output().expect("the binary runs")
}

fn rows(root: &Path) -> Vec<String> {
    let schema = Plan::tutorial_without_time().compile().unwrap().schema().to_vec();
    let rows = read_file_sink_output(&DiskStorage, &root.join("output"), &schema, true).unwrap();
    let mut rows: Vec<String> = rows.iter().map(|r| serde_json::to_string(r).unwrap()).collect();
    rows.sort();
    rows
}

/// What the checkpoint holds right after a crash at `point` in batch 1: (offsets/1, commits/1).
fn expected_after_crash(point: &str) -> (bool, bool) {
    match point {
        "before-offsets-write" => (false, false),
        "after-offsets-write" | "during-sink-write" | "after-sink-write" => (true, false),
        "after-commit-write" => (true, true),
        other => panic!("no expectation for {other}"),
    }
}

#[test]
fn a_process_killed_at_each_crash_point_recovers_exactly_once_with_the_file_sink() {
    let points =
        ["before-offsets-write", "after-offsets-write", "during-sink-write", "after-sink-write", "after-commit-write"];
    for point in points {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().canonicalize().unwrap();
        setup(&root);
        let crashed = stream(&root, "file", Some(&format!("{point}=1*off->panic")));
        let stderr = String::from_utf8_lossy(&crashed.stderr);
        assert_eq!(crashed.status.code(), None, "{point}: the process must die by a signal (abort): {stderr}");
        assert!(stderr.contains(point), "{point}: the crash names its point: {stderr}");
        let checkpoint = root.join("checkpoint");
        let state = (checkpoint.join("offsets/1").exists(), checkpoint.join("commits/1").exists());
        assert_eq!(state, expected_after_crash(point), "{point}: (offsets/1, commits/1) right after the crash");
        assert!(checkpoint.join("commits/0").exists(), "{point}: batch 0 committed before the crash");

        let recovered = stream(&root, "file", None);
        let stderr = String::from_utf8_lossy(&recovered.stderr);
        assert!(recovered.status.success(), "{point}: restart failed: {stderr}");
        let expected = vec![
            r#"["e1","d1",21.5]"#.to_string(),
            r#"["e1","d2",19.0]"#.to_string(),
            r#"["e2","d3",30.0]"#.to_string(),
        ];
        assert_eq!(rows(&root), expected, "{point}: each row exactly once");
        let violations = check_invariants(
            &DiskStorage,
            &checkpoint,
            SinkView::FileSinkLog(&root.join("output")),
            &Default::default(),
            crashpoint_engine::checkpoint::MIN_BATCHES_TO_RETAIN,
            crashpoint_engine::source::SourceOptions::default().max_file_age_ms(),
        );
        assert!(violations.is_empty(), "{point}: {violations:?}");
    }
}

#[test]
fn a_killed_console_query_prints_the_rerun_batch_again_and_loses_nothing() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().canonicalize().unwrap();
    setup(&root);
    let crashed = stream(&root, "console", Some("after-sink-write=1*off->panic"));
    assert_eq!(crashed.status.code(), None, "killed by abort");
    let first = String::from_utf8_lossy(&crashed.stdout).into_owned();
    assert!(first.contains("Batch: 1") && first.contains("e2"), "batch 1 printed before the crash:\n{first}");
    let recovered = stream(&root, "console", None);
    assert!(recovered.status.success());
    let second = String::from_utf8_lossy(&recovered.stdout).into_owned();
    assert!(second.contains("Batch: 1") && second.contains("|     e2|       d3|30.0|"), "re-run:\n{second}");
    assert!(String::from_utf8_lossy(&recovered.stderr).contains("re-run batch 1"));
}

#[test]
fn without_failpoints_the_same_run_does_not_crash() {
    // The control: proves the crash above came from FAILPOINTS, not from the setup.
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().canonicalize().unwrap();
    setup(&root);
    assert!(stream(&root, "file", None).status.success());
    assert_eq!(rows(&root).len(), 3);
}
