//! The query plan: a small declarative pipeline (explode, filter, select with rename, processing
//! time) and its stable fingerprint.
//!
//! Evaluation is pure: a plan never reads files or clocks. The processing time is the batch's
//! logical timestamp, handed in by the engine.

mod change;
mod column;
mod eval;
mod resolve;
mod time;
mod types;

pub use change::describe_changes;
pub use column::{Column, Condition};
pub(crate) use eval::RowOut;
pub use eval::{CompiledPlan, Row};
pub use time::format_timestamp_ms;

use serde::{Deserialize, Serialize};

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Step {
    /// One row per element of the array at `column`, bound to the name `as`; a null or missing
    /// array gives no row, as Spark's `explode` does.
    Explode {
        /// A dotted path, e.g. `data.devices`.
        column: String,
        /// The name of the element.
        #[serde(rename = "as")]
        alias: String,
    },
    /// Keeps the rows for which the condition holds, e.g. `temp > 20`.
    Filter {
        /// `<column> <op> <JSON literal>` or `<column> is [not] null`.
        condition: Condition,
    },
    /// Projects and renames, e.g. `device.deviceId as device_id`.
    Select {
        /// The output columns, in order.
        columns: Vec<Column>,
    },
    /// Adds the batch's logical timestamp as a column (Spark's `current_timestamp()`).
    ProcessingTime {
        /// The column name.
        #[serde(rename = "as")]
        alias: String,
    },
}

/// A query plan: steps applied in order to each input record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Plan {
    /// The steps.
    pub steps: Vec<Step>,
}

/// A plan that cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid plan: {0}")]
pub struct PlanError(pub String);

impl Plan {
    /// The tutorial's query: `explode(data.devices)` → `eventId, device_id, temp`, plus the
    /// processing time.
    pub fn tutorial() -> Self {
        let column = |s: &str| s.parse::<Column>().expect("tutorial columns parse");
        Plan {
            steps: vec![
                Step::Explode { column: "data.devices".into(), alias: "device".into() },
                Step::Select {
                    columns: vec![
                        column("eventId"),
                        column("device.deviceId as device_id"),
                        column("device.temperature as temp"),
                    ],
                },
                Step::ProcessingTime { alias: "processing_time".into() },
            ],
        }
    }

    /// The tutorial's query without the processing time: the columns Spark's reference output shows.
    pub fn tutorial_without_time() -> Self {
        let mut plan = Self::tutorial();
        plan.steps.pop();
        plan
    }

    /// The plan as canonical JSON (serde's field order): what the fingerprint hashes, and what
    /// `offsets/N` records so that a changed query can be told apart in words.
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).expect("plans always serialize")
    }

    /// A stable fingerprint of the plan's logic, stored in every `offsets/N`.
    pub fn fingerprint(&self) -> String {
        format!("{:016x}", crate::rng::fnv1a(self.canonical_json().as_bytes()))
    }

    /// Checks the plan's shape and prepares it for evaluation; its names are not resolved
    /// against a schema (see [`Plan::compile_for`]).
    pub fn compile(&self) -> Result<CompiledPlan, PlanError> {
        CompiledPlan::new(self)
    }

    /// [`Plan::compile`], then every column name resolved against `schema` as Spark's analyzer
    /// resolves it: what a query runs.
    pub fn compile_for(&self, schema: &crate::schema::Schema) -> Result<CompiledPlan, PlanError> {
        CompiledPlan::new(self)?.resolve(schema)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_stable_and_tells_plans_apart() {
        assert_ne!(Plan::tutorial().fingerprint(), Plan::tutorial_without_time().fingerprint());
        // Pinned: every checkpoint ever written holds these in offsets/N; if a change to the plan's
        // serialization moves them, every existing checkpoint is refused as "the query changed".
        let cases = [
            (Plan::tutorial(), "ceec6fa57af70af5"),
            (Plan::tutorial_without_time(), "24276ff55f749c78"),
            (Plan { steps: vec![] }, "09612b07b5ecb5a5"),
        ];
        for (plan, pinned) in cases {
            assert_eq!(plan.fingerprint(), pinned, "{plan:?}");
        }
    }

    #[test]
    fn fingerprint_is_fnv1a_of_the_canonical_json() {
        // The canonical form is the plan's JSON with serde's field order: pinned too, because the
        // fingerprint is only as stable as it.
        let json = serde_json::to_string(&Plan::tutorial_without_time()).unwrap();
        assert_eq!(
            json,
            r#"[{"op":"explode","column":"data.devices","as":"device"},{"op":"select","columns":["eventId","device.deviceId as device_id","device.temperature as temp"]}]"#
        );
        let hash = crate::rng::fnv1a(json.as_bytes());
        assert_eq!(Plan::tutorial_without_time().fingerprint(), format!("{hash:016x}"));
    }
}
