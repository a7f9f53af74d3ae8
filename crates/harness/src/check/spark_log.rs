//! The oracle's own reader of Spark's logs on disk: the offsets log, the source log
//! (`sources/0/`) and the file sink's `_spark_metadata`, read by Spark's rules
//! (`HDFSMetadataLog`, `CompactibleFileStreamLog`) in code that shares nothing with the engine's
//! reader. The checks judge what the engine wrote through it, so a bug that the engine's reader
//! shares with its writer (a range read from the wrong files, a compaction skipped) cannot hide
//! behind a reader that agrees with it.
//!
//! The rules: a batch file is named by its id, `N` or `N.compact`; its first line is `v1`; each
//! further line is one JSON entry. A compactible log's entries are those of its newest
//! compaction and of every batch file after it; a batch's own entries are its file's, or, once
//! its file is gone, the entries of the first compaction at or after it that carry its id.
//! It reads; it never writes, repairs or decides what a finding is.

use crashpoint_engine::storage::Storage;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// A log file that cannot be read as Spark reads it.
#[derive(Debug, thiserror::Error)]
pub enum SparkLogError {
    /// The file or directory could not be read.
    #[error("{path}: cannot read it: {error}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        error: std::io::Error,
    },
    /// The first line is not `v1`.
    #[error("{path}: the first line is '{first}', where Spark 4.3's reader wants 'v1'")]
    Version {
        /// The file.
        path: PathBuf,
        /// Its first line.
        first: String,
    },
    /// A line after the first is no entry.
    #[error("{path}: line {line} is no entry Spark can read: {cause}")]
    Entry {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// The parser's words.
        cause: String,
    },
}

impl SparkLogError {
    /// The name of the file that could not be read (`3`, `3.compact`), when it is one file.
    pub fn file_name(&self) -> Option<&str> {
        match self {
            SparkLogError::Version { path, .. } | SparkLogError::Entry { path, .. } => path.file_name()?.to_str(),
            SparkLogError::Io { .. } => None,
        }
    }
}

/// One file of a log: its batch id, and whether it is a compaction (`N.compact`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct BatchFile {
    /// The batch id.
    pub id: u64,
    /// True for `N.compact`.
    pub compact: bool,
}

impl BatchFile {
    /// The file's name: `N` or `N.compact`.
    pub fn name(self) -> String {
        if self.compact { format!("{}.compact", self.id) } else { self.id.to_string() }
    }
}

/// The batch files in `dir`, by id (none when `dir` is missing). Other names (`.crc` files,
/// temporary files, strays such as `03`) are not batch files: Spark reads batch N from `N`.
pub fn batch_files(storage: &dyn Storage, dir: &Path) -> Result<Vec<BatchFile>, SparkLogError> {
    if !storage.exists(dir) {
        return Ok(Vec::new());
    }
    let listed = storage.list(dir).map_err(|error| io(dir, error))?;
    let mut files: Vec<BatchFile> = listed.iter().filter_map(|entry| batch_file_named(&entry.name)).collect();
    files.sort();
    Ok(files)
}

/// The batch id of a log file's own name `N` (no `.compact`); none for anything else, strays
/// such as `0N` or `+N` included: Spark reads batch N from `N` alone (FINDINGS Q26d2).
pub fn own_batch_id(name: &str) -> Option<u64> {
    name.parse().ok().filter(|id: &u64| id.to_string() == name)
}

fn batch_file_named(name: &str) -> Option<BatchFile> {
    let (digits, compact) = match name.strip_suffix(".compact") {
        Some(digits) => (digits, true),
        None => (name, false),
    };
    own_batch_id(digits).map(|id| BatchFile { id, compact })
}

fn io(path: &Path, error: std::io::Error) -> SparkLogError {
    SparkLogError::Io { path: path.to_path_buf(), error }
}

/// The lines after the version line of `dir`'s `file`.
fn lines_of(storage: &dyn Storage, dir: &Path, file: BatchFile) -> Result<Vec<String>, SparkLogError> {
    let path = dir.join(file.name());
    let bytes = storage.read(&path).map_err(|error| io(&path, error))?;
    let text = String::from_utf8_lossy(&bytes);
    let mut lines = text.split('\n');
    let first = lines.next().unwrap_or_default();
    if first != "v1" {
        return Err(SparkLogError::Version { path, first: first.chars().take(40).collect() });
    }
    Ok(lines.map(str::to_string).collect())
}

/// The entries of `dir`'s `file`.
pub fn entries_of<T: DeserializeOwned>(
    storage: &dyn Storage,
    dir: &Path,
    file: BatchFile,
) -> Result<Vec<T>, SparkLogError> {
    let lines = lines_of(storage, dir, file)?;
    let parse = |(i, line): (usize, &String)| {
        serde_json::from_str(line).map_err(|e| SparkLogError::Entry {
            path: dir.join(file.name()),
            line: i + 2,
            cause: e.to_string(),
        })
    };
    lines.iter().enumerate().map(parse).collect()
}

/// Every entry of a compactible log: its newest compaction's, then each later batch file's.
pub fn all_entries<T: DeserializeOwned>(storage: &dyn Storage, dir: &Path) -> Result<Vec<T>, SparkLogError> {
    let files = batch_files(storage, dir)?;
    let newest_compaction = files.iter().filter(|f| f.compact).map(|f| f.id).max();
    let read = files.into_iter().filter(|f| newest_compaction.is_none_or(|c| f.id > c || (f.id == c && f.compact)));
    let mut entries = Vec::new();
    for file in read {
        entries.extend(entries_of(storage, dir, file)?);
    }
    Ok(entries)
}

/// A source-log entry, as far as batches go.
pub trait InBatch {
    /// The batch that took it.
    fn batch(&self) -> u64;
}

impl InBatch for crashpoint_engine::checkpoint::SourceFileEntry {
    fn batch(&self) -> u64 {
        self.batch_id
    }
}

/// Batch `id`'s entries: its own file's, or those of the first compaction at or after it that
/// carry its id; `None` when neither is there.
pub fn batch_entries<T: DeserializeOwned + InBatch>(
    storage: &dyn Storage,
    dir: &Path,
    id: u64,
) -> Result<Option<Vec<T>>, SparkLogError> {
    let files = batch_files(storage, dir)?;
    if files.contains(&BatchFile { id, compact: false }) {
        return entries_of(storage, dir, BatchFile { id, compact: false }).map(Some);
    }
    let Some(holder) = files.into_iter().find(|f| f.compact && f.id >= id) else { return Ok(None) };
    let held: Vec<T> = entries_of(storage, dir, holder)?;
    Ok(Some(held.into_iter().filter(|e| e.batch() == id).collect()))
}

/// The rows a reader of the file sink's output in `dir` sees, in `schema`'s column order: the
/// part files its log adds, in log order, each line a JSON object. With `trust_log` false, as
/// a reader that ignores `_spark_metadata` (a seeded bug), every `part-` file listed instead.
pub fn file_sink_rows(
    storage: &dyn Storage,
    dir: &Path,
    schema: &[String],
    trust_log: bool,
) -> Result<Vec<crashpoint_engine::plan::Row>, SparkLogError> {
    let parts: Vec<PathBuf> = if trust_log {
        let entries: Vec<crashpoint_engine::checkpoint::SinkFileStatus> =
            all_entries(storage, &dir.join("_spark_metadata"))?;
        entries.iter().filter(|e| e.action == "add").map(|e| crashpoint_engine::uri::path_of(&e.path)).collect()
    } else {
        let listed = if storage.exists(dir) { storage.list(dir).map_err(|error| io(dir, error))? } else { Vec::new() };
        listed.into_iter().filter(|e| e.name.starts_with("part-")).map(|e| e.path).collect()
    };
    let mut rows = Vec::new();
    for part in parts {
        let bytes = storage.read(&part).map_err(|error| io(&part, error))?;
        for (i, line) in bytes.split(|b| *b == b'\n').enumerate().filter(|(_, l)| !l.is_empty()) {
            let mut object: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(line)
                .map_err(|e| SparkLogError::Entry { path: part.clone(), line: i + 1, cause: e.to_string() })?;
            rows.push(schema.iter().map(|c| object.remove(c).unwrap_or_default()).collect());
        }
    }
    Ok(rows)
}

/// `offsets/N`'s source offset, the `logOffset` of its one file source: the entry after the
/// batch's metadata line. `None` when the file is missing or records no offset.
pub fn log_offset(storage: &dyn Storage, checkpoint: &Path, id: u64) -> Option<u64> {
    let lines = lines_of(storage, &checkpoint.join("offsets"), BatchFile { id, compact: false }).ok()?;
    let offset: serde_json::Value = serde_json::from_str(lines.get(1)?).ok()?;
    offset.get("logOffset")?.as_u64()
}

/// Whether the offsets file of batch `id` records the plan it ran (crashpoint's fingerprint in
/// its `conf`; Spark writes none); `None` if it is not a readable offsets file.
pub fn records_plan(storage: &dyn Storage, checkpoint: &Path, id: u64) -> Option<bool> {
    let lines = lines_of(storage, &checkpoint.join("offsets"), BatchFile { id, compact: false }).ok()?;
    let metadata: serde_json::Value = serde_json::from_str(lines.first()?).ok()?;
    // crashpoint's own key beside Spark's settings, stated here, not taken from the engine.
    Some(metadata.get("conf").is_some_and(|conf| conf.get("crashpoint.plan.fingerprint").is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crashpoint_engine::checkpoint::SourceFileEntry;
    use crashpoint_engine::storage::SimStorage;

    const DIR: &str = "/c/sources/0";

    fn log(files: &[(&str, &[u64])]) -> SimStorage {
        let sim = SimStorage::new(0);
        sim.create_dir_all(Path::new(DIR)).unwrap();
        for (name, batches) in files {
            let mut text = String::from("v1");
            for b in *batches {
                text.push_str(&format!("\n{{\"path\":\"file:///in/f{b}\",\"timestamp\":{b},\"batchId\":{b}}}"));
            }
            sim.write(&Path::new(DIR).join(name), text.as_bytes()).unwrap();
        }
        sim
    }

    fn paths(entries: &[SourceFileEntry]) -> Vec<&str> {
        entries.iter().map(|e| e.path.rsplit('/').next().unwrap()).collect()
    }

    #[test]
    fn the_newest_compaction_and_the_files_after_it_are_the_log() {
        // Goal: the files below the newest compaction (kept by a purge cut short) are not read
        // twice, the `.crc` and temporary files are no batch files, and the compaction's batch
        // is read once (its plain twin, a leftover, is below nothing).
        let sim = log(&[("0", &[0]), ("1", &[1]), ("2.compact", &[0, 1, 2]), ("3", &[3]), (".3.crc", &[])]);
        let entries: Vec<SourceFileEntry> = all_entries(&sim, Path::new(DIR)).unwrap();
        assert_eq!(paths(&entries), ["f0", "f1", "f2", "f3"]);
        let sim = log(&[("0", &[0]), ("1", &[1])]);
        let entries: Vec<SourceFileEntry> = all_entries(&sim, Path::new(DIR)).unwrap();
        assert_eq!(paths(&entries), ["f0", "f1"]);
    }

    #[test]
    fn a_batch_is_its_own_file_or_its_part_of_a_later_compaction() {
        let sim = log(&[("2.compact", &[0, 1, 2]), ("3", &[3]), ("5.compact", &[3, 4, 5])]);
        let batch =
            |id| batch_entries::<SourceFileEntry>(&sim, Path::new(DIR), id).unwrap().map(|e| paths(&e).join(","));
        assert_eq!(batch(1).as_deref(), Some("f1"));
        assert_eq!(batch(3).as_deref(), Some("f3"));
        assert_eq!(batch(4).as_deref(), Some("f4"));
        assert_eq!(batch(6), None);
    }

    #[test]
    fn a_file_spark_cannot_read_is_an_error_naming_it() {
        let sim = log(&[("0", &[0])]);
        sim.write(&Path::new(DIR).join("1"), b"v2\n{}").unwrap();
        let err = all_entries::<SourceFileEntry>(&sim, Path::new(DIR)).unwrap_err().to_string();
        assert!(err.contains("sources/0/1: the first line is 'v2'"), "{err}");
        sim.write(&Path::new(DIR).join("2"), b"v1\nnot json").unwrap();
        let err = entries_of::<SourceFileEntry>(&sim, Path::new(DIR), BatchFile { id: 2, compact: false });
        assert!(err.unwrap_err().to_string().contains("sources/0/2: line 2 is no entry"));
    }

    #[test]
    fn the_log_offset_is_the_line_after_the_metadata() {
        let sim = SimStorage::new(0);
        sim.create_dir_all(Path::new("/c/offsets")).unwrap();
        sim.write(Path::new("/c/offsets/4"), b"v1\n{\"batchWatermarkMs\":0}\n{\"logOffset\":5}").unwrap();
        assert_eq!(log_offset(&sim, Path::new("/c"), 4), Some(5));
        assert_eq!(log_offset(&sim, Path::new("/c"), 3), None);
    }
}
