//! A crash-free run against the reference model, batch by batch: each run must plan the
//! batches the model plans (the oldest unseen files first, by modification time then path),
//! fail exactly where the model fails, and for the model's cause (the engine's error must say
//! what [`Cause::matches`] asks: the refusal, the bad line, so that a run failing for another
//! reason is a finding, not a pass), and warn of exactly the batches the model finds skipped.
//! With crashes, batch boundaries may legally move, so only crash-free runs are held to this.

use super::Cause;

/// One planned batch: (run, batch id, file names sorted).
pub type PlannedBatch = (u32, u64, Vec<String>);

/// Compares a crash-free execution's batches and failed runs (run, the engine's error) with
/// the model's (run, cause).
pub fn judge_agreement(
    expected: &[PlannedBatch],
    planned: &[PlannedBatch],
    expected_failures: &[(u32, Cause)],
    failed_runs: &[(u32, String)],
) -> Vec<String> {
    let mut findings = Vec::new();
    let runs: std::collections::BTreeSet<u32> = expected.iter().chain(planned).map(|(run, _, _)| *run).collect();
    for run in runs {
        let mine = |all: &[PlannedBatch]| -> Vec<(u64, Vec<String>)> {
            all.iter().filter(|(r, _, _)| *r == run).map(|(_, id, files)| (*id, files.clone())).collect()
        };
        let (want, got) = (mine(expected), mine(planned));
        let at = want.iter().zip(&got).position(|(w, g)| w != g).unwrap_or(want.len().min(got.len()));
        let show = |batch: Option<&(u64, Vec<String>)>| match batch {
            Some((id, files)) => format!("batch {id} with [{}]", files.join(", ")),
            None => "no batch".to_string(),
        };
        if want.len() != got.len() || at < want.len() {
            findings.push(format!(
                "run {run} planned {}, where the reference model plans {}: a batch takes the oldest unseen files \
                 first, by modification time then path, and a path only once; an available-now run takes only \
                 what the input held at its start, so a file that arrives during it waits for the next run; a \
                 processing-time batch under maxFilesPerTrigger keeps the files it leaves for the next batches \
                 unless they are fewer than a fifth of the limit",
                show(got.get(at)),
                show(want.get(at))
            ));
        }
    }
    for (run, cause) in expected_failures {
        match failed_runs.iter().find(|(r, _)| r == run) {
            None => findings.push(format!("run {run} succeeded, but the reference model expects it to fail: {cause}")),
            Some((_, error)) if !cause.matches(error) => findings.push(format!(
                "run {run} failed: {error}, but the reference model expects it to fail because {cause} (the error \
                 must say {:?})",
                cause.phrase().unwrap_or_default()
            )),
            Some(_) => {}
        }
    }
    findings
}

/// Holds each crash-free run's warnings about batches skipped for a later commit (offsets but
/// no commit below the latest commit: they never run again) to the batches the reference model
/// finds at that run's start. Both lists: (run, batch ids), runs with none left out.
pub fn judge_skipped_uncommitted(expected: &[(u32, Vec<u64>)], warned: &[(u32, Vec<u64>)]) -> Vec<String> {
    let runs: std::collections::BTreeSet<u32> = expected.iter().chain(warned).map(|(run, _)| *run).collect();
    let of = |all: &[(u32, Vec<u64>)], run: u32| all.iter().find(|(r, _)| *r == run).map(|(_, ids)| ids.clone());
    let mut findings = Vec::new();
    for run in runs {
        let (want, got) = (of(expected, run).unwrap_or_default(), of(warned, run).unwrap_or_default());
        if want != got {
            findings.push(format!(
                "run {run} warned that batches {got:?} have offsets but no commit below the latest commit and are not \
                 run again, where the reference model finds {want:?} at the run's start"
            ));
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_must_name_exactly_the_skipped_batches() {
        // Goal: the warning names what happened, no more and no less. Method: the model's
        // batches against warnings that name too many (every batch below the latest commit, as
        // a test of `||` for `&&` would), too few, or the right ones.
        let model = [(3, vec![0])];
        assert!(judge_skipped_uncommitted(&model, &[(3, vec![0])]).is_empty());
        assert!(judge_skipped_uncommitted(&[], &[]).is_empty());
        let found = judge_skipped_uncommitted(&model, &[(2, vec![0]), (3, vec![0, 1])]);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].starts_with("run 2 warned that batches [0] have offsets"), "{found:?}");
        assert!(found[0].ends_with("where the reference model finds [] at the run's start"), "{found:?}");
        assert!(found[1].starts_with("run 3 warned that batches [0, 1]"), "{found:?}");
        let found = judge_skipped_uncommitted(&model, &[]);
        assert!(found[0].starts_with("run 3 warned that batches [] have"), "{found:?}");
    }

    #[test]
    fn cases() {
        let batch = |run, id, files: &[&str]| (run, id, files.iter().map(|f| f.to_string()).collect::<Vec<_>>());
        let model = [batch(1, 0, &["a.json"]), batch(1, 1, &["b.json"])];
        assert!(judge_agreement(&model, &model, &[], &[]).is_empty());
        let swapped = [batch(1, 0, &["b.json"]), batch(1, 1, &["a.json"])];
        let found = judge_agreement(&model, &swapped, &[], &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with(
                "run 1 planned batch 0 with [b.json], where the reference model plans batch 0 with [a.json]"
            )
        );
        let short = [batch(1, 0, &["a.json"])];
        let found = judge_agreement(&model, &short, &[], &[]);
        assert!(
            found[0].contains("planned no batch, where the reference model plans batch 1 with [b.json]"),
            "{found:?}"
        );
        let changed = [(2, Cause::QueryChanged)];
        let found = judge_agreement(&model, &model, &changed, &[]);
        assert_eq!(
            found,
            ["run 2 succeeded, but the reference model expects it to fail: the query changed: the plan differs from \
              the one in the latest offsets"]
        );
        let error = |e: &str| [(2, e.to_string())];
        assert!(judge_agreement(&model, &model, &changed, &error("the query changed since offsets/1 ...")).is_empty());
        assert!(judge_agreement(&model, &model, &[(2, Cause::Other("x".into()))], &error("y")).is_empty());
    }

    #[test]
    fn a_failure_with_another_cause_is_a_finding() {
        // Goal: a run the model says fails must fail for the model's cause: the refusal of a
        // commit newer than the offsets is not the refusal of commits trailing them. Method: a
        // hand-made wrong failure fed to the check, as engine/recovery.rs words each refusal.
        let newer = [(3, Cause::CommitNewerThanOffsets { commit: 2, offsets: 1 })];
        let trailing = "cannot recover checkpoint /cp: the latest offsets file is offsets/1 but the latest commit is \
                        commits/2: commits trail offsets by more than one batch";
        let found = judge_agreement(&[], &[], &newer, &[(3, trailing.into())]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("run 3 failed: cannot recover checkpoint")
                && found[0].contains("but the reference model expects it to fail because commits/2 is newer than"),
            "{found:?}"
        );
        let right = "cannot recover checkpoint /cp: commits/2 is newer than the latest offsets file offsets/1; ...";
        assert!(judge_agreement(&[], &[], &newer, &[(3, right.into())]).is_empty());
    }
}
