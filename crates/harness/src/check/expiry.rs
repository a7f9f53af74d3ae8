//! Invariant 6, checked after every restart: a compactible log (the source log `sources/0`,
//! the file sink's `_spark_metadata`) keeps every file Spark 4.3 keeps after its latest batch.
//! Spark's `deleteExpiredLog` deletes, after batch `L`, only the files below the last
//! compaction before the oldest batch to retain (`L + 1 - minBatchesToRetain`); from that
//! compaction on, each batch has its file: `N.compact` on its turn (`(N + 1) % interval == 0`,
//! at the interval the run that wrote it derived: [`super::intervals`]), `N` otherwise (spark/FINDINGS.md Q12). A file below that point may stay: Spark waits
//! `cleanupDelay` before deleting, and a power loss can undo a delete that was never fsynced.
//! A file the user deleted by hand is the user's.
//!
//! It reads the directories with the oracle's own log reader and Spark's rule written out here;
//! it never asks the engine which files it meant to keep.

use super::intervals::Intervals;
use super::invariants::ByHand;
use super::spark_log::{BatchFile, batch_files};
use crashpoint_engine::storage::Storage;
use std::path::Path;

/// Spark's knobs of the compactible logs.
#[derive(Debug, Clone)]
pub struct LogKnobs {
    /// The intervals the source log's batches were written with.
    pub source: Intervals,
    /// The intervals the file sink's log's batches were written with.
    pub sink: Intervals,
    /// `minBatchesToRetain`.
    pub min_batches_to_retain: u64,
}

/// One log's knobs.
#[derive(Debug, Clone, Copy)]
struct Knobs<'a> {
    intervals: &'a Intervals,
    retain: u64,
}

/// The violations of invariant 6 in the source log of the checkpoint at `checkpoint` and, for
/// a file sink, in the `_spark_metadata` of `output`.
pub fn check_compactible_logs(
    storage: &dyn Storage,
    checkpoint: &Path,
    file_sink_output: Option<&Path>,
    knobs: &LogKnobs,
    by_hand: &ByHand,
) -> Vec<String> {
    let retain = knobs.min_batches_to_retain;
    let source = Knobs { intervals: &knobs.source, retain };
    let mut violations = check_log_files_kept(storage, &checkpoint.join("sources/0"), "sources/0", source, by_hand);
    if let Some(output) = file_sink_output {
        let dir = output.join("_spark_metadata");
        let sink = Knobs { intervals: &knobs.sink, retain };
        violations.extend(check_log_files_kept(storage, &dir, "output/_spark_metadata", sink, by_hand));
    }
    violations
}

/// The violations of invariant 6 in the log at `dir`, named `log` in words and in `by_hand`
/// (`sources/0`, `output/_spark_metadata`).
fn check_log_files_kept(
    storage: &dyn Storage,
    dir: &Path,
    log: &str,
    knobs: Knobs<'_>,
    by_hand: &ByHand,
) -> Vec<String> {
    let files = match batch_files(storage, dir) {
        Ok(files) => files,
        Err(e) => return vec![e.to_string()],
    };
    // The whole log deleted by hand: what follows is the user's.
    if by_hand.iter().any(|path| log == path || log.starts_with(&format!("{path}/"))) {
        return Vec::new();
    }
    // A newest file deleted by hand still counts: the files before it expired after it.
    let prefix = format!("{log}/");
    let by_hand_ids = by_hand.iter().filter_map(|path| path.strip_prefix(&prefix)).filter_map(batch_id);
    let Some(latest) = files.iter().map(|f| f.id).chain(by_hand_ids).max() else { return Vec::new() };
    let first_kept = first_kept(latest, knobs);
    let deleted_by_hand = |file: BatchFile| by_hand.contains(&format!("{log}/{}", file.name()));
    (first_kept..=latest)
        .map(|id| BatchFile { id, compact: (id + 1).is_multiple_of(knobs.intervals.at(id)) })
        .filter(|file| !files.contains(file) && !deleted_by_hand(*file))
        .map(|file| {
            format!(
                "{log} lacks {}: after batch {latest}, Spark keeps every file from batch {first_kept} on \
                 (compact-interval {}, min-batches-to-retain {})",
                file.name(),
                knobs.intervals.at(file.id),
                knobs.retain
            )
        })
        .collect()
}

/// The batch id of a log file's name (`N` or `N.compact`); none for a stray (`0N`, `+N`).
fn batch_id(name: &str) -> Option<u64> {
    super::spark_log::own_batch_id(name.strip_suffix(".compact").unwrap_or(name))
}

/// The first batch whose file Spark keeps after batch `latest`.
fn first_kept(latest: u64, knobs: Knobs<'_>) -> u64 {
    let (interval, retain) = (knobs.intervals.at(latest), knobs.retain);
    match (latest + 1).checked_sub(retain) {
        Some(oldest) if oldest >= interval => oldest - oldest % interval - 1,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crashpoint_engine::storage::SimStorage;

    fn knobs(intervals: &Intervals) -> Knobs<'_> {
        Knobs { intervals, retain: 3 }
    }

    fn log(names: &[&str]) -> SimStorage {
        let disk = SimStorage::new(0);
        disk.create_dir_all(Path::new("/s")).unwrap();
        names.iter().for_each(|n| disk.write(&Path::new("/s").join(n), b"v1\n").unwrap());
        disk
    }

    fn kept(names: &[&str], by_hand: &[&str]) -> Vec<String> {
        let by_hand: ByHand = by_hand.iter().map(|p| format!("sources/0/{p}")).collect();
        check_log_files_kept(&log(names), Path::new("/s"), "sources/0", knobs(&Intervals::uniform(10)), &by_hand)
    }

    #[test]
    fn the_files_spark_keeps_must_be_there() {
        // Goal: Spark 4.3's listing passes (FINDINGS Q12: interval 10, retain 3, after batch 20:
        // `9.compact, 10…18, 19.compact, 20`), with or without the expired files; a file Spark
        // keeps that is gone, or a compaction written as a plain file, is a violation, unless
        // the user deleted it.
        let spark: Vec<String> =
            ["9.compact"].into_iter().map(String::from).chain((10..19).map(|i| i.to_string())).collect();
        let spark: Vec<&str> = spark.iter().map(String::as_str).chain(["19.compact", "20"]).collect();
        assert_eq!(kept(&spark, &[]), Vec::<String>::new());
        assert_eq!(kept(&[&["0", "5", "8"], &spark[..]].concat(), &[]), Vec::<String>::new(), "leftovers are fine");
        let without = |gone: &str| spark.iter().copied().filter(|n| *n != gone).collect::<Vec<_>>();
        let lacks = kept(&without("9.compact"), &[]);
        assert_eq!(lacks.len(), 1);
        assert!(
            lacks[0].starts_with("sources/0 lacks 9.compact: after batch 20, Spark keeps every file from batch 9 on")
        );
        assert_eq!(kept(&without("15"), &[]).len(), 1);
        assert_eq!(kept(&without("15"), &["15"]), Vec::<String>::new(), "the user's delete");
        assert_eq!(
            kept(&without("20"), &["20"]),
            Vec::<String>::new(),
            "the newest deleted: 9.compact is still the first"
        );
        let by_hand: ByHand = ["sources".to_string()].into();
        let ten = Intervals::uniform(10);
        let whole = check_log_files_kept(&log(&["5"]), Path::new("/s"), "sources/0", knobs(&ten), &by_hand);
        assert_eq!(whole, Vec::<String>::new(), "a log deleted whole by hand is the user's");
        let plain_compaction: Vec<&str> = without("19.compact").into_iter().chain(["19"]).collect();
        assert_eq!(kept(&plain_compaction, &[]).len(), 1, "19 must be 19.compact");
        assert_eq!(kept(&["0", "1", "2"], &[]), Vec::<String>::new(), "before the first compaction");
        assert_eq!(kept(&["1", "2"], &[])[0].split(':').next(), Some("sources/0 lacks 0"));
        assert_eq!(kept(&[], &[]), Vec::<String>::new(), "an empty log keeps nothing");
    }
}
