//! Processing time: a batch's rows carry the batch's recorded time. A re-run batch keeps the
//! `batchTimestampMs` of its `offsets/N`, as Spark does; a new time would change its rows.

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
