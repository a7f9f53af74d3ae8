//! Recovery properties over generated workloads and crash schedules, and the round trip of
//! scenarios through their TOML form (which reproducers depend on).
//!
//! Goal: the correct engine recovers from every generated crash schedule (power losses
//! included), and every scenario the harness can make can be written out and read back as the
//! same scenario. Method: proptest over `scenario_strategy(vec![], true)`, the fuzzer's own
//! strategy, with a fixed seed and no persistence so that runs are reproducible; plus a wider
//! strategy of every step kind with arbitrary strings for the round trip, and the shipped
//! scenario files.

use crashpoint_engine::engine::Trigger;
use crashpoint_engine::faults::CrashPoint;
use crashpoint_engine::plan::Step as PlanStep;
use crashpoint_engine::source::SourceOptions;
use crashpoint_harness::explore::{scenario_strategy, still_fails};
use crashpoint_harness::scenario::{
    FileContent, NamedPlan, PlanSpec, QueryChange, RunStep, Scenario, SinkKind, Step, verify,
};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use std::path::Path;

fn config(cases: u32, seed: u64) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, rng_seed: RngSeed::Fixed(seed), ..ProptestConfig::default() }
}

/// Renders `scenario` and parses it back under another path; returns the parsed scenario.
fn round_trip(scenario: &Scenario) -> Result<Scenario, TestCaseError> {
    let toml = scenario.to_toml();
    Scenario::parse(Path::new("round-trip.toml"), &toml)
        .map_err(|e| TestCaseError::fail(format!("the rendered scenario does not parse: {e}\n{toml}")))
}

fn assert_same_scenario(parsed: &Scenario, original: &Scenario) -> Result<(), TestCaseError> {
    let toml = original.to_toml();
    prop_assert_eq!(&parsed.steps, &original.steps, "the steps change through TOML:\n{}", toml);
    prop_assert_eq!(&parsed.query, &original.query, "the query changes through TOML:\n{}", toml);
    prop_assert_eq!(&parsed.description, &original.description, "the description changes through TOML");
    prop_assert_eq!(parsed.seed, original.seed);
    prop_assert_eq!(&parsed.expect, &original.expect, "the expectations change through TOML:\n{}", toml);
    Ok(())
}

proptest! {
    #![proptest_config(config(256, 0x5eed_0001))]

    #[test]
    fn generated_workloads_with_crashes_and_power_losses_recover_exactly_once(
        scenario in scenario_strategy(vec![], true)
    ) {
        // Goal: the correct engine keeps every sink's promise whatever the workload and crash
        // schedule: exactly-once sinks equal the oracle, at-least-once sinks lose nothing, and
        // the invariants hold after every restart. Method: `still_fails`, the fuzzer's property,
        // on 64 generated scenarios; a failure prints the scenario file and the findings.
        if still_fails(&scenario) {
            let report = verify(&scenario);
            prop_assert!(
                false,
                "violation: {:?} {:?} {:?}\n{}",
                report.verdict.findings,
                report.execution.violations,
                report.execution.problems,
                scenario.to_toml()
            );
        }
    }
}

proptest! {
    #![proptest_config(config(256, 0x5eed_0002))]

    #[test]
    fn generated_scenarios_render_to_toml_that_parses_back_to_the_same_scenario(
        scenario in scenario_strategy(vec!["no-fsync".to_string()], true)
    ) {
        // Goal: a fuzz reproducer written with `to_toml` replays the case that was found. Method:
        // render 256 generated scenarios (a seeded bug and power losses included), parse them
        // back and compare steps, query, description, seed and expectations (not the path).
        let parsed = round_trip(&scenario)?;
        assert_same_scenario(&parsed, &scenario)?;
    }

    #[test]
    fn steps_of_every_kind_with_arbitrary_strings_render_to_toml_that_parses_back_unchanged(
        steps in prop::collection::vec(any_step(), 0..=6),
        description in text(),
        sink in prop::sample::select(vec![
            SinkKind::Console, SinkKind::File, SinkKind::Memory,
            SinkKind::ForeachBatch, SinkKind::ForeachBatchIdempotent,
            SinkKind::SqliteIdempotent, SinkKind::SqliteAppend,
        ]),
        plan in plan_spec(),
        source in source_options(),
    ) {
        // Goal: `to_toml` is the inverse of `parse` for every step the format has, not only
        // those the fuzzer makes: quotes, backslashes, newlines, control and non-ASCII characters
        // in names and texts, crashes with hits, power losses, expected errors, query changes.
        // Method: a strategy over every `Step` variant that `parse` accepts; round trip; compare.
        let mut scenario = base_scenario();
        scenario.description = description;
        scenario.steps = steps;
        scenario.query.sink = sink.into();
        scenario.query.plan = plan;
        scenario.query.source = source;
        let parsed = round_trip(&scenario)?;
        assert_same_scenario(&parsed, &scenario)?;
    }
}

/// Any string, control characters, quotes, backslashes and non-ASCII included.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "(?s).{0,12}",
        "[a-z_0-9./\"'\\\\ \t\n\r#=\\[\\]{}]{0,12}",
        Just("'''".to_string()),
        Just("\"\"\"".to_string()),
        Just("\n".to_string()),
    ]
}

/// An input file name: any characters but path separators (the parser rejects paths).
fn file_name() -> impl Strategy<Value = String> {
    prop_oneof!["(?s)[^/\\\\]{1,12}", "[a-z_0-9.\"' #=]{1,12}"].prop_filter("not . or ..", |n| n != "." && n != "..")
}

/// A checkpoint path: relative segments that stay inside the checkpoint.
fn checkpoint_path() -> impl Strategy<Value = String> {
    prop::collection::vec(file_name(), 1..=3).prop_map(|segments| segments.join("/"))
}

fn content() -> impl Strategy<Value = FileContent> {
    prop_oneof![
        prop::collection::vec(text(), 0..=3).prop_map(FileContent::Lines),
        text().prop_map(FileContent::Text),
        (any::<u32>(), any::<u32>())
            .prop_map(|(events, seed)| FileContent::Generate { events: events.into(), seed: seed.into() }),
    ]
}

fn run_step() -> impl Strategy<Value = RunStep> {
    let trigger = prop::option::of(prop_oneof![Just(Trigger::AvailableNow), Just(Trigger::Once)]);
    let crash = prop::option::of((prop::sample::select(CrashPoint::ALL.to_vec()), 1u32..=1000, any::<bool>()));
    (any::<bool>(), trigger, crash, prop::option::of(text())).prop_map(|(restart, trigger, crash, expect_error)| {
        RunStep {
            restart,
            trigger: trigger.map(Into::into),
            crash: crash.map(|(point, hit, _)| (point, hit)),
            power_loss: crash.is_some_and(|(_, _, loss)| loss),
            expect_error,
            ..RunStep::default()
        }
    })
}

fn plan_spec() -> impl Strategy<Value = PlanSpec> {
    let step = prop_oneof![
        ("[a-z]{1,6}(\\.[a-z]{1,6}){0,2}", "[a-z_]{1,6}")
            .prop_map(|(column, alias)| PlanStep::Explode { column, alias }),
        "[a-z_]{1,6}".prop_map(|alias| PlanStep::ProcessingTime { alias }),
        Just(PlanStep::Select {
            columns: vec!["eventId".parse().unwrap(), "device.deviceId as device_id".parse().unwrap()]
        }),
        prop::sample::select(vec!["temp > 20", "eventId = \"e1\"", "device_id is not null", "t <= -1.5"])
            .prop_map(|c| PlanStep::Filter { condition: c.parse().unwrap() }),
    ];
    prop_oneof![
        Just(PlanSpec::Named(NamedPlan::Tutorial)),
        Just(PlanSpec::Named(NamedPlan::TutorialWithoutTime)),
        prop::collection::vec(step, 0..=3).prop_map(PlanSpec::Steps),
    ]
}

fn source_options() -> impl Strategy<Value = SourceOptions> {
    prop::option::of(1i64..=100)
        .prop_map(|max_files_per_trigger| SourceOptions { max_files_per_trigger, ..SourceOptions::default() })
}

fn any_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (file_name(), content()).prop_map(|(name, content)| Step::Add { name, content }),
        (file_name(), content()).prop_map(|(name, content)| Step::Modify { name, content }),
        file_name().prop_map(|name| Step::Redrop { name }),
        (file_name(), file_name()).prop_map(|(from, to)| Step::Rename { from, to }),
        file_name().prop_map(|name| Step::Remove { name }),
        run_step().prop_map(Step::Run),
        checkpoint_path().prop_map(|path| Step::Delete { path }),
        (checkpoint_path(), text()).prop_map(|(path, with)| Step::Corrupt { path, with }),
        (checkpoint_path(), any::<u32>()).prop_map(|(path, bytes)| Step::Truncate { path, bytes: bytes.into() }),
        Just(Step::DeleteCheckpoint),
        (file_name(), any::<i64>()).prop_map(|(name, shift_ms)| Step::Touch { name, shift_ms }),
        (1..=i64::MAX as u64).prop_map(|ms| Step::ClockBack { ms }),
        (checkpoint_path(), text()).prop_map(|(path, with)| Step::Write { path, with }),
        (prop::option::of(plan_spec()), prop::option::of(source_options()))
            .prop_map(|(plan, source)| Step::ChangeQuery(QueryChange { plan, source, checkpoint: None })),
    ]
}

fn base_scenario() -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/tutorial.toml");
    Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_shipped_scenario_file_renders_to_toml_that_parses_back_to_the_same_scenario() {
    // Goal: `to_toml` handles every construct the shipped scenarios use (explicit plans,
    // expectations, corrupt/truncate/change-query steps). Method: load, render, parse, compare.
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let files = crashpoint_harness::scenario::scenario_files(&[folder]).expect("scenarios/ is readable");
    assert!(files.len() >= 20, "only {} scenario files", files.len());
    for path in files {
        let scenario = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let parsed = round_trip(&scenario).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Err(e) = assert_same_scenario(&parsed, &scenario) {
            panic!("{}: {e}", path.display());
        }
    }
}
