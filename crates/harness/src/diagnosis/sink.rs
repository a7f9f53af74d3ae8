//! The file sink's log beside the checkpoint: torn entries, a log that disagrees with the
//! commits, and part files that disagree with the log.

use super::{Action, Choice, Finding, SinkDir, describe};
use crashpoint_engine::checkpoint::{Checkpoint, CompactibleLog, LogFile, SinkFileStatus};
use crashpoint_engine::storage::Storage;
use crashpoint_engine::uri::path_of;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn log(sink: SinkDir<'_>) -> CompactibleLog<SinkFileStatus> {
    CompactibleLog::new(sink.output.join("_spark_metadata"), "sink log")
}

/// The newest batch in the sink's log.
pub(super) fn latest(storage: &dyn Storage, sink: SinkDir<'_>) -> Option<u64> {
    log(sink).log().latest(storage).ok().flatten()
}

/// Everything wrong between the checkpoint and the sink's log and part files.
pub(super) fn sink_log(storage: &dyn Storage, checkpoint: &Checkpoint, sink: SinkDir<'_>) -> Vec<Finding> {
    let log = log(sink);
    let files = log.log().files(storage).unwrap_or_default();
    let latest_commit = checkpoint.commits.latest(storage).ok().flatten();
    let latest_offsets = checkpoint.offsets.latest(storage).ok().flatten();
    let mut findings = Vec::new();
    let mut listed = BTreeSet::new();
    let mut whole = true;
    for file in &files {
        match log.read_file(storage, *file) {
            Ok(entries) => listed.extend(entries.into_iter().filter(|e| e.action == "add").map(|e| path_of(&e.path))),
            Err(e) => {
                whole = false;
                findings.push(torn(&log, *file, describe(&e), latest_commit, files.last() == Some(file)));
            }
        }
    }
    let sink_latest = files.last().map(|f| f.id);
    findings.extend(against_commits(storage, checkpoint, sink_latest, latest_commit, latest_offsets, sink));
    // With a log file unreadable, which part files it lists is unknown: none is called unlisted.
    if whole {
        findings.extend(part_files(storage, sink, &listed));
    }
    findings
}

fn torn(
    log: &CompactibleLog<SinkFileStatus>,
    file: LogFile,
    problem: String,
    latest_commit: Option<u64>,
    newest: bool,
) -> Finding {
    let uncommitted = latest_commit.is_none_or(|c| c < file.id);
    if newest && uncommitted && !file.compact {
        let effect = format!(
            "delete {}: batch {} has no commit, so the next run writes it again; the part file it wrote before \
             stays, unlisted, and readers of the log never see it",
            log.log().path(file).display(),
            file.id
        );
        let choice =
            Choice::free(format!("delete-sink-log-{}", file.id), effect, vec![Action::Delete(log.log().path(file))]);
        return Finding::repairable(problem, choice);
    }
    Finding::by_hand(
        format!(
            "{problem}. Batch {} is committed, so it does not run again; readers of the output fail on this file",
            file.id
        ),
        "restore it from a backup; or write the query into a new output directory with a new checkpoint".into(),
    )
}

fn against_commits(
    storage: &dyn Storage,
    checkpoint: &Checkpoint,
    sink_latest: Option<u64>,
    latest_commit: Option<u64>,
    latest_offsets: Option<u64>,
    sink: SinkDir<'_>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some(c) = latest_commit.filter(|c| sink_latest.is_none_or(|s| s < *c)) {
        let problem = format!(
            "commits/{c} says batch {c} is done, but the sink log {} ends at {}: the rows of batch {c} are not in \
             the output (was the output replaced, or the query run with another sink?)",
            sink.output.join("_spark_metadata").display(),
            sink_latest.map_or("no batch".to_string(), |s| format!("batch {s}"))
        );
        let mut finding = Finding::by_hand(
            problem,
            "restore the output from a backup, or start over with a new checkpoint and a new output directory".into(),
        );
        if latest_offsets == Some(c) && sink_latest.is_some_and(|s| s + 1 == c) {
            let effect =
                format!("delete commits/{c}: batch {c} runs again with its recorded files and the sink writes it");
            let path = checkpoint.commits.path(LogFile { id: c, compact: false });
            finding.choices.push(Choice::free(format!("rerun-batch-{c}"), effect, vec![Action::Delete(path)]));
        }
        findings.push(finding);
    }
    // One batch id held past the offsets is harmless while the source log has entries no
    // offsets file covers (a crash, or a torn offsets file deleted): the engine gives that
    // batch exactly those entries, and the sink skips it.
    let next = latest_offsets.map_or(0, |o| o + 1);
    let covered = latest_offsets.and_then(|o| checkpoint.read_offsets(storage, o).ok()).and_then(|o| o.log_offset);
    let newest_source = checkpoint.sources.log().latest(storage).ok().flatten();
    let orphans = newest_source.is_some_and(|k| covered.is_none_or(|c| k > c));
    let unplanned = |s: &u64| *s > next || !orphans;
    if let Some(s) = sink_latest.filter(|s| latest_offsets.is_none_or(|o| o < *s)).filter(unplanned) {
        let problem = format!(
            "the sink log {} holds batches up to {s}, but the checkpoint's offsets end at {}: the checkpoint is \
             behind its output (a new or restored checkpoint?). The engine refuses to plan batch ids the sink \
             holds; Spark would plan them and the sink would skip them, losing their rows",
            sink.output.join("_spark_metadata").display(),
            latest_offsets.map_or("nothing".to_string(), |o| format!("batch {o}"))
        );
        findings.push(Finding::by_hand(
            problem,
            "write into a new output directory, or restore the checkpoint that wrote this output".into(),
        ));
    }
    findings
}

fn part_files(storage: &dyn Storage, sink: SinkDir<'_>, listed: &BTreeSet<PathBuf>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for path in listed.iter().filter(|p| !storage.exists(p)) {
        let problem = format!(
            "the sink log lists {}, but it is gone: readers of the output fail on it (Spark: FileNotFoundException)",
            path.display()
        );
        findings.push(Finding::by_hand(problem, "restore the part file from a backup".into()));
    }
    let on_disk = storage.list(sink.output).unwrap_or_default();
    for entry in on_disk.iter().filter(|e| e.is_file() && e.name.starts_with("part-") && !listed.contains(&e.path)) {
        let problem = format!(
            "part file {} is in no sink log entry: a crash during a sink write left it; readers of the log never \
             see it",
            entry.path.display()
        );
        let effect = "delete it: no reader of the log ever reads it".to_string();
        let choice =
            Choice::free("delete-unlisted-part-files".into(), effect, vec![Action::Delete(entry.path.clone())]);
        findings.push(Finding::repairable(problem, choice));
    }
    findings
}
