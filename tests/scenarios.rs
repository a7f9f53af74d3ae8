//! Every scenario under `scenarios/` against its snapshot under `snapshots/`.
//!
//! Goal: a behaviour change in the engine, the checker or a scenario shows up as a readable
//! snapshot diff, and a new scenario file is picked up with no code change. Method: list the
//! folder, verify each scenario (its expectations must hold), and compare the rendering with
//! insta, so that `cargo insta review` works on the same files `crashpoint run` uses.

use crashpoint_harness::scenario::{Scenario, snapshot_name, verify};
use std::path::{Path, PathBuf};

fn scenario_files() -> Vec<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let files = crashpoint_harness::scenario::scenario_files(&[folder]).expect("scenarios/ is readable");
    assert!(files.len() >= 20, "the tutorial and crash scenarios ship with the project");
    files
}

#[test]
fn every_scenario_meets_its_expectations_and_matches_its_snapshot() {
    let mut failed = Vec::new();
    for path in scenario_files() {
        let scenario = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let report = verify(&scenario);
        if !report.passed() {
            failed.push(format!("{}: {:?}", path.display(), report.failures));
        }
        let rendered = report.render();
        let relative = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(&path).to_path_buf();
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_input_file(&relative);
        settings.bind(|| insta::assert_snapshot!(snapshot_name(&relative), rendered));
    }
    assert!(failed.is_empty(), "scenarios whose expectations failed:\n{}", failed.join("\n"));
}

#[test]
fn every_scenario_renders_byte_for_byte_the_same_twice() {
    // Goal: determinism. Method: verify each scenario twice from scratch and compare renderings.
    for path in scenario_files() {
        let scenario = Scenario::load(&path).unwrap();
        let first = verify(&scenario).render();
        let second = verify(&scenario).render();
        assert_eq!(first, second, "{} is not deterministic", path.display());
    }
}

#[test]
fn the_broken_file_sink_is_caught_and_explained() {
    // Goal: prove the checker catches the bug it exists for. Method: the same crash scenario with
    // and without the seeded bug "file-sink-ignores-log"; only the bug must fail, with the reason.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bugs/file_sink_ignores_log.toml");
    let broken = Scenario::load(&path).unwrap();
    let report = verify(&broken);
    assert!(!report.verdict.passed, "the broken sink must fail the exactly-once verdict");
    let finding = &report.verdict.findings[0];
    assert!(finding.contains("written twice"), "{finding}");
    assert!(finding.contains("after a crash at after-sink-write"), "{finding}");

    let mut fixed = broken.clone();
    fixed.query.bugs.clear();
    let report = verify(&fixed);
    assert!(report.verdict.passed && report.execution.violations.is_empty(), "{:?}", report.verdict.findings);
}
