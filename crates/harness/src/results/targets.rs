//! `run --target spark|both`: one scenario file on real Spark (and on the engine beside it),
//! as one [`ScenarioResult`] with the two sides in a few words and every difference between
//! them, each checked against the scenario's `[expect.spark]`.
//!
//! It reads the two targets' reports; it never changes a verdict.

use super::{Finding, ScenarioResult, SnapshotMode, Status, check_scenario_file, findings};
use crate::scenario::{Report, Scenario};
use crate::spark::{SparkError, with_driver};
use crate::spark_target::{Comparison, SparkOutcome, verify_on_spark};
use std::path::Path;
use std::time::Instant;

/// Where scenarios run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// crashpoint's engine, in a simulated world, against the snapshots.
    Engine,
    /// Real Spark 4.3, in a real temp directory, against Spark's crash-free run.
    Spark,
    /// Both, side by side.
    Both,
}

/// The two sides of a scenario, in a few words, and their differences.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Sides {
    /// The engine's result (`-` with `--target spark`).
    pub engine: String,
    /// Spark's result, or why Spark cannot run it.
    pub spark: String,
    /// Every difference (`[declared]`, `[UNDECLARED]`, `[STALE]`), and the declared reason.
    pub differences: Vec<String>,
}

/// Loads, runs and checks one scenario file on `target` (Spark or both). Spark itself failing
/// (no Java, a dead driver) is an `Err`: the caller stops, it is not a finding.
pub fn check_on_target(path: &Path, mode: SnapshotMode, target: Target) -> Result<ScenarioResult, SparkError> {
    let started = Instant::now();
    let engine = match target {
        Target::Spark => None,
        Target::Engine | Target::Both => Some(check_scenario_file(path, mode)),
    };
    let scenario = match Scenario::load(path) {
        Ok(scenario) => scenario,
        Err(_) => return Ok(engine.unwrap_or_else(|| check_scenario_file(path, mode))),
    };
    let spark = with_driver(|driver| verify_on_spark(driver, &scenario))?;
    let engine_report = engine.as_ref().map(|_| crate::scenario::verify(&scenario));
    let mut result = engine.unwrap_or_else(|| spark_only_result(path, &scenario));
    let mut sides = Sides {
        engine: engine_report.as_ref().map_or_else(|| "-".to_string(), summary),
        spark: String::new(),
        differences: Vec::new(),
    };
    match &spark {
        SparkOutcome::NotApplicable(reasons) => sides.spark = format!("not applicable: {}", reasons.join("; ")),
        SparkOutcome::Ran(report) => {
            sides.spark = summary(report);
            result.failures.extend(report.failures.iter().map(|f| format!("on Spark: {f}")));
            let on_spark = |f: Finding| Finding { message: format!("on Spark: {}", f.message), ..f };
            result.violations.extend(findings(report).into_iter().map(on_spark));
            if let Some(spark) = &scenario.expect.spark {
                sides.differences.push(format!("Spark differs, as declared: {}", spark.reason));
            }
            if let Some(engine_report) = &engine_report {
                let comparison = Comparison::of(&scenario, engine_report, report);
                if !comparison.agreed() {
                    result
                        .failures
                        .push("the engine and Spark differ where the scenario declares no difference".into());
                }
                sides.differences.extend(comparison.lines());
            }
        }
    }
    if !result.failures.is_empty() {
        result.status = Status::Fail;
    }
    result.time = started.elapsed();
    result.sides = Some(sides);
    Ok(result)
}

fn spark_only_result(path: &Path, scenario: &Scenario) -> ScenarioResult {
    ScenarioResult {
        path: path.to_path_buf(),
        name: scenario.name(),
        status: Status::Pass,
        time: Default::default(),
        expected_verdict: None,
        violations: Vec::new(),
        failures: Vec::new(),
        snapshot: None,
        sides: None,
    }
}

/// A report in a few words: verdict, rows, latest commit.
fn summary(report: &Report) -> String {
    let verdict = if report.verdict.passed && report.execution.violations.is_empty() { "pass" } else { "fail" };
    let commit = report.execution.last_committed_batch.map_or("none".to_string(), |c| c.to_string());
    format!("{verdict}, {} rows, last commit {commit}", report.execution.output.len())
}
