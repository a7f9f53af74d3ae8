//! Invariants that need the run's own history, not only the checkpoint as it is now:
//! 4. the files a batch ran with are exactly the source log's entries for its `logOffset`
//!    range, read from `offsets/N` (as Spark and a restart read them);
//! 5. every committed batch's files stay in the source log, through compaction and purge: a
//!    file the log forgets is new again to the next run.

use super::spark_log;
use crashpoint_engine::checkpoint::SourceFileEntry;
use crashpoint_engine::storage::Storage;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A batch as a run planned it: its id and the URIs of its files.
pub type RanBatch = (u64, Vec<String>);

/// Invariant 4, for the batches one run planned, against the checkpoint as the run left it.
/// Batch N reads the source log's batches `(K', K]`, where K is `offsets/N`'s `logOffset` and
/// K' that of `offsets/N-1` (−1 for batch 0). A batch without `offsets/N` (its run crashed
/// before writing it) is not checked, nor one whose `offsets/N-1` was purged.
pub fn check_batch_files(storage: &dyn Storage, root: &Path, ran: &[RanBatch]) -> Vec<String> {
    let sources = root.join("sources/0");
    let mut violations = Vec::new();
    for (id, files) in ran {
        let Some(end) = spark_log::log_offset(storage, root, *id) else { continue };
        let start = match id.checked_sub(1) {
            None => Some(0),
            Some(previous) => spark_log::log_offset(storage, root, previous).map(|k| k + 1),
        };
        let Some(start) = start else { continue };
        let mut recorded = BTreeSet::new();
        for source_batch in start..=end {
            let entries: Vec<SourceFileEntry> =
                spark_log::batch_entries(storage, &sources, source_batch).ok().flatten().unwrap_or_default();
            recorded.extend(entries.into_iter().map(|e| e.path));
        }
        let ran: BTreeSet<String> = files.iter().cloned().collect();
        if ran != recorded {
            violations.push(format!(
                "batch {id} ran with [{}], but offsets/{id} records logOffset {end}, and the source log's batches \
                 {start}..={end} hold [{}]: a restart, or Spark, would run this batch with other files",
                names(&ran),
                names(&recorded)
            ));
        }
    }
    violations
}

fn names(uris: &BTreeSet<String>) -> String {
    let names: Vec<&str> = uris.iter().map(|u| u.rsplit('/').next().unwrap_or(u)).collect();
    names.join(", ")
}

/// Invariant 5: every file of a committed batch (batch id → URIs) is still in the source log.
pub fn check_committed_files(
    storage: &dyn Storage,
    root: &Path,
    committed: &BTreeMap<u64, Vec<String>>,
) -> Vec<String> {
    if committed.is_empty() {
        return Vec::new();
    }
    let logged: BTreeSet<String> = match spark_log::all_entries::<SourceFileEntry>(storage, &root.join("sources/0")) {
        Ok(entries) => entries.into_iter().map(|e| e.path).collect(),
        Err(e) => return vec![e.to_string()],
    };
    let mut violations = Vec::new();
    for (id, files) in committed {
        let lost: BTreeSet<String> = files.iter().filter(|f| !logged.contains(*f)).cloned().collect();
        if !lost.is_empty() {
            violations.push(format!(
                "batch {id} is committed, but the source log no longer records its file(s) [{}] (lost through \
                 compaction or purge?): the next run takes them as new and processes them again",
                names(&lost)
            ));
        }
    }
    violations
}
