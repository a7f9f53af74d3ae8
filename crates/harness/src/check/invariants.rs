//! Checkpoint invariants, checked after every restart:
//! 1. commits are a prefix of offsets, with no gaps;
//! 2. every input file is in exactly one batch;
//! 3. the sink's log agrees with the commits.

use crashpoint_engine::checkpoint::{Checkpoint, CompactibleLog, SinkFileStatus};
use crashpoint_engine::storage::Storage;
use std::collections::BTreeMap;
use std::path::Path;

/// What the sink keeps that the commits can be compared with.
#[derive(Debug, Clone, Copy)]
pub enum SinkView<'a> {
    /// A file sink with its `_spark_metadata` log in this output directory.
    FileSinkLog(&'a Path),
    /// A table keyed by batch id (memory sink, idempotent foreach-batch).
    BatchIds(&'a [u64]),
    /// The sink keeps nothing to compare (console, naive foreach-batch).
    Nothing,
}

fn ids(log: &crashpoint_engine::checkpoint::MetadataLog, storage: &dyn Storage) -> Result<Vec<u64>, String> {
    log.files(storage).map(|files| files.iter().map(|f| f.id).collect()).map_err(|e| e.to_string())
}

fn gaps(name: &str, ids: &[u64]) -> Vec<String> {
    ids.windows(2)
        .filter(|w| w[1] != w[0] + 1)
        .map(|w| format!("{name}/ has a gap: batch {} is followed by batch {}", w[0], w[1]))
        .collect()
}

/// Checks the checkpoint at `root` against the sink. Returns the violations, in words.
pub fn check_invariants(storage: &dyn Storage, root: &Path, sink: SinkView<'_>) -> Vec<String> {
    let checkpoint = Checkpoint::new(root);
    let (offsets, commits) = match (ids(&checkpoint.offsets, storage), ids(&checkpoint.commits, storage)) {
        (Ok(o), Ok(c)) => (o, c),
        (Err(e), _) | (_, Err(e)) => return vec![e],
    };
    let mut violations = commits_prefix_of_offsets(&offsets, &commits);
    violations.extend(each_file_in_one_batch(storage, &checkpoint));
    // A checkpoint no query has started on (no `metadata`, no batch) has nothing to agree
    // with: an old output beside it is the user's to keep, and the engine refuses to write
    // batches it already holds.
    let started = storage.exists(&checkpoint.metadata_path()) || !offsets.is_empty() || !commits.is_empty();
    if started {
        violations.extend(sink_agrees_with_commits(storage, sink, &offsets, &commits));
    }
    violations
}

fn commits_prefix_of_offsets(offsets: &[u64], commits: &[u64]) -> Vec<String> {
    let mut violations = gaps("offsets", offsets);
    violations.extend(gaps("commits", commits));
    let retained_from = offsets.first().copied().unwrap_or(0);
    for id in commits.iter().filter(|c| **c >= retained_from && !offsets.contains(c)) {
        violations.push(format!("commits/{id} exists without offsets/{id}"));
    }
    if let (Some(o), Some(c)) = (offsets.last(), commits.last())
        && c + 1 < *o
    {
        violations.push(format!("offsets/{o} is more than one batch ahead of the latest commit commits/{c}"));
    }
    if let (Some(o), None) = (offsets.last(), commits.last())
        && *o > 0
    {
        violations.push(format!("offsets/{o} exists but no batch is committed"));
    }
    violations
}

fn each_file_in_one_batch(storage: &dyn Storage, checkpoint: &Checkpoint) -> Vec<String> {
    let entries = match checkpoint.sources.all_entries(storage) {
        Ok(entries) => entries,
        Err(e) => return vec![e.to_string()],
    };
    let mut batches: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for entry in &entries {
        batches.entry(&entry.path).or_default().push(entry.batch_id);
    }
    batches
        .into_iter()
        .filter(|(_, ids)| ids.len() > 1)
        .map(|(path, ids)| format!("{path} is in more than one batch: {ids:?}"))
        .collect()
}

fn sink_agrees_with_commits(
    storage: &dyn Storage,
    sink: SinkView<'_>,
    offsets: &[u64],
    commits: &[u64],
) -> Vec<String> {
    let sink_ids: Vec<u64> = match sink {
        SinkView::Nothing => return Vec::new(),
        SinkView::BatchIds(ids) => ids.to_vec(),
        SinkView::FileSinkLog(dir) => {
            let log: CompactibleLog<SinkFileStatus> = CompactibleLog::new(dir.join("_spark_metadata"), "sink log");
            match log.log().latest(storage) {
                Ok(latest) => latest.map(|l| (0..=l).collect()).unwrap_or_default(),
                Err(e) => return vec![e.to_string()],
            }
        }
    };
    let mut violations = Vec::new();
    if let Some(c) = commits.iter().find(|c| !sink_ids.contains(c)) {
        violations.push(format!("batch {c} is committed but the sink has no record of it: its output is lost"));
    }
    let latest_offsets = offsets.last().copied();
    if let Some(s) = sink_ids.iter().find(|s| latest_offsets.is_none_or(|o| **s > o)) {
        violations.push(format!(
            "the sink has batch {s} but offsets/ ends at {}: the sink is ahead of the checkpoint, holding a batch \
             the checkpoint does not record (its offsets were lost, or the sink was written before them), so a \
             new batch {s} would be skipped and its rows lost",
            latest_offsets.map_or("nothing".to_string(), |o| o.to_string())
        ));
    }
    violations
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_cases() {
        let cases: &[(&[u64], &[u64], usize)] = &[
            (&[], &[], 0),
            (&[0], &[], 0),
            (&[0, 1], &[0], 0),
            (&[0, 1], &[0, 1], 0),
            (&[0, 1, 2], &[0], 1),
            (&[0, 2], &[0, 2], 2),
            (&[0], &[0, 1], 1),
            (&[0, 1], &[], 1),
        ];
        for (offsets, commits, expected) in cases {
            let found = commits_prefix_of_offsets(offsets, commits);
            assert_eq!(found.len(), *expected, "{offsets:?} {commits:?}: {found:?}");
        }
    }

    #[test]
    fn sink_cases() {
        let storage = crashpoint_engine::storage::SimStorage::new(0);
        assert!(sink_agrees_with_commits(&storage, SinkView::BatchIds(&[0, 1]), &[0, 1], &[0, 1]).is_empty());
        let lost = sink_agrees_with_commits(&storage, SinkView::BatchIds(&[0]), &[0, 1], &[0, 1]);
        assert!(lost[0].contains("batch 1 is committed but the sink has no record"), "{lost:?}");
        let ahead = sink_agrees_with_commits(&storage, SinkView::BatchIds(&[0, 1, 2]), &[0], &[0]);
        assert!(ahead[0].contains("sink is ahead"), "{ahead:?}");
    }
}
