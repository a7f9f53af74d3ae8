//! The rules of the query's options, stated by the model itself: which values a query may give
//! Spark's checkpoint confs `minBatchesToRetain` and `compactInterval`, `maxFilesPerTrigger`,
//! `maxFileAge`, crashpoint's line limit and the task layout's `spark.sql.files.*` knobs, and the
//! cause of a run refused for one that breaks its rule (Spark refuses `minBatchesToRetain` when
//! the conf is set, the others by the first trigger, `spark/FINDINGS.md` Q8 and Q20). It must
//! never ask the engine whether a value is valid.

use super::Cause;
use crashpoint_engine::checkpoint::CheckpointOptions;
use crashpoint_engine::source::SourceOptions;

/// The checkpoint's knobs as (option, least value allowed, the value the query gives), in the
/// order Spark meets them: the conf `minBatchesToRetain` when it is set, then `compactInterval`.
fn knobs(checkpoint: &CheckpointOptions) -> [(&'static str, i64, Option<i64>); 2] {
    // Spark: "minBatchesToRetain must be positive", "Please set ...compactInterval (was 0) to a
    // positive value."
    [("minBatchesToRetain", 1, checkpoint.min_batches_to_retain), ("compactInterval", 1, checkpoint.compact_interval)]
}

/// (option, least value allowed, the value the query gives), in the order a run checks them.
fn options(source: &SourceOptions) -> [(&'static str, i64, Option<i64>); 6] {
    [
        // Spark: "must be a positive integer".
        ("maxFilesPerTrigger", 1, source.max_files_per_trigger),
        // Spark's `SeenFilesMap` requires `maxAgeMs >= 0`: 0 is a window of no width.
        ("maxFileAge", 0, source.max_file_age_ms),
        // crashpoint's own: a line of 0 bytes or fewer cannot hold a record.
        ("maxLineBytes", 1, source.max_line_bytes),
        // Spark's spark.sql.files.* confs of the task layout (FINDINGS Q24a): Spark refuses a
        // minPartitionNum below 1 when it is set, and fails or loses every row with a
        // maxPartitionBytes below 1; it runs with an openCostInBytes of 0, and with some
        // negative ones loses every row, which crashpoint refuses.
        ("spark.sql.files.maxPartitionBytes", 1, source.max_partition_bytes),
        ("spark.sql.files.openCostInBytes", 0, source.open_cost_in_bytes),
        ("spark.sql.files.minPartitionNum", 1, source.min_partition_num),
    ]
}

/// Why a run of a query with these options is refused before its first batch, if it is: the
/// first option whose value breaks its rule, the checkpoint's knobs first (the session's confs
/// come before the query's options).
pub(super) fn refused(checkpoint: &CheckpointOptions, source: &SourceOptions) -> Option<Cause> {
    knobs(checkpoint).into_iter().chain(options(source)).find_map(|(option, least, value)| {
        value.filter(|v| *v < least).map(|value| Cause::BadOption { option: option.into(), value, least })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_option_is_refused_below_its_least_value_and_only_there() {
        // Goal: the model's rules, value by value at each edge. Method: each option set alone
        // to its least value (taken), one below (refused, named with its value) and far below.
        let set = |i: usize, v: i64| {
            let mut source = SourceOptions::default();
            *[
                &mut source.max_files_per_trigger,
                &mut source.max_file_age_ms,
                &mut source.max_line_bytes,
                &mut source.max_partition_bytes,
                &mut source.open_cost_in_bytes,
                &mut source.min_partition_num,
            ][i] = Some(v);
            source
        };
        assert_eq!(refused(&CheckpointOptions::default(), &SourceOptions::default()), None);
        let rules = [
            ("maxFilesPerTrigger", 1),
            ("maxFileAge", 0),
            ("maxLineBytes", 1),
            ("spark.sql.files.maxPartitionBytes", 1),
            ("spark.sql.files.openCostInBytes", 0),
            ("spark.sql.files.minPartitionNum", 1),
        ];
        for (i, (option, least)) in rules.iter().enumerate() {
            assert_eq!(refused(&CheckpointOptions::default(), &set(i, *least)), None, "{option} = {least}");
            assert_eq!(refused(&CheckpointOptions::default(), &set(i, least + 1)), None, "{option} = {}", least + 1);
            for value in [least - 1, -7_000] {
                let want = Cause::BadOption { option: option.to_string(), value, least: *least };
                assert_eq!(refused(&CheckpointOptions::default(), &set(i, value)), Some(want), "{option} = {value}");
            }
        }
    }

    #[test]
    fn each_checkpoint_knob_is_refused_below_1_before_any_source_option() {
        // Goal: Spark's rule for its checkpoint confs (positive), each alone, and their place
        // before the source's options. Method: 1 is taken, 0 and a negative refused with their
        // value; a bad knob with a bad source option is refused for the knob.
        let set = |i: usize, v: i64| {
            let mut knobs = CheckpointOptions::default();
            *[&mut knobs.min_batches_to_retain, &mut knobs.compact_interval][i] = Some(v);
            knobs
        };
        let source = SourceOptions::default();
        for (i, option) in ["minBatchesToRetain", "compactInterval"].into_iter().enumerate() {
            assert_eq!(refused(&set(i, 1), &source), None, "{option} = 1");
            for value in [0, -3] {
                let want = Cause::BadOption { option: option.into(), value, least: 1 };
                assert_eq!(refused(&set(i, value), &source), Some(want), "{option} = {value}");
            }
        }
        let bad_source = SourceOptions { max_files_per_trigger: Some(0), ..SourceOptions::default() };
        let cause = refused(&set(1, 0), &bad_source);
        assert!(matches!(&cause, Some(Cause::BadOption { option, .. }) if option == "compactInterval"), "{cause:?}");
    }

    #[test]
    fn unset_knobs_are_sparks_defaults_stated_by_the_model() {
        // Goal: the model's own defaults, not the engine's: 10 and 100 when unset, the value
        // given otherwise. Method: unset, given, given as Spark's own numbers.
        let unset = CheckpointOptions::default();
        assert_eq!((super::super::compact_interval(&unset), super::super::min_batches_to_retain(&unset)), (10, 100));
        let given = CheckpointOptions { compact_interval: Some(3), min_batches_to_retain: Some(2) };
        assert_eq!((super::super::compact_interval(&given), super::super::min_batches_to_retain(&given)), (3, 2));
    }
}
