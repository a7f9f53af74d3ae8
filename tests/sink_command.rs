//! The user's program as the sink, over the line protocol: the harness tells a correct program
//! from one with a classic bug.
//!
//! Goal: `explore` proves the idempotent program (examples/sinks/idempotent.py) exactly-once,
//! catches the one that ignores the batch id (append.py) with a reproducer that names the
//! program, and catches the one that writes row by row (row_at_a_time.py) only when the
//! program is also killed in the middle of a batch (`--kill-sink`). Method: a small workload
//! (two files, two batches in one run; a process per run costs a program start), explored at
//! depth 1 with each program. Needs python3, as the Spark tests do.

use crashpoint_harness::explore::{ExploreOptions, ExploreOutcome, explore};
use crashpoint_harness::scenario::{Scenario, verify};
use std::path::Path;

fn workload(program: &str, kill_sink: bool) -> Scenario {
    let kill = if kill_sink { ", kill-sink = true" } else { "" };
    let text = format!(
        r#"
[query]
sink = {{ command = ["python3", "examples/sinks/{program}"]{kill} }}
plan = "tutorial"
source = {{ max-files-per-trigger = 1 }}

[[step]]
add = "a.json"
lines = ['{{"eventId": "e1", "data": {{"devices": [{{"deviceId": "d1", "temperature": 21.5}}, {{"deviceId": "d2", "temperature": 19.0}}]}}}}']

[[step]]
add = "b.json"
lines = ['{{"eventId": "e2", "data": {{"devices": [{{"deviceId": "d3", "temperature": 30.0}}]}}}}']

[[step]]
run = "available-now"
"#
    );
    // Paths in the command are relative to where crashpoint runs: the repository's root here.
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    Scenario::parse(Path::new(&format!("{program}.toml")), &text).unwrap_or_else(|e| panic!("{e}"))
}

fn explored(program: &str, kill_sink: bool) -> ExploreOutcome {
    let options = ExploreOptions { depth: 1, threads: 2, ..ExploreOptions::default() };
    let outcome = explore(&workload(program, kill_sink), &options, &|_, _| {});
    assert!(!outcome.crash_free, "{program}: {:?}", outcome.violations.first().map(|v| &v.findings));
    outcome
}

fn findings(outcome: &ExploreOutcome) -> Vec<String> {
    outcome.violations.iter().flat_map(|v| v.findings.clone()).collect()
}

#[test]
fn the_idempotent_program_is_exactly_once() {
    let outcome = explored("idempotent.py", true);
    assert!(outcome.schedules_run >= 10, "{}", outcome.schedules_run);
    assert!(findings(&outcome).is_empty(), "{:#?}", findings(&outcome));
    assert!(outcome.coverage.crashes_by_point.keys().any(|p| p.name() == "during-sink-write"), "killed mid-batch");
}

#[test]
fn the_program_that_ignores_the_batch_id_is_caught_and_its_reproducer_names_it() {
    let outcome = explored("append.py", false);
    let violation = outcome.violations.first().expect("append.py must be caught");
    let finding = &violation.findings[0];
    assert!(finding.contains("written twice") && finding.contains("was handed to the sink 2 times"), "{finding}");
    assert!(findings(&outcome).iter().any(|f| f.contains("after a crash at after-sink-write")));
    let reproducer = violation.reproducer.as_ref().expect("shrunk").to_toml();
    assert!(reproducer.contains("examples/sinks/append.py"), "{reproducer}");
    let replayed = verify(&Scenario::parse(Path::new("reproducer.toml"), &reproducer).unwrap());
    assert!(!replayed.verdict.passed, "the reproducer fails on its own");
}

#[test]
fn a_program_that_writes_row_by_row_is_caught_only_when_killed_mid_batch() {
    assert!(findings(&explored("row_at_a_time.py", false)).is_empty(), "correct between batches");
    let killed = findings(&explored("row_at_a_time.py", true));
    assert!(
        killed.iter().any(|f| f.contains("written twice") && f.contains("after a crash at during-sink-write")),
        "{killed:#?}"
    );
}

#[test]
fn a_program_that_cannot_start_or_answers_nonsense_is_a_clear_error() {
    let mut scenario = workload("idempotent.py", false);
    let text = scenario.to_toml().replace("examples/sinks/idempotent.py", "examples/sinks/no_such_sink.py");
    scenario = Scenario::parse(Path::new("missing.toml"), &text).unwrap();
    let report = verify(&scenario);
    let problems = report.execution.problems.join("\n");
    assert!(problems.contains("no_such_sink.py"), "{problems}");
    assert!(problems.contains("exited") && problems.contains("No such file"), "{problems}");
}
