//! The `crashpoint` binary: a thin shell over the library.

mod cli;

fn main() -> std::process::ExitCode {
    // Reads FAILPOINTS, so that a real process can be crashed at a crash point.
    let _failpoints = fail::FailScenario::setup();
    cli::main()
}
