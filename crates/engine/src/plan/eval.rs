//! Evaluating a plan on one record. Explode and filter steps before the select work on
//! borrowed JSON (a `&Value` or a record on a parse tape, through [`JsonView`]), so exploding a
//! record never copies it; only the selected values are copied into the row.

use super::column::{CmpOp, Column, Condition};
use super::{Plan, PlanError, Step};
use crate::json::{JsonView, NodeRef};
use serde_json::Value;
use std::cmp::Ordering;

/// An output row: one value per column of the schema.
pub type Row = Vec<Value>;

/// Where a plan's rows go, one at a time: gathered in a `Vec<Row>`, or encoded straight away
/// (a sink's part format, on the task's thread).
pub(crate) trait RowOut {
    /// True if it takes rows as the record's borrowed values ([`RowOut::push_views`]) when the
    /// plan needs no row of values (no filter after the select).
    const TAKES_VIEWS: bool = false;

    /// Takes one row, in the plan's order.
    fn push_row(&mut self, row: Row);

    /// An empty row to fill with `width` values: a fresh one, or one handed back to be reused.
    fn empty_row(&mut self, width: usize) -> Row {
        Vec::with_capacity(width)
    }

    /// Takes one row as its selected values, borrowed from the record (`None`: missing), then
    /// `times` copies of the processing time: what [`RowOut::push_row`] would get, uncopied.
    fn push_views<J: JsonView>(&mut self, selected: impl Iterator<Item = Option<J>>, time: &Value, times: usize) {
        let mut row: Row = selected.map(|value| value.map_or(Value::Null, J::to_value)).collect();
        row.extend(std::iter::repeat_n(time, times).cloned());
        self.push_row(row);
    }
}

impl RowOut for Vec<Row> {
    fn push_row(&mut self, row: Row) {
        self.push(row);
    }
}

#[derive(Debug, Clone)]
pub(super) enum Before {
    Explode { path: Vec<String>, alias: String },
    Filter(Condition),
}

#[derive(Debug, Clone)]
pub(super) enum After {
    Filter(Condition),
    ProcessingTime,
}

/// A checked plan, ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledPlan {
    pub(super) before: Vec<Before>,
    pub(super) select: Vec<Column>,
    /// For each selected column, the explode (counted from the first) whose element its path
    /// starts from, or `None` for the record: decided once, as name lookups would each time.
    select_roots: Vec<Option<usize>>,
    pub(super) after: Vec<After>,
    /// True when every step after the select adds the processing time (no filter): a row is
    /// then its selected values and the times, and needs no values to be evaluated on.
    times_only: bool,
    schema: Vec<String>,
}

impl CompiledPlan {
    pub(super) fn new(plan: &Plan) -> Result<Self, PlanError> {
        let mut compiled = CompiledPlan {
            before: vec![],
            select: vec![],
            select_roots: vec![],
            after: vec![],
            times_only: true,
            schema: vec![],
        };
        let mut selected = false;
        for step in &plan.steps {
            match (step, selected) {
                (Step::Explode { column, alias }, false) => {
                    let path = column.split('.').map(str::to_string).collect();
                    compiled.before.push(Before::Explode { path, alias: alias.clone() });
                }
                (Step::Filter { condition }, false) => compiled.before.push(Before::Filter(condition.clone())),
                (Step::Select { columns }, false) => {
                    compiled.schema = columns.iter().map(|c| c.alias.clone()).collect();
                    compiled.select = columns.clone();
                    compiled.set_select_roots();
                    selected = true;
                }
                (Step::Filter { condition }, true) => {
                    compiled.times_only = false;
                    compiled.after.push(After::Filter(condition.clone()));
                }
                (Step::ProcessingTime { alias }, true) => {
                    compiled.schema.push(alias.clone());
                    compiled.after.push(After::ProcessingTime);
                }
                (Step::Select { .. }, true) => return Err(PlanError("a plan has one select step".into())),
                (Step::Explode { .. }, true) => return Err(PlanError("explode must come before select".into())),
                (Step::ProcessingTime { .. }, false) => {
                    return Err(PlanError("processing-time must come after select".into()));
                }
            }
        }
        if !selected {
            return Err(PlanError("a plan needs a select step, which names the output columns".into()));
        }
        let mut names = compiled.schema.clone();
        names.sort();
        if let Some(pair) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(PlanError(format!("the output column '{}' is named twice", pair[0])));
        }
        Ok(compiled)
    }

    /// Decides, for each selected column, the explode its path starts from.
    pub(super) fn set_select_roots(&mut self) {
        let aliases: Vec<&str> = self
            .before
            .iter()
            .filter_map(|b| if let Before::Explode { alias, .. } = b { Some(alias.as_str()) } else { None })
            .collect();
        // The innermost binding of a name wins, as in `resolve`.
        self.select_roots = self
            .select
            .iter()
            .map(|c| c.path.first().and_then(|first| aliases.iter().rposition(|a| a == first)))
            .collect();
    }

    /// The output column names, in order.
    pub fn schema(&self) -> &[String] {
        &self.schema
    }

    /// Appends the rows of one record to `out`. An `Err` is the reason the record is bad.
    pub fn apply(&self, record: &Value, time: &Value, out: &mut Vec<Row>) -> Result<(), String> {
        self.walk(0, record, None, time, out)
    }

    /// [`CompiledPlan::apply`], into any [`RowOut`].
    pub(crate) fn apply_into(&self, record: &Value, time: &Value, out: &mut impl RowOut) -> Result<(), String> {
        self.walk(0, record, None, time, out)
    }

    /// [`CompiledPlan::apply`] on a record parsed onto a tape, without building its `Value`.
    pub(crate) fn apply_node(
        &self,
        record: NodeRef<'_, '_>,
        time: &Value,
        out: &mut impl RowOut,
    ) -> Result<(), String> {
        self.walk(0, record, None, time, out)
    }

    fn walk<J: JsonView>(
        &self,
        index: usize,
        record: J,
        bindings: Option<&Binding<'_, J>>,
        time: &Value,
        out: &mut impl RowOut,
    ) -> Result<(), String> {
        let Some(step) = self.before.get(index) else {
            self.emit(record, bindings, time, out);
            return Ok(());
        };
        match step {
            Before::Explode { path, alias } => match resolve(path, record, bindings) {
                None => Ok(()),
                Some(value) if value.is_null() => Ok(()),
                Some(value) => match value.items() {
                    Some(items) => {
                        let depth = bindings.map_or(0, |b| b.depth + 1);
                        for item in items {
                            let inner = Binding { name: alias, depth, value: item, outer: bindings };
                            self.walk(index + 1, record, Some(&inner), time, out)?;
                        }
                        Ok(())
                    }
                    None => {
                        Err(format!("{} is {}, not an array, so it cannot be exploded", path.join("."), value.kind()))
                    }
                },
            },
            Before::Filter(condition) => {
                if holds(condition, |path| resolve(path, record, bindings)) {
                    self.walk(index + 1, record, bindings, time, out)?;
                }
                Ok(())
            }
        }
    }

    fn emit<J: JsonView, O: RowOut>(&self, record: J, bindings: Option<&Binding<'_, J>>, time: &Value, out: &mut O) {
        let selected = self.select.iter().zip(&self.select_roots).map(|(column, root)| match root {
            Some(depth) => descend(bound_at(bindings, *depth), &column.path[1..]),
            None if column.path.is_empty() => None,
            None => descend(record, &column.path),
        });
        if O::TAKES_VIEWS && self.times_only {
            return out.push_views(selected, time, self.after.len());
        }
        let mut row = out.empty_row(self.schema.len());
        debug_assert!(row.is_empty(), "a row to fill starts empty");
        row.extend(selected.map(|value| value.map_or(Value::Null, J::to_value)));
        for step in &self.after {
            match step {
                After::ProcessingTime => row.push(time.clone()),
                After::Filter(condition) => {
                    if !holds(condition, |path| self.lookup(&row, path)) {
                        return;
                    }
                }
            }
        }
        out.push_row(row);
    }

    fn lookup<'r>(&self, row: &'r Row, path: &[String]) -> Option<&'r Value> {
        let index = self.schema.iter().position(|name| Some(name) == path.first())?;
        descend(row.get(index)?, &path[1..])
    }
}

/// An exploded element bound to its alias; the innermost binding comes first.
struct Binding<'b, J> {
    name: &'b str,
    /// Which explode bound it, counted from the first.
    depth: usize,
    value: J,
    outer: Option<&'b Binding<'b, J>>,
}

/// The element bound by the explode at `depth`, which is active whenever a row is emitted.
fn bound_at<J: JsonView>(bindings: Option<&Binding<'_, J>>, depth: usize) -> J {
    let mut binding = bindings.expect("every explode before the select is bound");
    while binding.depth != depth {
        binding = binding.outer.expect("every explode before the select is bound");
    }
    binding.value
}

/// The value at `path`; `None` when missing (which the plan treats as null).
fn descend<J: JsonView>(mut value: J, path: &[String]) -> Option<J> {
    for segment in path {
        value = value.get(segment)?;
    }
    Some(value)
}

fn resolve<J: JsonView>(path: &[String], record: J, bindings: Option<&Binding<'_, J>>) -> Option<J> {
    let first = path.first()?;
    let mut binding = bindings;
    while let Some(bound) = binding {
        if bound.name == first {
            return descend(bound.value, &path[1..]);
        }
        binding = bound.outer;
    }
    descend(record, path)
}

fn holds<J: JsonView>(condition: &Condition, resolve: impl Fn(&[String]) -> Option<J>) -> bool {
    match condition {
        Condition::IsNull { path, negated } => resolve(path).is_none_or(J::is_null) != *negated,
        Condition::Compare { path, op, value } => match resolve(path).and_then(|left| left.compare(value)) {
            None => false,
            Some(order) => match op {
                CmpOp::Eq => order == Ordering::Equal,
                CmpOp::Ne => order != Ordering::Equal,
                CmpOp::Lt => order == Ordering::Less,
                CmpOp::Le => order != Ordering::Greater,
                CmpOp::Gt => order == Ordering::Greater,
                CmpOp::Ge => order != Ordering::Less,
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(plan: &Plan, record: Value) -> Result<Vec<Row>, String> {
        let mut out = Vec::new();
        plan.compile().unwrap().apply(&record, &json!("T"), &mut out).map(|_| out)
    }

    #[test]
    fn tutorial_query_explodes_devices() {
        let record = json!({"eventId": "e1", "data": {"devices": [
            {"deviceId": "d1", "temperature": 21.5}, {"deviceId": "d2", "temperature": 19.0}]}});
        let rows = run(&Plan::tutorial(), record).unwrap();
        assert_eq!(
            rows,
            vec![
                vec![json!("e1"), json!("d1"), json!(21.5), json!("T")],
                vec![json!("e1"), json!("d2"), json!(19.0), json!("T")]
            ]
        );
        assert_eq!(Plan::tutorial().compile().unwrap().schema(), ["eventId", "device_id", "temp", "processing_time"]);
    }

    #[test]
    fn empty_missing_and_null_arrays_give_no_rows() {
        for record in [
            json!({"eventId": "e3", "data": {"devices": []}}),
            json!({"eventId": "e3"}),
            json!({"data": {"devices": null}}),
        ] {
            assert_eq!(run(&Plan::tutorial(), record).unwrap(), Vec::<Row>::new());
        }
    }

    #[test]
    fn a_non_array_is_a_bad_record() {
        let err = run(&Plan::tutorial(), json!({"data": {"devices": "d1"}})).unwrap_err();
        assert!(err.contains("data.devices is a string, not an array"), "{err}");
    }

    #[test]
    fn missing_fields_are_null() {
        let rows = run(&Plan::tutorial(), json!({"data": {"devices": [{"deviceId": "d9"}]}})).unwrap();
        assert_eq!(rows[0][..3], [Value::Null, json!("d9"), Value::Null]);
    }

    #[test]
    fn filters_before_and_after_select() {
        let mut plan = Plan::tutorial_without_time();
        plan.steps.insert(1, Step::Filter { condition: "device.temperature > 20".parse().unwrap() });
        plan.steps.push(Step::Filter { condition: "device_id != \"d7\"".parse().unwrap() });
        let record = json!({"eventId": "e", "data": {"devices": [
            {"deviceId": "d1", "temperature": 25}, {"deviceId": "d2", "temperature": 5},
            {"deviceId": "d7", "temperature": 30}, {"deviceId": "d8", "temperature": "hot"}]}});
        let rows = run(&plan, record).unwrap();
        assert_eq!(rows, vec![vec![json!("e"), json!("d1"), json!(25)]]);
    }

    fn nested_plan(second_alias: &str, columns: &[&str]) -> Plan {
        Plan {
            steps: vec![
                Step::Explode { column: "groups".into(), alias: "g".into() },
                Step::Explode { column: "g.items".into(), alias: second_alias.into() },
                Step::Select { columns: columns.iter().map(|c| c.parse().unwrap()).collect() },
            ],
        }
    }

    #[test]
    fn nested_explodes_and_shadowed_names() {
        let record =
            json!({"id": 7, "groups": [{"name": "a", "items": [{"v": 1}, {"v": 2}]}, {"name": "b", "items": []}]});
        let rows = run(&nested_plan("i", &["id", "g.name", "i.v"]), record.clone()).unwrap();
        assert_eq!(rows, vec![vec![json!(7), json!("a"), json!(1)], vec![json!(7), json!("a"), json!(2)]]);
        // The inner `g` hides the outer one.
        let rows = run(&nested_plan("g", &["g.v", "g.name as n"]), record).unwrap();
        assert_eq!(rows, vec![vec![json!(1), Value::Null], vec![json!(2), Value::Null]]);
    }

    #[test]
    fn records_on_a_tape_give_the_same_rows_and_errors_as_values() {
        let mut filtered = Plan::tutorial();
        filtered.steps.insert(1, Step::Filter { condition: "device.temperature >= 20".parse().unwrap() });
        filtered.steps.insert(1, Step::Filter { condition: "device.deviceId is not null".parse().unwrap() });
        filtered.steps.push(Step::Filter { condition: "device_id < \"d5\"".parse().unwrap() });
        let plans =
            [Plan::tutorial(), filtered, nested_plan("i", &["id", "g.name", "i.v"]), nested_plan("g", &["g.v"])];
        let records = [
            r#"{"eventId":"e1","data":{"devices":[{"deviceId":"d1","temperature":21.5},{"deviceId":"d9","temperature":19}]}}"#,
            r#"{"eventId":"e2","data":{"devices":[{"deviceId":"d\u0031","temperature":2e1},{"temperature":true}]}}"#,
            r#"{"eventId":"e3","data":{"devices":"d1"},"groups":[{"items":[{"v":-0},{"v":null}]},{"items":3}]}"#,
            r#"{"eventId":"e4","data":{"devices":[1,[2],null,{"deviceId":{"x":[1,{"y":2}]}}]},"data":{"devices":[{"a":1}]}}"#,
            r#"{"eventId":null,"data":null,"groups":[{"name":"n","items":[{"v":"s"}]}]}"#,
            r#"{}"#,
            r#"{"eventId":"q\"uote\u0001","id":-9223372036854775808,"data":{"devices":[{"deviceId":18446744073709551615,"temperature":-0.0},{"deviceId":false,"temperature":1e-7}]},"groups":[{"name":{"a":[1,null]},"items":[{"v":12345678.5}]}]}"#,
        ];
        for plan in &plans {
            let compiled = plan.compile().unwrap();
            for record in records {
                let value: Value = serde_json::from_str(record).unwrap();
                let mut expected = Vec::new();
                let expected_result = compiled.apply(&value, &json!("T"), &mut expected);
                let mut tape = crate::json::Tape::default();
                tape.parse(record.as_bytes()).unwrap();
                let mut got = Vec::new();
                let got_result = compiled.apply_node(tape.root(), &json!("T"), &mut got);
                assert_eq!(got_result, expected_result, "{record}");
                assert_eq!(format!("{got:?}"), format!("{expected:?}"), "{record}");
                // Encoded straight from the tape, the rows are the bytes of the values' rows.
                let writer = crate::json::RowWriter::new(compiled.schema());
                let mut views = Written { writer: writer.clone(), bytes: Vec::new() };
                assert_eq!(compiled.apply_node(tape.root(), &json!("T"), &mut views), expected_result);
                let mut bytes = Vec::new();
                for row in &expected {
                    writer.write(row, &mut bytes);
                    bytes.push(b'\n');
                }
                assert_eq!(String::from_utf8(views.bytes).unwrap(), String::from_utf8(bytes).unwrap(), "{record}");
            }
        }
    }

    /// Rows written as they come, from the record's values where the plan allows.
    struct Written {
        writer: crate::json::RowWriter,
        bytes: Vec<u8>,
    }

    impl RowOut for Written {
        const TAKES_VIEWS: bool = true;

        fn push_row(&mut self, row: Row) {
            self.writer.write(&row, &mut self.bytes);
            self.bytes.push(b'\n');
        }

        fn push_views<J: JsonView>(&mut self, selected: impl Iterator<Item = Option<J>>, time: &Value, times: usize) {
            self.writer.write_views(selected, time, times, &mut self.bytes);
            self.bytes.push(b'\n');
        }
    }

    #[test]
    fn invalid_plans() {
        let select = Step::Select { columns: vec!["a".parse().unwrap()] };
        let time = Step::ProcessingTime { alias: "a".into() };
        let cases = [
            (vec![], "needs a select"),
            (vec![select.clone(), select.clone()], "one select"),
            (vec![time.clone(), select.clone()], "after select"),
            (vec![select.clone(), time], "named twice"),
        ];
        for (steps, expected) in cases {
            let err = Plan { steps }.compile().unwrap_err();
            assert!(err.0.contains(expected), "{err}");
        }
    }
}
