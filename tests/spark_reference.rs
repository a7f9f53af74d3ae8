//! Checkpoints written by Spark 4.3 itself (`tests/fixtures/spark-reference`, copied from Spark 4.3's own output): crashpoint reads every
//! one, and resumes Spark's `three_files` query where Spark left it.

// The engine's test helpers, shared with the end-to-end tests here.
#[path = "../crates/engine/tests/common/mod.rs"]
mod common;

use common::*;
use crashpoint_engine::engine::Resume;
use crashpoint_engine::plan::Plan;
use crashpoint_engine::sink::{FileSink, read_file_sink_output};
use crashpoint_engine::source::SourceOptions;
use crashpoint_engine::storage::{DiskStorage, Storage};
use crashpoint_harness::report::inspect;
use std::path::{Path, PathBuf};
use std::process::Command;

const REFERENCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/spark-reference");

/// Each reference checkpoint, its query id, and the input files of each batch.
const CHECKPOINTS: &[(&str, &str, &[&[&str]])] = &[
    ("seed_console/snap1_after_first", "9a061dd7-4851-4673-8c92-41865399731b", &[&["device_01.json"]]),
    ("seed_console/snap2_after_redrop", "9a061dd7-4851-4673-8c92-41865399731b", &[&["device_01.json"]]),
    (
        "seed_console/snap3_after_second",
        "9a061dd7-4851-4673-8c92-41865399731b",
        &[&["device_01.json"], &["device_02.json"]],
    ),
    (
        "seed_console/snap4_after_recover",
        "9a061dd7-4851-4673-8c92-41865399731b",
        &[&["device_01.json"], &["device_02.json"]],
    ),
    (
        "seed_console/snap5_after_rename",
        "9a061dd7-4851-4673-8c92-41865399731b",
        &[&["device_01.json"], &["device_02.json"], &["device_01_v2.json"]],
    ),
    ("seed_filesink/snap1", "b687fa36-3246-4380-8534-be0cdad61131", &[&["device_02.json"], &["device_01.json"]]),
    ("seed_filesink/snap2", "b687fa36-3246-4380-8534-be0cdad61131", &[&["device_02.json"], &["device_01.json"]]),
    (
        "three_files/checkpoint",
        "a084e67d-95e7-4511-8a18-643564beb5a2",
        &[&["device_01.json"], &["device_02.json"], &["device_03.json"]],
    ),
    (
        "three_files/states/after_run/checkpoint",
        "a084e67d-95e7-4511-8a18-643564beb5a2",
        &[&["device_01.json"], &["device_02.json"], &["device_03.json"]],
    ),
];

#[test]
fn inspect_reads_every_spark_reference_checkpoint_without_oddities() {
    // Goal: every checkpoint Spark wrote is read in full: query id, each batch committed with
    // its offsets, timestamp and files, and nothing odd (Spark's `.crc` files are expected and
    // not odd). Method: table of the reference checkpoints, compared field by field.
    for (dir, query_id, batches) in CHECKPOINTS {
        let root = Path::new(REFERENCE).join(dir);
        let inspection = inspect(&DiskStorage, &root, None).unwrap();
        assert_eq!(inspection.query_id.as_deref(), Ok(*query_id), "{dir}");
        assert_eq!(inspection.oddities, Vec::<String>::new(), "{dir}:\n{inspection}");
        assert_eq!(inspection.next_run, Ok(Resume::Continue { next: batches.len() as u64 }), "{dir}");
        assert_eq!(inspection.batches.len(), batches.len(), "{dir}");
        for (id, (view, files)) in inspection.batches.iter().zip(batches.iter()).enumerate() {
            assert_eq!(view.id, id as u64, "{dir}");
            assert!(view.has_offsets && view.committed, "{dir} batch {id}");
            assert_eq!(view.log_offset, Some(id as u64), "{dir} batch {id}");
            assert!(view.timestamp_ms.is_some_and(|t| t > 1_700_000_000_000), "{dir} batch {id}");
            assert_eq!(view.fingerprint, None, "Spark writes no plan fingerprint");
            let names: Vec<String> = view.files.iter().map(|f| base_name(&f.path)).collect();
            assert_eq!(names, *files, "{dir} batch {id}");
            let case = dir.split('/').next().unwrap();
            assert!(view.files.iter().all(|f| f.path.starts_with(&format!("file:///data/{case}/input/"))));
        }
    }
}

#[test]
fn inspect_command_shows_the_query_id_and_the_files_per_batch() {
    // Goal: `crashpoint inspect` prints what a user needs about a Spark checkpoint and exits 0.
    // Method: run the binary on every reference checkpoint and look for each batch's files.
    for (dir, query_id, batches) in CHECKPOINTS {
        let output = Command::new(env!("CARGO_BIN_EXE_crashpoint"))
            .arg("inspect")
            .arg(Path::new(REFERENCE).join(dir))
            .output()
            .unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert!(output.status.success(), "{dir}: {}", String::from_utf8_lossy(&output.stderr));
        assert!(stdout.contains(&format!("query id:   {query_id}")), "{stdout}");
        assert!(stdout.contains("oddities:   none"), "{stdout}");
        let next = batches.len();
        assert!(stdout.contains(&format!("continue at batch {next}")), "{stdout}");
        for (id, files) in batches.iter().enumerate() {
            let batch_line = format!("batch {id}: committed");
            let at = stdout.find(&batch_line).unwrap_or_else(|| panic!("{dir}: no '{batch_line}' in\n{stdout}"));
            let section = &stdout[at..];
            let section = &section[..section.find("\n  batch ").unwrap_or(section.len())];
            for file in *files {
                assert!(section.contains(&format!("/input/{file} (mtime ")), "{dir}: {file} not in\n{section}");
            }
        }
    }
}

/// Copies a directory tree, rewriting `from` to `to` in every file (paths in Spark's logs are
/// absolute). Contents are copied, not permissions: the reference files are read-only.
fn copy_rewriting(src: &Path, dst: &Path, from: &str, to: &str) {
    std::fs::create_dir_all(dst).unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let target = dst.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_rewriting(&entry.path(), &target, from, to);
        } else {
            let bytes = std::fs::read(entry.path()).unwrap();
            let bytes = match String::from_utf8(bytes) {
                Ok(text) => text.replace(from, to).into_bytes(),
                Err(e) => e.into_bytes(),
            };
            if bytes != std::fs::read(entry.path()).unwrap() {
                // Spark's checksum of a file changed here is stale: leave it out, as Spark would
                // have written a new one (doctor reports a stale one).
                let crc = target.with_file_name(format!(".{}.crc", entry.file_name().to_string_lossy()));
                let _ = std::fs::remove_file(crc);
            }
            std::fs::write(&target, bytes).unwrap();
        }
    }
}

/// A reference case copied into a temp dir, its `/data/<case>/` prefix rewritten: the temp dir
/// (kept alive) and its input, checkpoint and output directories.
fn copy_case(name: &str) -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().canonicalize().unwrap();
    let prefix = format!("{}/", root.display());
    let case = Path::new(REFERENCE).join(name);
    for dir in ["checkpoint", "input", "output"] {
        copy_rewriting(&case.join(dir), &root.join(dir), &format!("/data/{name}/"), &prefix);
    }
    (temp, root.join("input"), root.join("checkpoint"), root.join("output"))
}

/// What a reader of the file sink in `output` sees, as sorted tutorial triples.
fn reader_triples(output: &Path) -> Vec<(String, String, String)> {
    let schema = Plan::tutorial_without_time().compile().unwrap().schema().to_vec();
    triples(&read_file_sink_output(&DiskStorage, output, &schema, true).unwrap())
}

fn part_file_count(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with("part-"))
        .count()
}

#[test]
fn resume_from_sparks_three_files_checkpoint_processes_only_the_new_file() {
    // Goal: crashpoint continues a query that Spark 4.3 ran: a new file lands in batch 3 alone,
    // batches 0-2 are not re-run, Spark's log files are left as they were, and a reader of the
    // file sink sees Spark's rows plus the new rows, each once. Method: copy Spark's checkpoint,
    // input and output into a temp dir, rewrite the `/data/three_files/` prefix in the logs,
    // give the inputs the modification times Spark recorded, add device_04, run the file sink.
    let (_temp, input, checkpoint, output) = copy_case("three_files");
    let spark_logs: Vec<(PathBuf, Vec<u8>)> = ["offsets/0", "offsets/2", "commits/2", "sources/0/2", "metadata"]
        .iter()
        .map(|f| (checkpoint.join(f), std::fs::read(checkpoint.join(f)).unwrap()))
        .collect();
    for (n, name) in ["device_01.json", "device_02.json", "device_03.json"].iter().enumerate() {
        DiskStorage.set_mtime(&input.join(name), 1_790_000_000_000 + n as i64 * 10_000).unwrap();
    }
    let device_04 = r#"{"eventId": "e5", "data": {"devices": [{"deviceId": "d4", "temperature": 17.5}, {"deviceId": "d5", "temperature": 18.0}]}}"#;
    drop_file(&DiskStorage, &input, "device_04.json", device_04, 1_790_000_030_000);

    let file_sink = || Box::new(FileSink::new(&output, 0));
    let run = run(&DiskStorage, query(&input, &checkpoint, max_files(1)), file_sink()).ok();
    assert_eq!(run.resume(), Some(Resume::Continue { next: 3 }), "{}", run.trace());
    assert_eq!(run.planned(), vec![(3, vec!["device_04.json".to_string()])], "{}", run.trace());
    assert_eq!(run.committed(), vec![3]);
    let warnings = run.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("offsets/2 records no plan fingerprint"), "{}", warnings[0]);

    for (path, bytes) in &spark_logs {
        assert_eq!(&std::fs::read(path).unwrap(), bytes, "{} was changed", path.display());
    }
    let sources = read_text(&DiskStorage, &checkpoint.join("sources/0/3"));
    let uri = format!("file://{}", input.join("device_04.json").display());
    assert_eq!(sources, format!("v1\n{{\"path\":\"{uri}\",\"timestamp\":1790000030000,\"batchId\":3}}"));
    assert!(read_text(&DiskStorage, &checkpoint.join("offsets/3")).ends_with("\n{\"logOffset\":3}"));
    assert_eq!(log_files(&DiskStorage, &output.join("_spark_metadata")), ["0", "1", "2", "3"]);
    assert_eq!(part_file_count(&output), 4, "one new part file");

    assert_eq!(
        reader_triples(&output),
        expected(&[
            ("e1", "d1", 21.5),
            ("e1", "d2", 19.0),
            ("e2", "d3", 30.0),
            ("e4", "d1", 22.0),
            ("e5", "d4", 17.5),
            ("e5", "d5", 18.0),
        ])
    );

    // A second restart finds nothing new, and now checks the plan against offsets/3.
    let again = common::run(&DiskStorage, query(&input, &checkpoint, max_files(1)), file_sink()).ok();
    assert_eq!(again.resume(), Some(Resume::Continue { next: 4 }));
    assert_eq!(again.planned(), vec![]);
    assert_eq!(again.warnings(), Vec::<String>::new());
    let inspection = inspect(&DiskStorage, &checkpoint, None).unwrap();
    assert_eq!(inspection.oddities, Vec::<String>::new(), "{inspection}");
    assert_eq!(inspection.query_id.as_deref(), Ok("a084e67d-95e7-4511-8a18-643564beb5a2"));
}

#[test]
fn a_spark_checkpoint_whose_log_offset_runs_ahead_resumes_without_duplicates() {
    // Goal: Spark's own checkpoint with `logOffset` ≠ batch id (Q1 variant B: offsets 0, 2, 3)
    // is read in Spark's terms and resumed exactly once: `inspect` shows each batch's
    // source-log range, and a new file becomes batch 3 = `sources/0/4`, `logOffset` 4, read
    // once. Method: copy the fixture into a temp dir, rewrite its prefix, give the inputs the
    // recorded modification times, inspect, add f5, run the file sink, read it back.
    let (_temp, input, checkpoint, output) = copy_case("log_offset_shift");
    for n in 1..=4 {
        DiskStorage.set_mtime(&input.join(format!("f{n}.json")), 1_700_000_000_000 + (n - 1) * 1000).unwrap();
    }
    let inspection = inspect(&DiskStorage, &checkpoint, None).unwrap();
    assert_eq!(inspection.oddities, Vec::<String>::new(), "{inspection}");
    let offsets: Vec<Option<u64>> = inspection.batches.iter().map(|b| b.log_offset).collect();
    assert_eq!(offsets, [Some(0), Some(2), Some(3)]);
    let files: Vec<Vec<String>> =
        inspection.batches.iter().map(|b| b.files.iter().map(|f| base_name(&f.path)).collect()).collect();
    assert_eq!(files, [vec!["f1.json"], vec!["f2.json", "f3.json"], vec!["f4.json"]]);
    assert!(inspection.to_string().contains("logOffset 2 (sources/0/1..2)"), "{inspection}");
    assert!(inspection.unplanned.is_empty());

    let f5 = r#"{"eventId": "e6", "data": {"devices": [{"deviceId": "d6", "temperature": 27.0}]}}"#;
    drop_file(&DiskStorage, &input, "f5.json", f5, 1_700_000_004_000);
    let run =
        run(&DiskStorage, query(&input, &checkpoint, SourceOptions::default()), Box::new(FileSink::new(&output, 0)))
            .ok();
    assert_eq!(run.resume(), Some(Resume::Continue { next: 3 }), "{}", run.trace());
    assert_eq!(run.planned(), vec![(3, vec!["f5.json".to_string()])], "{}", run.trace());
    let uri = format!("file://{}", input.join("f5.json").display());
    let sources = read_text(&DiskStorage, &checkpoint.join("sources/0/4"));
    assert_eq!(sources, format!("v1\n{{\"path\":\"{uri}\",\"timestamp\":1700000004000,\"batchId\":4}}"));
    assert!(read_text(&DiskStorage, &checkpoint.join("offsets/3")).ends_with("\n{\"logOffset\":4}"));
    assert_eq!(
        reader_triples(&output),
        expected(&[
            ("e1", "d1", 21.5),
            ("e1", "d2", 19.0),
            ("e2", "d3", 30.0),
            ("e4", "d4", 25.0),
            ("e5", "d5", 26.0),
            ("e6", "d6", 27.0),
        ])
    );
}
