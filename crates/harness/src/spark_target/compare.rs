//! The engine's result of a scenario beside Spark's: every difference in the verdict, the rows,
//! the sink's output (as a multiset, normalised, and the file sink's part files write by write:
//! each part file's number and rows, in order), the checkpoint's shape and which runs fail, each
//! checked against what the scenario declares in `[expect.spark] differs`.

use super::output::canonical_cell;
use super::shape::checkpoint_shape;
use crate::check::{json_lines_rows, spark_log};
use crate::scenario::{DifferenceKind, Execution, Report, Scenario};
use crashpoint_engine::checkpoint::SinkFileStatus;
use crashpoint_engine::plan::Row;
use crashpoint_engine::uri::path_of;
use std::collections::BTreeMap;

/// One difference between the targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// Its kind.
    pub kind: DifferenceKind,
    /// What differs, in words.
    pub detail: String,
    /// Whether the scenario declares this kind of difference.
    pub declared: bool,
}

/// Every difference between the engine's report and Spark's for `scenario`.
pub fn differences(scenario: &Scenario, engine: &Report, spark: &Report) -> Vec<Difference> {
    let declared = scenario.expect.spark.as_ref().map(|s| s.differs.clone()).unwrap_or_default();
    let mut out = Vec::new();
    let mut push = |kind: DifferenceKind, detail: String| {
        out.push(Difference { kind, declared: declared.contains(&kind), detail });
    };
    let verdict = |r: &Report| if r.verdict.passed && r.execution.violations.is_empty() { "pass" } else { "fail" };
    if verdict(engine) != verdict(spark) {
        push(DifferenceKind::Verdict, format!("verdict: engine {}, Spark {}", verdict(engine), verdict(spark)));
    }
    let (e, s) = (&engine.execution, &spark.execution);
    if e.output.len() != s.output.len() {
        push(DifferenceKind::Rows, format!("rows a reader sees: engine {}, Spark {}", e.output.len(), s.output.len()));
    }
    for line in multiset_difference(&data_rows(scenario, e), &data_rows(scenario, s)) {
        push(DifferenceKind::Output, line);
    }
    for line in parts_difference(&part_files(scenario, e), &part_files(scenario, s)) {
        push(DifferenceKind::Output, line);
    }
    for line in shape_difference(e, s) {
        push(DifferenceKind::Checkpoint, line);
    }
    for line in error_difference(e, s) {
        push(DifferenceKind::Errors, line);
    }
    out
}

/// The rows without processing-time columns, each cell in its shared form.
fn data_rows(scenario: &Scenario, execution: &Execution) -> Vec<String> {
    let show = data_row(scenario, &execution.schema);
    execution.output.iter().map(show).collect()
}

/// A row of `schema` without its processing-time columns, each cell in its shared form.
fn data_row<'a>(scenario: &Scenario, schema: &'a [String]) -> impl Fn(&Row) -> String + 'a {
    let times: Vec<String> = scenario
        .query
        .plan
        .plan()
        .steps
        .iter()
        .filter_map(|s| match s {
            crashpoint_engine::plan::Step::ProcessingTime { alias } => Some(alias.clone()),
            _ => None,
        })
        .collect();
    let keep: Vec<usize> = (0..schema.len()).filter(|i| !times.contains(&schema[*i])).collect();
    move |row: &Row| {
        let cells: Vec<String> =
            keep.iter().map(|i| canonical_cell(row.get(*i).unwrap_or(&serde_json::Value::Null))).collect();
        format!("({})", cells.join(", "))
    }
}

/// One batch's write as the file sink's log lists it: each part file's `K` and data rows.
type PartWrite = Vec<(u32, Vec<String>)>;

/// The file sink's writes in log order (a write begins at a `part-00000`), read from the
/// output's `_spark_metadata` and part files; none for another sink.
fn part_files(scenario: &Scenario, execution: &Execution) -> Vec<PartWrite> {
    let (disk, dir) = (execution.disk.as_ref(), execution.root.join("output"));
    let Ok(entries) = spark_log::all_entries::<SinkFileStatus>(disk, &dir.join("_spark_metadata")) else {
        return Vec::new();
    };
    let show = data_row(scenario, &execution.schema);
    let mut writes: Vec<PartWrite> = Vec::new();
    for entry in entries.iter().filter(|e| e.action == "add") {
        let name = entry.path.rsplit('/').next().unwrap_or(&entry.path);
        let Some(k) = name.strip_prefix("part-").and_then(|r| r.get(..5)).and_then(|d| d.parse::<u32>().ok()) else {
            continue;
        };
        let bytes = disk.read(&path_of(&entry.path)).unwrap_or_default();
        let rows = json_lines_rows(&bytes, &execution.schema).unwrap_or_default();
        let part = (k, rows.iter().map(&show).collect());
        match writes.last_mut() {
            Some(write) if k != 0 => write.push(part),
            _ => writes.push(vec![part]),
        }
    }
    writes
}

/// Where the two targets' part files differ, write by write: the part files' numbers and row
/// counts, or the rows of one part file.
fn parts_difference(engine: &[PartWrite], spark: &[PartWrite]) -> Vec<String> {
    let summary =
        |w: &PartWrite| w.iter().map(|(k, rows)| format!("part-{k:05} {} row(s)", rows.len())).collect::<Vec<_>>();
    if engine.len() != spark.len() {
        return vec![format!(
            "output: the file sink's log lists {} batch write(s) on the engine, {} on Spark",
            engine.len(),
            spark.len()
        )];
    }
    let mut out = Vec::new();
    for (i, (e, s)) in engine.iter().zip(spark).enumerate() {
        if summary(e) != summary(s) {
            out.push(format!("output: batch write {i}'s part files: engine {:?}, Spark {:?}", summary(e), summary(s)));
        } else if let Some(((k, _), _)) = e.iter().zip(s).find(|((_, a), (_, b))| a != b) {
            out.push(format!(
                "output: batch write {i}'s part-{k:05} holds other rows, or in another order, than Spark's"
            ));
        }
    }
    out
}

fn counts(rows: &[String]) -> BTreeMap<&str, usize> {
    let mut map = BTreeMap::new();
    for row in rows {
        *map.entry(row.as_str()).or_insert(0) += 1;
    }
    map
}

fn multiset_difference(engine: &[String], spark: &[String]) -> Vec<String> {
    let (e, s) = (counts(engine), counts(spark));
    let mut keys: Vec<&str> = e.keys().chain(s.keys()).copied().collect();
    keys.sort_unstable();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let (a, b) = (e.get(k).copied().unwrap_or(0), s.get(k).copied().unwrap_or(0));
            (a != b).then(|| format!("output: record {k}: engine {a}, Spark {b}"))
        })
        .collect()
}

fn shape_difference(engine: &Execution, spark: &Execution) -> Vec<String> {
    let shape = |x: &Execution| checkpoint_shape(x.disk.as_ref(), &x.root.join("checkpoint"), &x.root.join("output"));
    let (e, s) = (shape(engine), shape(spark));
    let mut out: Vec<String> =
        e.iter().filter(|l| !s.contains(l)).map(|l| format!("checkpoint: engine only: {l}")).collect();
    out.extend(s.iter().filter(|l| !e.contains(l)).map(|l| format!("checkpoint: Spark only: {l}")));
    out
}

fn error_difference(engine: &Execution, spark: &Execution) -> Vec<String> {
    let failed = |x: &Execution| -> BTreeMap<u32, String> {
        x.processes.iter().filter_map(|p| Some((p.ordinal, p.error.clone()?))).collect()
    };
    let (e, s) = (failed(engine), failed(spark));
    let mut runs: Vec<u32> = e.keys().chain(s.keys()).copied().collect();
    runs.sort_unstable();
    runs.dedup();
    let first = |t: &str| t.lines().next().unwrap_or("").chars().take(160).collect::<String>();
    runs.into_iter()
        .filter(|r| e.contains_key(r) != s.contains_key(r))
        .map(|r| match (e.get(&r), s.get(&r)) {
            (Some(err), None) => format!("errors: run {r} fails on the engine only: {}", first(err)),
            (None, Some(err)) => format!("errors: run {r} fails on Spark only: {}", first(err)),
            _ => unreachable!("filtered to runs that fail on one side"),
        })
        .collect()
}

/// The two targets' results of one scenario, side by side.
#[derive(Debug)]
pub struct Comparison {
    /// Every difference found.
    pub differences: Vec<Difference>,
    /// Declared kinds of difference (`[expect.spark] differs`) that did not occur.
    pub stale: Vec<DifferenceKind>,
}

impl Comparison {
    /// Compares the engine's report with Spark's for `scenario`.
    pub fn of(scenario: &Scenario, engine: &Report, spark: &Report) -> Comparison {
        let differences = differences(scenario, engine, spark);
        let declared = scenario.expect.spark.as_ref().map(|s| s.differs.clone()).unwrap_or_default();
        let stale = declared.into_iter().filter(|k| !differences.iter().any(|d| d.kind == *k)).collect();
        Comparison { differences, stale }
    }

    /// True when every difference is declared and every declared kind occurred.
    pub fn agreed(&self) -> bool {
        self.differences.iter().all(|d| d.declared) && self.stale.is_empty()
    }

    /// One line per difference and per stale declaration.
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .differences
            .iter()
            .map(|d| format!("{} {}", if d.declared { "[declared]  " } else { "[UNDECLARED]" }, d.detail))
            .collect();
        lines.extend(
            self.stale.iter().map(|k| {
                format!("[STALE]      [expect.spark] differs lists {:?}, but the targets agree on it", k.name())
            }),
        );
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(parts: &[(u32, &[&str])]) -> PartWrite {
        parts.iter().map(|(k, rows)| (*k, rows.iter().map(|r| r.to_string()).collect())).collect()
    }

    #[test]
    fn part_files_that_differ_from_sparks_are_named() {
        // Goal: `--target both` names a batch whose part files Spark lays out otherwise (other
        // numbers, other counts, other rows or order in a part), and nothing when they agree.
        // Method: hand-made writes against Spark's of FINDINGS Q23's K, batch 1.
        let spark = [write(&[(0, &["(c0)"]), (1, &["(c1)"]), (3, &["(d0)", "(d1)"])])];
        assert!(parts_difference(&spark, &spark).is_empty());
        let cases: [(PartWrite, &str); 3] = [
            (write(&[(0, &["(c0)"]), (1, &["(c1)"]), (2, &["(d0)", "(d1)"])]), "part-00002 2 row(s)"),
            (write(&[(0, &["(c0)", "(c1)"]), (1, &["(d0)", "(d1)"])]), "part-00000 2 row(s)"),
            (write(&[(0, &["(c0)"]), (1, &["(c1)"]), (3, &["(d1)", "(d0)"])]), "part-00003 holds other rows"),
        ];
        for (engine, says) in cases {
            let found = parts_difference(&[engine], &spark);
            assert!(found.len() == 1 && found[0].contains(says), "{says}: {found:?}");
        }
        let found = parts_difference(&[], &spark);
        assert!(found[0].contains("0 batch write(s) on the engine, 1 on Spark"), "{found:?}");
    }
}
