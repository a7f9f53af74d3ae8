//! What the engine did, step by step: the run's trace, shown by the CLI and snapshotted by the
//! scenario runner.

use super::Resume;
use crate::checkpoint::SourceRange;
use crate::faults::Crash;
use std::fmt;

/// One thing the engine did or noticed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The query started on its checkpoint.
    Started {
        /// The query id from `metadata`.
        query_id: String,
        /// How it resumes.
        resume: Resume,
    },
    /// A batch was planned.
    BatchPlanned {
        /// The batch id.
        id: u64,
        /// The file URIs it takes.
        files: Vec<String>,
        /// Why these files: "new files", "re-run", "source log ahead of offsets", ….
        origin: &'static str,
        /// The source-log batches it covers (its `logOffset` is the last).
        sources: SourceRange,
    },
    /// Bad lines of a batch went to the dead-letter file.
    BadRecords {
        /// The batch id.
        id: u64,
        /// How many.
        count: usize,
        /// The dead-letter file.
        dead_letter: String,
        /// The first bad line, as `file:line: reason`.
        first: String,
    },
    /// Values of a batch's records did not fit the schema and were read as NULL, their records
    /// kept, as Spark reads them: no bad line, but never unsaid.
    ReadAsNull {
        /// The batch id.
        id: u64,
        /// How many values.
        count: usize,
        /// The first, as `file:line: path: what it was is not TYPE`.
        first: String,
    },
    /// The sink wrote a batch.
    SinkWrote {
        /// The batch id.
        id: u64,
        /// Rows written.
        rows: usize,
    },
    /// The sink skipped a batch it already had.
    SinkSkipped {
        /// The batch id.
        id: u64,
        /// The sink's reason.
        reason: String,
    },
    /// `commits/N` was written.
    Committed {
        /// The batch id.
        id: u64,
    },
    /// Batch `id` has offsets but no commit, below the latest commit: it is not run again (in
    /// Spark as here, only the latest commit counts; a commit deleted by hand, say). A warning.
    SkippedUncommitted {
        /// The batch id.
        id: u64,
    },
    /// Something the file source noticed that the user should hear about: a warning, typed so
    /// that a reader (the oracle) need not parse its words.
    SourceNotice(crate::source::SourceNotice),
    /// Something the user should know.
    Warning(String),
    /// An injected crash ended the run.
    Crashed(Crash),
    /// No new data: the trigger is done.
    Idle,
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Started { query_id, resume } => write!(f, "start query {query_id}: {resume}"),
            Event::BatchPlanned { id, files, origin, sources } => {
                let names: Vec<String> = files.iter().map(|uri| crate::uri::file_name_of(uri)).collect();
                // The source log is named only where it is not the batch's own id: the news.
                let range = if sources.is_batch_id(*id) { String::new() } else { format!(", {sources}") };
                write!(f, "batch {id} ({origin}{range}): {}", names.join(", "))
            }
            Event::BadRecords { id, count, dead_letter, first } => write!(
                f,
                "batch {id}: {count} bad line(s) written to {dead_letter} (the first: {first}); fix them at the \
                 source and drop them in as new files"
            ),
            Event::ReadAsNull { id, count, first } => write!(
                f,
                "batch {id}: {count} value(s) did not fit the schema and were read as NULL, the rest of each record \
                 kept, as Spark reads them (the first: {first})"
            ),
            Event::SinkWrote { id, rows } => write!(f, "batch {id}: sink wrote {rows} row(s)"),
            Event::SinkSkipped { id, reason } => write!(f, "batch {id}: sink skipped it: {reason}"),
            Event::Committed { id } => write!(f, "batch {id}: committed"),
            Event::SkippedUncommitted { id } => write!(
                f,
                "warning: commits/{id} is missing but later batches are committed: batch {id} is not run again (as in \
                 Spark, only the latest commit counts); `crashpoint doctor` can restore the commit"
            ),
            Event::SourceNotice(notice) => write!(f, "warning: {notice}"),
            Event::Warning(message) => write!(f, "warning: {message}"),
            Event::Crashed(crash) => write!(f, "CRASH: {crash}"),
            Event::Idle => write!(f, "no new files: stop"),
        }
    }
}
