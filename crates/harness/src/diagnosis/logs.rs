//! The checkpoint's own files: torn or unreadable log files, commits missing below the latest,
//! commits trailing the offsets, and temp files left by a crash during a log write.

use super::{Action, Choice, Finding, SinkDir, describe, short};
use crashpoint_engine::checkpoint::{Checkpoint, LogFile, MetadataLog};
use crashpoint_engine::engine::skipped_uncommitted;
use crashpoint_engine::storage::Storage;

/// What the user can always do when no repair is safe.
const START_OVER: &str = "restore it from a backup; or start over with a new checkpoint and a new output \
                          directory (everything is processed again)";

/// Why one log file cannot be read and parsed, if it cannot.
fn unreadable(storage: &dyn Storage, checkpoint: &Checkpoint, log: &MetadataLog, file: LogFile) -> Option<String> {
    let result = if log.dir() == checkpoint.offsets.dir() && !file.compact {
        checkpoint.read_offsets(storage, file.id).map(drop)
    } else if log.dir() == checkpoint.commits.dir() {
        checkpoint.read_commit(storage, file.id).map(drop)
    } else {
        checkpoint.sources.read_file(storage, file).map(drop)
    };
    result.err().map(|e| describe(&e))
}

fn ids(storage: &dyn Storage, log: &MetadataLog) -> Vec<LogFile> {
    log.files(storage).unwrap_or_default()
}

fn delete(log: &MetadataLog, file: LogFile) -> Action {
    Action::Delete(log.path(file))
}

/// Every log file that cannot be read, each with what can be done about it.
pub(super) fn torn_files(storage: &dyn Storage, checkpoint: &Checkpoint, sink: SinkState) -> Vec<Finding> {
    let latest_offsets = checkpoint.offsets.latest(storage).ok().flatten();
    let latest_commit = checkpoint.commits.latest(storage).ok().flatten();
    let mut findings = Vec::new();
    for file in ids(storage, &checkpoint.offsets) {
        if let Some(problem) = unreadable(storage, checkpoint, &checkpoint.offsets, file) {
            let role = match latest_offsets {
                Some(l) if l == file.id && latest_commit == Some(l) => OffsetsRole::LatestCommitted,
                Some(l) if l == file.id => OffsetsRole::Pending,
                Some(l) if l == file.id + 1 && latest_commit != Some(l) => OffsetsRole::BeforePending,
                _ => OffsetsRole::Old,
            };
            findings.push(torn_offsets(storage, checkpoint, file, problem, role, sink));
        }
    }
    for file in ids(storage, &checkpoint.commits) {
        if let Some(problem) = unreadable(storage, checkpoint, &checkpoint.commits, file) {
            findings.push(torn_commit(checkpoint, file, problem));
        }
    }
    let covered = covered_source_log(storage, checkpoint, latest_offsets);
    for file in ids(storage, checkpoint.sources.log()) {
        if let Some(problem) = unreadable(storage, checkpoint, checkpoint.sources.log(), file) {
            let newest = checkpoint.sources.log().latest(storage).ok().flatten() == Some(file.id);
            let ahead = !file.compact && newest && covered.is_none_or(|k| k < file.id);
            findings.push(torn_source_log(checkpoint, file, problem, ahead));
        }
    }
    findings.extend(metadata(storage, checkpoint, latest_offsets.is_some()));
    findings
}

/// What the sink is known to hold, for choices that are free only if it holds a batch.
#[derive(Debug, Clone, Copy)]
pub(super) struct SinkState {
    /// True if the user said where the sink's output is.
    pub(super) known: bool,
    /// The newest batch it holds.
    pub(super) held: Option<u64>,
}

/// Which offsets file is torn, as the next run needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OffsetsRole {
    /// The latest, with no commit: the batch to re-run.
    Pending,
    /// The latest, committed: the next batch starts where it ended.
    LatestCommitted,
    /// The one before a pending batch: the re-run starts where it ended.
    BeforePending,
    /// Older: nothing reads it again.
    Old,
}

/// The newest source-log batch an offsets file covers (its `logOffset`): that of the latest
/// offsets file, or of the one before if the latest cannot be read (a repair deletes it).
fn covered_source_log(storage: &dyn Storage, checkpoint: &Checkpoint, latest_offsets: Option<u64>) -> Option<u64> {
    let l = latest_offsets?;
    match checkpoint.read_offsets(storage, l) {
        Ok(offsets) => offsets.log_offset,
        Err(_) => checkpoint.previous_log_offset(storage, l).ok().flatten(),
    }
}

/// Committed batch `id` has lost its offsets (torn or deleted): deleting its commit (and the
/// torn file) makes the next run plan it again from the source-log entries no offsets file
/// covers. That is exactly batch `id`'s own entries when there is one such source-log batch;
/// with more, which of them it took is unknown, and there is no such choice.
fn replay(storage: &dyn Storage, checkpoint: &Checkpoint, id: u64, torn: bool, sink: SinkState) -> Option<Choice> {
    let before = match id.checked_sub(1) {
        Some(previous) => checkpoint.read_offsets(storage, previous).ok()?.log_offset,
        None => None,
    };
    let newest = checkpoint.sources.log().latest(storage).ok()??;
    if Some(newest) != before.map_or(Some(0), |b| b.checked_add(1)) {
        return None;
    }
    let mut actions = vec![Action::Delete(checkpoint.commits.path(LogFile { id, compact: false }))];
    if torn {
        actions.push(Action::Delete(checkpoint.offsets.path(LogFile { id, compact: false })));
    }
    let effect = format!(
        "delete commits/{id}{}: batch {id} is planned again from sources/0/{newest}, the one source-log batch no \
         offsets file covers, which is exactly what it took; a sink that holds batch {id} skips it",
        if torn { format!(" and offsets/{id}") } else { String::new() }
    );
    let cost = match (sink.known, sink.held.is_some_and(|h| h >= id)) {
        (true, true) => None,
        (true, false) => Some(format!("the sink does not hold batch {id}: it is written again")),
        (false, _) => Some(format!(
            "a sink that keeps no log (the console) gets batch {id} again; a file sink skips it (pass --output to \
             check)"
        )),
    };
    Some(Choice { name: format!("replay-batch-{id}"), effect, cost, actions })
}

fn torn_offsets(
    storage: &dyn Storage,
    checkpoint: &Checkpoint,
    file: LogFile,
    problem: String,
    role: OffsetsRole,
    sink: SinkState,
) -> Finding {
    let log = &checkpoint.offsets;
    let id = file.id;
    match role {
        OffsetsRole::Pending => {
            let effect = format!(
                "delete offsets/{id}: batch {id} has no commit, so the next run plans it again: the source-log \
                 entries no batch has taken, and any new files"
            );
            Finding::repairable(problem, Choice::free(format!("delete-offsets-{id}"), effect, vec![delete(log, file)]))
        }
        OffsetsRole::LatestCommitted => {
            let problem = format!("{problem}. The next batch starts where batch {id} ended in the source log");
            let choices = replay(storage, checkpoint, id, true, sink).into_iter().collect();
            Finding { problem, choices, by_hand: Some(format!("or restore offsets/{id} from a backup")) }
        }
        OffsetsRole::BeforePending => Finding::by_hand(
            format!("{problem}. Batch {} re-runs from where batch {id} ended in the source log", id + 1),
            format!("restore offsets/{id} from a backup; {START_OVER}"),
        ),
        OffsetsRole::Old => Finding::by_hand(
            format!(
                "{problem}. Batch {id} is committed, and neither crashpoint nor Spark reads an older batch's \
                 offsets again, so the next run is not affected; inspect cannot show the batch's timestamp"
            ),
            format!("nothing is needed to run on; to keep the record, {START_OVER}"),
        ),
    }
}

/// The latest commit is newer than the latest offsets file (deleted by hand, say).
pub(super) fn commit_without_offsets(storage: &dyn Storage, checkpoint: &Checkpoint, sink: SinkState) -> Vec<Finding> {
    let Ok(Some(commit)) = checkpoint.commits.latest(storage) else { return Vec::new() };
    let offsets = checkpoint.offsets.latest(storage).ok().flatten();
    if offsets.is_some_and(|o| o >= commit) || offsets.map_or(0, |o| o + 1) != commit {
        return Vec::new();
    }
    let problem = format!(
        "commits/{commit} has no offsets/{commit} (deleted by hand?): the checkpoint cannot say where batch \
         {commit} ended in the source log. Spark stops here at every start (CONCURRENT_STREAM_LOG_UPDATE)"
    );
    let choices = replay(storage, checkpoint, commit, false, sink).into_iter().collect();
    vec![Finding { problem, choices, by_hand: Some(format!("or restore offsets/{commit} from a backup")) }]
}

fn torn_commit(checkpoint: &Checkpoint, file: LogFile, problem: String) -> Finding {
    // A commit file is always the same two lines, and it exists only once the batch's sink
    // write is done: writing it again restores exactly what was there.
    let effect = format!(
        "write commits/{} again: a commit always holds the same line, so this restores it exactly; nothing re-runs",
        file.id
    );
    let actions = vec![
        delete(&checkpoint.commits, file),
        Action::WriteCommit { checkpoint: checkpoint.root().to_path_buf(), batch: file.id },
    ];
    Finding::repairable(problem, Choice::free(format!("rewrite-commit-{}", file.id), effect, actions))
}

fn torn_source_log(checkpoint: &Checkpoint, file: LogFile, problem: String, ahead: bool) -> Finding {
    let log = checkpoint.sources.log();
    if ahead {
        let effect = format!(
            "delete {}: no batch covers source-log batch {} yet, so its files are planned again from the input \
             directory",
            short(checkpoint, &log.path(file)),
            file.id
        );
        return Finding::repairable(
            problem,
            Choice::free(format!("delete-sources-{}", file.id), effect, vec![delete(log, file)]),
        );
    }
    Finding::by_hand(
        format!(
            "{problem}. It records which input files batches up to {} took: deleting it would have those files \
             processed again (duplicates), so no repair deletes it",
            file.id
        ),
        START_OVER.into(),
    )
}

fn metadata(storage: &dyn Storage, checkpoint: &Checkpoint, has_batches: bool) -> Vec<Finding> {
    let path = checkpoint.metadata_path();
    let problem = match checkpoint.read_metadata(storage) {
        Ok(Some(_)) => return Vec::new(),
        Ok(None) if !has_batches => return Vec::new(),
        Ok(None) => format!("{}: missing, but offsets/ has batches", path.display()),
        Err(e) => describe(&e),
    };
    if !has_batches {
        let effect = "delete metadata: no batch has started, so the next run writes a new query id".to_string();
        return vec![Finding::repairable(
            problem,
            Choice::free("delete-metadata".into(), effect, vec![Action::Delete(path)]),
        )];
    }
    let choice = Choice {
        name: "new-query-id".into(),
        effect: "write metadata with a new query id; the batches go on from where they are".into(),
        cost: Some("the query's id changes: anything that tracks the query by its id sees a new query".into()),
        actions: storage
            .exists(&path)
            .then(|| Action::Delete(path.clone()))
            .into_iter()
            .chain([Action::WriteMetadata { checkpoint: checkpoint.root().to_path_buf() }])
            .collect(),
    };
    vec![Finding { problem, choices: vec![choice], by_hand: Some("restore metadata from a backup".into()) }]
}

/// Commits missing below the latest one: those batches never run again.
pub(super) fn missing_commits(storage: &dyn Storage, checkpoint: &Checkpoint) -> Vec<Finding> {
    let Ok(skipped) = skipped_uncommitted(storage, checkpoint) else { return Vec::new() };
    skipped
        .into_iter()
        .map(|id| {
            let problem = format!(
                "commits/{id} is missing but later batches are committed: batch {id} will NOT run again, in \
                 crashpoint as in Spark, which look at the latest commit only"
            );
            let effect = format!(
                "write commits/{id}: the later commits already say batch {id} is done, so nothing changes but the \
                 record"
            );
            let write = Action::WriteCommit { checkpoint: checkpoint.root().to_path_buf(), batch: id };
            Finding::repairable(problem, Choice::free(format!("restore-commit-{id}"), effect, vec![write]))
        })
        .collect()
}

/// Commits that trail the offsets by more than one batch: the engine refuses to guess.
pub(super) fn trailing_commits(storage: &dyn Storage, checkpoint: &Checkpoint) -> Vec<Finding> {
    let Ok(Some(latest)) = checkpoint.offsets.latest(storage) else { return Vec::new() };
    let commit = checkpoint.commits.latest(storage).ok().flatten();
    let first_pending = commit.map_or(0, |c| c + 1);
    if latest <= first_pending || commit.is_some_and(|c| c > latest) {
        return Vec::new();
    }
    let problem = format!(
        "offsets/ ends at batch {latest} but {}: batches {first_pending} to {latest} have no commit. Spark would \
         warn, re-run batch {latest} alone and never run the others; crashpoint refuses to start",
        commit.map_or("no batch is committed".to_string(), |c| format!("the latest commit is commits/{c}"))
    );
    let actions: Vec<Action> = ((first_pending + 1)..=latest)
        .rev()
        .map(|id| checkpoint.offsets.path(LogFile { id, compact: false }))
        .filter(|path| storage.exists(path))
        .map(Action::Delete)
        .collect();
    let effect = format!(
        "delete offsets/{} to offsets/{latest}: batches {first_pending} to {latest} then run again one by one, each \
         with the files sources/0/ recorded for it; an exactly-once sink skips those it already holds",
        first_pending + 1
    );
    vec![Finding::repairable(problem, Choice::free(format!("rerun-from-batch-{first_pending}"), effect, actions))]
}

/// The pending batch has `offsets/N` but no `sources/0/N`: the engine cannot know its files.
pub(super) fn missing_source_entry(
    storage: &dyn Storage,
    checkpoint: &Checkpoint,
    held: Option<u64>,
    sink_known: bool,
) -> Vec<Finding> {
    let Ok(crashpoint_engine::engine::Resume::Rerun { batch: id }) =
        crashpoint_engine::engine::decide(storage, checkpoint)
    else {
        return Vec::new();
    };
    // A torn offsets file is its own finding.
    let missing = checkpoint.source_range(storage, id).and_then(|range| checkpoint.source_files(storage, id, range));
    let Err(crashpoint_engine::checkpoint::CheckpointError::Missing { path, .. }) = missing else {
        return Vec::new();
    };
    let problem = format!(
        "offsets/{id} has no commit, so batch {id} must run again, but {}, which names its files, is missing \
         (deleted by hand?)",
        short(checkpoint, &path)
    );
    if held.is_some_and(|latest| latest >= id) {
        return vec![Finding::by_hand(
            format!(
                "{problem}. The sink already holds batch {id}, and its files are unknown: planned anew, they would be skipped by the sink"
            ),
            "restore sources/0/ from a backup".into(),
        )];
    }
    let mut cost = None;
    if !sink_known {
        cost = Some(format!(
            "safe only if the sink never got batch {id} (the engine refuses to plan a batch a file sink holds; pass              --output to check)"
        ));
    }
    let effect = format!("delete offsets/{id}: batch {id} is planned again from the input directory");
    let offsets = checkpoint.offsets.path(LogFile { id, compact: false });
    let choice = Choice { name: format!("replan-batch-{id}"), effect, cost, actions: vec![Action::Delete(offsets)] };
    let by_hand = format!("or restore {} from a backup", short(checkpoint, &path));
    vec![Finding { problem, choices: vec![choice], by_hand: Some(by_hand) }]
}

/// Temp files left by a crash during a log write: nothing reads them.
pub(super) fn temp_files(storage: &dyn Storage, checkpoint: &Checkpoint, sink: Option<SinkDir<'_>>) -> Vec<Finding> {
    let sink_log = sink.map(|s| s.output.join("_spark_metadata"));
    let dirs = [checkpoint.offsets.dir(), checkpoint.commits.dir(), checkpoint.sources.log().dir(), checkpoint.root()];
    let mut findings = Vec::new();
    for dir in dirs.into_iter().chain(sink_log.as_deref()) {
        for entry in storage.list(dir).unwrap_or_default().into_iter().filter(|e| e.name.contains(".tmp")) {
            let problem = format!("stale temp file {}, left by a crash during a log write", entry.path.display());
            let effect = "delete it: nothing reads it, and Spark ignores it too".to_string();
            let choice = Choice::free("delete-temp-files".into(), effect, vec![Action::Delete(entry.path)]);
            findings.push(Finding::repairable(problem, choice));
        }
    }
    findings
}
