//! The JSON records of Spark's logs, field for field.

use super::compactible::LogEntry;
use serde::{Deserialize, Serialize};

/// A line of `sources/0/N`: one file taken by batch N.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceFileEntry {
    /// A `file://` URI.
    pub path: String,
    /// The file's modification time, ms.
    pub timestamp: i64,
    /// The batch that took the file.
    pub batch_id: u64,
}

impl LogEntry for SourceFileEntry {
    fn batch_id(&self) -> Option<u64> {
        Some(self.batch_id)
    }
}

/// A line of `_spark_metadata/N`: one data file written by the file sink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SinkFileStatus {
    /// A `file://` URI.
    pub path: String,
    /// Bytes.
    pub size: u64,
    /// Always false.
    pub is_dir: bool,
    /// ms.
    pub modification_time: i64,
    /// Always 1.
    pub block_replication: u32,
    /// Spark's local default, 32 MiB.
    pub block_size: u64,
    /// "add" (Spark also knows "delete").
    pub action: String,
}

impl LogEntry for SinkFileStatus {
    fn batch_id(&self) -> Option<u64> {
        None
    }
}

/// The line of `commits/N`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitMetadata {
    /// Always 0: the model has no watermark.
    pub next_batch_watermark_ms: i64,
}

/// The `metadata` file at the checkpoint root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamMetadata {
    /// The query id, a UUID.
    pub id: String,
}

/// A source's offset line in `offsets/N`, e.g. `{"logOffset":3}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileSourceOffset {
    /// The batch id of the source log that the batch reads up to.
    pub log_offset: u64,
}

/// The first JSON line of `offsets/N`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OffsetSeqMetadata {
    /// Always 0: the model has no watermark.
    #[serde(default)]
    pub batch_watermark_ms: i64,
    /// The batch's logical time, ms.
    #[serde(default)]
    pub batch_timestamp_ms: i64,
    /// Session configuration; crashpoint adds its plan fingerprint here.
    #[serde(default)]
    pub conf: std::collections::BTreeMap<String, String>,
}

/// The conf key under which the plan's fingerprint is stored in `offsets/N`.
pub const PLAN_FINGERPRINT_KEY: &str = "crashpoint.plan.fingerprint";

/// The key of the plan itself in `offsets/N`'s conf (crashpoint's own): with it, a changed
/// query is told in words (columns, steps), not only by two fingerprints.
pub const PLAN_KEY: &str = "crashpoint.plan";

/// Spark 4.3's conf entries, in Spark's order, as found in the reference checkpoints.
pub const SPARK_CONF: [(&str, &str); 17] = [
    (
        "spark.sql.streaming.stateStore.providerClass",
        "org.apache.spark.sql.execution.streaming.state.HDFSBackedStateStoreProvider",
    ),
    ("spark.sql.dropDuplicates.deterministicKeyOrder.enabled", "true"),
    ("spark.sql.streaming.stateStore.rocksdb.mergeOperatorVersion", "2"),
    ("spark.sql.streaming.stateStore.rocksdb.formatVersion", "5"),
    ("spark.sql.streaming.queryEvolution.enableSourceEvolution", "false"),
    ("spark.sql.streaming.stateStore.encodingFormat", "unsaferow"),
    ("spark.sql.streaming.statefulOperator.useStrictDistribution", "true"),
    ("spark.sql.streaming.flatMapGroupsWithState.stateFormatVersion", "2"),
    ("spark.sql.streaming.multipleWatermarkPolicy", "min"),
    ("spark.sql.streaming.stateStore.rowChecksum.enabled", "false"),
    ("spark.sql.streaming.statefulOperator.alwaysNullableOutput.enabled", "true"),
    ("spark.sql.streaming.aggregation.stateFormatVersion", "2"),
    ("spark.sql.function.protobufExtensions.enabled", "false"),
    ("spark.sql.shuffle.partitions", "2"),
    ("spark.sql.streaming.join.stateFormatVersion", "2"),
    ("spark.sql.streaming.stateStore.compression.codec", "lz4"),
    ("spark.sql.optimizer.pruneFiltersCanPruneStreamingSubplan", "false"),
];

/// Encodes the metadata line of `offsets/N` in Spark's key order, plus the plan's fingerprint
/// and the plan itself (canonical JSON, as a string: Spark's conf maps strings to strings).
pub fn encode_offset_metadata(batch_timestamp_ms: i64, plan_fingerprint: &str, plan_json: &str) -> String {
    let mut conf: Vec<String> = SPARK_CONF.iter().map(|(k, v)| format!("\"{k}\":\"{v}\"")).collect();
    conf.push(format!("\"{PLAN_FINGERPRINT_KEY}\":{}", serde_json::Value::from(plan_fingerprint)));
    conf.push(format!("\"{PLAN_KEY}\":{}", serde_json::Value::from(plan_json)));
    format!("{{\"batchWatermarkMs\":0,\"batchTimestampMs\":{batch_timestamp_ms},\"conf\":{{{}}}}}", conf.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_metadata_matches_spark_byte_for_byte_before_the_fingerprint() {
        // Spark's reference checkpoints live with the workspace's fixtures, two levels up.
        let reference = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/spark-reference/three_files/checkpoint/offsets/0"
        ));
        let spark_line = reference.lines().nth(1).unwrap();
        let ours = encode_offset_metadata(1795560196803, "fp", r#"[{"op":"filter","condition":"a > 1"}]"#);
        let spark_prefix = spark_line.strip_suffix("}}").unwrap();
        // Byte for byte Spark's line (its timestamp and conf in Spark's key order), then our key.
        let ours_rest = ours.strip_prefix(spark_prefix).unwrap_or_else(|| panic!("{ours}\n{spark_line}"));
        let plan = r#""[{\"op\":\"filter\",\"condition\":\"a > 1\"}]""#;
        assert_eq!(ours_rest, format!(",\"{PLAN_FINGERPRINT_KEY}\":\"fp\",\"{PLAN_KEY}\":{plan}}}}}"));
        let parsed: OffsetSeqMetadata = serde_json::from_str(&ours).unwrap();
        assert_eq!(parsed.conf[PLAN_FINGERPRINT_KEY], "fp");
    }

    #[test]
    fn source_entry_matches_spark() {
        let line = r#"{"path":"file:///data/three_files/input/device_01.json","timestamp":1790000000000,"batchId":0}"#;
        let entry: SourceFileEntry = serde_json::from_str(line).unwrap();
        assert_eq!(serde_json::to_string(&entry).unwrap(), line);
    }

    #[test]
    fn sink_entry_matches_spark() {
        let line = r#"{"path":"file:///data/three_files/output/part-00000-40fbc8f8-830b-4120-9b0a-5d049645d964-c000.json","size":92,"isDir":false,"modificationTime":1795560197440,"blockReplication":1,"blockSize":33554432,"action":"add"}"#;
        let entry: SinkFileStatus = serde_json::from_str(line).unwrap();
        assert_eq!(serde_json::to_string(&entry).unwrap(), line);
    }
}
