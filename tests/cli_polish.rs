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
