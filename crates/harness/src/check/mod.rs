//! The checks: checkpoint invariants; the verdict that compares a run's sink output with the
//! oracle's (the reference model of the same workload with no faults); dead letters exactly
//! once; processing times as recorded; and a crash-free run's batches against the model's.
//!
//! Checks only read. They must never repair what they find, and every finding is explained in
//! words a Spark user understands.

mod agreement;
mod dead_letters;
mod history;
mod invariants;
mod times;
mod verdict;

pub use agreement::{PlannedBatch, judge_agreement};
pub use dead_letters::{BadLine, judge_dead_letters};
pub use history::{RanBatch, check_batch_files, check_committed_files};
pub use invariants::{ByHand, SinkView, check_invariants};
pub use times::judge_times;
pub use verdict::{Emission, EmissionOutcome, Verdict, judge, judge_with_minimum, row_key};
