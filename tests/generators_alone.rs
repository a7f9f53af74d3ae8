//! The generators on their own: `explore` over shipped scenarios and `fuzz` from a fixed seed,
//! judged only by their own oracle (the reference model and the invariants), with no snapshot
//! and no hand-written expectation. This is the "generators" side of the mutation score in
//! BENCHMARKS.md: `benches/mutants/run.sh` mutates the engine and counts a mutant as killed by
//! the generators when this test fails, next to whether `cargo test` fails.
//!
//! Ignored by default (about 1-2 min in debug); on the correct engine it must pass, which is
//! itself a check: the generators raise no false alarm on any shipped scenario they explore.
//! Run it with `cargo test --test generators_alone -- --ignored`.

use crashpoint_harness::explore::{ExploreOptions, FuzzOptions, Shard, explore, fuzz};
use crashpoint_harness::scenario::Scenario;
use std::path::Path;

/// Shipped scenarios that between them reach every crash point, the file and console sinks,
/// compaction and purge, dead letters in a re-run, modification times, a clock gone back or jumped forward (a checkpoint a year behind it), a second query, one
/// engine triggered again, another
/// query holding the output or the checkpoint (and dying), the user's repair after a refusal, part
/// files of one batch and a failing disk (the set `.ci/run` explores, and a few more), and each kind of the
/// user's tampering that `fuzz` draws (an older commit or offsets file deleted, a stale `.crc`, the two
/// refusals, a log file a newer Spark wrote, one that is no log, a file sink behind its commits, query
/// options out of their rules, run triggers and task-layout values as a user may spell them, a
/// `metadata` that is no query id), and an offsets file as Spark writes it (no plan fingerprint:
/// the start's one free warning, which no fuzz case draws),
/// so that no kill rests on the one fuzz case that draws it. Not here:
/// `reach/max_file_age_left_files` and `reach/max_file_age_processing_time`, whose rows depend on
/// where a crash falls (a restart lists the input afresh, and a touched file that the age window
/// forgot is read again whole, in Spark too), so that a crash schedule cannot be judged against
/// the crash-free model.
const SCENARIOS: &[&str] = &[
    "tutorial.toml",
    "tutorial_file_sink_crash_free.toml",
    "bad_input_permissive.toml",
    "power_loss_after_commit.toml",
    "reach/compaction_and_purge.toml",
    "reach/compact_interval_changed.toml",
    "reach/dead_letters_rerun.toml",
    "reach/held_orphans.toml",
    "reach/line_limit.toml",
    "reach/clock_back.toml",
    "reach/clock_forward.toml",
    "reach/mtimes.toml",
    "reach/second_query.toml",
    "reach/output_held.toml",
    "reach/repaired_after_tampering.toml",
    "reach/sink_log_broken.toml",
    "reach/skipped_names.toml",
    "reach/max_file_age.toml",
    "reach/max_file_age_same_run.toml",
    "reach/max_file_age_default.toml",
    "reach/arrive_during_run.toml",
    "reach/arrive_available_now.toml",
    "reach/triggered_again.toml",
    "reach/subdirectories.toml",
    "reach/partition_directory.toml",
    "reach/plan_names.toml",
    "reach/older_commit_deleted.toml",
    "reach/older_offsets_deleted.toml",
    "reach/stale_crc.toml",
    "reach/commit_newer_than_offsets.toml",
    "reach/commits_trail_offsets.toml",
    "reach/newer_spark_commit.toml",
    "reach/newer_spark_offsets.toml",
    "reach/offsets_from_spark.toml",
    "reach/offsets_not_a_log.toml",
    "reach/sink_log_deleted.toml",
    "reach/bad_option_values.toml",
    "reach/spelled_options.toml",
    "reach/newer_spark_source_log.toml",
    "reach/metadata_broken.toml",
    "reach/task_layout.toml",
    "reach/stray_log_files.toml",
    "reach/input_dir_gone.toml",
    "reach/unread_files_kept.toml",
    "crashes/during-sink-write_between_part_files.toml",
    "regressions/dead_letters_survive_power_loss.toml",
    "regressions/metadata_durable_before_new_batches.toml",
    "disk/disk_full_writing_a_part_file.toml",
    "disk/fsync_failed_then_power_loss.toml",
    "disk/offsets_renamed_without_dir_fsync.toml",
];

/// Inputs at the engine's limits, too big to explore in full in debug (every schedule reads a
/// 16 MiB line): their crash-free run, judged by the model, and a quarter of the depth-1 crashes.
const AT_THE_LIMITS: &[&str] = &["reach/long_line.toml"];

/// Scenarios long enough to reach Spark's default compaction (batch 9 of a query that sets no
/// `compact-interval`): explored as the inputs at the limits are, since their many batches make
/// every schedule long. Fuzz cases have too few batches to reach it.
const LONG_RUNS: &[&str] = &["reach/default_compaction.toml"];

/// Shipped scenarios of the file sink's part files (several tasks, a gap where a task made no
/// row, an empty `part-00000`, a crash between two part files, a disk full while writing one),
/// explored again with `gather-rows = true`: the file sink behind a wrapper that names no part
/// format, handed gathered rows, a path of its own that must write what the encoded one writes.
const GATHERED: &[&str] = &[
    "reach/task_layout.toml",
    "crashes/during-sink-write_between_part_files.toml",
    "disk/disk_full_writing_a_part_file.toml",
];

/// Fuzz cases from one fixed seed, with power losses.
const FUZZ_CASES: u32 = 500;
const FUZZ_SEED: u64 = 1;

fn shipped(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(name);
    Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// Depth 1 with every crash state of every power loss (at most 8 per crash) and every storage
/// operation failed once; no shrinking: only "does anything fail" counts here.
fn depth_1() -> ExploreOptions {
    ExploreOptions {
        depth: 1,
        threads: 2,
        power_loss: true,
        io_errors: true,
        crash_states_max: 8,
        reproducers_max: 0,
        ..ExploreOptions::default()
    }
}

/// Explores `scenario` and names what it found, if anything.
fn violations(name: &str, options: &ExploreOptions) -> Vec<String> {
    violations_of(name, &shipped(name), options)
}

fn violations_of(name: &str, scenario: &Scenario, options: &ExploreOptions) -> Vec<String> {
    let outcome = explore(scenario, options, &|_, _| {});
    assert!(outcome.schedules_run > 0 || outcome.crash_free, "{name}: explore ran no schedule");
    outcome.violations.iter().take(3).map(|v| format!("{name}: {:?}", v.findings)).collect()
}

/// Explores shipped scenario `name` with its file sink handed gathered rows.
fn gathered_violations(name: &str, options: &ExploreOptions) -> Vec<String> {
    let mut scenario = shipped(name);
    scenario.query.gather_rows = true;
    violations_of(&format!("{name} (gather-rows)"), &scenario, options)
}

#[test]
#[ignore = "the generators' side of the mutation score: run with --ignored"]
fn explore_and_fuzz_find_nothing_on_the_engine() {
    // Goal: every generator, on its own oracle, passes the engine as built. Method: explore each
    // shipped scenario at depth 1 (power losses and I/O errors; the part-file ones again with
    // gathered rows), the tutorial at depth 2 with
    // power losses, the inputs at the limits and the long runs at depth 1 (a quarter of the
    // crashes), and fuzz FUZZ_CASES cases; collect every violation before failing.
    let mut found: Vec<String> = SCENARIOS.iter().flat_map(|name| violations(name, &depth_1())).collect();
    found.extend(GATHERED.iter().flat_map(|name| gathered_violations(name, &depth_1())));
    let depth_2 = ExploreOptions { depth: 2, io_errors: false, crash_states_max: 4, ..depth_1() };
    found.extend(violations("tutorial.toml", &depth_2));
    let quarter =
        ExploreOptions { power_loss: false, io_errors: false, shard: Shard { index: 1, count: 4 }, ..depth_1() };
    found.extend(AT_THE_LIMITS.iter().chain(LONG_RUNS).flat_map(|name| violations(name, &quarter)));
    let options =
        FuzzOptions { cases: FUZZ_CASES, seed: FUZZ_SEED, power_loss: true, shrink: false, ..FuzzOptions::default() };
    if let Some(failure) = fuzz(&options).failure {
        found.push(format!("fuzz --seed {FUZZ_SEED}: {:?}\n{}", failure.findings, failure.scenario.to_toml()));
    }
    assert!(found.is_empty(), "the generators found {} violation(s):\n{}", found.len(), found.join("\n"));
}
