//! `crashpoint run [PATHS…]`: scenarios against their snapshots.

use super::{EXIT_BAD_INPUT, EXIT_CHECK_FAILED};
use crashpoint_harness::scenario::{
    Scenario, SnapshotCheck, compare_snapshot, scenario_files, snapshot_file_text, snapshot_path, verify,
};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
    Junit,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario files or folders of them (default: scenarios/).
    paths: Vec<PathBuf>,
    /// Write the new renderings as the snapshots.
    #[arg(long)]
    accept: bool,
    /// Print each scenario's full rendering.
    #[arg(long, short)]
    verbose: bool,
    /// The report's format.
    #[arg(long, value_enum, default_value = "text")]
    format: ReportFormat,
}

struct Outcome {
    name: String,
    status: &'static str,
    details: Vec<String>,
}

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let paths = if args.paths.is_empty() { vec![PathBuf::from("scenarios")] } else { args.paths.clone() };
    let files = scenario_files(&paths).map_err(|e| anyhow::anyhow!("cannot list {paths:?}: {e}"))?;
    if files.is_empty() {
        anyhow::bail!("no scenario files (*.toml) under {paths:?}");
    }
    let outcomes: Vec<Outcome> = files.iter().map(|file| run_one(file, &args)).collect();
    report(&outcomes, args.format);
    let code = if outcomes.iter().any(|o| o.status == "bad scenario") {
        EXIT_BAD_INPUT
    } else if outcomes.iter().any(|o| o.status != "pass" && o.status != "accepted") {
        EXIT_CHECK_FAILED
    } else {
        0
    };
    Ok(ExitCode::from(code))
}

fn run_one(file: &Path, args: &RunArgs) -> Outcome {
    let name = file.display().to_string();
    let scenario = match Scenario::load(file) {
        Ok(s) => s,
        Err(e) => return Outcome { name, status: "bad scenario", details: vec![e.to_string()] },
    };
    let report = verify(&scenario);
    let rendered = report.render();
    if args.verbose {
        println!("{rendered}");
    }
    let mut details = report.failures.clone();
    let snapshot = snapshot_path(file);
    let check = compare_snapshot(&snapshot, &rendered);
    if args.accept && check != SnapshotCheck::Matches {
        let written = std::fs::create_dir_all(snapshot.parent().unwrap_or(Path::new(".")))
            .and_then(|_| std::fs::write(&snapshot, snapshot_file_text(file, &rendered)));
        if let Err(e) = written {
            details.push(format!("cannot write {}: {e}", snapshot.display()));
        } else {
            details.push(format!("wrote {}", snapshot.display()));
        }
        let status = if report.passed() { "accepted" } else { "fail" };
        return Outcome { name, status, details };
    }
    let status = match check {
        SnapshotCheck::Matches if report.passed() => "pass",
        SnapshotCheck::Matches => "fail",
        SnapshotCheck::Missing => {
            details.push(format!("no snapshot {} (run with --accept to write it)", snapshot.display()));
            "fail"
        }
        SnapshotCheck::Differs(diff) => {
            details.push(format!("differs from {} (run with --accept to update it):\n{diff}", snapshot.display()));
            "fail"
        }
    };
    Outcome { name, status, details }
}

fn report(outcomes: &[Outcome], format: ReportFormat) {
    match format {
        ReportFormat::Text => {
            for o in outcomes {
                println!("{:<12} {}", o.status.to_uppercase(), o.name);
                o.details.iter().for_each(|d| println!("    {}", d.replace('\n', "\n    ")));
            }
            let passed = outcomes.iter().filter(|o| o.status == "pass" || o.status == "accepted").count();
            println!("\n{passed} of {} scenario(s) passed", outcomes.len());
        }
        ReportFormat::Json => {
            let items: Vec<serde_json::Value> = outcomes
                .iter()
                .map(|o| serde_json::json!({"scenario": o.name, "status": o.status, "details": o.details}))
                .collect();
            println!("{}", serde_json::to_string_pretty(&items).unwrap_or_default());
        }
        ReportFormat::Junit => print!("{}", junit(outcomes)),
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn junit(outcomes: &[Outcome]) -> String {
    let failures = outcomes.iter().filter(|o| o.status != "pass" && o.status != "accepted").count();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"crashpoint\" tests=\"{}\" failures=\"{failures}\">\n",
        outcomes.len()
    );
    for o in outcomes {
        out += &format!("  <testcase classname=\"scenarios\" name=\"{}\"", xml_escape(&o.name));
        if o.status == "pass" || o.status == "accepted" {
            out += "/>\n";
        } else {
            out += &format!(
                ">\n    <failure message=\"{}\">{}</failure>\n  </testcase>\n",
                o.status,
                xml_escape(&o.details.join("\n"))
            );
        }
    }
    out + "</testsuite>\n"
}
