//! A long run: 1,000 batches. The source log compacts every 10 batches, offsets and commits
//! keep the last 100, and a restart reads a bounded number of log files, however long the
//! query has run.

mod common;

use common::*;
use crashpoint_engine::checkpoint::{
    COMPACT_INTERVAL, Checkpoint, CheckpointOptions, MIN_BATCHES_TO_RETAIN, SourceFileEntry,
};
use crashpoint_engine::engine::{Engine, EngineOptions, Resume, Trigger};
use crashpoint_engine::faults::FaultPlan;
use crashpoint_engine::plan::Plan;
use crashpoint_engine::sink::{FileSink, MemorySink, MemoryStore, read_file_sink_output};
use crashpoint_engine::storage::{SimStorage, Storage};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const INPUT: &str = "/in";
const CHECKPOINT: &str = "/cp";
const BATCHES: u64 = 1_000;

/// The names of the files read under `dir`, in order.
fn reads_in(reads: &Mutex<Vec<PathBuf>>, dir: &str) -> Vec<String> {
    let reads = reads.lock().unwrap();
    reads
        .iter()
        .filter(|p| p.parent() == Some(Path::new(dir)))
        .map(|p| crashpoint_engine::storage::file_name(p))
        .collect()
}

fn drop_tiny(storage: &dyn Storage, n: u64) {
    let text = format!(r#"{{"eventId": "e{n}", "data": {{"devices": [{{"deviceId": "d", "temperature": {n}}}]}}}}"#);
    drop_file(storage, Path::new(INPUT), &format!("f{n:04}.json"), &text, FIRST_MTIME_MS + n as i64);
}

/// The compactible log files expected after batch `n`: the newest compaction, then the batch
/// files after it.
fn expected_source_files(n: u64) -> Vec<String> {
    expected_compacted_files(n, COMPACT_INTERVAL, MIN_BATCHES_TO_RETAIN)
}

/// A compactible log's files after batch `n`, as Spark 4.3 leaves them with `cleanupDelay` 0:
/// `K.compact` for each compaction batch K, a plain file for every other batch, and nothing
/// below the last compaction before batch `n + 1 - retain` (FINDINGS Q12: interval 10, retain
/// 3, after batch 20: `9.compact, 10…18, 19.compact, 20`).
fn expected_compacted_files(n: u64, interval: u64, retain: u64) -> Vec<String> {
    let first_kept = match (n + 1).checked_sub(retain) {
        Some(oldest) if oldest >= interval => {
            (0..oldest).rev().find(|id| (id + 1).is_multiple_of(interval)).unwrap_or(0)
        }
        _ => 0,
    };
    let name = |id: u64| if (id + 1).is_multiple_of(interval) { format!("{id}.compact") } else { id.to_string() };
    (first_kept..=n).map(name).collect()
}

fn expected_retained(n: u64) -> Vec<String> {
    expected_retained_of(n, MIN_BATCHES_TO_RETAIN)
}

/// Batch `n` and the `retain` batches before it: Spark 4.3's `purge(n - minBatchesToRetain)`.
fn expected_retained_of(n: u64, retain: u64) -> Vec<String> {
    (n.saturating_sub(retain)..=n).map(|id| id.to_string()).collect()
}

#[test]
fn the_compaction_interval_and_the_batches_retained_are_options() {
    // Goal: Spark's compactInterval (source log and file sink log) and minBatchesToRetain are
    // knobs, so that a short run reaches compaction and purge. Method: compact every 3 batches,
    // keep 2; after each of 8 one-file batches, compare every log directory with what Spark
    // would hold, and check that the file sink's compaction holds every part file so far.
    let disk = SimStorage::default();
    for n in 0..8 {
        drop_tiny(&disk, n);
    }
    let knobs = CheckpointOptions { compact_interval: Some(3), min_batches_to_retain: Some(2) };
    let options = EngineOptions { checkpoint: knobs, ..EngineOptions::default() };
    let output = Path::new("/out");
    let sink = Box::new(
        FileSink::new(output, 0)
            .with_compact_interval(knobs.compact_interval())
            .with_min_batches_to_retain(knobs.min_batches_to_retain()),
    );
    let query = query(Path::new(INPUT), Path::new(CHECKPOINT), max_files(1));
    let mut engine = Engine::new(&disk, query, sink, options, FaultPlan::none()).unwrap();
    let checkpoint = Checkpoint::new(Path::new(CHECKPOINT));
    for n in 0..8 {
        assert!(engine.run_micro_batch(0).unwrap(), "one batch per trigger");
        let sources = log_files(&disk, checkpoint.sources.log().dir());
        assert_eq!(sources, expected_compacted_files(n, 3, 2), "source log after batch {n}");
        assert_eq!(log_files(&disk, &output.join("_spark_metadata")), sources, "sink log after batch {n}");
        assert_eq!(log_files(&disk, checkpoint.offsets.dir()), expected_retained_of(n, 2), "offsets after {n}");
        assert_eq!(log_files(&disk, checkpoint.commits.dir()), expected_retained_of(n, 2), "commits after {n}");
    }
    let schema = Plan::tutorial().compile().unwrap().schema().to_vec();
    assert_eq!(read_file_sink_output(&disk, output, &schema, true).unwrap().len(), 8, "one row per file");
    let all = checkpoint.sources.all_entries(&disk).unwrap();
    assert_eq!(all.iter().map(|e| e.batch_id).collect::<Vec<_>>(), (0..8).collect::<Vec<_>>());
}

#[test]
fn thousand_batches_compact_the_source_log_purge_old_batches_and_restart_cheaply() {
    // Goal: after each of 1,000 one-file batches the source log holds the files of the last
    // 100 batches and the compaction before them, as Spark's `deleteExpiredLog` leaves it
    // (`9.compact`, `19.compact`, … each appears, older files go),
    // offsets and commits hold the last 100 batches; a restart then reads at most one
    // compaction and fewer than 10 batch files and continues at the right batch. Method: a
    // simulated disk that counts reads, one engine stepped one micro-batch at a time, a check of
    // every log directory after every batch, then two restarts.
    let reads = std::sync::Arc::new(Mutex::new(Vec::new()));
    let disk = HookedDisk::new(SimStorage::default(), {
        let reads = reads.clone();
        move |path| {
            reads.lock().unwrap().push(path.to_path_buf());
            Ok(())
        }
    });
    for n in 0..BATCHES {
        drop_tiny(&disk, n);
    }
    let store = MemoryStore::default();
    let sink = || Box::new(MemorySink::new(store.clone()));
    let query = || query(Path::new(INPUT), Path::new(CHECKPOINT), max_files(1));
    let checkpoint = Checkpoint::new(Path::new(CHECKPOINT));
    let (offsets_dir, commits_dir, sources_dir) =
        (checkpoint.offsets.dir(), checkpoint.commits.dir(), checkpoint.sources.log().dir());

    let mut engine = Engine::new(&disk, query(), sink(), EngineOptions::default(), FaultPlan::none()).unwrap();
    for n in 0..BATCHES {
        assert!(engine.run_micro_batch(0).unwrap(), "one batch per trigger");
        let sources = log_files(&disk, sources_dir);
        assert_eq!(sources, expected_source_files(n), "source log after batch {n}");
        assert!(sources.len() <= (COMPACT_INTERVAL + MIN_BATCHES_TO_RETAIN) as usize);
        assert_eq!(log_files(&disk, offsets_dir), expected_retained(n), "offsets after batch {n}");
        assert_eq!(log_files(&disk, commits_dir), expected_retained(n), "commits after batch {n}");
    }
    engine.run(Trigger::Once).unwrap();
    assert_eq!(engine.events().last().map(|e| e.to_string()).as_deref(), Some("no new files: stop"));
    drop(engine);

    let compaction: Vec<SourceFileEntry> = checkpoint
        .sources
        .read_file(&disk, crashpoint_engine::checkpoint::LogFile { id: BATCHES - 1, compact: true })
        .unwrap();
    assert_eq!(compaction.len(), BATCHES as usize, "the compaction holds every entry so far");
    assert!(
        compaction
            .iter()
            .enumerate()
            .all(|(i, e)| e.batch_id == i as u64 && e.path.ends_with(&format!("f{i:04}.json")))
    );

    // Restart 1: five more files, five more batches.
    for n in BATCHES..BATCHES + 5 {
        drop_tiny(&disk, n);
    }
    let mut engine = Engine::new(&disk, query(), sink(), EngineOptions::default(), FaultPlan::none()).unwrap();
    engine.run(Trigger::AvailableNow).unwrap();
    drop(engine);

    // Restart 2: count what a restart reads.
    drop_tiny(&disk, BATCHES + 5);
    reads.lock().unwrap().clear();
    let mut engine = Engine::new(&disk, query(), sink(), EngineOptions::default(), FaultPlan::none()).unwrap();
    engine.run(Trigger::AvailableNow).unwrap();
    let run = Run { events: engine.events().to_vec(), result: Ok(()) };
    assert_eq!(run.resume(), Some(Resume::Continue { next: BATCHES + 5 }));
    assert_eq!(run.planned(), vec![(BATCHES + 5, vec![format!("f{:04}.json", BATCHES + 5)])]);

    let source_reads = reads_in(&reads, &sources_dir.display().to_string());
    assert_eq!(source_reads, ["999.compact", "1000", "1001", "1002", "1003", "1004"]);
    let compactions = source_reads.iter().filter(|name| name.ends_with(".compact")).count();
    assert!(compactions <= 1 && source_reads.len() - compactions < COMPACT_INTERVAL as usize);
    assert!(reads_in(&reads, &offsets_dir.display().to_string()).len() <= 1, "only the latest offsets");
    assert!(reads_in(&reads, &commits_dir.display().to_string()).len() <= 1, "only the latest commit");
    let input_reads = reads_in(&reads, INPUT);
    assert_eq!(input_reads, [format!("f{:04}.json", BATCHES + 5)], "only the new file is read");

    let table = store.lock().unwrap();
    assert_eq!(table.len() as u64, BATCHES + 6, "one batch per file");
    let mut ids: Vec<String> = table.values().flatten().map(|row| row[0].to_string()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len() as u64, BATCHES + 6, "every file's row once");
}
