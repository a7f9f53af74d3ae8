//! The records a reader of the sink sees more or less often than the oracle, or that were handed
//! to the sink more than once, each traced to the hand-overs of batches that carried it: what a
//! picture of a run points at.
//!
//! It only reads a judged report; it must never change a verdict.

use super::model::rows_of_file;
use super::oracle::Oracle;
use super::verify::{DataColumns, Report};
use crate::check::EmissionOutcome;
use crashpoint_engine::json::row_to_json;
use crashpoint_engine::plan::Row;
use std::collections::BTreeMap;

/// One hand-over of a batch to the sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandOver {
    /// The run (process), from 1.
    pub process: u32,
    /// The batch id.
    pub batch: u64,
    /// What the sink did with it.
    pub outcome: EmissionOutcome,
}

/// A record whose count at the reader differs from the oracle's, or handed over more than once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordCount {
    /// The record as a JSON object of its data columns (processing-time columns left out).
    pub record: String,
    /// How often the oracle's reader sees it.
    pub expected: usize,
    /// How often this run's reader sees it.
    pub seen: usize,
    /// Every hand-over that carried it, in order.
    pub handed: Vec<HandOver>,
    /// For a record a reader sees less often than the oracle: the input files it comes from.
    pub origins: Vec<Origin>,
}

/// An input file a record comes from, with the batches that read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The input file's name.
    pub file: String,
    /// The (run, batch) pairs the oracle plans it in.
    pub oracle: Vec<(u32, u64)>,
    /// The (run, batch) pairs this execution planned it in.
    pub planned: Vec<(u32, u64)>,
}

impl RecordCount {
    /// True if a reader sees it as often as the oracle says: handed over more than once, but
    /// as the sink's guarantee allows (a re-run batch printed again, or skipped).
    pub fn as_expected(&self) -> bool {
        self.expected == self.seen
    }
}

/// Every record seen more or less often than `oracle` expects, or handed to the sink more than
/// once (written again, or skipped by a sink that already had it), sorted by the record.
pub fn record_counts(report: &Report, oracle: &Oracle) -> Vec<RecordCount> {
    let execution = &report.execution;
    let columns = DataColumns::of(&report.scenario, &execution.schema);
    let names: Vec<String> = columns.data.iter().map(|i| execution.schema[*i].clone()).collect();
    let key = |row: &Row| {
        let mut bytes = Vec::new();
        row_to_json(&names, row, &mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for row in columns.project(&oracle.expected.rows) {
        counts.entry(key(&row)).or_default().0 += 1;
    }
    for row in columns.project(&execution.output) {
        counts.entry(key(&row)).or_default().1 += 1;
    }
    let mut handed: BTreeMap<String, Vec<HandOver>> = BTreeMap::new();
    for emission in &execution.emissions {
        let mut keys: Vec<String> = columns.project(&emission.rows).iter().map(key).collect();
        keys.sort();
        keys.dedup();
        for record in keys {
            let hand_over = HandOver { process: emission.process, batch: emission.batch, outcome: emission.outcome };
            handed.entry(record).or_default().push(hand_over);
        }
    }
    counts
        .into_iter()
        .map(|(record, (expected, seen))| {
            let handed = handed.remove(&record).unwrap_or_default();
            RecordCount { record, expected, seen, handed, origins: Vec::new() }
        })
        .filter(|r| r.expected != r.seen || r.handed.len() > 1)
        .map(|mut r| {
            if r.seen < r.expected {
                r.origins = origins(report, oracle, &|row| key(row) == r.record, &columns);
            }
            r
        })
        .collect()
}

/// The input files (as they are at the end) whose rows include one that `is_record`, each with
/// the batches the oracle and the execution planned it in.
fn origins(report: &Report, oracle: &Oracle, is_record: &dyn Fn(&Row) -> bool, columns: &DataColumns) -> Vec<Origin> {
    let execution = &report.execution;
    let query = &report.scenario.query;
    let Ok(plan) = query.plan.plan().compile_for(&query.source.schema) else { return Vec::new() };
    let storage = execution.disk.as_ref();
    let files = storage.list(&execution.root.join("input")).unwrap_or_default();
    let batches = |planned: &[(u32, u64, Vec<String>)], file: &str| -> Vec<(u32, u64)> {
        planned.iter().filter(|(_, _, files)| files.iter().any(|f| f == file)).map(|(run, id, _)| (*run, *id)).collect()
    };
    files
        .iter()
        .filter(|entry| entry.is_file())
        .filter(|entry| {
            let bytes = storage.read(&entry.path).unwrap_or_default();
            let rows = rows_of_file(&entry.name, &bytes, &query.source, &plan);
            columns.project(&rows).iter().any(is_record)
        })
        .map(|entry| Origin {
            file: entry.name.clone(),
            oracle: batches(&oracle.expected.planned, &entry.name),
            planned: batches(&execution.planned, &entry.name),
        })
        .collect()
}
