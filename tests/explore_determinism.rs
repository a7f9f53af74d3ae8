//! Exploration is deterministic: its result depends on the scenario and the options that name
//! the work (depth, power loss and crash states, I/O errors, seed), never on how the work is
//! spread (threads, shards).
//!
//! Goal: a CI matrix of shards, a laptop with 2 cores and a server with 64 report the same
//! schedules and the same violations, and a fuzz seed printed in a bug report reproduces it.
//! Method: explore the tutorial with a seeded bug (so that the violation list is not empty) with
//! power losses (every crash state, with a small limit so that some are sampled) at depth 2 with
//! 1 and 4 threads and at depth 1 in 3 shards, and compare; fuzz twice with one seed.

use crashpoint_engine::faults::CrashPoint;
use crashpoint_harness::bugs::Bug;
use crashpoint_harness::explore::{ExploreOptions, ExploreOutcome, FuzzOptions, FuzzOutcome, Shard, explore, fuzz};
use crashpoint_harness::scenario::{InjectedCrash, Scenario};
use std::collections::BTreeMap;
use std::path::Path;

/// Finds violations at depth 1 and at depth 2, but not in every schedule.
const BUG: Bug = Bug::CommitBeforeSink;

fn tutorial_with_bug() -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/tutorial.toml");
    let mut scenario = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    scenario.query.bugs.push(BUG.name().to_string());
    scenario
}

fn options(depth: u32, threads: usize, shard: Shard, reproducers_max: usize) -> ExploreOptions {
    // At most 3 crash states per crash: some crashes have more, so the seeded sample is used.
    let (power_loss, crash_states_max, seed) = (true, 3, 5);
    ExploreOptions { depth, threads, shard, power_loss, crash_states_max, seed, reproducers_max, ..Default::default() }
}

/// A violation as the comparable pair (crashes, findings).
type Found = (Vec<InjectedCrash>, Vec<String>);

fn found(outcome: &ExploreOutcome) -> Vec<Found> {
    outcome.violations.iter().map(|v| (v.injection.crashes.clone(), v.findings.clone())).collect()
}

#[test]
fn explore_gives_the_same_schedules_coverage_violations_and_reproducers_with_1_and_4_threads() {
    // Goal: the thread count changes only the speed. Method: explore depth 2 with power losses
    // and a seeded bug on 1 and on 4 threads; compare every field, the violations in order, and
    // the TOML of the shrunk reproducers byte for byte.
    let scenario = tutorial_with_bug();
    let one = explore(&scenario, &options(2, 1, Shard::default(), 2), &|_, _| {});
    let four = explore(&scenario, &options(2, 4, Shard::default(), 2), &|_, _| {});
    assert!(!one.violations.is_empty(), "{BUG} must give violations for this test to mean something");
    assert!(one.crash_states.sampled > 0, "the limit of 3 crash states must make some crashes sample");
    assert_eq!(one.first_faults_total, four.first_faults_total);
    assert_eq!(one.schedules_run, four.schedules_run);
    assert_eq!(one.crash_states, four.crash_states);
    assert_eq!(one.cycles, four.cycles);
    assert_eq!(one.coverage, four.coverage);
    assert_eq!(found(&one), found(&four), "the violations differ between 1 and 4 threads");
    let toml = |o: &ExploreOutcome| -> Vec<Option<String>> {
        o.violations.iter().map(|v| v.reproducer.as_ref().map(Scenario::to_toml)).collect()
    };
    assert_eq!(toml(&one), toml(&four), "the reproducers differ between 1 and 4 threads");
    assert_eq!(toml(&one).iter().flatten().count(), 2, "reproducers_max = 2 shrinks the first two");
}

#[test]
fn explore_shards_1_2_3_of_3_together_run_exactly_the_schedules_of_1_of_1() {
    // Goal: a CI matrix of N shards neither skips nor repeats a schedule. Method: explore depth 1
    // (shards split the first faults alike at any depth) as 1/1 and as 1/3, 2/3, 3/3; every shard knows the same number of first faults and takes
    // an even share of them, the schedules and crash states add up, the coverage counts add up,
    // and the union of the violations is the 1/1 list (as multisets).
    let scenario = tutorial_with_bug();
    let whole = explore(&scenario, &options(1, 2, Shard::default(), 0), &|_, _| {});
    assert_eq!(whole.first_faults_run, whole.first_faults_total);
    assert!(!whole.violations.is_empty(), "{BUG} must give violations for this test to mean something");
    let shards: Vec<ExploreOutcome> =
        (1..=3).map(|index| explore(&scenario, &options(1, 2, Shard { index, count: 3 }, 0), &|_, _| {})).collect();

    for (k, shard) in shards.iter().enumerate() {
        assert_eq!(shard.first_faults_total, whole.first_faults_total, "shard {}/3 sees another total", k + 1);
        assert!(shard.schedules_run > 0, "shard {}/3 runs nothing", k + 1);
        assert!(
            shard.first_faults_run.abs_diff(whole.first_faults_total / 3) <= 1,
            "shard {}/3 takes {} of {} first faults: the shares are not even",
            k + 1,
            shard.first_faults_run,
            whole.first_faults_total
        );
    }
    let run: usize = shards.iter().map(|s| s.schedules_run).sum();
    assert_eq!(run, whole.schedules_run, "the shards together run another number of schedules");
    let explored: usize = shards.iter().map(|s| s.crash_states.explored).sum();
    assert_eq!(explored, whole.crash_states.explored, "the shards together try other crash states");

    let mut coverage: BTreeMap<CrashPoint, usize> = BTreeMap::new();
    for shard in &shards {
        for (point, count) in &shard.coverage.crashes_by_point {
            *coverage.entry(*point).or_default() += count;
        }
    }
    assert_eq!(coverage, whole.coverage.crashes_by_point, "the shards' coverage does not add up");

    let mut union: Vec<Found> = shards.iter().flat_map(found).collect();
    let mut expected = found(&whole);
    union.sort();
    expected.sort();
    assert_eq!(union.len(), expected.len(), "the shards find another number of violations");
    assert_eq!(union, expected, "the shards find other violations than 1/1");
}

fn fuzz_with(seed: u64) -> FuzzOutcome {
    fuzz(&FuzzOptions {
        cases: 300,
        seed,
        bugs: vec![BUG.name().to_string()],
        power_loss: true,
        sink: None,
        shrink: true,
    })
}

/// The outcome in comparable form: passes, findings and the reproducer's TOML.
fn fuzz_summary(outcome: &FuzzOutcome) -> (u32, Option<(Vec<String>, String)>) {
    let failure = outcome.failure.as_ref().map(|f| (f.findings.clone(), f.scenario.to_toml()));
    (outcome.cases_passed, failure)
}

#[test]
fn fuzz_with_the_same_seed_gives_the_same_outcome_and_a_byte_identical_reproducer() {
    // Goal: `crashpoint fuzz --seed S` reproduces a reported failure exactly. Method: fuzz twice
    // with each of three seeds and a seeded bug; compare passes, findings and reproducer TOML.
    // Then check that the seed is used at all: the three seeds must not all give one outcome.
    let mut outcomes = Vec::new();
    for seed in [1, 2, 3] {
        let first = fuzz_summary(&fuzz_with(seed));
        let second = fuzz_summary(&fuzz_with(seed));
        assert!(first.1.is_some(), "seed {seed}: fuzz must find {BUG} for this test to mean something");
        assert_eq!(first, second, "seed {seed} gives two outcomes");
        outcomes.push(first);
    }
    assert!(
        outcomes.iter().any(|o| *o != outcomes[0]),
        "seeds 1, 2 and 3 give the same outcome: is the seed ignored? {outcomes:#?}"
    );
}
