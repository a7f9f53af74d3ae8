//! Invariant 6: the live log tells what a run did. The events a run announces as they happen
//! (what `crashpoint stream` shows, and what a process that dies mid-batch has still said) are
//! held to the checkpoint and the sink: every commit the run wrote is announced, every batch
//! handed to the sink is announced as written, with its row count, or as skipped, nothing is
//! announced that the sink did not get, and a crash is announced as the run's last word.
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
    use crashpoint_engine::faults::CrashPoint;

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
