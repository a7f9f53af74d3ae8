//! The tutorial's experiments, each run through the engine API on real directories, as the
//! tutorial runs them by hand: first run, re-drop, delete a commit, rename, delete the
//! checkpoint, change the query.

// The engine's test helpers, shared with the end-to-end tests here.
#[path = "../crates/engine/tests/common/mod.rs"]
mod common;

use common::*;
use crashpoint_engine::checkpoint::OffsetSeqMetadata;
use crashpoint_engine::engine::{Clock, EngineError, Resume};
use crashpoint_engine::plan::Plan;
use crashpoint_engine::sink::{ConsoleSink, FileSink, MemorySink, MemoryStore, Sink, read_file_sink_output};
use crashpoint_engine::source::{ModifiedFilePolicy, SourceOptions};
use crashpoint_engine::storage::{DiskStorage, Storage};
use std::path::{Path, PathBuf};

const REFERENCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/spark-reference");

/// A tutorial workspace: `input/`, `checkpoint/` and `output/` in a temp directory.
struct Tutorial {
    _temp: tempfile::TempDir,
    root: PathBuf,
    console: Captured,
}

impl Tutorial {
    fn new() -> Self {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("input")).unwrap();
        Self { _temp: temp, root, console: Captured::default() }
    }

    fn input(&self) -> PathBuf {
        self.root.join("input")
    }

    fn checkpoint(&self) -> PathBuf {
        self.root.join("checkpoint")
    }

    fn output(&self) -> PathBuf {
        self.root.join("output")
    }

    /// Drops `name`; the n-th drop gets a modification time n seconds after the first.
    fn drop(&self, name: &str, text: &str, n: i64) -> PathBuf {
        drop_file(&DiskStorage, &self.input(), name, text, FIRST_MTIME_MS + n * 1000)
    }

    fn console_sink(&self) -> Box<dyn Sink> {
        Box::new(ConsoleSink::new(Box::new(self.console.clone())))
    }

    fn run(&self, source: SourceOptions, sink: Box<dyn Sink>) -> Run {
        run(&DiskStorage, query(&self.input(), &self.checkpoint(), source), sink)
    }

    fn run_console(&self) -> Run {
        self.run(SourceOptions::default(), self.console_sink())
    }

    fn uri(&self, name: &str) -> String {
        format!("file://{}", self.input().join(name).display())
    }

    fn read(&self, relative: &str) -> String {
        read_text(&DiskStorage, &self.checkpoint().join(relative))
    }
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

fn part_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("part-"))
        .collect();
    names.sort();
    names
}

#[test]
fn first_run_processes_batch_0_and_writes_a_checkpoint_in_sparks_format() {
    // Goal: the first run takes device_01 as batch 0 and leaves metadata, offsets/0, commits/0
    // and sources/0/0 byte-compatible with Spark 4.3. Method: run on a temp dir, read the files
    // back, and compare them with the reference checkpoint and with Spark's console output.
    let t = Tutorial::new();
    t.drop("device_01.json", DEVICE_01, 0);
    let run = t.run_console().ok();
    assert_eq!(run.resume(), Some(Resume::Fresh));
    assert_eq!(run.planned(), vec![(0, vec!["device_01.json".to_string()])]);
    assert_eq!(run.committed(), vec![0]);

    let metadata: serde_json::Value = serde_json::from_str(&t.read("metadata")).unwrap();
    let id = metadata["id"].as_str().unwrap();
    assert_eq!((id.len(), id.matches('-').count()), (36, 4), "a UUID: {id}");
    assert_eq!(metadata.as_object().unwrap().len(), 1);

    let offsets = t.read("offsets/0");
    let lines: Vec<&str> = offsets.split('\n').collect();
    assert_eq!(lines.len(), 3, "{offsets}");
    assert_eq!(lines[0], "v1");
    let batch: OffsetSeqMetadata = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(batch.batch_timestamp_ms, Clock::default().start_ms);
    assert_eq!(batch.batch_watermark_ms, 0);
    assert_eq!(lines[2], r#"{"logOffset":0}"#);

    let spark_commit = std::fs::read_to_string(format!("{REFERENCE}/three_files/checkpoint/commits/0")).unwrap();
    assert_eq!(t.read("commits/0"), spark_commit, "commits/0 is byte-identical to Spark's");
    let expected_source =
        format!("v1\n{{\"path\":\"{}\",\"timestamp\":{FIRST_MTIME_MS},\"batchId\":0}}", t.uri("device_01.json"));
    assert_eq!(t.read("sources/0/0"), expected_source, "first line v1, no trailing newline");
    for file in ["offsets/0", "commits/0", "sources/0/0", "metadata"] {
        assert!(!t.read(file).ends_with('\n'), "{file} must not end with a newline");
    }

    // The table is the one Spark printed for the same file.
    let console = t.console.text();
    let table_start = console.find('+').unwrap();
    let spark_console = std::fs::read_to_string(format!("{REFERENCE}/seed_console/CONSOLE.txt")).unwrap();
    assert!(console.contains("Batch: 0\n"), "{console}");
    assert!(spark_console.contains(&console[table_start..]), "ours:\n{console}\nSpark's:\n{spark_console}");
}

#[test]
fn redropped_file_is_ignored_with_a_warning() {
    // Goal: writing a processed path again starts no batch, as in Spark, but says so. Method:
    // run, re-drop device_01 with a newer modification time, run again, inspect the trace.
    let t = Tutorial::new();
    t.drop("device_01.json", DEVICE_01, 0);
    t.run_console().ok();
    t.drop("device_01.json", DEVICE_01, 1);
    let run = t.run_console().ok();
    assert_eq!(run.resume(), Some(Resume::Continue { next: 1 }));
    assert_eq!(run.planned(), vec![], "{}", run.trace());
    let warnings = run.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains(&t.uri("device_01.json")), "{}", warnings[0]);
    assert!(warnings[0].contains("batch 0") && warnings[0].contains("ignored"), "{}", warnings[0]);
    assert_eq!(count(&t.console.text(), "Batch: "), 1, "printed only by the first run");
    assert_eq!(log_files(&DiskStorage, &t.checkpoint().join("offsets")), ["0"]);
}

#[test]
fn redropped_file_is_an_error_when_on_modified_is_error() {
    // Goal: `on_modified: Error` turns the ignored re-drop into an error that names the file,
    // and nothing is written. Method: as above, with the policy set.
    let t = Tutorial::new();
    t.drop("device_01.json", DEVICE_01, 0);
    t.run_console().ok();
    t.drop("device_01.json", DEVICE_01, 1);
    let strict = SourceOptions { on_modified: ModifiedFilePolicy::Error, ..SourceOptions::default() };
    let err = t.run(strict, t.console_sink()).err();
    assert!(matches!(err, EngineError::ModifiedInput(_)), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&t.uri("device_01.json")) && message.contains("on-modified is error"), "{message}");
    assert_eq!(log_files(&DiskStorage, &t.checkpoint().join("offsets")), ["0"]);
    assert_eq!(log_files(&DiskStorage, &t.checkpoint().join("sources/0")), ["0"]);
}

#[test]
fn deleting_commit_1_reruns_batch_1_with_its_recorded_files_and_console_prints_it_twice() {
    // Goal: with commits/1 deleted, batch 1 runs again with exactly the files recorded for it,
    // not with files that arrived since; the console sink keeps no log, so it prints batch 1
    // twice. Method: two batches, delete commits/1, drop device_03, run again.
    let t = Tutorial::new();
    t.drop("device_01.json", DEVICE_01, 0);
    t.run_console().ok();
    t.drop("device_02.json", DEVICE_02, 1);
    t.run_console().ok();
    std::fs::remove_file(t.checkpoint().join("commits/1")).unwrap();
    t.drop("device_03.json", DEVICE_03, 2);
    let run = t.run_console().ok();
    assert_eq!(run.resume(), Some(Resume::Rerun { batch: 1 }));
    assert_eq!(run.planned(), vec![(1, vec!["device_02.json".into()]), (2, vec!["device_03.json".into()])]);
    assert_eq!(run.origins()[0], (1, "re-run"));
    assert_eq!(run.committed(), vec![1, 2]);
    let console = t.console.text();
    assert_eq!(count(&console, "Batch: 1\n"), 2, "{console}");
    assert_eq!(count(&console, "|     e2|       d3|30.0|"), 2, "{console}");
    assert_eq!(count(&console, "|     e4|       d1|22.0|"), 1, "{console}");
}

#[test]
fn deleting_commit_1_with_the_memory_sink_keeps_batch_1_once() {
    // Goal: an exactly-once sink sees the re-run of batch 1 and skips it. Method: as the console
    // experiment, with a memory sink whose table outlives the engine.
    let t = Tutorial::new();
    let store = MemoryStore::default();
    let memory = || Box::new(MemorySink::new(store.clone())) as Box<dyn Sink>;
    t.drop("device_01.json", DEVICE_01, 0);
    t.drop("device_02.json", DEVICE_02, 1);
    t.run(max_files(1), memory()).ok();
    std::fs::remove_file(t.checkpoint().join("commits/1")).unwrap();
    let run = t.run(max_files(1), memory()).ok();
    assert_eq!(run.planned(), vec![(1, vec!["device_02.json".into()])]);
    assert!(run.trace().contains("batch 1: sink skipped it"), "{}", run.trace());
    let table = store.lock().unwrap();
    assert_eq!(table.keys().copied().collect::<Vec<_>>(), [0, 1]);
    let rows: Vec<_> = table.values().flatten().cloned().collect();
    assert_eq!(triples(&rows), expected(&[("e1", "d1", 21.5), ("e1", "d2", 19.0), ("e2", "d3", 30.0)]));
}

#[test]
fn deleting_commit_1_with_the_file_sink_writes_no_new_part_file_and_readers_see_each_row_once() {
    // Goal: as Spark did in seed_filesink, the re-run of batch 1 writes no part file because
    // `_spark_metadata/1` exists, and a reader sees every row once. Method: two batches with
    // maxFilesPerTrigger 1, delete commits/1, run again, compare part files and the reader.
    let t = Tutorial::new();
    let file_sink = || Box::new(FileSink::new(&t.output(), 0)) as Box<dyn Sink>;
    t.drop("device_01.json", DEVICE_01, 0);
    t.drop("device_02.json", DEVICE_02, 1);
    t.run(max_files(1), file_sink()).ok();
    let parts_before = part_files(&t.output());
    assert_eq!(parts_before.len(), 2);
    std::fs::remove_file(t.checkpoint().join("commits/1")).unwrap();
    let run = t.run(max_files(1), file_sink()).ok();
    assert_eq!(run.planned(), vec![(1, vec!["device_02.json".into()])]);
    assert!(run.trace().contains("batch 1: sink skipped it"), "{}", run.trace());
    assert_eq!(run.committed(), vec![1]);
    assert_eq!(part_files(&t.output()), parts_before, "no new part file");
    let schema = Plan::tutorial_without_time().compile().unwrap().schema().to_vec();
    let rows = read_file_sink_output(&DiskStorage, &t.output(), &schema, true).unwrap();
    assert_eq!(triples(&rows), expected(&[("e1", "d1", 21.5), ("e1", "d2", 19.0), ("e2", "d3", 30.0)]));
}

#[test]
fn renamed_file_is_reprocessed_in_a_new_batch() {
    // Goal: a file is "seen" by its path, so a renamed file is new. Method: two batches, rename
    // device_01 to device_01_v2 (keeping its modification time), run again.
    let t = Tutorial::new();
    t.drop("device_01.json", DEVICE_01, 0);
    t.drop("device_02.json", DEVICE_02, 1);
    t.run_console().ok();
    std::fs::rename(t.input().join("device_01.json"), t.input().join("device_01_v2.json")).unwrap();
    let run = t.run_console().ok();
    assert_eq!(run.planned(), vec![(1, vec!["device_01_v2.json".into()])]);
    assert_eq!(run.warnings(), Vec::<String>::new());
    let console = t.console.text();
    assert_eq!(count(&console, "|     e1|       d1|21.5|"), 2, "{console}");
    assert_eq!(count(&console, "|     e2|       d3|30.0|"), 1, "{console}");
    let sources = t.read("sources/0/1");
    assert!(sources.contains(&t.uri("device_01_v2.json")), "{sources}");
}

#[test]
fn deleted_checkpoint_reprocesses_everything() {
    // Goal: without a checkpoint every file is new again. Method: two batches, delete the
    // checkpoint directory, run again: batch 0 takes every file.
    let t = Tutorial::new();
    t.drop("device_01.json", DEVICE_01, 0);
    t.run_console().ok();
    t.drop("device_02.json", DEVICE_02, 1);
    t.run_console().ok();
    std::fs::remove_dir_all(t.checkpoint()).unwrap();
    let run = t.run_console().ok();
    assert_eq!(run.resume(), Some(Resume::Fresh));
    assert_eq!(run.planned(), vec![(0, vec!["device_01.json".into(), "device_02.json".into()])]);
    let console = t.console.text();
    assert_eq!(count(&console, "Batch: 0\n"), 2, "{console}");
    assert_eq!(count(&console, "|     e1|       d1|21.5|"), 2, "{console}");
    assert_eq!(count(&console, "|     e2|       d3|30.0|"), 2, "{console}");
}

#[test]
fn changed_query_on_an_existing_checkpoint_is_a_plan_changed_error() {
    // Goal: a restart with different logic fails clearly instead of mixing schemas, and writes
    // nothing. Method: run the tutorial query, then the same checkpoint with the processing
    // time added, and with a filter added.
    let t = Tutorial::new();
    t.drop("device_01.json", DEVICE_01, 0);
    t.run_console().ok();
    t.drop("device_02.json", DEVICE_02, 1);
    let mut filtered = Plan::tutorial_without_time();
    filtered.steps.push(crashpoint_engine::plan::Step::Filter { condition: "temp > 20".parse().unwrap() });
    let cases = [
        (
            Plan::tutorial(),
            "the output columns were (eventId, device_id, temp), now (eventId, device_id, temp, processing_time): added processing_time; step 3 was added: `processing-time as processing_time`",
        ),
        (filtered, "step 3 was added: `filter temp > 20`"),
    ];
    for (plan, said) in cases {
        let mut changed = query(&t.input(), &t.checkpoint(), SourceOptions::default());
        changed.plan = plan.clone();
        let err = run(&DiskStorage, changed, t.console_sink()).err();
        let EngineError::PlanChanged { offsets_file, recorded, current, changes } = &err else {
            panic!("expected PlanChanged, got {err:?}");
        };
        assert_eq!(offsets_file, &t.checkpoint().join("offsets/0"));
        assert_eq!(recorded, &Plan::tutorial_without_time().fingerprint());
        assert_eq!(current, &plan.fingerprint());
        assert_eq!(changes.join("; "), said);
        let message = err.to_string();
        for fragment in ["the query changed since", "offsets/0", said, recorded, current, "new checkpoint directory"] {
            assert!(message.contains(fragment), "{message} should contain {fragment}");
        }
    }
    assert_eq!(log_files(&DiskStorage, &t.checkpoint().join("offsets")), ["0"], "nothing written");
    let run = t.run_console().ok();
    assert_eq!(run.planned(), vec![(1, vec!["device_02.json".into()])], "the original query still runs");
    assert!(DiskStorage.exists(&t.checkpoint().join("commits/1")));
}
