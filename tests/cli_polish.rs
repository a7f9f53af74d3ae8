//! The command line as a new user meets it: `--help` with examples and exit codes for every
//! command, colour only on a terminal, and messages in words, not Rust types.

use std::process::{Command, Output};

fn crashpoint(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_crashpoint"));
    command.args(args).env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every subcommand, read from the top-level help so that a new one is not forgotten.
fn commands() -> Vec<String> {
    let help = text(&crashpoint(&["--help"], &[("NO_COLOR", "1")]).stdout);
    let listed = help.split("Commands:").nth(1).unwrap().split("\n\n").next().unwrap().to_string();
    let names: Vec<String> =
        listed.lines().filter_map(|l| l.split_whitespace().next()).filter(|n| *n != "help").map(String::from).collect();
    assert!(names.len() >= 8, "{help}");
    names
}

#[test]
fn every_command_help_has_examples_and_exit_codes() {
    // Method: `crashpoint <command> --help` for each command the top-level help lists.
    for command in std::iter::once(String::new()).chain(commands()) {
        let args: Vec<&str> = [command.as_str(), "--help"].into_iter().filter(|a| !a.is_empty()).collect();
        let output = crashpoint(&args, &[("NO_COLOR", "1")]);
        assert_eq!(output.status.code(), Some(0));
        let help = text(&output.stdout);
        assert!(help.contains("Examples:\n  crashpoint "), "`{command} --help` has no examples:\n{help}");
        for code in ["0  all passed", "1  a check failed", "2  bad input"] {
            assert!(help.contains(code), "`{command} --help` lacks exit code {code:?}:\n{help}");
        }
    }
}

/// Runs `crashpoint <args>` on a pseudo-terminal (`script`, util-linux) and returns what the
/// terminal showed.
fn on_terminal(args: &str, env: &[(&str, &str)]) -> String {
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_crashpoint"));
    let mut script = Command::new("script");
    script
        .args(["-qec", &command, "/dev/null"])
        .env("TERM", "xterm")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE");
    for (key, value) in env {
        script.env(key, value);
    }
    let output = script.output().expect("`script` (util-linux) runs a command on a terminal: apt-get install bsdutils");
    text(&output.stdout)
}

const ESC: &str = "\x1b[";

#[test]
fn colour_on_a_terminal_and_none_when_piped_or_with_no_color() {
    // Goal: colours help on a terminal and never reach a pipe, a file or a CI log. Method:
    // `run` and `explore` piped, piped with CLICOLOR_FORCE (which proves there is colour to
    // leave out), with NO_COLOR as well, and on a pseudo-terminal with and without NO_COLOR.
    let run = ["run", "scenarios/tutorial.toml"];
    let explore = ["explore", "scenarios/tutorial_first_run.toml"];
    for args in [&run[..], &explore[..]] {
        let piped = text(&crashpoint(args, &[]).stdout);
        assert!(!piped.contains(ESC), "{args:?} piped has colour: {piped:?}");
        let forced = text(&crashpoint(args, &[("CLICOLOR_FORCE", "1")]).stdout);
        assert!(forced.contains("\x1b[32m"), "{args:?} with CLICOLOR_FORCE has no colour: {forced:?}");
        let refused = text(&crashpoint(args, &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).stdout);
        assert!(!refused.contains(ESC), "{args:?} with NO_COLOR has colour: {refused:?}");
    }
    assert!(on_terminal(&run.join(" "), &[]).contains("\x1b[32mPASS"), "run on a terminal has no colour");
    assert!(on_terminal(&explore.join(" "), &[]).contains("\x1b[32mviolations: 0"), "explore on a terminal");
    let no_color = on_terminal(&run.join(" "), &[("NO_COLOR", "1")]);
    assert!(no_color.contains("PASS") && !no_color.contains(ESC), "NO_COLOR on a terminal: {no_color:?}");
}

#[test]
fn explore_progress_is_exact_never_past_its_total() {
    // Goal: the progress bar counts what it says (it once showed 2913/2800). Method: the
    // progress explore reports, with power losses, I/O errors and a shard, recorded call by
    // call: every count within the total, each count once, ending at the total.
    use crashpoint_harness::explore::{ExploreOptions, explore};
    use crashpoint_harness::scenario::Scenario;
    let scenario = Scenario::load(std::path::Path::new("scenarios/tutorial_first_run.toml")).unwrap();
    for (shard, power_loss, io_errors) in [("1/1", true, false), ("2/3", true, true), ("1/1", false, true)] {
        let options = ExploreOptions {
            shard: shard.parse().unwrap(),
            power_loss,
            io_errors,
            threads: 2,
            ..ExploreOptions::default()
        };
        let seen = std::sync::Mutex::new(Vec::new());
        let outcome = explore(&scenario, &options, &|done, total| seen.lock().unwrap().push((done, total)));
        let mut seen = seen.into_inner().unwrap();
        seen.sort();
        let total = outcome.first_faults_run;
        assert!(total > 0, "{shard}: nothing explored");
        let expected: Vec<(usize, usize)> = (1..=total).map(|done| (done, total)).collect();
        assert_eq!(seen, expected, "{shard} power_loss={power_loss} io_errors={io_errors}");
    }
}

#[test]
fn messages_name_no_rust_types() {
    // Goal: "Some(4)" and "expected usize" never reach a user. Method: a failed expectation of
    // the last committed batch, and a wrong type in a scenario, through the CLI.
    let dir = tempfile::tempdir().unwrap();
    let scenario = std::fs::read_to_string("scenarios/tutorial_first_run.toml").unwrap();
    let wrong = dir.path().join("wrong_batch.toml");
    let expect = scenario.split("[expect]").next().unwrap();
    std::fs::write(&wrong, format!("{expect}[expect]\nlast-committed-batch = 7\n")).unwrap();
    let typed = dir.path().join("typed.toml");
    std::fs::write(&typed, "[query]\nsink = \"console\"\n[expect]\nrows = \"four\"\n").unwrap();
    for (path, words) in [(&wrong, "expected last committed batch 7, found "), (&typed, "expected a whole number ≥ 0")]
    {
        let output = crashpoint(&["run", path.to_str().unwrap()], &[("NO_COLOR", "1")]);
        let all = text(&output.stdout) + &text(&output.stderr);
        assert!(all.contains(words), "{}: {all}", path.display());
        for rust in ["Some(", "None", "usize", "u64", "i64"] {
            assert!(!all.contains(rust), "{}: a Rust type ({rust}) in: {all}", path.display());
        }
    }
}
