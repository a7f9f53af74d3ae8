//! The file source: lists a directory of JSON files, picks each batch's new files, and parses
//! them into records, with every bad line accounted for.
//!
//! It must never write: the engine records what it chose in the source log.

mod parse;

pub use parse::{BadRecord, MAX_LINE_BYTES, NullValue, ParsedFile, Record, parse_file};
pub(crate) use parse::{find_newline, without_bom};

pub use crate::checkpoint::OptionRefused;

use crate::checkpoint::SourceFileEntry;
use crate::schema::Schema;
use crate::storage::{DirEntry, EntryKind, Storage};
use crate::uri::uri_of;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// How input files are laid out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputFormat {
    /// One JSON object a line (Spark's default).
    #[default]
    JsonLines,
    /// The whole file is one JSON value (Spark's `multiLine`); an array gives one record each.
    WholeFile,
}

/// What to do with a malformed line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BadRecordMode {
    /// Route it to the dead-letter file and count it.
    #[default]
    Permissive,
    /// Stop with the file and line.
    Failfast,
}

/// What to do when a path that was already processed has new content.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModifiedFilePolicy {
    /// Ignore it as Spark does, with a warning in the report.
    #[default]
    Warn,
    /// Stop with an error.
    Error,
}

/// Options of the file source, with Spark's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SourceOptions {
    /// The input layout.
    #[serde(default)]
    pub format: InputFormat,
    /// `maxFilesPerTrigger`; no limit when absent. Must be 1 or more: any integer is taken
    /// here, and [`SourceOptions::validate`] refuses the others, as Spark's first trigger does.
    #[serde(default)]
    pub max_files_per_trigger: Option<i64>,
    /// Malformed lines.
    #[serde(default)]
    pub mode: BadRecordMode,
    /// New content at a seen path.
    #[serde(default)]
    pub on_modified: ModifiedFilePolicy,
    /// Spark's `maxFileAge`, in ms ([`MAX_FILE_AGE_MS`], 7 days, when absent): a new file older
    /// than this, counted back from the newest file already seen, is not read (and said so),
    /// and seen files that old are forgotten, so that the seen set stays within the window. A
    /// fresh checkpoint has seen nothing: it reads files of any age. Must be 0 or more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_file_age_ms: Option<i64>,
    /// The longest JSON Lines line read, in bytes ([`MAX_LINE_BYTES`], 16 MiB, when absent): a
    /// longer line is a bad record, kept in the dead letters, never an allocation spike. Spark
    /// has no such limit; a smaller one lets a small scenario reach the edge. Must be 1 or more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_line_bytes: Option<i64>,
    /// Spark's `spark.sql.files.maxPartitionBytes` (128 MiB when absent): the most bytes of
    /// input one task reads, and the size a JSON Lines file is cut at ([`crate::engine`]'s
    /// task layout). Must be 1 or more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_partition_bytes: Option<i64>,
    /// Spark's `spark.sql.files.openCostInBytes` (4 MiB when absent): what opening a file
    /// costs a task, in bytes, when files are packed into tasks. Must be 0 or more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_cost_in_bytes: Option<i64>,
    /// Spark's `spark.sql.files.minPartitionNum`: the number of tasks a batch's bytes are
    /// spread over at least; when absent, 2, the default parallelism of Spark's `local[2]`
    /// (never the engine's thread count: the layout must not depend on it). Must be 1 or more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_partition_num: Option<i64>,
    /// The schema records are read with, in Spark's DDL; the tutorial's by default.
    #[serde(default, skip_serializing_if = "Schema::is_tutorial")]
    pub schema: Schema,
}

/// Spark's default `maxFileAge`: 7 days.
pub const MAX_FILE_AGE_MS: u64 = 7 * 24 * 60 * 60 * 1000;

/// Spark's `maxCachedFiles` default: at most this many unread files are kept for later batches.
const MAX_CACHED_FILES: usize = 10_000;

/// True if a batch under `maxFilesPerTrigger` keeps the `left` new files it did not take for
/// the next batches: Spark discards them (and lists again) when they are fewer than
/// `discardCachedInputRatio` (0.2) of `maxFilesPerTrigger`.
fn keeps_unread(left: usize, max_files: usize) -> bool {
    left > 0 && left * 5 >= max_files
}

/// An option's rule: its names, the least value allowed, and the rule in words.
struct Rule {
    option: &'static str,
    key: &'static str,
    least: i64,
    words: &'static str,
}

const RULES: [Rule; 6] = [
    Rule {
        option: "maxFilesPerTrigger",
        key: "max-files-per-trigger",
        least: 1,
        words: "a positive integer (1 or more), as in Spark; no limit when it is not set",
    },
    Rule {
        option: "maxFileAge",
        key: "max-file-age-ms",
        least: 0,
        words: "0 or more ms, as in Spark; leave it out for Spark's default of 7 days",
    },
    Rule {
        option: "maxLineBytes",
        key: "max-line-bytes",
        least: 1,
        words: "1 or more bytes; leave it out for 16777216 (16 MiB)",
    },
    Rule {
        option: "spark.sql.files.maxPartitionBytes",
        key: "max-partition-bytes",
        least: 1,
        words: "1 or more bytes; leave it out for Spark's default of 134217728 (128 MiB)",
    },
    // Spark takes 0 (opening a file costs nothing) and runs (FINDINGS Q24a); a negative cost it
    // takes too, and can lose every row with, so crashpoint refuses it.
    Rule {
        option: "spark.sql.files.openCostInBytes",
        key: "open-cost-in-bytes",
        least: 0,
        words: "0 or more bytes; leave it out for Spark's default of 4194304 (4 MiB)",
    },
    Rule {
        option: "spark.sql.files.minPartitionNum",
        key: "min-partition-num",
        least: 1,
        words: "1 or more tasks; leave it out for 2, the default parallelism of Spark's local[2]",
    },
];

/// Spark's default `spark.sql.files.maxPartitionBytes`: 128 MiB.
pub const MAX_PARTITION_BYTES: u64 = 128 * 1024 * 1024;

/// Spark's default `spark.sql.files.openCostInBytes`: 4 MiB.
pub const OPEN_COST_IN_BYTES: u64 = 4 * 1024 * 1024;

/// The parallelism a batch's bytes are divided by when `min-partition-num` is not set: Spark's
/// `defaultParallelism` on `local[2]`, the master the Spark target runs.
pub const MIN_PARTITION_NUM: u64 = 2;

impl SourceOptions {
    // The accessors below read options [`Self::validate`] has taken: the engine refuses a
    // query before its first batch otherwise, so no refused value reaches a batch.

    /// `maxFileAge` in ms, Spark's default when not set.
    pub fn max_file_age_ms(&self) -> i64 {
        self.max_file_age_ms.unwrap_or(MAX_FILE_AGE_MS as i64)
    }

    /// The line limit in bytes, [`MAX_LINE_BYTES`] when not set.
    pub fn max_line_bytes(&self) -> usize {
        self.max_line_bytes.map_or(MAX_LINE_BYTES, |n| usize::try_from(n).unwrap_or(0))
    }

    /// The task layout's knobs: (`maxPartitionBytes`, `openCostInBytes`, `minPartitionNum`),
    /// Spark's defaults where not set.
    pub fn task_knobs(&self) -> (u64, u64, u64) {
        let get = |value: Option<i64>, default: u64| value.map_or(default, |n| u64::try_from(n).unwrap_or(0));
        (
            get(self.max_partition_bytes, MAX_PARTITION_BYTES).max(1),
            get(self.open_cost_in_bytes, OPEN_COST_IN_BYTES),
            get(self.min_partition_num, MIN_PARTITION_NUM).max(1),
        )
    }

    /// `maxFilesPerTrigger` as a count, `None` for no limit.
    pub fn max_files(&self) -> Option<usize> {
        self.max_files_per_trigger.map(|n| usize::try_from(n).unwrap_or(0))
    }

    /// Checks each option against its rule, as Spark does at the first trigger: the first one
    /// refused, with its name, value and rule.
    pub fn validate(&self) -> Result<(), OptionRefused> {
        let values = [
            self.max_files_per_trigger,
            self.max_file_age_ms,
            self.max_line_bytes,
            self.max_partition_bytes,
            self.open_cost_in_bytes,
            self.min_partition_num,
        ];
        for (rule, value) in RULES.iter().zip(values) {
            if let Some(value) = value.filter(|v| *v < rule.least) {
                return Err(OptionRefused { option: rule.option, key: rule.key, value, rule: rule.words });
            }
        }
        Ok(())
    }
}

/// Something the source noticed that the user should hear about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceNotice {
    /// A seen path has a new modification time: its new content is not read.
    ModifiedAfterProcessing {
        /// The URI.
        path: String,
        /// The batch that took it.
        batch_id: u64,
    },
    /// A file that Spark 4.3 itself reads wrong; crashpoint reads it once, as it should.
    SparkMisreads {
        /// The URI.
        path: String,
        /// What Spark does with it.
        why: SparkMisread,
    },
    /// A new file older than the age window (Spark's `maxFileAge`): never read.
    TooOld {
        /// The URI.
        path: String,
        /// Its modification time, ms.
        mtime_ms: i64,
        /// The newest modification time among the files seen, ms.
        newest_ms: i64,
        /// The window, ms.
        max_age_ms: i64,
    },
    /// An entry of the input directory that is never read: not a regular file.
    NotRead {
        /// The URI.
        path: String,
        /// Why, in words.
        why: String,
    },
}

impl SourceNotice {
    /// The URI of the file or entry it is about.
    pub fn path(&self) -> &str {
        match self {
            SourceNotice::ModifiedAfterProcessing { path, .. }
            | SourceNotice::SparkMisreads { path, .. }
            | SourceNotice::TooOld { path, .. }
            | SourceNotice::NotRead { path, .. } => path,
        }
    }
}

impl std::fmt::Display for SourceNotice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceNotice::ModifiedAfterProcessing { path, batch_id } => write!(
                f,
                "{path} was written again after batch {batch_id} took it; any new content is ignored, as in \
                 Spark, until maxFileAge forgets the file (then it is read again whole; write new data under a \
                 new file name)"
            ),
            SourceNotice::NotRead { path, why } => write!(f, "{path} is not read: {why}"),
            SourceNotice::TooOld { path, mtime_ms, newest_ms, max_age_ms } => write!(
                f,
                "{path} is not read: its modification time ({mtime_ms} ms) is {} ms before the newest file already \
                 seen ({newest_ms} ms), more than maxFileAge ({max_age_ms} ms; Spark's default is 7 days), and Spark \
                 skips such a file without a word; give it a new modification time (touch it) to have it read, or \
                 raise max-file-age-ms",
                newest_ms - mtime_ms
            ),
            SourceNotice::SparkMisreads { path, why } => {
                write!(f, "{path}: {why} (spark/FINDINGS.md, Q2); crashpoint reads it once")
            }
        }
    }
}

/// What Spark 4.3 does wrong with a file because of its name (spark/FINDINGS.md, Q2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SparkMisread {
    /// A glob character in the name: Spark takes it as a pattern and, in a batch with other
    /// files, reads each of them again.
    Glob,
    /// A colon in the name: Spark fails every run of its batch on its `.crc` name.
    Colon,
}

impl std::fmt::Display for SparkMisread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SparkMisread::Glob => {
                "Spark 4.3 takes this name as a glob pattern and, in a batch with other files, reads each of them \
                 again, committing the duplicates"
            }
            SparkMisread::Colon => {
                "Spark 4.3 fails every run of the batch that holds this name (URISyntaxException on its .crc name)"
            }
        })
    }
}

/// What Spark 4.3 does wrong with a file of this name, if anything: it reads a batch's files
/// by path as glob patterns, and it cannot open a `.crc` name with a colon.
fn spark_misreads(name: &str) -> Option<SparkMisread> {
    if name.contains(['*', '?', '[', ']', '{', '}']) {
        Some(SparkMisread::Glob)
    } else if name.contains(':') {
        Some(SparkMisread::Colon)
    } else {
        None
    }
}

/// A URI's hash, the same on every run (SipHash with fixed keys).
fn uri_hash(uri: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    uri.hash(&mut hasher);
    hasher.finish()
}

/// Names Spark's file source skips without a word: hidden files, `_`-files (such as
/// `_spark_metadata`) and files still being copied by `hadoop fs -put`. An `_`-name with a `=`
/// in it is read, as Spark 4.3 reads it (Hadoop's rule keeps `_k=v` for partitions); Spark also
/// lists `_metadata…` and `_common_metadata…` names (Parquet's) into the source log but reads no
/// row from them, so crashpoint skips those (scenarios/reach/skipped_metadata_names.toml).
fn hidden(name: &str) -> bool {
    let underscore = name.starts_with('_') && !name.contains('=');
    underscore || name.starts_with('.') || name.ends_with("._COPYING_")
}

/// Why an entry that is not a regular file is never read. The rule: only regular files, or
/// symlinks to them (read under the link's path, as Spark does), are input; nothing else is
/// ever opened, so that a FIFO cannot block a run and a dangling link cannot wedge a batch.
fn why_not_read(entry: &DirEntry) -> String {
    match &entry.kind {
        EntryKind::Dir if entry.symlink => {
            "it is a symlink to a directory, and files in subdirectories are not read (Spark skips it silently)".into()
        }
        EntryKind::Dir if entry.name.contains('=') => format!(
            "it looks like a partition directory; Spark would read its files with a partition column {}, \
             crashpoint reads no subdirectory",
            entry.name.split('=').next().unwrap_or_default()
        ),
        EntryKind::Dir => {
            "it is a subdirectory, and files in subdirectories are not read, as in Spark (which says nothing)".into()
        }
        EntryKind::Other(what) => {
            format!("it is {what}; only regular files and symlinks to them are input, nothing else is opened")
        }
        EntryKind::File => "it is a regular file".into(),
    }
}

/// The file source's view of the input directory.
#[derive(Debug, Clone)]
pub struct FileSource {
    input_dir: PathBuf,
    options: SourceOptions,
    /// The files seen within the age window: URI → (modification time, batch that took it).
    seen: BTreeMap<String, (i64, u64)>,
    /// The newest and the oldest modification time in `seen`.
    newest_seen_ms: Option<i64>,
    oldest_seen_ms: Option<i64>,
    noticed: BTreeSet<String>,
    /// Hashes of the seen files forgotten as older than the window: they were read, so that
    /// finding one in the input again is not worth a warning. 8 bytes a file, not a path.
    forgotten: BTreeSet<u64>,
    /// Every file an `available-now` run listed at its start, by (modification time, URI)
    /// (Spark's `allFilesForTriggerAvailableNow`), with what it noticed then; `None`: list
    /// before each batch.
    fixed: Option<Fixed>,
    /// Spark's `unreadFiles`: the new files of a listing that a batch under
    /// `maxFilesPerTrigger` left, taken by the next batches without listing again (and without
    /// judging them again) until none is left. Only when the listing is not fixed; in memory
    /// only, so a restart lists again.
    unread: Vec<(i64, String)>,
}

/// An `available-now` run's listing, taken once: every file, new or seen, so that each batch
/// judges it against the seen files and the age window as they stand then (a seen file the
/// window forgets during the run is new again if its listed time is inside the window).
#[derive(Debug, Clone, Default)]
struct Fixed {
    listing: Vec<(i64, String)>,
    notices: Vec<SourceNotice>,
}

impl FileSource {
    /// A source over `input_dir`.
    pub fn new(input_dir: &Path, options: SourceOptions) -> Self {
        let (seen, noticed) = (BTreeMap::new(), BTreeSet::new());
        let (newest_seen_ms, oldest_seen_ms) = (None, None);
        let (forgotten, fixed, unread) = (BTreeSet::new(), None, Vec::new());
        Self {
            input_dir: input_dir.to_path_buf(),
            options,
            seen,
            newest_seen_ms,
            oldest_seen_ms,
            noticed,
            forgotten,
            fixed,
            unread,
        }
    }

    /// Lists the input directory once and picks every later batch from that listing only, as
    /// Spark's `prepareForTriggerAvailableNow`: a file that arrives after this waits for the
    /// next run.
    pub fn fix_listing(&mut self, storage: &dyn Storage) -> std::io::Result<()> {
        let entries = self.list(storage)?;
        let (listing, notices) = self.files_of(&entries);
        self.fixed = Some(Fixed { listing, notices });
        self.unread.clear();
        Ok(())
    }

    /// Lists the input directory before each batch again.
    pub fn unfix_listing(&mut self) {
        self.fixed = None;
        self.unread.clear();
    }

    fn list(&self, storage: &dyn Storage) -> std::io::Result<Vec<DirEntry>> {
        match storage.list(&self.input_dir) {
            Ok(entries) => Ok(entries),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// The options.
    pub fn options(&self) -> &SourceOptions {
        &self.options
    }

    /// The newest modification time among the files seen, for the new-files seam.
    #[cfg(feature = "seeded-bugs")]
    pub(crate) fn newest_seen_ms(&self) -> Option<i64> {
        self.newest_seen_ms
    }

    /// The start of the age window: a file older than this is not new (Spark's
    /// `SeenFilesMap.lastPurgeTimestamp`). None until a file is seen.
    fn window_start_ms(&self) -> Option<i64> {
        self.newest_seen_ms.map(|newest| newest.saturating_sub(self.options.max_file_age_ms()))
    }

    /// Marks files as seen (from the source log, or a batch just committed), then forgets the
    /// seen files older than the window, as Spark's `purge`: a file that old is not new anyway.
    pub fn mark_seen(&mut self, entries: &[SourceFileEntry]) {
        for entry in entries {
            // Any spelling of the URI (Spark's, or crashpoint's before it quoted as Spark does)
            // names the same file as the listing's URI.
            self.seen.insert(crate::uri::canonical(&entry.path), (entry.timestamp, entry.batch_id));
            self.newest_seen_ms = self.newest_seen_ms.max(Some(entry.timestamp));
            self.oldest_seen_ms = Some(self.oldest_seen_ms.map_or(entry.timestamp, |o| o.min(entry.timestamp)));
        }
        if let (Some(start), Some(oldest)) = (self.window_start_ms(), self.oldest_seen_ms)
            && oldest < start
        {
            let forgotten = &mut self.forgotten;
            self.seen.retain(|uri, (timestamp, _)| {
                let keep = *timestamp >= start;
                if !keep {
                    forgotten.insert(uri_hash(uri));
                }
                keep
            });
            self.oldest_seen_ms = self.seen.values().map(|(timestamp, _)| *timestamp).min();
        }
    }

    /// How many files the source remembers as seen: those within the age window.
    pub fn seen_count(&self) -> usize {
        self.seen.len()
    }

    /// Picks the files of the next batch, at most `max_files` of them (the trigger decides:
    /// `maxFilesPerTrigger`, or no limit): the listing's new files (the fixed listing, or the
    /// input directory listed now) by (modification time, path), leaving out seen files and
    /// files older than the age window as they stand now. Returns notices too.
    ///
    /// An available-now batch judges the whole fixed listing again: Spark 4.3 does so under
    /// `maxFilesPerTrigger` too (scenarios/reach/max_file_age_left_files.toml, measured), so
    /// that a file the window forgets and makes new again is taken in its place by time. A
    /// batch that lists under `maxFilesPerTrigger` keeps the new files it leaves for the next
    /// batches instead, as Spark's `unreadFiles` (scenarios/reach/max_file_age_processing_time.toml,
    /// measured): those take them without listing or judging them again.
    pub fn next_files(
        &mut self,
        storage: &dyn Storage,
        batch_id: u64,
        max_files: Option<usize>,
    ) -> std::io::Result<(Vec<SourceFileEntry>, Vec<SourceNotice>)> {
        let mut notices = self.fixed.as_mut().map(|fixed| std::mem::take(&mut fixed.notices)).unwrap_or_default();
        let mut new = match std::mem::take(&mut self.unread) {
            unread if !unread.is_empty() => unread,
            _ => self.new_in_listing(storage, &mut notices)?,
        };
        if let Some(max_files) = max_files {
            let left = new.split_off(max_files.min(new.len()));
            if self.fixed.is_none() && keeps_unread(left.len(), max_files) {
                self.unread = left;
                self.unread.truncate(MAX_CACHED_FILES);
            }
        }
        let mut files = Vec::with_capacity(new.len());
        for (timestamp, path) in new {
            if let Some(why) = spark_misreads(&crate::uri::file_name_of(&path)) {
                notices.push(SourceNotice::SparkMisreads { path: path.clone(), why });
            }
            files.push(SourceFileEntry { path, timestamp, batch_id });
        }
        Ok((files, notices))
    }

    /// The listing's new files, in its order: not seen, and not older than the age window (a
    /// file left out so, never read before, is noticed once).
    fn new_in_listing(
        &mut self,
        storage: &dyn Storage,
        notices: &mut Vec<SourceNotice>,
    ) -> std::io::Result<Vec<(i64, String)>> {
        let listing = match self.fixed.as_mut() {
            Some(fixed) => std::mem::take(&mut fixed.listing),
            None => {
                let (listing, listed_notices) = self.files_of(&self.list(storage)?);
                notices.extend(listed_notices);
                listing
            }
        };
        let window_start = self.window_start_ms();
        let mut new = Vec::new();
        for (timestamp, path) in &listing {
            if self.seen.contains_key(path) {
                continue;
            }
            if let (Some(start), Some(newest_ms)) = (window_start, self.newest_seen_ms)
                && *timestamp < start
            {
                if !self.forgotten.contains(&uri_hash(path)) && self.noticed.insert(path.clone()) {
                    let max_age_ms = self.options.max_file_age_ms();
                    notices.push(SourceNotice::TooOld {
                        path: path.clone(),
                        mtime_ms: *timestamp,
                        newest_ms,
                        max_age_ms,
                    });
                }
                continue;
            }
            new.push((*timestamp, path.clone()));
        }
        if let Some(fixed) = self.fixed.as_mut() {
            fixed.listing = listing;
        }
        Ok(new)
    }

    /// The listing's regular files by (modification time, URI), and what it noticed: entries
    /// that are never read, seen paths written again.
    fn files_of(&mut self, entries: &[DirEntry]) -> (Vec<(i64, String)>, Vec<SourceNotice>) {
        let mut files = Vec::new();
        let mut notices = Vec::new();
        for entry in entries.iter().filter(|e| !hidden(&e.name)) {
            let uri = uri_of(&entry.path);
            if !entry.is_file() {
                if self.noticed.insert(uri.clone()) {
                    notices.push(SourceNotice::NotRead { path: uri, why: why_not_read(entry) });
                }
                continue;
            }
            if let Some(&(timestamp, seen_in)) = self.seen.get(&uri)
                && timestamp != entry.mtime_ms
                && self.noticed.insert(uri.clone())
            {
                notices.push(SourceNotice::ModifiedAfterProcessing { path: uri.clone(), batch_id: seen_in });
            }
            files.push((entry.mtime_ms, uri));
        }
        files.sort();
        (files, notices)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_option_rule_refuses_below_its_least_value_naming_option_value_and_rule() {
        // Goal: Spark's rules (maxFilesPerTrigger 1 or more, maxFileAge 0 or more) and the line
        // limit's, at their edges; a refusal says which option, which value, and what is
        // allowed. Method: each option alone at its least value, one below, and far below.
        let with = |i: usize, v: i64| {
            let mut o = SourceOptions::default();
            *[
                &mut o.max_files_per_trigger,
                &mut o.max_file_age_ms,
                &mut o.max_line_bytes,
                &mut o.max_partition_bytes,
                &mut o.open_cost_in_bytes,
                &mut o.min_partition_num,
            ][i] = Some(v);
            o
        };
        assert_eq!(SourceOptions::default().validate(), Ok(()));
        let cases = [
            ("maxFilesPerTrigger", 1, "1 or more"),
            ("maxFileAge", 0, "0 or more ms"),
            ("maxLineBytes", 1, "1 or more bytes"),
            ("spark.sql.files.maxPartitionBytes", 1, "1 or more bytes"),
            ("spark.sql.files.openCostInBytes", 0, "0 or more bytes"),
            ("spark.sql.files.minPartitionNum", 1, "1 or more tasks"),
        ];
        for (i, (option, least, words)) in cases.into_iter().enumerate() {
            assert_eq!(with(i, least).validate(), Ok(()), "{option} {least}");
            for value in [least - 1, -1_000] {
                let refused = with(i, value).validate().expect_err(option);
                assert_eq!((refused.option, refused.value), (option, value));
                let said = refused.to_string();
                assert!(said.contains(&format!("invalid value '{value}' for option '{option}'")), "{said}");
                assert!(said.contains(words), "{said}");
            }
        }
    }
    use crate::storage::SimStorage;

    const DAY_MS: i64 = 24 * 60 * 60 * 1000;

    fn add(storage: &SimStorage, name: &str, mtime_ms: i64) {
        let path = Path::new("/in").join(name);
        storage.write(&path, b"{}\n").unwrap();
        storage.set_mtime(&path, mtime_ms).unwrap();
    }

    /// Runs one batch of at most `max` files, marks them seen; the names taken and the notices.
    fn batch(source: &mut FileSource, storage: &SimStorage, id: u64, max: usize) -> (Vec<String>, Vec<String>) {
        let (files, notices) = source.next_files(storage, id, Some(max)).unwrap();
        source.mark_seen(&files);
        let names = files.iter().map(|f| crate::uri::file_name_of(&f.path)).collect();
        (names, notices.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn names_spark_skips_are_never_listed() {
        // Goal: the names Spark 4.3's file source skips, as measured (spark/FINDINGS.md, Q7;
        // scenarios/reach/skipped_names.toml): hidden, `_`-names without `=`, unfinished copies.
        let cases: &[(&str, bool)] = &[
            ("f.json", false),
            (".f.json", true),
            ("_f.json", true),
            ("_spark_metadata", true),
            ("_metadata.json", true),
            ("_k=v.json", false),
            ("f.json._COPYING_", true),
            ("f._COPYING_.json", false),
            ("f.json.tmp", false),
            ("f_g.json", false),
        ];
        for (name, want) in cases {
            assert_eq!(hidden(name), *want, "{name}");
        }
    }

    #[test]
    fn a_file_older_than_max_file_age_is_ignored_and_said_so_and_the_edge_is_read() {
        // Goal: Spark's maxFileAge, edge included. Method: a fresh source reads a file 30 days
        // older than the next one (nothing seen yet: any age is read); once a file at day 30 is
        // seen, a file exactly 7 days older is still read, one a millisecond older is not, with a
        // notice that names it, once, and the seen set forgets files older than the window.
        let storage = SimStorage::new(0);
        storage.create_dir_all(Path::new("/in")).unwrap();
        add(&storage, "a_day_0.json", 0);
        add(&storage, "b_day_30.json", 30 * DAY_MS);
        let mut source = FileSource::new(Path::new("/in"), SourceOptions::default());
        assert_eq!(batch(&mut source, &storage, 0, 1), (vec!["a_day_0.json".into()], vec![]));
        assert_eq!(batch(&mut source, &storage, 1, 1), (vec!["b_day_30.json".into()], vec![]));
        assert_eq!(source.seen_count(), 1, "day 0 is out of the window once day 30 is seen");
        add(&storage, "c_too_old.json", 23 * DAY_MS - 1);
        add(&storage, "d_edge.json", 23 * DAY_MS);
        let (taken, notices) = batch(&mut source, &storage, 2, 10);
        assert_eq!(taken, vec!["d_edge.json".to_string()]);
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert!(notices[0].contains("c_too_old.json is not read") && notices[0].contains("maxFileAge"), "{notices:?}");
        assert_eq!(batch(&mut source, &storage, 3, 10), (vec![], vec![]), "said once, never read");
    }

    #[test]
    fn max_file_age_is_an_option_and_available_now_applies_it_per_batch() {
        // Goal: the window is the option's, and an available-now run's fixed listing obeys it as
        // its batches advance the newest file seen. Method: a window of 10 ms; files at 0, 5 and
        // 100 ms (listed at once, one file a batch), and a file at 50 ms: after the file at 100
        // is seen, 50 is more than 10 ms older and is ignored.
        let storage = SimStorage::new(0);
        storage.create_dir_all(Path::new("/in")).unwrap();
        for (name, mtime) in [("f0.json", 0), ("f5.json", 5), ("f100.json", 100)] {
            add(&storage, name, mtime);
        }
        let options = SourceOptions { max_file_age_ms: Some(10), ..SourceOptions::default() };
        let mut source = FileSource::new(Path::new("/in"), options);
        source.fix_listing(&storage).unwrap();
        add(&storage, "f50.json", 50);
        let taken: Vec<Vec<String>> = (0..4).map(|id| batch(&mut source, &storage, id, 1).0).collect();
        assert_eq!(taken, [vec!["f0.json"], vec!["f5.json"], vec!["f100.json"], vec![]], "the fixed listing, in order");
        source.unfix_listing();
        let (taken, notices) = batch(&mut source, &storage, 4, 10);
        assert!(taken.is_empty() && notices.len() == 1 && notices[0].contains("f50.json"), "{notices:?}");
    }

    #[test]
    fn an_available_now_run_reads_again_a_file_the_window_forgets_during_the_run() {
        // Goal: Spark's available-now listing holds every file, and each batch judges it against
        // the window as it stands (scenarios/reach/max_file_age_same_run.toml, measured on Spark
        // 4.3). Method: a 2 s window; a.json at 1 s is read, then touched to 5 s, and b, c, d
        // arrive at 2, 3, 4 s. One listing: batch 1 takes b, c, d; d forgets a.json's entry
        // (1 s < 4 s - 2 s), and a.json's listed 5 s is inside the window: batch 2 reads it.
        let storage = SimStorage::new(0);
        storage.create_dir_all(Path::new("/in")).unwrap();
        add(&storage, "a.json", 1_000);
        let options = SourceOptions { max_file_age_ms: Some(2_000), ..SourceOptions::default() };
        let mut source = FileSource::new(Path::new("/in"), options);
        assert_eq!(batch(&mut source, &storage, 0, 10).0, vec!["a.json"]);
        for (name, mtime) in [("b.json", 2_000), ("c.json", 3_000), ("d.json", 4_000)] {
            add(&storage, name, mtime);
        }
        storage.set_mtime(Path::new("/in/a.json"), 5_000).unwrap();
        source.fix_listing(&storage).unwrap();
        let taken: Vec<Vec<String>> = (1..4).map(|id| batch(&mut source, &storage, id, usize::MAX).0).collect();
        assert_eq!(taken, [vec!["b.json", "c.json", "d.json"], vec!["a.json"], vec![]]);
    }

    #[test]
    fn each_batch_judges_the_whole_listing_again_under_max_files() {
        // Goal: under maxFilesPerTrigger too, each batch of an available-now run judges the whole
        // listing against the window as it stands, as Spark 4.3 does (measured:
        // scenarios/reach/max_file_age_left_files.toml), never a queue fixed at the start.
        // Method: a 2 s window, one file a batch; a.json (read at 1 s) touched to 2.5 s; b, c, d,
        // e at 2-5 s. d forgets a.json's entry; the next batch takes a.json (2.5 s, inside d's
        // window from 2 s) before e.
        let storage = SimStorage::new(0);
        storage.create_dir_all(Path::new("/in")).unwrap();
        add(&storage, "a.json", 1_000);
        let options = SourceOptions { max_file_age_ms: Some(2_000), ..SourceOptions::default() };
        let mut source = FileSource::new(Path::new("/in"), options);
        assert_eq!(batch(&mut source, &storage, 0, 1).0, vec!["a.json"]);
        for (name, mtime) in [("b.json", 2_000), ("c.json", 3_000), ("d.json", 4_000), ("e.json", 5_000)] {
            add(&storage, name, mtime);
        }
        storage.set_mtime(Path::new("/in/a.json"), 2_500).unwrap();
        source.fix_listing(&storage).unwrap();
        let taken: Vec<String> = (1..7).flat_map(|id| batch(&mut source, &storage, id, 1).0).collect();
        assert_eq!(taken, ["b.json", "c.json", "d.json", "a.json", "e.json"]);
    }

    #[test]
    fn a_listing_batch_under_max_files_keeps_what_it_leaves_for_the_next_batches() {
        // Goal: without a fixed listing (processing-time), a batch under maxFilesPerTrigger
        // keeps the new files it leaves, and the next batches take them without listing or
        // judging them again, as Spark's unreadFiles (measured on Spark 4.3:
        // scenarios/reach/max_file_age_processing_time.toml). Method: the same files as the
        // available-now test above, listed before each batch: a.json is never read again, and a
        // file that arrives while files are kept waits until they are taken.
        let storage = SimStorage::new(0);
        storage.create_dir_all(Path::new("/in")).unwrap();
        add(&storage, "a.json", 1_000);
        let options = SourceOptions { max_file_age_ms: Some(2_000), ..SourceOptions::default() };
        let mut source = FileSource::new(Path::new("/in"), options);
        source.unfix_listing();
        assert_eq!(batch(&mut source, &storage, 0, 1).0, vec!["a.json"]);
        for (name, mtime) in [("b.json", 2_000), ("c.json", 3_000), ("d.json", 4_000), ("e.json", 5_000)] {
            add(&storage, name, mtime);
        }
        storage.set_mtime(Path::new("/in/a.json"), 2_500).unwrap();
        let mut taken: Vec<String> = (1..3).flat_map(|id| batch(&mut source, &storage, id, 1).0).collect();
        add(&storage, "f.json", 4_500);
        taken.extend((3..8).flat_map(|id| batch(&mut source, &storage, id, 1).0));
        assert_eq!(taken, ["b.json", "c.json", "d.json", "e.json", "f.json"]);
    }

    #[test]
    fn too_few_files_left_are_dropped_and_listed_again() {
        // Goal: Spark's discardCachedInputRatio (0.2): fewer files left than a fifth of
        // maxFilesPerTrigger are not kept. Method: the rule's edges.
        assert!(!keeps_unread(0, 1) && keeps_unread(1, 1) && keeps_unread(1, 5));
        assert!(!keeps_unread(1, 6) && keeps_unread(2, 10) && !keeps_unread(1, 10));
    }
}
