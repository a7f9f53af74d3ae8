//! `crashpoint demo` is safe and faithful: it refuses a directory that is not empty, and every
//! command it prints can be pasted into a shell, so that a reader can replay the tutorial or go
//! on from where the demo stopped.

use std::path::Path;
use std::process::{Command, Output};

fn crashpoint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crashpoint")).args(args).env_remove("FAILPOINTS").output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A shell whose `crashpoint` is the binary under test.
fn shell(script: &str, bin_dir: &Path) -> Output {
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    Command::new("sh").args(["-ec", script]).env("PATH", path).env_remove("FAILPOINTS").output().unwrap()
}

/// The engine's "batch N (...): files" lines, in order, without any prefix.
fn batch_lines(log: &str) -> Vec<String> {
    log.lines()
        .map(|l| l.trim_start().trim_start_matches("[engine] "))
        .filter(|l| l.starts_with("batch ") && l.contains("): "))
        .map(String::from)
        .collect()
}

#[test]
fn demo_refuses_a_directory_that_is_not_empty_and_touches_nothing() {
    let temp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(temp.path().join("input")).unwrap();
    std::fs::write(temp.path().join("input/mine.json"), "precious").unwrap();
    let output = crashpoint(&["demo", temp.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("the directory is not empty"), "{}", text(&output.stderr));
    assert_eq!(std::fs::read_to_string(temp.path().join("input/mine.json")).unwrap(), "precious");
    assert_eq!(std::fs::read_dir(temp.path()).unwrap().count(), 1, "nothing added");
}

#[test]
fn every_command_the_demo_prints_can_be_pasted_and_replays_the_demo() {
    // Method: run the demo in one directory; replay its `$` lines with `sh` in another one (the
    // paths rewritten); the replay must succeed line by line and plan the same batches with the
    // same files. Then one more pasted `stream` goes on from the demo's own checkpoint.
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().canonicalize().unwrap();
    let bin_dir = root.join("bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_crashpoint"), bin_dir.join("crashpoint")).unwrap();
    let (demo_dir, replay_dir) = (root.join("demo"), root.join("replay"));
    let demo = crashpoint(&["demo", demo_dir.to_str().unwrap()]);
    let stdout = text(&demo.stdout);
    assert_eq!(demo.status.code(), Some(0), "{stdout}\n{}", text(&demo.stderr));
    let commands: Vec<String> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("$ "))
        .map(|c| c.replace(demo_dir.to_str().unwrap(), replay_dir.to_str().unwrap()))
        .collect();
    assert!(commands.len() >= 20, "{stdout}");
    assert!(commands.iter().filter(|c| c.starts_with("crashpoint stream ")).count() >= 8);
    std::fs::create_dir_all(replay_dir.join("input")).unwrap();
    let mut replayed = String::new();
    for command in &commands {
        let output = shell(command, &bin_dir);
        assert_eq!(output.status.code(), Some(0), "`{command}` failed:\n{}", text(&output.stderr));
        replayed += &text(&output.stderr);
    }
    assert_eq!(batch_lines(&replayed), batch_lines(&stdout), "the replay planned other batches");
    assert!(batch_lines(&stdout).contains(&"batch 1 (re-run): device_02.json".to_string()));

    // Go on from the demo's own checkpoint with its last stream command, pasted.
    std::fs::write(
        demo_dir.join("input/device_03.json"),
        r#"{"eventId": "e4", "data": {"devices": [{"deviceId": "d1", "temperature": 22.0}]}}"#,
    )
    .unwrap();
    let last = stdout
        .lines()
        .rev()
        .filter_map(|l| l.strip_prefix("$ "))
        .find(|c| c.starts_with("crashpoint stream "))
        .unwrap();
    let output = shell(last, &bin_dir);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let log = text(&output.stderr);
    assert!(log.contains("continue at batch 2") && log.contains("batch 2 (new files): device_03.json"), "{log}");
    assert!(text(&output.stdout).contains("|     e4|       d1|22.0|"), "{}", text(&output.stdout));
}
