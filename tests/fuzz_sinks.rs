//! `fuzz --sink` and `--sink-command`: generated workloads and crash schedules against a sink the
//! user names (SQLite, their own program). The naive sinks must be caught with a reproducer that
//! names the sink and replays; the idempotent ones must pass.

use crashpoint_harness::explore::{FuzzOptions, fuzz, still_fails};
use crashpoint_harness::scenario::SinkSpec;
use std::process::Command;

fn fuzz_into(sink: &str, cases: u32) -> crashpoint_harness::explore::FuzzOutcome {
    let sink = Some(SinkSpec::from_name(sink).unwrap());
    fuzz(&FuzzOptions { cases, seed: 1, bugs: vec![], power_loss: true, sink, shrink: true })
}

#[test]
fn fuzz_catches_the_append_table_and_passes_the_idempotent_one() {
    let outcome = fuzz_into("sqlite-append", 40);
    let failure = outcome.failure.expect("the append table duplicates a re-run batch");
    assert!(failure.findings[0].contains("written twice"), "{:?}", failure.findings);
    assert!(failure.findings[0].contains("the table has no batch-id guard"), "{:?}", failure.findings);
    assert_eq!(failure.scenario.query.sink, SinkSpec::from_name("sqlite-append").unwrap());
    assert!(failure.scenario.steps.len() <= 6, "{} steps", failure.scenario.steps.len());
    assert!(still_fails(&failure.scenario), "the reproducer replays");

    let outcome = fuzz_into("sqlite-idempotent", 40);
    assert!(outcome.failure.is_none(), "{:?}", outcome.failure.map(|f| f.findings));
    assert_eq!(outcome.cases_passed, 40);
}

fn fuzz_cli(program: &str, cases: &str, out: &std::path::Path) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_crashpoint"))
        .args(["fuzz", "--seed", "1", "--cases", cases, "--power-loss", "--sink-command"])
        .arg(format!("python3 examples/sinks/{program}"))
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).to_string() + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

#[test]
fn fuzz_passes_the_users_idempotent_program() {
    let (passed, text) = fuzz_cli("idempotent.py", "2", &std::env::temp_dir());
    assert!(passed, "the idempotent program passes:\n{text}");
    assert!(text.contains("2 case(s) passed"), "{text}");
}

/// About 2 minutes in debug under load (shrinking runs the program hundreds of times): `.ci/run`
/// runs it with `--ignored`.
#[test]
#[ignore = "slow: shrinking a program sink's failure; .ci/run runs it"]
fn fuzz_catches_the_users_appending_program_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let (passed, text) = fuzz_cli("append.py", "20", dir.path());
    assert!(!passed, "the appending program is caught:\n{text}");
    assert!(text.contains("written twice"), "{text}");
    let reproducer = std::fs::read_to_string(dir.path().join("fuzz-seed-1.toml")).unwrap();
    assert!(reproducer.contains(r#"command = ["python3", "examples/sinks/append.py"]"#), "{reproducer}");
}

#[test]
fn a_sink_that_does_not_exist_is_refused_before_any_case() {
    let output = Command::new(env!("CARGO_BIN_EXE_crashpoint")).args(["fuzz", "--sink", "nope"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown sink 'nope'") && stderr.contains("--sink-command"), "{stderr}");
    assert!(output.stdout.is_empty(), "nothing ran");
}
