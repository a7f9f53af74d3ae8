//! Where a compactible log's compactions are: Spark writes batch N of the file source's log
//! (`sources/0/`) and of the file sink's log (`_spark_metadata/`) as `N.compact` exactly when
//! N + 1 is a multiple of the log's `compactInterval`, and as a plain `N` otherwise
//! (`CompactibleFileStreamLog.isCompactionBatch`). A user who lists either directory sees
//! that; a log compacted at other batches keeps more files than Spark (or merges sooner), and
//! another Spark reading it with the same conf looks for compactions where there are none.
//!
//! The interval judged is, batch by batch, the one the run that wrote it derived by Spark's
//! rule ([`super::intervals`]) from the query's conf (Spark's default 10 when it sets none),
//! never the engine's. The check only lists file names; it never reads a file.

use super::intervals::Intervals;
use super::spark_log::batch_files;
use crashpoint_engine::storage::Storage;
use std::path::Path;

/// The files of the log in `dir` (named `log` in the words) whose kind is not the one Spark
/// gives their batch under `intervals`, in words; `by_hand`: whether a file (by its name) is
/// one the user wrote, whose name is the user's.
pub fn compactions_where_spark_puts_them(
    storage: &dyn Storage,
    log: &str,
    dir: &Path,
    intervals: &Intervals,
    by_hand: &dyn Fn(&str) -> bool,
) -> Vec<String> {
    let files = match batch_files(storage, dir) {
        Ok(files) => files,
        Err(e) => return vec![format!("{log} cannot be listed: {e}")],
    };
    let is_compaction = |id: u64| intervals.at(id) > 0 && (id + 1).is_multiple_of(intervals.at(id));
    files
        .into_iter()
        .filter(|file| file.compact != is_compaction(file.id) && !by_hand(&file.name()))
        .map(|file| {
            let interval = intervals.at(file.id);
            let should = if file.compact { file.id.to_string() } else { format!("{}.compact", file.id) };
            format!(
                "{log} has {}, but with a compaction interval of {interval} Spark writes batch {} as {should} \
                 (a compaction every {interval} batches: 0-based batch N with N + 1 a multiple of {interval})",
                file.name(),
                file.id
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crashpoint_engine::storage::SimStorage;

    fn log(names: &[&str]) -> SimStorage {
        let sim = SimStorage::new(0);
        sim.create_dir_all(Path::new("/log")).unwrap();
        for name in names {
            sim.write(&Path::new("/log").join(name), b"v1\n").unwrap();
        }
        sim
    }

    fn judged(names: &[&str], interval: u64) -> Vec<String> {
        compactions_where_spark_puts_them(
            &log(names),
            "sources/0/",
            Path::new("/log"),
            &Intervals::uniform(interval),
            &|_| false,
        )
    }

    #[test]
    fn a_log_compacted_at_its_interval_passes() {
        // Goal: Spark's own layouts pass: interval 3 (2.compact, 5.compact, the files after),
        // Spark's default 10 before its first compaction, interval 1 (every batch a compaction),
        // and names that are no batch files. Method: hand-made listings.
        assert!(judged(&["2.compact", "3", "4", "5.compact", "6", ".6.crc", "tmp"], 3).is_empty());
        assert!(judged(&["0", "1", "8"], 10).is_empty());
        assert!(judged(&["9.compact", "10"], 10).is_empty());
        assert!(judged(&["0.compact", "1.compact"], 1).is_empty());
        assert!(judged(&[], 10).is_empty());
    }

    #[test]
    fn a_compaction_at_another_batch_or_a_missing_one_is_named() {
        // Goal: the bug this check exists for, an engine compacting at another interval than
        // the query's (a wrong default, say), either way. Method: a log compacted every 5
        // batches judged at 10, one compacted every 10 judged at 5, and every batch compacted
        // judged at 10; each names the file and the name Spark gives the batch.
        let sooner = judged(&["4.compact", "5"], 10);
        assert_eq!(sooner.len(), 1, "{sooner:?}");
        assert!(sooner[0].contains("4.compact") && sooner[0].contains("as 4 ") && sooner[0].contains("of 10"));
        let later = judged(&["4", "5", "8.compact"], 5);
        assert_eq!(later.len(), 2, "{later:?}");
        assert!(later[0].contains("has 4,") && later[0].contains("as 4.compact"), "{later:?}");
        assert!(later[1].contains("has 8.compact") && later[1].contains("as 8 "), "{later:?}");
        assert_eq!(judged(&["0.compact"], 10).len(), 1);
    }

    #[test]
    fn a_file_the_user_wrote_is_the_users() {
        // Goal: a name the user gave by hand is not the engine's. Method: the same wrong
        // compaction, excused by name.
        let sim = log(&["4.compact"]);
        let found = compactions_where_spark_puts_them(
            &sim,
            "sources/0/",
            Path::new("/log"),
            &Intervals::uniform(10),
            &|name| name == "4.compact",
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
