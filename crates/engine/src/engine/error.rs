//! Errors of the engine: each says what is wrong, where, and what to do.

use crate::checkpoint::CheckpointError;
use crate::faults::Crash;
use crate::plan::PlanError;
use crate::sink::SinkError;
use crate::storage::what_to_do;
use std::path::PathBuf;

/// The engine stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// An injected crash: the process is to be thought of as dead.
    #[error(transparent)]
    Crash(Crash),
    /// The checkpoint could not be read or written.
    #[error(transparent)]
    Checkpoint(CheckpointError),
    /// The sink failed.
    #[error(transparent)]
    Sink(SinkError),
    /// The checkpoint's shape allows no safe recovery.
    #[error("cannot recover checkpoint {}: {problem}; {hint}", checkpoint.display())]
    Recovery {
        /// The checkpoint root.
        checkpoint: PathBuf,
        /// What is wrong, naming the files.
        problem: String,
        /// What the user can do.
        hint: String,
    },
    /// The sink already holds a batch id that this checkpoint would plan anew: the sink would
    /// skip it, and its rows would be lost.
    #[error(
        "{place} already holds batches up to {latest}, but checkpoint {} has no plan for batch {batch}{why}: \
         planned anew, batch {batch} would be skipped by the sink and its rows lost (Spark loses them \
         silently). Write into a new output directory, or restore the checkpoint that wrote this output; \
         to do as Spark does and lose those rows, allow it explicitly (--allow-existing-sink-log)",
        checkpoint.display()
    )]
    SinkAhead {
        /// Where the sink keeps its batches, e.g. `/out/_spark_metadata`.
        place: String,
        /// The newest batch it holds.
        latest: u64,
        /// The checkpoint root.
        checkpoint: PathBuf,
        /// The batch about to be planned.
        batch: u64,
        /// Why the checkpoint has no plan: "(it is new)" or which files are missing.
        why: String,
    },
    /// The sink does not hold a batch the checkpoint says is committed: its rows are not in
    /// the output, and going on would leave a hole that readers fail on.
    #[error(
        "{place} ends at {}, but commits/{committed} in checkpoint {} says batch {committed} is done: \
         the output lacks that batch's rows (was it replaced, or first written by another sink?). \
         Run `crashpoint doctor {} --output <the output directory>`: it can run the batch again, or says \
         what to restore",
        held.map_or("no batch".to_string(), |h| format!("batch {h}")), checkpoint.display(), checkpoint.display()
    )]
    SinkBehind {
        /// Where the sink keeps its batches.
        place: String,
        /// The newest batch it holds, if any.
        held: Option<u64>,
        /// The latest committed batch.
        committed: u64,
        /// The checkpoint root.
        checkpoint: PathBuf,
    },
    /// The query's logic differs from the one that wrote the checkpoint.
    #[error(
        "the query changed since {} was written: {}. Spark would go on and silently mix the two \
         schemas. Start with a new checkpoint directory, or run the original query",
        offsets_file.display(), describe_plan_change(changes, recorded, current)
    )]
    PlanChanged {
        /// The offsets file with the recorded fingerprint.
        offsets_file: PathBuf,
        /// Its fingerprint.
        recorded: String,
        /// This plan's fingerprint.
        current: String,
        /// What changed, one sentence each (empty if the checkpoint records no plan, only its
        /// fingerprint).
        changes: Vec<String>,
    },
    /// An option of the query has a value its rule refuses: the query does not start.
    #[error(transparent)]
    BadOption(#[from] crate::source::OptionRefused),
    /// The plan is invalid.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The input directory is not there when the query starts: Spark's `start()` refuses it
    /// (`PATH_NOT_FOUND`, FINDINGS Q7, Q26d2). A directory that goes away during a run reads as
    /// empty, as in Spark.
    #[error(
        "input directory {} does not exist (Spark refuses it too: [PATH_NOT_FOUND] Path does not exist); \
         make it (it may be empty), or give the query the directory its files arrive in",
        path.display()
    )]
    InputDirMissing {
        /// The input directory.
        path: PathBuf,
    },
    /// The input path is not a directory when the query starts (a file took its place): Spark
    /// refuses it too (`Option 'basePath' must be a directory`, FINDINGS Q26d2).
    #[error(
        "input path {} is not a directory (Spark refuses it too: Option 'basePath' must be a directory); \
         the file source reads a directory of files: move the file into a directory and give the query that",
        path.display()
    )]
    InputNotADirectory {
        /// The input path.
        path: PathBuf,
    },
    /// An input file could not be read (the OS error is in the message, not a `source`).
    #[error("input file {}: could not {op}: {error}; {}", path.display(), what_to_do(error))]
    Input {
        /// The file.
        path: PathBuf,
        /// What was attempted.
        op: &'static str,
        /// The cause.
        error: std::io::Error,
    },
    /// A file planned into a batch cannot be read: the batch cannot run as planned.
    #[error(
        "batch {batch} cannot run: its input file {} cannot be read: {error}. The checkpoint fixes \
         the files of batch {batch} (sources/0/), so it cannot run without this one: put the file \
         back and restart, or run `crashpoint doctor {}` to see the ways forward and what each costs",
        path.display(), checkpoint.display()
    )]
    PlannedInput {
        /// The batch.
        batch: u64,
        /// The file.
        path: PathBuf,
        /// The checkpoint root, for the hint.
        checkpoint: PathBuf,
        /// The cause (in the message, not a `source`, so that it is printed once).
        error: std::io::Error,
    },
    /// A malformed record in `failfast` mode.
    #[error("{file}:{line}: {reason} (mode is failfast; use permissive to route bad lines to a dead-letter file)")]
    BadRecord {
        /// The file URI.
        file: String,
        /// The line, from 1.
        line: u32,
        /// Why.
        reason: String,
    },
    /// A seen file was written again and the query asked for an error.
    #[error("{0} (on-modified is error)")]
    ModifiedInput(String),
}

impl EngineError {
    /// The operating system's error behind this one, if it is an I/O error: the disk failed
    /// an operation on a checkpoint, input, output or dead-letter file.
    pub fn io_error(&self) -> Option<&std::io::Error> {
        match self {
            EngineError::Checkpoint(e) => e.io_error(),
            EngineError::Sink(e) => e.io_error(),
            EngineError::Input { error, .. } | EngineError::PlannedInput { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The injected crash behind this error, if it is one.
    pub fn crash(&self) -> Option<Crash> {
        match self {
            EngineError::Crash(crash) => Some(*crash),
            _ => None,
        }
    }
}

impl From<CheckpointError> for EngineError {
    fn from(e: CheckpointError) -> Self {
        match e {
            CheckpointError::Crash(crash) => EngineError::Crash(crash),
            other => EngineError::Checkpoint(other),
        }
    }
}

impl From<SinkError> for EngineError {
    fn from(e: SinkError) -> Self {
        match e {
            SinkError::Log(log) => log.into(),
            other => EngineError::Sink(other),
        }
    }
}

impl From<Crash> for EngineError {
    fn from(crash: Crash) -> Self {
        EngineError::Crash(crash)
    }
}

/// The changes of a plan, or its two fingerprints when the checkpoint did not record the plan.
fn describe_plan_change(changes: &[String], recorded: &str, current: &str) -> String {
    if changes.is_empty() {
        format!(
            "it records plan fingerprint {recorded}, this query's plan has fingerprint {current} (the checkpoint \
             does not record the plan itself, so what changed cannot be told)"
        )
    } else {
        format!("{} (plan fingerprint {recorded}, now {current})", changes.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_query_is_told_in_words_or_by_fingerprints_when_the_plan_was_not_recorded() {
        let changed = |changes: Vec<String>| EngineError::PlanChanged {
            offsets_file: PathBuf::from("/cp/offsets/3"),
            recorded: "aaaa".into(),
            current: "bbbb".into(),
            changes,
        };
        let cases = [
            (
                changed(vec!["step 3 was added: `filter temp > 20`".into()]),
                "the query changed since /cp/offsets/3 was written: step 3 was added: `filter temp > 20` (plan \
                 fingerprint aaaa, now bbbb). Spark would",
            ),
            (
                changed(vec![]),
                "the query changed since /cp/offsets/3 was written: it records plan fingerprint aaaa, this \
                 query's plan has fingerprint bbbb (the checkpoint does not record the plan itself",
            ),
        ];
        for (error, expected) in cases {
            let message = error.to_string();
            assert!(message.starts_with(expected), "{message}");
        }
    }
}
