//! The model's own statement of Spark's batch-time rule: a new batch's `batchTimestampMs` is
//! the logical clock's start plus its id times the step, shifted as the machine's clock has
//! moved; it is the clock's even before the checkpoint's newest batch (time goes back with a
//! clock gone back: Spark 4.3 keeps no "never before" rule, spark/FINDINGS.md Q26c); a re-run
//! batch keeps the time its `offsets/N` records.
//!
//! The start and step are the engine's default logical clock, restated here as plain data; the
//! arithmetic must never be the engine's (`Clock::batch_timestamp_ms`), or an engine with a
//! wrong clock would agree with itself.

/// Batch 0's time on the logical clock: 2026-09-21T14:13:20Z.
pub(super) const START_MS: i64 = 1_790_000_000_000;
/// The logical clock's step between batch ids.
pub(super) const STEP_MS: i64 = 1_000;

/// The time of new batch `id` on a clock that has gone back `back_ms` since the scenario began
/// (negative: forward), whatever the checkpoint's newest batch time is.
pub(super) fn new_batch_time_ms(id: u64, back_ms: i64) -> i64 {
    START_MS - back_ms + id as i64 * STEP_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_batch_is_on_the_clock_gone_back_or_forward() {
        // (id, clock gone back by, expected)
        let cases: &[(u64, i64, i64)] = &[
            (0, 0, 1_790_000_000_000),
            (3, 0, 1_790_000_003_000),
            // Back ten minutes: batch 3 is ten minutes before the clock's start plus 3 steps,
            // even if batch 2 was written before the clock went back.
            (3, 600_000, 1_789_999_403_000),
            // Forward a year.
            (1, -31_536_000_000, 1_821_536_001_000),
        ];
        for (id, back, expected) in cases {
            assert_eq!(new_batch_time_ms(*id, *back), *expected, "batch {id}, {back} back");
        }
    }

    #[test]
    fn the_model_starts_where_the_engine_clock_is_set_to_start() {
        // The constants are shared as data only: the engine's default start and step.
        let engine = crashpoint_engine::engine::Clock::default();
        assert_eq!((START_MS, STEP_MS), (engine.start_ms, engine.step_ms));
    }
}
