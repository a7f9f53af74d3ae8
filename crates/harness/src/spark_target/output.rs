//! What Spark's sinks wrote, read back as rows in the plan's column order: the console sink's
//! printed tables, the foreach-batch table file, the memory sink's rows, the file sink's rows
//! (through Spark's own reader, so only files in `_spark_metadata` count).
//!
//! It only reads and converts; judging is the checks' job.

use crashpoint_engine::plan::Row;
use serde_json::{Map, Value};

/// A row of Spark's JSON rendering (`toJSON`: null fields left out) in `schema`'s order.
pub fn row_of(schema: &[String], object: &Map<String, Value>) -> Row {
    schema.iter().map(|column| object.get(column).cloned().unwrap_or(Value::Null)).collect()
}

/// One batch the console sink printed.
#[derive(Debug, Clone, PartialEq)]
pub struct PrintedBatch {
    /// The batch id.
    pub batch: u64,
    /// Its rows, cells as printed (`NULL` is null; a number is a number).
    pub rows: Vec<Row>,
}

/// The batches in the console sink's output (`truncate = false`, so cells are whole).
pub fn parse_console(text: &str, schema: &[String]) -> Vec<PrintedBatch> {
    let mut out: Vec<PrintedBatch> = Vec::new();
    let mut header: Option<Vec<String>> = None;
    for line in text.lines() {
        if let Some(id) = line.strip_prefix("Batch: ").and_then(|id| id.trim().parse().ok()) {
            out.push(PrintedBatch { batch: id, rows: Vec::new() });
            header = None;
            continue;
        }
        let Some(batch) = out.last_mut() else { continue };
        if !line.starts_with('|') {
            continue;
        }
        let cells: Vec<String> = line.trim_end_matches('|')[1..].split('|').map(|c| c.trim().to_string()).collect();
        match &header {
            None => header = Some(cells),
            Some(names) => {
                let object: Map<String, Value> =
                    names.iter().cloned().zip(cells.iter().map(|c| printed_value(c))).collect();
                batch.rows.push(row_of(schema, &object));
            }
        }
    }
    out
}

/// A printed cell as a value: `NULL` is null, a number is a number, anything else a string.
fn printed_value(cell: &str) -> Value {
    if cell == "NULL" {
        return Value::Null;
    }
    match cell.parse::<f64>() {
        Ok(n) if n.is_finite() => serde_json::Number::from_f64(n).map_or(Value::String(cell.into()), Value::Number),
        _ => Value::String(cell.into()),
    }
}

/// One line of the foreach-batch table: a batch and the rows it appended.
#[derive(Debug, Clone, PartialEq)]
pub struct TableLine {
    /// The batch id.
    pub batch: u64,
    /// Its rows.
    pub rows: Vec<Row>,
}

/// The foreach-batch table file's lines (`{"batch": N, "rows": [...]}`), in order.
pub fn parse_table(text: &str, schema: &[String]) -> Vec<TableLine> {
    text.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|line| {
            let batch = line.get("batch")?.as_u64()?;
            let rows = line.get("rows")?.as_array()?;
            let rows = rows.iter().filter_map(Value::as_object).map(|o| row_of(schema, o)).collect();
            Some(TableLine { batch, rows })
        })
        .collect()
}

/// A cell in a form both targets share: a number as its `f64` value (Spark prints `30.0` and
/// `1.0E20`, the engine may write `30` and `1e20`), a string that reads as a number likewise
/// (the console prints the string "42" and the number 42 alike), `NaN` and the infinities as
/// Spark writes them, null as `NULL`, any other string as itself.
pub fn canonical_cell(value: &Value) -> String {
    match value {
        Value::Null => "NULL".into(),
        Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), |f| format!("{f:?}")),
        Value::String(s) => match s.parse::<f64>() {
            Ok(f) => format!("{f:?}"),
            _ => s.clone(),
        },
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_console_sink_s_tables_are_read_back() {
        let text = "-------------------------------------------\nBatch: 0\n-------------------------------------------\n\
                    +-------+---------+----+\n|eventId|device_id|temp|\n+-------+---------+----+\n\
                    |e1     |d1       |21.5|\n|e1     |d2       |NULL|\n+-------+---------+----+\n\n\
                    -------------------------------------------\nBatch: 1\n-------------------------------------------\n\
                    +-------+---------+----+\n|eventId|device_id|temp|\n+-------+---------+----+\n+-------+---------+----+\n\n";
        let schema: Vec<String> = ["eventId", "device_id", "temp"].map(String::from).to_vec();
        let batches = parse_console(text, &schema);
        assert_eq!(batches.len(), 2);
        assert_eq!(
            batches[0].rows,
            vec![
                vec![Value::from("e1"), Value::from("d1"), Value::from(21.5)],
                vec![Value::from("e1"), Value::from("d2"), Value::Null],
            ]
        );
        assert_eq!((batches[1].batch, batches[1].rows.len()), (1, 0));
    }

    #[test]
    fn cells_compare_across_targets() {
        assert_eq!(canonical_cell(&Value::from(30)), canonical_cell(&Value::from(30.0)));
        assert_eq!(
            canonical_cell(&Value::from("42")),
            canonical_cell(&Value::from(42.0)),
            "a console cell has no type"
        );
        assert_eq!(canonical_cell(&Value::from("NaN")), "NaN");
        assert_eq!(canonical_cell(&Value::Null), "NULL");
        assert_eq!(canonical_cell(&Value::from("e1")), "e1");
        let table = "{\"batch\": 0, \"rows\": [{\"eventId\": \"e1\", \"temp\": 21.5}]}\n";
        let schema: Vec<String> = ["eventId", "device_id", "temp"].map(String::from).to_vec();
        assert_eq!(parse_table(table, &schema)[0].rows[0], vec![Value::from("e1"), Value::Null, Value::from(21.5)]);
    }
}

/// Text about a Spark run with what legitimately differs from run to run taken out: the temp
/// directory becomes `/scenario` (as on the engine's disk), UUIDs (query, run and part-file
/// ids) become `<uuid>`.
pub fn normalise(text: &str, root: &std::path::Path) -> String {
    let text = text.replace(&root.display().to_string(), crate::scenario::ROOT);
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if is_uuid(&bytes[i..]) && (i == 0 || !bytes[i - 1].is_ascii_hexdigit()) {
            out += "<uuid>";
            i += 36;
        } else {
            let ch = text[i..].chars().next().expect("in bounds");
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

fn is_uuid(bytes: &[u8]) -> bool {
    bytes.len() >= 36
        && bytes[..36].iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod normalise_tests {
    use super::*;

    #[test]
    fn temp_paths_and_uuids_are_normalised() {
        let root = std::path::Path::new("/tmp/crashpoint-spark-scenario-x1");
        let text =
            "Query [id = cdf85618-5346-45a8-af1a-900d3664472d] at /tmp/crashpoint-spark-scenario-x1/checkpoint/commits";
        assert_eq!(normalise(text, root), "Query [id = <uuid>] at /scenario/checkpoint/commits");
    }
}
