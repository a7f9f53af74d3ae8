//! The file sink's part format changes nothing but the time: a batch whose rows are encoded on
//! the tasks' threads ([`Sink::part_format`], [`Sink::add_encoded_batch`]) writes the same part
//! files, `_spark_metadata`, checkpoint and dead letters, byte for byte, as the same batch
//! gathered into rows and handed to [`Sink::add_batch`].
//!
//! Method: the same input (files of several rows, a file whose events have no devices, so an
//! empty task, bad lines, a record the plan rejects) streamed on a simulated disk twice: once
//! into a `FileSink`, once into a wrapper of it that keeps the default (no encoder, rows
//! gathered); with 1 and 3 threads; then every file of the two disks compared.

mod common;

use common::*;
use crashpoint_engine::checkpoint::WriteCtx;
use crashpoint_engine::engine::{Engine, EngineOptions, Event, Trigger};
use crashpoint_engine::faults::FaultPlan;
use crashpoint_engine::guarantee::Guarantee;
use crashpoint_engine::sink::{Batch, FileSink, HeldBatches, Sink, SinkError, SinkOutcome};
use crashpoint_engine::source::SourceOptions;
use crashpoint_engine::storage::{EntryKind, SimStorage, Storage};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const INPUT: &str = "/enc/in";
const CHECKPOINT: &str = "/enc/cp";
const OUTPUT: &str = "/enc/out";

/// A file sink behind the default interface: it names no part format, so its rows are gathered.
struct Gathered(FileSink);

impl Sink for Gathered {
    fn kind(&self) -> &'static str {
        "file"
    }

    fn guarantee(&self) -> Guarantee {
        self.0.guarantee()
    }

    fn add_batch(&mut self, ctx: &mut WriteCtx<'_>, batch: Batch<'_>) -> Result<SinkOutcome, SinkError> {
        self.0.add_batch(ctx, batch)
    }

    fn open(&mut self, storage: &dyn Storage) -> Result<(), SinkError> {
        self.0.open(storage)
    }

    fn held_batches(&self, storage: &dyn Storage) -> Result<Option<HeldBatches>, SinkError> {
        self.0.held_batches(storage)
    }

    fn keeps_batches(&self) -> bool {
        self.0.keeps_batches()
    }

    fn skip_if_held(&mut self, ctx: &mut WriteCtx<'_>, id: u64) -> Result<Option<String>, SinkError> {
        self.0.skip_if_held(ctx, id)
    }
}

fn event(i: usize, devices: usize) -> String {
    let devices: Vec<String> =
        (0..devices).map(|d| format!(r#"{{"deviceId": "d{d}\"q", "temperature": {}.25}}"#, (i * 7 + d) % 40)).collect();
    format!(r#"{{"eventId": "e{i}", "data": {{"devices": [{}]}}}}"#, devices.join(", "))
}

fn input() -> SimStorage {
    let sim = SimStorage::new(0);
    let dir = Path::new(INPUT);
    let mut mtime_ms = FIRST_MTIME_MS;
    let mut add = |name: &str, lines: Vec<String>| {
        drop_file(&sim, dir, name, &lines.join("\n"), mtime_ms);
        mtime_ms += 1000;
    };
    for f in 0..4 {
        add(&format!("f{f}.json"), (0..30).map(|i| event(f * 100 + i, i % 4)).collect());
    }
    add("no_devices.json", (0..5).map(|i| event(900 + i, 0)).collect());
    let bad = [event(1, 2), "not json".into(), r#"{"eventId": "x", "data": {"devices": 3}}"#.into(), event(2, 1)];
    add("bad.json", bad.to_vec());
    sim
}

/// Every file on the disk under `dir`, by path.
fn files_under(storage: &dyn Storage, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
    for entry in storage.list(dir).unwrap() {
        match entry.kind {
            EntryKind::Dir => files_under(storage, &entry.path, out),
            _ => {
                out.insert(entry.path.clone(), storage.read(&entry.path).unwrap());
            }
        }
    }
}

fn stream(encoded: bool, threads: usize) -> (BTreeMap<PathBuf, Vec<u8>>, Vec<Event>) {
    let sim = input();
    // Small task-layout knobs: the files are cut into splits and packed, several part files a
    // batch, with gaps where a task made no row.
    let source = SourceOptions { max_partition_bytes: Some(1024), open_cost_in_bytes: Some(256), ..max_files(3) };
    let query = query(Path::new(INPUT), Path::new(CHECKPOINT), source);
    let file = FileSink::new(Path::new(OUTPUT), 7);
    let sink: Box<dyn Sink> = if encoded { Box::new(file) } else { Box::new(Gathered(file)) };
    let options = EngineOptions { threads, ..EngineOptions::default() };
    let mut engine = Engine::new(&sim, query, sink, options, FaultPlan::none()).unwrap();
    engine.run(Trigger::AvailableNow).unwrap();
    let events = engine.events().to_vec();
    drop(engine);
    let mut files = BTreeMap::new();
    files_under(&sim, Path::new("/enc"), &mut files);
    (files, events)
}

#[test]
fn encoded_parts_write_what_gathered_rows_write() {
    let (expected, expected_events) = stream(false, 1);
    let parts = expected.keys().filter(|p| p.to_string_lossy().contains("/part-")).count();
    assert!(parts >= 5, "several part files a batch: {:?}", expected.keys());
    assert!(expected.keys().any(|p| p.to_string_lossy().contains("dead-letters")), "bad lines went somewhere");
    for threads in [1, 3] {
        let (got, got_events) = stream(true, threads);
        assert_eq!(got.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>(), "{threads} threads");
        for (path, bytes) in &expected {
            assert!(got[path] == *bytes, "{} differs with {threads} threads", path.display());
        }
        assert_eq!(format!("{got_events:?}"), format!("{expected_events:?}"), "{threads} threads");
    }
}
