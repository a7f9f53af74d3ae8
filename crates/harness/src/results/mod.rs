//! What `run` found, as data for people and for CI: one [`ScenarioResult`] per scenario file,
//! with every violation in the checker's own words, the scenario's failed expectations, and
//! how its rendering compares with its snapshot; rendered as JSON ([`json`]) or JUnit XML
//! ([`junit`]).
//!
//! This layer sits above [`crate::scenario`] and reads its reports; it never changes a verdict,
//! and never writes anywhere but the scenario's own snapshot files (`.snap`, `.snap.new`).

pub mod json;
pub mod junit;
mod snapshot;
pub mod targets;

pub use snapshot::{SnapshotResult, SnapshotState};

use crate::scenario::{ExpectedVerdict, Report, Scenario, verify};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How a scenario came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Every expectation held and the rendering matches its snapshot.
    Pass,
    /// Every expectation held and the snapshot was (re)written, as asked.
    Accepted,
    /// An expectation failed or the snapshot differs.
    Fail,
    /// The scenario file cannot be used (it does not parse, names what does not exist, or
    /// schedules a fault that never fires).
    Error,
}

impl Status {
    /// True for pass and accepted.
    pub fn ok(self) -> bool {
        matches!(self, Status::Pass | Status::Accepted)
    }

    /// The word shown in reports.
    pub fn name(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Accepted => "accepted",
            Status::Fail => "fail",
            Status::Error => "error",
        }
    }
}

/// What kind of thing the checker found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// The sink's output broke its guarantee: a record lost or duplicated, explained.
    Verdict,
    /// A checkpoint invariant broke (after a restart, or at the end).
    Invariant,
    /// A run failed with an error it was not expected to give, or a step could not be done.
    Error,
}

/// One thing the checker found, in its own words.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// What kind.
    pub kind: FindingKind,
    /// The explanation, e.g. "record (e2, d3, 30.0) written twice, expected 1: batch 1 was …".
    pub message: String,
}

/// The result of one scenario file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScenarioResult {
    /// The file, as the user named it (or as found under a folder they named).
    pub path: PathBuf,
    /// The scenario's name (its file name without `.toml`).
    pub name: String,
    /// How it came out.
    pub status: Status,
    /// Wall-clock time to load, run, check and compare it: the only field that is not
    /// deterministic.
    #[serde(rename = "time_s", serialize_with = "json::seconds")]
    pub time: Duration,
    /// The verdict the scenario expects (`None` for a scenario that did not load).
    pub expected_verdict: Option<&'static str>,
    /// Every violation the checker found, whether expected or not.
    pub violations: Vec<Finding>,
    /// Why the scenario fails: its expectations that did not hold, the snapshot mismatch, or
    /// the reason it cannot be used. Empty for a pass.
    pub failures: Vec<String>,
    /// How the rendering compares with the snapshot (`None` when the scenario did not run).
    pub snapshot: Option<SnapshotResult>,
    /// With `--target spark|both`: the engine's and Spark's results and their differences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sides: Option<targets::Sides>,
}

/// What `run` does with snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotMode {
    /// Compare; on a mismatch write `<name>.snap.new` (insta's pending snapshot) beside it.
    Compare,
    /// Write the rendering as the snapshot.
    Accept,
}

/// Loads, runs, checks and compares one scenario file.
pub fn check_scenario_file(path: &Path, mode: SnapshotMode) -> ScenarioResult {
    let started = Instant::now();
    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let scenario = match Scenario::load(path) {
        Ok(scenario) => scenario,
        Err(error) => {
            return ScenarioResult {
                path: path.to_path_buf(),
                name,
                status: Status::Error,
                time: started.elapsed(),
                expected_verdict: None,
                violations: Vec::new(),
                failures: vec![error.to_string()],
                snapshot: None,
                sides: None,
            };
        }
    };
    let report = verify(&scenario);
    let rendered = report.render();
    let snapshot = snapshot::settle(path, &rendered, mode, report.passed());
    let mut failures = report.failures.clone();
    failures.extend(snapshot.failure());
    // A fault the scenario schedules that never fires makes it a bad scenario, as a file that
    // does not parse: it tests nothing of what it says.
    let status = match (failures.is_empty(), snapshot.state) {
        _ if report.bad_scenario() => Status::Error,
        (false, _) => Status::Fail,
        (true, SnapshotState::Written) => Status::Accepted,
        (true, _) => Status::Pass,
    };
    ScenarioResult {
        path: path.to_path_buf(),
        name,
        status,
        time: started.elapsed(),
        expected_verdict: Some(match scenario.expect.verdict {
            ExpectedVerdict::Pass => "pass",
            ExpectedVerdict::Fail => "fail",
        }),
        violations: findings(&report),
        failures,
        snapshot: Some(snapshot),
        sides: None,
    }
}

/// Everything the checker found in a report: verdict findings (only when the verdict failed:
/// a pass lists allowed duplicates, which are not violations), invariants, errors.
pub fn findings(report: &Report) -> Vec<Finding> {
    let finding = |kind| move |message: &String| Finding { kind, message: message.clone() };
    let mut found: Vec<Finding> = Vec::new();
    if !report.verdict.passed {
        found.extend(report.verdict.findings.iter().map(finding(FindingKind::Verdict)));
    }
    found.extend(report.execution.violations.iter().map(finding(FindingKind::Invariant)));
    found.extend(report.execution.problems.iter().map(finding(FindingKind::Error)));
    found
}

/// Totals over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Scenario files.
    pub scenarios: usize,
    /// Passed (accepted included).
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Could not be used.
    pub errors: usize,
}

impl Summary {
    /// Counts the results.
    pub fn of(results: &[ScenarioResult]) -> Self {
        let count = |f: fn(&ScenarioResult) -> bool| results.iter().filter(|r| f(r)).count();
        Summary {
            scenarios: results.len(),
            passed: count(|r| r.status.ok()),
            failed: count(|r| r.status == Status::Fail),
            errors: count(|r| r.status == Status::Error),
        }
    }
}
