//! The pending batch's input files: a batch is planned (its files are in `sources/0/N`) but one
//! of them cannot be read any more, so the batch cannot run. The ways forward: plan the batch
//! again, or mark it done without its input, each with its cost; or put the file back.

use super::{Action, Choice, Finding, short};
use crashpoint_engine::checkpoint::{Checkpoint, LogFile, SourceFileEntry, SourceRange};
use crashpoint_engine::engine::{Resume, decide};
use crashpoint_engine::storage::{EntryKind, Storage};
use crashpoint_engine::uri::path_of;

/// The batch the next run starts with, if some of its files are already recorded: its id,
/// those files, the source-log batches that hold them, and whether `offsets/N` is written. A
/// re-run takes its range exactly; a new batch takes the entries no batch covers yet (left by a
/// crash before `offsets/N`), plus any new files.
struct Pending {
    id: u64,
    files: Vec<SourceFileEntry>,
    source_ids: Vec<u64>,
    has_offsets: bool,
}

fn pending_batch(storage: &dyn Storage, checkpoint: &Checkpoint) -> Option<Pending> {
    let (id, range, has_offsets) = match decide(storage, checkpoint).ok()? {
        Resume::Rerun { batch } => (batch, checkpoint.source_range(storage, batch).ok()?, true),
        Resume::Continue { next } => {
            let after = checkpoint.read_offsets(storage, next - 1).ok()?.log_offset;
            (next, SourceRange { after, through: checkpoint.sources.log().latest(storage).ok()? }, false)
        }
        Resume::Fresh => {
            (0, SourceRange { after: None, through: checkpoint.sources.log().latest(storage).ok()? }, false)
        }
    };
    if range.through <= range.after {
        return None;
    }
    let files = checkpoint.source_files(storage, id, range).ok()?;
    Some(Pending { id, files, source_ids: range.ids().collect(), has_offsets })
}

/// Why a planned file cannot be read, if it cannot.
fn why_unreadable(storage: &dyn Storage, file: &SourceFileEntry) -> Option<String> {
    match storage.stat(&path_of(&file.path)) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some("it is gone".into()),
        Err(e) => Some(format!("it cannot be examined ({e})")),
        Ok(entry) => match entry.kind {
            EntryKind::File => storage.read(&path_of(&file.path)).err().map(|e| format!("it cannot be read ({e})")),
            EntryKind::Dir => Some("it is a directory now".into()),
            EntryKind::Other(what) => Some(format!("it is {what} now")),
        },
    }
}

/// The pending batch's files that cannot be read, with the ways forward. Nothing when the sink
/// holds the batch: the engine then commits it without reading its input.
pub(super) fn unreadable_planned_files(
    storage: &dyn Storage,
    checkpoint: &Checkpoint,
    sink_known: bool,
    held: Option<u64>,
) -> Vec<Finding> {
    let Some(Pending { id, files, source_ids, has_offsets }) = pending_batch(storage, checkpoint) else {
        return Vec::new();
    };
    if held.is_some_and(|latest| latest >= id) {
        return Vec::new();
    }
    let broken: Vec<(String, String)> =
        files.iter().filter_map(|f| why_unreadable(storage, f).map(|why| (f.path.clone(), why))).collect();
    if broken.is_empty() {
        return Vec::new();
    }
    let readable: Vec<&str> =
        files.iter().filter(|f| !broken.iter().any(|(p, _)| *p == f.path)).map(|f| f.path.as_str()).collect();
    let named: Vec<String> = broken.iter().map(|(path, why)| format!("{path} ({why})")).collect();
    let problem = format!(
        "batch {id} is planned but cannot run: its input {} in sources/0/, and a planned batch runs with exactly \
         its recorded files",
        if named.len() == 1 {
            format!("file {} cannot be read", named[0])
        } else {
            format!("files {} cannot be read", named.join(", "))
        }
    );
    let lost: Vec<&str> = broken.iter().map(|(p, _)| p.as_str()).collect();
    let mut choices = Vec::new();
    if let Some(replan) = replan(storage, checkpoint, id, &source_ids, has_offsets, &readable, &lost, sink_known) {
        choices.push(replan);
    }
    if has_offsets {
        choices.push(finish_without_input(checkpoint, id, &files));
    }
    let by_hand = format!("or put {} back and restart: the batch then runs as planned", lost.join(", "));
    vec![Finding { problem, choices, by_hand: Some(by_hand) }]
}

#[allow(clippy::too_many_arguments)] // one call site; a struct would only rename the list
fn replan(
    storage: &dyn Storage,
    checkpoint: &Checkpoint,
    id: u64,
    source_ids: &[u64],
    has_offsets: bool,
    readable: &[&str],
    lost: &[&str],
    sink_known: bool,
) -> Option<Choice> {
    let sources: Vec<_> =
        source_ids.iter().map(|k| checkpoint.sources.log().path(LogFile { id: *k, compact: false })).collect();
    // A compaction file also holds every earlier batch: it is never deleted, so a batch whose
    // entries sit in one cannot be planned again this way.
    // Nor can one with source-log batches after it: deleting its own would leave a gap.
    let newest = checkpoint.sources.log().latest(storage).ok().flatten();
    if sources.iter().any(|p| !storage.exists(p)) || newest != source_ids.last().copied() {
        return None;
    }
    let offsets = checkpoint.offsets.path(LogFile { id, compact: false });
    let mut actions = Vec::new();
    if has_offsets {
        actions.push(Action::Delete(offsets.clone()));
    }
    // Newest first: a crash in between leaves a shorter run of orphan entries, still a valid log.
    actions.extend(sources.iter().rev().cloned().map(Action::Delete));
    let mut files: Vec<String> = sources.iter().map(|p| short(checkpoint, p)).collect();
    if has_offsets {
        files.insert(0, short(checkpoint, &offsets));
    }
    let effect = format!(
        "delete {}: batch {id} is planned again from the input directory{}",
        files.join(" and "),
        if readable.is_empty() {
            String::new()
        } else {
            format!(", with its readable files ({})", readable.join(", "))
        }
    );
    let mut cost = format!("the records of {} are not processed unless it comes back", lost.join(", "));
    if !sink_known {
        cost += &format!(
            ". Safe only if the sink never got batch {id}: a file sink that holds it would have the engine finish \
             the batch by itself (pass --output to check); a console that printed it prints its readable files again"
        );
    }
    Some(Choice { name: format!("replan-batch-{id}"), effect, cost: Some(cost), actions })
}

fn finish_without_input(checkpoint: &Checkpoint, id: u64, files: &[SourceFileEntry]) -> Choice {
    let all: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    Choice {
        name: format!("commit-batch-{id}"),
        effect: format!(
            "write commits/{id}: batch {id} counts as done without running, and the next run goes on with new files"
        ),
        cost: Some(format!(
            "the records of every file of batch {id} ({}) never reach the sink, unless it already has them (a \
             console that printed batch {id} before a crash)",
            all.join(", ")
        )),
        actions: vec![Action::WriteCommit { checkpoint: checkpoint.root().to_path_buf(), batch: id }],
    }
}
