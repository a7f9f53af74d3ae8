//! Invariant 8: the live log's account of how a run resumes and where each batch comes from is
//! true. A run's `start query` line says how it resumes (fresh, continue at N, re-run N), and
//! each `batch N (origin, sources/0/…)` line says the batch's id, why it takes its files (a
//! re-run of `offsets/N` without `commits/N`; source-log entries the offsets log lacks, with or
//! without new files; new files) and the source-log batches it covers. Each is held to what the
//! reference model predicts from the checkpoint as the run found it on the disk (read here, by
//! the oracle's own reader), so this holds with crashes, power losses and tampering too: the
//! source log runs ahead of the offsets log exactly after a crash between `sources/0/K` and
//! `offsets/N`, or after `offsets/N` was deleted.
//!
//! What each event's words carry, and who judges it: `Started`'s query id (`query_id.rs`) and
//! resume (here, and its words in `words.rs`); `BatchPlanned`'s id, origin and source-log range
//! (here), its files (the model's batches for a crash-free run, `history.rs` against the source
//! log, and the untaken entries here); `BadRecords`' dead-letter file, first line and count
//! (`words.rs`); `ReadAsNull`'s first value and count (`words.rs`); `SinkWrote`'s rows
//! (`trace.rs`, against the sink); `SinkSkipped` (`trace.rs`, and its reason in `live.rs`);
//! `Committed` (`trace.rs`); `SkippedUncommitted` (`trace.rs`); `SourceNotice`'s misread names
//! and files too old (`notices.rs`), entries not read (`unread_dirs.rs`) and files written
//! again, with the batch that took them (`live.rs`); a free `Warning` and `Idle` (`live.rs`);
//! `Crashed` (`trace.rs`). Every field of every event has its judge.
//!
//! It reads, never repairs; the prediction is the model's, never the engine's.

use super::spark_log::{batch_entries, batch_files, log_offset, records_plan};
use crashpoint_engine::checkpoint::{SourceFileEntry, SourceRange};
use crashpoint_engine::engine::{Event, Resume};
use crashpoint_engine::storage::Storage;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The checkpoint's logs as a run's start finds them on the disk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogsAtStart {
    /// Each offsets file by batch id, with its `logOffset` (`None`: it records none, or cannot
    /// be read).
    pub offsets: BTreeMap<u64, Option<u64>>,
    /// The commits' batch ids.
    pub commits: BTreeSet<u64>,
    /// The newest source-log batch id (a compaction counts).
    pub source_latest: Option<u64>,
    /// The file URIs of each source-log batch after the latest offsets file's `logOffset`: what
    /// a next batch takes before any new file. A batch that cannot be read is absent.
    pub untaken: BTreeMap<u64, Vec<String>>,
    /// Whether the latest offsets file records the plan it ran (`None`: no such file, or it
    /// cannot be read).
    pub latest_records_plan: Option<bool>,
}

impl LogsAtStart {
    /// Reads the logs under the checkpoint `root` (nothing when it is not there).
    pub fn read(storage: &dyn Storage, root: &Path) -> Self {
        let ids = |log: &str| -> Vec<u64> {
            batch_files(storage, &root.join(log)).map(|f| f.iter().map(|b| b.id).collect()).unwrap_or_default()
        };
        let offsets: BTreeMap<u64, Option<u64>> =
            ids("offsets").into_iter().map(|id| (id, log_offset(storage, root, id))).collect();
        let source_latest = ids("sources/0").into_iter().max();
        // A next batch starts where the latest one ended (a re-run's next, too).
        let latest = offsets.values().next_back().copied().flatten();
        let first = latest.map_or(0, |k| k + 1);
        let sources = root.join("sources/0");
        let mut untaken = BTreeMap::new();
        if let Some(last) = source_latest {
            for id in first..=last {
                let entries = batch_entries::<SourceFileEntry>(storage, &sources, id).ok().flatten();
                if let Some(entries) = entries {
                    untaken.insert(id, entries.into_iter().map(|e| e.path).collect());
                }
            }
        }
        let latest_records_plan = offsets.keys().next_back().and_then(|id| records_plan(storage, root, *id));
        let commits = ids("commits").into_iter().collect();
        LogsAtStart { offsets, commits, source_latest, untaken, latest_records_plan }
    }
}

/// Why a batch takes its files, as the live log words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// New files only.
    NewFiles,
    /// `offsets/N` without `commits/N`: its recorded range again.
    Rerun,
    /// Source-log entries no batch took (the offsets log lacks them), and no new file.
    SourceLogAhead,
    /// Those entries, and new files after them.
    SourceLogAheadAndNewFiles,
}

impl Origin {
    /// The live log's words for it.
    pub fn words(self) -> &'static str {
        match self {
            Origin::NewFiles => "new files",
            Origin::Rerun => "re-run",
            Origin::SourceLogAhead => "source log ahead of offsets",
            Origin::SourceLogAheadAndNewFiles => "source log ahead of offsets, and new files",
        }
    }
}

/// What the model predicts of one batch a run plans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PredictedBatch {
    /// Its id.
    pub id: u64,
    /// Why it takes its files.
    pub origin: Origin,
    /// The source-log batches it covers; `None` when the disk did not say (a log file gone).
    pub sources: Option<SourceRange>,
    /// The source-log entries it must take first, in order (URIs); `None` when unknown.
    pub untaken: Option<Vec<String>>,
}

/// What the model predicts of a run: how its start resumes, and each batch it plans, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PredictedRun {
    /// `None`: the start must refuse the checkpoint (it has no `Started` event to judge).
    pub resume: Option<Resume>,
    /// One per batch the run planned.
    pub batches: Vec<PredictedBatch>,
}

/// The files of each batch a run planned, in order: what the model is told to predict from (a
/// batch's files beyond the untaken entries are its new files).
pub fn planned_files(events: &[Event]) -> Vec<&[String]> {
    events
        .iter()
        .filter_map(|e| if let Event::BatchPlanned { files, .. } = e { Some(files.as_slice()) } else { None })
        .collect()
}

/// Holds the run's `Started` and `BatchPlanned` events to the model's prediction. Returns the
/// findings, in words.
pub fn judge_origins(events: &[Event], predicted: &PredictedRun) -> Vec<String> {
    let mut findings = Vec::new();
    let mut batches = predicted.batches.iter();
    for event in events {
        match event {
            Event::Started { resume, .. } => match predicted.resume {
                Some(want) if want != *resume => findings.push(format!(
                    "the run's start says '{resume}', but the checkpoint it found says: {want} (the latest offsets \
                     and commit decide, as in Spark)"
                )),
                None => findings.push(format!(
                    "the run's start says '{resume}', but the checkpoint it found has offsets and commits no run may \
                     start from"
                )),
                Some(_) => {}
            },
            Event::BatchPlanned { id, files, origin, sources } => {
                if let Some(want) = batches.next() {
                    findings.extend(batch_finding(*id, files, origin, *sources, want));
                }
            }
            _ => {}
        }
    }
    findings
}

fn batch_finding(id: u64, files: &[String], origin: &str, sources: SourceRange, want: &PredictedBatch) -> Vec<String> {
    let mut findings = Vec::new();
    if id != want.id {
        findings.push(format!(
            "the live log plans batch {id}, but the checkpoint the run found makes the next batch {}",
            want.id
        ));
        return findings;
    }
    if origin != want.origin.words() {
        findings.push(format!(
            "the live log says batch {id} comes from '{origin}', but it is '{}': {}",
            want.origin.words(),
            why(want)
        ));
    }
    if let Some(range) = want.sources.filter(|range| *range != sources) {
        findings.push(format!(
            "the live log says batch {id} covers {sources}, but by the checkpoint the run found it covers {range} \
             (after logOffset {}, through {})",
            show(range.after),
            show(range.through)
        ));
    }
    if let Some(untaken) = &want.untaken
        && !files.starts_with(untaken)
    {
        findings.push(format!(
            "batch {id} takes [{}], but it must first take the source-log entries no batch took: [{}]",
            names(files),
            names(untaken)
        ));
    }
    findings
}

/// Why the model predicts `batch`'s origin, in words.
fn why(batch: &PredictedBatch) -> String {
    let id = batch.id;
    match batch.origin {
        Origin::Rerun => format!("offsets/{id} has no commit, so the batch runs again with its recorded files"),
        Origin::NewFiles => "no source-log entry was left untaken, so every file is new".to_string(),
        Origin::SourceLogAhead | Origin::SourceLogAheadAndNewFiles => {
            let new =
                if batch.origin == Origin::SourceLogAhead { "and no new file" } else { "and new files after them" };
            let untaken = batch.untaken.as_deref().map_or_else(String::new, |u| format!(" ({})", names(u)));
            format!("it takes source-log entries that no offsets file covers{untaken}, {new}")
        }
    }
}

fn show(offset: Option<u64>) -> String {
    offset.map_or_else(|| "none".to_string(), |k| k.to_string())
}

fn names(uris: &[String]) -> String {
    uris.iter().map(|u| crashpoint_engine::uri::file_name_of(u)).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "file:///in/a.json";
    const B: &str = "file:///in/b.json";

    fn planned(id: u64, files: &[&str], origin: &'static str, after: Option<u64>, through: u64) -> Event {
        let files = files.iter().map(|f| f.to_string()).collect();
        Event::BatchPlanned { id, files, origin, sources: SourceRange { after, through: Some(through) } }
    }

    fn ahead() -> PredictedRun {
        let batch = PredictedBatch {
            id: 2,
            origin: Origin::SourceLogAheadAndNewFiles,
            sources: Some(SourceRange { after: Some(1), through: Some(3) }),
            untaken: Some(vec![A.to_string()]),
        };
        PredictedRun { resume: Some(Resume::Continue { next: 2 }), batches: vec![batch] }
    }

    #[test]
    fn a_live_log_that_tells_the_predicted_start_and_batches_passes() {
        let started = Event::Started { query_id: "q".into(), resume: Resume::Continue { next: 2 } };
        let events = [started, planned(2, &[A, B], "source log ahead of offsets, and new files", Some(1), 3)];
        assert_eq!(judge_origins(&events, &ahead()), Vec::<String>::new());
        assert_eq!(planned_files(&events), [&[A.to_string(), B.to_string()][..]]);
    }

    #[test]
    fn each_untrue_word_of_a_start_or_a_batch_is_a_finding() {
        // Goal: an origin, a range, an id, a resume or the untaken entries the checkpoint does
        // not bear out are each a finding that says what is true. Method: hand-made events
        // against one prediction (batch 2 takes sources/0/2, then a new file as sources/0/3).
        let judge = |event: Event| judge_origins(&[event], &ahead());
        let found = judge(planned(2, &[A, B], "new files", Some(1), 3));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("the live log says batch 2 comes from 'new files', but it is 'source log ahead of offsets, and new files': it takes source-log entries that no offsets file covers (a.json), and new files after them"), "{found:?}");
        let found = judge(planned(2, &[A, B], "source log ahead of offsets, and new files", Some(2), 3));
        assert!(
            found[0].contains("covers sources/0/3, but by the checkpoint the run found it covers sources/0/2..3"),
            "{found:?}"
        );
        let found = judge(planned(2, &[B, A], "source log ahead of offsets, and new files", Some(1), 3));
        assert!(found[0].contains("batch 2 takes [b.json, a.json], but it must first take"), "{found:?}");
        let found = judge(planned(3, &[A], "new files", Some(1), 3));
        assert_eq!(found, ["the live log plans batch 3, but the checkpoint the run found makes the next batch 2"]);
        let found = judge(Event::Started { query_id: "q".into(), resume: Resume::Rerun { batch: 1 } });
        assert!(found[0].contains("says 'offsets/1 has no commit: re-run batch 1', but the checkpoint it found says: batch 1 committed: continue at batch 2"), "{found:?}");
        let refused =
            judge_origins(&[Event::Started { query_id: "q".into(), resume: Resume::Fresh }], &PredictedRun::default());
        assert!(refused[0].contains("has offsets and commits no run may start from"), "{refused:?}");
    }
}
