//! `crashpoint doctor`: applies the ways forward that [`crate::diagnosis`] finds. `--repair`
//! takes a finding's choice only when it is the one that costs nothing; a choice with a cost
//! is taken only when the user names it. Nothing is taken silently.
//!
//! It must never run while a query holds the checkpoint or the output: it takes their locks.

use crate::diagnosis::{Action, Choice, Finding};
use crashpoint_engine::checkpoint::{Checkpoint, StreamMetadata, WriteCtx};
use crashpoint_engine::faults::FaultPlan;
use crashpoint_engine::rng::{Rng, derive};
use crashpoint_engine::storage::{LockGuard, Storage};
use std::path::Path;

/// The choices to apply: each finding's free one (with `free`), and every choice named.
pub fn selected<'a>(findings: &'a [Finding], free: bool, named: &[String]) -> Vec<&'a Choice> {
    let mut chosen: Vec<&Choice> = Vec::new();
    for finding in findings {
        let pick = finding
            .choices
            .iter()
            .find(|c| named.contains(&c.name))
            .or_else(|| if free { finding.free_choice() } else { None });
        if let Some(choice) = pick {
            chosen.push(choice);
        }
    }
    chosen
}

/// Names given with `--choose` that no finding offers.
pub fn unknown_names(findings: &[Finding], named: &[String]) -> Vec<String> {
    named.iter().filter(|n| !findings.iter().flat_map(|f| &f.choices).any(|c| &c.name == *n)).cloned().collect()
}

/// Takes the checkpoint's lock (and the output's, if given), so that no query runs meanwhile.
pub fn lock(storage: &dyn Storage, checkpoint: &Path, output: Option<&Path>) -> std::io::Result<Vec<LockGuard>> {
    let mut guards = vec![storage.lock(&checkpoint.join(".lock")).map_err(|e| busy(checkpoint, e))?];
    if let Some(output) = output {
        let lock = output.join(crashpoint_engine::sink::OUTPUT_LOCK);
        guards.push(storage.lock(&lock).map_err(|e| busy(output, e))?);
    }
    Ok(guards)
}

fn busy(dir: &Path, e: std::io::Error) -> std::io::Error {
    if e.kind() == std::io::ErrorKind::WouldBlock {
        let message = format!("{}: a query is running on it; stop it before repairing", dir.display());
        return std::io::Error::new(e.kind(), message);
    }
    e
}

/// Applies the choices in order; returns what was done, one line per choice.
pub fn apply(storage: &dyn Storage, choices: &[&Choice]) -> std::io::Result<Vec<String>> {
    let mut done = Vec::new();
    for choice in choices {
        for action in &choice.actions {
            run(storage, action)?;
        }
        done.push(format!("{}: {}", choice.name, choice.effect));
    }
    Ok(done)
}

fn run(storage: &dyn Storage, action: &Action) -> std::io::Result<()> {
    match action {
        Action::Delete(path) => {
            match storage.remove_file(path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                other => other.map_err(|e| context(path, "delete", e))?,
            }
            let dir = path.parent().unwrap_or(Path::new("/"));
            storage.sync_dir(dir).map_err(|e| context(dir, "fsync", e))
        }
        Action::WriteCommit { checkpoint, batch } => {
            let mut faults = FaultPlan::none();
            let mut ctx = WriteCtx { storage, faults: &mut faults };
            Checkpoint::new(checkpoint).write_commit(&mut ctx, *batch).map_err(std::io::Error::other)
        }
        Action::WriteMetadata { checkpoint } => {
            let id = Rng::new(derive(0, &format!("doctor/{}", checkpoint.display()))).uuid();
            let mut faults = FaultPlan::none();
            let mut ctx = WriteCtx { storage, faults: &mut faults };
            Checkpoint::new(checkpoint).write_metadata(&mut ctx, &StreamMetadata { id }).map_err(std::io::Error::other)
        }
    }
}

fn context(path: &Path, op: &str, e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("could not {op} {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnosis::diagnose;
    use crashpoint_engine::storage::SimStorage;

    fn checkpoint(offsets: &[u64], commits: &[u64]) -> SimStorage {
        let sim = SimStorage::new(0);
        let checkpoint = Checkpoint::new(Path::new("/cp"));
        let mut faults = FaultPlan::none();
        let mut ctx = WriteCtx { storage: &sim, faults: &mut faults };
        checkpoint.write_metadata(&mut ctx, &StreamMetadata { id: "q".into() }).unwrap();
        for id in offsets {
            let entry = crashpoint_engine::checkpoint::SourceFileEntry {
                path: format!("file:///in/{id}.json"),
                timestamp: 0,
                batch_id: *id,
            };
            sim.create_dir_all(Path::new("/in")).unwrap();
            sim.write(Path::new(&format!("/in/{id}.json")), b"{}").unwrap();
            checkpoint.sources.add(&mut ctx, *id, &[entry]).unwrap();
            let plan = crashpoint_engine::checkpoint::PlanRecord { fingerprint: "fp", json: "[]" };
            checkpoint.write_offsets(&mut ctx, *id, 0, plan, *id).unwrap();
        }
        for id in commits {
            checkpoint.write_commit(&mut ctx, *id).unwrap();
        }
        sim
    }

    #[test]
    fn a_torn_uncommitted_offsets_file_is_repaired_and_a_committed_one_is_left_with_advice() {
        let sim = checkpoint(&[0, 1], &[0]);
        sim.write(Path::new("/cp/offsets/1"), b"").unwrap();
        let findings = diagnose(&sim, Path::new("/cp"), None).unwrap();
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(findings[0].problem.contains("offsets/1: the file is empty"), "{:?}", findings[0]);
        apply(&sim, &selected(&findings, true, &[])).unwrap();
        assert_eq!(diagnose(&sim, Path::new("/cp"), None).unwrap(), vec![]);

        sim.write(Path::new("/cp/offsets/0"), b"garbage").unwrap();
        let findings = diagnose(&sim, Path::new("/cp"), None).unwrap();
        // offsets/0 is the latest committed one now, and sources/0/1 is not batch 0's alone: which
        // entries batch 0 took is unknown, so nothing is offered but a restore.
        assert!(findings[0].problem.contains("offsets/0") && findings[0].problem.contains("batch 0 ended"));
        assert!(findings[0].choices.is_empty() && findings[0].by_hand.is_some(), "{findings:?}");
    }

    #[test]
    fn a_costly_choice_is_taken_only_when_named() {
        let sim = checkpoint(&[0, 1], &[0, 1]);
        sim.remove_file(Path::new("/cp/metadata")).unwrap();
        let findings = diagnose(&sim, Path::new("/cp"), None).unwrap();
        assert!(findings.iter().any(|f| f.problem.contains("metadata") && f.choices[0].cost.is_some()), "{findings:?}");
        assert!(selected(&findings, true, &[]).is_empty());
        let named = vec!["new-query-id".to_string()];
        assert_eq!(unknown_names(&findings, &named), Vec::<String>::new());
        apply(&sim, &selected(&findings, false, &named)).unwrap();
        assert_eq!(diagnose(&sim, Path::new("/cp"), None).unwrap(), vec![]);
        assert_eq!(unknown_names(&findings, &["nope".into()]), vec!["nope".to_string()]);
    }
}
