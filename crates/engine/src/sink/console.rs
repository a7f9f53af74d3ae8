//! The console sink: Spark's `show()` tables under a `Batch: N` header. It keeps no log, so a
//! re-run batch prints again.

use super::{Batch, Sink, SinkError, SinkOutcome};
use crate::checkpoint::WriteCtx;
use crate::faults::CrashPoint;
use crate::guarantee::Guarantee;
use crate::json::show_value;
use crate::plan::Row;
use std::io::Write;

/// Spark's default `numRows` for the console sink.
pub const SHOW_ROWS_MAX: usize = 20;

/// Prints batches to a writer.
pub struct ConsoleSink {
    out: Box<dyn Write + Send>,
}

impl ConsoleSink {
    /// A console sink printing to `out`.
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        Self { out }
    }
}

/// Spark's `show()` rendering: right-aligned cells, at most [`SHOW_ROWS_MAX`] rows, strings
/// cut to 20 characters.
pub fn render_table(schema: &[String], rows: &[Row]) -> String {
    let cell =
        |s: String| if s.chars().count() > 20 { format!("{}...", s.chars().take(17).collect::<String>()) } else { s };
    let shown: Vec<Vec<String>> =
        rows.iter().take(SHOW_ROWS_MAX).map(|r| r.iter().map(|v| cell(show_value(v))).collect()).collect();
    let widths: Vec<usize> = schema
        .iter()
        .enumerate()
        .map(|(i, name)| shown.iter().map(|r| r[i].chars().count()).chain([name.chars().count(), 3]).max().unwrap_or(3))
        .collect();
    let rule: String = widths.iter().map(|w| format!("+{}", "-".repeat(*w))).collect::<String>() + "+\n";
    let line = |cells: &[String]| -> String {
        cells.iter().zip(&widths).map(|(c, w)| format!("|{c:>w$}")).collect::<String>() + "|\n"
    };
    let mut table = rule.clone() + &line(schema) + &rule;
    for row in &shown {
        table += &line(row);
    }
    table += &rule;
    if rows.len() > SHOW_ROWS_MAX {
        table += &format!("only showing top {SHOW_ROWS_MAX} rows\n");
    }
    table
}

impl Sink for ConsoleSink {
    fn kind(&self) -> &'static str {
        "console"
    }

    fn guarantee(&self) -> Guarantee {
        Guarantee::AtLeastOnce
    }

    fn add_batch(&mut self, ctx: &mut WriteCtx<'_>, batch: Batch<'_>) -> Result<SinkOutcome, SinkError> {
        let rule = "-------------------------------------------";
        let text = format!("{rule}\nBatch: {}\n{rule}\n{}\n", batch.id, render_table(batch.schema, batch.rows));
        // A batch that did not reach the console must not be committed: a write error (a full
        // device, a closed pipe) fails the batch, which then runs again at the next start.
        self.out
            .write_all(text.as_bytes())
            .and_then(|_| self.out.flush())
            .map_err(|error| SinkError::Console { batch_id: batch.id, error })?;
        ctx.faults.hit(CrashPoint::DuringSinkWrite)?;
        Ok(SinkOutcome::Written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn table_matches_spark_show() {
        let schema: Vec<String> = ["eventId", "device_id", "temp"].map(String::from).to_vec();
        let rows = vec![vec![json!("e1"), json!("d1"), json!(21.5)], vec![json!("e1"), json!("d2"), json!(19.0)]];
        let expected = "+-------+---------+----+\n\
                        |eventId|device_id|temp|\n\
                        +-------+---------+----+\n\
                        |     e1|       d1|21.5|\n\
                        |     e1|       d2|19.0|\n\
                        +-------+---------+----+\n";
        assert_eq!(render_table(&schema, &rows), expected);
    }

    #[test]
    fn long_tables_are_cut_like_spark() {
        let schema = vec!["a".to_string()];
        let rows: Vec<Row> = (0..25).map(|i| vec![json!(i)]).collect();
        let table = render_table(&schema, &rows);
        assert!(table.ends_with("only showing top 20 rows\n"));
        assert_eq!(table.lines().filter(|l| l.starts_with('|')).count(), 21);
        let long = render_table(&schema, &[vec![json!("abcdefghijklmnopqrstuvwxyz")]]);
        assert!(long.contains("|abcdefghijklmnopq...|"));
    }
}
