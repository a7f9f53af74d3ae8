//! The model's source log (`sources/0`): what each source-log batch recorded, and the files
//! that hold it as Spark 4.3 leaves them. A batch is written as a plain file `N`, or as
//! `N.compact` every `interval` batches, holding every entry a reader saw then; files expire as
//! Spark's `deleteExpiredLog` deletes them, once `minBatchesToRetain` batches lie after the
//! compaction that replaced them (with `cleanupDelay` passed: spark/FINDINGS.md Q12). What a
//! reader gets is computed from the files, as a restart reads them.
//!
//! Plain data and Spark's rules written out here: it never calls the engine's log code.

use super::state::SourceEntry;
use std::collections::{BTreeMap, BTreeSet};

/// One file of the source log.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SourceFile {
    /// `N`: batch N's own entries.
    Plain,
    /// `N.compact`: the entries of these batches (every batch a reader saw when it was written).
    Compaction(BTreeSet<u64>),
}

/// Why a range of source-log batches cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum RangeGap {
    /// Batch `N` has no file of its own and no compaction after it.
    Missing(u64),
    /// Batch `N`'s own file is there, and the reader reads it.
    OwnFile(u64),
}

/// The source log.
#[derive(Debug, Clone, Default)]
pub(super) struct SourceLog {
    /// Each batch's entries as it recorded them; a file that holds the batch gives them.
    recorded: BTreeMap<u64, Vec<SourceEntry>>,
    /// The files in `sources/0`, by batch id.
    files: BTreeMap<u64, SourceFile>,
}

impl SourceLog {
    /// True when `sources/0` holds no batch file.
    pub(super) fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The newest batch with a file: where the next batch's id follows.
    pub(super) fn latest(&self) -> Option<u64> {
        self.files.keys().next_back().copied()
    }

    fn newest_compaction(&self) -> Option<u64> {
        self.files.iter().rev().find(|(_, f)| matches!(f, SourceFile::Compaction(_))).map(|(id, _)| *id)
    }

    /// The batches a restart reads: the newest compaction's, then each plain file after it.
    fn visible(&self) -> BTreeSet<u64> {
        let newest = self.newest_compaction();
        let held = newest.and_then(|id| match &self.files[&id] {
            SourceFile::Compaction(held) => Some(held.clone()),
            SourceFile::Plain => None,
        });
        let after = self.files.keys().copied().filter(|id| newest.is_none_or(|c| *id > c));
        held.unwrap_or_default().into_iter().chain(after).collect()
    }

    /// Every entry a restart reads, batch by batch: the files the source has seen.
    pub(super) fn seen(&self) -> Vec<SourceEntry> {
        self.visible().iter().filter_map(|id| self.recorded.get(id)).flatten().cloned().collect()
    }

    /// True if a restart reads `sources/0/<id>`: a plain file after the newest compaction.
    pub(super) fn read_at_start(&self, id: u64) -> bool {
        self.has_plain_file(id) && self.newest_compaction().is_none_or(|c| id > c)
    }

    /// The batch ids of the compactions in `sources/0`, ascending.
    pub(super) fn compactions(&self) -> Vec<u64> {
        self.files.iter().filter(|(_, f)| matches!(f, SourceFile::Compaction(_))).map(|(id, _)| *id).collect()
    }

    /// Whether `sources/0/<id>` is there as `N.compact` (true) or `N` (false).
    pub(super) fn is_compaction(&self, id: u64) -> Option<bool> {
        self.files.get(&id).map(|f| matches!(f, SourceFile::Compaction(_)))
    }

    /// True if `sources/0/<id>` is there as a plain file.
    pub(super) fn has_plain_file(&self, id: u64) -> bool {
        self.files.get(&id) == Some(&SourceFile::Plain)
    }

    /// Batch `id` written with `entries`, then the files that expired deleted.
    pub(super) fn add(&mut self, id: u64, entries: Vec<SourceEntry>, interval: u64, retain: u64) {
        let file = match (id + 1).is_multiple_of(interval) {
            true => SourceFile::Compaction(self.visible().into_iter().chain([id]).collect()),
            false => SourceFile::Plain,
        };
        self.recorded.insert(id, entries);
        self.files.insert(id, file);
        if let Some(below) = expired_below(id, interval, retain) {
            self.files.retain(|k, _| *k >= below);
        }
    }

    /// The entries of batches `(after, through]`, read as a resumed run reads them: a batch's
    /// own file when it is there, else the first compaction at or after it (which gives
    /// nothing when it does not hold the batch); a batch with neither is missing. `readable`
    /// says whether the reader can read a batch's own file.
    pub(super) fn range(
        &self,
        after: Option<u64>,
        through: u64,
        readable: impl Fn(u64) -> bool,
    ) -> Result<Vec<SourceEntry>, RangeGap> {
        let mut entries = Vec::new();
        for id in after.map_or(0, |a| a + 1)..=through {
            if self.has_plain_file(id) {
                if !readable(id) {
                    return Err(RangeGap::OwnFile(id));
                }
                entries.extend(self.recorded.get(&id).into_iter().flatten().cloned());
                continue;
            }
            let holder = self.files.range(id..).find_map(|(_, f)| match f {
                SourceFile::Compaction(held) => Some(held),
                SourceFile::Plain => None,
            });
            match holder {
                Some(held) if held.contains(&id) => {
                    entries.extend(self.recorded.get(&id).into_iter().flatten().cloned())
                }
                Some(_) => {}
                None => return Err(RangeGap::Missing(id)),
            }
        }
        Ok(entries)
    }

    /// The user deletes the file `name` (`N` or `N.compact`); false for a name that is no
    /// batch file.
    pub(super) fn delete(&mut self, name: &str) -> bool {
        match file_of(name) {
            Some((id, compact)) => {
                if self.files.get(&id).is_some_and(|f| matches!(f, SourceFile::Compaction(_)) == compact) {
                    self.files.remove(&id);
                }
                true
            }
            None => false,
        }
    }

    /// The user puts the file `name` back as `before` held it (present or absent); false for a
    /// name that is no batch file.
    pub(super) fn restore(&mut self, before: &SourceLog, name: &str) -> bool {
        let Some((id, compact)) = file_of(name) else { return false };
        let was = before.files.get(&id).filter(|f| matches!(f, SourceFile::Compaction(_)) == compact);
        let is = self.files.get(&id).filter(|f| matches!(f, SourceFile::Compaction(_)) == compact);
        match (was, is) {
            (Some(file), _) => {
                self.files.insert(id, file.clone());
                if let Some(entries) = before.recorded.get(&id) {
                    self.recorded.insert(id, entries.clone());
                }
            }
            (None, Some(_)) => drop(self.files.remove(&id)),
            (None, None) => {}
        }
        true
    }
}

/// `N` or `N.compact`: the batch id, and whether it names a compaction.
fn file_of(name: &str) -> Option<(u64, bool)> {
    match name.strip_suffix(".compact") {
        Some(id) => Some((id.parse().ok()?, true)),
        None => Some((name.parse().ok()?, false)),
    }
}

/// Spark's `deleteExpiredLog` after batch `id`: once the oldest batch to retain
/// (`id + 1 - retain`) lies past the first compaction, the files below the last compaction
/// before it go.
pub(super) fn expired_below(id: u64, interval: u64, retain: u64) -> Option<u64> {
    let oldest_retained = (id + 1).checked_sub(retain)?;
    let compaction_before = (0..oldest_retained).rev().find(|k| (k + 1).is_multiple_of(interval))?;
    Some(compaction_before)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str) -> Vec<SourceEntry> {
        vec![SourceEntry { name: name.into(), mtime_ms: 0 }]
    }

    fn log_of(batches: u64, interval: u64, retain: u64) -> SourceLog {
        let mut log = SourceLog::default();
        (0..batches).for_each(|id| log.add(id, entry(&format!("f{id}")), interval, retain));
        log
    }

    fn names(log: &SourceLog) -> Vec<String> {
        let name = |(id, f): (&u64, &SourceFile)| match f {
            SourceFile::Plain => id.to_string(),
            SourceFile::Compaction(_) => format!("{id}.compact"),
        };
        log.files.iter().map(name).collect()
    }

    fn seen(log: &SourceLog) -> Vec<String> {
        log.seen().into_iter().map(|e| e.name).collect()
    }

    #[test]
    fn files_are_left_as_spark_leaves_them() {
        // Goal: the files after each batch are Spark 4.3's (FINDINGS Q12: interval 10,
        // `minBatchesToRetain` 3, `cleanupDelay` 0, after batch 20: `9.compact, 10…18,
        // 19.compact, 20`; with the default 100, every file is there after 21 batches), and a
        // restart sees every batch once.
        let log = log_of(21, 10, 3);
        let expected: Vec<String> =
            ["9.compact"].into_iter().map(String::from).chain((10..19).map(|i| i.to_string())).collect();
        assert_eq!(names(&log), [expected, vec!["19.compact".into(), "20".into()]].concat());
        assert_eq!(seen(&log), (0..21).map(|i| format!("f{i}")).collect::<Vec<_>>());
        assert_eq!(names(&log_of(21, 10, 100)).len(), 21);
        assert_eq!(names(&log_of(12, 10, 3)), names(&log_of(12, 10, 100)), "batch 9 is the oldest to retain");
        assert_eq!(names(&log_of(13, 10, 3))[0], "9.compact");
    }

    #[test]
    fn a_restart_reads_the_newest_compaction_and_the_plain_files_after_it() {
        // Goal: a plain file below the newest compaction (kept until it expires) is not read at
        // a start, and deleting it loses nothing; deleting the newest compaction leaves the
        // batches of the one before and the plain files after that.
        let mut log = log_of(8, 3, 100);
        assert_eq!(names(&log), ["0", "1", "2.compact", "3", "4", "5.compact", "6", "7"]);
        assert!(!log.read_at_start(4) && log.read_at_start(6));
        assert!(log.delete("4"));
        assert_eq!(seen(&log).len(), 8);
        assert_eq!(log.range(Some(3), 4, |_| true), Ok(entry("f4")), "5.compact holds batch 4");
        assert!(log.delete("5.compact"));
        assert_eq!(seen(&log), ["f0", "f1", "f2", "f3", "f6", "f7"]);
        assert_eq!(log.range(Some(4), 5, |_| true), Err(RangeGap::Missing(5)));
        assert_eq!(log.range(Some(2), 3, |id| id != 3), Err(RangeGap::OwnFile(3)));
        assert!(!log.delete("x"), "no batch file");
    }

    #[test]
    fn a_restore_puts_back_one_file() {
        let before = log_of(6, 3, 100);
        let mut log = before.clone();
        assert!(log.delete("5.compact") && log.delete("4"));
        assert!(log.restore(&before, "5.compact"));
        assert_eq!(names(&log), ["0", "1", "2.compact", "3", "5.compact"]);
        assert!(log.restore(&before, "4"));
        assert_eq!(names(&log), names(&before));
    }
}
