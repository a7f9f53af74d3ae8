//! Another process holding a lock (the steps `hold-lock` and `holder-dies`): another query on
//! the checkpoint, or another query, on its own checkpoint, writing into the same output
//! directory. While it holds the place's lock, a run that must take it is refused, and the
//! reference model states the refusal (a held place, by its lock); once the holder dies (a crash,
//! `kill -9`), the OS releases its lock and the next run must go on as if it had never been.
//!
//! A holder takes the lock through the world's own disk, as a separate process would: never
//! through a run's handle, so that no injected I/O error or power loss of a run reaches it.

use super::runner::Runner;
use super::world::World;
use crate::check::Place;
use crashpoint_engine::storage::{LockGuard, create_dir_durable};
use std::collections::BTreeMap;

/// The locks other processes hold, by place: dropping one is its holder's death.
#[derive(Default)]
pub(super) struct Holders(BTreeMap<Place, LockGuard>);

impl Holders {
    /// The same holders over a forked world, which copied their locks but not their guards.
    pub(super) fn adopted(&self, world: &World) -> Holders {
        let adopt = |place: &Place| Some((*place, world.adopt_lock(&world.root().join(place.lock_path()))?));
        Holders(self.0.keys().filter_map(adopt).collect())
    }
}

impl Runner<'_> {
    /// Another process takes `place`'s lock and keeps it. Its directory is made first, as the
    /// other query would make it.
    pub(super) fn hold_lock(&mut self, place: Place) -> Result<(), String> {
        let path = self.world.root().join(place.lock_path());
        let storage = self.world.storage().clone();
        if let Some(dir) = path.parent() {
            create_dir_durable(storage.as_ref(), dir).map_err(|e| format!("{}: {}", e.path.display(), e.error))?;
        }
        let guard = storage.lock(&path).map_err(|e| format!("cannot hold {}: {e}", path.display()))?;
        self.holders.0.insert(place, guard);
        Ok(())
    }

    /// The process holding `place`'s lock dies: the lock goes with it.
    pub(super) fn holder_dies(&mut self, place: Place) {
        if self.holders.0.remove(&place).is_none() {
            self.trace.push("    (no other process holds it: nothing to do)".into());
        }
    }
}
