//! Which crash states to try after a crash with power loss: every distinct one while there are
//! at most `max`, else the state that keeps nothing, the one that keeps everything and a seeded
//! sample of the rest. States that leave the same disk are tried once.
//!
//! This module chooses; the simulated disk lists and applies (`crashpoint_engine::storage`).

use crashpoint_engine::rng::{Rng, derive};
use crashpoint_engine::storage::{DiskModel, SimStorage, op_names};
use std::collections::BTreeSet;
use std::path::Path;

/// Counts over every crash with power loss of an exploration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CrashStateStats {
    /// Crashes followed by a power loss.
    pub crashes: usize,
    /// Distinct crash states tried (each one schedule, or the root of a depth-2 subtree).
    pub explored: usize,
    /// Of those, the ones chosen by sampling (their crash had more states than the limit).
    pub sampled: usize,
    /// Crashes whose states were sampled rather than all tried.
    pub crashes_sampled: usize,
    /// Crash states there were in all, before equal disks were merged (saturating).
    pub possible: u128,
}

impl CrashStateStats {
    /// Adds another set of counts.
    pub fn add(&mut self, other: &CrashStateStats) {
        self.crashes += other.crashes;
        self.explored += other.explored;
        self.sampled += other.sampled;
        self.crashes_sampled += other.crashes_sampled;
        self.possible = self.possible.saturating_add(other.possible);
    }
}

/// The crash states to try on `sim` now, each as the names of the unsynced operations it keeps
/// (relative to `root`), in a fixed order; `key` seeds the sample, so the choice is the same on
/// every run.
pub fn choose(
    sim: &SimStorage,
    root: &Path,
    model: DiskModel,
    max: usize,
    seed: u64,
    key: &str,
) -> (Vec<Vec<String>>, CrashStateStats) {
    let space = sim.crash_space(model);
    let names = op_names(space.ops(), root);
    let mut seen = BTreeSet::new();
    let mut chosen: Vec<Vec<usize>> = Vec::new();
    let mut consider = |kept: Vec<usize>, chosen: &mut Vec<Vec<usize>>| {
        if seen.insert(space.digest(&kept)) {
            chosen.push(kept);
        }
    };
    let max = max.max(1);
    let exhaustive = space.len() <= max as u128;
    let mut sampled = 0;
    if exhaustive {
        (0..space.len()).for_each(|i| consider(space.state_at(i), &mut chosen));
    } else {
        consider(Vec::new(), &mut chosen);
        if max >= 2 {
            consider(space.everything(), &mut chosen);
        }
        let fixed = chosen.len();
        let dims = space.dims();
        let mut rng = Rng::new(derive(seed, key));
        // Distinct disks may be fewer than `max`: give up after a bounded number of draws.
        for _ in 0..max * 8 {
            if chosen.len() >= max {
                break;
            }
            let digits: Vec<usize> = dims.iter().map(|n| rng.below(*n as u64) as usize).collect();
            consider(space.state(&digits), &mut chosen);
        }
        sampled = chosen.len() - fixed;
    }
    let stats = CrashStateStats {
        crashes: 1,
        explored: chosen.len(),
        sampled,
        crashes_sampled: usize::from(!exhaustive),
        possible: space.len(),
    };
    let states = chosen.into_iter().map(|kept| kept.into_iter().map(|i| names[i].clone()).collect()).collect();
    (states, stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crashpoint_engine::storage::Storage;

    fn sim_with(ops: usize) -> SimStorage {
        let sim = SimStorage::new(0);
        sim.create_dir_all(Path::new("/r/d")).unwrap();
        sim.sync_dir(Path::new("/")).unwrap();
        sim.sync_dir(Path::new("/r")).unwrap();
        for i in 0..ops {
            let path = format!("/r/d/f{i}");
            sim.write(Path::new(&path), b"x").unwrap();
            sim.sync_file(Path::new(&path)).unwrap();
        }
        sim
    }

    #[test]
    fn few_states_are_all_tried_once_each() {
        // Two unsynced creates of synced files: 4 subsets, 4 distinct disks.
        let (states, stats) = choose(&sim_with(2), Path::new("/r"), DiskModel::Posix, 64, 0, "k");
        assert_eq!(states.len(), 4);
        assert_eq!(states[0], Vec::<String>::new(), "the first state keeps nothing: the old power loss");
        assert!(states.contains(&vec!["create d/f0".to_string(), "create d/f1".to_string()]));
        assert_eq!(stats, CrashStateStats { crashes: 1, explored: 4, sampled: 0, crashes_sampled: 0, possible: 4 });
    }

    #[test]
    fn many_states_are_sampled_with_the_seed_and_the_extremes_always_in() {
        let sim = sim_with(12);
        let (states, stats) = choose(&sim, Path::new("/r"), DiskModel::Posix, 10, 7, "k");
        assert_eq!(states.len(), 10);
        assert_eq!(states[0], Vec::<String>::new());
        assert_eq!(states[1].len(), 12, "the second state keeps everything");
        assert_eq!((stats.sampled, stats.crashes_sampled, stats.possible), (8, 1, 4096));
        assert_eq!(choose(&sim, Path::new("/r"), DiskModel::Posix, 10, 7, "k").0, states, "same seed, same sample");
        let (one, _) = choose(&sim, Path::new("/r"), DiskModel::Posix, 1, 7, "k");
        assert_eq!(one, vec![Vec::<String>::new()], "a limit of 1: the power loss that keeps nothing");
        assert_ne!(choose(&sim, Path::new("/r"), DiskModel::Posix, 10, 8, "k").0, states, "the seed matters");
    }

    #[test]
    fn ext4_ordered_has_fewer_states_than_posix() {
        let sim = sim_with(3);
        let posix = choose(&sim, Path::new("/r"), DiskModel::Posix, 64, 0, "k").0;
        let ordered = choose(&sim, Path::new("/r"), DiskModel::Ext4Ordered, 64, 0, "k").0;
        assert_eq!((posix.len(), ordered.len()), (8, 4));
    }
}
