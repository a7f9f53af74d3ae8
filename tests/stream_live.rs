//! `crashpoint stream` as a live query on real directories: a `processing-time` trigger that
//! runs until a real SIGTERM or SIGINT and stops between batches, and Spark's identity and
//! time (a fresh random query id for a new checkpoint, wall-clock batch times, a re-run batch
//! keeping its recorded time) unless `--seed` or `--start-ms` asks for the logical clock.

// The engine's test helpers, shared with the end-to-end tests here.
#[path = "../crates/engine/tests/common/mod.rs"]
mod common;

use common::{DEVICE_03, FIRST_MTIME_MS, drop_file, read_text, tutorial_workspace};
use crashpoint_engine::storage::DiskStorage;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn stream_command(root: &Path, checkpoint: &str, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_crashpoint"));
    command.args(["stream", "--sink", "file", "--max-files-per-trigger", "1"]);
    command.arg("--input").arg(root.join("input"));
    command.arg("--checkpoint").arg(root.join(checkpoint));
    command.arg("--output").arg(root.join(format!("{checkpoint}-out")));
    command.args(extra).env_remove("FAILPOINTS");
    command
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

/// Waits until `path` exists, or panics after 60 s (a loaded 2-core machine is slow).
fn wait_for(path: &Path, child: &mut Child) {
    let start = Instant::now();
    while !path.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the query exited ({status}) before {} appeared", path.display());
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &Child, signal: libc::c_int) {
    // SAFETY: sending a signal to our own child process, which has not been reaped.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
}

/// Waits for the child to exit after a signal, at most 30 s.
fn exit_after_signal(mut child: Child) -> Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(30) {
            child.kill().unwrap();
            panic!("the query did not stop within 30 s of the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn log_ids(dir: &Path) -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    ids.sort();
    ids
}

/// `batchTimestampMs` of `offsets/<id>`.
fn batch_timestamp_ms(checkpoint: &Path, id: u64) -> i64 {
    let text = read_text(&DiskStorage, &checkpoint.join(format!("offsets/{id}")));
    let metadata: serde_json::Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
    metadata["batchTimestampMs"].as_i64().unwrap()
}

fn query_id(checkpoint: &Path) -> String {
    let metadata: serde_json::Value =
        serde_json::from_str(&read_text(&DiskStorage, &checkpoint.join("metadata"))).unwrap();
    metadata["id"].as_str().unwrap().to_string()
}

/// Runs a processing-time query, adds a file once it has done the first two, stops it with
/// `stop` once the third is committed, and checks that it stopped cleanly between batches.
fn stops_cleanly_on(stop: libc::c_int, name: &str, interval: &str) {
    let (_temp, root) = tutorial_workspace();
    let checkpoint = root.join("cp");
    let started_ms = now_ms();
    let trigger = format!("processing-time={interval}");
    let mut child = stream_command(&root, "cp", &["--trigger", &trigger])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(&checkpoint.join("commits/1"), &mut child);
    drop_file(&DiskStorage, &root.join("input"), "device_03.json", DEVICE_03, FIRST_MTIME_MS + 2000);
    wait_for(&checkpoint.join("commits/2"), &mut child);
    signal(&child, stop);
    let output = exit_after_signal(child);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains(&format!("done (stopped by {name}, between batches): 3 batch(es) committed")), "{stderr}");
    assert_eq!(log_ids(&checkpoint.join("offsets")), ["0", "1", "2"], "no batch left half done");
    assert_eq!(log_ids(&checkpoint.join("commits")), ["0", "1", "2"]);
    for id in 0..3 {
        let t = batch_timestamp_ms(&checkpoint, id);
        assert!(t >= started_ms && t <= now_ms(), "batch {id}'s time {t} is not the wall clock's");
    }
}

#[test]
fn processing_time_runs_until_sigterm_and_stops_between_batches() {
    // Goal: `stream --trigger processing-time=200ms` keeps running micro-batches, picks up a
    // file that arrives while it runs, and a real SIGTERM stops it cleanly: exit 0, every
    // planned batch committed. Method: spawn it, wait for the commits on disk, add a file, kill.
    stops_cleanly_on(libc::SIGTERM, "SIGTERM", "200ms");
}

#[test]
fn processing_time_zero_runs_back_to_back_until_sigint() {
    // Goal: the same with interval 0 (batches back to back, idle triggers polling) and Ctrl-C.
    stops_cleanly_on(libc::SIGINT, "SIGINT", "0");
}

#[test]
fn a_new_checkpoint_gets_a_fresh_query_id_and_wall_clock_batch_times() {
    // Goal: as Spark does, two new checkpoints get two random query ids and their batches the
    // wall-clock time; `--seed` gives the seeded id and the logical clock, the same every time.
    // Method: four runs on four new checkpoints, compared.
    let (_temp, root) = tutorial_workspace();
    let before_ms = now_ms();
    for checkpoint in ["a", "b"] {
        let output = stream_command(&root, checkpoint, &[]).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let (a, b) = (query_id(&root.join("a")), query_id(&root.join("b")));
    assert_ne!(a, b, "each new checkpoint gets its own query id");
    for id in [&a, &b] {
        let shape: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(shape, [8, 4, 4, 4, 12], "{id} is a UUID");
    }
    for id in 0..2 {
        let t = batch_timestamp_ms(&root.join("a"), id);
        assert!(t >= before_ms && t <= now_ms(), "batch {id}: {t} is not the wall clock's");
    }
    for checkpoint in ["s1", "s2"] {
        let output = stream_command(&root, checkpoint, &["--seed", "7"]).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    assert_eq!(query_id(&root.join("s1")), query_id(&root.join("s2")), "--seed: the same id");
    assert_eq!(batch_timestamp_ms(&root.join("s1"), 1), 1_790_000_001_000, "--seed: the logical clock");
}

#[test]
fn a_re_run_batch_keeps_its_recorded_wall_clock_time() {
    // Goal: a batch re-run after a crash has the `batchTimestampMs` its `offsets/N` recorded,
    // not a new wall-clock time (Spark: FINDINGS Q13), so its rows carry that processing_time.
    // Method: kill the process after `offsets/0` is written (FAILPOINTS), restart a second
    // later, and read batch 0's processing_time in the file sink's part file.
    let (_temp, root) = tutorial_workspace();
    // The tutorial's query has no processing_time column: ask for it.
    let with_time = ["--processing-time"];
    let crashed =
        stream_command(&root, "cp", &with_time).env("FAILPOINTS", "after-offsets-write=panic").output().unwrap();
    assert!(!crashed.status.success());
    let recorded = batch_timestamp_ms(&root.join("cp"), 0);
    std::thread::sleep(Duration::from_millis(1100));
    let rerun = stream_command(&root, "cp", &with_time).output().unwrap();
    assert!(rerun.status.success(), "{}", String::from_utf8_lossy(&rerun.stderr));
    assert_eq!(batch_timestamp_ms(&root.join("cp"), 0), recorded);
    let out = root.join("cp-out");
    let metadata = read_text(&DiskStorage, &out.join("_spark_metadata/0"));
    let entry: serde_json::Value = serde_json::from_str(metadata.lines().nth(1).unwrap()).unwrap();
    let part = entry["path"].as_str().unwrap().strip_prefix("file://").unwrap().to_string();
    let row: serde_json::Value =
        serde_json::from_str(read_text(&DiskStorage, Path::new(&part)).lines().next().unwrap()).unwrap();
    assert_eq!(row["processing_time"], crashpoint_engine::plan::format_timestamp_ms(recorded));
    assert!(batch_timestamp_ms(&root.join("cp"), 1) >= recorded + 1000, "the next batch takes the time of its run");
}
