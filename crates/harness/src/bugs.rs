//! Seeded engine bugs: the harness proves its power by catching each one.
//!
//! A bug is a name and a bend of the engine's seams (`crashpoint_engine::seams`, compiled only
//! with the engine's `seeded-bugs` feature, which this crate turns on). The engine never knows a
//! bug's name; a run gets its bugs through the seams of its [`FaultPlan`]. Every bug is off
//! unless asked for by name, in a scenario's `bugs = [...]` or with `--bug`.
//!
//! Adding a bug: a variant here, its name, its entry in [`Bug::ALL`], the seam it bends in
//! [`Bug::bend`], and a row in `tests/seeded_bugs.rs`. A bug at a place that has no seam yet
//! needs one: a field in `Seams` and one `#[cfg(feature = "seeded-bugs")]` line where it bends.

use crashpoint_engine::faults::FaultPlan;
use crashpoint_engine::seams::{
    BatchStep, CheckpointLock, Compaction, DeadLetters, FailedFsync, FileSinkLog, HeldLock, HeldOrphans, LastLine,
    Listing, LogFsync, LogLayout, LogOffset, NewBatchTime, NewFiles, PendingBatch, Purge, RerunTime, Seams, SeenFiles,
};
use std::fmt;
use std::str::FromStr;

/// A deliberate defect that the engine can switch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bug {
    /// `commits/N` is written before the sink gets the batch.
    CommitBeforeSink,
    /// Log files are written in place, with no temp file and no rename.
    NonAtomicLogWrite,
    /// On restart, the source log is not read: every file looks new.
    SourceLogIgnoredOnRestart,
    /// The file sink neither checks nor trusts its `_spark_metadata` log.
    FileSinkIgnoresLog,
    /// `offsets/N` is written after the sink instead of before.
    OffsetsAfterSink,
    /// Recovery skips a pending (offsets without commit) batch.
    RecoverySkipsPendingBatch,
    /// Log writes never fsync.
    NoFsync,
    /// Log writes fsync the temp file but never the directory (nor does a restart).
    FileFsyncWithoutDirFsync,
    /// Log writes rename the temp file into place before they fsync its data.
    RenameBeforeDataFsync,
    /// A failed fsync of a file is retried, and its success trusted.
    RetryFailedFsync,
    /// A compaction (`N.compact`) leaves out batch N's own entries.
    CompactionDropsEntries,
    /// A compaction deletes the older log files before it writes `N.compact`.
    CompactionDeletesFirst,
    /// The purge after a commit deletes one batch more than `minBatchesToRetain` allows.
    PurgeOneTooMany,
    /// A re-run batch adds its bad lines to its dead-letter file instead of replacing it.
    DeadLettersAppended,
    /// A re-run batch runs at a new time instead of its recorded `batchTimestampMs`.
    RerunNewTimestamp,
    /// A query does not take the checkpoint's lock: a second query is not kept out.
    NoCheckpointLock,
    /// Only files newer than the newest file seen are new: equal or older times are lost.
    NewerFilesOnly,
    /// `offsets/N` records the batch id as `logOffset`, not the source-log batch it covers.
    LogOffsetIsBatchId,
    /// A last line without a newline is left out of every run, crash or not.
    LastLineDropped,
    /// New files join a new batch whose source-log entries the sink already holds, as in Spark:
    /// the sink skips the batch and the new files' rows are lost.
    HeldOrphansWithNewFiles,
    /// A new batch's time is held to a step after the checkpoint's newest batch, so batch times
    /// never go back: Spark takes the clock's time even when the clock went back (FINDINGS Q26c).
    BatchTimeNeverBack,
    /// An `available-now` run lists the input before every batch, not once at its start: a
    /// file that arrives during the run is read in it, where Spark leaves it to the next run.
    ListingNotFixed,
    /// The output's lock, held by another query, is taken as no lock: two queries write one
    /// output directory.
    OutputLockIgnored,
    /// A lock another query holds (the checkpoint's, the output's) is reported as the bare I/O
    /// error of taking it: nothing tells the user that another query holds the place.
    HeldLockUnexplained,
}

impl Bug {
    /// Every seeded bug.
    pub const ALL: [Bug; 24] = [
        Bug::CommitBeforeSink,
        Bug::NonAtomicLogWrite,
        Bug::SourceLogIgnoredOnRestart,
        Bug::FileSinkIgnoresLog,
        Bug::OffsetsAfterSink,
        Bug::RecoverySkipsPendingBatch,
        Bug::NoFsync,
        Bug::FileFsyncWithoutDirFsync,
        Bug::RenameBeforeDataFsync,
        Bug::RetryFailedFsync,
        Bug::CompactionDropsEntries,
        Bug::CompactionDeletesFirst,
        Bug::PurgeOneTooMany,
        Bug::DeadLettersAppended,
        Bug::RerunNewTimestamp,
        Bug::NoCheckpointLock,
        Bug::NewerFilesOnly,
        Bug::LogOffsetIsBatchId,
        Bug::LastLineDropped,
        Bug::HeldOrphansWithNewFiles,
        Bug::BatchTimeNeverBack,
        Bug::ListingNotFixed,
        Bug::OutputLockIgnored,
        Bug::HeldLockUnexplained,
    ];

    /// The stable name used by `--bug` and scenario files.
    pub fn name(self) -> &'static str {
        match self {
            Bug::CommitBeforeSink => "commit-before-sink",
            Bug::NonAtomicLogWrite => "non-atomic-log-write",
            Bug::SourceLogIgnoredOnRestart => "source-log-ignored-on-restart",
            Bug::FileSinkIgnoresLog => "file-sink-ignores-log",
            Bug::OffsetsAfterSink => "offsets-after-sink",
            Bug::RecoverySkipsPendingBatch => "recovery-skips-pending-batch",
            Bug::NoFsync => "no-fsync",
            Bug::FileFsyncWithoutDirFsync => "file-fsync-without-dir-fsync",
            Bug::RenameBeforeDataFsync => "rename-before-data-fsync",
            Bug::RetryFailedFsync => "retry-failed-fsync",
            Bug::CompactionDropsEntries => "compaction-drops-entries",
            Bug::CompactionDeletesFirst => "compaction-deletes-first",
            Bug::PurgeOneTooMany => "purge-one-too-many",
            Bug::DeadLettersAppended => "dead-letters-appended",
            Bug::RerunNewTimestamp => "rerun-new-timestamp",
            Bug::NoCheckpointLock => "no-checkpoint-lock",
            Bug::NewerFilesOnly => "newer-files-only",
            Bug::LogOffsetIsBatchId => "log-offset-is-batch-id",
            Bug::LastLineDropped => "last-line-dropped",
            Bug::HeldOrphansWithNewFiles => "held-orphans-with-new-files",
            Bug::BatchTimeNeverBack => "batch-time-never-back",
            Bug::ListingNotFixed => "listing-not-fixed",
            Bug::OutputLockIgnored => "output-lock-ignored",
            Bug::HeldLockUnexplained => "held-lock-unexplained",
        }
    }

    /// Bends the engine's seams as this bug does.
    pub fn bend(self, seams: &mut Seams) {
        match self {
            Bug::CommitBeforeSink => seams.batch_order.move_before(BatchStep::Commit, BatchStep::AddToSink),
            Bug::NonAtomicLogWrite => seams.log_layout = LogLayout::InPlace,
            Bug::SourceLogIgnoredOnRestart => seams.seen_files = SeenFiles::Forgotten,
            Bug::FileSinkIgnoresLog => seams.file_sink_log = FileSinkLog::Ignored,
            Bug::OffsetsAfterSink => seams.batch_order.move_after(BatchStep::WritePlanLogs, BatchStep::AfterSinkWrite),
            Bug::RecoverySkipsPendingBatch => seams.pending_batch = PendingBatch::Skipped,
            Bug::NoFsync => seams.log_fsync = LogFsync::Never,
            Bug::FileFsyncWithoutDirFsync => seams.log_fsync = LogFsync::FileOnly,
            Bug::RenameBeforeDataFsync => seams.log_fsync = LogFsync::AfterRename,
            Bug::RetryFailedFsync => seams.failed_fsync = FailedFsync::RetriedAndTrusted,
            Bug::CompactionDropsEntries => seams.compaction = Compaction::DropsOwnBatch,
            Bug::CompactionDeletesFirst => seams.compaction = Compaction::DeletesFirst,
            Bug::PurgeOneTooMany => seams.purge = Purge::OneTooMany,
            Bug::DeadLettersAppended => seams.dead_letters = DeadLetters::Appended,
            Bug::RerunNewTimestamp => seams.rerun_time = RerunTime::New,
            Bug::NoCheckpointLock => seams.checkpoint_lock = CheckpointLock::Skipped,
            Bug::NewerFilesOnly => seams.new_files = NewFiles::NewerThanSeen,
            Bug::LogOffsetIsBatchId => seams.log_offset = LogOffset::BatchId,
            Bug::LastLineDropped => seams.last_line = LastLine::Dropped,
            Bug::HeldOrphansWithNewFiles => seams.held_orphans = HeldOrphans::WithNewFiles,
            Bug::BatchTimeNeverBack => seams.new_batch_time = NewBatchTime::HeldAfterNewest,
            Bug::ListingNotFixed => seams.listing = Listing::EveryBatch,
            Bug::OutputLockIgnored => seams.held_lock = HeldLock::OutputIgnored,
            Bug::HeldLockUnexplained => seams.held_lock = HeldLock::Unexplained,
        }
    }
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Bug {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Bug::ALL.into_iter().find(|b| b.name() == s).ok_or_else(|| {
            let names: Vec<&str> = Bug::ALL.iter().map(|b| b.name()).collect();
            format!("unknown bug '{s}'; known: {}", names.join(", "))
        })
    }
}

/// A set of switched-on bugs. Empty by default: the correct engine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct BugSet(u32);

impl BugSet {
    /// The set with one bug.
    pub fn of(bug: Bug) -> Self {
        Self::default().with(bug)
    }

    /// This set plus `bug`.
    pub fn with(self, bug: Bug) -> Self {
        Self(self.0 | 1 << bug as u32)
    }

    /// True if `bug` is switched on.
    pub fn has(self, bug: Bug) -> bool {
        self.0 & (1 << bug as u32) != 0
    }

    /// The switched-on bugs, in a fixed order.
    pub fn iter(self) -> impl Iterator<Item = Bug> {
        Bug::ALL.into_iter().filter(move |b| self.has(*b))
    }

    /// The engine's seams with every bug of the set bent in, in the order of [`Bug::ALL`].
    pub fn seams(self) -> Seams {
        let mut seams = Seams::default();
        self.iter().for_each(|bug| bug.bend(&mut seams));
        seams
    }

    /// `plan` with the set's bugs switched on.
    pub fn apply(self, plan: FaultPlan) -> FaultPlan {
        plan.with_seams(self.seams())
    }
}

impl FromIterator<Bug> for BugSet {
    fn from_iter<I: IntoIterator<Item = Bug>>(bugs: I) -> Self {
        bugs.into_iter().fold(Self::default(), Self::with)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for bug in Bug::ALL {
            assert_eq!(bug.name().parse::<Bug>(), Ok(bug));
        }
        assert!("no-bug".parse::<Bug>().unwrap_err().contains("no-fsync"));
    }

    #[test]
    fn every_bug_bends_a_seam_and_the_empty_set_bends_none() {
        assert_eq!(BugSet::default().seams(), Seams::default());
        for bug in Bug::ALL {
            assert_ne!(BugSet::of(bug).seams(), Seams::default(), "{bug} bends nothing");
        }
    }
}
