//! The model's prediction of a run's free facts (`check/live.rs`): what the sink held at the
//! run's start, so which batches it skips and why; whether the latest offsets file records the
//! plan, so whether the start warns; and whether a batch is due before any new file (Spark's
//! recovery re-runs `offsets/N` without `commits/N`; source-log entries after the latest
//! `logOffset` are taken first), so that the first trigger cannot stop with nothing to do; and
//! which files taken by the source log the input now has at another time (written again).
//!
//! A statement of its own from the checkpoint and the sink as the oracle's readers found them:
//! it must never call the engine's planning, recovery or sink code.

use super::origins::decide;
use crate::check::{HeldAtStart, LogsAtStart, PredictedLive};
use crashpoint_engine::checkpoint::SourceFileEntry;
use crashpoint_engine::engine::Resume;
use std::collections::{BTreeMap, BTreeSet};

/// The prediction for a run that found `logs` in the checkpoint and `held` in the sink, and
/// whose source log took the files `modified` names with another time than the input's now.
pub fn predict_live(logs: &LogsAtStart, held: HeldAtStart, modified: BTreeMap<String, BTreeSet<u64>>) -> PredictedLive {
    let latest_offsets = logs.offsets.keys().next_back().copied();
    let unplanned_offsets = latest_offsets.filter(|_| logs.latest_records_plan == Some(false));
    let rerun = matches!(decide(logs), Some(Resume::Rerun { .. }));
    let batch_due = rerun || logs.untaken.values().any(|entries| !entries.is_empty());
    PredictedLive { held, unplanned_offsets, batch_due, modified }
}

/// The files of the source-log entries `taken` whose time is not `now`'s for them (a file gone
/// is no file written again), each with the batches that took it at another time: Spark's file
/// source remembers a file by its path and time, and tells of a new time.
pub fn modified_files(taken: &[SourceFileEntry], now: impl Fn(&str) -> Option<i64>) -> BTreeMap<String, BTreeSet<u64>> {
    let mut modified: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    for entry in taken {
        if now(&entry.path).is_some_and(|mtime_ms| mtime_ms != entry.timestamp) {
            modified.entry(entry.path.clone()).or_default().insert(entry.batch_id);
        }
    }
    modified
}

#[cfg(test)]
mod tests {
    use super::*;

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
            predict_live(&logs, held(), BTreeMap::new()),
            PredictedLive { held: held(), unplanned_offsets: None, batch_due: false, modified: BTreeMap::new() }
        );
        logs.latest_records_plan = Some(false);
        assert_eq!(predict_live(&logs, held(), BTreeMap::new()).unplanned_offsets, Some(1));
        logs.commits = [0].into();
        assert!(predict_live(&logs, held(), BTreeMap::new()).batch_due, "offsets/1 without commits/1 re-runs");
        logs.commits = [0, 1].into();
        logs.untaken = BTreeMap::from([(2, vec!["file:///in/c.json".to_string()])]);
        assert!(predict_live(&logs, held(), BTreeMap::new()).batch_due, "sources/0/2 is untaken");
    }
}

#[cfg(test)]
mod modified_tests {
    use super::*;

    #[test]
    fn a_file_is_written_again_when_the_input_has_it_at_another_time_than_a_batch_took_it() {
        let entry = |name: &str, timestamp, batch_id| SourceFileEntry {
            path: format!("file:///in/{name}"),
            timestamp,
            batch_id,
        };
        let taken = [entry("a", 10, 0), entry("b", 20, 1), entry("b", 30, 4), entry("gone", 5, 2)];
        let now = |uri: &str| match uri {
            "file:///in/a" => Some(10),
            "file:///in/b" => Some(30),
            _ => None,
        };
        let want = BTreeMap::from([("file:///in/b".to_string(), BTreeSet::from([1]))]);
        assert_eq!(modified_files(&taken, now), want);
    }
}
