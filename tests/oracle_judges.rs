//! The oracle judges what it once took on trust: batch times by the model's own clock, the
//! warnings about batches skipped for a later commit, and the live log. Each test runs a shipped
//! scenario on the correct engine (the oracle must agree) and, where a seeded bug reaches the
//! property, with the bug switched on (the oracle must name it).

use crashpoint_engine::engine::Event;
use crashpoint_engine::faults::CrashPoint;
use crashpoint_harness::scenario::{RunStep, Scenario, SinkKind, SinkSpec, Step, expected, verify};
use std::path::Path;

fn shipped(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(name);
    Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_commit_deleted_below_the_latest_is_warned_of_by_the_run_the_model_names() {
    // Goal: the model knows which batches a run's start finds with offsets but no commit below
    // the latest commit, and the engine's run warns of exactly those (and the trace's text is
    // unchanged). Method: the tutorial, then commits/1 deleted and one more run; the model's
    // list, the run's structured events, and the verdict.
    let mut scenario = shipped("tutorial.toml");
    scenario.steps.push(Step::Delete { path: "commits/1".into() });
    scenario.steps.push(Step::Run(RunStep::default()));
    let model = expected(&scenario).unwrap();
    assert_eq!(model.skipped_uncommitted, [(5, vec![1])]);
    let report = verify(&scenario);
    assert!(report.verdict.passed, "{:?}", report.verdict.findings);
    assert!(report.execution.violations.is_empty(), "{:?}", report.execution.violations);
    let run_5 = &report.execution.processes[4];
    let warned: Vec<u64> = run_5
        .events
        .iter()
        .filter_map(|e| if let Event::SkippedUncommitted { id } = e { Some(*id) } else { None })
        .collect();
    assert_eq!(warned, [1]);
    let text = "    warning: commits/1 is missing but later batches are committed: batch 1 is not run again (as in \
                Spark, only the latest commit counts); `crashpoint doctor` can restore the commit";
    assert!(report.execution.trace.iter().any(|line| line == text), "{:#?}", report.execution.trace);
}

#[test]
fn a_crash_free_run_has_the_model_clock_times_and_a_bent_rerun_time_is_named() {
    // Goal: batch times are judged by the model's own clock. Method: the tutorial on a console
    // (whose re-run of batch 1 in run 3 writes its rows again) passes; with the seeded bug
    // `rerun-new-timestamp` the re-run's rows carry a new time, and the finding names the batch,
    // the run, the rows' time and the model's.
    let mut scenario = shipped("tutorial.toml");
    scenario.query.sink = SinkSpec::Named(SinkKind::Console);
    let model = expected(&scenario).unwrap();
    let batch_1: Vec<i64> = model.batch_times.iter().filter(|(_, id, _)| *id == 1).map(|(_, _, ms)| *ms).collect();
    assert_eq!(batch_1, [1_790_000_001_000, 1_790_000_001_000], "planned in run 2, re-run with its time in run 3");
    let report = verify(&scenario);
    assert!(report.verdict.passed, "{:?}", report.verdict.findings);
    assert_new_timestamp_of_rerun_is_named(scenario);
}

#[test]
fn the_live_log_tells_every_run_of_the_shipped_scenarios_what_it_did() {
    // Goal: on the correct engine, the live log invariant raises no false alarm, with crashes
    // (the trace comes from the observer as a run dies). Method: shipped scenarios with a crash
    // at each point, their invariant violations.
    for name in [
        "tutorial.toml",
        "crashes/during-sink-write_between_part_files.toml",
        "power_loss_after_commit.toml",
        "reach/compaction_and_purge.toml",
    ] {
        let report = verify(&shipped(name));
        let live: Vec<&String> = report.execution.violations.iter().filter(|v| v.contains("live log")).collect();
        assert!(live.is_empty(), "{name}: {live:?}");
        assert!(report.execution.processes.iter().all(|p| !p.events.is_empty()), "{name}: a run said nothing");
    }
}

#[test]
fn with_a_crash_each_batch_keeps_the_model_time_of_the_id_it_got() {
    // Goal: with crashes, a batch's run and files may move but its time may not: the clock gives
    // a time to a batch id. Method: the console tutorial with run 2 crashing after the sink
    // wrote batch 1, so that run 3 re-runs it: it passes on the correct engine, and with the
    // seeded bug `rerun-new-timestamp` the re-run is named against the model's time for batch 1.
    let mut scenario = shipped("tutorial.toml");
    scenario.query.sink = SinkSpec::Named(SinkKind::Console);
    let Step::Run(run_2) = &mut scenario.steps[4] else { panic!("the tutorial's step 5 is run 2") };
    run_2.crash = Some((CrashPoint::AfterSinkWrite, 1));
    let report = verify(&scenario);
    assert!(report.verdict.passed, "{:?}", report.verdict.findings);
    assert_eq!(report.execution.processes[1].crashed, Some((CrashPoint::AfterSinkWrite, 1)));
    assert_new_timestamp_of_rerun_is_named(scenario);
}

/// With the seeded bug `rerun-new-timestamp`, the re-run of batch 1 in run 3 is named against
/// the reference model's clock.
fn assert_new_timestamp_of_rerun_is_named(mut scenario: Scenario) {
    scenario.query.bugs = vec!["rerun-new-timestamp".into()];
    let report = verify(&scenario);
    let named =
        report.verdict.findings.iter().find(|f| f.starts_with("batch 1 (run 3): its rows carry processing_time"));
    let named = named.unwrap_or_else(|| panic!("{:#?}", report.verdict.findings));
    assert!(named.contains("the reference model's clock gives 1790000001000"), "{named}");
}
