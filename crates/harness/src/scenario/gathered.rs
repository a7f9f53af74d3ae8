//! A sink behind a wrapper of the user's that names no part format (`gather-rows = true`): the
//! engine then gathers each batch's rows and hands them to [`Sink::add_batch`], as it does for a
//! user's own sink that wraps Spark's file sink and forwards only the trait's required methods.
//! The file sink then encodes the rows itself, and must write what the encoded path writes.
//!
//! The wrapper forwards every method but the part format: it must never change a batch, skip
//! one or hide a crash.

use crashpoint_engine::checkpoint::WriteCtx;
use crashpoint_engine::guarantee::Guarantee;
use crashpoint_engine::sink::{Batch, HeldBatches, Sink, SinkError, SinkOutcome};
use crashpoint_engine::storage::Storage;

/// `inner`, handed gathered rows.
pub(super) struct GatheredRows(pub(super) Box<dyn Sink>);

impl Sink for GatheredRows {
    fn kind(&self) -> &'static str {
        self.0.kind()
    }

    fn guarantee(&self) -> Guarantee {
        self.0.guarantee()
    }

    fn add_batch(&mut self, ctx: &mut WriteCtx<'_>, batch: Batch<'_>) -> Result<SinkOutcome, SinkError> {
        self.0.add_batch(ctx, batch)
    }

    // `part_format` and `add_encoded_batch` keep the trait's defaults: no format, so the engine
    // gathers the rows.

    fn open(&mut self, storage: &dyn Storage) -> Result<(), SinkError> {
        self.0.open(storage)
    }

    fn held_batches(&self, storage: &dyn Storage) -> Result<Option<HeldBatches>, SinkError> {
        self.0.held_batches(storage)
    }

    fn keeps_batches(&self) -> bool {
        self.0.keeps_batches()
    }

    fn skip_if_held(&mut self, ctx: &mut WriteCtx<'_>, id: u64) -> Result<Option<String>, SinkError> {
        self.0.skip_if_held(ctx, id)
    }
}
