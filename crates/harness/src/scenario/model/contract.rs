//! What a user finds of each run besides its rows, by the model: the hits of every crash point
//! (the contract in README's table of crash points) and, for the file sink, each written
//! batch's part files, one per task that made rows.
//!
//! A batch's tasks are the model's own statement of the documented rule (README, `--threads`):
//! one per input file, or one per split of a JSON Lines file over [`SPLIT_BYTES`], each split
//! ending at the end of the line the cut falls in. Spark 4.3 makes one task per small file too;
//! it must never take the engine's task code.

use crate::check::{BatchParts, RunHits};
use crashpoint_engine::faults::CrashPoint;
use crashpoint_engine::plan::Row;

/// A JSON Lines file larger than this is read in several tasks (README: "per 8 MiB split of a
/// larger one").
pub(super) const SPLIT_BYTES: usize = 8 * 1024 * 1024;

/// The contract as the runs go: the run being modelled, and the runs and batches stated.
#[derive(Debug, Default)]
pub(super) struct Contract {
    current: Option<RunHits>,
    /// Every run the model finished.
    pub(super) runs: Vec<RunHits>,
    /// Every batch the file sink wrote, in order.
    pub(super) parts: Vec<BatchParts>,
}

impl Contract {
    /// A run starts.
    pub(super) fn begin(&mut self, run: u32) {
        self.current = Some(RunHits::new(run));
    }

    /// The run ends: stated if it finished, dropped if it failed (where a failing run stops
    /// between two hits is not part of the contract).
    pub(super) fn end(&mut self, finished: bool) {
        if let Some(run) = self.current.take().filter(|_| finished) {
            self.runs.push(run);
        }
    }

    /// The run's hits so far.
    pub(super) fn run(&mut self) -> &mut RunHits {
        self.current.get_or_insert_with(RunHits::default)
    }

    /// A new batch's plan written: its source-log batch if it found new files, then `offsets/N`.
    pub(super) fn plan_written(&mut self, new_files: bool) {
        let run = self.run();
        if new_files {
            run.hit(CrashPoint::BeforeSourceLogWrite);
            run.log_write();
        }
        run.hit(CrashPoint::BeforeOffsetsWrite);
        run.log_write();
        run.hit(CrashPoint::AfterOffsetsWrite);
    }

    /// The sink wrote a batch: `parts` part files and its log entry for the file sink
    /// (`during-sink-write` between every two and once after the last), one hit for the others.
    pub(super) fn sink_wrote(&mut self, parts: Option<usize>) {
        let run = self.run();
        match parts {
            Some(parts) => {
                run.hit_times(CrashPoint::DuringSinkWrite, u32::try_from(parts.max(1)).unwrap_or(u32::MAX));
                run.log_write();
            }
            None => run.hit(CrashPoint::DuringSinkWrite),
        }
    }

    /// The batch committed, after the sink.
    pub(super) fn committed(&mut self, batch: String) {
        let run = self.run();
        run.hit(CrashPoint::AfterSinkWrite);
        run.log_write();
        run.hit(CrashPoint::AfterCommitWrite);
        run.batches.push(batch);
    }
}

/// The row counts of a file's tasks, given its rows read whole (`rows`) and a reader of a byte
/// range of the file that counts its rows (`count`): one task, or one per split of a JSON
/// Lines file over [`SPLIT_BYTES`]. Splits whose counts do not add up to `rows` (a range the
/// reader cannot take alone) fall back to one task.
pub(super) fn task_rows(body: &[u8], json_lines: bool, rows: usize, count: impl Fn(&[u8]) -> usize) -> Vec<usize> {
    if !json_lines || body.len() <= SPLIT_BYTES {
        return vec![rows];
    }
    let counts: Vec<usize> = splits(body).into_iter().map(|range| count(&body[range])).collect();
    if counts.iter().sum::<usize>() == rows { counts } else { vec![rows] }
}

/// The byte ranges of a JSON Lines body cut every [`SPLIT_BYTES`], each ending after the
/// newline of the line the cut falls in (Hadoop's rule: a line belongs to the split it starts in).
fn splits(body: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < body.len() {
        let cut = (start + SPLIT_BYTES).min(body.len());
        let end = if cut == body.len() {
            cut
        } else {
            body[cut - 1..].iter().position(|b| *b == b'\n').map_or(body.len(), |at| cut + at)
        };
        out.push(start..end);
        start = end;
    }
    out
}

/// A batch's rows cut into its tasks' shares (`tasks`: each task's row count, in order), empty
/// tasks left out: the part files the file sink writes.
pub(super) fn parts_of(rows: &[Row], tasks: &[usize]) -> Vec<Vec<Row>> {
    let mut parts = Vec::new();
    let mut start = 0;
    for count in tasks {
        let end = (start + count).min(rows.len());
        if end > start {
            parts.push(rows[start..end].to_vec());
        }
        start = end;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_file_over_the_split_size_is_cut_after_the_line_under_each_cut() {
        // Goal: the model's own split rule, from README: whole lines, cut after the line the
        // 8 MiB mark falls in. Method: a body of three lines, the first ending 10 bytes past
        // the mark; a small body stays one task.
        let mut body = vec![b'x'; SPLIT_BYTES + 10];
        body.push(b'\n');
        body.extend_from_slice(b"a\nb\n");
        assert_eq!(splits(&body), [0..SPLIT_BYTES + 11, SPLIT_BYTES + 11..body.len()]);
        let lines = |bytes: &[u8]| bytes.iter().filter(|b| **b == b'\n').count();
        assert_eq!(task_rows(&body, true, 3, lines), [1, 2]);
        assert_eq!(task_rows(&body, false, 3, lines), [3], "a whole-file record is one task");
        assert_eq!(task_rows(b"a\nb\n", true, 2, lines), [2]);
        assert_eq!(task_rows(&body, true, 5, lines), [5], "counts that do not add up: one task");
    }

    #[test]
    fn empty_tasks_write_no_part_file() {
        let rows: Vec<Row> = (0..4).map(|i| vec![json!(i)]).collect();
        let parts = parts_of(&rows, &[1, 0, 3, 0]);
        assert_eq!(parts, [vec![vec![json!(0)]], (1..4).map(|i| vec![json!(i)]).collect::<Vec<_>>()]);
        assert!(parts_of(&[], &[0, 0]).is_empty());
    }

    #[test]
    fn a_failed_run_states_no_hits() {
        let mut contract = Contract::default();
        contract.begin(1);
        contract.plan_written(true);
        contract.end(false);
        contract.begin(2);
        contract.plan_written(false);
        contract.sink_wrote(Some(3));
        contract.committed("batch 0".into());
        contract.end(true);
        assert_eq!(contract.runs.len(), 1);
        let hits = &contract.runs[0].hits;
        assert_eq!(hits.get(&CrashPoint::BeforeSourceLogWrite), None);
        assert_eq!(hits[&CrashPoint::DuringSinkWrite], 3);
        assert_eq!(hits[&CrashPoint::DuringLogWrite], 3, "offsets, sink log, commit");
    }
}
