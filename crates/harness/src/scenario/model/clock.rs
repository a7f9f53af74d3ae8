//! The model's own statement of Spark's batch-time rule: a new batch's `batchTimestampMs` is
//! the logical clock's start plus its id times the step, but never before the previous batch's
//! time plus a step (time does not go back, even on a checkpoint Spark wrote with its wall
//! clock, or on a machine whose clock has gone back since); a re-run batch keeps the time its
//! `offsets/N` records.
//!
//! The start and step are the engine's default logical clock, restated here as plain data; the
//! arithmetic must never be the engine's (`Clock::batch_timestamp_ms`), or an engine with a
//! wrong clock would agree with itself.

/// Batch 0's time on the logical clock: 2026-09-21T14:13:20Z.
pub(super) const START_MS: i64 = 1_790_000_000_000;
/// The logical clock's step between batch ids.
pub(super) const STEP_MS: i64 = 1_000;

/// The time of new batch `id`, after a batch at `previous_ms` (the newest in the checkpoint),
/// on a clock that has gone back `back_ms` since the scenario began.
pub(super) fn new_batch_time_ms(id: u64, previous_ms: Option<i64>, back_ms: i64) -> i64 {
    let on_clock = START_MS - back_ms + id as i64 * STEP_MS;
    previous_ms.map_or(on_clock, |previous| on_clock.max(previous + STEP_MS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_batch_is_on_the_clock_and_never_before_the_previous_plus_a_step() {
        // (id, previous, clock gone back by, expected)
        let cases: &[(u64, Option<i64>, i64, i64)] = &[
            (0, None, 0, 1_790_000_000_000),
            (3, None, 0, 1_790_000_003_000),
            (3, Some(1_790_000_002_000), 0, 1_790_000_003_000),
            (1, Some(1_790_000_005_000), 0, 1_790_000_006_000),
            (0, Some(1_900_000_000_000), 0, 1_900_000_001_000),
            // The clock went back a minute: after batch 2, batch 3 is a step after it, not on
            // the clock a minute before it.
            (3, Some(1_790_000_002_000), 60_000, 1_790_000_003_000),
            (3, None, 60_000, 1_789_999_943_000),
            // Back by less than a step: the clock wins again.
            (5, Some(1_790_000_002_000), 500, 1_790_000_004_500),
        ];
        for (id, previous, back, expected) in cases {
            assert_eq!(
                new_batch_time_ms(*id, *previous, *back),
                *expected,
                "batch {id} after {previous:?}, {back} back"
            );
        }
    }

    #[test]
    fn the_model_starts_where_the_engine_clock_is_set_to_start() {
        // The constants are shared as data only: the engine's default start and step.
        let engine = crashpoint_engine::engine::Clock::default();
        assert_eq!((START_MS, STEP_MS), (engine.start_ms, engine.step_ms));
    }
}
