//! Hadoop's checksum sidecars (`.N.crc`) that Spark writes beside every log file: orphaned
//! ones (their file is gone) and stale ones (their file changed). crashpoint never writes or
//! reads them; Spark's checkpoint managers do, each in its own way (spark/FINDINGS.md, Q10).

use super::{Action, Choice, Finding, SinkDir};
use crashpoint_engine::checkpoint::Checkpoint;
use crashpoint_engine::storage::Storage;
use std::path::Path;

/// Hadoop's `.crc` header: the magic `crc\0`, then the bytes per checksum (big-endian).
const MAGIC: &[u8; 4] = b"crc\0";

/// CRC-32 (IEEE, as `java.util.zip.CRC32`), bit by bit: sidecars are small.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// True if `sidecar` holds the checksums of `data` in Hadoop's format.
fn matches(sidecar: &[u8], data: &[u8]) -> bool {
    let Some((header, sums)) = sidecar.split_first_chunk::<8>() else { return false };
    let per_sum = u32::from_be_bytes([header[4], header[5], header[6], header[7]]) as usize;
    if &header[..4] != MAGIC || per_sum == 0 || sums.len() != data.len().div_ceil(per_sum) * 4 {
        return false;
    }
    data.chunks(per_sum).zip(sums.chunks(4)).all(|(chunk, sum)| crc32(chunk).to_be_bytes() == sum)
}

/// Every orphaned or stale `.crc` in the checkpoint's log directories, its root and, if
/// given, the sink's log.
pub(super) fn checksums(storage: &dyn Storage, checkpoint: &Checkpoint, sink: Option<SinkDir<'_>>) -> Vec<Finding> {
    let sink_log = sink.map(|s| s.output.join("_spark_metadata"));
    let dirs = [checkpoint.root(), checkpoint.offsets.dir(), checkpoint.commits.dir(), checkpoint.sources.log().dir()];
    let mut findings = Vec::new();
    for dir in dirs.into_iter().chain(sink_log.as_deref()) {
        for entry in storage.list(dir).unwrap_or_default() {
            let Some(name) = entry.name.strip_prefix('.').and_then(|n| n.strip_suffix(".crc")) else { continue };
            if name.contains(".tmp") {
                continue; // a temp file's sidecar: the temp-file check reports it
            }
            findings.extend(check_one(storage, &entry.path, &dir.join(name)));
        }
    }
    findings
}

fn check_one(storage: &dyn Storage, sidecar: &Path, file: &Path) -> Option<Finding> {
    let delete = || {
        let effect = "delete it: crashpoint never reads it, and Spark writes a new one with the file".to_string();
        Choice::free("delete-stale-checksums".into(), effect, vec![Action::Delete(sidecar.to_path_buf())])
    };
    if !storage.exists(file) {
        let problem = format!(
            "orphaned checksum {}: {} is gone (deleted by hand?). crashpoint ignores it; Spark 4.3 (its default \
             checkpoint manager) fails once when it writes {} again, as renaming the new checksum finds this one \
             ('Multiple streaming queries are concurrently using …'), and goes on at the next restart",
            sidecar.display(),
            file.display(),
            file.display()
        );
        return Some(Finding::repairable(problem, delete()));
    }
    let (Ok(sums), Ok(data)) = (storage.read(sidecar), storage.read(file)) else { return None };
    if matches(&sums, &data) {
        return None;
    }
    let problem = format!(
        "stale checksum {}: it does not match {} (the file was changed after Spark wrote it). crashpoint ignores \
         it, and so does Spark's default checkpoint manager; with the FileSystem-based manager, Spark fails to \
         read the file (ChecksumException)",
        sidecar.display(),
        file.display()
    );
    Some(Finding::repairable(problem, delete()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_sparks_sidecars() {
        // A sidecar Spark 4.3 wrote for `commits/0` of the reference checkpoint.
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/spark-reference/three_files/checkpoint");
        let data = std::fs::read(format!("{dir}/commits/0")).unwrap();
        let sidecar = std::fs::read(format!("{dir}/commits/.0.crc")).unwrap();
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926, "the standard check value");
        assert!(matches(&sidecar, &data));
        assert!(!matches(&sidecar, b"v1\n{\"nextBatchWatermarkMs\":1}"));
        let offsets = std::fs::read(format!("{dir}/offsets/0")).unwrap();
        assert!(offsets.len() > 512, "several chunks");
        assert!(matches(&std::fs::read(format!("{dir}/offsets/.0.crc")).unwrap(), &offsets));
    }
}
