//! Turning a failing crash schedule into a scenario file, and shrinking it to a few steps; which
//! cases can be judged at all ([`failure`]); and whether a case survives its scenario file
//! ([`round_trip_finding`]).
//!
//! A case whose crash-free run the reference model expects to fail is judged only when it is
//! crash-free and each failing run names the error it expects: the failure must then come, in
//! that run, for the model's cause (`check/agreement.rs`). A case with crashes whose crash-free
//! run fails is not judged: a crash may move the failure to another run or remove it, and the
//! model states crash-free runs only.

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

/// Why `scenario` does not survive its scenario file, if it does not: written by
/// [`Scenario::to_toml`] and read back by [`Scenario::parse`], as a reproducer is saved and
/// replayed, it must be the same scenario. Names the first field that differs.
pub fn round_trip_finding(scenario: &Scenario) -> Option<String> {
    let back = match Scenario::parse(&scenario.path, &scenario.to_toml()) {
        Ok(back) => back,
        Err(e) => return Some(format!("the case's scenario file does not read back: {e}")),
    };
    let differ = |field: &str, a: &dyn std::fmt::Debug, b: &dyn std::fmt::Debug| {
        Some(format!("the case's scenario file reads back with another {field}: {b:?}, written from {a:?}"))
    };
    let (a, b) = (&scenario.query, &back.query);
    let query: [(&str, bool, &dyn std::fmt::Debug, &dyn std::fmt::Debug); 8] = [
        ("query trigger", a.trigger == b.trigger, &a.trigger, &b.trigger),
        ("query sink", a.sink == b.sink, &a.sink, &b.sink),
        ("query source", a.source == b.source, &a.source, &b.source),
        ("query plan", a.plan == b.plan, &a.plan, &b.plan),
        ("query checkpoint", a.checkpoint == b.checkpoint, &a.checkpoint, &b.checkpoint),
        ("query bugs", a.bugs == b.bugs, &a.bugs, &b.bugs),
        (
            "allow-existing-sink-log",
            a.allow_existing_sink_log == b.allow_existing_sink_log,
            &a.allow_existing_sink_log,
            &b.allow_existing_sink_log,
        ),
        ("gather-rows", a.gather_rows == b.gather_rows, &a.gather_rows, &b.gather_rows),
    ];
    if let Some((field, _, a, b)) = query.into_iter().find(|(_, same, _, _)| !same) {
        return differ(field, a, b);
    }
    if let Some((i, (a, b))) = scenario.steps.iter().zip(&back.steps).enumerate().find(|(_, (a, b))| a != b) {
        return differ(&format!("step {}", i + 1), a, b);
    }
    if scenario.steps.len() != back.steps.len() {
        return differ("number of steps", &scenario.steps.len(), &back.steps.len());
    }
    if scenario != &back {
        return differ(
            "head or expectations",
            &(&scenario.description, &scenario.expect),
            &(&back.description, &back.expect),
        );
    }
    None
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
    let once = |run: &RunStep| {
        run.trigger.as_ref().map_or(case.query.trigger == crashpoint_engine::engine::Trigger::Once, |t| t.0 == "once")
    };
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
    // A run the reference model expects to fail (a deleted latest offsets file, a bad line in
    // failfast mode) is judged by its cause when the case is crash-free and the run says which
    // error it expects (as generated cases do). With a crash or an I/O error, the failure may
    // move to another run or never come, and the model only states crash-free runs: such a
    // case is not judged. Neither is one whose failure has no cause the engine words.
    let failed = expected(&case.without_crashes()).map(|e| e.failed_runs).unwrap_or_default();
    let runs: Vec<&RunStep> =
        case.steps.iter().filter_map(|s| if let Step::Run(run) = s { Some(run) } else { None }).collect();
    let faulted = runs.iter().any(|run| run.crash.is_some() || run.io_error.is_some());
    let expects = |ordinal: u32| runs.get(ordinal as usize - 1).is_some_and(|run| run.expect_error.is_some());
    failed.is_empty() || (!faulted && failed.iter().all(|(run, cause)| cause.phrase().is_some() && expects(*run)))
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
    let uses_once = |trigger: &Option<crate::scenario::SpelledTrigger>| {
        trigger.as_ref().map_or(scenario.query.trigger == crashpoint_engine::engine::Trigger::Once, |t| t.0 == "once")
    };
    let once = scenario.steps.iter().any(|s| matches!(s, Step::Run(run) if uses_once(&run.trigger)));
    let last_run = scenario.steps.iter().rev().find_map(|s| if let Step::Run(run) = s { Some(run) } else { None });
    let drained_already =
        last_run.is_some_and(|run| run.crash.is_none() && run.io_error.is_none() && !uses_once(&run.trigger));
    let mut drained = scenario.clone();
    if once && !drained_already {
        drained.steps.push(Step::Run(RunStep {
            trigger: Some(crashpoint_engine::engine::Trigger::AvailableNow.into()),
            ..RunStep::default()
        }));
    }
    drained
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;
    use crashpoint_engine::engine::Trigger;
    use std::path::Path;

    fn tutorial() -> Scenario {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/tutorial.toml");
        Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_scenario_survives_its_file() {
        let mut scenario = tutorial();
        for interval_ms in [0, 250, 5000] {
            scenario.query.trigger = Trigger::ProcessingTime { interval_ms };
            assert_eq!(round_trip_finding(&scenario), None, "{interval_ms}");
        }
    }

    #[test]
    fn a_scenario_that_reads_back_otherwise_is_a_finding() {
        // Goal: a case whose file does not give it back is named by its first differing part.
        // Method: hand-made cases the file cannot carry: a power loss with no crash, which the
        // file refuses.
        let mut scenario = tutorial();
        let Some(Step::Run(run)) = scenario.steps.iter_mut().find(|s| matches!(s, Step::Run(_))) else { panic!() };
        run.power_loss = true;
        let found = round_trip_finding(&scenario).expect("a finding");
        assert!(found.starts_with("the case's scenario file "), "{found}");
    }
}
