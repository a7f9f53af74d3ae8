//! `explore --target spark` at depth 1: Spark's crash-free run of the scenario counts the hits
//! of every crash point in every run, then each (run, point, hit) is crashed on Spark, the query
//! restarted at once, and the result judged against that crash-free run. One driver, one
//! schedule at a time (the driver's crash control is JVM-global).

use super::runner::execute_on_spark;
use super::verify::{expected_errors, not_applicable, verify_on_spark_with_oracle};
use crate::scenario::{InjectedCrash, Injection, Oracle, Scenario};
use crate::spark::{SparkDriver, SparkError};

/// The result of exploring a scenario on Spark.
#[derive(Debug, Default)]
pub struct SparkExploration {
    /// Why Spark cannot run the scenario, if it cannot (then nothing ran).
    pub not_applicable: Vec<String>,
    /// Every schedule run: (run, crash point, hit).
    pub schedules: Vec<InjectedCrash>,
    /// The schedules whose result broke the checks, each with the first reason.
    pub violations: Vec<(InjectedCrash, String)>,
}

/// Explores `scenario` on Spark at depth 1; `progress(done, total)` after each schedule.
pub fn explore_on_spark(
    spark: &mut SparkDriver,
    scenario: &Scenario,
    progress: &dyn Fn(usize, usize),
) -> Result<SparkExploration, SparkError> {
    let reasons = not_applicable(scenario);
    if !reasons.is_empty() {
        return Ok(SparkExploration { not_applicable: reasons, ..Default::default() });
    }
    let clean = scenario.without_crashes();
    let run = execute_on_spark(spark, &clean, &Injection::default(), &expected_errors(scenario))?;
    let oracle = Oracle::from_run(&run, "Spark");
    let mut schedules = Vec::new();
    for process in &run.processes {
        for (point, hits) in &process.hits {
            for hit in 1..=*hits {
                let crash = InjectedCrash {
                    process: process.ordinal,
                    point: *point,
                    hit,
                    power_loss: false,
                    persisted: vec![],
                };
                schedules.push(crash);
            }
        }
    }
    let mut violations = Vec::new();
    for (done, crash) in schedules.iter().enumerate() {
        let injection = Injection { crashes: vec![crash.clone()], ..Injection::default() };
        let report = verify_on_spark_with_oracle(spark, &clean, &injection, &oracle)?;
        if report.violated() {
            let mut reasons = report.verdict.findings.clone();
            reasons.extend(report.execution.violations.iter().cloned());
            reasons.extend(report.execution.problems.iter().cloned());
            let first = reasons.into_iter().find(|r| !r.is_empty()).unwrap_or_else(|| "a check failed".into());
            violations.push((crash.clone(), first));
        }
        progress(done + 1, schedules.len());
    }
    Ok(SparkExploration { not_applicable: Vec::new(), schedules, violations })
}
