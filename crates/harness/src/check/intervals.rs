//! The compaction interval each batch of a compactible log (`sources/0`, `_spark_metadata`)
//! was written with. Spark's `CompactibleFileStreamLog` fixes it once per start from the
//! compactions the log holds, not from the conf alone (spark/FINDINGS.md Q26e2): two or more,
//! the distance of the newest two; one, `c`, the smallest divisor of `c + 1` at least the conf
//! (`c + 1` itself when the conf reaches it or is not below half of it); none, the conf.
//!
//! The rule is written here from Spark's measured behaviour, for the checks and the model; it
//! must never call the engine's derivation, which it judges.

use super::spark_log::batch_files;
use crashpoint_engine::storage::Storage;
use std::collections::BTreeMap;
use std::path::Path;

/// The interval a log given `conf` compacts with, from its compactions' batch ids (ascending).
pub fn derived_interval(conf: u64, compactions: &[u64]) -> u64 {
    let Some((&newest, before)) = compactions.split_last() else { return conf };
    if let Some(previous) = before.last() {
        return newest - previous;
    }
    let next = newest + 1;
    match conf < next / 2 {
        true => (conf.max(1)..=next / 2).find(|d| next % d == 0).unwrap_or(next),
        false => next,
    }
}

/// For one log: from each run's first batch on, the interval that run derived.
#[derive(Debug, Clone)]
pub struct Intervals(BTreeMap<u64, u64>);

impl Intervals {
    /// A log written with `interval` throughout.
    pub fn uniform(interval: u64) -> Self {
        Self(BTreeMap::from([(0, interval)]))
    }

    /// A run starts on the log at `dir` given `conf`: from the batch after its newest file on,
    /// the interval its compactions dictate. A log that cannot be listed keeps what it had.
    pub fn run_starts(&mut self, storage: &dyn Storage, dir: &Path, conf: u64) {
        let Ok(files) = batch_files(storage, dir) else { return };
        let compactions: Vec<u64> = files.iter().filter(|f| f.compact).map(|f| f.id).collect();
        self.fix(files.last().map_or(0, |f| f.id + 1), derived_interval(conf, &compactions));
    }

    /// From batch `next` on, `interval`.
    pub fn fix(&mut self, next: u64, interval: u64) {
        self.0.split_off(&next);
        self.0.insert(next, interval);
    }

    /// The interval batch `id` was (or will be) written with.
    pub fn at(&self, id: u64) -> u64 {
        self.0.range(..=id).next_back().or(self.0.first_key_value()).map_or(1, |(_, i)| *i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crashpoint_engine::storage::SimStorage;

    #[test]
    fn the_interval_follows_the_compactions_as_spark_derives_it() {
        // Goal: Spark 4.3's intervals after a restart with another conf (FINDINGS Q26e2).
        assert_eq!(derived_interval(5, &[2, 5]), 3);
        assert_eq!(derived_interval(2, &[2, 5]), 3);
        assert_eq!(derived_interval(2, &[]), 2);
        assert_eq!(derived_interval(2, &[2]), 3);
        assert_eq!(derived_interval(5, &[2]), 3);
        assert_eq!(derived_interval(5, &[11]), 6);
        assert_eq!(derived_interval(4, &[11]), 4);
        assert_eq!(derived_interval(7, &[11]), 12);
        assert_eq!(derived_interval(2, &[5]), 2);
        assert_eq!(derived_interval(3, &[5]), 6);
    }

    #[test]
    fn each_run_fixes_the_interval_from_its_first_batch_on() {
        // Goal: batches keep the interval of the run that wrote them. Method: a log at interval 3
        // (0, 1, 2.compact, 3), a run given 5 (one compaction: 3), then the log cut back by hand.
        let disk = SimStorage::new(0);
        let dir = Path::new("/s");
        disk.create_dir_all(dir).unwrap();
        ["0", "1", "2.compact", "3"].iter().for_each(|n| disk.write(&dir.join(n), b"v1\n").unwrap());
        let mut intervals = Intervals::uniform(3);
        intervals.run_starts(&disk, dir, 10);
        assert_eq!((intervals.at(3), intervals.at(4), intervals.at(40)), (3, 3, 3));
        disk.remove_file(&dir.join("2.compact")).unwrap();
        intervals.run_starts(&disk, dir, 5);
        assert_eq!((intervals.at(3), intervals.at(4)), (3, 5));
    }
}
