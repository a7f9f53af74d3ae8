//! Resolving a plan's column names against the input schema, as Spark's analyzer does when the
//! query is defined (measured in Spark 4.3, `spark/FINDINGS.md` Q17 and Q19):
//!
//! - names match case-insensitively (Spark's default, `spark.sql.caseSensitive` false) and are
//!   rewritten to the schema's own spelling, so rows are read by the names records hold;
//! - an explode binds its alias to the array's element type, the innermost binding first;
//! - a filter after the select sees the output columns, with the processing time a TIMESTAMP.
//!
//! A name that resolves to nothing, a field of something that is no struct, or an explode of
//! something that is no array refuses the plan before any batch, in words naming the column.
//! It never evaluates rows.

use super::PlanError;
use super::column::Condition;
use super::eval::{After, Before, CompiledPlan};
use crate::schema::{DataType, Schema};

/// The names a path can start from: the record's fields or the output columns, then the
/// bindings of explodes (searched innermost first).
struct Scope {
    roots: Vec<(String, DataType)>,
    bindings: Vec<(String, DataType)>,
}

/// Spark refuses each of these plans too, before any batch: the suffix says so once.
const SPARK_TOO: &str = "(Spark refuses this query too, before any batch)";

impl CompiledPlan {
    /// This plan with every column name resolved against `schema`, or the first name that does
    /// not resolve, as Spark's analyzer refuses it.
    pub fn resolve(mut self, schema: &Schema) -> Result<CompiledPlan, PlanError> {
        let mut scope = Scope { roots: fields_of(&schema.record_type()), bindings: Vec::new() };
        for step in &mut self.before {
            match step {
                Before::Explode { path, alias } => {
                    let column = path.join(".");
                    let (canonical, ty) = scope.resolve(path).map_err(|why| refused("explode", &column, &why))?;
                    let DataType::Array(element) = ty else {
                        let why = format!("the schema gives {column} the type {ty}, and only an ARRAY can be exploded");
                        return Err(refused("explode", &column, &why));
                    };
                    *path = canonical;
                    scope.bindings.push((alias.clone(), *element));
                }
                Before::Filter(condition) => scope.resolve_condition(condition)?,
            }
        }
        let mut outputs = Vec::with_capacity(self.select.len());
        for column in &mut self.select {
            let text = column.path.join(".");
            let (canonical, ty) = scope.resolve(&column.path).map_err(|why| refused("select", &text, &why))?;
            column.path = canonical;
            outputs.push((column.alias.clone(), ty));
        }
        self.set_select_roots();
        let mut after_scope = Scope { roots: outputs, bindings: Vec::new() };
        let names = self.schema()[after_scope.roots.len()..].to_vec();
        let mut times = names.into_iter();
        for step in &mut self.after {
            match step {
                After::ProcessingTime => {
                    let name = times.next().expect("each processing-time step names one output column");
                    after_scope.roots.push((name, DataType::Timestamp));
                }
                After::Filter(condition) => after_scope.resolve_condition(condition)?,
            }
        }
        Ok(self)
    }
}

impl Scope {
    fn resolve_condition(&self, condition: &mut Condition) -> Result<(), PlanError> {
        let text = condition.to_string();
        let path = match condition {
            Condition::Compare { path, .. } | Condition::IsNull { path, .. } => path,
        };
        let (canonical, _) = self.resolve(path).map_err(|why| refused("filter", &text, &why))?;
        *path = canonical;
        Ok(())
    }

    /// The path in the spelling the schema (or the select, or an alias) gives it, and its type;
    /// `Err` says why it resolves to nothing.
    fn resolve(&self, path: &[String]) -> Result<(Vec<String>, DataType), String> {
        let (first, rest) = path.split_first().ok_or("an empty column path")?;
        let (name, mut ty) = match self.bindings.iter().rev().find(|(alias, _)| alias.eq_ignore_ascii_case(first)) {
            Some((alias, ty)) => (alias.clone(), ty.clone()),
            None => one_named(&self.roots, first).map_err(|many| {
                if many {
                    format!("the name {first} matches more than one column (names match without regard to case)")
                } else {
                    let known: Vec<&str> = self.roots.iter().chain(&self.bindings).map(|(n, _)| n.as_str()).collect();
                    format!("no column is named {first} (there are: {})", known.join(", "))
                }
            })?,
        };
        let mut canonical = vec![name];
        for segment in rest {
            let fields = match &ty {
                DataType::Struct(_) => fields_of(&ty),
                DataType::Array(_) => {
                    return Err(format!(
                        "{} is an ARRAY: a field of each element is not modelled (Spark gives an array of them); \
                         explode it first",
                        canonical.join(".")
                    ));
                }
                other => return Err(format!("{} has the type {other}: only a STRUCT has fields", canonical.join("."))),
            };
            let (field, field_ty) = one_named(&fields, segment).map_err(|many| {
                let of = canonical.join(".");
                if many {
                    format!("{of} has more than one field named {segment}")
                } else {
                    format!("{of} has no field {segment}")
                }
            })?;
            canonical.push(field);
            ty = field_ty;
        }
        Ok((canonical, ty))
    }
}

/// The one entry named `name` without regard to case; `Err(true)` when several are.
fn one_named(entries: &[(String, DataType)], name: &str) -> Result<(String, DataType), bool> {
    let mut found = entries.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name));
    match (found.next(), found.next()) {
        (Some(one), None) => Ok(one.clone()),
        (Some(_), Some(_)) => Err(true),
        (None, _) => Err(false),
    }
}

fn fields_of(ty: &DataType) -> Vec<(String, DataType)> {
    match ty {
        DataType::Struct(fields) => fields.iter().map(|f| (f.name.clone(), f.data_type.clone())).collect(),
        _ => Vec::new(),
    }
}

fn refused(op: &str, what: &str, why: &str) -> PlanError {
    PlanError(format!("{op} {what}: {why} {SPARK_TOO}"))
}

#[cfg(test)]
mod tests {
    use crate::plan::Plan;
    use crate::schema::Schema;

    fn resolved(steps: &str) -> Result<String, String> {
        let plan: Plan = serde_json::from_str(steps).unwrap();
        let compiled = plan.compile().map_err(|e| e.0)?;
        let compiled = compiled.resolve(&Schema::tutorial()).map_err(|e| e.0)?;
        let select: Vec<String> = compiled.select.iter().map(|c| c.path.join(".")).collect();
        Ok(select.join(","))
    }

    #[test]
    fn names_resolve_without_regard_to_case_to_the_schemas_spelling() {
        // Goal: Spark 4.3 reads `EVENTID` as `eventId` (Q19); so must the engine, not as NULL.
        let got = resolved(
            r#"[{"op":"explode","column":"DATA.Devices","as":"d"},{"op":"filter","condition":"D.TEMPERATURE > 1"},
                {"op":"select","columns":["EVENTID","d.deviceid as id"]},{"op":"filter","condition":"ID is not null"}]"#,
        );
        assert_eq!(got.as_deref(), Ok("eventId,d.deviceId"));
    }

    #[test]
    fn a_name_the_schema_lacks_refuses_the_plan_in_words() {
        // Goal: each plan Spark's analyzer refuses (Q17, Q19) is refused, naming the column.
        let select = |column: &str| format!(r#"[{{"op":"select","columns":["{column}"]}}]"#);
        let cases = [
            (select("nope"), "select nope: no column is named nope (there are: eventId, data)"),
            (select("data.nope"), "select data.nope: data has no field nope"),
            (select("eventId.x"), "select eventId.x: eventId has the type STRING: only a STRUCT has fields"),
            (select("data.devices.deviceId"), "data.devices is an ARRAY"),
            (
                r#"[{"op":"filter","condition":"nope > 1"},{"op":"select","columns":["eventId"]}]"#.into(),
                "filter nope > 1: no column is named nope",
            ),
            (
                r#"[{"op":"select","columns":["eventId"]},{"op":"filter","condition":"data is null"}]"#.into(),
                "filter data is null: no column is named data (there are: eventId)",
            ),
            (
                r#"[{"op":"explode","column":"eventId","as":"d"},{"op":"select","columns":["d"]}]"#.into(),
                "explode eventId: the schema gives eventId the type STRING, and only an ARRAY can be exploded",
            ),
            (
                r#"[{"op":"explode","column":"data.nope","as":"d"},{"op":"select","columns":["d"]}]"#.into(),
                "explode data.nope: data has no field nope",
            ),
            (
                r#"[{"op":"explode","column":"data.devices","as":"d"},{"op":"explode","column":"d.deviceId","as":"e"},
                    {"op":"select","columns":["e"]}]"#
                    .into(),
                "the schema gives d.deviceId the type STRING, and only an ARRAY can be exploded",
            ),
            (
                r#"[{"op":"explode","column":"data.devices","as":"d"},{"op":"select","columns":["d.nope"]}]"#.into(),
                "select d.nope: d has no field nope",
            ),
        ];
        for (steps, words) in cases {
            let got = resolved(&steps);
            assert!(
                got.as_ref().is_err_and(|e| e.contains(words) && e.ends_with(super::SPARK_TOO)),
                "{steps}: {got:?}"
            );
        }
    }

    #[test]
    fn the_processing_time_and_aliases_are_columns_after_the_select() {
        let got = resolved(
            r#"[{"op":"select","columns":["eventId as e"]},{"op":"processing-time","as":"t"},
                {"op":"filter","condition":"T is not null"},{"op":"filter","condition":"e = \"x\""}]"#,
        );
        assert_eq!(got.as_deref(), Ok("eventId"));
    }
}
