//! What the user finds besides the rows, judged by the oracle in every run: the hits of each
//! crash point (README's table of crash points), and the file sink's part files, file by file.
//! Each test runs a shipped scenario on the correct engine (the oracle must agree) and then
//! hands the judge a wrong output (one more hit, a part file's rows out of order) that it must
//! name.

use crashpoint_engine::faults::CrashPoint;
use crashpoint_harness::scenario::{Injection, Oracle, Scenario, Step, expected, judge, verify};
use std::path::Path;

fn shipped(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(name);
    Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// The shipped batch of three files into the file sink, with no crash: one run, three tasks.
fn three_part_files() -> Scenario {
    let mut scenario = shipped("crashes/during-sink-write_between_part_files.toml");
    scenario.steps.retain(|s| !matches!(s, Step::Run(run) if run.crash.is_some()));
    scenario
}

#[test]
fn a_batch_of_three_files_is_three_part_files_and_three_sink_write_hits() {
    // Goal: the model states the part files (Spark's tasks: here each file alone, longest first,
    // each file's rows in order) and the hits the README documents: during-sink-write between every two part files
    // and once after the last; during-log-write once per log file (metadata, sources/0/0,
    // offsets/0, _spark_metadata/0, commits/0). Method: the model of the shipped three-file
    // batch, then the engine's run judged by it.
    let scenario = three_part_files();
    let model = expected(&scenario).unwrap();
    let parts: Vec<(u32, usize)> = model.parts[0].parts.iter().map(|(k, rows)| (*k, rows.len())).collect();
    assert_eq!(
        parts,
        [(0, 1), (1, 2), (2, 1)],
        "device_02 (125 bytes): 1 row (e3 has no device); device_01: 2; device_03: 1"
    );
    let hits = &model.hits[0].hits;
    assert_eq!((hits[&CrashPoint::DuringSinkWrite], hits[&CrashPoint::DuringLogWrite]), (3, 5));
    let report = verify(&scenario);
    assert!(report.verdict.passed, "{:?}", report.verdict.findings);
    assert_eq!(report.execution.processes[0].hits, *hits, "the engine's counted hits");
}

#[test]
fn one_more_sink_write_hit_is_named() {
    // Goal: a run that hits during-sink-write once more than documented (after the last part
    // file and again before the sink log) is a finding, in every run up to the first fault.
    // Method: the engine's run of the three-file batch, its count raised by one, judged again.
    let scenario = three_part_files();
    let mut execution = verify(&scenario).execution;
    *execution.processes[0].hits.get_mut(&CrashPoint::DuringSinkWrite).unwrap() += 1;
    let report = judge(&scenario, &Injection::default(), execution, &Oracle::of(&scenario));
    let found = report.verdict.findings.join("\n");
    assert!(found.contains("run 1 hit during-sink-write 4 time(s) where the contract says 3"), "{found}");
}

#[test]
fn a_part_file_with_its_rows_out_of_order_is_named() {
    // Goal: the oracle reads the part files, not only the rows a reader sees: part-00001 with
    // its two rows swapped (same size, same rows as a set) is a finding. Method: the engine's
    // run, part-00001 (device_01's two rows) rewritten with its lines reversed, judged again.
    let scenario = three_part_files();
    let execution = verify(&scenario).execution;
    let output = execution.root.join("output");
    let disk = execution.disk.clone();
    let first = disk.list(&output).unwrap().into_iter().find(|e| e.name.starts_with("part-00001-")).unwrap();
    let text = String::from_utf8(disk.read(&first.path).unwrap()).unwrap();
    let swapped: String = text.lines().rev().map(|l| format!("{l}\n")).collect();
    assert_eq!(swapped.len(), text.len());
    disk.write(&first.path, swapped.as_bytes()).unwrap();
    let report = judge(&scenario, &Injection::default(), execution, &Oracle::of(&scenario));
    let found = report.verdict.findings.join("\n");
    assert!(found.contains("batch 0's part file part-00001-"), "{found}");
    assert!(found.contains("does not hold the rows the reference model puts there"), "{found}");
}
