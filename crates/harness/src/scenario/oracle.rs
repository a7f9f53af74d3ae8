//! The oracle of every verdict: the reference model's expectation of the scenario with its
//! crashes, power losses and seeded bugs taken out. For a scenario the model does not model (a
//! corrupted or truncated log file), the engine's own crash-free run stands in, and the report
//! says so.

use super::format::Scenario;
use super::model::{Expected, Unmodelled, expected};
use super::runner::{Execution, Injection, execute};
use crate::check::{Cause, EmissionOutcome};
use std::collections::{BTreeMap, BTreeSet};

/// What a schedule of a scenario is judged against.
#[derive(Debug, Clone)]
pub struct Oracle {
    /// What a crash-free run shows.
    pub expected: Expected,
    /// Why the engine's crash-free run stands in for the model, if it does.
    pub fallback: Option<Unmodelled>,
    /// Whose crash-free run is the oracle instead of the model, e.g. "Spark" (another target).
    pub run_of: Option<String>,
}

impl Oracle {
    /// The oracle of `scenario`: the model of its crash-free, bug-free form.
    pub fn of(scenario: &Scenario) -> Self {
        let clean = scenario.without_crashes();
        match expected(&clean) {
            Ok(expected) => Oracle { expected, fallback: None, run_of: None },
            Err(unmodelled) => {
                let execution = execute(&clean, &Injection::default());
                Oracle { expected: observed(&execution), fallback: Some(unmodelled), run_of: None }
            }
        }
    }

    /// The crash-free run `execution` of another target (`who`, e.g. "Spark") as the oracle.
    pub fn from_run(execution: &Execution, who: &str) -> Self {
        Oracle { expected: observed(execution), fallback: None, run_of: Some(who.to_string()) }
    }

    /// True when the reference model, not a run, says what is expected.
    pub fn is_model(&self) -> bool {
        self.fallback.is_none() && self.run_of.is_none()
    }

    /// Which oracle this is, in words.
    pub fn describe(&self) -> String {
        match (&self.run_of, &self.fallback) {
            (Some(who), _) => format!("{who}'s own crash-free run"),
            (None, None) => "the reference model, no crashes".to_string(),
            (None, Some(why)) => format!("the engine's crash-free run, as {why}"),
        }
    }
}

/// What an execution showed, in the model's terms: for the fallback oracle.
fn observed(execution: &Execution) -> Expected {
    let mut written = BTreeSet::new();
    let first_writes = execution
        .emissions
        .iter()
        .filter(|e| e.outcome != EmissionOutcome::Skipped && written.insert(e.batch))
        .flat_map(|e| e.rows.iter().cloned())
        .collect();
    let dead_letters: BTreeMap<_, _> =
        execution.dead_letters.iter().map(|(line, files)| (line.clone(), files.len())).collect();
    let failed_runs = execution
        .processes
        .iter()
        .filter_map(|p| p.error.clone().map(|error| (p.ordinal, Cause::Other(error))))
        .collect();
    Expected {
        rows: execution.output.clone(),
        first_writes,
        dead_letters,
        planned: execution.planned.clone(),
        // The fallback oracle is the engine's own run: its times and warnings prove nothing.
        batch_times: Vec::new(),
        skipped_uncommitted: Vec::new(),
        failed_runs,
        last_committed_batch: execution.last_committed_batch,
        // Only the model says which names Spark misreads; a run's own warnings prove nothing.
        misread_names: BTreeMap::new(),
        // Only the model says what each line is.
        lines: crate::check::LineFacts::default(),
        too_old: std::collections::BTreeMap::new(),
        // Only the model states the crash-point contract and the part files.
        hits: Vec::new(),
        hit_points: Vec::new(),
        parts: Vec::new(),
        tasks: Vec::new(),
        // Only the model says what each subdirectory is.
        not_read: BTreeMap::new(),
        dirs: BTreeMap::new(),
    }
}
