//! The foreach-batch sink: a user callback that gets the batch id. It is idempotent only if the
//! callback uses the id, so the engine counts it as at-least-once.

use super::{Batch, Sink, SinkError, SinkOutcome};
use crate::checkpoint::WriteCtx;
use crate::faults::CrashPoint;
use crate::guarantee::Guarantee;

/// The callback: batch id, column names, rows.
pub type BatchCallback = Box<dyn FnMut(u64, &[String], &[crate::plan::Row]) -> Result<(), String> + Send>;

/// Calls a user callback for each batch.
pub struct ForeachBatchSink {
    callback: BatchCallback,
}

impl ForeachBatchSink {
    /// A sink around `callback`.
    pub fn new(callback: BatchCallback) -> Self {
        Self { callback }
    }
}

impl Sink for ForeachBatchSink {
    fn kind(&self) -> &'static str {
        "foreach-batch"
    }

    fn guarantee(&self) -> Guarantee {
        Guarantee::AtLeastOnce
    }

    fn add_batch(&mut self, ctx: &mut WriteCtx<'_>, batch: Batch<'_>) -> Result<SinkOutcome, SinkError> {
        (self.callback)(batch.id, batch.schema, batch.rows)
            .map_err(|message| SinkError::Callback { batch_id: batch.id, message })?;
        ctx.faults.hit(CrashPoint::DuringSinkWrite)?;
        Ok(SinkOutcome::Written)
    }
}
