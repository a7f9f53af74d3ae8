//! Scenarios on real Spark 4.3: the same scenario files, steps and crash points, run in a real
//! temp directory through the pyspark driver, judged by the same checks against Spark's own
//! crash-free run; and the engine's result beside Spark's, with every difference checked
//! against what the scenario declares (`[expect.spark]`).
//!
//! It must never fake what Spark cannot do: a crash point without a hook, power loss or a seeded
//! bug makes a scenario "not applicable to the Spark target", said out loud.

mod compare;
mod explore;
mod output;
mod request;
mod runner;
mod shape;
mod verify;
mod world;

pub use compare::{Comparison, Difference, differences};
pub use explore::{SparkExploration, explore_on_spark};
pub use output::canonical_cell;
pub use request::{crash_at, hits_of};
pub use runner::execute_on_spark;
pub use shape::checkpoint_shape;
pub use verify::{
    SparkOutcome, expected_errors, not_applicable, spark_expect, spark_oracle, verify_on_spark,
    verify_on_spark_with_oracle,
};
