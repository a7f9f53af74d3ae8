//! Every shape a checkpoint can be in at restart, and what the engine does with it: resume,
//! re-run exactly the recorded files, or stop with an error that names the files, says what is
//! wrong and what to do.

// The engine's test helpers, shared with the end-to-end tests here.
#[path = "../crates/engine/tests/common/mod.rs"]
mod common;

use common::*;
use crashpoint_engine::checkpoint::CheckpointError;
use crashpoint_engine::engine::{EngineError, Resume};
use crashpoint_engine::faults::{CrashPoint, FaultPlan};
use crashpoint_engine::sink::{MemorySink, MemoryStore, Sink};
use crashpoint_engine::source::SourceOptions;
use crashpoint_engine::storage::{DiskStorage, SimStorage, Storage};
use std::path::{Path, PathBuf};

const INPUT: &str = "/in";
const CHECKPOINT: &str = "/cp";

/// A simulated disk with a memory sink whose table outlives restarts.
struct World {
    sim: SimStorage,
    store: MemoryStore,
}

impl World {
    fn new() -> Self {
        let sim = SimStorage::new(0);
        sim.create_dir_all(Path::new(INPUT)).unwrap();
        Self { sim, store: MemoryStore::default() }
    }

    /// Drops file `n` (`f<n>.json`, one row with eventId `e<n>`) with modification time `mtime_s`.
    fn drop(&self, n: u32, mtime_s: i64) {
        let text =
            format!(r#"{{"eventId": "e{n}", "data": {{"devices": [{{"deviceId": "d{n}", "temperature": {n}}}]}}}}"#);
        drop_file(&self.sim, Path::new(INPUT), &format!("f{n}.json"), &text, FIRST_MTIME_MS + mtime_s * 1000);
    }

    fn sink(&self) -> Box<dyn Sink> {
        Box::new(MemorySink::new(self.store.clone()))
    }

    fn run_with(&self, source: SourceOptions, faults: FaultPlan) -> Run {
        run_with(&self.sim, query(Path::new(INPUT), Path::new(CHECKPOINT), source), self.sink(), faults)
    }

    fn run(&self) -> Run {
        self.run_with(SourceOptions::default(), FaultPlan::none())
    }

    /// Runs one batch per file, so that each `f<n>` is batch `n`.
    fn run_one_per_batch(&self) -> Run {
        self.run_with(max_files(1), FaultPlan::none())
    }

    fn path(&self, relative: &str) -> PathBuf {
        Path::new(CHECKPOINT).join(relative)
    }

    fn remove(&self, relative: &str) {
        self.sim.remove_file(&self.path(relative)).unwrap();
    }

    /// Event ids in the memory table, sorted, with repeats.
    fn event_ids(&self) -> Vec<String> {
        let table = self.store.lock().unwrap();
        let mut ids: Vec<String> = table.values().flatten().map(|row| row[0].as_str().unwrap().to_string()).collect();
        ids.sort();
        ids
    }

    /// Three committed batches: f0, f1, f2.
    fn three_batches() -> Self {
        let world = Self::new();
        for n in 0..3 {
            world.drop(n, i64::from(n));
        }
        world.run_one_per_batch().ok();
        world
    }
}

fn files(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

fn assert_contains_all(message: &str, fragments: &[&str]) {
    for fragment in fragments {
        assert!(message.contains(fragment), "error message\n  {message}\nshould contain\n  {fragment}");
    }
}

#[test]
fn no_offsets_starts_at_batch_0() {
    // Goal: an empty or missing checkpoint, or one with only `metadata` (a crash right after
    // it was written), starts at batch 0 and keeps the query id. Method: run on each.
    let world = World::new();
    world.drop(0, 0);
    let crashed = world.run_with(SourceOptions::default(), FaultPlan::crash_at(CrashPoint::BeforeSourceLogWrite, 1));
    assert!(crashed.err().crash().is_some());
    let metadata = read_text(&world.sim, &world.path("metadata"));
    let run = world.run().ok();
    assert_eq!(run.resume(), Some(Resume::Fresh));
    assert_eq!(run.planned(), vec![(0, files(&["f0.json"]))]);
    assert_eq!(read_text(&world.sim, &world.path("metadata")), metadata, "the query id is kept");
    assert_eq!(world.event_ids(), ["e0"]);
}

#[test]
fn commit_equal_to_offsets_continues_with_the_next_batch() {
    // Goal: C == L resumes at L+1 with only new files. Method: three batches, a new file, run.
    let world = World::three_batches();
    world.drop(3, 3);
    let run = world.run().ok();
    assert_eq!(run.resume(), Some(Resume::Continue { next: 3 }));
    assert_eq!(run.planned(), vec![(3, files(&["f3.json"]))]);
    assert_eq!(world.event_ids(), ["e0", "e1", "e2", "e3"]);
}

#[test]
fn commit_one_behind_offsets_reruns_exactly_the_recorded_files_even_if_new_files_arrived() {
    // Goal: C == L-1 re-runs batch L with its recorded files only, although a newer file that
    // sorts first (an older modification time) arrived meanwhile; the new files go to L+1.
    // Method: crash batch 1 after its sink write, drop f5 (mtime before f1) and f6, restart.
    let world = World::new();
    world.drop(0, 10);
    world.drop(1, 20);
    let crash = FaultPlan::crash_at(CrashPoint::AfterSinkWrite, 2);
    assert!(world.run_with(max_files(1), crash).err().crash().is_some());
    world.drop(5, 15);
    world.drop(6, 30);
    let run = world.run().ok();
    assert_eq!(run.resume(), Some(Resume::Rerun { batch: 1 }));
    assert_eq!(run.planned(), vec![(1, files(&["f1.json"])), (2, files(&["f5.json", "f6.json"]))]);
    assert_eq!(run.origins()[0], (1, "re-run"));
    assert_eq!(world.event_ids(), ["e0", "e1", "e5", "e6"], "the memory sink skipped the re-run");
}

#[test]
fn crash_before_the_sink_reruns_the_batch_and_loses_nothing() {
    // Goal: a crash after offsets/N but before the sink re-runs N and its rows arrive once.
    // Method: crash at after-offsets-write of batch 0, restart, compare the table.
    let world = World::new();
    world.drop(0, 0);
    world.drop(1, 1);
    assert!(
        world.run_with(max_files(1), FaultPlan::crash_at(CrashPoint::AfterOffsetsWrite, 1)).err().crash().is_some()
    );
    assert_eq!(world.event_ids(), Vec::<String>::new());
    let run = world.run_one_per_batch().ok();
    assert_eq!(run.resume(), Some(Resume::Rerun { batch: 0 }));
    assert_eq!(run.planned(), vec![(0, files(&["f0.json"])), (1, files(&["f1.json"]))]);
    assert_eq!(world.event_ids(), ["e0", "e1"]);
}

#[test]
fn offsets_two_ahead_of_the_commit_is_an_error_naming_both_files() {
    // Goal: commits trailing offsets by two is refused (Spark only warns). Method: three
    // batches, delete commits/1 and commits/2, restart.
    let world = World::three_batches();
    world.remove("commits/2");
    world.remove("commits/1");
    let err = world.run().err();
    assert!(matches!(err, EngineError::Recovery { .. }), "{err:?}");
    assert_contains_all(&err.to_string(), &[CHECKPOINT, "offsets/2", "commits/0", "run `crashpoint doctor`"]);
}

#[test]
fn offsets_without_any_commit_beyond_batch_0_is_an_error() {
    // Goal: offsets/1 with no commit at all cannot be recovered. Method: three batches, delete
    // every commit and offsets/2.
    let world = World::three_batches();
    for file in ["commits/0", "commits/1", "commits/2", "offsets/2"] {
        world.remove(file);
    }
    let err = world.run().err();
    assert_contains_all(&err.to_string(), &["offsets/1", "no commit at all"]);
}

#[test]
fn commit_without_offsets_is_an_error_naming_the_files() {
    // Goal: a commit with no offsets, or newer than the newest offsets, is refused with the
    // file names. Method: delete offsets/2 (commits/2 stays), then every offsets file.
    let world = World::three_batches();
    world.remove("offsets/2");
    let err = world.run().err();
    assert_contains_all(&err.to_string(), &["commits/2 is newer than the latest offsets file offsets/1"]);
    world.remove("offsets/1");
    world.remove("offsets/0");
    let err = world.run().err();
    assert_contains_all(
        &err.to_string(),
        &["commits/2 exists but offsets/ is empty", "start over with a new checkpoint and a new output directory"],
    );
}

#[test]
fn missing_metadata_with_offsets_is_an_error() {
    // Goal: a checkpoint that has batches but lost `metadata` is not silently given a new query
    // id. Method: three batches, delete metadata, restart; nothing may be written.
    let world = World::three_batches();
    world.remove("metadata");
    let err = world.run().err();
    assert!(matches!(err, EngineError::Recovery { .. }), "{err:?}");
    assert_contains_all(&err.to_string(), &[CHECKPOINT, "metadata", "offsets/", "restore metadata"]);
    assert!(!world.sim.exists(&world.path("metadata")), "no new metadata was written");
}

#[test]
fn corrupt_latest_log_files_are_errors_naming_the_file_the_problem_and_a_hint() {
    // Goal: a torn, zero-byte or garbage checkpoint file read at restart stops the query with
    // an error naming the file, what is wrong and what to do. Method: table-driven; for each
    // case, two committed batches, overwrite one file, restart, check the message.
    let torn_hint = "torn by a crash";
    let cases: &[(&str, &[u8], &str, &str)] = &[
        ("offsets/1", b"", "the file is empty", torn_hint),
        ("offsets/1", b"v1\n{\"batchWatermarkMs\":0,\"batchTi", "line 2 is not valid", torn_hint),
        ("offsets/1", b"v1", "the batch metadata line is missing", "delete the file and restart"),
        ("offsets/1", b"v", "first line is 'v' but must be 'v1'", torn_hint),
        ("offsets/1", b"\x00\x00\x00\x00", "not a Spark metadata log", torn_hint),
        (
            "offsets/1",
            b"v2\n{}",
            "first line is 'v2'",
            "Spark 4.3 writes offsets version 2 when source evolution is on",
        ),
        ("offsets/1", b"v3\n{}", "first line is 'v3'", "written by a newer Spark"),
        ("commits/1", b"", "the file is empty", torn_hint),
        ("commits/1", b"v1\n{\"nextBatchWat", "line 2 is not valid", torn_hint),
        ("commits/1", b"garbage", "not a Spark metadata log", torn_hint),
        ("sources/0/1", b"", "the file is empty", torn_hint),
        ("sources/0/1", b"v1\n{\"path\":\"file:///in/f1.json\",\"timest", "line 2 is not valid", torn_hint),
        ("sources/0/1", b"\xff\xfe\x00", "not UTF-8", torn_hint),
        ("metadata", b"", "the file is empty", "it should hold {\"id\":\"<uuid>\"}"),
        ("metadata", b"{\"id\":\"9a061dd7-48", "not valid", "it should hold {\"id\":\"<uuid>\"}"),
        ("metadata", b"garbage", "not valid", "it should hold {\"id\":\"<uuid>\"}"),
    ];
    for (file, contents, problem, hint) in cases {
        let world = World::new();
        world.drop(0, 0);
        world.drop(1, 1);
        world.run_one_per_batch().ok();
        let path = world.path(file);
        world.sim.write(&path, contents).unwrap();
        world.drop(2, 2);
        let run = world.run();
        let Err(err) = run.result else { panic!("{file} {contents:?}: the run should fail\n{}", run.trace()) };
        let message = err.to_string();
        assert!(
            matches!(err, EngineError::Checkpoint(CheckpointError::Corrupt { .. })),
            "{file} {contents:?}: {message}"
        );
        assert_contains_all(&message, &[&path.display().to_string(), problem, hint]);
        assert!(!world.sim.exists(&world.path("offsets/2")), "{file} {contents:?}: nothing may run");
    }
}

#[test]
fn stray_temp_and_crc_files_are_ignored() {
    // Goal: `.N.<uuid>.tmp` files (left by a crash during a log write) and Spark's `.N.crc`
    // sidecars are not batch files. Method: on a real disk, crash once during a log write,
    // then add garbage temp and crc files for batches 0..3 to every log, and run on.
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().canonicalize().unwrap();
    let (input, checkpoint) = (root.join("input"), root.join("checkpoint"));
    let store = MemoryStore::default();
    let go = |source: SourceOptions, faults: FaultPlan| {
        run_with(&DiskStorage, query(&input, &checkpoint, source), Box::new(MemorySink::new(store.clone())), faults)
    };
    for n in 0..2 {
        drop_file(&DiskStorage, &input, &format!("f{n}.json"), DEVICE_01, FIRST_MTIME_MS + n * 1000);
    }
    go(max_files(1), FaultPlan::none()).ok();
    drop_file(&DiskStorage, &input, "f2.json", DEVICE_02, FIRST_MTIME_MS + 2000);
    // This run's DuringLogWrite hits are sources/0/2, then offsets/2: crash inside the second.
    let crashed = go(max_files(1), FaultPlan::crash_at(CrashPoint::DuringLogWrite, 2));
    assert!(crashed.err().crash().is_some());
    for dir in ["offsets", "commits", "sources/0"] {
        for id in 0..4 {
            let dir = checkpoint.join(dir);
            std::fs::write(dir.join(format!(".{id}.crc")), b"\x00garbage").unwrap();
            std::fs::write(dir.join(format!(".{id}.0b7c5e2a-0000-4000-8000-000000000000.tmp")), b"").unwrap();
        }
    }
    let strays = std::fs::read_dir(checkpoint.join("offsets")).unwrap().count();
    assert_eq!(strays, 2 + 8 + 1, "offsets/0, offsets/1, 8 strays, and the crash's temp file for offsets/2");
    drop_file(&DiskStorage, &input, "f3.json", DEVICE_03, FIRST_MTIME_MS + 3000);
    let run = go(max_files(1), FaultPlan::none()).ok();
    // The orphan sources/0/2 and the new f3 make one batch, as in Spark.
    assert_eq!(run.planned(), vec![(2, files(&["f2.json", "f3.json"]))], "{}", run.trace());
    assert_eq!(log_files(&DiskStorage, &checkpoint.join("commits")), ["0", "1", "2"]);
    let inspection = crashpoint_harness::report::inspect(&DiskStorage, &checkpoint, None).unwrap();
    // Only the strays: stale temp files, and the garbage checksums as stale (Spark's FileSystem
    // checkpoint manager would fail on them; crashpoint and Spark's default one ignore them).
    let stray = |o: &String| ["stale temp file", "stale checksum", "orphaned checksum"].iter().any(|s| o.contains(s));
    assert!(inspection.oddities.iter().all(stray), "{inspection}");
    assert!(inspection.oddities.iter().any(|o| o.contains("stale checksum")), "{inspection}");
}

#[test]
fn source_log_ahead_of_offsets_is_taken_with_the_new_files() {
    // Goal: a crash between `sources/0/N` and `offsets/N` leaves the source log ahead; batch N
    // then takes exactly the recorded files plus the new ones, as Spark does (FINDINGS Q1,
    // variant C), even above maxFilesPerTrigger and even when a new file is older than the
    // orphan. Method: crash batch 1 before its offsets write, drop f5 with an earlier mtime
    // than f1, restart with one file per batch, and check batch 1 and the table.
    let world = World::new();
    world.drop(0, 10);
    world.drop(1, 20);
    assert!(
        world.run_with(max_files(1), FaultPlan::crash_at(CrashPoint::BeforeOffsetsWrite, 2)).err().crash().is_some()
    );
    assert!(world.sim.exists(&world.path("sources/0/1")) && !world.sim.exists(&world.path("offsets/1")));
    world.drop(5, 15);
    let run = world.run_one_per_batch().ok();
    assert_eq!(run.resume(), Some(Resume::Continue { next: 1 }));
    assert_eq!(run.planned(), vec![(1, files(&["f1.json", "f5.json"]))]);
    assert_eq!(run.origins(), vec![(1, "source log ahead of offsets, and new files")]);
    assert!(read_text(&world.sim, &world.path("offsets/1")).ends_with(r#"{"logOffset":2}"#));
    assert_eq!(world.event_ids(), ["e0", "e1", "e5"]);
}
