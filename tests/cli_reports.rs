//! `crashpoint run`'s reports as CI reads them: text, JSON and JUnit, `.snap.new` files for
//! `cargo insta review`, and snapshots found however the scenario's path is spelled.
//!
//! Method: a small project in a temp directory (`scenarios/` and `snapshots/`), holding a
//! passing scenario with its snapshot, the same scenario with a seeded bug and a crash (a real
//! violation), one whose rendering no longer matches its snapshot, and one that does not parse.
//! The binary runs there; its reports are parsed with real parsers (serde_json, junit-parser,
//! insta's own snapshot reader) and checked field by field.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const GOOD: &str = r#"description = "Two files, the file sink."
[query]
sink = "file"
plan = "tutorial-without-time"
source = { max-files-per-trigger = 1 }
[[step]]
add = "a.json"
lines = ['{"eventId": "e1", "data": {"devices": [{"deviceId": "d1", "temperature": 21.5}]}}']
[[step]]
add = "b.json"
lines = ['{"eventId": "e2", "data": {"devices": [{"deviceId": "d3", "temperature": 30.0}]}}']
[[step]]
run = "available-now"
"#;

fn crashpoint(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crashpoint")).args(args).current_dir(dir).env("NO_COLOR", "1").output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A temp project: `good` with its snapshot, `broken` (a seeded bug crashed into a duplicate),
/// `drifted` (its snapshot is of an older description), `bad` (does not parse).
fn project() -> (tempfile::TempDir, PathBuf) {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().canonicalize().unwrap();
    let scenarios = root.join("scenarios");
    std::fs::create_dir_all(scenarios.join("more")).unwrap();
    std::fs::write(scenarios.join("good.toml"), GOOD).unwrap();
    let broken = GOOD.replace("source = {", "bugs = [\"file-sink-ignores-log\"]\nsource = {").replace(
        "run = \"available-now\"\n",
        "run = \"available-now\"\ncrash = \"after-sink-write\"\nhit = 2\n[[step]]\nrestart = \"available-now\"\n",
    );
    std::fs::write(scenarios.join("more/broken.toml"), broken).unwrap();
    std::fs::write(scenarios.join("drifted.toml"), GOOD).unwrap();
    std::fs::write(scenarios.join("more/bad.toml"), "[query]\nsink = \"nope\"\n").unwrap();
    let accepted = crashpoint(
        &root,
        &["run", "--accept", "scenarios/good.toml", "scenarios/drifted.toml", "scenarios/more/broken.toml"],
    );
    assert_eq!(accepted.status.code(), Some(1), "broken is never accepted:\n{}", text(&accepted.stdout));
    assert!(root.join("snapshots/good.snap").is_file() && !root.join("snapshots/more__broken.snap").exists());
    std::fs::write(scenarios.join("drifted.toml"), GOOD.replace("Two files, the file sink.", "Now described anew."))
        .unwrap();
    (temp, root)
}

#[test]
fn text_lists_every_violation_in_words_and_the_first_differing_lines() {
    let (_temp, root) = project();
    let output = crashpoint(&root, &["run"]);
    assert_eq!(output.status.code(), Some(2), "a bad scenario makes it exit 2");
    let stdout = text(&output.stdout);
    for fragment in [
        "PASS      scenarios/good.toml",
        "FAIL      scenarios/drifted.toml",
        "FAIL      scenarios/more/broken.toml",
        "ERROR     scenarios/more/bad.toml",
        "failed: expected verdict pass, but the checker found violations",
        "verdict: record (e2, d3, 30.0) written twice, expected 1: batch 1 was handed to the sink 2 times",
        "-   7 | description: Two files, the file sink.",
        "+   7 | description: Now described anew.",
        "cargo insta review",
        "scenarios/more/bad.toml:2: unknown sink 'nope'",
        "1 of 4 scenario(s) passed, 2 failed, 1 could not be used",
    ] {
        assert!(stdout.contains(fragment), "the text report lacks {fragment:?}:\n{stdout}");
    }
    assert!(!stdout.contains("\x1b["), "no colour when piped");
}

#[test]
fn a_mismatch_leaves_a_snap_new_that_insta_reads_and_a_match_removes_it() {
    let (_temp, root) = project();
    crashpoint(&root, &["run", "scenarios/drifted.toml"]);
    let pending = root.join("snapshots/drifted.snap.new");
    let snapshot = insta::Snapshot::from_file(&pending).expect("insta parses the .snap.new");
    let contents = snapshot.contents().as_text().expect("a text snapshot").to_string();
    assert!(contents.starts_with("scenario: drifted\ndescription: Now described anew.\n"), "{contents}");
    assert_eq!(snapshot.metadata().input_file(), Some("scenarios/drifted.toml"));
    let old = insta::Snapshot::from_file(&root.join("snapshots/drifted.snap")).unwrap();
    assert!(old.contents().as_text().unwrap().to_string().contains("Two files, the file sink."));
    // As `cargo insta accept` does: the pending snapshot replaces the old one; now it matches.
    std::fs::rename(&pending, root.join("snapshots/drifted.snap")).unwrap();
    let output = crashpoint(&root, &["run", "scenarios/drifted.toml"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    // A stale pending snapshot goes away once the snapshot matches.
    std::fs::write(&pending, "stale").unwrap();
    crashpoint(&root, &["run", "scenarios/drifted.toml"]);
    assert!(!pending.exists());
}

#[test]
fn json_follows_the_documented_schema() {
    let (_temp, root) = project();
    let output = crashpoint(&root, &["run", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is one JSON document");
    assert_eq!(report["schema"], "crashpoint-run/1");
    assert_eq!(report["summary"], serde_json::json!({"scenarios": 4, "passed": 1, "failed": 2, "errors": 1}));
    let by_name =
        |name: &str| report["scenarios"].as_array().unwrap().iter().find(|s| s["name"] == name).unwrap().clone();
    let broken = by_name("broken");
    assert_eq!(broken["status"], "fail");
    assert_eq!(broken["path"], "scenarios/more/broken.toml");
    assert!(broken["time_s"].as_f64().unwrap() >= 0.0);
    let violations = broken["violations"].as_array().unwrap();
    assert!(
        violations.iter().any(|v| v["kind"] == "verdict"
            && v["message"].as_str().unwrap().starts_with("record (e2, d3, 30.0) written twice"))
    );
    assert_eq!(broken["snapshot"]["state"], "missing");
    let drifted = by_name("drifted");
    assert_eq!(drifted["snapshot"]["state"], "differs");
    assert_eq!(drifted["snapshot"]["new_file"], "snapshots/drifted.snap.new");
    assert_eq!(drifted["snapshot"]["diff_lines"], 2);
    assert_eq!(drifted["violations"], serde_json::json!([]));
    let bad = by_name("bad");
    assert_eq!((bad["status"].as_str(), bad["snapshot"].is_null()), (Some("error"), true));
    assert!(bad["failures"][0].as_str().unwrap().contains("bad.toml:2: unknown sink 'nope'"));
    assert_eq!(by_name("good")["status"], "pass");
}

#[test]
fn junit_has_a_testcase_per_scenario_with_time_failure_messages_and_errors() {
    let (_temp, root) = project();
    let output = crashpoint(&root, &["run", "--format", "junit"]);
    let xml = text(&output.stdout);
    let report = junit_parser::from_reader(std::io::Cursor::new(xml.as_bytes())).expect("a valid JUnit document");
    assert_eq!((report.tests, report.failures, report.errors), (4, 2, 1), "{xml}");
    let cases: Vec<&junit_parser::TestCase> = report.suites.iter().flat_map(|s| &s.cases).collect();
    let names: Vec<(&str, Option<&str>)> =
        cases.iter().map(|c| (c.original_name.as_str(), c.classname.as_deref())).collect();
    assert_eq!(
        names,
        [
            ("drifted", Some("scenarios")),
            ("good", Some("scenarios")),
            ("bad", Some("scenarios.more")),
            ("broken", Some("scenarios.more"))
        ]
    );
    assert!(xml.contains(" time=\""), "every testcase has a time:\n{xml}");
    let case = |name: &str| cases.iter().find(|c| c.original_name == name).unwrap();
    assert!(case("good").status.is_success());
    let broken = case("broken").status.failure_as_ref();
    assert!(broken.message.starts_with("record (e2, d3, 30.0) written twice, expected 1"), "{}", broken.message);
    assert!(broken.text.contains("failed: expected verdict pass") && broken.text.contains("verdict: record"));
    let drifted = case("drifted").status.failure_as_ref();
    assert!(drifted.message.contains("line(s) differ from the snapshot"), "{}", drifted.message);
    assert!(drifted.text.contains("+   7 | description: Now described anew."), "{}", drifted.text);
    let bad = case("bad").status.error_as_ref();
    assert!(bad.message.contains("bad.toml:2: unknown sink 'nope'"), "{}", bad.message);
}

#[test]
fn a_snapshot_is_found_however_the_scenario_path_is_spelled() {
    let (_temp, root) = project();
    let spellings: [(&Path, &str); 4] = [
        (&root, "scenarios/good.toml"),
        (&root, "./scenarios/../scenarios/good.toml"),
        (&root.join("scenarios"), "good.toml"),
        (&root.join("scenarios/more"), "../good.toml"),
    ];
    for (dir, path) in spellings {
        let output = crashpoint(dir, &["run", path]);
        assert_eq!(output.status.code(), Some(0), "run {path} in {}:\n{}", dir.display(), text(&output.stdout));
    }
    assert!(!root.join("scenarios/good.snap").exists() && !root.join("scenarios/good.snap.new").exists());
}

#[test]
fn folders_and_globs_name_scenarios_and_a_glob_that_matches_nothing_is_an_error() {
    let (_temp, root) = project();
    let output = crashpoint(&root, &["run", "scenarios/g*.toml", "scenarios/dri?ted.toml"]);
    let stdout = text(&output.stdout);
    assert!(stdout.contains("1 of 2 scenario(s) passed"), "{stdout}");
    let output = crashpoint(&root, &["run", "scenarios/nothing*.toml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("scenarios/nothing*.toml: no file or folder matches"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn explore_junit_has_a_testcase_per_explored_scenario_from_folders_and_globs() {
    // Goal: explore in CI reports like run: a testcase per explored scenario (folders and globs
    // expand to their files), a <failure> whose message is the first violating schedule's faults
    // and finding, and a scenario that cannot be explored (it expects an error) skipped, saying
    // why. Method: a folder with a seeded bug and a scenario that expects an error, a glob with a
    // clean one, read back with a JUnit parser.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let temp = tempfile::tempdir().unwrap();
    let xml_path = temp.path().join("explore.xml");
    let args =
        ["explore", "scenarios/bugs", "scenarios/tutorial_first_run*.toml", "--junit", xml_path.to_str().unwrap()];
    let output = crashpoint(root, &args);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("explored 2 of 3 scenario(s): 1 with violations"),
        "{}",
        text(&output.stdout)
    );
    let xml = std::fs::read_to_string(&xml_path).unwrap();
    let report = junit_parser::from_reader(std::io::Cursor::new(xml.as_bytes())).expect("a valid JUnit document");
    assert_eq!((report.tests, report.failures, report.errors, report.skipped), (3, 1, 0, 1), "{xml}");
    let cases: Vec<&junit_parser::TestCase> = report.suites.iter().flat_map(|s| &s.cases).collect();
    let case = |name: &str| *cases.iter().find(|c| c.original_name == name).unwrap_or_else(|| panic!("{name}: {xml}"));
    assert!(case("tutorial_first_run").status.is_success());
    let failure = case("file_sink_ignores_log").status.failure_as_ref();
    assert!(failure.message.starts_with("crash in run 1 at "), "{}", failure.message);
    assert!(failure.message.contains("written twice, expected 1"), "{}", failure.message);
    let skipped = case("rename_before_data_fsync").status.skipped_as_ref();
    assert!(skipped.message.contains("expects an error"), "{}", skipped.message);
    assert_eq!(case("file_sink_ignores_log").classname.as_deref(), Some("scenarios.bugs"));
}
