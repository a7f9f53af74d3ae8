//! Invariant 3, the file sink's half: each entry of `_spark_metadata` describes its part file
//! as Spark writes it, so that a reader (Spark's `FileStreamSinkLog`, or ours) reads exactly
//! what was committed. The entry's path exists and is listed once, its `size` is the file's
//! length, and its file-status fields are Spark's for a file on the local file system.
//!
//! The expected field values are Spark 4.3's, as its reference checkpoints under
//! `tests/fixtures/spark-reference/` show them; this check must never take them from the
//! engine's own constants, or an engine with a wrong constant would agree with itself.

use crashpoint_engine::checkpoint::SinkFileStatus;
use crashpoint_engine::storage::Storage;
use crashpoint_engine::uri::path_of;
use std::collections::BTreeSet;
use std::path::Path;

/// `blockSize` of every entry Spark 4.3 writes for a local file (`fs.local.block.size`, 32 MiB):
/// e.g. `tests/fixtures/spark-reference/seed_filesink/out1/_spark_metadata/0`.
pub const SPARK_LOCAL_BLOCK_SIZE: u64 = 33_554_432;
/// `blockReplication` of every entry Spark writes for a local file.
pub const SPARK_LOCAL_BLOCK_REPLICATION: u32 = 1;
/// The only `action` Spark's file sink writes (its log also knows "delete", which no sink writes).
pub const SPARK_SINK_ACTION: &str = "add";

/// Checks every entry of the file sink's log in `dir` against the file it names. Returns the
/// violations, in words. `overwritten`: whether the user overwrote a log file by hand (by its
/// name, `3` or `3.compact`): a file the user broke cannot be read, by the engine either (it
/// refuses to open the sink), so what it would list is the user's, with nothing to hold it to.
pub fn sink_log_matches_its_files(
    storage: &dyn Storage,
    dir: &Path,
    overwritten: &dyn Fn(&str) -> bool,
) -> Vec<String> {
    let entries = match super::spark_log::all_entries::<SinkFileStatus>(storage, &dir.join("_spark_metadata")) {
        Ok(entries) => entries,
        Err(e) if e.file_name().is_some_and(overwritten) => return Vec::new(),
        Err(e) => return vec![e.to_string()],
    };
    let mut violations = Vec::new();
    let mut listed = BTreeSet::new();
    for entry in &entries {
        let name = entry.path.rsplit('/').next().unwrap_or(&entry.path);
        violations.extend(status_fields(name, entry));
        if entry.action != SPARK_SINK_ACTION {
            continue;
        }
        if !listed.insert(&entry.path) {
            violations.push(format!("the file sink's log lists {name} twice: a reader reads its rows twice"));
            continue;
        }
        match storage.stat(&path_of(&entry.path)) {
            Err(_) => violations.push(format!(
                "the file sink's log lists {name}, which does not exist: a reader of the output fails on it"
            )),
            Ok(file) if file.len != entry.size => violations.push(format!(
                "the file sink's log lists {name} with {} bytes, but it has {}: a reader reads other rows than \
                 were committed",
                entry.size, file.len
            )),
            Ok(_) => {}
        }
    }
    violations
}

/// The fields of an entry that Spark writes the same for every part file on a local disk.
fn status_fields(name: &str, entry: &SinkFileStatus) -> Vec<String> {
    let mut wrong = Vec::new();
    if entry.is_dir {
        wrong.push("isDir true (a part file is a file)".to_string());
    }
    if entry.action != SPARK_SINK_ACTION {
        wrong.push(format!("action {:?} (Spark's file sink only adds)", entry.action));
    }
    if entry.block_size != SPARK_LOCAL_BLOCK_SIZE {
        wrong.push(format!("blockSize {} (Spark writes {SPARK_LOCAL_BLOCK_SIZE} for a local file)", entry.block_size));
    }
    if entry.block_replication != SPARK_LOCAL_BLOCK_REPLICATION {
        wrong.push(format!(
            "blockReplication {} (Spark writes {SPARK_LOCAL_BLOCK_REPLICATION} for a local file)",
            entry.block_replication
        ));
    }
    if wrong.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "the file sink's log lists {name} with {}: not the entry Spark writes, so Spark's reader of this output \
         would see another file status",
        wrong.join(", ")
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crashpoint_engine::checkpoint::{LogFile, MetadataLog, WriteCtx};
    use crashpoint_engine::faults::FaultPlan;
    use crashpoint_engine::storage::SimStorage;

    /// Spark's entry for `name` with `size` bytes, as the fixtures show it.
    fn spark_entry(name: &str, size: u64) -> SinkFileStatus {
        SinkFileStatus {
            path: format!("file:///out/{name}"),
            size,
            is_dir: false,
            modification_time: 0,
            block_replication: 1,
            block_size: 33_554_432,
            action: "add".into(),
        }
    }

    /// `/out` with part files a and c (3 bytes each), and the sink log's batches holding `batches`.
    fn sink_with(batches: &[Vec<SinkFileStatus>]) -> Vec<String> {
        let storage = SimStorage::new(0);
        let dir = Path::new("/out");
        storage.create_dir_all(dir).unwrap();
        storage.write(&dir.join("part-a.json"), b"{}\n").unwrap();
        storage.write(&dir.join("part-c.json"), b"{}\n").unwrap();
        let log = MetadataLog::new(dir.join("_spark_metadata"), "sink log");
        let mut faults = FaultPlan::none();
        let mut ctx = WriteCtx { storage: &storage, faults: &mut faults };
        for (id, entries) in batches.iter().enumerate() {
            let lines: Vec<String> = entries.iter().map(|e| serde_json::to_string(e).unwrap()).collect();
            log.write(&mut ctx, LogFile { id: id as u64, compact: false }, &lines).unwrap();
        }
        sink_log_matches_its_files(&storage, dir, &|_| false)
    }

    #[test]
    fn spark_writes_the_fields_the_reference_checkpoint_shows() {
        // Goal: the expected values are Spark's, read from its reference checkpoint, not ours.
        // Method: parse a fixture's entry and compare it with the constants.
        let fixture = include_str!("../../../../tests/fixtures/spark-reference/seed_filesink/out1/_spark_metadata/0");
        let line = fixture.lines().nth(1).unwrap();
        let entry: SinkFileStatus = serde_json::from_str(line).unwrap();
        assert_eq!(entry.block_size, SPARK_LOCAL_BLOCK_SIZE);
        assert_eq!(entry.block_replication, SPARK_LOCAL_BLOCK_REPLICATION);
        assert_eq!(entry.action, SPARK_SINK_ACTION);
        assert!(!entry.is_dir);
        assert!(status_fields("part", &entry).is_empty());
    }

    #[test]
    fn the_file_sink_log_must_list_each_existing_file_once_with_its_size() {
        assert!(sink_with(&[vec![spark_entry("part-a.json", 3)]]).is_empty());
        let second = vec![spark_entry("part-c.json", 2), spark_entry("part-a.json", 3), spark_entry("part-b.json", 1)];
        let found = sink_with(&[vec![spark_entry("part-a.json", 3)], second]);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].contains("part-c.json with 2 bytes, but it has 3"), "{found:?}");
        assert!(found[1].contains("lists part-a.json twice"), "{found:?}");
        assert!(found[2].contains("lists part-b.json, which does not exist"), "{found:?}");
    }

    #[test]
    fn an_entry_with_another_file_status_than_spark_writes_is_named() {
        // Goal: a sink log that names the right file with the wrong status (the block size
        // 32 + 1024 + 1024 instead of 32 * 1024 * 1024, a directory, another replication, a
        // delete) is caught, each field named. Method: hand-made entries, one wrong field each.
        type Spoil = fn(&mut SinkFileStatus);
        let cases: [(Spoil, &str); 4] = [
            (|e| e.block_size = 32 + 1024 + 1024, "blockSize 2080 (Spark writes 33554432 for a local file)"),
            (|e| e.is_dir = true, "isDir true"),
            (|e| e.block_replication = 3, "blockReplication 3 (Spark writes 1"),
            (|e| e.action = "delete".into(), "action \"delete\""),
        ];
        for (spoil, says) in cases {
            let mut entry = spark_entry("part-a.json", 3);
            spoil(&mut entry);
            let found = sink_with(&[vec![entry]]);
            assert_eq!(found.len(), 1, "{says}: {found:?}");
            assert!(found[0].starts_with("the file sink's log lists part-a.json with "), "{found:?}");
            assert!(found[0].contains(says), "{says}: {found:?}");
        }
    }
}
