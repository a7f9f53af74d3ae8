//! The verdict: a run's visible sink output against the oracle's, as multisets, with every
//! missing or extra record explained by what happened to its batch.

use crashpoint_engine::guarantee::Guarantee;
use crashpoint_engine::json::show_value;
use crashpoint_engine::plan::Row;
use std::collections::BTreeMap;

/// What became of one hand-over of a batch to the sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmissionOutcome {
    /// The sink wrote it.
    Written,
    /// The sink skipped it (it already had the batch).
    Skipped,
    /// The process crashed inside the sink.
    Crashed,
}

/// One hand-over of a batch to the sink, as the harness recorded it.
#[derive(Debug, Clone, PartialEq)]
pub struct Emission {
    /// Which process (run) of the scenario, from 1.
    pub process: u32,
    /// Why that process started, e.g. "after a crash at after-sink-write (hit 1)".
    pub cause: String,
    /// The batch id.
    pub batch: u64,
    /// The rows handed over.
    pub rows: Vec<Row>,
    /// What the sink did.
    pub outcome: EmissionOutcome,
    /// The `batchTimestampMs` that `offsets/N` held at the hand-over, if it existed.
    pub recorded_timestamp_ms: Option<i64>,
}

/// The verdict on one sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The sink kind.
    pub sink: String,
    /// What it promises.
    pub guarantee: Guarantee,
    /// True if the promise held.
    pub passed: bool,
    /// Every missing or extra record, in words; for a pass, the allowed duplicates.
    pub findings: Vec<String>,
}

/// A row's identity for multiset comparison: its JSON.
pub fn row_key(row: &Row) -> String {
    serde_json::to_string(row).expect("rows always serialize")
}

fn show_row(row: &Row) -> String {
    let cells: Vec<String> = row.iter().map(show_value).collect();
    format!("({})", cells.join(", "))
}

fn counts(rows: &[Row]) -> BTreeMap<String, (usize, &Row)> {
    let mut map: BTreeMap<String, (usize, &Row)> = BTreeMap::new();
    for row in rows {
        map.entry(row_key(row)).or_insert((0, row)).0 += 1;
    }
    map
}

/// Which batches the row was handed to the sink in, and how often each was written.
fn history<'a>(emissions: &'a [Emission], key: &str) -> BTreeMap<u64, Vec<&'a Emission>> {
    let mut batches: BTreeMap<u64, Vec<&Emission>> = BTreeMap::new();
    for emission in emissions.iter().filter(|e| e.rows.iter().any(|r| row_key(r) == key)) {
        batches.entry(emission.batch).or_default().push(emission);
    }
    batches
}

fn describe_reruns(batch: u64, runs: &[&Emission]) -> String {
    let causes: Vec<String> = runs.iter().skip(1).map(|e| e.cause.clone()).collect();
    let written = runs.iter().filter(|e| e.outcome != EmissionOutcome::Skipped).count();
    format!(
        "batch {batch} was handed to the sink {} times ({written} written), again {}",
        runs.len(),
        if causes.is_empty() { "never".to_string() } else { causes.join(", then ") }
    )
}

fn sink_note(sink: &str) -> &'static str {
    match sink {
        "console" => "; the console sink keeps no log",
        "foreach-batch" => "; the foreach-batch callback does not use the batch id",
        "sqlite-append" => "; the table has no batch-id guard",
        _ => "",
    }
}

/// Judges a run's visible output against the oracle's.
pub fn judge(sink: &str, guarantee: Guarantee, oracle: &[Row], run: &[Row], emissions: &[Emission]) -> Verdict {
    judge_with_minimum(sink, guarantee, oracle, oracle, run, emissions)
}

/// Judges a run's visible output: fewer copies of a record than in `minimum` is a loss, more
/// copies than in `oracle` must be allowed (at-least-once) and explained by a re-run. For an
/// exactly-once sink both are the oracle's output.
pub fn judge_with_minimum(
    sink: &str,
    guarantee: Guarantee,
    oracle: &[Row],
    minimum: &[Row],
    run: &[Row],
    emissions: &[Emission],
) -> Verdict {
    let expected = counts(oracle);
    let least = counts(minimum);
    let actual = counts(run);
    let mut findings = Vec::new();
    let mut passed = true;
    for (key, (want, row)) in &least {
        let got = actual.get(key).map_or(0, |(n, _)| *n);
        // Identical records from two files are two records: fewer copies is a loss.
        if got < *want {
            passed = false;
            let batches = history(emissions, key);
            let story: Vec<String> = batches.iter().map(|(b, runs)| describe_outcomes(*b, runs)).collect();
            let story = if story.is_empty() { "no batch ever handed it to the sink".into() } else { story.join("; ") };
            findings.push(format!("record {} lost: written {got} time(s), expected {want}: {story}", show_row(row)));
        }
    }
    // Whatever the oracle says, a record handed to the sink must reach its reader.
    let mut handed: BTreeMap<String, &Row> = BTreeMap::new();
    for emission in emissions.iter().filter(|e| e.outcome != EmissionOutcome::Crashed) {
        for row in &emission.rows {
            handed.insert(row_key(row), row);
        }
    }
    for (key, row) in handed.iter().filter(|(k, _)| !actual.contains_key(*k) && !least.contains_key(*k)) {
        passed = false;
        let story: Vec<String> = history(emissions, key).iter().map(|(b, runs)| describe_outcomes(*b, runs)).collect();
        findings.push(format!(
            "record {} lost: handed to the sink but a reader never sees it: {}",
            show_row(row),
            story.join("; ")
        ));
    }
    for (key, (got, row)) in &actual {
        let want = expected.get(key).map_or(0, |(n, _)| *n);
        if *got <= want {
            continue;
        }
        let batches = history(emissions, key);
        let rerun =
            batches.iter().find(|(_, runs)| runs.iter().filter(|e| e.outcome != EmissionOutcome::Skipped).count() > 1);
        let allowed = guarantee == Guarantee::AtLeastOnce && rerun.is_some() && want > 0;
        passed &= allowed;
        let why = match rerun {
            Some((batch, runs)) => describe_reruns(*batch, runs),
            None => written_in(&batches),
        };
        let times = if *got == 2 { "twice".to_string() } else { format!("{got} times") };
        let verdict = if allowed { "allowed for an at-least-once sink" } else { "a violation" };
        findings.push(format!(
            "record {} written {times}, expected {want}: {why}{} ({verdict})",
            show_row(row),
            sink_note(sink)
        ));
    }
    Verdict { sink: sink.to_string(), guarantee, passed, findings }
}

/// Where the copies came from when no batch re-ran: "in batch 1 (run 1) and batch 3 (run 2)".
fn written_in(batches: &BTreeMap<u64, Vec<&Emission>>) -> String {
    let writes: Vec<String> = batches
        .iter()
        .flat_map(|(batch, runs)| {
            runs.iter().filter(|e| e.outcome != EmissionOutcome::Skipped).map(move |e| (batch, e.process))
        })
        .map(|(batch, run)| format!("batch {batch} (run {run})"))
        .collect();
    match writes.as_slice() {
        [] => "no batch handed it to the sink: a reader sees copies the sink never wrote".to_string(),
        [one] => format!("only in {one}: a reader sees more copies than the sink was handed"),
        [init @ .., last] => format!("in {} and {last}", init.join(", ")),
    }
}

fn describe_outcomes(batch: u64, runs: &[&Emission]) -> String {
    let outcomes: Vec<String> = runs
        .iter()
        .map(|e| {
            let what = match e.outcome {
                EmissionOutcome::Written => "written",
                EmissionOutcome::Skipped => "skipped by the sink",
                EmissionOutcome::Crashed => "crashed inside the sink",
            };
            format!("{what} in run {}", e.process)
        })
        .collect();
    format!("batch {batch} was {}", outcomes.join(", then "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn emission(process: u32, batch: u64, rows: &[Row], outcome: EmissionOutcome, cause: &str) -> Emission {
        Emission { process, cause: cause.into(), batch, rows: rows.to_vec(), outcome, recorded_timestamp_ms: None }
    }

    #[test]
    fn a_duplicate_from_a_rerun_is_allowed_for_console_only() {
        let row = vec![json!("e2"), json!("d3")];
        let emissions = [
            emission(1, 1, std::slice::from_ref(&row), EmissionOutcome::Written, ""),
            emission(
                2,
                1,
                std::slice::from_ref(&row),
                EmissionOutcome::Written,
                "after a crash at after-sink-write (hit 1)",
            ),
        ];
        let run = [row.clone(), row.clone()];
        let console = judge("console", Guarantee::AtLeastOnce, std::slice::from_ref(&row), &run, &emissions);
        assert!(console.passed);
        assert_eq!(
            console.findings[0],
            "record (e2, d3) written twice, expected 1: batch 1 was handed to the sink 2 times (2 written), again \
             after a crash at after-sink-write (hit 1); the console sink keeps no log (allowed for an at-least-once sink)"
        );
        let file = judge("file", Guarantee::ExactlyOnce, std::slice::from_ref(&row), &run, &emissions);
        assert!(!file.passed);
        assert!(file.findings[0].ends_with("(a violation)"));
    }

    #[test]
    fn a_lost_record_fails_every_sink() {
        let row = vec![json!("e1")];
        let emissions = [emission(1, 0, std::slice::from_ref(&row), EmissionOutcome::Skipped, "")];
        for guarantee in [Guarantee::AtLeastOnce, Guarantee::ExactlyOnce] {
            let verdict = judge("file", guarantee, std::slice::from_ref(&row), &[], &emissions);
            assert!(!verdict.passed);
            assert!(verdict.findings[0].contains("lost"), "{:?}", verdict.findings);
            assert!(verdict.findings[0].contains("skipped by the sink in run 1"), "{:?}", verdict.findings);
        }
    }

    #[test]
    fn a_record_in_two_batches_names_both_and_their_runs() {
        // Goal: a copy no re-run explains is named by where it came from. Method: the same row
        // written by batch 1 in run 1 and by batch 3 in run 2.
        let row = vec![json!("e1")];
        let emissions = [
            emission(1, 1, std::slice::from_ref(&row), EmissionOutcome::Written, ""),
            emission(2, 3, std::slice::from_ref(&row), EmissionOutcome::Written, "after a restart"),
        ];
        let verdict =
            judge("file", Guarantee::ExactlyOnce, std::slice::from_ref(&row), &[row.clone(), row.clone()], &emissions);
        assert!(!verdict.passed);
        assert_eq!(
            verdict.findings[0],
            "record (e1) written twice, expected 1: in batch 1 (run 1) and batch 3 (run 2) (a violation)"
        );
    }

    #[test]
    fn an_unexplained_duplicate_fails_even_at_least_once() {
        let row = vec![json!("e1")];
        let emissions = [emission(1, 0, std::slice::from_ref(&row), EmissionOutcome::Written, "")];
        let verdict = judge("console", Guarantee::AtLeastOnce, &[], std::slice::from_ref(&row), &emissions);
        assert!(!verdict.passed);
    }

    #[test]
    fn equal_outputs_pass_with_no_findings() {
        let rows = vec![vec![json!(1)], vec![json!(1)], vec![json!(2)]];
        let verdict = judge("file", Guarantee::ExactlyOnce, &rows, &rows, &[]);
        assert!(verdict.passed && verdict.findings.is_empty());
    }
}
