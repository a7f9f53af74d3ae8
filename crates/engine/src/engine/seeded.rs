//! The engine's seams bent (feature `seeded-bugs` only): a batch's steps in another order, a
//! restart that skips a pending batch, a purge of one batch too many, dead letters appended, a
//! re-run at a new time, new files only when newer than the newest seen, `logOffset` as the
//! batch id, a last line without a newline left out, new files added to a batch the sink
//! already holds, a new batch's time taken from the clock alone, and a lock another holds
//! ignored or left unexplained.
//!
//! Spark's lifecycle is `batch::run_batch` and Spark's recovery is `recovery::decide`; this
//! module must never change them, only stand in for them when a seam says so.

use super::batch::Planned;
use super::{Engine, EngineError, Resume};
use crate::engine::Clock;
use crate::faults::CrashPoint;
use crate::seams::{
    BatchOrder, BatchStep, DeadLetters, HeldLock, HeldOrphans, LastLine, Listing, LogOffset, NewBatchTime, NewFiles,
    PendingBatch, Purge, RerunTime, Seams,
};
use crate::sink::SinkError;
use crate::source::FileSource;
use crate::storage::Storage;
use std::path::Path;

/// Whether a lock error is taken as a lock another holds, as the held-lock seam bends it:
/// never, when a held lock goes unexplained.
pub(super) fn bent_held(seams: &Seams, held: bool) -> bool {
    held && seams.held_lock != HeldLock::Unexplained
}

/// The sink's opening as the held-lock seam bends it: the output's lock, held by another, is
/// taken as no lock, or reported as the bare I/O error of taking it.
pub(super) fn bent_open(seams: &Seams, opened: Result<(), SinkError>) -> Result<(), SinkError> {
    match (seams.held_lock, opened) {
        (HeldLock::OutputIgnored, Err(SinkError::OutputLocked { .. })) => Ok(()),
        (HeldLock::Unexplained, Err(SinkError::OutputLocked { lock, .. })) => Err(SinkError::Io {
            error: std::io::Error::new(std::io::ErrorKind::WouldBlock, format!("{}: locked", lock.display())),
            path: lock,
            op: "take the output's lock",
        }),
        (_, opened) => opened,
    }
}

/// The recovery decision as the pending-batch seam bends it.
pub(super) fn bent_resume(seams: &Seams, resume: Resume) -> Resume {
    match (seams.pending_batch, resume) {
        (PendingBatch::Skipped, Resume::Rerun { batch }) => Resume::Continue { next: batch + 1 },
        (_, resume) => resume,
    }
}

/// The batch id the purge after committing `id` purges as: one more with the purge seam bent.
pub(super) fn bent_purge(seams: &Seams, id: u64) -> u64 {
    match seams.purge {
        Purge::KeepsRetained => id,
        Purge::OneTooMany => id + 1,
    }
}

/// A dead-letter file's new bytes: with the seam bent, the lines already there come first.
pub(super) fn bent_dead_letters(seams: &Seams, storage: &dyn Storage, path: &Path, bytes: Vec<u8>) -> Vec<u8> {
    match seams.dead_letters {
        DeadLetters::Replaced => bytes,
        DeadLetters::Appended => {
            let mut all = storage.read(path).unwrap_or_default();
            all.extend(bytes);
            all
        }
    }
}

/// A re-run batch's time: with the seam bent, a new batch time after the newest one.
pub(super) fn bent_rerun_time(seams: &Seams, recorded_ms: i64, newest_ms: Option<i64>, clock: &Clock) -> i64 {
    match seams.rerun_time {
        RerunTime::Recorded => recorded_ms,
        RerunTime::New => newest_ms.map_or(recorded_ms, |t| t + clock.step_ms),
    }
}

/// A new batch's time: with the seam bent, never before the newest batch's plus a step.
pub(super) fn bent_new_batch_time(seams: &Seams, clock_ms: i64, newest_ms: Option<i64>, clock: &Clock) -> i64 {
    match (seams.new_batch_time, newest_ms) {
        (NewBatchTime::HeldAfterNewest, Some(newest)) => clock_ms.max(newest + clock.step_ms),
        _ => clock_ms,
    }
}

/// The new files: with the seam bent, only those newer than the newest file seen.
pub(super) fn bent_new_files(
    seams: &Seams,
    source: &FileSource,
    files: Vec<crate::checkpoint::SourceFileEntry>,
) -> Vec<crate::checkpoint::SourceFileEntry> {
    match (seams.new_files, source.newest_seen_ms()) {
        (NewFiles::NewerThanSeen, Some(newest)) => files.into_iter().filter(|f| f.timestamp > newest).collect(),
        _ => files,
    }
}

/// The `logOffset` written into `offsets/<id>`: with the seam bent, the batch id.
pub(super) fn bent_log_offset(seams: &Seams, id: u64, log_offset: u64) -> u64 {
    match seams.log_offset {
        LogOffset::SourceLogBatch => log_offset,
        LogOffset::BatchId => id,
    }
}

/// An input file's bytes: with the seam bent, a last line without a newline is cut off.
pub(super) fn bent_last_line(seams: &Seams, mut bytes: Vec<u8>) -> Vec<u8> {
    if seams.last_line == LastLine::Dropped && bytes.last().is_some_and(|b| *b != b'\n') {
        let keep = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |at| at + 1);
        bytes.truncate(keep);
    }
    bytes
}

/// Whether a run fixes its listing at its start: never with the seam bent.
pub(super) fn bent_fix_listing(seams: &Seams, fix: bool) -> bool {
    fix && seams.listing == Listing::FixedAtStart
}

/// Whether a new batch takes the source log's untaken entries alone because the sink holds
/// them: never with the seam bent, so new files join them as in Spark.
pub(super) fn bent_held_orphans(seams: &Seams, sink_has_orphans: bool) -> bool {
    sink_has_orphans && seams.held_orphans == HeldOrphans::Alone
}

impl Engine<'_> {
    /// Runs a planned batch with its steps in `order` instead of Spark's.
    pub(super) fn run_batch_in_order(&mut self, order: BatchOrder, planned: &Planned) -> Result<(), EngineError> {
        let (id, timestamp_ms) = (planned.id, planned.timestamp_ms);
        let mut rows = None;
        for step in order.steps() {
            match step {
                BatchStep::WritePlanLogs => self.write_plan_logs(planned)?,
                BatchStep::ReadBatch => rows = Some(self.read_unless_held(id, &planned.files, timestamp_ms)?),
                BatchStep::AddToSink => {
                    let read = rows.as_ref().expect("every batch order reads the batch before the sink gets it");
                    if let Some(rows) = read {
                        self.add_to_sink(id, timestamp_ms, rows)?;
                    }
                }
                BatchStep::AfterSinkWrite => self.faults.hit(CrashPoint::AfterSinkWrite)?,
                BatchStep::Commit => self.commit(id)?,
                BatchStep::AfterCommitWrite => self.faults.hit(CrashPoint::AfterCommitWrite)?,
            }
        }
        self.finish_batch(id, &planned.files)
    }
}
