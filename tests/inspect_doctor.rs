//! `inspect` and `doctor` tell the truth: each check against a checkpoint in that state, made
//! by the engine and then tampered with, on the simulated disk.
//!
//! Goal: every state names its files, says what the engine (and Spark) do with it, and offers
//! only ways forward that keep each record once; a repair that costs nothing is followed and
//! the query then finishes exactly once. Method: three batches of one file each with the file
//! sink, one tampering per test, then `diagnose`/`inspect`, the repair, and a restart.

#[path = "../crates/engine/tests/common/mod.rs"]
mod common;

use common::*;
use crashpoint_engine::engine::{Engine, EngineOptions, Trigger};
use crashpoint_engine::faults::{CrashPoint, FaultPlan};
use crashpoint_engine::plan::Plan;
use crashpoint_engine::sink::{FileSink, read_file_sink_output};
use crashpoint_engine::storage::{SimStorage, Storage};
use crashpoint_harness::diagnosis::{Finding, SinkDir, check_is_checkpoint, diagnose};
use crashpoint_harness::doctor::{apply, selected};
use crashpoint_harness::report::inspect;
use std::path::{Path, PathBuf};

const INPUT: &str = "/in";
const CHECKPOINT: &str = "/cp";
const OUTPUT: &str = "/out";
/// The file sink's output, as `--output` gives it.
fn sink() -> Option<SinkDir<'static>> {
    Some(SinkDir { output: Path::new(OUTPUT) })
}

struct World {
    sim: SimStorage,
}

impl World {
    /// Three files, three committed batches, file sink.
    fn three_batches() -> Self {
        let world = World { sim: SimStorage::new(0) };
        world.add("device_01.json", DEVICE_01, 0);
        world.add("device_02.json", DEVICE_02, 1);
        world.add("device_03.json", DEVICE_03, 2);
        world.run(FaultPlan::none()).unwrap();
        world
    }

    fn add(&self, name: &str, text: &str, n: i64) {
        drop_file(&self.sim, Path::new(INPUT), name, text, FIRST_MTIME_MS + n * 1000);
    }

    fn run(&self, faults: FaultPlan) -> Result<(), crashpoint_engine::engine::EngineError> {
        let query = query(Path::new(INPUT), Path::new(CHECKPOINT), max_files(1));
        let sink = Box::new(FileSink::new(Path::new(OUTPUT), 0));
        let mut engine = Engine::new(&self.sim, query, sink, EngineOptions::default(), faults)?;
        engine.run(Trigger::AvailableNow)
    }

    fn path(&self, relative: &str) -> PathBuf {
        Path::new(CHECKPOINT).join(relative)
    }

    fn remove(&self, relative: &str) {
        self.sim.remove_file(&self.path(relative)).unwrap();
    }

    fn findings(&self, sink: Option<SinkDir<'_>>) -> Vec<Finding> {
        diagnose(&self.sim, Path::new(CHECKPOINT), sink).unwrap()
    }

    /// Applies the free choices (and the named ones), as `doctor --repair [--choose]` does.
    fn repair(&self, sink: Option<SinkDir<'_>>, named: &[&str]) {
        let named: Vec<String> = named.iter().map(|n| n.to_string()).collect();
        apply(&self.sim, &selected(&self.findings(sink), true, &named)).unwrap();
        // A repair can uncover the next free one (a deleted log entry leaves its part file
        // unlisted), as `doctor --repair` finds in its next round.
        apply(&self.sim, &selected(&self.findings(sink), true, &[])).unwrap();
        assert_eq!(self.findings(sink), vec![], "healthy after the repair");
    }

    /// The event ids a reader of the output sees, sorted.
    fn output(&self) -> Vec<String> {
        let schema = Plan::tutorial_without_time().compile().unwrap().schema().to_vec();
        let rows = read_file_sink_output(&self.sim, Path::new(OUTPUT), &schema, true).unwrap();
        let mut ids: Vec<String> = rows.iter().map(|r| format!("{}/{}", r[0], r[1]).replace('"', "")).collect();
        ids.sort();
        ids
    }
}

const ALL_ROWS: [&str; 4] = ["e1/d1", "e1/d2", "e2/d3", "e4/d1"];

fn only(findings: &[Finding]) -> &Finding {
    assert_eq!(findings.len(), 1, "{findings:#?}");
    &findings[0]
}

#[test]
fn a_directory_that_is_no_checkpoint_is_named_for_what_it_looks_like() {
    let world = World::three_batches();
    world.sim.create_dir_all(Path::new("/empty")).unwrap();
    let cases = [
        (INPUT, "3 file(s) but no metadata"),
        (OUTPUT, "it has _spark_metadata, so it is a file sink's output directory"),
        ("/empty", "it is empty"),
        ("/nowhere", "it does not exist"),
    ];
    for (dir, says) in cases {
        let err = check_is_checkpoint(&world.sim, Path::new(dir)).unwrap_err().to_string();
        assert!(err.contains("not a checkpoint") && err.contains(says), "{dir}: {err}");
        assert!(inspect(&world.sim, Path::new(dir), None).is_err(), "{dir}");
    }
    assert_eq!(world.findings(sink()), vec![], "the real checkpoint is healthy");
}

#[test]
fn a_missing_commit_below_the_latest_will_not_rerun_and_both_say_so() {
    // The tutorial's own experiment, done to a commit that is not the latest.
    let world = World::three_batches();
    world.remove("commits/0");
    let inspection = inspect(&world.sim, Path::new(CHECKPOINT), None).unwrap().to_string();
    assert!(inspection.contains("batch 0: no commit, but a later batch is committed: will NOT re-run"), "{inspection}");
    assert!(inspection.contains("continue at batch 3"), "{inspection}");
    let finding = only(&world.findings(sink())).clone();
    assert!(finding.problem.contains("commits/0 is missing") && finding.problem.contains("will NOT run again"));
    world.add("device_04.json", DEVICE_01, 3);
    world.run(FaultPlan::none()).unwrap();
    assert_eq!(world.output().len(), 6, "batch 0 not re-run: its rows once, the new file's once");
    world.repair(sink(), &[]);
    assert!(world.sim.exists(&world.path("commits/0")));
}

#[test]
fn orphaned_and_stale_checksums_are_named_with_what_spark_does_and_deleted_for_free() {
    let world = World::three_batches();
    world.sim.write(&world.path("commits/.7.crc"), b"crc\0\0\0\x02\0abcd").unwrap();
    world.sim.write(&world.path("offsets/.1.crc"), b"crc\0\0\0\x02\0abcd").unwrap();
    let findings = world.findings(None);
    assert_eq!(findings.len(), 2, "{findings:#?}");
    let text: String = findings.iter().map(|f| f.problem.clone()).collect();
    assert!(text.contains("orphaned checksum /cp/commits/.7.crc") && text.contains("fails once"), "{text}");
    assert!(text.contains("stale checksum /cp/offsets/.1.crc") && text.contains("ChecksumException"), "{text}");
    world.repair(None, &[]);
}

#[test]
fn stale_temp_files_are_named_and_deleted_for_free() {
    let world = World { sim: SimStorage::new(0) };
    world.add("device_01.json", DEVICE_01, 0);
    assert!(world.run(FaultPlan::crash_at(CrashPoint::DuringLogWrite, 3)).unwrap_err().crash().is_some());
    let finding = only(&world.findings(None)).clone();
    assert!(finding.problem.contains("stale temp file /cp/offsets/.0."), "{finding:?}");
    world.repair(None, &[]);
    world.run(FaultPlan::none()).unwrap();
    assert_eq!(world.output(), ["e1/d1", "e1/d2"]);
}

#[test]
fn a_torn_sink_log_entry_of_a_batch_not_committed_is_written_again() {
    // A torn `_spark_metadata/2` must not be committed over: the engine stops on it, doctor
    // deletes it, and the batch is written again.
    let world = World::three_batches();
    world.remove("commits/2");
    world.sim.write(Path::new("/out/_spark_metadata/2"), b"v1\n{\"path\":\"file:///o").unwrap();
    let err = world.run(FaultPlan::none()).unwrap_err().to_string();
    assert!(err.contains("/out/_spark_metadata/2") && err.contains("crashpoint doctor"), "{err}");
    let findings = world.findings(sink());
    assert!(findings.iter().any(|f| f.problem.contains("_spark_metadata/2")), "{findings:#?}");
    assert!(world.findings(None).is_empty(), "without --output, the sink log is not looked at");
    world.repair(sink(), &[]);
    world.run(FaultPlan::none()).unwrap();
    assert_eq!(world.output(), ALL_ROWS);
    assert_eq!(world.findings(sink()), vec![]);
}

#[test]
fn a_torn_sink_log_entry_of_a_committed_batch_has_no_free_repair() {
    let world = World::three_batches();
    world.sim.write(Path::new("/out/_spark_metadata/1"), b"v1\n{").unwrap();
    let finding = only(&world.findings(sink())).clone();
    assert!(finding.problem.contains("Batch 1 is committed") && finding.choices.is_empty(), "{finding:?}");
    assert!(finding.by_hand.unwrap().contains("restore it from a backup"));
}

#[test]
fn a_sink_log_that_disagrees_with_the_commits_or_the_part_files_is_named() {
    let world = World::three_batches();
    let log = crashpoint_engine::checkpoint::CompactibleLog::<crashpoint_engine::checkpoint::SinkFileStatus>::new(
        Path::new("/out/_spark_metadata").to_path_buf(),
        "sink log",
    );
    let first = crashpoint_engine::uri::path_of(&log.all_entries(&world.sim).unwrap()[0].path);
    let parts = [first];
    world.sim.remove_file(&parts[0]).unwrap();
    world.sim.write(Path::new("/out/part-00000-stray-c000.json"), b"{}\n").unwrap();
    world.sim.remove_file(Path::new("/out/_spark_metadata/2")).unwrap();
    let text: Vec<String> = world.findings(sink()).into_iter().map(|f| f.problem).collect();
    let text = text.join("\n");
    assert!(text.contains(&format!("lists {}, but it is gone", parts[0].display())), "{text}");
    assert!(text.contains("part file /out/part-00000-stray-c000.json is in no sink log entry"), "{text}");
    assert!(text.contains("commits/2 says batch 2 is done, but the sink log /out/_spark_metadata ends at batch 1"));
    // The latest batch can run again: doctor deletes its commit and the sink writes it anew.
    world.sim.write(&parts[0], b"").unwrap();
    let names = ["rerun-batch-2"];
    let findings = world.findings(sink());
    apply(&world.sim, &selected(&findings, true, &names.map(String::from))).unwrap();
    world.run(FaultPlan::none()).unwrap();
    let remaining = world.findings(sink());
    assert!(remaining.iter().all(|f| !f.problem.contains("commits/2")), "{remaining:#?}");
}

#[test]
fn a_vanished_planned_file_gives_two_ways_forward_with_their_cost_and_neither_is_free() {
    // Batch 2 is planned and its offsets written, then its only file is deleted.
    let world = World { sim: SimStorage::new(0) };
    world.add("device_01.json", DEVICE_01, 0);
    world.add("device_02.json", DEVICE_02, 1);
    world.add("device_03.json", DEVICE_03, 2);
    assert!(world.run(FaultPlan::crash_at(CrashPoint::AfterOffsetsWrite, 3)).unwrap_err().crash().is_some());
    world.sim.remove_file(Path::new("/in/device_03.json")).unwrap();
    let err = world.run(FaultPlan::none()).unwrap_err().to_string();
    assert!(err.contains("batch 2 cannot run: its input file /in/device_03.json cannot be read"), "{err}");
    let inspection = inspect(&world.sim, Path::new(CHECKPOINT), sink()).unwrap().to_string();
    assert!(inspection.contains("device_03.json (mtime 1790000002000; gone from the input directory)"), "{inspection}");
    let finding = only(&world.findings(sink())).clone();
    let names: Vec<&str> = finding.choices.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["replan-batch-2", "commit-batch-2"]);
    assert!(finding.choices.iter().all(|c| c.cost.is_some()), "none is free: {finding:#?}");
    assert!(selected(std::slice::from_ref(&finding), true, &[]).is_empty(), "--repair alone takes nothing");
    world.add("device_04.json", DEVICE_02, 3);
    world.repair(sink(), &["replan-batch-2"]);
    world.run(FaultPlan::none()).unwrap();
    assert_eq!(world.output(), ["e1/d1", "e1/d2", "e2/d3", "e2/d3"], "device_04's row once; device_03's is gone");
}

#[test]
fn trailing_commits_are_run_again_batch_by_batch() {
    let world = World::three_batches();
    world.remove("commits/2");
    world.remove("commits/1");
    assert!(world.run(FaultPlan::none()).unwrap_err().to_string().contains("run `crashpoint doctor`"));
    world.repair(sink(), &[]);
    world.run(FaultPlan::none()).unwrap();
    assert_eq!(world.output(), ALL_ROWS, "the sink holds batches 1 and 2: nothing twice");
    assert_eq!(world.findings(sink()), vec![]);
}
