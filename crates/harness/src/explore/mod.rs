//! Exploration: every crash schedule of a scenario (systematic), and generated workloads with
//! generated crash schedules (property-based, in `fuzz`). Failures shrink to a few steps and
//! are written out as scenario files that `crashpoint run` replays.
//!
//! Exploration drives the scenario runner and must never reach into the engine itself.

mod crash_states;
mod fuzz;
mod generate;
mod parallel;
mod reproducer;
mod schedules;
mod shrink;
mod spellings;
mod stray_files;
mod tree;

pub use crash_states::CrashStateStats;
pub use fuzz::{FuzzFailure, FuzzOptions, FuzzOutcome, fuzz};
pub use generate::scenario_strategy;
pub use parallel::run_indexed;
pub use reproducer::{findings_of, minimize, reproducer, still_fails};
pub use schedules::{CRASH_STATES_MAX, Coverage, ExploreOptions, ExploreOutcome, Shard, Violation, explore, schedules};
pub use shrink::{Kind, kind_of, shrink};
