//! A file arriving while a run goes on (a run step's `arrive`): at the chosen hit of a point
//! the user's hands put the file in place, and the run goes on; which batch takes it is the
//! trigger's business, and the reference model says which. If the run stops before that hit (a
//! crash, an error), the file arrives once it has stopped, while the query is down.
//!
//! It must never decide what the engine should do with the file: that is the model's job.

use super::runner::Runner;
use super::steps::{Arrival, RunStep};
use super::world::PendingArrival;
use crashpoint_engine::faults::{CrashPoint, FaultPlan, Interlude};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Whether the arrival came during the run, and how putting it in place went.
#[derive(Debug, Default)]
pub(super) struct Arrived {
    during_run: bool,
    error: Option<String>,
}

/// A run's arrival: the file, ready, and where its outcome lands.
pub(super) type ArrivalSlot = (PendingArrival, Arc<Mutex<Arrived>>);

impl Runner<'_> {
    /// `faults` with the run step's arrival as an interlude at its hit, if it has one.
    pub(super) fn with_arrival(&mut self, faults: FaultPlan, run: &RunStep) -> (FaultPlan, Option<ArrivalSlot>) {
        let Some(arrive) = &run.arrive else { return (faults, None) };
        let pending = self.world.arrival(&arrive.file);
        let slot = Arc::new(Mutex::new(Arrived::default()));
        let (file, out) = (pending.clone(), slot.clone());
        let interlude = Interlude(Arc::new(move || {
            let mut arrived = out.lock().unwrap_or_else(PoisonError::into_inner);
            if !arrived.during_run {
                arrived.during_run = true;
                arrived.error = file.apply().err().map(|e| e.to_string());
            }
        }));
        let (point, hit) = arrive.at;
        (faults.with_interlude(point, hit, interlude), Some((pending, slot)))
    }

    /// After the run: says when the file arrived; puts it in place now if the run stopped before
    /// its hit. One that a run that went to its end never reached makes a bad scenario.
    pub(super) fn finish_arrival(
        &mut self,
        number: usize,
        ordinal: u32,
        arrive: &Arrival,
        (pending, slot): &ArrivalSlot,
        hits: &BTreeMap<CrashPoint, u32>,
        stopped: bool,
    ) {
        let arrived = std::mem::take(&mut *slot.lock().unwrap_or_else(PoisonError::into_inner));
        let error = if arrived.during_run {
            self.trace.push(format!("    during run {ordinal}: {arrive}"));
            arrived.error
        } else {
            self.trace.push(format!("    run {ordinal} stopped before its arrival, which comes now: {arrive}"));
            let (point, hit) = arrive.at;
            if !stopped {
                let hits = hits.get(&point).copied().unwrap_or(0);
                self.unmatched_faults.push(format!(
                    "step {number}: the arrival at {point} (hit {hit}) never came during the run: run {ordinal} hit \
                     {point} {hits} time(s)"
                ));
            }
            pending.apply().err().map(|e| e.to_string())
        };
        if let Some(error) = error {
            self.problems.push(format!("step {number}: the file could not arrive ({arrive}): {error}"));
        }
    }
}
