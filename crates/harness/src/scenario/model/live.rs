//! The model's prediction of a run's free facts (`check/live.rs`): what the sink held at the
//! run's start, so which batches it skips and why; whether the latest offsets file records the
//! plan, so whether the start warns; and whether a batch is due before any new file (Spark's
//! recovery re-runs `offsets/N` without `commits/N`; source-log entries after the latest
//! `logOffset` are taken first), so that the first trigger cannot stop with nothing to do.
//!
//! A statement of its own from the checkpoint and the sink as the oracle's readers found them:
//! it must never call the engine's planning, recovery or sink code.

use super::origins::decide;
use crate::check::{HeldAtStart, LogsAtStart, PredictedLive};
use crashpoint_engine::engine::Resume;

/// The prediction for a run that found `logs` in the checkpoint and `held` in the sink.
pub fn predict_live(logs: &LogsAtStart, held: HeldAtStart) -> PredictedLive {
    let latest_offsets = logs.offsets.keys().next_back().copied();
    let unplanned_offsets = latest_offsets.filter(|_| logs.latest_records_plan == Some(false));
    let rerun = matches!(decide(logs), Some(Resume::Rerun { .. }));
    let batch_due = rerun || logs.untaken.values().any(|entries| !entries.is_empty());
    PredictedLive { held, unplanned_offsets, batch_due }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn a_batch_is_due_for_a_rerun_or_untaken_entries_and_a_warning_for_an_unrecorded_plan() {
        let mut logs = LogsAtStart {
            offsets: BTreeMap::from([(0, Some(0)), (1, Some(1))]),
            commits: [0, 1].into(),
            source_latest: Some(1),
            latest_records_plan: Some(true),
            ..LogsAtStart::default()
        };
        let held = || HeldAtStart::Unjudged;
        assert_eq!(
            predict_live(&logs, held()),
            PredictedLive { held: held(), unplanned_offsets: None, batch_due: false }
        );
        logs.latest_records_plan = Some(false);
        assert_eq!(predict_live(&logs, held()).unplanned_offsets, Some(1));
        logs.commits = [0].into();
        assert!(predict_live(&logs, held()).batch_due, "offsets/1 without commits/1 re-runs");
        logs.commits = [0, 1].into();
        logs.untaken = BTreeMap::from([(2, vec!["file:///in/c.json".to_string()])]);
        assert!(predict_live(&logs, held()).batch_due, "sources/0/2 is untaken");
    }
}
