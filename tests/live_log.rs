//! `crashpoint stream`'s live log: the engine's events reach stderr as they happen, so a process
//! that dies mid-batch has still said what it did; `--log json` gives one object per line;
//! `--quiet` silences it; on a terminal a progress line runs under the events. Also: `stream`
//! with no options is the tutorial's query.

// The engine's test helpers, shared with the end-to-end tests here.
#[path = "../crates/engine/tests/common/mod.rs"]
mod common;

use common::tutorial_workspace;
use std::path::Path;
use std::process::{Command, Output};

fn stream(root: &Path, extra: &[&str], failpoints: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_crashpoint"));
    command.arg("stream").arg("--input").arg(root.join("input")).arg("--checkpoint").arg(root.join("checkpoint"));
    command.args(extra).env_remove("FAILPOINTS").env("NO_COLOR", "1");
    if let Some(failpoints) = failpoints {
        command.env("FAILPOINTS", failpoints);
    }
    command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn stream_with_no_options_is_the_tutorials_query() {
    // The tutorial: console sink, maxFilesPerTrigger 1, availableNow, columns eventId,
    // device_id, temp. Method: two files, no options; two batches of one file each.
    let (_temp, root) = tutorial_workspace();
    let output = stream(&root, &[], None);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let batch_1 = "-------------------------------------------\nBatch: 1\n-------------------------------------------\n\
                   +-------+---------+----+\n|eventId|device_id|temp|\n+-------+---------+----+\n|     e2|       d3|30.0|\n";
    assert!(stdout.contains("Batch: 0\n") && stdout.contains(batch_1), "{stdout}");
}

#[test]
fn events_reach_stderr_before_the_process_dies() {
    // Method: FAILPOINTS kills the process (abort, as kill -9) after batch 1's sink write. What
    // it did before must be on stderr, in order, though the run never finished.
    let (_temp, root) = tutorial_workspace();
    let output_dir = root.join("output");
    let args = ["--sink", "file", "--output", output_dir.to_str().unwrap()];
    let output = stream(&root, &args, Some("after-sink-write=1*off->panic"));
    assert_ne!(output.status.code(), Some(0), "the fail point kills the process");
    let stderr = text(&output.stderr);
    let wanted = [
        "no offsets: start at batch 0",
        "batch 0 (new files): device_01.json",
        "batch 0: sink wrote 2 row(s)",
        "batch 0: committed",
        "batch 1 (new files): device_02.json",
        "batch 1: sink wrote 1 row(s)",
    ];
    let mut from = 0;
    for line in wanted {
        let at =
            stderr[from..].find(line).unwrap_or_else(|| panic!("stderr lacks {line:?} after byte {from}:\n{stderr}"));
        from += at + line.len();
    }
    assert!(!stderr.contains("batch 1: committed"), "{stderr}");
}

#[test]
fn log_json_gives_one_object_per_event_and_quiet_gives_nothing() {
    let (_temp, root) = tutorial_workspace();
    let output = stream(&root, &["--log", "json"], None);
    assert_eq!(output.status.code(), Some(0));
    let events: Vec<serde_json::Value> = text(&output.stderr)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["started", "batch-planned", "sink-wrote", "committed", "batch-planned", "sink-wrote", "committed", "idle"]
    );
    assert_eq!(events[0]["resume"], "fresh");
    assert_eq!(events[4]["batch"], 1);
    assert!(events[4]["files"][0].as_str().unwrap().ends_with("/device_02.json"));
    assert_eq!(events[5]["rows"], 1);
    assert!(text(&output.stderr).lines().all(|l| l.starts_with("{\"event\":")), "event first");
    assert!(text(&output.stdout).contains("Batch: 1"), "the sink's output stays on stdout");

    let quiet = stream(&root, &["--quiet"], None);
    assert_eq!((quiet.status.code(), text(&quiet.stderr)), (Some(0), String::new()));
}

#[test]
fn a_terminal_gets_a_progress_line_and_a_pipe_does_not() {
    // Method: `script` runs the query on a pseudo-terminal (util-linux, in every Debian).
    let (_temp, root) = tutorial_workspace();
    let command = format!(
        "{} stream --input {} --checkpoint {} --sink file --output {}",
        env!("CARGO_BIN_EXE_crashpoint"),
        root.join("input").display(),
        root.join("checkpoint").display(),
        root.join("output").display()
    );
    let output = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("TERM", "xterm")
        .env_remove("NO_COLOR")
        .output()
        .expect("`script` (util-linux) runs a command on a terminal: apt-get install bsdutils");
    let terminal = text(&output.stdout);
    assert!(terminal.contains("batch(es) committed · "), "no progress line on a terminal:\n{terminal:?}");
    assert!(terminal.contains("\x1b[32mbatch 0: committed\x1b[0m"), "colour on a terminal:\n{terminal:?}");
    let piped = stream(&root, &[], None);
    assert!(!text(&piped.stderr).contains(" · ") && !text(&piped.stderr).contains("\x1b["), "{}", text(&piped.stderr));
}
