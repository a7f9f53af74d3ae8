//! The file source's own offset, `logOffset`, kept apart from the batch id as Spark's
//! `FileStreamSource` keeps it. After a crash between `sources/0/N` and `offsets/N`, batch N
//! takes the orphan entry together with the new files (ignoring `maxFilesPerTrigger`), and
//! `logOffset` runs ahead of the batch id from then on. Each test replays a variant measured on
//! Spark 4.3 (`spark/FINDINGS.md`, Q1; evidence in `spark/results/q01_orphan_source_entry.txt`)
//! and expects Spark's source log, offsets and reader rows.

// The engine's test helpers, shared with the end-to-end tests here.
#[path = "../crates/engine/tests/common/mod.rs"]
mod common;

use common::*;
use crashpoint_engine::engine::Resume;
use crashpoint_engine::faults::{CrashPoint, FaultPlan};
use crashpoint_engine::plan::Plan;
use crashpoint_engine::sink::{FileSink, read_file_sink_output};
use crashpoint_engine::source::SourceOptions;
use crashpoint_engine::storage::{SimStorage, Storage};
use std::path::Path;

const INPUT: &str = "/q01/in";
const CHECKPOINT: &str = "/q01/cp";
const OUTPUT: &str = "/q01/out";

/// Q1's inputs: `f1` has two devices, `f2` one device and an event without devices, the others
/// one device each.
const F1: &str = DEVICE_01;
const F2: &str = DEVICE_02;
const F3: &str = r#"{"eventId": "e4", "data": {"devices": [{"deviceId": "d4", "temperature": 25.0}]}}"#;
const F4: &str = r#"{"eventId": "e5", "data": {"devices": [{"deviceId": "d5", "temperature": 26.0}]}}"#;

/// A simulated disk with Q1's directories and a file sink.
struct Q1 {
    sim: SimStorage,
    source: SourceOptions,
}

impl Q1 {
    fn new(source: SourceOptions) -> Self {
        Self { sim: SimStorage::new(0), source }
    }

    /// Drops `f<n>.json` with Q1's modification time for it.
    fn drop(&self, n: i64, text: &str) {
        drop_file(&self.sim, Path::new(INPUT), &format!("f{n}.json"), text, 1_700_000_000_000 + (n - 1) * 1000);
    }

    fn run(&self, faults: FaultPlan) -> Run {
        let query = query(Path::new(INPUT), Path::new(CHECKPOINT), self.source.clone());
        run_with(&self.sim, query, Box::new(FileSink::new(Path::new(OUTPUT), 0)), faults)
    }

    /// A run that crashes before its first `offsets/N` write, as Q1's `crash: offsets before hit 1`.
    fn crash_before_offsets(&self) {
        let crashed = self.run(FaultPlan::crash_at(CrashPoint::BeforeOffsetsWrite, 1));
        assert!(crashed.err().crash().is_some());
    }

    /// The last line of every `offsets/N`, by N.
    fn log_offsets(&self) -> Vec<String> {
        log_files(&self.sim, &Path::new(CHECKPOINT).join("offsets"))
            .iter()
            .map(|n| read_text(&self.sim, &Path::new(CHECKPOINT).join("offsets").join(n)))
            .map(|text| text.rsplit('\n').next().unwrap().to_string())
            .collect()
    }

    /// `sources/0/K`, as (K, its files with their recorded batch ids).
    fn source_log(&self) -> Vec<(String, Vec<(String, u64)>)> {
        let dir = Path::new(CHECKPOINT).join("sources/0");
        log_files(&self.sim, &dir)
            .into_iter()
            .map(|name| {
                let text = read_text(&self.sim, &dir.join(&name));
                let entries = text
                    .lines()
                    .skip(1)
                    .map(|line| {
                        let entry: serde_json::Value = serde_json::from_str(line).unwrap();
                        (base_name(entry["path"].as_str().unwrap()), entry["batchId"].as_u64().unwrap())
                    })
                    .collect();
                (name, entries)
            })
            .collect()
    }

    /// The event ids a reader of the file sink sees, sorted, with repeats.
    fn reader_event_ids(&self) -> Vec<String> {
        let schema = Plan::tutorial_without_time().compile().unwrap().schema().to_vec();
        let rows = read_file_sink_output(&self.sim, Path::new(OUTPUT), &schema, true).unwrap();
        let mut ids: Vec<String> = rows.iter().map(|r| r[0].as_str().unwrap().to_string()).collect();
        ids.sort();
        ids
    }

    /// f1 committed as batch 0, then f2 added and the run crashed before `offsets/1`.
    fn orphaned_f2(source: SourceOptions) -> Self {
        let q1 = Self::new(source);
        q1.drop(1, F1);
        q1.run(FaultPlan::none()).ok();
        q1.drop(2, F2);
        q1.crash_before_offsets();
        assert_eq!(q1.log_offsets(), [r#"{"logOffset":0}"#]);
        assert_eq!(q1.source_log().len(), 2, "sources/0/1 is the orphan");
        q1
    }
}

fn names(files: &[&str]) -> Vec<String> {
    files.iter().map(|f| f.to_string()).collect()
}

fn entries(items: &[(&str, &[(&str, u64)])]) -> Vec<(String, Vec<(String, u64)>)> {
    items.iter().map(|(k, files)| (k.to_string(), files.iter().map(|(f, b)| (f.to_string(), *b)).collect())).collect()
}

#[test]
fn variant_a_an_orphan_entry_alone_is_batch_n_with_no_shift() {
    // Goal: Spark's variant A: with no new file at the restart, batch 1 takes only the orphan
    // entry, `logOffset` stays equal to the batch id. Method: Q1's steps on the engine.
    let q1 = Q1::orphaned_f2(SourceOptions::default());
    let restart = q1.run(FaultPlan::none()).ok();
    assert_eq!(restart.resume(), Some(Resume::Continue { next: 1 }));
    assert_eq!(restart.planned(), vec![(1, names(&["f2.json"]))]);
    assert_eq!(restart.origins(), vec![(1, "source log ahead of offsets")]);
    q1.drop(4, F4);
    q1.run(FaultPlan::none()).ok();
    assert_eq!(q1.log_offsets(), [r#"{"logOffset":0}"#, r#"{"logOffset":1}"#, r#"{"logOffset":2}"#]);
    assert_eq!(q1.reader_event_ids(), ["e1", "e1", "e2", "e5"]);
}

#[test]
fn variant_b_an_orphan_entry_and_a_new_file_make_one_batch_and_shift_log_offset() {
    // Goal: Spark's variant B: f3 arrives before the restart; batch 1 takes the orphan f2 and
    // f3, which becomes `sources/0/2` (batchId 2); `offsets/1` says `logOffset` 2 and the next
    // batch 3. Exactly once. Method: Q1's steps on the engine, compared with Spark's state.
    let q1 = Q1::orphaned_f2(SourceOptions::default());
    q1.drop(3, F3);
    let restart = q1.run(FaultPlan::none()).ok();
    assert_eq!(restart.planned(), vec![(1, names(&["f2.json", "f3.json"]))]);
    let after_restart = entries(&[("0", &[("f1.json", 0)]), ("1", &[("f2.json", 1)]), ("2", &[("f3.json", 2)])]);
    assert_eq!(q1.source_log(), after_restart);
    assert_eq!(q1.log_offsets(), [r#"{"logOffset":0}"#, r#"{"logOffset":2}"#]);
    q1.drop(4, F4);
    let more = q1.run(FaultPlan::none()).ok();
    assert_eq!(more.planned(), vec![(2, names(&["f4.json"]))]);
    assert_eq!(q1.log_offsets(), [r#"{"logOffset":0}"#, r#"{"logOffset":2}"#, r#"{"logOffset":3}"#]);
    assert_eq!(log_files(&q1.sim, &Path::new(CHECKPOINT).join("commits")), ["0", "1", "2"]);
    assert_eq!(q1.reader_event_ids(), ["e1", "e1", "e2", "e4", "e5"]);
}

#[test]
fn variant_c_the_merged_batch_ignores_max_files_per_trigger() {
    // Goal: Spark's variant C: with maxFilesPerTrigger 1 the merged batch still reads two files
    // (the limit applies to the new files, the orphan comes on top). Method: variant B, limit 1.
    let q1 = Q1::orphaned_f2(max_files(1));
    q1.drop(3, F3);
    let restart = q1.run(FaultPlan::none()).ok();
    assert_eq!(restart.planned(), vec![(1, names(&["f2.json", "f3.json"]))]);
    q1.drop(4, F4);
    q1.run(FaultPlan::none()).ok();
    assert_eq!(q1.log_offsets(), [r#"{"logOffset":0}"#, r#"{"logOffset":2}"#, r#"{"logOffset":3}"#]);
    assert_eq!(q1.reader_event_ids(), ["e1", "e1", "e2", "e4", "e5"]);
}

#[test]
fn variant_d_the_shift_grows_with_every_orphaning_crash() {
    // Goal: Spark's variant D: two orphaning crashes in a row (f2, then f3), then f4 and a clean
    // restart: batch 1 takes f2, f3 and f4, `logOffset` 3, then 4 for the next batch.
    // Method: Q1's steps on the engine.
    let q1 = Q1::orphaned_f2(SourceOptions::default());
    q1.drop(3, F3);
    q1.crash_before_offsets();
    assert_eq!(q1.source_log().len(), 3, "sources/0/2 = f3 is a second orphan");
    q1.drop(4, F4);
    let restart = q1.run(FaultPlan::none()).ok();
    assert_eq!(restart.planned(), vec![(1, names(&["f2.json", "f3.json", "f4.json"]))]);
    q1.drop(5, &F4.replace("e5", "e6").replace("d5", "d6"));
    q1.run(FaultPlan::none()).ok();
    assert_eq!(q1.log_offsets(), [r#"{"logOffset":0}"#, r#"{"logOffset":3}"#, r#"{"logOffset":4}"#]);
    assert_eq!(q1.reader_event_ids(), ["e1", "e1", "e2", "e4", "e5", "e6"]);
}

#[test]
fn a_shifted_batch_re_runs_with_exactly_its_source_log_range() {
    // Goal: after the shift, a crash after `offsets/2` re-runs batch 2 with the files of its
    // range (sources/0/3 only), not `sources/0/2`, and the file sink stays exactly-once.
    // Method: variant B, then f4 with a crash before the commit, then a restart.
    let q1 = Q1::orphaned_f2(SourceOptions::default());
    q1.drop(3, F3);
    q1.run(FaultPlan::none()).ok();
    q1.drop(4, F4);
    assert!(q1.run(FaultPlan::crash_at(CrashPoint::AfterOffsetsWrite, 1)).err().crash().is_some());
    let rerun = q1.run(FaultPlan::none()).ok();
    assert_eq!(rerun.resume(), Some(Resume::Rerun { batch: 2 }));
    assert_eq!(rerun.planned(), vec![(2, names(&["f4.json"]))]);
    assert!(rerun.trace().contains("batch 2 (re-run, sources/0/3): f4.json"), "{}", rerun.trace());
    assert_eq!(q1.reader_event_ids(), ["e1", "e1", "e2", "e4", "e5"]);
}

#[test]
fn an_orphan_compaction_is_merged_like_any_orphan_entry() {
    // Goal: the orphan is `sources/0/9.compact` (source-log batch 9 compacts): batch 9 takes f9
    // from it with the new f10, which goes to a plain `sources/0/10`. Method: ten files one per
    // batch, crash batch 9 before its offsets, drop f10, restart.
    let q1 = Q1::new(max_files(1));
    for n in 1..=10 {
        q1.drop(n, &F4.replace("e5", &format!("e{n:02}")));
    }
    assert!(q1.run(FaultPlan::crash_at(CrashPoint::BeforeOffsetsWrite, 10)).err().crash().is_some());
    assert!(q1.sim.exists(&Path::new(CHECKPOINT).join("sources/0/9.compact")));
    q1.drop(11, &F4.replace("e5", "e11"));
    let restart = q1.run(FaultPlan::none()).ok();
    assert_eq!(restart.planned(), vec![(9, names(&["f10.json", "f11.json"]))]);
    assert!(q1.sim.exists(&Path::new(CHECKPOINT).join("sources/0/10")));
    assert_eq!(q1.log_offsets().last().unwrap(), r#"{"logOffset":10}"#);
    let expected: Vec<String> = (1..=11).map(|n| format!("e{n:02}")).collect();
    assert_eq!(q1.reader_event_ids(), expected);
}

#[test]
fn new_files_wait_when_the_sink_already_holds_the_orphans_batch() {
    // Goal: exactly-once where Spark loses rows. The sink wrote batch 1, then `offsets/1` was
    // lost (a torn file that `doctor --repair` deletes), so `sources/0/1` is an orphan that the
    // sink already holds as batch 1. Spark would add the new f3 to batch 1 and the sink would
    // skip it all: f3 lost. crashpoint takes the orphan alone and f3 in batch 2.
    // Method: crash after the sink write of batch 1, delete `offsets/1`, drop f3, restart.
    let q1 = Q1::new(SourceOptions::default());
    q1.drop(1, F1);
    q1.run(FaultPlan::none()).ok();
    q1.drop(2, F2);
    assert!(q1.run(FaultPlan::crash_at(CrashPoint::AfterSinkWrite, 1)).err().crash().is_some());
    q1.sim.remove_file(&Path::new(CHECKPOINT).join("offsets/1")).unwrap();
    q1.drop(3, F3);
    let restart = q1.run(FaultPlan::none()).ok();
    assert_eq!(restart.planned(), vec![(1, names(&["f2.json"])), (2, names(&["f3.json"]))], "{}", restart.trace());
    assert_eq!(q1.reader_event_ids(), ["e1", "e1", "e2", "e4"]);
}
