//! JUnit XML for CI (`--format junit`), written with `quick-junit`, the serializer nextest
//! uses. One `<testsuite>` per folder of scenarios; one `<testcase>` per scenario (for `run`) or
//! per explored scenario (for `explore`), with its `time`; a failed check is a `<failure>` whose
//! `message` holds the first violation and whose text holds them all; a scenario that cannot be
//! used is an `<error>`. GitLab and Jenkins show the message on their test pages, so a reader
//! sees *why* without opening a log.

use super::{ScenarioResult, Status};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// How one test case came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseOutcome {
    /// It passed.
    Pass,
    /// A check failed: the message (one line) and the full text.
    Failure {
        /// The first violation, or the first reason.
        message: String,
        /// Everything: each violation, each failed expectation, the first differing lines.
        text: String,
    },
    /// It was not run, and why (`explore` skips a scenario that expects an error).
    Skipped {
        /// Why, in one line.
        message: String,
    },
    /// It could not run: the message and the full text.
    Error {
        /// Why, in one line.
        message: String,
        /// Details.
        text: String,
    },
}

/// One `<testcase>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The scenario file; its folder names the `<testsuite>` and the `classname`.
    pub path: std::path::PathBuf,
    /// The test's name.
    pub name: String,
    /// Wall-clock time.
    pub time: Duration,
    /// How it came out.
    pub outcome: CaseOutcome,
}

/// The JUnit document of a run or an exploration; `report` names the root `<testsuites>`.
pub fn to_junit(report: &str, cases: &[Case]) -> String {
    let mut suites: BTreeMap<String, Vec<&Case>> = BTreeMap::new();
    for case in cases {
        suites.entry(folder(&case.path)).or_default().push(case);
    }
    let mut document = Report::new(report);
    for (folder, cases) in suites {
        let mut suite = TestSuite::new(folder.clone());
        let mut time = Duration::ZERO;
        for case in cases {
            time += case.time;
            suite.add_test_case(test_case(&folder, case));
        }
        suite.set_time(time);
        document.add_test_suite(suite);
    }
    document.set_time(cases.iter().map(|c| c.time).sum());
    document.to_string().expect("a JUnit report always serializes")
}

fn test_case(folder: &str, case: &Case) -> TestCase {
    let status = match &case.outcome {
        CaseOutcome::Pass => TestCaseStatus::success(),
        CaseOutcome::Failure { message, text } => non_success(NonSuccessKind::Failure, message, text),
        CaseOutcome::Error { message, text } => non_success(NonSuccessKind::Error, message, text),
        CaseOutcome::Skipped { message } => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(message.clone());
            status
        }
    };
    let mut test = TestCase::new(case.name.clone(), status);
    // Jenkins groups by the dotted classname as it would by package.
    test.set_classname(folder.replace(['/', '\\'], "."));
    test.set_time(case.time);
    test
}

fn non_success(kind: NonSuccessKind, message: &str, text: &str) -> TestCaseStatus {
    let mut status = TestCaseStatus::non_success(kind);
    status.set_message(message.to_string());
    status.set_type(if kind == NonSuccessKind::Failure { "violation" } else { "bad scenario" });
    status.set_description(text.to_string());
    status
}

fn folder(path: &Path) -> String {
    let parent = path.parent().map(|p| p.display().to_string()).unwrap_or_default();
    let parent = parent.trim_start_matches("./").trim_end_matches('/');
    if parent.is_empty() { ".".to_string() } else { parent.to_string() }
}

/// A `run` result as a test case.
pub fn case_of(result: &ScenarioResult) -> Case {
    let outcome = match result.status {
        Status::Pass | Status::Accepted => CaseOutcome::Pass,
        Status::Error => {
            let message = result.failures.first().cloned().unwrap_or_else(|| "the scenario cannot be used".into());
            CaseOutcome::Error { text: message.clone(), message }
        }
        Status::Fail => {
            let first_violation = result.violations.first().map(|v| v.message.clone());
            let message = first_violation.or_else(|| result.failures.first().cloned()).unwrap_or_default();
            CaseOutcome::Failure { message, text: failure_text(result) }
        }
    };
    Case { path: result.path.clone(), name: result.name.clone(), time: result.time, outcome }
}

/// Everything about a failed scenario, as plain text.
pub fn failure_text(result: &ScenarioResult) -> String {
    let mut lines: Vec<String> = result.failures.iter().map(|f| format!("failed: {f}")).collect();
    for violation in &result.violations {
        let kind = serde_json::to_value(violation.kind).ok().and_then(|v| v.as_str().map(String::from));
        lines.push(format!("{}: {}", kind.unwrap_or_default(), violation.message));
    }
    if let Some(snapshot) = result.snapshot.as_ref().filter(|s| !s.diff.is_empty()) {
        lines.push(format!("first differing lines (of {}), - snapshot, + this run:", snapshot.diff_lines));
        lines.extend(snapshot.diff.iter().map(|l| format!("  {l}")));
    }
    lines.join("\n")
}
