//! The same scenario files on the engine and on Spark, side by side (a subset; `.ci/run` runs
//! every scenario with `crashpoint run --target both`).

use crashpoint_harness::scenario::{Report, Scenario, verify};
use crashpoint_harness::spark::with_driver;
use crashpoint_harness::spark_target::{Comparison, SparkOutcome, verify_on_spark};
use std::path::Path;

fn load(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(name);
    Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn on_spark(scenario: &Scenario) -> Report {
    match with_driver(|spark| verify_on_spark(spark, scenario)).unwrap_or_else(|e| panic!("{e}")) {
        SparkOutcome::Ran(report) => *report,
        SparkOutcome::NotApplicable(why) => panic!("{}: not applicable: {why:?}", scenario.name()),
    }
}

#[test]
fn crash_scenarios_agree_on_both_targets() {
    // Goal: where the engine models Spark, both targets give the same verdict, rows, output and
    // checkpoint shape. Method: two crash scenarios on both; no difference at all.
    for name in ["crashes/before-offsets-write_file.toml", "crashes/during-sink-write_console.toml"] {
        let scenario = load(name);
        let (engine, spark) = (verify(&scenario), on_spark(&scenario));
        assert!(spark.passed(), "{name} on Spark: {:?}\n{}", spark.failures, spark.execution.trace.join("\n"));
        let comparison = Comparison::of(&scenario, &engine, &spark);
        assert!(comparison.differences.is_empty(), "{name}: {:#?}", comparison.lines());
    }
}

#[test]
fn the_stale_crc_difference_is_declared_checked_and_an_undeclared_one_fails() {
    // Goal: a declared difference is asserted, and the same difference undeclared fails.
    // Method: experiment 2 (delete commits/1) on both targets: Spark fails run 3 once on the
    // stale .1.crc, as declared; then the same reports judged with the declaration removed.
    let scenario = load("tutorial_exp2_deleted_commit_file.toml");
    let (engine, spark) = (verify(&scenario), on_spark(&scenario));
    assert!(spark.passed(), "{:?}\n{}", spark.failures, spark.execution.trace.join("\n"));
    let failed: Vec<u32> = spark.execution.processes.iter().filter(|p| p.error.is_some()).map(|p| p.ordinal).collect();
    assert_eq!(failed, [3], "Spark fails the re-run of batch 1 once");
    let comparison = Comparison::of(&scenario, &engine, &spark);
    assert!(comparison.agreed(), "{:#?}", comparison.lines());
    assert_eq!(comparison.differences.len(), 1, "{:#?}", comparison.lines());
    assert!(comparison.differences[0].detail.contains("run 3 fails on Spark only"));

    let mut undeclared = scenario.clone();
    undeclared.expect.spark = None;
    let comparison = Comparison::of(&undeclared, &engine, &spark);
    assert!(!comparison.agreed(), "an undeclared difference must fail");
    assert!(comparison.lines()[0].starts_with("[UNDECLARED]"), "{:#?}", comparison.lines());
}

#[test]
fn sparks_silent_loss_on_an_old_sink_log_is_caught_on_spark() {
    // Goal: the checks catch on Spark what they catch on the engine. Method: a new checkpoint
    // over an output whose _spark_metadata holds batch 0: Spark's file sink skips the new batch
    // 0, and the Spark verdict must name device_02's record as lost.
    let scenario = load("tutorial_deleted_checkpoint_file_sink_like_spark.toml");
    let spark = on_spark(&scenario);
    assert!(!spark.verdict.passed, "{:?}", spark.verdict.findings);
    let finding = spark.verdict.findings.join("\n");
    assert!(finding.contains("(e2, d3, 30.0) lost"), "{finding}");
    assert!(finding.contains("skipped by the sink in run 2"), "{finding}");
}

#[test]
fn exploring_on_spark_finds_only_the_crash_spark_cannot_recover_from() {
    // Goal: explore --target spark crashes every (run, point, hit) and judges each against
    // Spark's crash-free run. Method: the tutorial's first run (one file): every schedule
    // recovers exactly once except the crash during offsets/0 (the 3rd log write), which
    // Spark 4.3 itself never recovers from.
    let scenario = load("tutorial_first_run.toml");
    let result = with_driver(|spark| crashpoint_harness::spark_target::explore_on_spark(spark, &scenario, &|_, _| {}))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(result.not_applicable.is_empty(), "{:?}", result.not_applicable);
    assert!(result.schedules.len() >= 10, "every point of the run: {:?}", result.schedules);
    let failed: Vec<String> =
        result.violations.iter().map(|(c, r)| format!("{} hit {}: {r}", c.point, c.hit)).collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert!(failed[0].starts_with("during-log-write hit 3"), "{failed:#?}");
}
