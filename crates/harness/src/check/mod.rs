//! The checks: checkpoint invariants, and the verdict that compares a run's sink output with
//! the oracle's (the same workload with no faults).
//!
//! Checks only read. They must never repair what they find, and every finding is explained in
//! words a Spark user understands.

mod invariants;
mod verdict;

pub use invariants::{SinkView, check_invariants};
pub use verdict::{Emission, EmissionOutcome, Verdict, judge, judge_with_minimum, row_key};
