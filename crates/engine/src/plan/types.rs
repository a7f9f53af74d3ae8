//! The type of each output column, resolved from the input schema as Spark's analyzer resolves
//! it: an explode binds its alias to the array's element type, a select path descends struct
//! fields, the processing time is a TIMESTAMP. Used to read a sink's output back with its types
//! (Spark's reader infers `temp` as a STRING once a `"NaN"` is in it). It never evaluates rows.

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
}
