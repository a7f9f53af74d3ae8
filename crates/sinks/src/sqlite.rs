//! The SQLite sink: a real, embedded SQLite database (the bundled library, nothing to install)
//! holding the query's rows in a table `output`, one column per output column.
//!
//! Two modes, the two ways people write a `foreachBatch` into a database:
//! - [`SqliteMode::Idempotent`]: the rows and the batch id go into one transaction, and a batch
//!   id already in table `batches` is skipped. Spark's documented pattern for exactly-once.
//! - [`SqliteMode::Append`]: the naive insert, one transaction per batch and no batch-id guard:
//!   a batch handed over again after a crash is inserted again.
//!
//! Durability is SQLite's own: `synchronous = FULL` with a rollback journal, so a transaction
//! is on the disk when `COMMIT` returns and a transaction cut short is never seen. A crash
//! inside the transaction (at `during-sink-write`, after the inserts and before `COMMIT`)
//! drops the connection, and SQLite rolls it back, as it would roll back the hot journal of a
//! process that died there. The database is a real file on the real disk, outside the engine's
//! [`Storage`]: a simulated power loss does not reach it, which is honest because SQLite
//! fsyncs every commit before it returns (committed means durable) and nothing uncommitted is
//! ever read.
//!
//! Values map to SQLite's types as any SQL reader would see them: strings to TEXT, integers to
//! INTEGER, other numbers to REAL, null to NULL; booleans to 0/1 and nested values to their
//! JSON text. This module must never look at the checkpoint.

use crashpoint_engine::checkpoint::WriteCtx;
use crashpoint_engine::faults::CrashPoint;
use crashpoint_engine::guarantee::Guarantee;
use crashpoint_engine::plan::Row;
use crashpoint_engine::sink::{Batch, ReadBack, Sink, SinkError, SinkOutcome};
use crashpoint_engine::storage::Storage;
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params_from_iter};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The table that holds the rows.
pub const OUTPUT_TABLE: &str = "output";
/// The table of batch ids the idempotent mode has written.
pub const BATCHES_TABLE: &str = "batches";

/// How the sink writes a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SqliteMode {
    /// Rows and batch id in one transaction; a batch id already recorded is skipped.
    Idempotent,
    /// The naive insert: every batch handed over is inserted.
    Append,
}

impl SqliteMode {
    /// The mode's name: `idempotent` or `append`.
    pub fn name(self) -> &'static str {
        match self {
            SqliteMode::Idempotent => "idempotent",
            SqliteMode::Append => "append",
        }
    }
}

/// Writes batches into a SQLite database file.
pub struct SqliteSink {
    path: PathBuf,
    mode: SqliteMode,
    connection: Option<Connection>,
}

impl SqliteSink {
    /// A sink writing into the database at `path` (created on first use).
    pub fn new(path: &Path, mode: SqliteMode) -> Self {
        Self { path: path.to_path_buf(), mode, connection: None }
    }

    fn error(&self, what: &str, cause: impl std::fmt::Display) -> SinkError {
        SinkError::External {
            sink: format!("sqlite sink {}", self.path.display()),
            message: format!("{what}: {cause}"),
        }
    }

    fn connect(&self, create: bool) -> Result<Connection, SinkError> {
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let connection = Connection::open_with_flags(&self.path, flags).map_err(|e| self.error("open", e))?;
        // A rollback journal and an fsync at every commit: committed means durable.
        connection
            .execute_batch("PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY;")
            .map_err(|e| self.error("configure", e))?;
        Ok(connection)
    }

    /// Creates the tables for `schema` if they are missing.
    fn create_tables(&self, connection: &Connection, schema: &[String]) -> Result<(), SinkError> {
        let columns: Vec<String> = schema.iter().map(|c| quote(c)).collect();
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS {OUTPUT_TABLE} ({}); \
             CREATE TABLE IF NOT EXISTS {BATCHES_TABLE} (batch_id INTEGER PRIMARY KEY);",
            columns.join(", ")
        );
        connection.execute_batch(&sql).map_err(|e| self.error("create the tables", e))
    }

    /// One transaction: the guard (idempotent mode), the rows, the batch id, a crash point
    /// before `COMMIT`.
    fn write(&mut self, ctx: &mut WriteCtx<'_>, batch: Batch<'_>) -> Result<SinkOutcome, SinkError> {
        let mode = self.mode;
        let mut connection = self.connection.take().expect("add_batch opens the connection");
        self.create_tables(&connection, batch.schema)?;
        let transaction = connection.transaction().map_err(|e| self.error("begin", e))?;
        if mode == SqliteMode::Idempotent {
            let held: Option<i64> = transaction
                .query_row(
                    &format!("SELECT batch_id FROM {BATCHES_TABLE} WHERE batch_id = ?1"),
                    [batch.id as i64],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| self.error("look up the batch id", e))?;
            if held.is_some() {
                drop(transaction);
                self.connection = Some(connection);
                return Ok(SinkOutcome::Skipped(format!("batch {} is already in table {BATCHES_TABLE}", batch.id)));
            }
        }
        let placeholders = vec!["?"; batch.schema.len()].join(", ");
        let columns: Vec<String> = batch.schema.iter().map(|c| quote(c)).collect();
        let insert = format!("INSERT INTO {OUTPUT_TABLE} ({}) VALUES ({placeholders})", columns.join(", "));
        {
            let mut statement = transaction.prepare(&insert).map_err(|e| self.error("prepare the insert", e))?;
            for row in batch.rows {
                statement
                    .execute(params_from_iter(row.iter().map(to_sql)))
                    .map_err(|e| self.error("insert a row", e))?;
            }
        }
        if mode == SqliteMode::Idempotent {
            transaction
                .execute(&format!("INSERT INTO {BATCHES_TABLE} (batch_id) VALUES (?1)"), [batch.id as i64])
                .map_err(|e| self.error("record the batch id", e))?;
        }
        // A crash here drops the transaction: SQLite rolls it back, as after a process death.
        ctx.faults.hit(CrashPoint::DuringSinkWrite)?;
        transaction.commit().map_err(|e| self.error("commit", e))?;
        self.connection = Some(connection);
        Ok(SinkOutcome::Written)
    }

    /// The batch ids recorded in table `batches`, ascending (none in append mode).
    pub fn batch_ids(&self) -> Result<Vec<u64>, SinkError> {
        let Some(connection) = self.reader()? else { return Ok(Vec::new()) };
        if !has_table(&connection, BATCHES_TABLE).map_err(|e| self.error("list the tables", e))? {
            return Ok(Vec::new());
        }
        let mut statement = connection
            .prepare(&format!("SELECT batch_id FROM {BATCHES_TABLE} ORDER BY batch_id"))
            .map_err(|e| self.error("read the batch ids", e))?;
        let ids = statement
            .query_map([], |r| r.get::<_, i64>(0))
            .and_then(|rows| rows.collect::<Result<Vec<i64>, _>>())
            .map_err(|e| self.error("read the batch ids", e))?;
        Ok(ids.into_iter().map(|id| id as u64).collect())
    }

    /// A connection for reading, or `None` while the database does not exist.
    fn reader(&self) -> Result<Option<Connection>, SinkError> {
        if !self.path.exists() {
            return Ok(None);
        }
        self.connect(false).map(Some)
    }
}

impl Sink for SqliteSink {
    fn kind(&self) -> &'static str {
        match self.mode {
            SqliteMode::Idempotent => "sqlite-idempotent",
            SqliteMode::Append => "sqlite-append",
        }
    }

    /// Both modes are meant to be exactly-once: that is what a table's reader expects. The
    /// append mode does not keep the promise, and the harness says so.
    fn guarantee(&self) -> Guarantee {
        Guarantee::ExactlyOnce
    }

    fn add_batch(&mut self, ctx: &mut WriteCtx<'_>, batch: Batch<'_>) -> Result<SinkOutcome, SinkError> {
        if self.connection.is_none() {
            self.connection = Some(self.connect(true)?);
        }
        self.write(ctx, batch)
    }

    fn open(&mut self, _storage: &dyn Storage) -> Result<(), SinkError> {
        self.connection = Some(self.connect(true)?);
        Ok(())
    }
}

impl ReadBack for SqliteSink {
    fn read_back(&self, _storage: &dyn Storage, schema: &[String]) -> Result<Vec<Row>, SinkError> {
        let Some(connection) = self.reader()? else { return Ok(Vec::new()) };
        if !has_table(&connection, OUTPUT_TABLE).map_err(|e| self.error("list the tables", e))? {
            return Ok(Vec::new());
        }
        let columns: Vec<String> = schema.iter().map(|c| quote(c)).collect();
        let sql = format!("SELECT {} FROM {OUTPUT_TABLE}", columns.join(", "));
        let mut statement = connection.prepare(&sql).map_err(|e| self.error("read the table", e))?;
        let rows = statement
            .query_map([], |r| (0..schema.len()).map(|i| r.get_ref(i).map(from_sql)).collect::<Result<Row, _>>())
            .and_then(|rows| rows.collect::<Result<Vec<Row>, _>>())
            .map_err(|e| self.error("read the table", e))?;
        Ok(rows)
    }
}

fn has_table(connection: &Connection, name: &str) -> rusqlite::Result<bool> {
    connection
        .query_row("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", [name], |_| Ok(()))
        .optional()
        .map(|found| found.is_some())
}

/// An SQL identifier, quoted.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A JSON value as SQLite stores it.
fn to_sql(value: &Value) -> SqlValue {
    match value {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => SqlValue::Integer(i),
            None => SqlValue::Real(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => SqlValue::Text(s.clone()),
        nested => SqlValue::Text(nested.to_string()),
    }
}

/// A stored value as a reader sees it.
fn from_sql(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::String(format!("<{} byte blob>", b.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crashpoint_engine::faults::FaultPlan;
    use crashpoint_engine::storage::SimStorage;
    use serde_json::json;

    fn batch<'a>(id: u64, schema: &'a [String], rows: &'a [Row]) -> Batch<'a> {
        Batch { id, timestamp_ms: 0, schema, rows, parts: &[], threads: 1 }
    }

    fn write(sink: &mut SqliteSink, faults: &mut FaultPlan, b: Batch<'_>) -> Result<SinkOutcome, SinkError> {
        let storage = SimStorage::new(0);
        let mut ctx = WriteCtx { storage: &storage, faults };
        sink.add_batch(&mut ctx, b)
    }

    #[test]
    fn idempotent_mode_skips_a_batch_id_it_holds_and_append_mode_does_not() {
        // Goal: the two modes differ exactly on a batch handed over twice. Method: batch 0
        // twice into each mode, then read the table back through a fresh sink.
        let dir = tempfile::tempdir().unwrap();
        let schema = vec!["id".to_string(), "temp".to_string()];
        let rows = vec![vec![json!("e1"), json!(21.5)], vec![json!("e2"), json!(3)]];
        for (mode, copies, second) in [
            (SqliteMode::Idempotent, 1, SinkOutcome::Skipped("batch 0 is already in table batches".into())),
            (SqliteMode::Append, 2, SinkOutcome::Written),
        ] {
            let path = dir.path().join(format!("{}.db", mode.name()));
            let mut faults = FaultPlan::none();
            assert_eq!(
                write(&mut SqliteSink::new(&path, mode), &mut faults, batch(0, &schema, &rows)).unwrap(),
                SinkOutcome::Written
            );
            assert_eq!(
                write(&mut SqliteSink::new(&path, mode), &mut faults, batch(0, &schema, &rows)).unwrap(),
                second
            );
            let read = SqliteSink::new(&path, mode).read_back(&SimStorage::new(0), &schema).unwrap();
            assert_eq!(read.len(), rows.len() * copies, "{mode:?}");
            assert!(read.contains(&rows[0]) && read.contains(&rows[1]), "{read:?}");
        }
    }

    #[test]
    fn a_crash_inside_the_transaction_leaves_nothing() {
        // Goal: a crash before COMMIT is rolled back, and the batch id is not recorded either.
        // Method: crash at during-sink-write, drop the sink, read back through a fresh one.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let schema = vec!["id".to_string()];
        let rows = vec![vec![json!("e1")]];
        let mut faults = FaultPlan::crash_at(CrashPoint::DuringSinkWrite, 1);
        let mut sink = SqliteSink::new(&path, SqliteMode::Idempotent);
        assert!(write(&mut sink, &mut faults, batch(0, &schema, &rows)).is_err());
        drop(sink);
        let reader = SqliteSink::new(&path, SqliteMode::Idempotent);
        assert!(reader.read_back(&SimStorage::new(0), &schema).unwrap().is_empty());
        assert!(reader.batch_ids().unwrap().is_empty());
    }

    #[test]
    fn values_keep_their_sql_types() {
        let cases = [json!(null), json!(3), json!(-2.5), json!("a\"b"), json!(true), json!({"k": [1]})];
        let read: Vec<Value> = cases
            .iter()
            .map(|v| match to_sql(v) {
                SqlValue::Null => from_sql(ValueRef::Null),
                SqlValue::Integer(i) => from_sql(ValueRef::Integer(i)),
                SqlValue::Real(f) => from_sql(ValueRef::Real(f)),
                SqlValue::Text(t) => from_sql(ValueRef::Text(t.as_bytes())),
                SqlValue::Blob(_) => unreachable!(),
            })
            .collect();
        assert_eq!(read, [json!(null), json!(3), json!(-2.5), json!("a\"b"), json!(1), json!("{\"k\":[1]}")]);
    }
}
