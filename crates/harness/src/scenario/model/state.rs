//! The model's checkpoint and sink: which log entries exist, what each batch recorded, and what
//! a reader of the sink sees. Plain data with Spark's rules for compaction and purge, and the
//! user's tampering; no engine code.

use super::source_log::{RangeGap, SourceLog};
use super::strays::Strays;
use crate::check::{Cause, LogFault};
use crashpoint_engine::plan::Row;
use std::collections::{BTreeMap, BTreeSet};

/// What `offsets/N` recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Offsets {
    pub(super) timestamp_ms: i64,
    /// The plan it ran; empty when the file records none (Spark wrote it).
    pub(super) fingerprint: String,
    /// The newest source-log batch the batch covers (`None`: the source log was empty).
    pub(super) log_offset: Option<u64>,
}

/// One entry of the source log: a file name and the modification time it was taken with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SourceEntry {
    pub(super) name: String,
    pub(super) mtime_ms: i64,
}

/// The checkpoint directory.
#[derive(Debug, Clone, Default)]
pub(super) struct Checkpoint {
    pub(super) metadata: bool,
    pub(super) offsets: BTreeMap<u64, Offsets>,
    pub(super) commits: BTreeSet<u64>,
    /// The source log, by source-log batch id (which a batch's `logOffset` names).
    pub(super) sources: SourceLog,
    /// Bad lines kept per batch's dead-letter file, by (file name, line).
    pub(super) dead_letters: BTreeMap<u64, Vec<(String, u32)>>,
    /// Log files the user overwrote with what is no log (a first line that is not `v1`, no
    /// bytes, a line that is no JSON), by path (`offsets/3`), and `metadata` overwritten with
    /// what is no query id's JSON, each with why a run that reads it must refuse, naming it.
    pub(super) unreadable: BTreeMap<String, Cause>,
    /// Files the user left in the logs whose names read as a batch id but are not its own.
    pub(super) strays: Strays,
}

impl Checkpoint {
    /// The batches with offsets but no commit below the latest commit: only the latest commit
    /// counts at a restart, so they never run again (in Spark as here).
    pub(super) fn skipped_uncommitted(&self) -> Vec<u64> {
        let Some(latest) = self.commits.iter().next_back() else { return Vec::new() };
        self.offsets.range(..latest).map(|(id, _)| *id).filter(|id| !self.commits.contains(id)).collect()
    }

    /// The entries of the source-log batches `(after, through]`, as a resumed run reads them;
    /// a batch with no file of its own and no compaction after it is missing, and its own file
    /// overwritten by the user stops the read.
    pub(super) fn source_range(&self, after: Option<u64>, through: u64) -> Result<Vec<SourceEntry>, SourceGap> {
        let readable = |id: u64| !self.unreadable.contains_key(&format!("sources/0/{id}"));
        self.sources.range(after, through, readable).map_err(|gap| match gap {
            RangeGap::Missing(id) => SourceGap::Missing(format!("sources/0/{id}")),
            RangeGap::OwnFile(id) => {
                let path = format!("sources/0/{id}");
                SourceGap::Unreadable(self.unreadable.get(&path).cloned().unwrap_or(Cause::Other(path)))
            }
        })
    }

    /// Source-log batch `id` written by a run, then the files that expired deleted (their
    /// overwritten bytes with them).
    pub(super) fn add_source_batch(&mut self, id: u64, entries: Vec<SourceEntry>, knobs: (u64, u64)) {
        self.sources.add(id, entries, knobs.0, knobs.1);
        let sources = &self.sources;
        self.unreadable.retain(|path, _| source_log_id(path).is_none_or(|id| sources.has_plain_file(id)));
    }

    /// Spark's purge at batch `id`: offsets and commits below `id - retain` go.
    pub(super) fn purge(&mut self, id: u64, retain: u64) {
        if let Some(threshold) = id.checked_sub(retain) {
            self.offsets.retain(|k, _| *k >= threshold);
            self.commits.retain(|k| *k >= threshold);
            self.unreadable.retain(|path, _| log_id(path).is_none_or(|(_, k)| k >= threshold));
        }
    }

    /// The user overwrites a checkpoint file with `with`. True when the model knows what
    /// follows: a file that is not there stays absent (nothing is written), an offsets, commit
    /// or source-log file whose bytes are no log ([`log_cause`]) becomes unreadable, and a
    /// commit of its version line alone is a commit still (Spark's `CommitLog` reads `{}`
    /// then), as is the offsets file as Spark writes it. Other lines of JSON need the log's own
    /// shape, which the model does not keep: false.
    pub(super) fn corrupt(&mut self, path: &str, with: &str) -> bool {
        if path == "metadata" {
            return self.corrupt_metadata(with);
        }
        let exists = match (log_id(path), source_log_id(path)) {
            (Some(("offsets", id)), _) => self.offsets.contains_key(&id),
            (Some((_, id)), _) => self.commits.contains(&id),
            (None, Some(id)) => self.sources.has_plain_file(id),
            (None, None) => return false,
        };
        if !exists {
            return true;
        }
        if let Some(cause) = log_cause(path, with) {
            self.unreadable.insert(path.to_string(), cause);
            return true;
        }
        if log_id(path).is_some_and(|(log, id)| log == "offsets" && self.spark_wrote(id, with)) {
            return true;
        }
        let commit_of_no_line = path.starts_with("commits/") && with.split('\n').all(|l| l.is_empty() || l == "v1");
        if commit_of_no_line {
            self.unreadable.remove(path);
        }
        commit_of_no_line
    }

    /// True if `with` is `offsets/id` as Spark writes it: the batch's recorded `logOffset`, a
    /// `batchTimestampMs` (Spark's wall clock's: the recorded one, or another, as a checkpoint
    /// from an earlier year), and no plan in its `conf` (Spark records none). The model then
    /// knows the file: the batch at that time, its plan unknown, which a start cannot check and
    /// warns of.
    fn spark_wrote(&mut self, id: u64, with: &str) -> bool {
        let Some(recorded) = self.offsets.get_mut(&id) else { return false };
        let mut lines = with.split('\n').skip(1).map(serde_json::from_str::<serde_json::Value>);
        let (Some(Ok(metadata)), Some(Ok(offset)), None) = (lines.next(), lines.next(), lines.next()) else {
            return false;
        };
        let time = metadata.get("batchTimestampMs").and_then(serde_json::Value::as_i64);
        let planless = metadata.get("conf").is_some_and(|conf| conf.get("crashpoint.plan.fingerprint").is_none());
        let log_offset = offset.get("logOffset").and_then(serde_json::Value::as_u64);
        let Some(time) = time.filter(|_| planless && log_offset == recorded.log_offset) else { return false };
        recorded.fingerprint.clear();
        recorded.timestamp_ms = time;
        true
    }

    /// The user overwrites `metadata`: with no such file, nothing is written; bytes that are no
    /// JSON object with a string `id` make it unreadable (kept, by its path, with those bytes).
    /// A valid one names another query id, which Spark takes as the query's (Q23b): not
    /// modelled, false.
    fn corrupt_metadata(&mut self, with: &str) -> bool {
        if !self.metadata {
            return true;
        }
        let id = serde_json::from_str::<serde_json::Value>(with).ok().and_then(|v| v.get("id").cloned());
        if id.is_some_and(|id| id.is_string()) {
            return false;
        }
        self.unreadable.insert("metadata".to_string(), Cause::MetadataUnreadable { empty: with.is_empty() });
        true
    }

    /// A source-log file the user made unreadable that a run's start reads to learn the files
    /// seen (one after the newest compaction): why it cannot be read.
    pub(super) fn unreadable_source_log(&self) -> Option<&Cause> {
        let read = |path: &String| source_log_id(path).is_some_and(|id| self.sources.read_at_start(id));
        self.unreadable.iter().find(|(path, _)| read(path)).map(|(_, cause)| cause)
    }

    /// The stray file a run's start takes for its log's newest batch, which it cannot read.
    pub(super) fn stray_refusal(&self) -> Option<Cause> {
        self.strays.refusal(|log| match log {
            "offsets" => self.offsets.keys().next_back().copied(),
            "commits" => self.commits.iter().next_back().copied(),
            _ => self.sources.latest(),
        })
    }

    /// Why `path` cannot be read, when the user made it unreadable.
    pub(super) fn unreadable(&self, path: &str) -> Option<&Cause> {
        self.unreadable.get(path)
    }

    /// The user deletes a checkpoint file by its path relative to the checkpoint. Returns false
    /// for a path the model does not know what to do with.
    pub(super) fn delete(&mut self, path: &str) -> bool {
        self.unreadable.remove(path);
        let parts: Vec<&str> = path.split('/').collect();
        match parts.as_slice() {
            ["metadata"] => self.metadata = false,
            ["offsets", id] => remove_id(id, |id| self.offsets.remove(&id).is_some()),
            ["commits", id] => remove_id(id, |id| self.commits.remove(&id)),
            ["dead-letters", name] => {
                if let Some(id) = name.strip_suffix(".jsonl").and_then(|n| n.parse().ok()) {
                    self.dead_letters.remove(&id);
                }
            }
            ["sources", "0", name] if !name.starts_with('.') => return self.sources.delete(name),
            // Listings ignore names that are not batch ids (`.N.crc`, temp files).
            [.., name] if name.starts_with('.') => {}
            _ => return false,
        }
        true
    }

    /// The user puts `path` back as `before` held it (a backup taken before a tampering step):
    /// present with its content, or absent. False for a path the model does not keep.
    pub(super) fn restore(&mut self, before: &Checkpoint, path: &str) -> bool {
        match before.unreadable.get(path) {
            Some(cause) => drop(self.unreadable.insert(path.to_string(), cause.clone())),
            None => drop(self.unreadable.remove(path)),
        }
        if Strays::is_stray(path) {
            return self.strays.restore(&before.strays, path);
        }
        let parts: Vec<&str> = path.split('/').collect();
        let id = |name: &str| name.parse::<u64>().ok();
        match parts.as_slice() {
            ["metadata"] => self.metadata = before.metadata,
            ["offsets", name] if id(name).is_some() => {
                let id = id(name).unwrap_or_default();
                match before.offsets.get(&id) {
                    Some(offsets) => drop(self.offsets.insert(id, offsets.clone())),
                    None => drop(self.offsets.remove(&id)),
                }
            }
            ["commits", name] if id(name).is_some() => {
                let id = id(name).unwrap_or_default();
                match before.commits.contains(&id) {
                    true => drop(self.commits.insert(id)),
                    false => drop(self.commits.remove(&id)),
                }
            }
            ["sources", "0", name] if !name.starts_with('.') => return self.sources.restore(&before.sources, name),
            // Listings ignore names that are not batch ids (`.N.crc`, temp files).
            [.., name] if name.starts_with('.') => {}
            _ => return false,
        }
        true
    }
}

/// Why a resumed run cannot read a range of the source log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SourceGap {
    /// A batch no file holds: the path of its own file.
    Missing(String),
    /// A batch's own file the user overwrote: why it cannot be read.
    Unreadable(Cause),
}

/// Why a run that reads the log file `path` (`offsets/N`, `commits/N`, `sources/0/N`) with
/// these bytes must refuse, by the log format (README, Spark's `HDFSMetadataLog`): no bytes; a
/// first line that is not `v1`; then one JSON value a line, empty lines skipped, of which the
/// run reads an offsets file's first two (the batch's, which must be there, and the source's,
/// `-` for none), a commit's first, and every entry of a source-log file. `None`: read as a log.
pub(super) fn log_cause(path: &str, bytes: &str) -> Option<Cause> {
    let torn = |fault| Some(Cause::LogTorn { path: path.to_string(), fault });
    if bytes.is_empty() {
        return torn(LogFault::Empty);
    }
    let mut lines = bytes.split('\n');
    let first_line = lines.next().unwrap_or_default();
    if first_line != "v1" {
        return Some(Cause::LogUnreadable { path: path.to_string(), first_line: first_line.to_string() });
    }
    let entries: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    let (read, offsets) = match log_id(path) {
        Some(("offsets", _)) if entries.is_empty() => return torn(LogFault::NoBatchLine),
        Some(("offsets", _)) => (2, true),
        Some(_) => (1, false),
        None => (entries.len(), false),
    };
    let json = |i: usize, line: &str| {
        (offsets && i == 1 && line == "-") || serde_json::from_str::<serde_json::Value>(line).is_ok()
    };
    let bad = entries.iter().take(read).enumerate().position(|(i, line)| !json(i, line));
    bad.and_then(|i| torn(LogFault::BadLine(i + 2)))
}

/// The batch of a source-log path `sources/0/N` (not a compaction).
fn source_log_id(path: &str) -> Option<u64> {
    path.strip_prefix("sources/0/")?.parse().ok()
}

/// `offsets/N` or `commits/N`: the log and the batch id.
fn log_id(path: &str) -> Option<(&str, u64)> {
    let (log, id) = path.split_once('/')?;
    let log = ["offsets", "commits"].into_iter().find(|l| *l == log)?;
    Some((log, id.parse().ok()?))
}

fn remove_id(id: &str, mut remove: impl FnMut(u64) -> bool) {
    if let Ok(id) = id.parse::<u64>() {
        remove(id);
    }
}

/// What the sink keeps across restarts, as a reader of it sees it.
#[derive(Debug, Clone)]
pub(super) enum SinkState {
    /// The file sink: rows per batch id in `_spark_metadata`; it skips ids at or below its newest.
    File(BTreeMap<u64, Vec<Row>>),
    /// The memory sink: rows per batch id; it skips ids it holds.
    Memory(BTreeMap<u64, Vec<Row>>),
    /// The idempotent foreach-batch callback: rows per batch id, replaced on a re-run.
    Replacing(BTreeMap<u64, Vec<Row>>),
    /// A writer that records batch ids with its rows and skips an id it holds (the idempotent
    /// SQLite table, the user's exactly-once sinks): each batch's first write. The engine
    /// knows nothing of it and hands every batch over.
    Guarded(BTreeMap<u64, Vec<Row>>),
    /// The console, the naive foreach-batch callback, the SQLite append: every write appended.
    Appending(Vec<Row>),
}

impl SinkState {
    /// The newest batch id the sink holds a record of, when it keeps one the engine asks.
    pub(super) fn held_latest(&self) -> Option<u64> {
        match self {
            SinkState::File(log) | SinkState::Memory(log) => log.keys().next_back().copied(),
            SinkState::Replacing(_) | SinkState::Guarded(_) | SinkState::Appending(_) => None,
        }
    }

    /// True if the sink already holds batch `id`: the engine commits it without reading it.
    pub(super) fn holds(&self, id: u64) -> bool {
        match self {
            SinkState::File(log) => log.keys().next_back().is_some_and(|latest| id <= *latest),
            SinkState::Memory(table) => table.contains_key(&id),
            SinkState::Replacing(_) | SinkState::Guarded(_) | SinkState::Appending(_) => false,
        }
    }

    /// Batch `id`'s rows reach the sink.
    pub(super) fn write(&mut self, id: u64, rows: Vec<Row>) {
        match self {
            SinkState::File(log) | SinkState::Memory(log) | SinkState::Guarded(log) => {
                log.entry(id).or_insert(rows);
            }
            SinkState::Replacing(table) => {
                table.insert(id, rows);
            }
            SinkState::Appending(all) => all.extend(rows),
        }
    }

    /// The user deletes `path` in the output directory. True when the model knows what
    /// follows: the file sink's whole `_spark_metadata` (it holds no batch), or its newest entry
    /// `_spark_metadata/N` when that is a plain file (batch N is no longer in the output; an entry
    /// that compacts the ones before it, `N.compact`, is another file). A path that is not there
    /// (any sink but the file sink has no `_spark_metadata`) is nothing to delete.
    pub(super) fn delete(&mut self, path: &str, intervals: &crate::check::Intervals) -> bool {
        let SinkState::File(log) = self else { return path.starts_with("_spark_metadata") };
        let latest = log.keys().next_back().copied();
        match path.split('/').collect::<Vec<_>>().as_slice() {
            ["_spark_metadata"] => log.clear(),
            ["_spark_metadata", id] => match id.parse::<u64>().ok() {
                Some(id) if (id + 1).is_multiple_of(intervals.at(id)) || !log.contains_key(&id) => {}
                Some(id) if Some(id) == latest => drop(log.remove(&id)),
                _ => return false,
            },
            _ => return false,
        }
        true
    }

    /// The user puts `path` of the output back as `before` held it: the file sink's whole
    /// `_spark_metadata`, or its entry `_spark_metadata/N` (a plain one). False for any other
    /// path of a file sink's output; another sink has no `_spark_metadata` to put back.
    pub(super) fn restore(&mut self, before: &SinkState, path: &str) -> bool {
        let (SinkState::File(log), SinkState::File(saved)) = (&mut *self, before) else {
            return path.starts_with("_spark_metadata");
        };
        match path.split('/').collect::<Vec<_>>().as_slice() {
            ["_spark_metadata"] => log.clone_from(saved),
            ["_spark_metadata", id] => match id.parse::<u64>().ok() {
                Some(id) => match saved.get(&id) {
                    Some(rows) => drop(log.insert(id, rows.clone())),
                    None => drop(log.remove(&id)),
                },
                None => return false,
            },
            _ => return false,
        }
        true
    }

    /// What a reader sees.
    pub(super) fn visible(&self) -> Vec<Row> {
        match self {
            SinkState::File(log) | SinkState::Memory(log) | SinkState::Replacing(log) | SinkState::Guarded(log) => {
                log.values().flatten().cloned().collect()
            }
            SinkState::Appending(all) => all.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deleting_source_log_files_follows_the_compacted_layout() {
        // Goal: a hand-deleted `sources/0/...` file removes exactly what a restart then no longer
        // reads. Method: batches 0..=4 compacting every 3 and keeping 100 (Spark keeps 0 and 1
        // beside 2.compact, which holds 0..=2; 3 and 4 are plain).
        let entry = |n: &str| vec![SourceEntry { name: n.into(), mtime_ms: 0 }];
        let fresh = || {
            let mut c = Checkpoint::default();
            (0..=4).for_each(|id| c.add_source_batch(id, entry(&id.to_string()), (3, 100)));
            c
        };
        let cases: &[(&str, &[&str])] = &[
            ("sources/0/3", &["0", "1", "2", "4"]),
            ("sources/0/1", &["0", "1", "2", "3", "4"]),
            ("sources/0/2.compact", &["0", "1", "3", "4"]),
            ("sources/0/.3.crc", &["0", "1", "2", "3", "4"]),
        ];
        for (path, left) in cases {
            let mut checkpoint = fresh();
            assert!(checkpoint.delete(path), "{path}");
            let seen: Vec<String> = checkpoint.sources.seen().into_iter().map(|e| e.name).collect();
            assert_eq!(seen, *left, "{path}");
        }
        assert!(!fresh().delete("sources/0/x/y"), "an unknown path is not modelled");
    }

    #[test]
    fn a_restore_puts_back_one_file_as_it_was_and_nothing_else() {
        // Goal: the model's restore brings back exactly the tampered file from the state before
        // the tampering (present, absent, readable again), leaving what runs did since; the
        // file sink's log comes back whole or by one entry. Method: a checkpoint with batches
        // 0..=2; delete or overwrite one file, change another, restore, compare.
        let offsets = |id| Offsets { timestamp_ms: id as i64, fingerprint: String::new(), log_offset: Some(id) };
        let mut before = Checkpoint::default();
        for id in 0..=2 {
            before.offsets.insert(id, offsets(id));
            before.commits.insert(id);
        }
        let mut now = before.clone();
        now.offsets.remove(&2);
        now.commits.insert(3);
        assert!(now.restore(&before, "offsets/2"));
        assert_eq!(now.offsets, before.offsets);
        assert!(now.commits.contains(&3), "a commit written since stays");
        now.unreadable.insert("commits/1".into(), Cause::Other("v2".into()));
        assert!(now.restore(&before, "commits/1"));
        assert!(now.unreadable.is_empty(), "readable again");
        let mut fresh = before.clone();
        fresh.commits.insert(7);
        assert!(fresh.restore(&before, "commits/7"), "a file the step wrote new goes");
        assert!(!fresh.commits.contains(&7));
        assert!(fresh.restore(&before, "commits/.2.crc"));
        assert!(fresh.restore(&before, "commits/x/y"), "a file in a log's directory: no batch file");
        assert!(!fresh.restore(&before, "state/0/y"), "an unknown path is not modelled");
        let rows = |n: u64| vec![vec![serde_json::Value::from(n)]];
        let log: BTreeMap<u64, Vec<Row>> = (0..=2).map(|id| (id, rows(id))).collect();
        let saved = SinkState::File(log.clone());
        let mut sink = SinkState::File(BTreeMap::new());
        assert!(sink.restore(&saved, "_spark_metadata"));
        assert_eq!(sink.visible().len(), 3);
        let mut sink = SinkState::File(log.into_iter().take(2).collect());
        assert!(sink.restore(&saved, "_spark_metadata/2"));
        assert_eq!(sink.held_latest(), Some(2));
    }

    #[test]
    fn metadata_overwritten_with_no_query_id_is_unreadable_and_restored_whole() {
        // Goal: the model's `metadata` after the user's overwrite: absent stays absent, bytes
        // that are no id's JSON are kept as unreadable, a valid id is not modelled, and a
        // restore puts the readable file back. Method: each overwrite on a small checkpoint.
        let mut checkpoint = Checkpoint::default();
        assert!(checkpoint.corrupt("metadata", "garbage"));
        assert_eq!(checkpoint.unreadable("metadata"), None, "no file: nothing written");
        checkpoint.metadata = true;
        let before = checkpoint.clone();
        for with in ["", "garbage", "{\"id\":\"0b38", "{\"id\":3}", "[]"] {
            let mut broken = before.clone();
            assert!(broken.corrupt("metadata", with), "{with:?}");
            let empty = with.is_empty();
            assert_eq!(broken.unreadable("metadata"), Some(&Cause::MetadataUnreadable { empty }));
            assert!(broken.restore(&before, "metadata"));
            assert_eq!(broken.unreadable("metadata"), None, "{with:?}: restored");
        }
        assert!(!before.clone().corrupt("metadata", "{\"id\":\"another\"}"), "another id: not modelled");
    }

    #[test]
    fn purge_keeps_the_last_batches() {
        let mut checkpoint = Checkpoint::default();
        for id in 0..5 {
            checkpoint
                .offsets
                .insert(id, Offsets { timestamp_ms: 0, fingerprint: String::new(), log_offset: Some(id) });
            checkpoint.commits.insert(id);
        }
        checkpoint.purge(4, 2);
        assert_eq!(checkpoint.offsets.keys().copied().collect::<Vec<_>>(), [2, 3, 4]);
        assert_eq!(checkpoint.commits.iter().copied().collect::<Vec<_>>(), [2, 3, 4]);
    }
}
