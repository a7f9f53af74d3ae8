//! `crashpoint doctor`: checks a checkpoint and repairs the cases that are safe to repair, the
//! ones a crash mid-write leaves behind: a torn latest log file that nothing was built on yet,
//! and stray temp files.
//!
//! A repair only ever deletes a file whose batch will be planned or run again from what remains;
//! it never edits a file and never touches a committed batch's offsets or sources.

use crashpoint_engine::checkpoint::{Checkpoint, LogFile, MetadataLog};
use crashpoint_engine::engine::decide;
use crashpoint_engine::storage::Storage;
use std::path::{Path, PathBuf};

/// Something wrong with a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What is wrong, naming the file.
    pub problem: String,
    /// The file whose deletion repairs it safely, with what happens then.
    pub repair: Option<(PathBuf, String)>,
}

/// Why batch `id` of a log cannot be read and parsed, if it cannot.
fn unreadable(storage: &dyn Storage, checkpoint: &Checkpoint, log: &MetadataLog, id: u64) -> Option<String> {
    let file = LogFile { id, compact: false };
    let result = if log.dir() == checkpoint.offsets.dir() {
        checkpoint.read_offsets(storage, id).map(drop)
    } else if log.dir() == checkpoint.commits.dir() {
        checkpoint.read_commit(storage, id).map(drop)
    } else {
        checkpoint.sources.read_file(storage, file).map(drop)
    };
    result.err().map(|e| e.to_string())
}

fn latest(storage: &dyn Storage, log: &MetadataLog) -> Option<u64> {
    log.files(storage).ok()?.iter().filter(|f| !f.compact).map(|f| f.id).max()
}

/// The newest source-log batch that an offsets file covers (its `logOffset`): that of the
/// latest offsets file, or of the one before if the latest cannot be read (a repair deletes it).
fn covered_source_log(storage: &dyn Storage, checkpoint: &Checkpoint, latest_offsets: Option<u64>) -> Option<u64> {
    let l = latest_offsets?;
    match checkpoint.read_offsets(storage, l) {
        Ok(offsets) => offsets.log_offset,
        Err(_) => checkpoint.previous_log_offset(storage, l).ok().flatten(),
    }
}

/// Everything wrong with the checkpoint at `root`, with a safe repair where there is one.
pub fn diagnose(storage: &dyn Storage, root: &Path) -> Vec<Finding> {
    let checkpoint = Checkpoint::new(root);
    let mut findings = Vec::new();
    let (offsets, commits, sources) = (&checkpoint.offsets, &checkpoint.commits, checkpoint.sources.log());
    let latest_offsets = latest(storage, offsets);
    let latest_commit = latest(storage, commits);
    if let Some(l) = latest_offsets
        && latest_commit != Some(l)
        && let Some(problem) = unreadable(storage, &checkpoint, offsets, l)
    {
        let then = format!(
            "batch {l} has no commit, so it is planned again: the source-log entries no batch has taken, and any \
             new files"
        );
        findings.push(Finding { problem, repair: Some((offsets.path(LogFile { id: l, compact: false }), then)) });
    }
    if let Some(l) = latest(storage, sources)
        && covered_source_log(storage, &checkpoint, latest_offsets).is_none_or(|k| k < l)
        && let Some(problem) = unreadable(storage, &checkpoint, sources, l)
    {
        let then =
            format!("no batch covers sources/0/{l} yet, so its files are planned again from the input directory");
        findings.push(Finding { problem, repair: Some((sources.path(LogFile { id: l, compact: false }), then)) });
    }
    if let Some(c) = latest_commit
        && let Some(problem) = unreadable(storage, &checkpoint, commits, c)
    {
        let then = format!("batch {c} runs again with its recorded files; an exactly-once sink skips it");
        findings.push(Finding { problem, repair: Some((commits.path(LogFile { id: c, compact: false }), then)) });
    }
    if latest_offsets.is_none()
        && let Err(e) = checkpoint.read_metadata(storage)
    {
        let then = "no batch has started, so a new query id is written".to_string();
        findings.push(Finding { problem: e.to_string(), repair: Some((checkpoint.metadata_path(), then)) });
    }
    for dir in [offsets.dir(), commits.dir(), sources.dir(), root] {
        for entry in storage.list(dir).unwrap_or_default().into_iter().filter(|e| e.name.ends_with(".tmp")) {
            let problem = format!("stray temp file {} from a crash during a log write", entry.path.display());
            findings.push(Finding { problem, repair: Some((entry.path, "nothing reads it".into())) });
        }
    }
    findings.extend(unrepairable_files(storage, &checkpoint, &findings));
    if latest_offsets.is_some()
        && let Err(e) = checkpoint.read_metadata(storage).and_then(|m| m.ok_or_else(|| missing_metadata(&checkpoint)))
    {
        let problem = format!("{e}. No safe repair: batches exist, so the query id must be restored from a backup");
        findings.push(Finding { problem, repair: None });
    }
    if findings.iter().all(|f| f.repair.is_none())
        && let Err(e) = decide(storage, &checkpoint)
    {
        findings.push(Finding { problem: e.to_string(), repair: None });
    }
    findings
}

fn missing_metadata(checkpoint: &Checkpoint) -> crashpoint_engine::checkpoint::CheckpointError {
    crashpoint_engine::checkpoint::CheckpointError::Corrupt {
        log: "metadata file",
        path: checkpoint.metadata_path(),
        problem: "the file is missing".into(),
        hint: "offsets/ has batches".into(),
    }
}

/// Every other log file that cannot be read: a committed batch's files, compactions. Deleting
/// them would lose what the query knows, so there is no safe repair.
fn unrepairable_files(storage: &dyn Storage, checkpoint: &Checkpoint, known: &[Finding]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let logs = [&checkpoint.offsets, &checkpoint.commits, checkpoint.sources.log()];
    for log in logs {
        for file in log.files(storage).unwrap_or_default() {
            let path = log.path(file);
            if known.iter().any(|f| f.repair.as_ref().is_some_and(|(p, _)| *p == path)) {
                continue;
            }
            let broken = if file.compact {
                checkpoint.sources.read_file(storage, file).err().map(|e| e.to_string())
            } else {
                unreadable(storage, checkpoint, log, file.id)
            };
            if let Some(problem) = broken {
                let problem = format!(
                    "{problem}. No safe repair: this file records work the query has built on; restore it \
                     from a backup, or start over with a new checkpoint (everything is reprocessed)"
                );
                findings.push(Finding { problem, repair: None });
            }
        }
    }
    findings
}

/// Applies the safe repairs; returns what was done.
pub fn repair(storage: &dyn Storage, findings: &[Finding]) -> std::io::Result<Vec<String>> {
    let mut done = Vec::new();
    for (path, then) in findings.iter().filter_map(|f| f.repair.as_ref()) {
        storage.remove_file(path)?;
        if let Some(dir) = path.parent() {
            storage.sync_dir(dir)?;
        }
        done.push(format!("deleted {}: {then}", path.display()));
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crashpoint_engine::checkpoint::WriteCtx;
    use crashpoint_engine::faults::FaultPlan;
    use crashpoint_engine::storage::SimStorage;

    #[test]
    fn a_torn_uncommitted_offsets_file_is_repaired_and_a_committed_one_is_not() {
        let sim = SimStorage::new(0);
        let checkpoint = Checkpoint::new(Path::new("/cp"));
        let mut faults = FaultPlan::none();
        let mut ctx = WriteCtx { storage: &sim, faults: &mut faults };
        let metadata = crashpoint_engine::checkpoint::StreamMetadata { id: "q".into() };
        checkpoint.write_metadata(&mut ctx, &metadata).unwrap();
        for id in 0..2 {
            checkpoint.write_offsets(&mut ctx, id, 0, "fp", id).unwrap();
        }
        checkpoint.write_commit(&mut ctx, 0).unwrap();
        sim.write(Path::new("/cp/offsets/1"), b"").unwrap();
        let findings = diagnose(&sim, Path::new("/cp"));
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(findings[0].problem.contains("offsets/1: the file is empty"), "{:?}", findings[0]);
        repair(&sim, &findings).unwrap();
        assert!(diagnose(&sim, Path::new("/cp")).is_empty());

        sim.write(Path::new("/cp/offsets/0"), b"garbage").unwrap();
        let findings = diagnose(&sim, Path::new("/cp"));
        assert!(findings[0].problem.contains("offsets/0") && findings[0].problem.contains("No safe repair"));
        assert!(findings.iter().all(|f| f.repair.is_none()), "committed batches stay: {findings:?}");

        sim.remove_file(Path::new("/cp/metadata")).unwrap();
        let findings = diagnose(&sim, Path::new("/cp"));
        assert!(findings.iter().any(|f| f.problem.contains("metadata") && f.repair.is_none()), "{findings:?}");
    }
}
