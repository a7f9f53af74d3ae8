//! The file sink's log (`_spark_metadata`) as a user may break it: which of its files a run
//! reads at its start, and what overwriting one does. The engine reads every file from the
//! newest compaction on when it opens the sink (so that it commits no batch over a log its
//! readers cannot read); Spark 4.3 reads none of them at a restart and goes on writing
//! (`spark/FINDINGS.md` Q23b, declared in `scenarios/reach/sink_log_broken.toml`).
//!
//! It states the rule itself, from the batches the model's sink holds; it must never ask the
//! engine which files it reads.

use super::Model;
use super::state::SinkState;
use crate::check::Cause;

/// True if batch `id` of a log compacted every `interval` batches is written as `id.compact`.
fn is_compaction(id: u64, interval: u64) -> bool {
    (id + 1).is_multiple_of(interval)
}

/// True if `file` is `path` or inside it (paths relative to the output).
pub(super) fn under(file: &str, path: &str) -> bool {
    file == path || file.strip_prefix(path).is_some_and(|rest| rest.starts_with('/'))
}

impl Model {
    /// The user overwrites a file of the output with `with`. In the file sink's log: a file
    /// that is not there stays absent (nothing is written); one that the next start reads and
    /// whose first line is not `v1` becomes unreadable. False where the outcome depends on what
    /// the model does not keep: a file below the newest compaction (kept or expired), content
    /// that still starts with `v1`, any other file of the output.
    pub(super) fn corrupt_output(&mut self, path: &str, with: &str) -> bool {
        let SinkState::File(log) = &self.sink else { return path.starts_with("_spark_metadata/") };
        let Some(name) = path.strip_prefix("_spark_metadata/").filter(|n| !n.contains('/')) else { return false };
        let (id, compact) = match name.strip_suffix(".compact") {
            Some(id) => (id, true),
            None => (name, false),
        };
        let Ok(id) = id.parse::<u64>() else { return false };
        let at = |id: u64| self.sink_intervals.at(id);
        if !log.contains_key(&id) || compact != is_compaction(id, at(id)) {
            return true;
        }
        let newest = log.keys().rev().copied().find(|b| is_compaction(*b, at(*b)));
        if newest.is_some_and(|c| id < c || (id == c && !compact)) {
            return false;
        }
        let first_line = with.split('\n').next().unwrap_or_default();
        if first_line == "v1" || with.is_empty() {
            return false;
        }
        self.sink_unreadable.insert(path.to_string(), first_line.to_string());
        true
    }

    /// A start opens the file sink, which reads its log from the newest compaction on: a file
    /// of it the user made unreadable stops the run (the lowest batch first, as it reads them).
    pub(super) fn sink_log_readable(&self) -> Result<(), Cause> {
        let batch = |path: &String| path.rsplit('/').next().and_then(|n| n.split('.').next()?.parse::<u64>().ok());
        match self.sink_unreadable.iter().min_by_key(|(path, _)| batch(path)) {
            Some((path, first_line)) => {
                Err(Cause::LogUnreadable { path: path.clone(), first_line: first_line.clone() })
            }
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::shipped;
    use super::super::{Unmodelled, expected};
    use crate::check::Cause;
    use crate::scenario::Step;

    fn unreadable(path: &str, first_line: &str) -> Cause {
        Cause::LogUnreadable { path: path.into(), first_line: first_line.into() }
    }

    #[test]
    fn a_broken_sink_log_file_that_a_start_reads_refuses_every_run_until_restored() {
        // Goal: a sink-log file the engine's start reads (no compaction yet: all of them), once
        // the user overwrites it, refuses the next run, naming the file and its first line; the
        // restore puts it back and the run after it goes on. Method: the shipped scenario.
        let expected = expected(&shipped("reach/sink_log_broken.toml")).unwrap();
        let torn = "{\"path\":\"file:///torn";
        assert_eq!(
            expected.failed_runs,
            [(4, unreadable("_spark_metadata/1", "v2")), (5, unreadable("_spark_metadata/0", torn))]
        );
        assert_eq!((expected.rows.len(), expected.last_committed_batch), (3, Some(2)));
    }

    #[test]
    fn a_compacted_batch_has_no_plain_file_and_older_files_are_not_modelled() {
        // Goal: with a compaction every 2 batches, batch 1 is `1.compact`: overwriting
        // `_spark_metadata/1` writes nothing and no run is refused, while overwriting
        // `_spark_metadata/0`, below the newest compaction (kept or expired, never read at a
        // start), is a step the model does not claim to know. Method: the shipped scenario with
        // the interval set to 2.
        let mut scenario = shipped("reach/sink_log_broken.toml");
        scenario.query.checkpoint.compact_interval = Some(2);
        let corrupt_zero =
            scenario.steps.iter().position(|s| matches!(s, Step::CorruptOutput { path, .. } if path.ends_with("/0")));
        match expected(&scenario) {
            Err(Unmodelled { step, .. }) => assert_eq!(Some(step), corrupt_zero.map(|i| i + 1)),
            Ok(e) => panic!("below the newest compaction is not modelled, yet it expected {:?}", e.failed_runs),
        }
        scenario.steps.truncate(corrupt_zero.unwrap());
        let expected = expected(&scenario).unwrap();
        assert_eq!(expected.failed_runs, []);
        assert_eq!(expected.last_committed_batch, Some(2), "run 4 writes batch 2 beside 1.compact");
    }

    #[test]
    fn the_compaction_a_start_reads_refuses_when_broken_and_deleting_the_file_clears_it() {
        // Goal: the newest compaction is read at every start: overwriting `1.compact` refuses
        // the run; deleting the whole `_spark_metadata` instead takes the broken file with it
        // (the run is then refused for the sink behind its commits, not for the broken file).
        // Method: the shipped scenario, interval 2, its first overwrite aimed at `1.compact`.
        let mut scenario = shipped("reach/sink_log_broken.toml");
        scenario.query.checkpoint.compact_interval = Some(2);
        let first = scenario.steps.iter().position(|s| matches!(s, Step::CorruptOutput { .. })).unwrap();
        scenario.steps[first] = Step::CorruptOutput { path: "_spark_metadata/1.compact".into(), with: "v9\n{}".into() };
        scenario.steps.truncate(first + 2);
        assert_eq!(expected(&scenario).unwrap().failed_runs, [(4, unreadable("_spark_metadata/1.compact", "v9"))]);
        scenario.steps.insert(first + 1, Step::DeleteOutput { path: "_spark_metadata".into() });
        let failed = expected(&scenario).unwrap().failed_runs;
        assert!(matches!(failed.as_slice(), [(4, Cause::SinkBehind { held: None, committed: 1 })]), "{failed:?}");
    }
}
