//! Processing time: a batch's rows carry the batch's recorded time. A re-run batch keeps the
//! `batchTimestampMs` of its `offsets/N`, as Spark does; a new time would change its rows. In a
//! crash-free run, that recorded time is also the reference model's, by its own clock: the
//! engine's clock is not trusted to judge itself.

use super::verdict::{Emission, EmissionOutcome};
use crashpoint_engine::plan::format_timestamp_ms;
use serde_json::Value;

/// Checks every batch handed to the sink against the `batchTimestampMs` that `offsets/N` held
/// at the hand-over. `columns` are the processing-time columns: (index in a row, name).
pub fn judge_times(emissions: &[Emission], columns: &[(usize, String)]) -> Vec<String> {
    let mut findings = Vec::new();
    for emission in emissions.iter().filter(|e| e.outcome != EmissionOutcome::Skipped) {
        let Some(recorded_ms) = emission.recorded_timestamp_ms else { continue };
        let recorded = Value::String(format_timestamp_ms(recorded_ms));
        let wrong = emission
            .rows
            .iter()
            .flat_map(|row| columns.iter().filter_map(move |(i, name)| row.get(*i).map(|v| (name, v))))
            .find(|(_, value)| **value != recorded);
        if let Some((name, value)) = wrong {
            findings.push(format!(
                "batch {} (run {}) was handed to the sink with {name} {value}, but offsets/{} records \
                 batchTimestampMs {recorded_ms} ({recorded}): a batch, re-run or not, must keep its recorded time",
                emission.batch, emission.process, emission.batch
            ));
        }
    }
    findings
}

/// Holds batches to the reference model's clock: each batch handed to the sink must have, in
/// `offsets/N` and in its rows' processing-time `columns`, the time the model gives the batch
/// of that run and id (`expected`: (run, batch id, ms); a batch it does not name is not judged
/// here). The caller decides which model batch each hand-over answers to.
pub fn judge_batch_times(
    expected: &[(u32, u64, i64)],
    emissions: &[Emission],
    columns: &[(usize, String)],
) -> Vec<String> {
    let mut findings = Vec::new();
    for emission in emissions.iter().filter(|e| e.outcome != EmissionOutcome::Skipped) {
        let (run, batch) = (emission.process, emission.batch);
        let Some((_, _, model_ms)) = expected.iter().find(|(r, id, _)| (*r, *id) == (run, batch)) else { continue };
        let model = Value::String(format_timestamp_ms(*model_ms));
        let row_time = emission
            .rows
            .iter()
            .flat_map(|row| columns.iter().filter_map(move |(i, name)| row.get(*i).map(|v| (name, v))))
            .find(|(_, value)| **value != model);
        let recorded_wrong = emission.recorded_timestamp_ms.filter(|ms| ms != model_ms);
        if recorded_wrong.is_none() && row_time.is_none() {
            continue;
        }
        let mut what = Vec::new();
        if let Some(ms) = recorded_wrong {
            what.push(format!("offsets/{batch} records batchTimestampMs {ms} ({})", format_timestamp_ms(ms)));
        }
        if let Some((name, value)) = row_time {
            what.push(format!("its rows carry {name} {value}"));
        }
        findings.push(format!(
            "batch {batch} (run {run}): {}, but the reference model's clock gives {model_ms} ({model}): a new batch's \
             time is the clock's start plus its id times the step (as the machine's clock has moved, even before the \
             previous batch's), and a re-run keeps its recorded time",
            what.join(" and ")
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_batch_off_the_model_clock_is_named_with_both_times() {
        // Goal: an engine whose clock is wrong is caught even where its rows agree with its own
        // offsets (a clock that says -1). Method: hand-made emissions against the model's time.
        let model_ms = 1_790_000_001_000;
        let emission = |recorded: Option<i64>, row_ms: i64| Emission {
            process: 1,
            cause: String::new(),
            batch: 1,
            rows: vec![vec![json!("e1"), json!(format_timestamp_ms(row_ms))]],
            outcome: EmissionOutcome::Written,
            recorded_timestamp_ms: recorded,
        };
        let columns = [(1, "processing_time".to_string())];
        let expected = [(1, 1, model_ms)];
        assert!(judge_batch_times(&expected, &[emission(Some(model_ms), model_ms)], &columns).is_empty());
        assert!(judge_batch_times(&[(2, 1, -1)], &[emission(Some(-1), -1)], &columns).is_empty(), "another run");
        let found = judge_batch_times(&expected, &[emission(Some(-1), -1)], &columns);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("batch 1 (run 1): offsets/1 records batchTimestampMs -1 ("), "{found:?}");
        assert!(found[0].contains("and its rows carry processing_time"), "{found:?}");
        assert!(found[0].contains(&format!("the reference model's clock gives {model_ms}")), "{found:?}");
        let found = judge_batch_times(&expected, &[emission(None, model_ms + 1000)], &columns);
        assert!(found[0].starts_with("batch 1 (run 1): its rows carry processing_time"), "{found:?}");
    }

    #[test]
    fn a_row_with_another_time_than_offsets_records_is_named() {
        let emission = |time: &str, recorded| Emission {
            process: 2,
            cause: String::new(),
            batch: 1,
            rows: vec![vec![json!("e1"), json!(time)]],
            outcome: EmissionOutcome::Written,
            recorded_timestamp_ms: recorded,
        };
        let columns = [(1, "processing_time".to_string())];
        let at = format_timestamp_ms(1000);
        assert!(judge_times(&[emission(&at, Some(1000))], &columns).is_empty());
        assert!(judge_times(&[emission(&at, None)], &columns).is_empty(), "no offsets: nothing to compare");
        let found = judge_times(&[emission(&at, Some(2000))], &columns);
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("batch 1 (run 2) was handed to the sink with processing_time"), "{found:?}");
        assert!(found[0].contains("offsets/1 records batchTimestampMs 2000"), "{found:?}");
    }
}
