//! Where a restarted query resumes, decided from the latest offsets and commit exactly as Spark
//! does, except that a shape Spark only warns about is an error here.

use super::EngineError;
use crate::checkpoint::Checkpoint;
use crate::storage::Storage;

/// How a run starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// No offsets: start at batch 0.
    Fresh,
    /// Latest commit == latest offsets: the next batch is new.
    Continue {
        /// The next batch id.
        next: u64,
    },
    /// Latest commit == latest offsets − 1: re-run that batch with exactly its recorded files.
    Rerun {
        /// The batch to re-run.
        batch: u64,
    },
}

impl std::fmt::Display for Resume {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Resume::Fresh => write!(f, "no offsets: start at batch 0"),
            Resume::Continue { next } => write!(f, "batch {} committed: continue at batch {next}", next - 1),
            Resume::Rerun { batch } => write!(f, "offsets/{batch} has no commit: re-run batch {batch}"),
        }
    }
}

fn shape_error(checkpoint: &Checkpoint, problem: String, hint: &str) -> EngineError {
    EngineError::Recovery { checkpoint: checkpoint.root().to_path_buf(), problem, hint: hint.to_string() }
}

/// Decides how to resume from the latest offsets `L` and latest commit `C`.
pub fn decide(storage: &dyn Storage, checkpoint: &Checkpoint) -> Result<Resume, EngineError> {
    let offsets = checkpoint.offsets.latest(storage)?;
    let commit = checkpoint.commits.latest(storage)?;
    if let Some(c) = commit {
        // Spark reads the latest commit at restart: a torn or empty one is an error, not a commit.
        checkpoint.read_commit(storage, c)?;
    }
    match (offsets, commit) {
        (None, None) => Ok(Resume::Fresh),
        (None, Some(c)) => Err(shape_error(
            checkpoint,
            format!("commits/{c} exists but offsets/ is empty"),
            "the offsets log was deleted: restore it from a backup, or start over with a new checkpoint and a new output \
             directory (everything is processed again)",
        )),
        (Some(l), Some(c)) if c == l => Ok(Resume::Continue { next: l + 1 }),
        (Some(l), c) if c.map_or(l == 0, |c| c + 1 == l) => Ok(Resume::Rerun { batch: l }),
        (Some(l), Some(c)) if c > l => Err(shape_error(
            checkpoint,
            format!("commits/{c} is newer than the latest offsets file offsets/{l}"),
            "offsets were deleted by hand: restore them from a backup, or run `crashpoint doctor` on the checkpoint: it \
             can run the batch again from its source-log entries",
        )),
        (Some(l), c) => {
            let committed = c.map_or("no commit at all".to_string(), |c| format!("the latest commit is commits/{c}"));
            Err(shape_error(
                checkpoint,
                format!(
                    "the latest offsets file is offsets/{l} but {committed}: commits trail offsets by more than one \
                     batch (Spark only warns here and goes on)"
                ),
                "run `crashpoint doctor` on the checkpoint: it can run those batches again, each with its recorded files",
            ))
        }
    }
}

/// Batches with offsets but no commit below the latest commit: they never re-run, in Spark as
/// here, because only the latest commit counts (a commit deleted by hand, say).
pub fn skipped_uncommitted(storage: &dyn Storage, checkpoint: &Checkpoint) -> Result<Vec<u64>, EngineError> {
    let Some(latest_commit) = checkpoint.commits.latest(storage)? else { return Ok(Vec::new()) };
    let commits = checkpoint.commits.files(storage)?;
    let offsets = checkpoint.offsets.files(storage)?;
    Ok(offsets.iter().map(|f| f.id).filter(|id| *id < latest_commit && !commits.iter().any(|c| c.id == *id)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::WriteCtx;
    use crate::faults::FaultPlan;
    use crate::storage::SimStorage;
    use std::path::Path;

    fn checkpoint_with(offsets: &[u64], commits: &[u64]) -> (SimStorage, Checkpoint) {
        let sim = SimStorage::new(0);
        let checkpoint = Checkpoint::new(Path::new("/cp"));
        let mut faults = FaultPlan::none();
        let mut ctx = WriteCtx { storage: &sim, faults: &mut faults };
        for id in offsets {
            let plan = crate::checkpoint::PlanRecord { fingerprint: "fp", json: "[]" };
            checkpoint.write_offsets(&mut ctx, *id, 0, plan, *id).unwrap();
        }
        for id in commits {
            checkpoint.write_commit(&mut ctx, *id).unwrap();
        }
        (sim, checkpoint)
    }

    #[test]
    fn recovery_cases() {
        let cases: &[(&[u64], &[u64], Resume)] = &[
            (&[], &[], Resume::Fresh),
            (&[0], &[], Resume::Rerun { batch: 0 }),
            (&[0, 1], &[0, 1], Resume::Continue { next: 2 }),
            (&[0, 1], &[0], Resume::Rerun { batch: 1 }),
        ];
        for (offsets, commits, expected) in cases {
            let (sim, checkpoint) = checkpoint_with(offsets, commits);
            assert_eq!(decide(&sim, &checkpoint).unwrap(), *expected, "{offsets:?} {commits:?}");
        }
    }

    #[test]
    fn a_missing_commit_below_the_latest_is_skipped_not_rerun() {
        let (sim, checkpoint) = checkpoint_with(&[0, 1, 2], &[1, 2]);
        assert_eq!(decide(&sim, &checkpoint).unwrap(), Resume::Continue { next: 3 });
        assert_eq!(skipped_uncommitted(&sim, &checkpoint).unwrap(), vec![0]);
        let (sim, checkpoint) = checkpoint_with(&[0, 1], &[0]);
        assert_eq!(skipped_uncommitted(&sim, &checkpoint).unwrap(), Vec::<u64>::new(), "the pending batch re-runs");
    }

    #[test]
    fn recovery_fail_cases() {
        let cases: &[(&[u64], &[u64], &str)] = &[
            (&[0, 1, 2], &[0], "offsets/2 but the latest commit is commits/0"),
            (&[0, 1], &[], "offsets/1 but no commit at all"),
            (&[], &[0], "commits/0 exists but offsets/ is empty"),
            (&[0], &[0, 1], "commits/1 is newer"),
        ];
        for (offsets, commits, expected) in cases {
            let (sim, checkpoint) = checkpoint_with(offsets, commits);
            let err = decide(&sim, &checkpoint).unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        }
    }
}
