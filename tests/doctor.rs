//! `crashpoint doctor` on a checkpoint torn by a crash: it names the file, repairs what is safe,
//! and the query then recovers exactly once.
//!
//! Goal: the safe repair really is safe. Method: run the file sink, tear the latest offsets file
//! and drop its commit as a crash mid-write would, check that the query refuses to start, repair,
//! run again, and compare the output with the expected rows.

use crashpoint_engine::plan::Plan;
use crashpoint_engine::sink::read_file_sink_output;
use crashpoint_engine::storage::{DiskStorage, Storage};
use std::path::Path;
use std::process::{Command, Output};

fn crashpoint(args: &[&str], root: &Path) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_crashpoint"));
    command.current_dir(root).args(args).env_remove("FAILPOINTS");
    command.output().expect("the binary runs")
}

fn stream(root: &Path) -> Output {
    let args = ["stream", "--input", "input", "--checkpoint", "cp", "--sink", "file", "--output", "out"];
    crashpoint(&[&args[..], &["--max-files-per-trigger", "1", "--no-processing-time"]].concat(), root)
}

#[test]
fn doctor_repairs_a_torn_uncommitted_offsets_file_and_the_query_recovers_exactly_once() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().canonicalize().unwrap();
    std::fs::create_dir_all(root.join("input")).unwrap();
    for (i, event) in ["e1", "e2"].iter().enumerate() {
        let path = root.join(format!("input/f{i}.json"));
        let line = format!(
            "{{\"eventId\": \"{event}\", \"data\": {{\"devices\": [{{\"deviceId\": \"d{i}\", \"temperature\": 1.5}}]}}}}\n"
        );
        std::fs::write(&path, line).unwrap();
        DiskStorage.set_mtime(&path, 1_790_000_000_000 + i as i64 * 1000).unwrap();
    }
    assert!(stream(&root).status.success());
    std::fs::remove_file(root.join("cp/commits/1")).unwrap();
    std::fs::write(root.join("cp/offsets/1"), b"v1\n{\"batchWatermarkMs\":0,\"batchTi").unwrap();

    let refused = stream(&root);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("cp/offsets/1") && stderr.contains("run `crashpoint doctor` on the checkpoint"),
        "{stderr}"
    );

    let diagnosed = crashpoint(&["doctor", "cp"], &root);
    assert_eq!(diagnosed.status.code(), Some(1));
    let report = String::from_utf8_lossy(&diagnosed.stdout);
    assert!(report.contains("choice delete-offsets-1 (costs nothing") && report.contains("offsets/1"), "{report}");

    let repaired = crashpoint(&["doctor", "cp", "--repair"], &root);
    assert!(repaired.status.success(), "{}", String::from_utf8_lossy(&repaired.stdout));
    assert!(String::from_utf8_lossy(&repaired.stdout).contains("healthy"));

    let recovered = stream(&root);
    assert!(recovered.status.success(), "{}", String::from_utf8_lossy(&recovered.stderr));
    let schema = Plan::tutorial_without_time().compile().unwrap().schema().to_vec();
    let rows = read_file_sink_output(&DiskStorage, &root.join("out"), &schema, true).unwrap();
    let mut events: Vec<String> = rows.iter().map(|r| r[0].to_string()).collect();
    events.sort();
    assert_eq!(events, ["\"e1\"", "\"e2\""], "each record exactly once");
    assert!(crashpoint(&["doctor", "cp"], &root).status.success(), "healthy afterwards");
}
