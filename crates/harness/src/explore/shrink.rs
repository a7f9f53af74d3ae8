//! Shrinking a failing case to a few steps, for the same kind of reason: a case that shows a
//! record written twice must not shrink into one that shows a record lost.
//!
//! Moves, each kept only if the case still fails with a finding of the first finding's kind:
//! remove a step; when a removal shifts what a crash's hit counts (fewer batches before it),
//! remove the step and re-aim the crash at a nearby hit of the same point; and the same with two
//! neighbouring steps at once (a file and the run that takes it); and make one of Spark's knobs
//! smaller (an earlier compaction, fewer batches retained, one file a batch), so that more
//! steps can go.

use super::reproducer::failure;
use crate::scenario::{Scenario, Step};
use crashpoint_engine::faults::CrashPoint;

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A record a reader sees more often than it should.
    Duplicate,
    /// A record a reader sees less often than it should.
    Loss,
    /// A bad line kept twice or lost.
    DeadLetter,
    /// A batch handed over with another time than `offsets/N` records.
    Time,
    /// A crash-free run planned or failed otherwise than the reference model.
    Plan,
    /// A checkpoint invariant.
    Invariant,
    /// An error, or anything else.
    Other,
}

/// The kind of a finding, from its words.
pub fn kind_of(finding: &str) -> Kind {
    let record = finding.starts_with("record (");
    let after_row = finding.find(") ").map_or("", |at| &finding[at + 2..]);
    match () {
        _ if record && after_row.starts_with("written ") => Kind::Duplicate,
        _ if record && after_row.starts_with("lost") => Kind::Loss,
        _ if finding.starts_with("bad line ") => Kind::DeadLetter,
        _ if finding.contains(") was handed to the sink with ") => Kind::Time,
        _ if finding.starts_with("run ") && finding.contains("the reference model") => Kind::Plan,
        _ if finding.starts_with("invariant: ") => Kind::Invariant,
        _ => Kind::Other,
    }
}

/// Hits tried around a crash's own when a removal may have shifted it.
const REAIM_ABOVE: u32 = 3;

/// Shrinks `case` while it fails with a finding of the kind of its first finding.
pub fn shrink(case: &Scenario) -> Scenario {
    let Some(found) = failure(case) else { return case.clone() };
    let kind = kind_of(&found[0]);
    let same = |candidate: &Scenario| failure(candidate).is_some_and(|f| f.iter().any(|x| kind_of(x) == kind));
    let mut best = case.clone();
    loop {
        best = remove_steps(best, &same);
        // A smaller knob can make batches come sooner, and then more steps can go.
        let simpler = simpler_queries(&best).find(|c| same(c));
        match simpler {
            Some(simpler) => best = simpler,
            None => return best,
        }
    }
}

/// Removes steps while the case fails the same way: single steps; then single steps and pairs
/// (a file and the run that takes it), re-aiming crashes.
fn remove_steps(mut best: Scenario, same: &dyn Fn(&Scenario) -> bool) -> Scenario {
    for (width, reaim) in [(1, false), (1, true), (2, true)] {
        loop {
            let mut shrunk = false;
            for index in (0..best.steps.len().saturating_sub(width - 1)).rev() {
                let mut candidate = best.clone();
                candidate.steps.drain(index..index + width);
                let found = if same(&candidate) {
                    Some(candidate)
                } else if reaim {
                    reaimed(&candidate).find(|c| same(c))
                } else {
                    None
                };
                if let Some(smaller) = found {
                    best = smaller;
                    shrunk = true;
                }
            }
            if !shrunk {
                break;
            }
        }
    }
    best
}

/// The case with one of Spark's knobs made smaller: compaction sooner, fewer batches retained,
/// one file a batch.
fn simpler_queries(case: &Scenario) -> impl Iterator<Item = Scenario> + '_ {
    let knobs = case.query.checkpoint;
    let as_given = |n: u64| i64::try_from(n).ok();
    let intervals = (2..crate::scenario::compact_interval(&knobs)).filter_map(as_given);
    let retains = (1..crate::scenario::min_batches_to_retain(&knobs)).filter_map(as_given);
    let with = move |change: &dyn Fn(&mut Scenario)| {
        let mut simpler = case.clone();
        change(&mut simpler);
        simpler
    };
    let by_interval = intervals.map(move |n| with(&|c: &mut Scenario| c.query.checkpoint.compact_interval = Some(n)));
    let by_retain = retains.map(move |n| with(&|c: &mut Scenario| c.query.checkpoint.min_batches_to_retain = Some(n)));
    let one_file = (case.query.source.max_files_per_trigger.is_none())
        .then(|| with(&|c: &mut Scenario| c.query.source.max_files_per_trigger = Some(1)));
    by_interval.chain(by_retain).chain(one_file)
}

/// The case with one crash re-aimed: at another hit of its point in the same run (lower hits
/// first), or at a hit of that point in another run that does not crash.
fn reaimed(case: &Scenario) -> impl Iterator<Item = Scenario> + '_ {
    let runs: Vec<usize> = (0..case.steps.len()).filter(|i| matches!(case.steps[*i], Step::Run(_))).collect();
    let crashes: Vec<(usize, CrashPoint, u32)> = runs
        .iter()
        .filter_map(|i| match &case.steps[*i] {
            Step::Run(run) => run.crash.map(|(point, hit)| (*i, point, hit)),
            _ => None,
        })
        .collect();
    crashes.into_iter().flat_map(move |(from, point, hit)| {
        let here = (1..hit).rev().chain(hit + 1..=hit + REAIM_ABOVE).map(move |other| (from, other));
        let elsewhere = runs
            .clone()
            .into_iter()
            .filter(move |to| *to != from && !crashes_at(case, *to))
            .flat_map(move |to| (1..=hit + REAIM_ABOVE).map(move |other| (to, other)));
        here.chain(elsewhere).map(move |(to, other)| moved(case, from, to, point, other))
    })
}

fn crashes_at(case: &Scenario, index: usize) -> bool {
    matches!(&case.steps[index], Step::Run(run) if run.crash.is_some())
}

/// The case with the crash of run step `from` moved to run step `to`, at `hit`.
fn moved(case: &Scenario, from: usize, to: usize, point: CrashPoint, hit: u32) -> Scenario {
    let mut moved = case.clone();
    let power_loss = matches!(&case.steps[from], Step::Run(run) if run.power_loss);
    if let Step::Run(run) = &mut moved.steps[from] {
        run.crash = None;
        run.power_loss = false;
    }
    if let Step::Run(run) = &mut moved.steps[to] {
        run.crash = Some((point, hit));
        run.power_loss = power_loss;
    }
    moved
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_of_findings() {
        let cases = [
            ("record (e1, d1) written twice, expected 1: in batch 1 (run 1) and batch 3 (run 2)", Kind::Duplicate),
            ("record (e1, d1) lost: written 0 time(s), expected 1: no batch", Kind::Loss),
            ("record (written, lost) lost: handed to the sink but a reader never sees it", Kind::Loss),
            ("bad line a.json:2 is kept twice in the dead-letter files", Kind::DeadLetter),
            ("batch 1 (run 2) was handed to the sink with processing_time \"x\"", Kind::Time),
            ("run 2 planned no batch, where the reference model plans batch 1 with [b.json]", Kind::Plan),
            ("invariant: at the end: commits/ has a gap", Kind::Invariant),
            ("run 3: unexpected error: boom", Kind::Other),
        ];
        for (finding, kind) in cases {
            assert_eq!(kind_of(finding), kind, "{finding}");
        }
    }
}
