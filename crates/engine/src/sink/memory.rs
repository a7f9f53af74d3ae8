//! The memory sink, for tests: an in-memory table that keeps each batch id once.

use super::{Batch, HeldBatches, Sink, SinkError, SinkOutcome};
use crate::checkpoint::WriteCtx;
use crate::faults::CrashPoint;
use crate::guarantee::Guarantee;
use crate::plan::Row;
use crate::storage::Storage;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The table behind memory sinks: it outlives engine restarts, as a database would.
pub type MemoryStore = Arc<Mutex<BTreeMap<u64, Vec<Row>>>>;

/// Appends batches to a [`MemoryStore`], skipping batch ids it already holds.
pub struct MemorySink {
    store: MemoryStore,
}

impl MemorySink {
    /// A sink writing into `store`.
    pub fn new(store: MemoryStore) -> Self {
        Self { store }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Vec<Row>>> {
        // Poisoning only follows an injected panic; the table is whole.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Sink for MemorySink {
    fn kind(&self) -> &'static str {
        "memory"
    }

    fn guarantee(&self) -> Guarantee {
        Guarantee::ExactlyOnce
    }

    fn add_batch(&mut self, ctx: &mut WriteCtx<'_>, batch: Batch<'_>) -> Result<SinkOutcome, SinkError> {
        let mut store = self.table();
        if store.contains_key(&batch.id) {
            return Ok(SinkOutcome::Skipped(format!("batch {} is already in the table", batch.id)));
        }
        store.insert(batch.id, batch.rows.to_vec());
        drop(store);
        ctx.faults.hit(CrashPoint::DuringSinkWrite)?;
        Ok(SinkOutcome::Written)
    }

    fn held_batches(&self, _storage: &dyn Storage) -> Result<Option<HeldBatches>, SinkError> {
        let latest = self.table().keys().next_back().copied();
        Ok(latest.map(|latest| HeldBatches { latest, place: "the memory sink's table".into() }))
    }

    fn keeps_batches(&self) -> bool {
        true
    }

    fn skip_if_held(&mut self, _ctx: &mut WriteCtx<'_>, id: u64) -> Result<Option<String>, SinkError> {
        Ok(self.table().contains_key(&id).then(|| format!("batch {id} is already in the table")))
    }
}
