//! The engine's seams bent (feature `seeded-bugs` only): a batch's steps in another order, and
//! a restart that skips a pending batch.
//!
//! Spark's lifecycle is `batch::run_batch` and Spark's recovery is `recovery::decide`; this
//! module must never change them, only stand in for them when a seam says so.

use super::batch::Planned;
use super::{Engine, EngineError, Resume};
use crate::faults::CrashPoint;
use crate::seams::{BatchOrder, BatchStep, PendingBatch, Seams};

/// The recovery decision as the pending-batch seam bends it.
pub(super) fn bent_resume(seams: &Seams, resume: Resume) -> Resume {
    match (seams.pending_batch, resume) {
        (PendingBatch::Skipped, Resume::Rerun { batch }) => Resume::Continue { next: batch + 1 },
        (_, resume) => resume,
    }
}

impl Engine<'_> {
    /// Runs a planned batch with its steps in `order` instead of Spark's.
    pub(super) fn run_batch_in_order(&mut self, order: BatchOrder, planned: &Planned) -> Result<(), EngineError> {
        let (id, timestamp_ms) = (planned.id, planned.timestamp_ms);
        let mut rows = None;
        for step in order.steps() {
            match step {
                BatchStep::WritePlanLogs => self.write_plan_logs(planned)?,
                BatchStep::ReadBatch => rows = Some(self.read_unless_held(id, &planned.files, timestamp_ms)?),
                BatchStep::AddToSink => {
                    let read = rows.as_ref().expect("every batch order reads the batch before the sink gets it");
                    if let Some(rows) = read {
                        self.add_to_sink(id, timestamp_ms, rows)?;
                    }
                }
                BatchStep::AfterSinkWrite => self.faults.hit(CrashPoint::AfterSinkWrite)?,
                BatchStep::Commit => self.commit(id)?,
                BatchStep::AfterCommitWrite => self.faults.hit(CrashPoint::AfterCommitWrite)?,
            }
        }
        self.finish_batch(id, &planned.files)
    }
}
