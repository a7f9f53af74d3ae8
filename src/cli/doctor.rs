//! `crashpoint doctor CHECKPOINT [--output DIR] [--repair] [--choose NAME]...`.

use super::{EXIT_BAD_INPUT, EXIT_CHECK_FAILED};
use crashpoint_engine::storage::DiskStorage;
use crashpoint_harness::diagnosis::{Finding, SinkDir, diagnose};
use crashpoint_harness::doctor::{apply, lock, selected, unknown_names};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// The checkpoint directory.
    checkpoint: PathBuf,
    /// The file sink's output directory, to check its `_spark_metadata` against the checkpoint.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Take every choice that costs nothing (torn uncommitted log files, temp files, ...).
    #[arg(long)]
    repair: bool,
    /// Take the named choice, with the cost it states; repeatable.
    #[arg(long = "choose", value_name = "NAME")]
    choose: Vec<String>,
}

pub fn run(args: DoctorArgs) -> anyhow::Result<ExitCode> {
    let output = args.output.as_deref().map(|output| SinkDir { output });
    let findings = match diagnose(&DiskStorage, &args.checkpoint, output) {
        Ok(findings) => findings,
        Err(not) => {
            eprintln!("error: {not}");
            return Ok(ExitCode::from(EXIT_BAD_INPUT));
        }
    };
    if findings.is_empty() {
        println!("{}: healthy", args.checkpoint.display());
        return Ok(ExitCode::SUCCESS);
    }
    let unknown = unknown_names(&findings, &args.choose);
    if !unknown.is_empty() {
        print_findings(&findings);
        anyhow::bail!("--choose {}: no finding offers this choice (the choices are listed above)", unknown.join(", "));
    }
    if !args.repair && args.choose.is_empty() {
        print_findings(&findings);
        println!(
            "\nto repair: `crashpoint doctor {cp} --repair` takes the choices that cost nothing; `--choose NAME` takes \
             a choice with the cost it states",
            cp = args.checkpoint.display()
        );
        return Ok(ExitCode::from(EXIT_CHECK_FAILED));
    }
    let existing_output = args.output.as_deref().filter(|o| o.is_dir());
    let _locks = lock(&DiskStorage, &args.checkpoint, existing_output)?;
    for line in apply(&DiskStorage, &selected(&findings, args.repair, &args.choose))? {
        println!("done: {line}");
    }
    let mut left = diagnose(&DiskStorage, &args.checkpoint, output)?;
    // A repair can uncover the next free one (a deleted sink log entry leaves its part file
    // unlisted): a few more rounds of free choices, never of named ones.
    for _ in 0..3 {
        let next = selected(&left, args.repair, &[]);
        if next.is_empty() {
            break;
        }
        for line in apply(&DiskStorage, &next)? {
            println!("done: {line}");
        }
        left = diagnose(&DiskStorage, &args.checkpoint, output)?;
    }
    if left.is_empty() {
        println!("{}: healthy", args.checkpoint.display());
        return Ok(ExitCode::SUCCESS);
    }
    println!("still to do:");
    print_findings(&left);
    Ok(ExitCode::from(EXIT_CHECK_FAILED))
}

fn print_findings(findings: &[Finding]) {
    for finding in findings {
        println!("- {}", finding.problem);
        for choice in &finding.choices {
            match &choice.cost {
                None => println!("  choice {} (costs nothing; --repair takes it): {}", choice.name, choice.effect),
                Some(cost) => {
                    println!("  choice {} (--choose {}): {}\n    cost: {cost}", choice.name, choice.name, choice.effect)
                }
            }
        }
        match (&finding.by_hand, finding.choices.is_empty()) {
            (Some(advice), true) => println!("  no safe repair: {advice}"),
            (Some(advice), false) => println!("  by hand: {advice}"),
            (None, _) => {}
        }
    }
}
