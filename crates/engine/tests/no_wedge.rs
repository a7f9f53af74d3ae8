//! No wedged checkpoint and no silent loss at the sink: a batch the sink already holds is
//! committed without reading its input, a batch id the sink holds is never planned anew, a
//! console that cannot be written fails the batch before its commit, and one output directory
//! has one writer.

mod common;

use common::*;
use crashpoint_engine::engine::{Engine, EngineError, EngineOptions, Event, Trigger};
use crashpoint_engine::faults::{CrashPoint, FaultPlan};
use crashpoint_engine::sink::{ConsoleSink, FileSink, Sink, read_file_sink_output};
use crashpoint_engine::source::SourceOptions;
use crashpoint_engine::storage::{SimStorage, Storage};
use std::path::Path;

const INPUT: &str = "/in";
const CHECKPOINT: &str = "/cp";
const OUTPUT: &str = "/out";

fn file_sink() -> Box<dyn Sink> {
    Box::new(FileSink::new(Path::new(OUTPUT), 0))
}

fn one_file_query(checkpoint: &str) -> crashpoint_engine::engine::Query {
    query(Path::new(INPUT), Path::new(checkpoint), max_files(1))
}

fn output_events(sim: &SimStorage) -> Vec<String> {
    let schema = crashpoint_engine::plan::Plan::tutorial_without_time().compile().unwrap().schema().to_vec();
    let rows = read_file_sink_output(sim, Path::new(OUTPUT), &schema, true).unwrap();
    let mut events: Vec<String> = rows.iter().map(|r| format!("{}/{}", r[0], r[1]).replace('"', "")).collect();
    events.sort();
    events
}

fn two_files() -> SimStorage {
    let sim = SimStorage::new(0);
    drop_file(&sim, Path::new(INPUT), "device_01.json", DEVICE_01, FIRST_MTIME_MS);
    drop_file(&sim, Path::new(INPUT), "device_03.json", DEVICE_03, FIRST_MTIME_MS + 1000);
    sim
}

#[test]
fn a_batch_the_sink_holds_is_committed_without_reading_its_input() {
    // Goal: Spark's file sink skips a logged batch without reading its input, so an input file
    // that vanished after the sink wrote its batch cannot wedge the checkpoint. Method: crash
    // after the sink wrote batch 1, delete batch 1's only input file, restart: the batch is
    // committed, nothing is read, and the output holds every row once.
    let sim = two_files();
    let crash = FaultPlan::crash_at(CrashPoint::AfterSinkWrite, 2);
    assert!(run_with(&sim, one_file_query(CHECKPOINT), file_sink(), crash).err().crash().is_some());
    sim.remove_file(&Path::new(INPUT).join("device_03.json")).unwrap();
    let reads = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = reads.clone();
    let disk = HookedDisk::new(sim.clone(), move |path| {
        seen.lock().unwrap().push(path.display().to_string());
        Ok(())
    });
    let restart = run(&disk, one_file_query(CHECKPOINT), file_sink()).ok();
    assert_eq!(restart.committed(), vec![1], "{}", restart.trace());
    let skipped = restart
        .events
        .iter()
        .any(|e| matches!(e, Event::SinkSkipped { id: 1, reason } if reason.contains("its input was not read")));
    assert!(skipped, "{}", restart.trace());
    assert!(!reads.lock().unwrap().iter().any(|p| p.starts_with(INPUT)), "read input: {:?}", reads.lock().unwrap());
    assert_eq!(output_events(&sim), ["e1/d1", "e1/d2", "e4/d1"]);
}

#[test]
fn a_new_checkpoint_over_an_output_with_a_sink_log_is_refused_before_it_writes_anything() {
    // Goal: Spark silently loses the rows of every batch id the old output already holds; the
    // engine refuses, names the sink log and says what to do, and writes no checkpoint file.
    // Method: one run, delete the checkpoint, add a file, run again on a new checkpoint.
    let sim = two_files();
    run(&sim, one_file_query(CHECKPOINT), file_sink()).ok();
    let err = run(&sim, one_file_query("/cp2"), file_sink()).err();
    let message = err.to_string();
    assert!(matches!(err, EngineError::SinkAhead { latest: 1, batch: 0, .. }), "{message}");
    for fragment in ["/out/_spark_metadata already holds batches up to 1", "/cp2", "new output directory"] {
        assert!(message.contains(fragment), "{fragment} not in: {message}");
    }
    assert!(!sim.exists(Path::new("/cp2/metadata")), "nothing written");
}

#[test]
fn allowed_explicitly_a_new_checkpoint_over_an_old_output_loses_rows_as_spark_does() {
    // Goal: the explicit allowance really is Spark's behaviour (the reason the default refuses).
    // Method: as above with allow_existing_sink_log and a new file that lands in batch 1, which
    // the old output holds: it is skipped and its rows never appear.
    let sim = two_files();
    run(&sim, one_file_query(CHECKPOINT), file_sink()).ok();
    drop_file(&sim, Path::new(INPUT), "device_02.json", DEVICE_02, FIRST_MTIME_MS + 2000);
    let options = EngineOptions { allow_existing_sink_log: true, ..EngineOptions::default() };
    // Two files a batch: device_01 and device_03 make batch 0, device_02 alone batch 1.
    let query = query(Path::new(INPUT), Path::new("/cp2"), max_files(2));
    let mut engine = Engine::new(&sim, query, file_sink(), options, FaultPlan::none()).expect("valid query");
    engine.run(Trigger::AvailableNow).expect("allowed");
    assert_eq!(output_events(&sim), ["e1/d1", "e1/d2", "e4/d1"], "device_02's e2/d3 is lost, as in Spark");
}

#[test]
fn a_batch_id_the_sink_holds_is_never_planned_anew() {
    // Goal: following "delete offsets/N and sources/0/N" on a batch the sink already wrote must
    // not replan the batch with other files (the sink would skip them: rows lost with exit 0).
    // Method: commit two batches, delete commits/1, offsets/1 and sources/0/1, add a file and
    // restart with another maxFilesPerTrigger: refused, naming the sink log and the batch.
    let sim = two_files();
    run(&sim, one_file_query(CHECKPOINT), file_sink()).ok();
    for file in ["commits/1", "offsets/1", "sources/0/1"] {
        sim.remove_file(&Path::new(CHECKPOINT).join(file)).unwrap();
    }
    drop_file(&sim, Path::new(INPUT), "device_02.json", DEVICE_02, FIRST_MTIME_MS + 2000);
    let source = SourceOptions { max_files_per_trigger: Some(2), ..SourceOptions::default() };
    let err = run(&sim, query(Path::new(INPUT), Path::new(CHECKPOINT), source), file_sink()).err();
    let message = err.to_string();
    assert!(matches!(err, EngineError::SinkAhead { latest: 1, batch: 1, .. }), "{message}");
    assert!(message.contains("offsets/1 is missing"), "{message}");
    assert_eq!(output_events(&sim), ["e1/d1", "e1/d2", "e4/d1"], "nothing written, nothing lost");
}

/// A console whose every write fails, as stdout on a full device does.
struct FullDevice;

impl std::io::Write for FullDevice {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::from_raw_os_error(28))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_console_write_error_fails_the_batch_before_its_commit() {
    // Goal: a batch that did not reach the console is not committed, so it prints at the next
    // start. Method: a console sink over a writer that fails; then a working console.
    let sim = two_files();
    let failing = Box::new(ConsoleSink::new(Box::new(FullDevice)));
    let err = run(&sim, one_file_query(CHECKPOINT), failing).err();
    assert!(err.to_string().contains("console sink: could not print batch 0"), "{err}");
    assert!(!sim.exists(Path::new("/cp/commits/0")), "no commit for a batch that was not printed");
    let console = Captured::default();
    let rerun = run(&sim, one_file_query(CHECKPOINT), Box::new(ConsoleSink::new(Box::new(console.clone())))).ok();
    assert_eq!(rerun.committed(), vec![0, 1]);
    assert!(console.text().contains("Batch: 0") && console.text().contains("e1"), "{}", console.text());
}

#[test]
fn one_output_directory_has_one_writer() {
    // Goal: two queries on one output directory get a clear error, not a clash of temp files.
    // Method: hold a file sink open on /out, then start a second query (its own checkpoint).
    let sim = two_files();
    let mut first = file_sink();
    first.open(&sim).unwrap();
    let err = run(&sim, one_file_query("/cp-other"), file_sink()).err();
    assert!(err.to_string().contains("another query is writing into it"), "{err}");
    drop(first);
    run(&sim, one_file_query("/cp-other"), file_sink()).ok();
}

#[test]
fn max_files_per_trigger_below_one_is_refused_with_the_rule() {
    // Goal: Spark rejects maxFilesPerTrigger 0; a 0 that processes nothing forever is silent
    // loss. Method: build an engine with 0.
    let sim = two_files();
    let source = SourceOptions { max_files_per_trigger: Some(0), ..SourceOptions::default() };
    let query = query(Path::new(INPUT), Path::new(CHECKPOINT), source);
    let err = Engine::new(&sim, query, file_sink(), EngineOptions::default(), FaultPlan::none()).err().unwrap();
    assert!(err.to_string().contains("must be a positive integer"), "{err}");
}

#[test]
fn a_plan_that_explodes_no_array_is_refused_before_it_writes_anything() {
    // Goal: Spark's analyzer refuses `explode` of a STRING before any batch (measured in Spark
    // 4.3: DATATYPE_MISMATCH); an engine that took it would refuse every record at run time and
    // send the whole input to dead letters. Method: the tutorial's plan exploding `eventId`.
    let sim = two_files();
    let mut query = one_file_query(CHECKPOINT);
    query.plan =
        serde_json::from_str(r#"[{"op":"explode","column":"eventId","as":"e"},{"op":"select","columns":["e"]}]"#)
            .unwrap();
    let err = Engine::new(&sim, query, file_sink(), EngineOptions::default(), FaultPlan::none()).err().unwrap();
    assert!(err.to_string().contains("explode eventId: the schema gives eventId the type STRING"), "{err}");
    assert!(!sim.exists(Path::new(CHECKPOINT)) && !sim.exists(Path::new(OUTPUT)), "nothing is written");
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let fifo = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a NUL-terminated path this function owns.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
}

#[cfg(unix)]
#[test]
fn only_regular_files_and_symlinks_to_them_are_input_and_nothing_else_is_opened() {
    // Goal: one rule for what the source reads: regular files, and symlinks to them under the
    // link's path (as Spark); a FIFO, a dangling symlink, a symlink loop, a symlink to a
    // directory and a subdirectory are never opened, and each is named in a warning (Spark
    // skips most of them silently, and lists a FIFO). Method: one real directory with each.
    use crashpoint_engine::storage::DiskStorage;
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().canonicalize().unwrap();
    let input = root.join("in");
    drop_file(&DiskStorage, &input, "device_01.json", DEVICE_01, FIRST_MTIME_MS);
    drop_file(&DiskStorage, &root, "elsewhere.json", DEVICE_03, FIRST_MTIME_MS + 1000);
    std::os::unix::fs::symlink(root.join("elsewhere.json"), input.join("link.json")).unwrap();
    std::os::unix::fs::symlink(root.join("missing.json"), input.join("dangling.json")).unwrap();
    std::os::unix::fs::symlink(input.join("loop.json"), input.join("loop.json")).unwrap();
    std::fs::create_dir(root.join("dir")).unwrap();
    std::os::unix::fs::symlink(root.join("dir"), input.join("dirlink.json")).unwrap();
    std::fs::create_dir(input.join("sub")).unwrap();
    drop_file(&DiskStorage, &input.join("sub"), "nested.json", DEVICE_02, FIRST_MTIME_MS);
    mkfifo(&input.join("pipe.json"));

    let store = crashpoint_engine::sink::MemoryStore::default();
    let sink = Box::new(crashpoint_engine::sink::MemorySink::new(store.clone()));
    let run = run(&DiskStorage, query(&input, &root.join("cp"), SourceOptions::default()), sink).ok();
    assert_eq!(run.planned(), vec![(0, vec!["device_01.json".to_string(), "link.json".to_string()])]);
    let warnings = run.warnings().join("\n");
    for (name, why) in [
        ("dangling.json", "a dangling symlink"),
        ("loop.json", "a symlink loop"),
        ("dirlink.json", "a symlink to a directory"),
        ("sub", "a subdirectory"),
        ("pipe.json", "a FIFO"),
    ] {
        assert!(warnings.contains(&format!("{name} is not read: it is {why}")), "{name}: {warnings}");
    }
    let rows: Vec<_> = store.lock().unwrap().values().flatten().cloned().collect();
    assert_eq!(triples(&rows), expected(&[("e1", "d1", 21.5), ("e1", "d2", 19.0), ("e4", "d1", 22.0)]));
}

#[cfg(unix)]
#[test]
fn a_planned_file_replaced_by_a_fifo_stops_the_batch_without_blocking() {
    // Goal: reading never blocks: a planned file that became a FIFO is an error naming the
    // file, the batch and what to do. Method: plan a batch, crash before the sink, replace the
    // file by a FIFO, restart.
    use crashpoint_engine::storage::DiskStorage;
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().canonicalize().unwrap();
    let input = root.join("in");
    let path = drop_file(&DiskStorage, &input, "device_01.json", DEVICE_01, FIRST_MTIME_MS);
    let crash = FaultPlan::crash_at(CrashPoint::AfterOffsetsWrite, 1);
    let q = || query(&input, &root.join("cp"), SourceOptions::default());
    let out = root.join("out");
    let sink = || Box::new(FileSink::new(&out, 0)) as Box<dyn Sink>;
    assert!(run_with(&DiskStorage, q(), sink(), crash).err().crash().is_some());
    std::fs::remove_file(&path).unwrap();
    mkfifo(&path);
    let err = run(&DiskStorage, q(), sink()).err();
    let message = err.to_string();
    assert!(matches!(err, EngineError::PlannedInput { batch: 0, .. }), "{message}");
    assert!(message.contains("device_01.json cannot be read: not a regular file but a FIFO"), "{message}");
}
