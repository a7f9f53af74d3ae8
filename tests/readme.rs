//! The README's showcase commands do what the README says they do.
//!
//! Goal: a new user who pastes an example from the README sees what it claims. Method: read the
//! commands from README.md itself (so the test follows the README), run them with the built
//! binary from the repository's root, and check the claim in the output.

use std::path::Path;
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The arguments after `cargo run --release --` of the README's example that contains `needle`.
fn readme_example(needle: &str) -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let line = readme
        .lines()
        .find(|l| l.starts_with("cargo run --release -- ") && l.contains(needle))
        .unwrap_or_else(|| panic!("the README has no example with {needle:?}"));
    let command = line.split('#').next().unwrap().trim();
    command.strip_prefix("cargo run --release -- ").unwrap().split_whitespace().map(String::from).collect()
}

fn crashpoint(args: &[String], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crashpoint")).args(args).current_dir(dir).env("NO_COLOR", "1").output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_readme_bug_showcase_crashes_the_query_and_catches_the_bug() {
    // Claim: "explore ... --bug file-sink-ignores-log   # crashes, catches, reproduces".
    let args = readme_example("--bug");
    let output = crashpoint(&args, root());
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "a caught bug exits 1:\n{stdout}\n{}", text(&output.stderr));
    assert!(!stdout.contains("already fails with no crash"), "the scenario must need a crash to fail:\n{stdout}");
    let schedules: usize = stdout
        .lines()
        .find_map(|l| l.strip_prefix("schedules: "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no schedule count:\n{stdout}"));
    assert!(schedules > 10, "it crashes the query at many points:\n{stdout}");
    assert!(stdout.contains("written twice") && stdout.contains("reproducer ("), "{stdout}");
}

#[test]
fn fuzz_writes_its_reproducer_outside_the_project_unless_told_where() {
    // Claim: a failure "goes to a temp dir it prints"; `--out DIR` names the place. Method: fuzz
    // with a seeded bug from a directory that has a `scenarios/` folder, as the project has.
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(work.path().join("scenarios/regressions")).unwrap();
    let args: Vec<String> =
        ["fuzz", "--cases", "100", "--seed", "1", "--bug", "file-sink-ignores-log"].map(String::from).to_vec();
    let output = crashpoint(&args, work.path());
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let written = stdout
        .lines()
        .find_map(|l| l.strip_prefix("written to "))
        .and_then(|l| l.split(' ').next())
        .unwrap_or_else(|| panic!("fuzz must print where it wrote the reproducer:\n{stdout}"));
    let written = Path::new(written);
    assert!(written.is_file(), "{}", written.display());
    assert!(written.starts_with(std::env::temp_dir()), "{}", written.display());
    assert_eq!(std::fs::read_dir(work.path().join("scenarios/regressions")).unwrap().count(), 0);
    std::fs::remove_dir_all(written.parent().unwrap()).unwrap();

    let out = work.path().join("found");
    let mut with_out = args.clone();
    with_out.extend(["--out".to_string(), out.display().to_string()]);
    let output = crashpoint(&with_out, work.path());
    assert_eq!(output.status.code(), Some(1));
    assert!(out.join("fuzz-seed-1-file-sink-ignores-log.toml").is_file(), "{}", text(&output.stdout));
}
