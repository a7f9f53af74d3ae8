//! Bad input files: every malformed line is either a row-less dead letter with its file, line
//! and reason, or (in failfast mode) an error naming file:line. Nothing is dropped in silence.

mod common;

use common::*;
use crashpoint_engine::engine::{EngineError, Event, Resume};
use crashpoint_engine::faults::{CrashPoint, FaultPlan};
use crashpoint_engine::sink::{MemorySink, MemoryStore, Sink};
use crashpoint_engine::source::{BadRecordMode, InputFormat, SourceOptions};
use crashpoint_engine::storage::{DiskStorage, SimStorage, Storage};
use serde_json::{Value, json};
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

const INPUT: &str = "/in";
const CHECKPOINT: &str = "/cp";

/// A good line with exactly one device, so that one good line is one row.
fn good(n: u32) -> String {
    format!(r#"{{"eventId": "e{n}", "data": {{"devices": [{{"deviceId": "d{n}", "temperature": {n}.5}}]}}}}"#)
}

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

    /// Writes raw bytes as input file `name`; the n-th file gets an mtime n seconds later.
    fn drop_bytes(&self, name: &str, bytes: &[u8], n: i64) {
        let path = Path::new(INPUT).join(name);
        self.sim.write(&path, bytes).unwrap();
        self.sim.set_mtime(&path, FIRST_MTIME_MS + n * 1000).unwrap();
    }

    fn sink(&self) -> Box<dyn Sink> {
        Box::new(MemorySink::new(self.store.clone()))
    }

    fn run(&self, source: SourceOptions) -> Run {
        self.run_with(source, FaultPlan::none())
    }

    fn run_with(&self, source: SourceOptions, faults: FaultPlan) -> Run {
        run_with(&self.sim, query(Path::new(INPUT), Path::new(CHECKPOINT), source), self.sink(), faults)
    }

    fn rows(&self) -> Vec<Vec<Value>> {
        self.store.lock().unwrap().values().flatten().cloned().collect()
    }

    /// The dead-letter records of a batch, parsed.
    fn dead_letters(&self, batch: u64) -> Vec<Value> {
        let path = Path::new(CHECKPOINT).join(format!("dead-letters/{batch}.jsonl"));
        if !self.sim.exists(&path) {
            return Vec::new();
        }
        read_text(&self.sim, &path).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }
}

fn uri(name: &str) -> String {
    format!("file://{INPUT}/{name}")
}

fn permissive() -> SourceOptions {
    SourceOptions::default()
}

fn failfast() -> SourceOptions {
    SourceOptions { mode: BadRecordMode::Failfast, ..SourceOptions::default() }
}

#[test]
fn malformed_line_in_permissive_mode_goes_to_the_dead_letter_file_and_good_lines_still_run() {
    // Goal: permissive mode (the default) keeps the good lines and writes each bad one to
    // `<checkpoint>/dead-letters/<batch>.jsonl` with file, line and reason. Method: one file
    // with a malformed line between good ones; read the table and the dead-letter file.
    let world = World::new();
    let text = format!("{}\n{{\"eventId\": \"e2\", \"data\": \n{}\n", good(1), good(3));
    world.drop_bytes("a.json", text.as_bytes(), 0);
    let run = world.run(permissive()).ok();
    assert_eq!(run.committed(), vec![0]);
    assert_eq!(triples(&world.rows()), expected(&[("e1", "d1", 1.5), ("e3", "d3", 3.5)]));
    let dead = world.dead_letters(0);
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0]["file"], json!(uri("a.json")));
    assert_eq!(dead[0]["line"], json!(2));
    assert!(dead[0]["reason"].as_str().unwrap().contains("malformed JSON"), "{}", dead[0]);
    assert_eq!(dead[0]["text"], json!("{\"eventId\": \"e2\", \"data\": "));
    let reported = run.events.iter().any(|e| {
        matches!(e, Event::BadRecords { id: 0, count: 1, dead_letter, first } if dead_letter.ends_with("dead-letters/0.jsonl") && first.starts_with("file:///in/a.json:2: malformed JSON"))
    });
    assert!(reported, "the bad line is counted in the trace:\n{}", run.trace());
}

#[test]
fn malformed_line_in_failfast_mode_stops_with_file_and_line() {
    // Goal: failfast stops the query at the first bad line, naming file:line, and commits
    // nothing, so that the batch re-runs once the input is fixed. Method: as above in failfast
    // mode, then fix the file and run again.
    let world = World::new();
    let text = format!("{}\n{}\nnot json\n", good(1), good(2));
    world.drop_bytes("a.json", text.as_bytes(), 0);
    let err = world.run(failfast()).err();
    let EngineError::BadRecord { file, line, reason } = &err else { panic!("expected BadRecord, got {err:?}") };
    assert_eq!((file.as_str(), *line), (uri("a.json").as_str(), 3));
    assert!(reason.contains("malformed JSON"), "{reason}");
    assert!(err.to_string().starts_with(&format!("{}:3: malformed JSON", uri("a.json"))), "{err}");
    assert!(err.to_string().contains("use permissive"), "{err}");
    assert_eq!(world.rows(), Vec::<Vec<Value>>::new(), "the sink got nothing");
    assert!(world.dead_letters(0).is_empty());

    world.drop_bytes("a.json", format!("{}\n{}\n", good(1), good(2)).as_bytes(), 0);
    let run = world.run(failfast()).ok();
    assert_eq!(run.resume(), Some(Resume::Rerun { batch: 0 }));
    assert_eq!(triples(&world.rows()), expected(&[("e1", "d1", 1.5), ("e2", "d2", 2.5)]));
}

#[test]
fn missing_fields_become_null() {
    // Goal: a record without a selected field gives null in that column, as Spark does, and is
    // not a bad record; a whole number read as a DOUBLE is a double (1 is 1.0, as Spark reads
    // it). Method: records missing eventId, deviceId and temperature in turn.
    let world = World::new();
    let text = "{\"data\": {\"devices\": [{\"deviceId\": \"d1\", \"temperature\": 1}]}}\n\
                {\"eventId\": \"e2\", \"data\": {\"devices\": [{\"temperature\": 2}]}}\n\
                {\"eventId\": \"e3\", \"data\": {\"devices\": [{\"deviceId\": \"d3\"}]}}\n\
                {\"eventId\": \"e4\"}\n";
    world.drop_bytes("a.json", text.as_bytes(), 0);
    world.run(permissive()).ok();
    assert_eq!(
        world.rows(),
        vec![
            vec![Value::Null, json!("d1"), json!(1.0)],
            vec![json!("e2"), Value::Null, json!(2.0)],
            vec![json!("e3"), json!("d3"), Value::Null],
        ]
    );
    assert!(world.dead_letters(0).is_empty(), "a missing array gives no row and is not bad");
}

#[test]
fn non_array_devices_is_null_so_no_row_and_the_run_says_so() {
    // Goal: `data.devices` that is not an array does not fit the schema: Spark reads it as
    // NULL, and explode gives no row; the record is no dead letter (Spark keeps it), but the
    // run says which values it read as NULL, file, line and path, never silently. Method: a
    // string, a number and an object in `data.devices`.
    let world = World::new();
    let text = format!(
        "{}\n{{\"eventId\": \"x\", \"data\": {{\"devices\": \"d1\"}}}}\n{{\"data\": {{\"devices\": 7}}}}\n\
         {{\"data\": {{\"devices\": {{\"deviceId\": \"d9\"}}}}}}\n",
        good(1)
    );
    world.drop_bytes("a.json", text.as_bytes(), 0);
    let run = world.run(permissive()).ok();
    assert_eq!(triples(&world.rows()), expected(&[("e1", "d1", 1.5)]));
    assert!(world.dead_letters(0).is_empty(), "a NULL is no bad line");
    let told: Vec<(usize, String)> = run
        .events
        .iter()
        .filter_map(|e| match e {
            Event::ReadAsNull { id: 0, count, first } => Some((*count, first.clone())),
            _ => None,
        })
        .collect();
    let first = format!("{}:2: data.devices: the string \"d1\" is not an ARRAY<STRUCT<", uri("a.json"));
    assert_eq!(told.len(), 1, "{}", run.trace());
    assert_eq!(told[0].0, 3);
    assert!(told[0].1.starts_with(&first), "{}", told[0].1);
}

#[test]
fn values_of_the_wrong_type_are_null_and_the_rest_of_the_record_is_kept() {
    // Goal: Spark's reading with the tutorial's schema (spark/FINDINGS.md Q4): "hot" and "30"
    // for the DOUBLE temperature are NULL with eventId and deviceId kept; 30 is 30.0; NaN and
    // the infinities are doubles (kept as Spark writes them, "NaN"); a number where a STRING is
    // expected is its text; in failfast mode a value that does not fit stops the query with its
    // file, line and path. Method: one line each, the rows in order; then failfast.
    let world = World::new();
    let lines = [
        r#"{"eventId": "hot", "data": {"devices": [{"deviceId": "d", "temperature": "hot"}]}}"#,
        r#"{"eventId": "str30", "data": {"devices": [{"deviceId": "d", "temperature": "30"}]}}"#,
        r#"{"eventId": "int30", "data": {"devices": [{"deviceId": "d", "temperature": 30}]}}"#,
        r#"{"eventId": "nan", "data": {"devices": [{"deviceId": "d", "temperature": NaN}]}}"#,
        r#"{"eventId": "inf", "data": {"devices": [{"deviceId": "d", "temperature": "-Infinity"}]}}"#,
        r#"{"eventId": 42, "data": {"devices": [{"deviceId": 7, "temperature": 1e400}]}}"#,
    ];
    world.drop_bytes("a.json", (lines.join("\n") + "\n").as_bytes(), 0);
    world.run(permissive()).ok();
    let rows = world.rows();
    let expected = [
        json!(["hot", "d", null]),
        json!(["str30", "d", null]),
        json!(["int30", "d", 30.0]),
        json!(["nan", "d", "NaN"]),
        json!(["inf", "d", "-Infinity"]),
        json!(["42", "7", "Infinity"]),
    ];
    assert_eq!(rows.iter().map(|r| Value::Array(r.clone())).collect::<Vec<_>>(), expected);
    assert!(rows[2][2].is_f64(), "30 is the double 30.0");
    assert!(world.dead_letters(0).is_empty());

    // Spark's FAILFAST stops at a value it cannot convert (FINDINGS Q16): so does failfast here.
    let strict = World::new();
    strict.drop_bytes("a.json", (lines[2..].join("\n") + "\n" + lines[0]).as_bytes(), 0);
    let err = strict.run(failfast()).err().to_string();
    let expected = format!("{}:5: data.devices[0].temperature: the string \"hot\" is not a DOUBLE", uri("a.json"));
    assert!(err.contains(&expected), "{err}");
    assert!(strict.rows().is_empty(), "the batch failed as a whole");
}

#[test]
fn empty_and_blank_files_give_no_rows_and_no_error() {
    // Goal: an empty file, or one of blank lines, is a file with no records: its batch
    // commits with no rows and no dead letters, and the file is not taken again. Method: run
    // on two such files, then run again.
    let world = World::new();
    world.drop_bytes("empty.json", b"", 0);
    world.drop_bytes("blank.json", b"\n   \n\r\n", 1);
    let run = world.run(permissive()).ok();
    assert_eq!(run.planned(), vec![(0, vec!["empty.json".to_string(), "blank.json".to_string()])]);
    assert_eq!(run.committed(), vec![0]);
    assert!(run.events.contains(&Event::SinkWrote { id: 0, rows: 0 }), "{}", run.trace());
    assert!(world.dead_letters(0).is_empty());
    assert_eq!(world.run(permissive()).ok().planned(), vec![]);
}

#[test]
fn non_utf8_line_is_a_bad_record() {
    // Goal: a line that is not UTF-8 is a dead letter (shown lossily), and the lines around it
    // are read. Method: a Latin-1 byte inside a good-looking line.
    let world = World::new();
    let mut bytes = format!("{}\n", good(1)).into_bytes();
    bytes.extend_from_slice(b"{\"eventId\": \"caf\xe9\", \"data\": {\"devices\": []}}\n");
    bytes.extend_from_slice(format!("{}\n", good(3)).as_bytes());
    world.drop_bytes("latin1.json", &bytes, 0);
    world.run(permissive()).ok();
    assert_eq!(triples(&world.rows()), expected(&[("e1", "d1", 1.5), ("e3", "d3", 3.5)]));
    let dead = world.dead_letters(0);
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0]["line"], json!(2));
    assert!(dead[0]["reason"].as_str().unwrap().contains("not UTF-8"), "{}", dead[0]);
    assert!(dead[0]["text"].as_str().unwrap().contains("caf\u{fffd}"), "{}", dead[0]);
}

#[test]
fn whole_file_json_format_reads_objects_arrays_and_reports_bad_files() {
    // Goal: with the whole-file format a pretty-printed object is one record, an array gives
    // one record per object, and a malformed file or an array with a non-object element is a
    // dead letter at line 1, the whole file (Spark makes it one NULL record, FINDINGS Q6).
    // Method: four files in one batch.
    let world = World::new();
    let pretty = format!("{:#}", serde_json::from_str::<Value>(&good(1)).unwrap());
    assert!(pretty.lines().count() > 5, "really pretty-printed");
    world.drop_bytes("pretty.json", pretty.as_bytes(), 0);
    world.drop_bytes("array.json", format!("[{}, {}]", good(2), good(3)).as_bytes(), 1);
    world.drop_bytes("mixed.json", format!("[{}, 42]", good(4)).as_bytes(), 2);
    world.drop_bytes("broken.json", b"{\"eventId\": \"e4\",\n \"data\": ", 3);
    let whole = SourceOptions { format: InputFormat::WholeFile, ..SourceOptions::default() };
    world.run(whole).ok();
    assert_eq!(triples(&world.rows()), expected(&[("e1", "d1", 1.5), ("e2", "d2", 2.5), ("e3", "d3", 3.5)]));
    let dead = world.dead_letters(0);
    let summary: Vec<(String, i64)> =
        dead.iter().map(|d| (base_name(d["file"].as_str().unwrap()), d["line"].as_i64().unwrap())).collect();
    assert_eq!(summary, [("mixed.json".to_string(), 1), ("broken.json".to_string(), 1)]);
    assert!(dead[0]["reason"].as_str().unwrap().contains("holds the number 42, not an object"), "{}", dead[0]);
    assert!(dead[1]["reason"].as_str().unwrap().contains("malformed JSON"), "{}", dead[1]);
}

#[test]
fn unreadable_input_file_is_an_error_naming_the_file_the_batch_and_the_way_out_and_its_batch_reruns_later() {
    // Goal: an input file that is listed but cannot be read stops the query with an error
    // naming it; nothing is committed, so once it is readable the batch re-runs with it.
    // Method: a storage wrapper that refuses to read one path, then allows it.
    let world = World::new();
    world.drop_bytes("a.json", format!("{}\n", good(1)).as_bytes(), 0);
    world.drop_bytes("locked.json", format!("{}\n", good(2)).as_bytes(), 1);
    let locked = Path::new(INPUT).join("locked.json");
    let broken = Arc::new(AtomicBool::new(true));
    let disk = HookedDisk::new(world.sim.clone(), {
        let (broken, locked) = (broken.clone(), locked.clone());
        move |path| match path == locked && broken.load(Ordering::SeqCst) {
            true => Err(io::Error::new(io::ErrorKind::PermissionDenied, "permission denied")),
            false => Ok(()),
        }
    });
    let go = || run(&disk, query(Path::new(INPUT), Path::new(CHECKPOINT), permissive()), world.sink());
    let err = go().err();
    let EngineError::PlannedInput { path, batch: 0, .. } = &err else { panic!("expected PlannedInput, got {err:?}") };
    assert_eq!(path, &locked);
    let message = err.to_string();
    assert!(
        message.contains("batch 0 cannot run: its input file /in/locked.json cannot be read: permission denied"),
        "{err}"
    );
    assert!(message.contains("put the file back and restart, or run `crashpoint doctor /cp`"), "{err}");
    assert_eq!(world.rows(), Vec::<Vec<Value>>::new());

    broken.store(false, Ordering::SeqCst);
    let run = go().ok();
    assert_eq!(run.resume(), Some(Resume::Rerun { batch: 0 }));
    assert_eq!(triples(&world.rows()), expected(&[("e1", "d1", 1.5), ("e2", "d2", 2.5)]));
}

#[test]
fn directory_named_like_a_json_file_is_skipped() {
    // Goal: a directory in the input directory, even one named `x.json`, is not an input file
    // and causes no error. Method: on a real disk, a directory `sub.json` beside a file.
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().canonicalize().unwrap();
    let input = root.join("input");
    std::fs::create_dir_all(input.join("sub.json")).unwrap();
    std::fs::write(input.join("sub.json/inner.json"), good(9)).unwrap();
    drop_file(&DiskStorage, &input, "a.json", &good(1), FIRST_MTIME_MS);
    let store = MemoryStore::default();
    let sink = Box::new(MemorySink::new(store.clone()));
    let run = run(&DiskStorage, query(&input, &root.join("checkpoint"), permissive()), sink).ok();
    assert_eq!(run.planned(), vec![(0, vec!["a.json".to_string()])]);
    let rows: Vec<_> = store.lock().unwrap().values().flatten().cloned().collect();
    assert_eq!(triples(&rows), expected(&[("e1", "d1", 1.5)]));
}

#[test]
fn nothing_is_lost_good_rows_plus_bad_lines_equal_lines() {
    // Goal: across batches, crashes and re-runs, every non-blank input line is either a row or
    // one dead letter, never both, never neither. Method: five files of mixed lines (each good
    // line gives one row), one file per batch, a crash after the sink in batch 2, a restart;
    // then count.
    let world = World::new();
    let bad_lines = ["{oops", "[1, 2]", "\"just a string\"", "{\"data\": {\"devices\": []},}"];
    let mut lines_total = 0;
    for file in 0..5u32 {
        let mut text = String::new();
        for line in 0..(3 + file) {
            let n = file * 100 + line;
            if (file + line) % 3 == 0 {
                text.push_str(bad_lines[(n % 4) as usize]);
            } else {
                text.push_str(&good(n));
            }
            text.push('\n');
            lines_total += 1;
        }
        text.push('\n');
        world.drop_bytes(&format!("f{file}.json"), text.as_bytes(), i64::from(file));
    }
    let crash = FaultPlan::crash_at(CrashPoint::AfterSinkWrite, 3);
    assert!(world.run_with(max_files(1), crash).err().crash().is_some());
    let run = world.run(max_files(1)).ok();
    assert_eq!(run.resume(), Some(Resume::Rerun { batch: 2 }));
    let rows = world.rows().len();
    let dead: usize = (0..5).map(|batch| world.dead_letters(batch).len()).sum();
    assert!(rows > 0 && dead > 0, "rows {rows}, dead letters {dead}");
    assert_eq!(rows + dead, lines_total, "rows {rows} + dead letters {dead} must be every line");
    let mut seen: Vec<(String, i64)> = (0..5)
        .flat_map(|b| world.dead_letters(b))
        .map(|d| (d["file"].as_str().unwrap().to_string(), d["line"].as_i64().unwrap()))
        .collect();
    let count = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), count, "no bad line is written twice, even after the re-run");
}
