//! A second query on the same checkpoint while a run holds it (a run step's `second-query`):
//! at the chosen point of the run, another engine starts on the same disk, checkpoint and sink,
//! as a second process would. The checkpoint's lock (or the file sink's output lock) must keep
//! it out; a second query that runs is a violation, whatever it then does.

use super::runner::Runner;
use super::sinks::PlannedRows;
use crashpoint_engine::engine::{Engine, EngineError, EngineOptions, Event, Query, Trigger};
use crashpoint_engine::faults::{CrashPoint, FaultPlan, Interlude};
use std::sync::{Arc, Mutex};

/// What the second query did: its error (if it was kept out or failed) and its trace.
#[derive(Debug, Default)]
pub(super) struct Intrusion {
    fired: bool,
    error: Option<String>,
    events: Vec<Event>,
}

/// Where a second query's outcome lands once its interlude has run.
pub(super) type IntrusionSlot = Arc<Mutex<Intrusion>>;

/// Words a lock's refusal holds: the checkpoint's, or the file sink's output's.
const REFUSALS: [&str; 2] = ["another query is running on it", "another query is writing into it"];

impl Runner<'_> {
    /// `faults` with a second query at `at`, and the slot its outcome lands in.
    pub(super) fn with_second_query(
        &self,
        faults: FaultPlan,
        at: (CrashPoint, u32),
        ordinal: u32,
        query: &Query,
        options: EngineOptions,
        trigger: Trigger,
    ) -> (FaultPlan, IntrusionSlot) {
        let slot = IntrusionSlot::default();
        let planned = PlannedRows::of(self.world.storage().clone(), query);
        let cause = format!("a second query while run {ordinal} ran");
        let sink = self.world.sink(&self.query, self.scenario.seed, ordinal, &cause, planned);
        let sink = Mutex::new(Some(sink));
        let storage = self.world.storage().clone();
        let (query, plan, out) = (query.clone(), self.query.bug_set().apply(FaultPlan::none()), slot.clone());
        let interlude = Interlude(Arc::new(move || {
            let Some(sink) = sink.lock().unwrap_or_else(|e| e.into_inner()).take() else { return };
            let engine = sink
                .map_err(EngineError::from)
                .and_then(|sink| Engine::new(storage.as_ref(), query.clone(), sink, options, plan.clone()));
            let (result, events) = match engine {
                Ok(mut engine) => (engine.run(trigger), engine.events().to_vec()),
                Err(e) => (Err(e), Vec::new()),
            };
            let intrusion = Intrusion { fired: true, error: result.err().map(|e| e.to_string()), events };
            *out.lock().unwrap_or_else(|e| e.into_inner()) = intrusion;
        }));
        (faults.with_interlude(at.0, at.1, interlude), slot)
    }

    /// Judges what the second query did: kept out by a lock, or a violation.
    pub(super) fn judge_second_query(&mut self, ordinal: u32, at: (CrashPoint, u32), slot: &IntrusionSlot) -> bool {
        let intrusion = std::mem::take(&mut *slot.lock().unwrap_or_else(|e| e.into_inner()));
        if !intrusion.fired {
            return false;
        }
        let (point, hit) = at;
        let refused = intrusion.error.as_ref().is_some_and(|e| REFUSALS.iter().any(|r| e.contains(r)));
        if refused {
            let error = intrusion.error.unwrap_or_default();
            self.trace.push(format!("    a second query started at {point} (hit {hit}) and was kept out: {error}"));
            return true;
        }
        self.trace.push(format!("    a second query started at {point} (hit {hit}) on the same checkpoint:"));
        intrusion.events.iter().for_each(|event| self.trace.push(format!("      {event}")));
        let outcome = intrusion.error.map_or("it ran to the end".to_string(), |e| format!("it failed: {e}"));
        let violation = format!(
            "a second query started on the checkpoint while run {ordinal} was at {point} (hit {hit}), and no lock \
             kept it out ({outcome}): two queries on one checkpoint race each other's batches"
        );
        self.trace.push(format!("    VIOLATION: {violation}"));
        self.violations.push(format!("run {ordinal}: {violation}"));
        true
    }
}
