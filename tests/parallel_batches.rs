//! The parallel batch executor: a batch is split into tasks, one part file each.
//!
//! 1. It changes nothing but the time: `crashpoint stream` with one thread and with several
//!    writes byte-identical part files (names and contents), sink log, checkpoint, dead letters
//!    and console rows. Method: the same input (small files, a file cut into several splits by
//!    a small `--max-partition-bytes`, bad lines) streamed with `--threads 1` and `--threads 3`,
//!    into the file sink and the console sink, then every file of both runs compared byte for
//!    byte.
//! 2. A crash can fall between two tasks' part files, and exploration crashes there too.

use crashpoint_engine::faults::CrashPoint;
use crashpoint_engine::storage::{DiskStorage, Storage};
use crashpoint_harness::explore::{ExploreOptions, explore};
use crashpoint_harness::scenario::Scenario;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const EVENT: &str = r#"{"eventId": "e{i}", "data": {"devices": [{"deviceId": "d{d}", "temperature": {t}.5}, {"deviceId": "x", "temperature": 1.25}]}}"#;

fn event(i: usize) -> String {
    EVENT.replace("{i}", &i.to_string()).replace("{d}", &(i % 7).to_string()).replace("{t}", &(i % 40).to_string())
}

/// The most bytes a task reads in these runs (`--max-partition-bytes`): `big.json` is cut.
const SPLIT_BYTES: usize = 64 * 1024;

/// Small files, one with bad lines, and one larger than a split: the batch has many tasks.
fn write_input(input: &Path) {
    let storage = DiskStorage;
    storage.create_dir_all(input).unwrap();
    let mut mtime_ms = 1_700_000_000_000;
    let mut add = |name: &str, text: String| {
        let path = input.join(name);
        storage.write(&path, text.as_bytes()).unwrap();
        storage.set_mtime(&path, mtime_ms).unwrap();
        mtime_ms += 1000;
    };
    for f in 0..5 {
        add(&format!("small_{f}.json"), (0..50).map(|i| event(f * 100 + i) + "\n").collect());
    }
    add("bad.json", format!("{}\nnot json\n{{\"eventId\": 3}}\n{}\n", event(1), event(2)));
    let mut big = String::new();
    let mut i = 0;
    while big.len() <= SPLIT_BYTES + SPLIT_BYTES / 2 {
        big += &event(i);
        big.push('\n');
        i += 1;
    }
    big += "a bad line near the end\n";
    add("big.json", big);
    add("empty.json", String::new());
}

/// Every file under `dir`, by path relative to it.
fn files_under(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                out.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// Streams the input into `root/run` with `threads` threads: every file written there (the
/// directory is then removed, so that the next run writes the same paths) and the console's stdout.
fn stream(root: &Path, sink: &str, threads: usize) -> (BTreeMap<String, Vec<u8>>, Vec<u8>) {
    let out = root.join("run");
    let mut command = Command::new(env!("CARGO_BIN_EXE_crashpoint"));
    command.args(["stream", "--sink", sink, "--max-files-per-trigger", "4", "--seed", "7", "--start-ms", "1000"]);
    command.arg("--threads").arg(threads.to_string()).arg("--quiet");
    command.arg("--max-partition-bytes").arg(SPLIT_BYTES.to_string()).args(["--open-cost-in-bytes", "16384"]);
    command.arg("--input").arg(root.join("input")).arg("--checkpoint").arg(out.join("checkpoint"));
    if sink == "file" {
        command.arg("--output").arg(out.join("output"));
    }
    let output = command.env_remove("FAILPOINTS").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let files = files_under(&out);
    std::fs::remove_dir_all(&out).unwrap();
    (files, output.stdout)
}

#[test]
fn one_thread_and_many_write_the_same_bytes() {
    let root = tempfile::tempdir().unwrap();
    write_input(&root.path().join("input"));
    for sink in ["file", "console"] {
        let ((one, stdout_1), (many, stdout_n)) = (stream(root.path(), sink, 1), stream(root.path(), sink, 3));
        assert_eq!(one.keys().collect::<Vec<_>>(), many.keys().collect::<Vec<_>>(), "the same files ({sink})");
        for (name, bytes) in &one {
            assert!(many[name] == *bytes, "{name} differs between 1 and 3 threads ({sink} sink)");
        }
        assert_eq!(String::from_utf8_lossy(&stdout_1), String::from_utf8_lossy(&stdout_n), "console rows ({sink})");
        assert!(one.keys().any(|name| name.starts_with("checkpoint/dead-letters/")), "bad lines were routed");
        if sink == "file" {
            // Batch 1 holds small_4.json, bad.json, big.json and empty.json: total (about
            // 105 KiB + 4 x 16 KiB) / 2 is over 64 KiB, so big.json is cut at 64 KiB and the
            // splits packed longest first: [big 0..64K] [big 64K.., small_4] [bad, empty], three
            // part files, numbered 0 to 2, all logged.
            let parts: Vec<&String> = one.keys().filter(|name| name.starts_with("output/part-")).collect();
            for k in 0..3 {
                assert!(parts.iter().any(|p| p.starts_with(&format!("output/part-0000{k}-"))), "part {k}: {parts:?}");
            }
            let log = String::from_utf8_lossy(&one["output/_spark_metadata/1"]);
            assert_eq!(log.matches("part-0000").count(), 3, "every part file of batch 1 is logged: {log}");
        }
    }
}

#[test]
fn exploration_crashes_between_every_two_part_files_and_readers_see_each_row_once() {
    // Goal: the crash point during-sink-write is hit after each part file of a batch, and the
    // explorer crashes at each hit, power losses included, with no violation. Method: the
    // scenario's batch 0 takes three files, so three tasks and three part files: without power
    // losses, depth 1 crashes at during-sink-write exactly three times (nothing else reaches
    // the sink); with power losses, every crash state of those crashes is checked too.
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/crashes/during-sink-write_between_part_files.toml");
    let scenario = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let plain = explore(&scenario, &ExploreOptions { depth: 1, threads: 2, ..Default::default() }, &|_, _| {});
    assert!(plain.violations.is_empty(), "{:?}", plain.violations.first().map(|v| &v.findings));
    assert_eq!(plain.coverage.crashes_by_point.get(&CrashPoint::DuringSinkWrite), Some(&3));
    let options = ExploreOptions { depth: 1, threads: 2, power_loss: true, ..Default::default() };
    let power = explore(&scenario, &options, &|_, _| {});
    assert!(power.violations.is_empty(), "{:?}", power.violations.first().map(|v| &v.findings));
    assert!(power.coverage.crashes_by_point[&CrashPoint::DuringSinkWrite] > 3, "crash states were explored");
}
