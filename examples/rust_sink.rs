//! Your own sink in Rust, checked by crashpoint from your own tests.
//!
//! Two sinks write JSON rows under the query's output directory through the engine's `Storage`
//! (so that crashes and power losses reach them):
//! - `BatchFiles`: one file per batch, `batch-<id>.jsonl`, written to a temp file, fsynced and
//!   renamed into place; a batch whose file exists is skipped. Exactly-once.
//! - `AppendFile`: every batch appended to `table.jsonl`. It ignores the batch id, so a batch
//!   handed over again after a crash is written twice: crashpoint catches it.
//!
//! `cargo test --example rust_sink` runs the checks below; `cargo run --example rust_sink`
//! prints both reports.

use crashpoint_engine::checkpoint::WriteCtx;
use crashpoint_engine::faults::CrashPoint;
use crashpoint_engine::guarantee::Guarantee;
use crashpoint_engine::json::row_to_json;
use crashpoint_engine::plan::Row;
use crashpoint_engine::sink::{Batch, ReadBack, Sink, SinkError, SinkOutcome};
use crashpoint_engine::storage::{Storage, create_dir_durable};
use std::path::{Path, PathBuf};

fn failed(path: &Path, what: &str) -> impl FnOnce(std::io::Error) -> SinkError {
    let sink = format!("sink at {}", path.display());
    let what = what.to_string();
    move |e| SinkError::External { sink, message: format!("{what}: {e}") }
}

fn rows_jsonl(schema: &[String], rows: &[Row]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for row in rows {
        row_to_json(schema, row, &mut bytes);
        bytes.push(b'\n');
    }
    bytes
}

/// Reads JSON-lines rows back in `schema`'s column order.
fn parse_rows(bytes: &[u8], schema: &[String]) -> Vec<Row> {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line).ok())
        .map(|object| schema.iter().map(|c| object.get(c).cloned().unwrap_or_default()).collect())
        .collect()
}

/// Exactly-once: one file per batch, made durable before it becomes visible.
pub struct BatchFiles {
    dir: PathBuf,
}

impl BatchFiles {
    pub fn new(dir: &Path) -> Self {
        Self { dir: dir.to_path_buf() }
    }
}

impl Sink for BatchFiles {
    fn kind(&self) -> &'static str {
        "batch-files"
    }

    fn guarantee(&self) -> Guarantee {
        Guarantee::ExactlyOnce
    }

    fn add_batch(&mut self, ctx: &mut WriteCtx<'_>, batch: Batch<'_>) -> Result<SinkOutcome, SinkError> {
        let path = self.dir.join(format!("batch-{}.jsonl", batch.id));
        if ctx.storage.exists(&path) {
            return Ok(SinkOutcome::Skipped(format!("{} exists", path.display())));
        }
        let temp = self.dir.join(format!(".batch-{}.tmp", batch.id));
        let storage = ctx.storage;
        // The directory too must survive a power loss: its parent is fsynced once it is made.
        create_dir_durable(storage, &self.dir).map_err(|e| failed(&e.path, e.op)(e.error))?;
        storage.write(&temp, &rows_jsonl(batch.schema, batch.rows)).map_err(failed(&temp, "write"))?;
        storage.sync_file(&temp).map_err(failed(&temp, "fsync"))?;
        ctx.faults.hit(CrashPoint::DuringSinkWrite)?;
        // A temp file left by a crash is simply written over next time.
        storage.rename_no_replace(&temp, &path).map_err(failed(&path, "rename into place"))?;
        storage.sync_dir(&self.dir).map_err(failed(&self.dir, "fsync the directory"))?;
        Ok(SinkOutcome::Written)
    }
}

impl ReadBack for BatchFiles {
    fn read_back(&self, storage: &dyn Storage, schema: &[String]) -> Result<Vec<Row>, SinkError> {
        let mut rows = Vec::new();
        for entry in storage.list(&self.dir).unwrap_or_default() {
            if entry.name.starts_with("batch-") {
                let bytes = storage.read(&entry.path).map_err(failed(&entry.path, "read"))?;
                rows.extend(parse_rows(&bytes, schema));
            }
        }
        Ok(rows)
    }
}

/// The classic bug: every batch appended, the batch id ignored.
pub struct AppendFile {
    path: PathBuf,
}

impl AppendFile {
    pub fn new(dir: &Path) -> Self {
        Self { path: dir.join("table.jsonl") }
    }
}

impl Sink for AppendFile {
    fn kind(&self) -> &'static str {
        "append-file"
    }

    fn guarantee(&self) -> Guarantee {
        Guarantee::ExactlyOnce
    }

    fn add_batch(&mut self, ctx: &mut WriteCtx<'_>, batch: Batch<'_>) -> Result<SinkOutcome, SinkError> {
        let storage = ctx.storage;
        let dir = self.path.parent().expect("a file in a directory");
        create_dir_durable(storage, dir).map_err(|e| failed(&e.path, e.op)(e.error))?;
        let mut table = storage.read(&self.path).unwrap_or_default();
        table.extend(rows_jsonl(batch.schema, batch.rows));
        storage.write(&self.path, &table).map_err(failed(&self.path, "write"))?;
        storage.sync_file(&self.path).map_err(failed(&self.path, "fsync"))?;
        storage.sync_dir(dir).map_err(failed(dir, "fsync the directory"))?;
        ctx.faults.hit(CrashPoint::DuringSinkWrite)?;
        Ok(SinkOutcome::Written)
    }
}

impl ReadBack for AppendFile {
    fn read_back(&self, storage: &dyn Storage, schema: &[String]) -> Result<Vec<Row>, SinkError> {
        Ok(parse_rows(&storage.read(&self.path).unwrap_or_default(), schema))
    }
}

fn main() {
    println!("{}", crashpoint_harness::check_sink(BatchFiles::new).explore(2));
    println!("{}", crashpoint_harness::check_sink(AppendFile::new).explore(1));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crashpoint_harness::check_sink;

    #[test]
    fn one_file_per_batch_is_exactly_once_at_depth_2_and_through_power_losses() {
        check_sink(BatchFiles::new).threads(2).explore(2).assert_passed();
        check_sink(BatchFiles::new).power_loss().threads(2).explore(1).assert_passed();
    }

    #[test]
    fn appending_without_the_batch_id_is_caught() {
        let report = check_sink(AppendFile::new).explore(1);
        assert!(!report.passed());
        let findings = report.findings();
        assert!(
            findings.iter().any(|f| f.contains("written") && f.contains("after a crash at after-sink-write")),
            "{report}"
        );
        assert!(report.to_string().contains("sink = \"rust\""), "the report carries a reproducer");
    }
}
