//! One query per checkpoint: a second query on a checkpoint in use gets a clear error.
//!
//! Goal: two writers never race on one checkpoint. Method: hold the lock with one engine (or a
//! plain lock on the real disk) and start a second; then release and start again.

use crashpoint_engine::engine::{Engine, EngineError, EngineOptions, Query, Trigger};
use crashpoint_engine::faults::FaultPlan;
use crashpoint_engine::plan::Plan;
use crashpoint_engine::sink::{MemorySink, MemoryStore};
use crashpoint_engine::source::SourceOptions;
use crashpoint_engine::storage::{DiskStorage, SimStorage, Storage};
use std::path::Path;

fn query(root: &Path) -> Query {
    Query {
        input_dir: root.join("input"),
        checkpoint_dir: root.join("checkpoint"),
        source: SourceOptions::default(),
        plan: Plan::tutorial(),
    }
}

fn engine<'a>(storage: &'a dyn Storage, root: &Path) -> Engine<'a> {
    let sink = Box::new(MemorySink::new(MemoryStore::default()));
    Engine::new(storage, query(root), sink, EngineOptions::default(), FaultPlan::none()).unwrap()
}

#[test]
fn a_second_query_on_a_running_checkpoint_is_refused_until_the_first_stops() {
    let sim = SimStorage::new(0);
    let root = Path::new("/w");
    sim.create_dir_all(&root.join("input")).unwrap();
    let mut first = engine(&sim, root);
    first.run(Trigger::AvailableNow).unwrap();
    let error = engine(&sim, root).run(Trigger::AvailableNow).unwrap_err();
    assert!(matches!(error, EngineError::Recovery { .. }), "{error}");
    assert!(error.to_string().contains("another query is running on it"), "{error}");
    drop(first);
    engine(&sim, root).run(Trigger::AvailableNow).unwrap();
}

#[test]
fn the_lock_is_a_real_file_lock_on_disk() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    std::fs::create_dir_all(root.join("input")).unwrap();
    std::fs::create_dir_all(root.join("checkpoint")).unwrap();
    let held = DiskStorage.lock(&root.join("checkpoint/.lock")).unwrap();
    let error = engine(&DiskStorage, root).run(Trigger::AvailableNow).unwrap_err();
    assert!(error.to_string().contains("another query is running on it"), "{error}");
    drop(held);
    engine(&DiskStorage, root).run(Trigger::AvailableNow).unwrap();
}
