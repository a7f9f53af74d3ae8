//! Seams: the few named places where a seeded bug may bend Spark's protocol, so that the
//! harness can prove that it catches each bug.
//!
//! This module exists only with the `seeded-bugs` feature, which only the harness turns on. A
//! normal build has no seam: no field, no branch, nothing to switch on. Each seam defaults to
//! Spark's behaviour, and the [`FaultPlan`](crate::faults::FaultPlan) of a run carries its seams.
//!
//! A seam says *what* it bends and must never name a bug: the bugs, their names and the seams
//! they bend live in the harness. Where a seam bends, the engine has one `#[cfg(feature =
//! "seeded-bugs")]` line, and the bent behaviour sits beside the code it bends, in a `seeded`
//! module of the same layer.
//!
//! | seam | where it bends | Spark's behaviour (the default) |
//! | --- | --- | --- |
//! | [`Seams::log_layout`] | every log write | a temp file, renamed into place |
//! | [`Seams::log_fsync`] | every log write, and a restart's directory fsyncs | fsync the temp file, rename, fsync the directory |
//! | [`Seams::failed_fsync`] | every fsync of a file (log temp files, part files, dead letters) | a failed fsync fails the run |
//! | [`Seams::batch_order`] | the batch lifecycle | source log and offsets, read, sink, commit |
//! | [`Seams::pending_batch`] | a restart, after the recovery decision | re-run a batch that has offsets and no commit |
//! | [`Seams::seen_files`] | a restart | the files of earlier batches come from the source log |
//! | [`Seams::file_sink_log`] | the file sink | a batch already in `_spark_metadata` is skipped |
//! | [`Seams::compaction`] | a compaction of the source log or the sink log | write `N.compact` with every entry, then delete older files |
//! | [`Seams::purge`] | the purge after a commit | keep batch N and the `minBatchesToRetain` before it, in offsets and commits |
//! | [`Seams::dead_letters`] | a batch's bad lines | its dead-letter file is replaced |
//! | [`Seams::rerun_time`] | a re-run batch | it keeps the `batchTimestampMs` of its `offsets/N` |
//! | [`Seams::checkpoint_lock`] | a query's start | it takes the checkpoint's lock |
//! | [`Seams::held_lock`] | a query's start, when another holds the checkpoint's or the output's lock | it is refused, with words that say another query holds the place |
//! | [`Seams::new_files`] | planning new files | every unseen path is new, whatever its modification time |
//! | [`Seams::log_offset`] | writing `offsets/N` | `logOffset` is the newest source-log batch the batch covers |
//! | [`Seams::last_line`] | reading an input file | a last line without a newline is a line |
//! | [`Seams::held_orphans`] | planning a new batch whose source-log entries the sink holds | the entries alone |
//! | [`Seams::new_batch_time`] | a new batch's time | the clock's, even before the checkpoint's newest batch |
//! | [`Seams::listing`] | an `available-now` run's start | the input is listed once, and every batch picks from that listing |

/// How one run deviates from Spark's protocol. The default deviates nowhere.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seams {
    /// How a log file reaches its path.
    pub log_layout: LogLayout,
    /// Which fsyncs log writes (and a restart) do, and when.
    pub log_fsync: LogFsync,
    /// What the engine does when an fsync of a file fails.
    pub failed_fsync: FailedFsync,
    /// The order of a batch's steps.
    pub batch_order: BatchOrder,
    /// What a restart does with a batch that has offsets and no commit.
    pub pending_batch: PendingBatch,
    /// What a restart knows of the files that earlier batches took.
    pub seen_files: SeenFiles,
    /// Whether the file sink checks its own log before it writes a batch.
    pub file_sink_log: FileSinkLog,
    /// How a compactible log writes a compaction.
    pub compaction: Compaction,
    /// Which offsets and commits the purge after a commit deletes.
    pub purge: Purge,
    /// What a batch does with a dead-letter file that exists already.
    pub dead_letters: DeadLetters,
    /// The time a re-run batch runs with.
    pub rerun_time: RerunTime,
    /// Whether a query takes the checkpoint's lock.
    pub checkpoint_lock: CheckpointLock,
    /// What a query does when another holds the checkpoint's or the output's lock.
    pub held_lock: HeldLock,
    /// Which unseen files planning takes as new.
    pub new_files: NewFiles,
    /// What `offsets/N` records as `logOffset`.
    pub log_offset: LogOffset,
    /// What becomes of a last line without a newline.
    pub last_line: LastLine,
    /// What a new batch takes when the sink already holds its source-log entries.
    pub held_orphans: HeldOrphans,
    /// What a new batch's time is held to.
    pub new_batch_time: NewBatchTime,
    /// When an `available-now` run lists the input.
    pub listing: Listing,
}

/// When an `available-now` run lists the input directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Listing {
    /// Spark's (`prepareForTriggerAvailableNow`): once, at the run's start; a file that arrives
    /// during the run waits for the next one.
    #[default]
    FixedAtStart,
    /// Before every batch, as a `processing-time` query lists: a file that arrives during the
    /// run is read in it.
    EveryBatch,
}

/// What a new batch's `batchTimestampMs` is held to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NewBatchTime {
    /// Spark's: the clock's time, even when it is before the checkpoint's newest batch (the
    /// clock went back since that batch was written; spark/FINDINGS.md Q26c).
    #[default]
    ClockOnly,
    /// Never before the newest batch in the checkpoint plus a step: batch times never go back,
    /// which is not Spark's rule.
    HeldAfterNewest,
}

/// How a compactible log (the source log, the file sink's log) writes a compaction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Compaction {
    /// Spark's: `N.compact` with every entry so far, then the older files are deleted.
    #[default]
    Complete,
    /// `N.compact` holds the entries before batch N, but not batch N's own.
    DropsOwnBatch,
    /// The older files are deleted first, then `N.compact` is written.
    DeletesFirst,
}

/// Which offsets and commits the purge after committing batch N deletes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Purge {
    /// Spark's: those below `N - minBatchesToRetain`.
    #[default]
    KeepsRetained,
    /// One more: those below `N + 1 - minBatchesToRetain`.
    OneTooMany,
}

/// What a batch does with a dead-letter file that exists already (a re-run's).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DeadLetters {
    /// Replaces it: each bad line is kept once.
    #[default]
    Replaced,
    /// Adds its bad lines after the ones there.
    Appended,
}

/// The time a re-run batch runs with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RerunTime {
    /// Spark's: the `batchTimestampMs` its `offsets/N` recorded.
    #[default]
    Recorded,
    /// A new batch time, as if it were a new batch.
    New,
}

/// Whether a query takes the checkpoint's lock at its start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CheckpointLock {
    /// It does: a second query on the checkpoint is refused.
    #[default]
    Taken,
    /// It does not.
    Skipped,
}

/// What a query does at its start when another process holds a lock it takes (the
/// checkpoint's `.lock`, the file sink's output lock).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HeldLock {
    /// It is refused, and says that another query holds the place and what to do.
    #[default]
    Refused,
    /// The output's lock, held by another, is taken as no lock: the query writes on.
    OutputIgnored,
    /// It is refused with the bare I/O error of taking the lock: nothing says that another
    /// query holds the place.
    Unexplained,
}

/// Which unseen files planning takes as new.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NewFiles {
    /// Spark's: every unseen path, whatever its modification time.
    #[default]
    Unseen,
    /// Only those newer than the newest file seen: an equal or older time is skipped for good.
    NewerThanSeen,
}

/// What `offsets/N` records as the file source's `logOffset`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogOffset {
    /// Spark's: the newest source-log batch the batch covers.
    #[default]
    SourceLogBatch,
    /// The batch id, as if it always equalled the source-log batch.
    BatchId,
}

/// What becomes of a last line that has no newline after it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LastLine {
    /// It is a line like any other.
    #[default]
    Kept,
    /// It is left out, as an incomplete write.
    Dropped,
}

/// What new batch N takes when the source log runs ahead of `offsets/` (its `offsets/N` was lost)
/// and the sink already holds batch N.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HeldOrphans {
    /// crashpoint's: the source log's untaken entries alone, which the sink holds; new files wait.
    #[default]
    Alone,
    /// Spark's: the untaken entries and the new files, which the sink then skips with them.
    WithNewFiles,
}

/// How a log file reaches its path.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogLayout {
    /// Spark's: written to a temp file, then renamed into place without overwriting.
    #[default]
    Renamed,
    /// Written in place: half the bytes, the `during-log-write` crash point, then all of them.
    InPlace,
}

/// Which fsyncs a log write does, and when; a restart's fsync of the checkpoint directories
/// happens only if log writes fsync their directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFsync {
    /// Spark's: the temp file before the rename, the directory after it.
    #[default]
    FileAndDir,
    /// The temp file before the rename, but never the directory.
    FileOnly,
    /// The rename first, then the file (at its final path), then the directory.
    AfterRename,
    /// None at all.
    Never,
}

impl LogFsync {
    /// True if log writes fsync their directory (and so does a restart).
    pub fn syncs_dirs(self) -> bool {
        matches!(self, LogFsync::FileAndDir | LogFsync::AfterRename)
    }
}

/// What the engine does when an fsync of a file fails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FailedFsync {
    /// The error stops the run: after a failed fsync the data may never reach the disk, although
    /// reads still show it, so nothing may be built on it.
    #[default]
    Fails,
    /// The fsync is tried again and, if that succeeds, the run carries on (PostgreSQL's
    /// pre-2018 behaviour: "fsyncgate").
    RetriedAndTrusted,
}

/// A step of a batch's lifecycle, for [`BatchOrder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchStep {
    /// `sources/0/N` and `offsets/N` (those the batch still needs), with their crash points.
    WritePlanLogs,
    /// Read the batch's files and run the plan; bad records go to the dead-letter file.
    ReadBatch,
    /// Hand the rows to the sink.
    AddToSink,
    /// The `after-sink-write` crash point.
    AfterSinkWrite,
    /// Write `commits/N`.
    Commit,
    /// The `after-commit-write` crash point.
    AfterCommitWrite,
}

/// The order of a batch's steps. The batch is always read before the sink gets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchOrder([BatchStep; 6]);

impl BatchOrder {
    /// Spark's order.
    pub const SPARK: BatchOrder = BatchOrder([
        BatchStep::WritePlanLogs,
        BatchStep::ReadBatch,
        BatchStep::AddToSink,
        BatchStep::AfterSinkWrite,
        BatchStep::Commit,
        BatchStep::AfterCommitWrite,
    ]);

    /// The steps, in order.
    pub fn steps(&self) -> [BatchStep; 6] {
        self.0
    }

    /// Moves `step` to just before `anchor`.
    pub fn move_before(&mut self, step: BatchStep, anchor: BatchStep) {
        self.move_to(step, anchor, 0);
    }

    /// Moves `step` to just after `anchor`.
    pub fn move_after(&mut self, step: BatchStep, anchor: BatchStep) {
        self.move_to(step, anchor, 1);
    }

    fn move_to(&mut self, step: BatchStep, anchor: BatchStep, offset: usize) {
        assert_ne!(step, anchor, "a step cannot move next to itself");
        let mut steps = self.0.to_vec();
        steps.retain(|s| *s != step);
        let at = steps.iter().position(|s| *s == anchor).expect("every step is in the order") + offset;
        steps.insert(at, step);
        self.0 = steps.try_into().expect("moving a step keeps every step once");
    }
}

impl Default for BatchOrder {
    fn default() -> Self {
        Self::SPARK
    }
}

/// What a restart does with a batch that has offsets and no commit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PendingBatch {
    /// Spark's: re-run it with exactly its recorded files.
    #[default]
    Rerun,
    /// Skip it, as if it had been committed.
    Skipped,
}

/// What a restart knows of the files that earlier batches took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SeenFiles {
    /// Spark's: every file in the source log is seen.
    #[default]
    FromSourceLog,
    /// Nothing: the source log is not read, and every file looks new.
    Forgotten,
}

/// Whether the file sink checks its own log before it writes a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FileSinkLog {
    /// Spark's: a batch id at or below the newest one in `_spark_metadata` is skipped.
    #[default]
    Checked,
    /// Every batch is written again, and a log entry that already exists is taken as written.
    Ignored,
}

#[cfg(test)]
mod tests {
    use super::*;
    use BatchStep::*;

    /// A change to an order.
    type Bend = fn(&mut BatchOrder);

    #[test]
    fn batch_order_moves() {
        let cases: &[(Bend, [BatchStep; 6])] = &[
            (|_| {}, [WritePlanLogs, ReadBatch, AddToSink, AfterSinkWrite, Commit, AfterCommitWrite]),
            (
                |o| o.move_before(Commit, AddToSink),
                [WritePlanLogs, ReadBatch, Commit, AddToSink, AfterSinkWrite, AfterCommitWrite],
            ),
            (
                |o| o.move_after(WritePlanLogs, AfterSinkWrite),
                [ReadBatch, AddToSink, AfterSinkWrite, WritePlanLogs, Commit, AfterCommitWrite],
            ),
            (
                |o| {
                    o.move_before(Commit, AddToSink);
                    o.move_after(WritePlanLogs, AfterSinkWrite);
                },
                [ReadBatch, Commit, AddToSink, AfterSinkWrite, WritePlanLogs, AfterCommitWrite],
            ),
        ];
        for (bend, expected) in cases {
            let mut order = BatchOrder::default();
            bend(&mut order);
            assert_eq!(order.steps(), *expected);
        }
    }
}
