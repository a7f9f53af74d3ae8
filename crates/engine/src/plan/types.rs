//! The type of each output column, resolved from the input schema as Spark's analyzer resolves
//! it: an explode binds its alias to the array's element type, a select path descends struct
//! fields, the processing time is a TIMESTAMP. Used to read a sink's output back with its types
//! (Spark's reader infers `temp` as a STRING once a `"NaN"` is in it). It never evaluates rows.

use super::PlanError;
use super::eval::{After, Before, CompiledPlan};
use crate::schema::{DataType, Field, Schema};

impl CompiledPlan {
    /// The output columns with their types; a path the schema does not hold has none.
    pub fn column_types(&self, schema: &Schema) -> Vec<(String, Option<DataType>)> {
        let record = schema.record_type();
        let mut bindings: Vec<(&str, Option<DataType>)> = Vec::new();
        for step in &self.before {
            if let Before::Explode { path, alias } = step {
                let element = match resolve(path, &record, &bindings) {
                    Some(DataType::Array(element)) => Some(*element),
                    _ => None,
                };
                bindings.push((alias, element));
            }
        }
        let mut types: Vec<Option<DataType>> =
            self.select.iter().map(|c| resolve(&c.path, &record, &bindings)).collect();
        types.extend(
            self.after.iter().filter(|a| matches!(a, After::ProcessingTime)).map(|_| Some(DataType::Timestamp)),
        );
        self.schema().iter().cloned().zip(types).collect()
    }

    /// Refuses an explode of a path the schema does not hold, or holds as another type than an
    /// array, as Spark's analyzer does when the query is defined, before any batch
    /// (`DATATYPE_MISMATCH`, `FIELD_NOT_FOUND`, `UNRESOLVED_COLUMN`; measured in Spark 4.3).
    /// Without this, every record would be refused at run time and none would ever be read.
    pub fn check_explodes(&self, schema: &Schema) -> Result<(), PlanError> {
        let record = schema.record_type();
        let mut bindings: Vec<(&str, Option<DataType>)> = Vec::new();
        for step in &self.before {
            let Before::Explode { path, alias } = step else { continue };
            let column = path.join(".");
            match resolve(path, &record, &bindings) {
                Some(DataType::Array(element)) => bindings.push((alias, Some(*element))),
                Some(other) => {
                    return Err(PlanError(format!(
                        "explode {column}: the schema gives {column} the type {other}, and only an ARRAY can be \
                         exploded (Spark refuses this query too, before any batch)"
                    )));
                }
                None => {
                    return Err(PlanError(format!(
                        "explode {column}: the schema has no column {column} (Spark refuses this query too, before \
                         any batch)"
                    )));
                }
            }
        }
        Ok(())
    }

    /// The output as a schema, for a reader: a column of no known type, or the processing time
    /// (written as an ISO string), is read as a STRING.
    pub fn output_schema(&self, schema: &Schema) -> Schema {
        let fields = self.column_types(schema).into_iter().map(|(name, data_type)| {
            let data_type = match data_type {
                Some(DataType::Timestamp) | None => DataType::String,
                Some(known) => known,
            };
            Field { name, data_type }
        });
        Schema { fields: fields.collect() }
    }
}

/// The type at `path`: from the innermost explode binding its first segment, else the record.
fn resolve(path: &[String], record: &DataType, bindings: &[(&str, Option<DataType>)]) -> Option<DataType> {
    let (first, rest) = path.split_first()?;
    let (mut ty, rest) = match bindings.iter().rev().find(|(name, _)| name == first) {
        Some((_, bound)) => (bound.clone()?, rest),
        None => (record.clone(), path),
    };
    for segment in rest {
        ty = ty.field(segment)?.clone();
    }
    Some(ty)
}

#[cfg(test)]
mod tests {
    use crate::plan::Plan;
    use crate::schema::Schema;

    #[test]
    fn the_tutorials_columns_have_sparks_types() {
        let compiled = Plan::tutorial().compile().unwrap();
        let shown = compiled.output_schema(&Schema::tutorial()).to_string();
        assert_eq!(shown, "eventId STRING, device_id STRING, temp DOUBLE, processing_time STRING");
        let nested: Plan = serde_json::from_str(
            r#"[{"op":"explode","column":"data.devices","as":"d"},{"op":"select","columns":["d","nope","d.x"]}]"#,
        )
        .unwrap();
        let types = nested.compile().unwrap().column_types(&Schema::tutorial());
        let shown: Vec<String> = types.iter().map(|(n, t)| format!("{n}: {t:?}")).collect();
        assert_eq!(shown[1..], ["nope: None".to_string(), "x: None".to_string()]);
        assert_eq!(types[0].1.as_ref().unwrap().to_string(), "STRUCT<deviceId: STRING, temperature: DOUBLE>");
    }

    #[test]
    fn an_explode_needs_an_array_the_schema_holds() {
        // Goal: the plans Spark's analyzer refuses are refused before any batch, in words.
        let select = r#"{"op":"select","columns":["eventId"]}"#;
        let plan = |json: &str| {
            let json = format!("{},{select}]", json.strip_suffix(']').unwrap());
            serde_json::from_str::<Plan>(&json).unwrap().compile().unwrap()
        };
        let schema = Schema::tutorial();
        let cases = [
            (r#"[{"op":"explode","column":"data.devices","as":"d"}]"#, None),
            (
                r#"[{"op":"explode","column":"data.devices","as":"d"},{"op":"explode","column":"d.deviceId","as":"e"}]"#,
                Some("the schema gives d.deviceId the type STRING, and only an ARRAY can be exploded"),
            ),
            (r#"[{"op":"explode","column":"eventId","as":"d"}]"#, Some("the type STRING")),
            (r#"[{"op":"explode","column":"data.nope","as":"d"}]"#, Some("the schema has no column data.nope")),
            (r#"[{"op":"explode","column":"nope","as":"d"}]"#, Some("the schema has no column nope")),
        ];
        for (json, refused) in cases {
            let got = plan(json).check_explodes(&schema);
            match refused {
                None => assert_eq!(got, Ok(()), "{json}"),
                Some(words) => assert!(got.as_ref().is_err_and(|e| e.0.contains(words)), "{json}: {got:?}"),
            }
        }
    }
}
