//! The crash-point contract: each crash point is hit a documented number of times per batch
//! (README, "Crash points"), so that `crash = "during-sink-write", hit = 3` names one place. The
//! reference model states each run's hits from the scenario (batches, new files, re-runs, the
//! sink's part files); this check holds the engine's counted hits of every run that the model
//! finishes, up to the first faulted run, to them.
//!
//! Per batch, as documented: `before-source-log-write` once when the batch found new files;
//! `before-offsets-write` and `after-offsets-write` once for a new batch (a re-run writes no
//! offsets); `during-sink-write` once when the sink writes the batch (the file sink: between
//! every two part files and once after the last), never when the sink holds it; `after-sink-write`
//! and `after-commit-write` once; `during-log-write` and `before-log-dir-sync` once per log file
//! written (`metadata`, `sources/0/K`, `offsets/N`, `_spark_metadata/N`, `commits/N`).
//!
//! A check only reads: it never takes a count from the engine's own constants or code.

use crashpoint_engine::faults::CrashPoint;
use std::collections::BTreeMap;

/// The hits the model states for one run, with the batches that explain them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunHits {
    /// The run, from 1.
    pub run: u32,
    /// How often each crash point is hit; a point absent is hit 0 times.
    pub hits: BTreeMap<CrashPoint, u32>,
    /// Each batch of the run, in words (`batch 1: new files, 2 part files`), for the finding.
    pub batches: Vec<String>,
}

impl RunHits {
    /// A run with no hit yet.
    pub fn new(run: u32) -> Self {
        Self { run, ..Self::default() }
    }

    /// One hit of `point`.
    pub fn hit(&mut self, point: CrashPoint) {
        self.hit_times(point, 1);
    }

    /// `times` hits of `point`.
    pub fn hit_times(&mut self, point: CrashPoint, times: u32) {
        if times > 0 {
            *self.hits.entry(point).or_insert(0) += times;
        }
    }

    /// One log file written atomically: its temp file before the rename, its rename before the
    /// directory's fsync.
    pub fn log_write(&mut self) {
        self.hit(CrashPoint::DuringLogWrite);
        self.hit(CrashPoint::BeforeLogDirSync);
    }
}

/// Holds each run's counted hits (run, hits) to the model's, on the `judged` points only (a
/// user's sink hits `during-sink-write` as it likes). A run the model does not state (it fails,
/// or it is not compared) is left out. Returns the findings, in words.
pub fn judge_crash_points(
    expected: &[RunHits],
    judged: &[CrashPoint],
    counted: &[(u32, &BTreeMap<CrashPoint, u32>)],
) -> Vec<String> {
    let mut findings = Vec::new();
    for (run, hits) in counted {
        let Some(want) = expected.iter().find(|w| w.run == *run) else { continue };
        let wrong: Vec<String> = judged
            .iter()
            .filter_map(|point| {
                let (got, owed) = (hits.get(point).copied().unwrap_or(0), want.hits.get(point).copied().unwrap_or(0));
                (got != owed).then(|| format!("{point} {got} time(s) where the contract says {owed}"))
            })
            .collect();
        if !wrong.is_empty() {
            findings.push(format!(
                "run {run} hit {}: a scenario's `crash = POINT, hit = K` then names another place than the \
                 README's table of crash points says ({})",
                wrong.join(", "),
                if want.batches.is_empty() { "no batch".to_string() } else { want.batches.join("; ") }
            ));
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run of one new batch with new files, written by a sink in `parts` part files.
    fn one_batch(run: u32, parts: u32) -> RunHits {
        let mut hits = RunHits::new(run);
        hits.log_write();
        hits.hit(CrashPoint::BeforeSourceLogWrite);
        hits.log_write();
        hits.hit(CrashPoint::BeforeOffsetsWrite);
        hits.log_write();
        hits.hit(CrashPoint::AfterOffsetsWrite);
        hits.hit_times(CrashPoint::DuringSinkWrite, parts.max(1));
        hits.log_write();
        hits.hit(CrashPoint::AfterSinkWrite);
        hits.log_write();
        hits.hit(CrashPoint::AfterCommitWrite);
        hits.batches.push(format!("batch 0: new files, {parts} part file(s)"));
        hits
    }

    #[test]
    fn a_run_that_hits_each_point_as_documented_passes() {
        let want = one_batch(1, 3);
        assert_eq!(want.hits[&CrashPoint::DuringLogWrite], 5, "metadata, source log, offsets, sink log, commit");
        assert!(judge_crash_points(std::slice::from_ref(&want), &CrashPoint::ALL, &[(1, &want.hits)]).is_empty());
        assert!(judge_crash_points(std::slice::from_ref(&want), &CrashPoint::ALL, &[(2, &BTreeMap::new())]).is_empty());
    }

    #[test]
    fn an_extra_hit_after_the_last_part_file_is_named() {
        // Goal: the file sink's `during-sink-write` after the last part file and before it
        // again (one hit too many, as `k + 1 <= count` gives) is a finding that names the
        // point, both counts and the batch. Method: hand-made counts, one hit more.
        let want = one_batch(1, 2);
        let mut got = want.hits.clone();
        *got.get_mut(&CrashPoint::DuringSinkWrite).unwrap() += 1;
        let found = judge_crash_points(&[want], &CrashPoint::ALL, &[(1, &got)]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("run 1 hit during-sink-write 3 time(s) where the contract says 2"), "{found:?}");
        assert!(found[0].contains("batch 0: new files, 2 part file(s)"), "{found:?}");
    }

    #[test]
    fn a_missing_log_write_or_an_unjudged_point_behaves_as_stated() {
        let want = one_batch(1, 1);
        let mut got = want.hits.clone();
        got.insert(CrashPoint::BeforeLogDirSync, 4);
        let found = judge_crash_points(std::slice::from_ref(&want), &CrashPoint::ALL, &[(1, &got)]);
        assert!(found[0].contains("before-log-dir-sync 4 time(s) where the contract says 5"), "{found:?}");
        got = want.hits.clone();
        got.insert(CrashPoint::DuringSinkWrite, 7);
        let judged: Vec<CrashPoint> =
            CrashPoint::ALL.into_iter().filter(|p| *p != CrashPoint::DuringSinkWrite).collect();
        assert!(judge_crash_points(&[want], &judged, &[(1, &got)]).is_empty(), "a user's sink is not judged there");
    }
}
