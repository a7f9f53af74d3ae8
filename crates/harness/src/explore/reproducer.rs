//! Turning a failing crash schedule into a scenario file, and shrinking it to a few steps.

use crate::scenario::{Expect, ExpectedVerdict, Injection, RunStep, Scenario, Step, expected, verify};

/// Writes the faults injected into process `ordinal` into its run step; true if there are any
/// (the runner then restarts the query after it, and so does the reproducer).
fn write_faults(run: &mut RunStep, injection: &Injection, ordinal: u32) -> bool {
    if let Some(crash) = injection.crash(ordinal) {
        run.crash = Some((crash.point, crash.hit));
        run.power_loss = crash.power_loss;
        run.persisted = crash.persisted.clone();
        return true;
    }
    if let Some(error) = injection.io_error(ordinal) {
        run.io_error = Some(error.fault.clone());
        run.power_loss = error.power_loss;
        return true;
    }
    false
}

/// The scenario with the injected crashes and I/O errors written into its run steps, ready to
/// paste or save.
pub fn reproducer(base: &Scenario, injection: &Injection, findings: &[String]) -> Scenario {
    let mut case = base.clone();
    let mut ordinal = 0;
    let mut previous_faulted = false;
    let mut steps = Vec::new();
    let restart = |ordinal: u32, faulted: &mut bool| {
        let mut run = RunStep { restart: true, ..RunStep::default() };
        *faulted = write_faults(&mut run, injection, ordinal);
        Step::Run(run)
    };
    for mut step in std::mem::take(&mut case.steps) {
        // The runner restarts before a step that needs the recovered query; so does the reproducer.
        while step.needs_recovered_query() && previous_faulted {
            ordinal += 1;
            steps.push(restart(ordinal, &mut previous_faulted));
        }
        if let Step::Run(run) = &mut step {
            ordinal += 1;
            run.restart = previous_faulted;
            previous_faulted = write_faults(run, injection, ordinal);
        }
        steps.push(step);
    }
    case.steps = steps;
    let processes = injection.crashes.iter().map(|c| c.process).chain(injection.io_errors.iter().map(|e| e.process));
    let last = processes.max().unwrap_or(0);
    while previous_faulted || ordinal < last {
        ordinal += 1;
        let step = restart(ordinal, &mut previous_faulted);
        case.steps.push(step);
    }
    case.description = format!("Reproducer found by crashpoint: {}", findings.first().map_or("a violation", |f| f));
    case.expect = Expect { verdict: ExpectedVerdict::Pass, ..Expect::default() };
    case
}

/// True if the scenario violates for a reason of the engine's, not because a step of the
/// scenario itself became impossible (say, renaming a file whose `add` was removed).
pub fn still_fails(case: &Scenario) -> bool {
    failure(case).is_some()
}

/// What the checker finds in a case that violates for a reason of the engine's (see
/// [`still_fails`]); `None` if it does not.
pub(super) fn failure(case: &Scenario) -> Option<Vec<String>> {
    let case = &with_final_drain(case);
    if !judgeable(case) {
        return None;
    }
    let report = verify(case);
    if report.bad_scenario() {
        return None;
    }
    let engine_fault = report.violated() && !report.execution.problems.iter().any(|p| p.starts_with("step "));
    engine_fault.then(|| findings_of(&report))
}

/// True if a case can be judged: it ends recovered, and nothing it does changes what its oracle
/// means (see the comments).
fn judgeable(case: &Scenario) -> bool {
    // A case that ends with a crash has not recovered yet: its missing output proves nothing.
    let last_run = case.steps.iter().rev().find_map(|s| if let Step::Run(run) = s { Some(run) } else { None });
    if last_run.is_none_or(|run| run.crash.is_some() || run.io_error.is_some()) {
        return false;
    }
    // With trigger once, a crash leaves files unprocessed for longer than in the oracle, so a
    // later change to them changes what the oracle means.
    let once = |run: &RunStep| run.trigger.unwrap_or(case.query.trigger) == crashpoint_engine::engine::Trigger::Once;
    let uses_once = case.steps.iter().any(|s| matches!(s, Step::Run(run) if once(run)));
    if uses_once && case.steps.iter().any(Step::mutates_input) {
        return false;
    }
    // Changing processed files or the checkpoint while the query is down changes what the
    // oracle means.
    let mut down = false;
    for step in &case.steps {
        match step {
            Step::Run(run) => down = run.crash.is_some() || run.io_error.is_some(),
            step if step.needs_recovered_query() && down => return false,
            _ => {}
        }
    }
    // A run the reference model itself expects to fail fails by the scenario's own tampering
    // (a deleted latest offsets file, say), not by the engine's fault.
    !expected(&case.without_crashes()).is_ok_and(|e| !e.failed_runs.is_empty())
}

/// What the checker finds in a case, in words: verdict findings, invariants, errors.
pub fn findings_of(report: &crate::scenario::Report) -> Vec<String> {
    let mut found: Vec<String> = if report.verdict.passed { Vec::new() } else { report.verdict.findings.clone() };
    found.extend(report.execution.violations.iter().map(|v| format!("invariant: {v}")));
    found.extend(report.execution.problems.iter().cloned());
    found
}

/// Shrinks a failing case and describes it by what the checker finds in the shrunk case.
pub fn minimize(case: &Scenario, found_by: &str) -> (Scenario, Vec<String>) {
    let mut minimal = with_final_drain(&super::shrink::shrink(case));
    let findings = findings_of(&verify(&minimal));
    minimal.description = format!("Reproducer found by {found_by}: {}", findings.first().map_or("a violation", |f| f));
    (minimal, findings)
}

/// With trigger `once`, a crash uses up a run that would have processed a batch, so a crashed
/// schedule ends with less done than its oracle. A final `available-now` run, in both, lets
/// every schedule complete before the outputs are compared.
pub fn with_final_drain(scenario: &Scenario) -> Scenario {
    let uses_once = |trigger: Option<crashpoint_engine::engine::Trigger>| {
        trigger.unwrap_or(scenario.query.trigger) == crashpoint_engine::engine::Trigger::Once
    };
    let once = scenario.steps.iter().any(|s| matches!(s, Step::Run(run) if uses_once(run.trigger)));
    let last_run = scenario.steps.iter().rev().find_map(|s| if let Step::Run(run) = s { Some(run) } else { None });
    let drained_already =
        last_run.is_some_and(|run| run.crash.is_none() && run.io_error.is_none() && !uses_once(run.trigger));
    let mut drained = scenario.clone();
    if once && !drained_already {
        drained.steps.push(Step::Run(RunStep {
            trigger: Some(crashpoint_engine::engine::Trigger::AvailableNow),
            ..RunStep::default()
        }));
    }
    drained
}
