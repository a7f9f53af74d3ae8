//! Invariant 6: the live log tells what a run did. The events a run announces as they happen
//! (what `crashpoint stream` shows, and what a process that dies mid-batch has still said) are
//! held to the checkpoint and the sink: every commit the run wrote is announced, every batch
//! handed to the sink is announced as written, with its row count, or as skipped, nothing is
//! announced that the sink did not get, and a crash is announced as the run's last word.
//!
//! And a run warns of exactly the batches its start finds below the latest commit with offsets
//! but no commit (a commit deleted by hand, say): they never run again, in Spark as here, and a
//! user who is not told loses them without a word. What the start finds is read off the disk
//! before the run, so this holds with crashes and power losses too, where the reference
//! model's batch ids may differ from the run's.
//!
//! The one commit a run may leave unsaid is the last one, when the run stopped (a crash, an
//! error) after writing it: the stop is announced instead.

use super::verdict::{Emission, EmissionOutcome};
use crashpoint_engine::engine::Event;
use crashpoint_engine::faults::Crash;

/// What one run did, as the disk and the sink saw it, and what its live log said.
#[derive(Debug, Clone, Copy)]
pub struct RunTrace<'a> {
    /// The events the run announced, in order.
    pub events: &'a [Event],
    /// The commits that exist after the run and did not before it, ascending.
    pub new_commits: &'a [u64],
    /// The batches the run handed to the sink, in order.
    pub emissions: &'a [Emission],
    /// The crash that ended the run.
    pub crashed: Option<Crash>,
    /// True if the run ended in an error (a crash included).
    pub stopped: bool,
}

/// Checks a run's live log against what it did. Returns the violations, in words.
pub fn check_trace(run: &RunTrace<'_>) -> Vec<String> {
    let mut violations = commits_announced(run);
    violations.extend(sink_announced(run));
    if let Some(crash) = run.crashed
        && run.events.last() != Some(&Event::Crashed(crash))
    {
        violations.push(format!(
            "the run crashed at {} (hit {}), but its live log does not end with the crash",
            crash.point, crash.hit
        ));
    }
    violations
}

/// The batches below the latest commit that have offsets but no commit, ascending.
pub fn uncommitted_below_latest(offsets: &[u64], commits: &[u64]) -> Vec<u64> {
    let Some(&latest) = commits.iter().max() else { return Vec::new() };
    let mut ids: Vec<u64> = offsets.iter().copied().filter(|id| *id < latest && !commits.contains(id)).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Checks that a run that started warned of exactly the batches [`uncommitted_below_latest`]
/// finds in the offsets and commits on the disk at its start. A run that never started (it
/// stopped while it opened the checkpoint) is not judged.
pub fn check_skipped_warned(events: &[Event], offsets: &[u64], commits: &[u64]) -> Vec<String> {
    if !events.iter().any(|e| matches!(e, Event::Started { .. })) {
        return Vec::new();
    }
    let mut warned: Vec<u64> =
        events.iter().filter_map(|e| if let Event::SkippedUncommitted { id } = e { Some(*id) } else { None }).collect();
    warned.sort_unstable();
    let found = uncommitted_below_latest(offsets, commits);
    if warned == found {
        return Vec::new();
    }
    let latest = commits.iter().max().copied().unwrap_or_default();
    vec![format!(
        "at its start the checkpoint had offsets but no commit below the latest commit, commits/{latest}, for batches \
         {found:?}, which never run again; the run's live log warned of batches {warned:?}"
    )]
}

fn commits_announced(run: &RunTrace<'_>) -> Vec<String> {
    let last = run.new_commits.last().copied();
    // Announced, or the last commit of a run that stopped right after it.
    let said = |id: u64| run.events.contains(&Event::Committed { id }) || (run.stopped && Some(id) == last);
    run.new_commits
        .iter()
        .filter(|id| !said(**id))
        .map(|id| {
            format!("the run wrote commits/{id}, but its live log never announced it (\"batch {id}: committed\")")
        })
        .collect()
}

/// The sink's hand-overs and the live log's `SinkWrote`/`SinkSkipped`, matched one to one.
fn sink_announced(run: &RunTrace<'_>) -> Vec<String> {
    let said: Vec<(u64, Option<usize>)> = run
        .events
        .iter()
        .filter_map(|event| match event {
            Event::SinkWrote { id, rows } => Some((*id, Some(*rows))),
            Event::SinkSkipped { id, .. } => Some((*id, None)),
            _ => None,
        })
        .collect();
    let done: Vec<(u64, Option<usize>)> = run
        .emissions
        .iter()
        .filter_map(|e| match e.outcome {
            EmissionOutcome::Written => Some((e.batch, Some(e.rows.len()))),
            EmissionOutcome::Skipped => Some((e.batch, None)),
            // The sink failed inside the batch: the run stops, and says so with its error.
            EmissionOutcome::Crashed => None,
        })
        .collect();
    let show = |(id, rows): &(u64, Option<usize>)| match rows {
        Some(rows) => format!("batch {id} written with {rows} row(s)"),
        None => format!("batch {id} skipped"),
    };
    let mut violations = Vec::new();
    for unsaid in done.iter().filter(|d| !said.contains(d)) {
        violations.push(format!("the sink got {}, but the run's live log does not say so", show(unsaid)));
    }
    for untrue in said.iter().filter(|s| !done.contains(s)) {
        violations.push(format!("the run's live log says {}, but the sink got no such batch", show(untrue)));
    }
    violations
}

#[cfg(test)]
mod tests {
    use super::*;
    use crashpoint_engine::engine::Resume;
    use crashpoint_engine::faults::CrashPoint;

    fn started(skipped: &[u64]) -> Vec<Event> {
        let mut events = vec![Event::Started { query_id: "q".into(), resume: Resume::Continue { next: 3 } }];
        events.extend(skipped.iter().map(|id| Event::SkippedUncommitted { id: *id }));
        events
    }

    #[test]
    fn the_batches_left_uncommitted_below_the_latest_commit() {
        assert_eq!(uncommitted_below_latest(&[0, 1, 2], &[0, 2]), [1]);
        assert_eq!(uncommitted_below_latest(&[0, 1, 2], &[0, 1]), Vec::<u64>::new(), "the pending batch re-runs");
        assert_eq!(uncommitted_below_latest(&[3, 4, 5, 6], &[6]), [3, 4, 5]);
        assert_eq!(uncommitted_below_latest(&[0, 1], &[]), Vec::<u64>::new());
    }

    #[test]
    fn a_run_that_does_not_warn_of_a_deleted_older_commit_is_caught() {
        // Goal: the engine keeping quiet about batch 1 (commits/1 deleted by hand) is caught, and
        // so is a warning about a batch that has its commit. Method: hand-made live logs.
        assert!(check_skipped_warned(&started(&[1]), &[0, 1, 2], &[0, 2]).is_empty());
        let found = check_skipped_warned(&started(&[]), &[0, 1, 2], &[0, 2]);
        assert!(found[0].contains("for batches [1]") && found[0].contains("warned of batches []"), "{found:?}");
        assert_eq!(check_skipped_warned(&started(&[0]), &[0, 1, 2], &[0, 1, 2]).len(), 1);
        // A run that never started is not judged.
        assert!(check_skipped_warned(&[], &[0, 1, 2], &[0, 2]).is_empty());
    }

    fn emission(batch: u64, rows: usize, outcome: EmissionOutcome) -> Emission {
        Emission {
            process: 1,
            cause: String::new(),
            batch,
            rows: vec![vec![]; rows],
            outcome,
            recorded_timestamp_ms: None,
        }
    }

    fn said_all() -> Vec<Event> {
        vec![
            Event::SinkWrote { id: 0, rows: 2 },
            Event::Committed { id: 0 },
            Event::SinkSkipped { id: 1, reason: "held".into() },
            Event::Committed { id: 1 },
        ]
    }

    #[test]
    fn a_live_log_that_says_what_the_run_did_passes() {
        let emissions = [emission(0, 2, EmissionOutcome::Written), emission(1, 0, EmissionOutcome::Skipped)];
        let events = said_all();
        let run =
            RunTrace { events: &events, new_commits: &[0, 1], emissions: &emissions, crashed: None, stopped: false };
        assert_eq!(check_trace(&run), Vec::<String>::new());
        let crash = Crash { point: CrashPoint::AfterCommitWrite, hit: 2 };
        let mut events = said_all();
        events.push(Event::Crashed(crash));
        let crashed = RunTrace { events: &events, new_commits: &[0, 1, 2], crashed: Some(crash), stopped: true, ..run };
        assert_eq!(check_trace(&crashed), Vec::<String>::new(), "the commit it crashed after is the crash's to say");
    }

    #[test]
    fn a_silent_live_log_is_caught() {
        // Goal: a live log whose observer is never told (an `on_event` that does nothing) is
        // caught: the commits, the sink's batches and the crash go unsaid. Method: the run's
        // record against an empty live log, then against one with a wrong row count.
        let emissions = [emission(0, 2, EmissionOutcome::Written), emission(1, 0, EmissionOutcome::Skipped)];
        let crash = Crash { point: CrashPoint::AfterSinkWrite, hit: 1 };
        let run =
            RunTrace { events: &[], new_commits: &[0, 1], emissions: &emissions, crashed: Some(crash), stopped: true };
        let found = check_trace(&run);
        assert_eq!(found.len(), 4, "{found:?}");
        assert_eq!(found[0], "the run wrote commits/0, but its live log never announced it (\"batch 0: committed\")");
        assert_eq!(found[1], "the sink got batch 0 written with 2 row(s), but the run's live log does not say so");
        assert_eq!(found[2], "the sink got batch 1 skipped, but the run's live log does not say so");
        assert!(found[3].starts_with("the run crashed at after-sink-write (hit 1), but its live log"), "{found:?}");
        let mut events = said_all();
        events[0] = Event::SinkWrote { id: 0, rows: 3 };
        let miscounted = RunTrace { events: &events, crashed: None, stopped: false, ..run };
        let found = check_trace(&miscounted);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[1], "the run's live log says batch 0 written with 3 row(s), but the sink got no such batch");
    }
}
