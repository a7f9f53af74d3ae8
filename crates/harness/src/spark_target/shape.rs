//! The shape of a checkpoint, as lines that compare across targets: per batch, the input files
//! of its source-log entries, the `logOffset` of its offsets, whether it is committed and
//! whether the file sink's log has it; and the batch files the two compactible logs (the
//! source log and the file sink's log) keep, which tells whether compaction and expiry left
//! the same files. Query ids, timestamps, part-file names and `.crc` files are left out: they
//! legitimately differ.
//!
//! It reads the logs with its own small parser, line by line, so that it works on any
//! checkpoint, including one the engine would refuse.

use crashpoint_engine::storage::Storage;
use crashpoint_engine::uri::file_name_of;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The shape of the checkpoint at `checkpoint` (and the file sink's log under `output`).
pub fn checkpoint_shape(storage: &dyn Storage, checkpoint: &Path, output: &Path) -> Vec<String> {
    let mut batches: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for (id, lines) in log_files(storage, &checkpoint.join("offsets")) {
        let offsets: Vec<String> = lines.iter().skip(2).map(|l| l.trim().to_string()).collect();
        batches.entry(id).or_default().push(format!("offsets {}", offsets.join(" ")));
    }
    for (id, files) in source_entries(storage, &checkpoint.join("sources/0")) {
        let files: Vec<String> = files.into_iter().collect();
        batches.entry(id).or_default().push(format!("sources [{}]", files.join(", ")));
    }
    for (id, _) in log_files(storage, &checkpoint.join("commits")) {
        batches.entry(id).or_default().push("committed".into());
    }
    for id in sink_log_batches(storage, &output.join("_spark_metadata")) {
        batches.entry(id).or_default().push("in the sink log".into());
    }
    let mut shape: Vec<String> =
        batches.into_iter().map(|(id, parts)| format!("batch {id}: {}", parts.join("; "))).collect();
    for (log, dir) in [("sources/0", checkpoint.join("sources/0")), ("_spark_metadata", output.join("_spark_metadata"))]
    {
        let names = batch_file_names(storage, &dir);
        if !names.is_empty() {
            shape.push(format!("files of {log}: {}", names.join(" ")));
        }
    }
    shape
}

/// The batch files of a log directory (`N` and `N.compact`), by batch id.
fn batch_file_names(storage: &dyn Storage, dir: &Path) -> Vec<String> {
    let Ok(entries) = storage.list(dir) else { return Vec::new() };
    let mut names: Vec<(u64, String)> = entries
        .into_iter()
        .filter_map(|entry| {
            Some((entry.name.strip_suffix(".compact").unwrap_or(&entry.name).parse().ok()?, entry.name))
        })
        .collect();
    names.sort();
    names.into_iter().map(|(_, name)| name).collect()
}

/// The batches the file sink's log covers: each batch file's own, and every batch up to a
/// compaction (`N.compact` holds batches 0..=N).
fn sink_log_batches(storage: &dyn Storage, dir: &Path) -> BTreeSet<u64> {
    let Ok(entries) = storage.list(dir) else { return BTreeSet::new() };
    let mut covered = BTreeSet::new();
    for entry in entries {
        if let Some(id) = entry.name.strip_suffix(".compact").and_then(|n| n.parse::<u64>().ok()) {
            covered.extend(0..=id);
        } else if let Ok(id) = entry.name.parse::<u64>() {
            covered.insert(id);
        }
    }
    covered
}

/// `(batch id, lines)` of every batch file of a log (`N` or `N.compact`), in order; `.crc`
/// sidecars and temp files are left out.
fn log_files(storage: &dyn Storage, dir: &Path) -> Vec<(u64, Vec<String>)> {
    let Ok(entries) = storage.list(dir) else { return Vec::new() };
    let mut files: Vec<(u64, Vec<String>)> = entries
        .iter()
        .filter_map(|entry| {
            let id: u64 = entry.name.strip_suffix(".compact").unwrap_or(&entry.name).parse().ok()?;
            let bytes = storage.read(&entry.path).ok()?;
            Some((id, String::from_utf8_lossy(&bytes).lines().map(str::to_string).collect()))
        })
        .collect();
    files.sort_by_key(|(id, _)| *id);
    files
}

/// The input files (decoded base names) of each batch id, from every entry of the source log,
/// compactions included.
fn source_entries(storage: &dyn Storage, dir: &Path) -> BTreeMap<u64, BTreeSet<String>> {
    let mut batches: BTreeMap<u64, BTreeSet<String>> = BTreeMap::new();
    for (_, lines) in log_files(storage, dir) {
        for line in lines.iter().skip(1) {
            let Ok(entry) = serde_json::from_str::<Value>(line) else { continue };
            let (Some(path), Some(batch)) = (entry["path"].as_str(), entry["batchId"].as_u64()) else { continue };
            batches.entry(batch).or_default().insert(file_name_of(path));
        }
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;
    use crashpoint_engine::storage::SimStorage;

    #[test]
    fn the_shape_names_files_offsets_commits_and_the_sink_log() {
        let disk = SimStorage::new(0);
        let cp = Path::new("/cp");
        let write = |p: &str, t: &str| {
            let path = cp.join(p);
            disk.create_dir_all(path.parent().unwrap()).unwrap();
            disk.write(&path, t.as_bytes()).unwrap();
        };
        write("offsets/0", "v1\n{\"batchWatermarkMs\":0,\"batchTimestampMs\":5}\n{\"logOffset\":0}");
        write("offsets/.0.crc", "junk");
        write("sources/0/0", "v1\n{\"path\":\"file:///in/my%20file.json\",\"timestamp\":1,\"batchId\":0}");
        write("commits/0", "v1\n{\"nextBatchWatermarkMs\":0}");
        write("offsets/1", "v1\n{\"batchWatermarkMs\":0,\"batchTimestampMs\":9}\n{\"logOffset\":2}");
        assert_eq!(
            checkpoint_shape(&disk, cp, Path::new("/out")),
            [
                "batch 0: offsets {\"logOffset\":0}; sources [my file.json]; committed",
                "batch 1: offsets {\"logOffset\":2}",
                "files of sources/0: 0",
            ]
        );
        assert_eq!(file_name_of("file:///a/%5Bx%5D%25.json"), "[x]%.json");
        let sink_log = Path::new("/out/_spark_metadata");
        disk.create_dir_all(sink_log).unwrap();
        for name in ["2.compact", "3", "4"] {
            disk.write(&sink_log.join(name), b"v1\n").unwrap();
        }
        let covered: Vec<u64> = sink_log_batches(&disk, sink_log).into_iter().collect();
        assert_eq!(covered, [0, 1, 2, 3, 4], "a compaction covers the batches it made redundant");
        let files = |disk: &SimStorage| checkpoint_shape(disk, cp, Path::new("/out")).pop();
        assert_eq!(files(&disk).as_deref(), Some("files of _spark_metadata: 2.compact 3 4"));
        disk.write(&sink_log.join("1"), b"v1\n").unwrap();
        assert_eq!(
            files(&disk).as_deref(),
            Some("files of _spark_metadata: 1 2.compact 3 4"),
            "a file kept that the other target deleted is a difference"
        );
    }
}
