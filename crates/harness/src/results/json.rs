//! `run --format json`: the results as one JSON document.
//!
//! Schema `crashpoint-run/1` (a field is never removed or renamed within a version; new fields
//! may appear):
//!
//! ```text
//! {
//!   "schema": "crashpoint-run/1",
//!   "summary": { "scenarios": 25, "passed": 24, "failed": 1, "errors": 0 },
//!   "scenarios": [
//!     {
//!       "path": "scenarios/tutorial.toml",       // as named, or as found under a named folder
//!       "name": "tutorial",
//!       "status": "pass",                        // pass | accepted | fail | error
//!       "time_s": 0.012,                         // wall clock: the only non-deterministic field
//!       "expected_verdict": "pass",              // pass | fail; null when status is error
//!       "violations": [                          // what the checker found, expected or not
//!         { "kind": "verdict", "message": "record (e2, d3, 30.0) written twice, expected 1: …" }
//!       ],                                       // kind: verdict | invariant | error
//!       "failures": ["expected verdict pass, but the checker found violations"],
//!       "snapshot": {                            // null when status is error
//!         "path": "snapshots/tutorial.snap",
//!         "state": "differs",                    // matches | missing | differs | written
//!         "new_file": "snapshots/tutorial.snap.new",   // or null
//!         "diff": ["-  12 |     batch 1: committed", "+  12 |     batch 1: sink wrote 1 row(s)"],
//!         "diff_lines": 2,                       // all differing lines; diff shows the first 12
//!         "write_error": null
//!       }
//!     }
//!   ]
//! }
//! ```

use super::{ScenarioResult, Summary};

/// The schema's name and version.
pub const SCHEMA: &str = "crashpoint-run/1";

/// The results as a pretty-printed JSON document.
pub fn to_json(results: &[ScenarioResult]) -> String {
    let document = serde_json::json!({
        "schema": SCHEMA,
        "summary": Summary::of(results),
        "scenarios": results,
    });
    serde_json::to_string_pretty(&document).expect("results always serialize")
}

/// Serializes a duration as seconds, rounded to the millisecond.
pub(super) fn seconds<S: serde::Serializer>(time: &std::time::Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((time.as_secs_f64() * 1000.0).round() / 1000.0)
}
