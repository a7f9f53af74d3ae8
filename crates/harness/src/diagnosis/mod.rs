//! What is wrong with a checkpoint, and the ways forward: the findings that `crashpoint doctor`
//! repairs and that `crashpoint inspect` lists as oddities.
//!
//! Each check reads only; nothing here writes. A finding names the file, says what the engine
//! and Spark would do with it, and offers choices, each with what it does and what it costs.
//! A choice that costs nothing may be applied by `doctor --repair`; one with a cost is applied
//! only when the user names it. A finding with no choice says what to do by hand.

mod crc;
mod input;
mod logs;
mod sink;

use crashpoint_engine::checkpoint::Checkpoint;
use crashpoint_engine::storage::Storage;
use std::path::{Path, PathBuf};

/// One step of a repair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Delete a file.
    Delete(PathBuf),
    /// Write `metadata` with a new query id.
    WriteMetadata {
        /// The checkpoint root.
        checkpoint: PathBuf,
    },
    /// Write `commits/N` (as the engine writes it) in the checkpoint.
    WriteCommit {
        /// The checkpoint root.
        checkpoint: PathBuf,
        /// The batch.
        batch: u64,
    },
}

/// One way forward from a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// A short stable name, for `doctor --choose NAME`, e.g. `replan-batch-2`.
    pub name: String,
    /// What it does, and what the next run then does.
    pub effect: String,
    /// What it costs, in records or guarantees; `None` if nothing.
    pub cost: Option<String>,
    /// The steps, in order: a crash between two of them leaves a state `doctor` understands.
    pub actions: Vec<Action>,
}

impl Choice {
    /// A choice that costs nothing.
    pub fn free(name: String, effect: String, actions: Vec<Action>) -> Self {
        Self { name, effect, cost: None, actions }
    }
}

/// Something wrong with a checkpoint, or with the sink's log beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What is wrong, naming the file, and what the engine (and Spark) do with it.
    pub problem: String,
    /// The ways forward that `doctor` can take.
    pub choices: Vec<Choice>,
    /// What to do by hand, when no choice fits or as another way.
    pub by_hand: Option<String>,
}

impl Finding {
    /// A finding with one choice that costs nothing.
    pub fn repairable(problem: String, choice: Choice) -> Self {
        Self { problem, choices: vec![choice], by_hand: None }
    }

    /// A finding with no choice: only what to do by hand.
    pub fn by_hand(problem: String, advice: String) -> Self {
        Self { problem, choices: Vec::new(), by_hand: Some(advice) }
    }

    /// The one choice that costs nothing, if there is exactly one: what `--repair` applies.
    pub fn free_choice(&self) -> Option<&Choice> {
        let mut free = self.choices.iter().filter(|c| c.cost.is_none());
        match (free.next(), free.next()) {
            (Some(choice), None) => Some(choice),
            _ => None,
        }
    }
}

/// The directory given is not a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: not a checkpoint: {what}; give the directory passed as --checkpoint", path.display())]
pub struct NotACheckpoint {
    /// The directory.
    pub path: PathBuf,
    /// What it looks like instead.
    pub what: String,
}

/// What the sink keeps beside the checkpoint, when the user says where: a file sink's output.
#[derive(Debug, Clone, Copy)]
pub struct SinkDir<'a> {
    /// The output directory, with `_spark_metadata` in it.
    pub output: &'a Path,
}

/// Checks that `root` is a checkpoint: it has `metadata` or one of Spark's log directories.
pub fn check_is_checkpoint(storage: &dyn Storage, root: &Path) -> Result<(), NotACheckpoint> {
    let not = |what: String| NotACheckpoint { path: root.to_path_buf(), what };
    let entries = match storage.list(root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(not("it does not exist".into())),
        Err(e) => return Err(not(format!("it cannot be listed ({e})"))),
    };
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    if ["metadata", "offsets", "commits", "sources"].iter().any(|n| names.contains(n)) {
        return Ok(());
    }
    let files = entries.iter().filter(|e| e.is_file() && !e.name.starts_with('.')).count();
    Err(not(if names.contains(&"_spark_metadata") {
        "it has _spark_metadata, so it is a file sink's output directory (pass it as --output)".into()
    } else if files > 0 {
        format!("it has {files} file(s) but no metadata, offsets/, commits/ or sources/ (an input directory?)")
    } else {
        "it has no metadata, offsets/, commits/ or sources/ (it is empty, or no query has started on it)".into()
    }))
}

/// Everything wrong with the checkpoint at `root` (and with the file sink's log in `sink`, if
/// given), with the ways forward.
pub fn diagnose(storage: &dyn Storage, root: &Path, sink: Option<SinkDir<'_>>) -> Result<Vec<Finding>, NotACheckpoint> {
    check_is_checkpoint(storage, root)?;
    let checkpoint = Checkpoint::new(root);
    let held = sink.and_then(|s| sink::latest(storage, s));
    let state = logs::SinkState { known: sink.is_some(), held };
    let mut findings = logs::torn_files(storage, &checkpoint, state);
    findings.extend(logs::commit_without_offsets(storage, &checkpoint, state));
    findings.extend(logs::missing_commits(storage, &checkpoint));
    findings.extend(logs::trailing_commits(storage, &checkpoint));
    findings.extend(crc::checksums(storage, &checkpoint, sink));
    findings.extend(logs::temp_files(storage, &checkpoint, sink));
    findings.extend(logs::missing_source_entry(storage, &checkpoint, held, sink.is_some()));
    findings.extend(input::unreadable_planned_files(storage, &checkpoint, sink.is_some(), held));
    if let Some(sink) = sink {
        findings.extend(sink::sink_log(storage, &checkpoint, sink));
    }
    if findings.is_empty()
        && let Err(e) = crashpoint_engine::engine::decide(storage, &checkpoint)
    {
        // The message says what is wrong and what to do.
        findings.push(Finding { problem: e.to_string(), choices: Vec::new(), by_hand: None });
    }
    Ok(findings)
}

/// A log error in words, without the engine's hint to run `doctor`: this is doctor.
fn describe(error: &crashpoint_engine::checkpoint::CheckpointError) -> String {
    match error {
        crashpoint_engine::checkpoint::CheckpointError::Corrupt { log, path, problem, .. } => {
            format!("{log} {}: {problem}", path.display())
        }
        other => other.to_string(),
    }
}

/// The checkpoint-relative name of a path, for short messages (`offsets/3`).
fn short(checkpoint: &Checkpoint, path: &Path) -> String {
    path.strip_prefix(checkpoint.root()).unwrap_or(path).display().to_string()
}
