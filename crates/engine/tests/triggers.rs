//! Triggers as Spark 4.3 runs them (`spark/FINDINGS.md`, Q3; evidence in
//! `spark/results/q03_triggers.txt`): `once` takes everything in one batch whatever
//! `maxFilesPerTrigger` says; `available-now` fixes the files at its start, and a file that
//! arrives during the run waits for the next run; `processing-time` lists the input before
//! every batch, so such a file is read in the same run.

mod common;

use common::*;
use crashpoint_engine::checkpoint::WriteCtx;
use crashpoint_engine::engine::{Engine, EngineOptions, Trigger};
use crashpoint_engine::faults::FaultPlan;
use crashpoint_engine::guarantee::Guarantee;
use crashpoint_engine::sink::{Batch, MemorySink, MemoryStore, Sink, SinkError, SinkOutcome};
use crashpoint_engine::storage::{SimStorage, Storage};
use std::path::Path;

const INPUT: &str = "/q03/in";
const CHECKPOINT: &str = "/q03/cp";

/// Q3's three one-device files, f0, f1, f2, a second apart.
fn three_files() -> SimStorage {
    let sim = SimStorage::new(0);
    for n in 0..3 {
        let text =
            format!(r#"{{"eventId": "f{n}", "data": {{"devices": [{{"deviceId": "d", "temperature": 1.0}}]}}}}"#);
        drop_file(&sim, Path::new(INPUT), &format!("f{n}.json"), &text, FIRST_MTIME_MS + n * 1000);
    }
    sim
}

/// A memory sink that, during batch 0, drops `late.json` into the input directory: Q3's
/// foreach-batch function that writes a file while the query runs.
struct DropsLateFile {
    inner: MemorySink,
}

impl Sink for DropsLateFile {
    fn kind(&self) -> &'static str {
        "memory"
    }

    fn guarantee(&self) -> Guarantee {
        Guarantee::ExactlyOnce
    }

    fn add_batch(&mut self, ctx: &mut WriteCtx<'_>, batch: Batch<'_>) -> Result<SinkOutcome, SinkError> {
        if batch.id == 0 {
            let late = r#"{"eventId": "late", "data": {"devices": [{"deviceId": "d", "temperature": 1.0}]}}"#;
            drop_file(ctx.storage, Path::new(INPUT), "late.json", late, FIRST_MTIME_MS + 500);
        }
        self.inner.add_batch(ctx, batch)
    }
}

fn run_trigger(sim: &SimStorage, trigger: Trigger, sink: Box<dyn Sink + '_>) -> Run {
    let query = query(Path::new(INPUT), Path::new(CHECKPOINT), max_files(1));
    let mut engine = Engine::new(sim, query, sink, EngineOptions::default(), FaultPlan::none()).unwrap();
    let result = engine.run(trigger);
    Run { events: engine.events().to_vec(), result }
}

fn names(files: &[&str]) -> Vec<String> {
    files.iter().map(|f| f.to_string()).collect()
}

#[test]
fn once_takes_every_file_in_one_batch_whatever_max_files_per_trigger_says() {
    // Goal: Spark's `Trigger.Once` with maxFilesPerTrigger 1 and 3 files: 1 batch of 3 files,
    // all in `sources/0/0`. Method: the same on the engine.
    let sim = three_files();
    let run = run_trigger(&sim, Trigger::Once, Box::new(MemorySink::new(MemoryStore::default()))).ok();
    assert_eq!(run.planned(), vec![(0, names(&["f0.json", "f1.json", "f2.json"]))]);
    let sources = read_text(&sim, &Path::new(CHECKPOINT).join("sources/0/0"));
    assert_eq!(sources.lines().count(), 4, "v1 and three entries: {sources}");
    assert!(!sim.exists(&Path::new(CHECKPOINT).join("offsets/1")));
}

#[test]
fn available_now_reads_only_the_files_there_at_its_start() {
    // Goal: Spark's `availableNow` with maxFilesPerTrigger 1: f0, f1, f2 in 3 batches; a file
    // written during batch 0 is not processed in this run, and the next run takes it as batch
    // 3. Method: a sink that drops `late.json` during batch 0, then a second run.
    let sim = three_files();
    let store = MemoryStore::default();
    let sink = Box::new(DropsLateFile { inner: MemorySink::new(store.clone()) });
    let run = run_trigger(&sim, Trigger::AvailableNow, sink).ok();
    assert_eq!(
        run.planned(),
        vec![(0, names(&["f0.json"])), (1, names(&["f1.json"])), (2, names(&["f2.json"]))],
        "{}",
        run.trace()
    );
    let next = run_trigger(&sim, Trigger::AvailableNow, Box::new(MemorySink::new(store))).ok();
    assert_eq!(next.planned(), vec![(3, names(&["late.json"]))]);
}

#[test]
fn processing_time_takes_the_files_a_batch_left_before_listing_again() {
    // Goal: under `processing-time` with maxFilesPerTrigger, batch 0 lists f0, f1, f2, takes f0
    // and keeps f1 and f2 for the next batches (Spark's `unreadFiles`); the file written during
    // batch 0 is read in the same run, but only when those are taken, although it is older than
    // f1 (measured on Spark 4.3: spark/FINDINGS.md Q18). The engine's run ends at the first
    // trigger that finds nothing. Method: the same sink as above.
    let sim = three_files();
    let sink = Box::new(DropsLateFile { inner: MemorySink::new(MemoryStore::default()) });
    let run = run_trigger(&sim, Trigger::ProcessingTime { interval_ms: 0 }, sink).ok();
    let expected =
        vec![(0, names(&["f0.json"])), (1, names(&["f1.json"])), (2, names(&["f2.json"])), (3, names(&["late.json"]))];
    assert_eq!(run.planned(), expected, "{}", run.trace());
}

#[test]
fn one_micro_batch_at_a_time_as_a_caller_on_the_wall_clock_drives_it() {
    // Goal: `run_micro_batch` is one processing-time trigger: a batch when there is data, false
    // when there is none, and a new file is picked up by the next trigger. Method: 3 files,
    // limit 1: three true, one false; drop a file; true again.
    let sim = three_files();
    let query = query(Path::new(INPUT), Path::new(CHECKPOINT), max_files(1));
    let sink = Box::new(MemorySink::new(MemoryStore::default()));
    let mut engine = Engine::new(&sim, query, sink, EngineOptions::default(), FaultPlan::none()).unwrap();
    let triggers: Vec<bool> = (0..4).map(|_| engine.run_micro_batch(5000).unwrap()).collect();
    assert_eq!(triggers, [true, true, true, false]);
    drop_file(&sim, Path::new(INPUT), "f3.json", DEVICE_03, FIRST_MTIME_MS + 9000);
    assert!(engine.run_micro_batch(5000).unwrap());
    assert!(sim.exists(&Path::new(CHECKPOINT).join("commits/3")));
}
