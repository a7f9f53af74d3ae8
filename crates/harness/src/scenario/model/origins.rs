//! The model's prediction of how a run starts and where each batch it plans comes from, from the
//! checkpoint as the run found it on the disk: Spark's recovery decision from the latest offsets
//! and commit, then the file source's offset (the newest source-log batch) against where the last
//! batch ended. A batch whose range the offsets log lacks takes those source-log entries first
//! (with or without new files); a re-run takes its recorded range again.
//!
//! A statement of its own, written from the protocol (README, Spark's `MicroBatchExecution` and
//! `FileStreamSource`): it must never call the engine's recovery or planning code. It is told the
//! files each batch took, and reads from them only whether the batch found new files (those after
//! the untaken entries): which new files a listing finds is the crash-free model's to judge.

use crate::check::{LogsAtStart, Origin, PredictedBatch, PredictedRun};
use crashpoint_engine::checkpoint::SourceRange;
use crashpoint_engine::engine::Resume;

/// The prediction for a run that found `logs` at its start and planned batches with `planned`'s
/// files, in order.
pub fn predict_run(logs: &LogsAtStart, planned: &[&[String]]) -> PredictedRun {
    let Some(resume) = decide(logs) else { return PredictedRun::default() };
    let latest_offsets = logs.offsets.keys().next_back().copied();
    let mut state = Where {
        next: 0,
        after: latest_offsets.and_then(|l| logs.offsets[&l]),
        latest: logs.source_latest,
        known: true,
    };
    let mut batches = Vec::new();
    for (index, files) in planned.iter().enumerate() {
        let batch = match resume {
            Resume::Rerun { batch } if index == 0 => state.rerun(logs, batch),
            Resume::Continue { next } if index == 0 => {
                state.next = next;
                state.new_batch(logs, files)
            }
            _ => state.new_batch(logs, files),
        };
        batches.push(batch);
    }
    PredictedRun { resume: Some(resume), batches }
}

/// Spark's decision from the latest offsets L and the latest commit C; `None` where it refuses.
pub(super) fn decide(logs: &LogsAtStart) -> Option<Resume> {
    let latest = logs.offsets.keys().next_back().copied();
    let commit = logs.commits.iter().next_back().copied();
    match (latest, commit) {
        (None, None) => Some(Resume::Fresh),
        (None, Some(_)) => None,
        (Some(l), Some(c)) if c == l => Some(Resume::Continue { next: l + 1 }),
        (Some(0), None) => Some(Resume::Rerun { batch: 0 }),
        (Some(l), Some(c)) if c + 1 == l => Some(Resume::Rerun { batch: l }),
        _ => None,
    }
}

/// Where the run stands between batches: the next batch id, the `logOffset` the last batch
/// ended at, and the file source's offset (the newest source-log batch).
struct Where {
    next: u64,
    after: Option<u64>,
    latest: Option<u64>,
    /// False once a range could not be read off the disk: later ranges are not predicted.
    known: bool,
}

impl Where {
    /// Batch `id` again: its range is from the batch before it through its own `logOffset`.
    fn rerun(&mut self, logs: &LogsAtStart, id: u64) -> PredictedBatch {
        let through = logs.offsets.get(&id).copied().flatten();
        let after = match id.checked_sub(1) {
            None => Some(None),
            Some(previous) => logs.offsets.get(&previous).copied(),
        };
        let sources = after.filter(|_| through.is_some()).map(|after| SourceRange { after, through });
        self.known = through.is_some();
        self.moved_to(through, id);
        PredictedBatch { id, origin: Origin::Rerun, sources, untaken: None }
    }

    /// A new batch: the source log's entries after the last batch's `logOffset` first, then any
    /// new files, which become the next source-log batch.
    fn new_batch(&mut self, logs: &LogsAtStart, files: &[String]) -> PredictedBatch {
        let id = self.next;
        let untaken = self.untaken(logs);
        let took_new = untaken.as_ref().is_some_and(|u| files.len() > u.len());
        let origin = match untaken.as_ref().map(Vec::is_empty) {
            Some(false) if took_new => Origin::SourceLogAheadAndNewFiles,
            Some(false) => Origin::SourceLogAhead,
            _ => Origin::NewFiles,
        };
        let new_files = took_new || origin == Origin::NewFiles;
        let through = if new_files { Some(self.latest.map_or(0, |l| l + 1)) } else { self.latest };
        let sources = (self.known && untaken.is_some()).then_some(SourceRange { after: self.after, through });
        self.known &= untaken.is_some();
        self.moved_to(through, id);
        PredictedBatch { id, origin, sources, untaken }
    }

    /// The entries of the source-log batches after the last batch's `logOffset`, in order;
    /// `None` when the disk did not say.
    fn untaken(&self, logs: &LogsAtStart) -> Option<Vec<String>> {
        if !self.known {
            return None;
        }
        let Some(latest) = self.latest.filter(|l| Some(*l) > self.after) else { return Some(Vec::new()) };
        let first = self.after.map_or(0, |a| a + 1);
        (first..=latest).map(|id| logs.untaken.get(&id).cloned()).collect::<Option<Vec<_>>>().map(|v| v.concat())
    }

    fn moved_to(&mut self, through: Option<u64>, id: u64) {
        self.after = through;
        self.latest = self.latest.max(through);
        self.next = id + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    fn logs(offsets: &[(u64, u64)], commits: &[u64], sources: &[(u64, &[&str])]) -> LogsAtStart {
        let uris = |names: &[&str]| names.iter().map(|n| format!("file:///in/{n}")).collect();
        LogsAtStart {
            offsets: offsets.iter().map(|(id, k)| (*id, Some(*k))).collect(),
            commits: commits.iter().copied().collect::<BTreeSet<_>>(),
            source_latest: sources.iter().map(|(id, _)| *id).max(),
            untaken: sources.iter().map(|(id, names)| (*id, uris(names))).collect::<BTreeMap<_, _>>(),
            latest_records_plan: None,
        }
    }

    fn files(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| format!("file:///in/{n}")).collect()
    }

    fn origins(run: &PredictedRun) -> Vec<(u64, &'static str)> {
        run.batches.iter().map(|b| (b.id, b.origin.words())).collect()
    }

    #[test]
    fn each_origin_from_the_checkpoint_a_run_finds() {
        // Goal: the four origins, each from the checkpoint shape that makes it: offsets/1 without
        // commits/1 re-runs; sources/0/2 without offsets/2 is taken alone or before new files;
        // nothing ahead means new files. Method: hand-made logs and the files each batch took.
        let rerun = logs(&[(0, 0), (1, 1)], &[0], &[(0, &["a"]), (1, &["b"])]);
        let (b, c) = (files(&["b"]), files(&["c"]));
        let run = predict_run(&rerun, &[&b, &c]);
        assert_eq!(run.resume, Some(Resume::Rerun { batch: 1 }));
        assert_eq!(origins(&run), [(1, "re-run"), (2, "new files")]);
        assert_eq!(run.batches[0].sources, Some(SourceRange { after: Some(0), through: Some(1) }));
        assert_eq!(run.batches[1].sources, Some(SourceRange { after: Some(1), through: Some(2) }));
        let ahead = logs(&[(0, 0), (1, 1)], &[0, 1], &[(0, &["a"]), (1, &["b"]), (2, &["c"])]);
        let (c, cd) = (files(&["c"]), files(&["c", "d"]));
        let alone = predict_run(&ahead, &[&c]);
        assert_eq!(alone.resume, Some(Resume::Continue { next: 2 }));
        assert_eq!(origins(&alone), [(2, "source log ahead of offsets")]);
        assert_eq!(alone.batches[0].sources, Some(SourceRange { after: Some(1), through: Some(2) }));
        assert_eq!(alone.batches[0].untaken, Some(files(&["c"])));
        let with_new = predict_run(&ahead, &[&cd]);
        assert_eq!(origins(&with_new), [(2, "source log ahead of offsets, and new files")]);
        assert_eq!(with_new.batches[0].sources, Some(SourceRange { after: Some(1), through: Some(3) }));
        let fresh = predict_run(&logs(&[], &[], &[(0, &["a"])]), &[&files(&["a"]), &files(&["b"])]);
        assert_eq!(fresh.resume, Some(Resume::Fresh));
        assert_eq!(origins(&fresh), [(0, "source log ahead of offsets"), (1, "new files")]);
    }

    #[test]
    fn a_checkpoint_no_run_starts_from_predicts_nothing() {
        for (offsets, commits) in [(&[][..], &[0][..]), (&[(0, 0), (1, 1), (2, 2)], &[0]), (&[(0, 0)], &[0, 1])] {
            assert_eq!(predict_run(&logs(offsets, commits, &[]), &[]), PredictedRun::default(), "{offsets:?}");
        }
    }
}
