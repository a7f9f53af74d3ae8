//! Errors of the checkpoint layer: every one names the file.

use crate::faults::Crash;
use crate::storage::what_to_do;
use std::io;
use std::path::PathBuf;

/// A checkpoint or sink log could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The operating system refused an operation. The OS error is part of the message and
    /// deliberately not a `source`, so that a report of the chain prints it once.
    #[error("{log} {}: could not {op}: {error}; {}", path.display(), what_to_do(error))]
    Io {
        /// Which log, e.g. "offsets log".
        log: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// What was attempted.
        op: &'static str,
        /// The cause.
        error: io::Error,
    },
    /// A log file exists but cannot be understood.
    #[error("{log} {}: {problem}; {hint}", path.display())]
    Corrupt {
        /// Which log.
        log: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
        /// What the user can do.
        hint: String,
    },
    /// The batch file already exists: a leftover, or another writer that ignored the lock.
    #[error(
        "{log} {}: already exists, and a log file is never overwritten; this query holds the \
         checkpoint's lock, so an earlier run left it (a batch planned again instead of recovered) or it \
         was written by hand; `crashpoint inspect` on the checkpoint shows which batch it belongs to",
        path.display()
    )]
    ConcurrentWriter {
        /// Which log.
        log: &'static str,
        /// The file.
        path: PathBuf,
    },
    /// A log file that a batch needs is not there.
    #[error("{log} {}: missing, but {needed_by}; {hint}", path.display())]
    Missing {
        /// Which log.
        log: &'static str,
        /// The file that should be there.
        path: PathBuf,
        /// Who needs it, e.g. "batch 3 covers source-log batches 2 to 4".
        needed_by: String,
        /// What the user can do.
        hint: String,
    },
    /// A file whose name reads as a batch id (`03`, `+3`) but is not that batch's own file,
    /// above every batch file of the log: Spark lists it as the newest batch and fails to read
    /// the batch's own file (FINDINGS Q26d2).
    #[error(
        "{log} {}: a stray file whose name reads as batch {batch} (a log's file names are read as \
         numbers), newer than every batch file, but {} is not there; Spark stops here too (`File … \
         does not exist`). Move the stray file out of the log directory, then restart",
        path.display(), own.display()
    )]
    StrayName {
        /// Which log.
        log: &'static str,
        /// The stray file.
        path: PathBuf,
        /// The batch id its name reads as.
        batch: u64,
        /// The batch's own file, which is not there.
        own: PathBuf,
    },
    /// A batch file of the range a start reads, named for another compaction interval than the
    /// one the log compacts with now: the query was restarted with another `compactInterval`
    /// before the log held compactions enough to dictate it (FINDINGS Q26e2).
    #[error(
        "{log} {}: not there, but {found} is: the log compacts every {interval} batches now \
         (compactInterval {conf}, checked against the log's compactions at the start), and Spark \
         reads the batch from the first name; Spark stops here too (`File … does not exist`). \
         Restart with the compactInterval the log was written with, or start with a new checkpoint",
        wanted.display()
    )]
    IntervalMismatch {
        /// Which log.
        log: &'static str,
        /// The file the interval names, which is not there.
        wanted: PathBuf,
        /// The batch's file that is there (`3` for `3.compact`, or the other way).
        found: String,
        /// The interval the log compacts with now.
        interval: u64,
        /// The `compactInterval` the query is given.
        conf: u64,
    },
    /// An injected crash.
    #[error(transparent)]
    Crash(#[from] Crash),
}

impl CheckpointError {
    /// The operating system's error behind this one, if it is an I/O error.
    pub fn io_error(&self) -> Option<&io::Error> {
        match self {
            CheckpointError::Io { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Shorthand for results of this layer.
pub type Result<T> = std::result::Result<T, CheckpointError>;

/// Adds the log name, path and operation to an I/O error.
pub(crate) fn io_err(
    log: &'static str,
    path: &std::path::Path,
    op: &'static str,
) -> impl FnOnce(io::Error) -> CheckpointError {
    let path = path.to_path_buf();
    move |error| CheckpointError::Io { log, path, op, error }
}
