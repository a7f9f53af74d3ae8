//! The `crashpoint` binary on real temp directories: `stream`, `inspect`, `demo`, `points`, and
//! the exit code of bad usage.

// The engine's test helpers, shared with the end-to-end tests here.
#[path = "../crates/engine/tests/common/mod.rs"]
mod common;

use common::{FIRST_MTIME_MS, drop_file, tutorial_workspace};
use crashpoint_engine::storage::DiskStorage;
use std::path::Path;
use std::process::{Command, Output};

fn crashpoint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crashpoint")).args(args).env_remove("FAILPOINTS").output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Panics with both streams unless the command exited with `code`.
fn expect_code(output: &Output, code: i32, what: &str) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "{what}\n--- stdout\n{}\n--- stderr\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn stream_with_the_console_sink_prints_each_batch_and_exits_0() {
    // Goal: `crashpoint stream --sink console` runs the tutorial query on a directory like
    // Spark's console query. Method: two files, maxFilesPerTrigger 1, check the printed
    // batches and the checkpoint; a second run finds nothing new.
    let (_temp, root) = tutorial_workspace();
    let (input, checkpoint) = (root.join("input"), root.join("checkpoint"));
    let args = [
        "stream",
        "--input",
        arg(&input),
        "--checkpoint",
        arg(&checkpoint),
        "--sink",
        "console",
        "--max-files-per-trigger",
        "1",
        "--no-processing-time",
    ];
    let output = crashpoint(&args);
    expect_code(&output, 0, "stream --sink console");
    let stdout = text(&output.stdout);
    assert!(stdout.contains("Batch: 0\n") && stdout.contains("Batch: 1\n"), "{stdout}");
    assert!(stdout.contains("|     e1|       d1|21.5|") && stdout.contains("|     e2|       d3|30.0|"), "{stdout}");
    assert!(checkpoint.join("commits/1").is_file());
    let again = crashpoint(&args);
    expect_code(&again, 0, "second stream run");
    assert!(!text(&again.stdout).contains("Batch:"), "nothing new to print");
}

#[test]
fn stream_with_the_file_sink_writes_part_files_and_inspect_shows_the_checkpoint() {
    // Goal: `crashpoint stream --sink file --output DIR` writes Spark's layout (part files and
    // `_spark_metadata`), and `crashpoint inspect` shows the batches and their files. Method:
    // run both commands on a temp dir and read what they left and printed.
    let (_temp, root) = tutorial_workspace();
    let (input, checkpoint, output_dir) = (root.join("input"), root.join("checkpoint"), root.join("output"));
    let output = crashpoint(&[
        "stream",
        "--input",
        arg(&input),
        "--checkpoint",
        arg(&checkpoint),
        "--sink",
        "file",
        "--output",
        arg(&output_dir),
        "--max-files-per-trigger",
        "1",
    ]);
    expect_code(&output, 0, "stream --sink file");
    assert!(output_dir.join("_spark_metadata/0").is_file() && output_dir.join("_spark_metadata/1").is_file());
    let parts = std::fs::read_dir(&output_dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with("part-00000-"))
        .count();
    assert_eq!(parts, 2);

    let inspected = crashpoint(&["inspect", arg(&checkpoint)]);
    expect_code(&inspected, 0, "inspect");
    let stdout = text(&inspected.stdout);
    for fragment in [
        "query id:   ",
        "batches:    2",
        "batch 0: committed",
        "batch 1: committed",
        &format!("file://{}/device_01.json", input.display()),
        &format!("file://{}/device_02.json", input.display()),
        "continue at batch 2",
        "oddities:   none",
    ] {
        assert!(stdout.contains(fragment), "inspect output lacks {fragment}:\n{stdout}");
    }
}

#[test]
fn demo_runs_every_experiment_and_exits_0() {
    // Goal: `crashpoint demo DIR` walks through the whole tutorial on real directories and
    // succeeds. Method: run it in a temp dir and look for each experiment's heading and
    // its key effect in the output.
    let temp = tempfile::tempdir().unwrap();
    let output = crashpoint(&["demo", arg(temp.path())]);
    expect_code(&output, 0, "demo");
    let stdout = text(&output.stdout);
    for fragment in [
        "1. first run",
        "experiment 1: re-drop",
        "experiment 2: delete commits/1",
        "the re-run writes nothing",
        "rename device_01 -> device_01_v2",
        "delete the checkpoint",
        "demo done",
        "sink skipped it",
        "warning: ",
    ] {
        assert!(stdout.contains(fragment), "demo output lacks {fragment}:\n{stdout}");
    }
    assert!(stdout.matches("Batch: 1\n").count() >= 2, "the console re-run prints batch 1 again:\n{stdout}");
}

#[test]
fn points_lists_every_crash_point() {
    // Goal: `crashpoint points` names every crash point. Method: compare with the library's list.
    let output = crashpoint(&["points"]);
    expect_code(&output, 0, "points");
    let stdout = text(&output.stdout);
    for point in crashpoint_engine::faults::CrashPoint::ALL {
        assert!(stdout.contains(point.name()), "{point} missing:\n{stdout}");
    }
}

#[test]
fn bad_usage_and_bad_input_exit_2_with_a_message() {
    // Goal: every kind of bad usage or input exits 2 (distinct from 0 and from 1, a failed
    // check) and says what is wrong. Method: table of argument lists.
    let (_temp, root) = tutorial_workspace();
    let input = root.join("input");
    let checkpoint = root.join("checkpoint");
    let missing = root.join("does-not-exist");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![], "Usage"),
        (vec!["no-such-command"], "no-such-command"),
        (vec!["stream", "--checkpoint", arg(&checkpoint)], "--input"),
        (vec!["stream", "--input", arg(&input), "--checkpoint", arg(&checkpoint), "--sink", "kafka"], "kafka"),
        (vec!["stream", "--input", arg(&input), "--checkpoint", arg(&checkpoint), "--sink", "file"], "--output"),
        (
            vec!["stream", "--input", arg(&missing), "--checkpoint", arg(&checkpoint), "--sink", "console"],
            "does not exist",
        ),
        (
            vec![
                "stream",
                "--input",
                arg(&input),
                "--checkpoint",
                arg(&checkpoint),
                "--sink",
                "console",
                "--mode",
                "lenient",
            ],
            "lenient",
        ),
        (
            vec!["stream", "--input", arg(&input), "--checkpoint", arg(&checkpoint), "--sink", "console"]
                .into_iter()
                .chain(["--max-files-per-trigger", "-1"])
                .collect(),
            "invalid value '-1' for option 'maxFilesPerTrigger' (max-files-per-trigger): it must be a positive integer",
        ),
        (
            vec!["stream", "--input", arg(&input), "--checkpoint", arg(&checkpoint), "--sink", "console"]
                .into_iter()
                .chain(["--max-files-per-trigger", "0"])
                .collect(),
            "invalid value '0' for option 'maxFilesPerTrigger'",
        ),
        (
            vec!["stream", "--input", arg(&input), "--checkpoint", arg(&checkpoint), "--sink", "console"]
                .into_iter()
                .chain(["--max-files-per-trigger", "two"])
                .collect(),
            "give `none` for no limit",
        ),
        (
            vec!["stream", "--input", arg(&input), "--checkpoint", arg(&checkpoint), "--sink", "console"]
                .into_iter()
                .chain(["--max-file-age-ms", "-1000"])
                .collect(),
            "invalid value '-1000' for option 'maxFileAge' (max-file-age-ms): it must be 0 or more ms",
        ),
        (
            vec!["stream", "--input", arg(&input), "--checkpoint", arg(&checkpoint), "--sink", "console"]
                .into_iter()
                .chain(["--max-line-bytes", "0"])
                .collect(),
            "invalid value '0' for option 'maxLineBytes' (max-line-bytes): it must be 1 or more bytes",
        ),
        (
            vec!["stream", "--input", arg(&input), "--checkpoint", arg(&checkpoint), "--sink", "console"]
                .into_iter()
                .chain(["--threads", "0"])
                .collect(),
            "--threads must be 1 or more",
        ),
        (
            vec!["stream", "--input", arg(&input), "--checkpoint", arg(&checkpoint), "--sink", "console"]
                .into_iter()
                .chain(["--output", arg(&missing)])
                .collect(),
            "has no effect with --sink console",
        ),
        (vec!["inspect"], "CHECKPOINT"),
        (vec!["inspect", arg(&missing)], "not a checkpoint: it does not exist"),
        (vec!["inspect", arg(&input)], "not a checkpoint"),
        (vec!["doctor", arg(&missing)], "not a checkpoint: it does not exist"),
    ];
    for (args, fragment) in cases {
        let output = crashpoint(&args);
        expect_code(&output, 2, &format!("{args:?}"));
        let stderr = text(&output.stderr);
        assert!(stderr.contains(fragment), "{args:?}: stderr lacks {fragment}:\n{stderr}");
    }
}

#[test]
fn a_refused_option_creates_no_directory() {
    // Goal: "Nothing was read or written" is true of a refused option: no checkpoint or output
    // directory is made. Method: a refused checkpoint knob and a refused source option, each
    // into directories that do not exist yet.
    let (_temp, root) = tutorial_workspace();
    let (input, checkpoint, output) = (root.join("input"), root.join("new-checkpoint"), root.join("new-output"));
    for refused in [["--min-batches-to-retain", "0"], ["--max-line-bytes", "0"]] {
        let base = ["stream", "--input", arg(&input), "--checkpoint", arg(&checkpoint), "--sink", "file"];
        let args: Vec<&str> = base.into_iter().chain(["--output", arg(&output)]).chain(refused).collect();
        let out = crashpoint(&args);
        expect_code(&out, 2, &args.join(" "));
        assert!(text(&out.stderr).contains("invalid value '0'"), "{}", text(&out.stderr));
        assert!(!checkpoint.exists() && !output.exists(), "{refused:?} made a directory");
    }
}

#[test]
fn changed_query_on_an_existing_checkpoint_exits_2_with_the_reason() {
    // Goal: restarting `stream` with a different query on the same checkpoint stops with the
    // plan-changed error and exit 2, says what changed, and writes nothing. Method: run the
    // tutorial's query, then the same with the processing-time column.
    let (_temp, root) = tutorial_workspace();
    let (input, checkpoint) = (root.join("input"), root.join("checkpoint"));
    let base = ["stream", "--input", arg(&input), "--checkpoint", arg(&checkpoint), "--sink", "console"];
    expect_code(&crashpoint(&base), 0, "first run");
    drop_file(&DiskStorage, &input, "device_03.json", common::DEVICE_03, FIRST_MTIME_MS + 2000);
    let changed = crashpoint(&[&base[..], &["--processing-time"]].concat());
    expect_code(&changed, 2, "changed query");
    let stderr = text(&changed.stderr);
    let said = "the query changed since ";
    assert!(stderr.contains(said) && stderr.contains("offsets/1 was written"), "{stderr}");
    assert!(
        stderr.contains("added processing_time; step 3 was added: `processing-time as processing_time`"),
        "{stderr}"
    );
    assert!(!checkpoint.join("offsets/2").exists());
}

#[test]
fn an_engine_io_error_names_the_file_and_prints_its_os_error_once() {
    // Goal: an I/O error from the engine reaches the user with the file, the operation, the OS
    // error once (not once per level of the error chain) and what to do. Method: `offsets` is a
    // file where the checkpoint needs a directory, so listing it fails with ENOTDIR (bad input:
    // exit 2; a failing disk, EIO or ENOSPC, exits 3, tested on the CLI's classifier).
    let (_temp, root) = tutorial_workspace();
    let checkpoint = root.join("checkpoint");
    std::fs::create_dir_all(&checkpoint).unwrap();
    std::fs::write(checkpoint.join("metadata"), "{\"id\":\"0b7f6c1e-5a43-4a8e-9d1d-2f8e7c6a5b4d\"}").unwrap();
    std::fs::write(checkpoint.join("offsets"), "").unwrap();
    let input = root.join("input");
    let args = ["stream", "--input", arg(&input), "--checkpoint", arg(&checkpoint), "--sink", "console"];
    let output = crashpoint(&args);
    expect_code(&output, 2, "a checkpoint whose offsets/ is a file");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!("offsets log {}/offsets: could not list the directory", arg(&checkpoint))),
        "{stderr}"
    );
    assert_eq!(stderr.matches("(os error 20)").count(), 1, "the OS error is printed once: {stderr}");
}

#[test]
fn a_scheduled_crash_or_second_query_that_never_fires_is_a_bad_scenario_exit_2() {
    // Goal: a scenario that schedules a fault which never happens tests nothing of what it
    // says, so `run` calls it a bad scenario (exit 2) and names the step and the hits there
    // were. Method: one file, one batch; a crash at hit 9 of a point hit once, and a second
    // query at a point a one-batch run hits once, asked for at hit 3.
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    let head =
        "[query]\nsink = \"memory\"\n[[step]]\nadd = \"a.json\"\ntext = '{\"eventId\": \"e\"}'\n[[step]]\nrun = true\n";
    let cases = [
        (
            "crash.toml",
            "crash = \"after-commit-write\"\nhit = 9\n",
            "step 2: the crash at after-commit-write (hit 9) never fired: run 1 hit after-commit-write 1 time(s)",
        ),
        (
            "second.toml",
            "second-query = { at = \"after-offsets-write\", hit = 3 }\n",
            "step 2: the second query at after-offsets-write (hit 3) never started: run 1 hit after-offsets-write 1 time(s)",
        ),
    ];
    for (name, keys, message) in cases {
        let path = root.join(name);
        std::fs::write(&path, format!("{head}{keys}")).unwrap();
        let output = crashpoint(&["run", arg(&path)]);
        expect_code(&output, 2, name);
        let stdout = text(&output.stdout);
        assert!(stdout.contains("ERROR") && stdout.contains(message), "{name}:\n{stdout}");
    }
}
