//! The SQLite sink under exploration: a real SQLite database, idempotent by batch id or the
//! naive insert, crashed at every point of the tutorial's workload.
//!
//! Goal: the harness proves the idempotent table exactly-once and catches the naive one with a
//! reason a user understands. Method: the tutorial scenario with its sink switched to each
//! mode, explored (depth 2 for the proof, depth 1 is enough to catch the append); the
//! append's violation must name the duplicate, the re-run batch, the crash and the missing
//! guard, and its reproducer must replay.

use crashpoint_harness::explore::{ExploreOptions, explore};
use crashpoint_harness::scenario::{Scenario, SinkKind, verify};
use std::path::Path;

fn tutorial_into(kind: SinkKind) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/tutorial.toml");
    let mut scenario = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    scenario.query.sink = kind.into();
    scenario
}

fn options(depth: u32) -> ExploreOptions {
    ExploreOptions { depth, threads: 2, ..ExploreOptions::default() }
}

#[test]
fn the_idempotent_table_is_exactly_once_at_depth_2() {
    let outcome = explore(&tutorial_into(SinkKind::SqliteIdempotent), &options(2), &|_, _| {});
    assert!(!outcome.crash_free);
    assert!(outcome.schedules_run > 400, "depth 2 runs hundreds of schedules: {}", outcome.schedules_run);
    let findings: Vec<&String> = outcome.violations.iter().flat_map(|v| &v.findings).collect();
    assert!(findings.is_empty(), "{findings:#?}");
    // A crash inside the transaction and one after the commit were both tried.
    let points: Vec<&str> = outcome.coverage.crashes_by_point.keys().map(|p| p.name()).collect();
    assert!(points.contains(&"during-sink-write") && points.contains(&"after-sink-write"), "{points:?}");
}

#[test]
fn the_naive_insert_is_caught_with_the_reason() {
    let outcome = explore(&tutorial_into(SinkKind::SqliteAppend), &options(1), &|_, _| {});
    let first = outcome.violations.first().expect("the append mode must be caught");
    let finding = &first.findings[0];
    for part in [" written ", "was handed to the sink 2 times", "after a crash at", "the table has no batch-id guard"] {
        assert!(finding.contains(part), "{part:?} missing from: {finding}");
    }
    let caught_after_sink = outcome.violations.iter().any(|v| {
        v.findings.iter().any(|f| f.contains("written twice") && f.contains("after a crash at after-sink-write"))
    });
    assert!(caught_after_sink, "a crash after the sink's commit re-runs the batch into the table");
    // The reproducer is a scenario file of a few steps that fails on its own.
    let reproducer = first.reproducer.as_ref().expect("shrunk");
    let replayed = verify(&Scenario::parse(Path::new("reproducer.toml"), &reproducer.to_toml()).unwrap());
    assert!(!replayed.verdict.passed, "{:?}", replayed.verdict);
    assert!(reproducer.to_toml().contains("sink = \"sqlite-append\""));
}

#[test]
fn a_crash_inside_the_transaction_loses_nothing_and_writes_nothing_twice() {
    // Goal: the rollback is real: the crash at during-sink-write leaves the batch out of the
    // table, and the re-run writes it once, in both modes. Method: one scripted crash there.
    for kind in [SinkKind::SqliteIdempotent, SinkKind::SqliteAppend] {
        let mut scenario = tutorial_into(kind);
        let text = scenario.to_toml().replacen(
            "[[step]]\nrun = \"available-now\"\n",
            "[[step]]\nrun = \"available-now\"\ncrash = \"during-sink-write\"\n\n[[step]]\nrestart = true\n",
            1,
        );
        scenario = Scenario::parse(Path::new("crash_in_transaction.toml"), &text).unwrap();
        let report = verify(&scenario);
        assert!(report.execution.trace.iter().any(|l| l.contains("CRASH: crashed at during-sink-write")));
        assert!(report.verdict.passed, "{kind:?}: {:?}", report.verdict.findings);
        // The oracle's count: 6 rows, and 7 for the append, which takes the user's re-run of
        // batch 1 (the deleted commits/1) again.
        assert_eq!(report.execution.output.len(), report.oracle_rows, "{kind:?}");
        assert_eq!(report.oracle_rows, if kind == SinkKind::SqliteAppend { 7 } else { 6 });
    }
}
