//! What a user finds of each run besides its rows, by the model: the hits of every crash point
//! (the contract in README's table of crash points) and, for the file sink, each written
//! batch's part files, as Spark 4.3 writes them.
//!
//! A batch's tasks are the model's own statement of Spark 4.3's file scan, as measured
//! (`spark/FINDINGS.md` Q23) and read in its source (`FilePartition`): a split size of
//! `min(maxPartitionBytes, max(openCostInBytes, total / minPartitionNum))`, the total being
//! every file's length plus the open cost; a JSON Lines file cut at every multiple of it, a
//! whole-file input never; the splits taken longest first (equal ones in the batch's file order)
//! and packed next-fit, each adding its length plus the open cost to its task. A line starting
//! at byte p > 0 is read by the split that holds byte p - 1 (Hadoop's rule). Task 0 writes a part
//! file even when empty; any other task only when it made rows. It must never take the engine's
//! task code.

use crate::check::{BatchParts, RunHits};
use crashpoint_engine::faults::CrashPoint;
use crashpoint_engine::plan::Row;
use crashpoint_engine::source::SourceOptions;

/// The contract as the runs go: the run being modelled, and the runs and batches stated.
#[derive(Debug, Default)]
pub(super) struct Contract {
    current: Option<RunHits>,
    /// Every run the model finished.
    pub(super) runs: Vec<RunHits>,
    /// Every batch the file sink wrote, in order.
    pub(super) parts: Vec<BatchParts>,
    /// Every batch read, with its tasks, in order.
    pub(super) tasks: Vec<BatchTasks>,
}

/// One batch's tasks as the model lays them out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchTasks {
    /// The run that read it, from 1.
    pub run: u32,
    /// The batch id.
    pub batch: u64,
    /// Each task's splits, in reading order: (the file's name, first byte, end byte).
    pub tasks: Vec<Vec<(String, u64, u64)>>,
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

/// Spark's `spark.sql.files.*` knobs of the query: (maxPartitionBytes, openCostInBytes,
/// minPartitionNum), Spark's defaults (128 MiB, 4 MiB, and `local[2]`'s parallelism 2) where
/// the query sets none. Only a query whose values are in their rule reaches a batch.
pub(super) fn knobs(source: &SourceOptions) -> (u64, u64, u64) {
    let or = |value: Option<i64>, default: u64| value.and_then(|v| u64::try_from(v).ok()).unwrap_or(default);
    (or(source.max_partition_bytes, 128 << 20), or(source.open_cost_in_bytes, 4 << 20), or(source.min_partition_num, 2))
}

/// One split a task reads: bytes `start..end` of the batch's file `file`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Split {
    pub(super) file: usize,
    pub(super) start: u64,
    pub(super) end: u64,
}

/// The size a batch of files of `lengths` is cut at (never 0).
pub(super) fn split_size(lengths: &[u64], (max_partition, open_cost, parallelism): (u64, u64, u64)) -> u64 {
    let total: u128 = lengths.iter().map(|len| u128::from(*len) + u128::from(open_cost)).sum();
    let per_core = u64::try_from(total / u128::from(parallelism.max(1))).unwrap_or(u64::MAX);
    max_partition.min(per_core.max(open_cost)).max(1)
}

/// A batch's tasks, each its splits in reading order, for its files (`(length, splittable)`, in
/// the batch's order) under the query's knobs.
pub(super) fn tasks(files: &[(u64, bool)], knobs: (u64, u64, u64)) -> Vec<Vec<Split>> {
    let size = split_size(&files.iter().map(|f| f.0).collect::<Vec<_>>(), knobs);
    let mut splits: Vec<Split> = Vec::new();
    for (file, &(len, splittable)) in files.iter().enumerate() {
        if !splittable {
            splits.push(Split { file, start: 0, end: len });
            continue;
        }
        let count = len.div_ceil(size);
        splits.extend((0..count).map(|k| Split { file, start: k * size, end: ((k + 1) * size).min(len) }));
    }
    // Longest first; a stable sort keeps equal lengths in the batch's file order.
    splits.sort_by_key(|s| std::cmp::Reverse(s.end - s.start));
    let mut tasks: Vec<(u64, Vec<Split>)> = Vec::new();
    for split in splits {
        let len = split.end - split.start;
        match tasks.last_mut() {
            Some((filled, task)) if *filled + len <= size => {
                *filled += len + knobs.1;
                task.push(split);
            }
            _ => tasks.push((len + knobs.1, vec![split])),
        }
    }
    tasks.into_iter().map(|(_, task)| task).collect()
}

/// The split of a file cut at every `size` bytes that reads the line starting at byte `at`:
/// the one holding byte `at - 1`, the first for a line at 0 (Hadoop's rule).
pub(super) fn split_of_line(at: u64, size: u64) -> u64 {
    at.saturating_sub(1) / size
}

/// A batch's part files from its tasks' rows, in task order: (K, the rows) for task 0 always and
/// for every other task that made rows.
pub(super) fn parts_of(tasks: Vec<Vec<Row>>) -> Vec<(u32, Vec<Row>)> {
    let mut parts = Vec::new();
    for (k, rows) in tasks.into_iter().enumerate() {
        if k == 0 || !rows.is_empty() {
            parts.push((u32::try_from(k).unwrap_or(u32::MAX), rows));
        }
    }
    if parts.is_empty() {
        // A batch of no split still runs one empty task, which writes part 0.
        parts.push((0, Vec::new()));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_layout_is_spark_4_3s_as_measured() {
        // Goal: the model's layout against each layout Spark 4.3 gave in FINDINGS Q23, stated
        // as (file, first byte) per task. Method: the measured files' lengths and knobs.
        let mb = 1 << 20;
        type Case<'a> = (&'a [(u64, bool)], (u64, u64, u64), &'a [&'a [(usize, u64)]]);
        let cases: &[Case<'_>] = &[
            // A: three 48-byte files, defaults: [a b] [c].
            (&[(48, true); 3], (128 * mb, 4 * mb, 2), &[&[(0, 0), (1, 0)], &[(2, 0)]]),
            // B: one 160-byte file, max 64, open 16: cut at 64 and 128.
            (&[(160, true)], (64, 16, 2), &[&[(0, 0)], &[(0, 64)], &[(0, 128)]]),
            // D: a 34, b 50, c 34, d 70, max 100, open 10: [d] [b a] [c].
            (
                &[(34, true), (50, true), (34, true), (70, true)],
                (100, 10, 2),
                &[&[(3, 0)], &[(1, 0), (0, 0)], &[(2, 0)]],
            ),
            // E: four 20-byte files, max 50, open 5: [z x] [y w], file order kept.
            (&[(20, true); 4], (50, 5, 2), &[&[(0, 0), (1, 0)], &[(2, 0), (3, 0)]]),
            // I: whole files: [big] [s t].
            (&[(137, false), (15, false), (15, false)], (64, 16, 2), &[&[(0, 0)], &[(1, 0), (2, 0)]]),
            // K batch 1: c 200, d 34: [c0] [c64] [c128] [d c192].
            (&[(200, true), (34, true)], (64, 16, 2), &[&[(0, 0)], &[(0, 64)], &[(0, 128)], &[(1, 0), (0, 192)]]),
            // M: a task filled to exactly the split size still takes the split: [r] [p q].
            (&[(60, true), (30, true), (90, true)], (100, 10, 2), &[&[(2, 0)], &[(0, 0), (1, 0)]]),
            // An empty JSON Lines file has no split; an empty whole file has one.
            (&[(0, true)], (64, 16, 2), &[]),
            (&[(0, false)], (64, 16, 2), &[&[(0, 0)]]),
        ];
        for (files, knobs, want) in cases {
            let got: Vec<Vec<(usize, u64)>> =
                tasks(files, *knobs).iter().map(|t| t.iter().map(|s| (s.file, s.start)).collect()).collect();
            assert_eq!(got, want.iter().map(|t| t.to_vec()).collect::<Vec<_>>(), "{files:?} {knobs:?}");
        }
        assert_eq!(split_size(&[1000], (128 * mb, 64, 2)), 532, "J");
        assert_eq!(split_size(&[], (128 * mb, 4 * mb, 2)), 4 * mb);
    }

    #[test]
    fn a_line_is_read_by_the_split_holding_the_byte_before_it() {
        // B: 16-byte lines cut at 64: the line at 64 is split 0's, the line at 80 split 1's.
        let owners: Vec<u64> = (0..10).map(|i| split_of_line(i * 16, 64)).collect();
        assert_eq!(owners, [0, 0, 0, 0, 0, 1, 1, 1, 1, 2]);
        assert_eq!(split_of_line(0, 1), 0);
    }

    #[test]
    fn task_0_always_writes_a_part_file_and_other_empty_tasks_none() {
        // F, G and K of Q23: an empty task 0 writes an empty part-00000; an empty task 2 none.
        let row = |v: i64| vec![json!(v)];
        let parts = parts_of(vec![vec![], vec![row(1)], vec![], vec![row(2), row(3)]]);
        let numbers: Vec<u32> = parts.iter().map(|p| p.0).collect();
        assert_eq!(numbers, [0, 1, 3]);
        assert!(parts[0].1.is_empty());
        assert_eq!(parts_of(vec![]), [(0, vec![])]);
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
