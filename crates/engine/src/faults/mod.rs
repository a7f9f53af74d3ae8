//! Crash points and per-run fault plans.
//!
//! A crash point is a named step of the batch lifecycle. The harness crashes the engine there
//! through a [`FaultPlan`] owned by one run, so that many runs can go in parallel threads. Each
//! point is also a `fail::fail_point!`, so that a real process can be killed with `FAILPOINTS`.
//! With the `seeded-bugs` feature, a plan also carries the run's `seams::Seams`.
//! This module must never hold process-global state of its own.

mod points;

pub use points::CrashPoint;

#[cfg(feature = "seeded-bugs")]
use crate::seams::Seams;

use std::collections::BTreeMap;

/// The engine was crashed at a crash point. Everything in memory is to be thrown away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("crashed at {point} (hit {hit})")]
pub struct Crash {
    /// Where.
    pub point: CrashPoint,
    /// The hit of that point, counted from 1 in this run.
    pub hit: u32,
}

/// Something another process does while a run stands at a point, e.g. a harness starting a
/// second query on the same checkpoint to prove that the lock keeps it out. It runs on the
/// run's own thread, inside the run, and must not touch the run's engine.
#[derive(Clone)]
pub struct Interlude(pub std::sync::Arc<dyn Fn() + Send + Sync>);

impl std::fmt::Debug for Interlude {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Interlude")
    }
}

impl PartialEq for Interlude {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Interlude {}

/// "Crash at the k-th hit of point P", plus a count of every hit, for coverage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultPlan {
    target: Option<(CrashPoint, u32)>,
    hits: BTreeMap<CrashPoint, u32>,
    /// Each run at its point's hit, in the order they were added.
    interludes: Vec<(CrashPoint, u32, Interlude)>,
    #[cfg(feature = "seeded-bugs")]
    seams: Seams,
}

impl FaultPlan {
    /// A plan that never crashes and only counts hits.
    pub fn none() -> Self {
        Self::default()
    }

    /// A plan that crashes at the `hit`-th hit (from 1) of `point`.
    pub fn crash_at(point: CrashPoint, hit: u32) -> Self {
        assert!(hit >= 1, "hits are counted from 1");
        Self { target: Some((point, hit)), ..Self::default() }
    }

    /// This plan, running `interlude` at the `hit`-th hit of `point` (before a crash there), as
    /// well as any interlude it has.
    pub fn with_interlude(mut self, point: CrashPoint, hit: u32, interlude: Interlude) -> Self {
        assert!(hit >= 1, "hits are counted from 1");
        self.interludes.push((point, hit, interlude));
        self
    }

    /// The crash this plan aims at.
    pub fn target(&self) -> Option<(CrashPoint, u32)> {
        self.target
    }

    /// How often each point was hit so far.
    pub fn hits(&self) -> &BTreeMap<CrashPoint, u32> {
        &self.hits
    }

    /// Records a hit of `point`; crashes if the plan says so or if `FAILPOINTS` asks for it.
    pub fn hit(&mut self, point: CrashPoint) -> Result<(), Crash> {
        let count = self.hits.entry(point).or_insert(0);
        *count += 1;
        let hit = *count;
        points::fail_point(point, hit)?;
        for (at, at_hit, interlude) in &self.interludes {
            if (*at, *at_hit) == (point, hit) {
                (interlude.0)();
            }
        }
        if self.target == Some((point, hit)) {
            return Err(Crash { point, hit });
        }
        Ok(())
    }
}

#[cfg(feature = "seeded-bugs")]
impl FaultPlan {
    /// This plan, with the run's seams bent as a seeded bug bends them.
    pub fn with_seams(mut self, seams: Seams) -> Self {
        self.seams = seams;
        self
    }

    /// The run's seams: Spark's behaviour unless a seeded bug bent them.
    pub fn seams(&self) -> &Seams {
        &self.seams
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crashes_at_the_kth_hit_only() {
        let mut plan = FaultPlan::crash_at(CrashPoint::AfterCommitWrite, 2);
        assert!(plan.hit(CrashPoint::AfterCommitWrite).is_ok());
        assert!(plan.hit(CrashPoint::AfterSinkWrite).is_ok());
        let crash = plan.hit(CrashPoint::AfterCommitWrite).unwrap_err();
        assert_eq!(crash, Crash { point: CrashPoint::AfterCommitWrite, hit: 2 });
        assert_eq!(plan.hits()[&CrashPoint::AfterSinkWrite], 1);
    }

    #[test]
    fn an_interlude_runs_once_at_its_hit() {
        let count = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let seen = count.clone();
        let interlude = Interlude(std::sync::Arc::new(move || {
            seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }));
        let mut plan = FaultPlan::none().with_interlude(CrashPoint::AfterOffsetsWrite, 2, interlude);
        for _ in 0..3 {
            plan.hit(CrashPoint::AfterOffsetsWrite).unwrap();
        }
        assert_eq!(count.load(std::sync::atomic::Ordering::Relaxed), 1);
    }

    #[test]
    fn an_empty_plan_never_crashes() {
        let mut plan = FaultPlan::none();
        for point in CrashPoint::ALL {
            for _ in 0..3 {
                assert!(plan.hit(point).is_ok());
            }
        }
    }
}
