//! A scenario's verdict on Spark: Spark's own crash-free run of the scenario is the oracle, the
//! checks are the engine target's, and the expectations are the scenario's with its
//! `[expect.spark]` on top. A scenario Spark cannot run says why, and is never run half.

use super::runner::execute_on_spark;
use crate::scenario::{Expect, Injection, LastCommit, Oracle, Report, Scenario, Step, judge};
use crate::spark::{SparkDriver, SparkError};
use std::collections::BTreeMap;

/// What running a scenario on Spark gave.
#[derive(Debug)]
pub enum SparkOutcome {
    /// Spark cannot run this scenario, for these reasons.
    NotApplicable(Vec<String>),
    /// The scenario ran on Spark; the report judges it.
    Ran(Box<Report>),
}

/// Why Spark cannot run `scenario` (empty when it can).
pub fn not_applicable(scenario: &Scenario) -> Vec<String> {
    let mut reasons = Vec::new();
    let kind = scenario.query.sink.kind();
    if let Err(why) = super::request::sink(kind, std::path::Path::new("/"), "") {
        reasons.push(format!("{why}: not applicable to the Spark target"));
    }
    if !scenario.query.bugs.is_empty() {
        reasons.push(format!(
            "seeded engine bugs ({}) are not applicable to the Spark target",
            scenario.query.bugs.join(", ")
        ));
    }
    for (index, step) in scenario.steps.iter().enumerate() {
        let Step::Run(run) = step else { continue };
        if run.io_error.is_some() {
            reasons.push(format!("step {}: I/O error injection is not applicable to the Spark target", index + 1));
        }
        if run.power_loss {
            reasons.push(format!("step {}: power loss is not applicable to the Spark target", index + 1));
        }
        if run.arrive.is_some() {
            reasons.push(format!(
                "step {}: a file arriving during a run is not applicable to the Spark target: the driver cannot pause a \
                 run at a crash point without crashing it (what Spark 4.3 does is measured in spark/FINDINGS.md Q3: \
                 an available-now run leaves a file written during its batch 0 to the next run)",
                index + 1
            ));
        }
        if run.again.is_some() {
            reasons.push(format!(
                "step {}: a run triggered again on the same engine value is not applicable to the Spark target: the \
                 driver starts a query per run",
                index + 1
            ));
        }
        if let Some((point, hit)) = run.crash
            && let Err(why) = super::request::crash_at(point, hit, kind)
        {
            reasons.push(format!("step {}: not applicable to the Spark target: {why}", index + 1));
        }
    }
    reasons
}

/// The expectations on Spark: `[expect]` with `[expect.spark]` on top. Bad records are the
/// engine's dead letters: Spark keeps none, so they are not expected there.
pub fn spark_expect(scenario: &Scenario) -> Expect {
    let expect = &scenario.expect;
    let spark = expect.spark.clone().unwrap_or_default();
    Expect {
        verdict: spark.verdict.unwrap_or(expect.verdict),
        rows: spark.rows.or(expect.rows),
        last_committed_batch: match spark.last_committed_batch {
            Some(LastCommit::Batch(id)) => Some(id),
            // "none" is checked beside the report (an `Expect` cannot say it).
            Some(LastCommit::Nothing(_)) => None,
            None => expect.last_committed_batch,
        },
        bad_records: None,
        spark: None,
    }
}

/// The runs that must fail on Spark, with a text each error must contain (`[expect.spark]
/// errors`); `None` when not declared: then the runs with `expect-error` must fail.
pub fn expected_errors(scenario: &Scenario) -> Option<BTreeMap<u32, String>> {
    let errors = scenario.expect.spark.as_ref().and_then(|s| s.errors.clone())?;
    Some(errors.into_iter().map(|e| (e.run, e.contains)).collect())
}

/// Runs `scenario` on Spark and judges it against Spark's crash-free run.
pub fn verify_on_spark(spark: &mut SparkDriver, scenario: &Scenario) -> Result<SparkOutcome, SparkError> {
    let reasons = not_applicable(scenario);
    if !reasons.is_empty() {
        return Ok(SparkOutcome::NotApplicable(reasons));
    }
    let oracle = spark_oracle(spark, scenario)?;
    verify_on_spark_with_oracle(spark, scenario, &Injection::default(), &oracle).map(|r| SparkOutcome::Ran(Box::new(r)))
}

/// Spark's crash-free run of `scenario`: the oracle.
pub fn spark_oracle(spark: &mut SparkDriver, scenario: &Scenario) -> Result<Oracle, SparkError> {
    let run = execute_on_spark(spark, &scenario.without_crashes(), &Injection::default(), &expected_errors(scenario))?;
    Ok(Oracle::from_run(&run, "Spark"))
}

/// Runs `scenario` with `injection` on Spark and judges it against `oracle`.
pub fn verify_on_spark_with_oracle(
    spark: &mut SparkDriver,
    scenario: &Scenario,
    injection: &Injection,
    oracle: &Oracle,
) -> Result<Report, SparkError> {
    let execution = execute_on_spark(spark, scenario, injection, &expected_errors(scenario))?;
    let mut on_spark = scenario.clone();
    on_spark.expect = spark_expect(scenario);
    let mut report = judge(&on_spark, injection, execution, oracle);
    let expects_none = scenario.expect.spark.as_ref().and_then(|s| s.last_committed_batch);
    if let (Some(LastCommit::Nothing(_)), Some(found)) = (expects_none, report.execution.last_committed_batch) {
        report.failures.push(format!("expected no committed batch on Spark, found {found}"));
    }
    Ok(report)
}
