//! The file source: lists a directory of JSON files, picks each batch's new files, and parses
//! them into records, with every bad line accounted for.
//!
//! It must never write: the engine records what it chose in the source log.

mod parse;

pub use parse::{BadRecord, MAX_LINE_BYTES, ParsedFile, Record, parse_file};
pub(crate) use parse::{find_newline, without_bom};

use crate::checkpoint::SourceFileEntry;
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
    /// `maxFilesPerTrigger`; no limit when absent. Must be 1 or more.
    #[serde(default, deserialize_with = "positive_max_files")]
    pub max_files_per_trigger: Option<usize>,
    /// Malformed lines.
    #[serde(default)]
    pub mode: BadRecordMode,
    /// New content at a seen path.
    #[serde(default)]
    pub on_modified: ModifiedFilePolicy,
}

/// Spark's rule for `maxFilesPerTrigger`, in its words.
pub const MAX_FILES_RULE: &str = "maxFilesPerTrigger must be a positive integer (1 or more), as in Spark; leave \
                                  it out for no limit";

impl SourceOptions {
    /// Checks the options as Spark does at the first trigger.
    pub fn validate(&self) -> Result<(), String> {
        match self.max_files_per_trigger {
            Some(0) => Err(format!("maxFilesPerTrigger is 0: {MAX_FILES_RULE}")),
            _ => Ok(()),
        }
    }
}

/// Reads `max-files-per-trigger` as any integer, so that 0 and -1 get the rule, not a type error.
fn positive_max_files<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<usize>, D::Error> {
    let value = Option::<i64>::deserialize(deserializer)?;
    match value {
        None => Ok(None),
        Some(n) if n >= 1 => usize::try_from(n).map(Some).map_err(serde::de::Error::custom),
        Some(n) => Err(serde::de::Error::custom(format!("max-files-per-trigger is {n}: {MAX_FILES_RULE}"))),
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
        why: &'static str,
    },
    /// An entry of the input directory that is never read: not a regular file.
    NotRead {
        /// The URI.
        path: String,
        /// Why, in words.
        why: String,
    },
}

impl std::fmt::Display for SourceNotice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceNotice::ModifiedAfterProcessing { path, batch_id } => write!(
                f,
                "{path} was written again after batch {batch_id} took it; any new content is ignored, as in \
                 Spark (write new data under a new file name)"
            ),
            SourceNotice::NotRead { path, why } => write!(f, "{path} is not read: {why}"),
            SourceNotice::SparkMisreads { path, why } => {
                write!(f, "{path}: {why} (spark/FINDINGS.md, Q2); crashpoint reads it once")
            }
        }
    }
}

/// What Spark 4.3 does wrong with a file of this name, if anything: it reads a batch's files
/// by path as glob patterns, and it cannot open a `.crc` name with a colon.
fn spark_misreads(name: &str) -> Option<&'static str> {
    if name.contains(['*', '?', '[', ']', '{', '}']) {
        Some(
            "Spark 4.3 takes this name as a glob pattern and, in a batch with other files, reads each of them \
             again, committing the duplicates",
        )
    } else if name.contains(':') {
        Some("Spark 4.3 fails every run of the batch that holds this name (URISyntaxException on its .crc name)")
    } else {
        None
    }
}

/// Names Spark's file source skips without a word: hidden files, `_`-files (such as
/// `_spark_metadata`) and files still being copied by `hadoop fs -put`.
fn hidden(name: &str) -> bool {
    name.starts_with(['.', '_']) || name.ends_with("._COPYING_")
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
    seen: BTreeMap<String, (i64, u64)>,
    noticed: BTreeSet<String>,
    /// The listing an `available-now` run fixed at its start; `None`: list before each batch.
    fixed: Option<Vec<DirEntry>>,
}

impl FileSource {
    /// A source over `input_dir`.
    pub fn new(input_dir: &Path, options: SourceOptions) -> Self {
        let (seen, noticed) = (BTreeMap::new(), BTreeSet::new());
        Self { input_dir: input_dir.to_path_buf(), options, seen, noticed, fixed: None }
    }

    /// Lists the input directory once and picks every later batch from that listing only, as
    /// Spark's `prepareForTriggerAvailableNow`: a file that arrives after this waits for the
    /// next run.
    pub fn fix_listing(&mut self, storage: &dyn Storage) -> std::io::Result<()> {
        self.fixed = Some(self.list(storage)?);
        Ok(())
    }

    /// Lists the input directory before each batch again.
    pub fn unfix_listing(&mut self) {
        self.fixed = None;
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
        self.seen.values().map(|(timestamp, _)| *timestamp).max()
    }

    /// Marks files as seen, from the source log.
    pub fn mark_seen(&mut self, entries: &[SourceFileEntry]) {
        for entry in entries {
            // Any spelling of the URI (Spark's, or crashpoint's before it quoted as Spark does)
            // names the same file as the listing's URI.
            self.seen.insert(crate::uri::canonical(&entry.path), (entry.timestamp, entry.batch_id));
        }
    }

    /// Lists the input directory (or takes the fixed listing) and picks the unseen files of the
    /// next batch, ordered by (modification time, path), at most `max_files` of them (the
    /// trigger decides: `maxFilesPerTrigger`, or no limit). Returns notices too.
    pub fn next_files(
        &mut self,
        storage: &dyn Storage,
        batch_id: u64,
        max_files: Option<usize>,
    ) -> std::io::Result<(Vec<SourceFileEntry>, Vec<SourceNotice>)> {
        let mut candidates = Vec::new();
        let mut notices = Vec::new();
        let entries = match &self.fixed {
            Some(fixed) => fixed.clone(),
            None => self.list(storage)?,
        };
        for entry in entries.iter().filter(|e| !hidden(&e.name)) {
            let uri = uri_of(&entry.path);
            if !entry.is_file() {
                if self.noticed.insert(uri.clone()) {
                    notices.push(SourceNotice::NotRead { path: uri, why: why_not_read(entry) });
                }
                continue;
            }
            match self.seen.get(&uri) {
                Some(&(timestamp, seen_in)) if timestamp != entry.mtime_ms => {
                    if self.noticed.insert(uri.clone()) {
                        notices.push(SourceNotice::ModifiedAfterProcessing { path: uri, batch_id: seen_in });
                    }
                }
                Some(_) => {}
                None => candidates.push((entry.mtime_ms, uri)),
            }
        }
        candidates.sort();
        candidates.truncate(max_files.unwrap_or(usize::MAX));
        for (_, uri) in &candidates {
            if let Some(why) = spark_misreads(&crate::uri::file_name_of(uri)) {
                notices.push(SourceNotice::SparkMisreads { path: uri.clone(), why });
            }
        }
        let files =
            candidates.into_iter().map(|(timestamp, path)| SourceFileEntry { path, timestamp, batch_id }).collect();
        Ok((files, notices))
    }
}
