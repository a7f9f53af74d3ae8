//! Reading JSON through one interface, whether it is a `serde_json::Value` or a tape node, so
//! that the plan has one evaluator for both.

use super::kind_of;
use super::tape::{Node, Tape};
use crate::schema::DataType;
use serde_json::Value;
use std::cmp::Ordering;

/// A value on a [`Tape`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeRef<'t, 'a> {
    pub(super) tape: &'t Tape<'a>,
    pub(super) index: usize,
}

impl<'t, 'a> NodeRef<'t, 'a> {
    fn node(self) -> Node {
        self.tape.nodes[self.index]
    }

    /// True for an object.
    pub(crate) fn is_object(self) -> bool {
        matches!(self.node(), Node::Object { .. })
    }

    /// The index after this value and its contents.
    fn end(self) -> usize {
        match self.node() {
            Node::Array { end } | Node::Object { end } => end as usize,
            _ => self.index + 1,
        }
    }

    /// The values directly inside an array, or the keys and values alternately inside an object.
    fn children(self) -> impl Iterator<Item = NodeRef<'t, 'a>> {
        let tape = self.tape;
        let (first, end) = match self.node() {
            Node::Array { end } | Node::Object { end } => (self.index + 1, end as usize),
            _ => (0, 0),
        };
        let mut next = first;
        std::iter::from_fn(move || {
            (next < end).then(|| {
                let child = NodeRef { tape, index: next };
                next = child.end();
                child
            })
        })
    }

    /// An object's members, in input order.
    fn members(self) -> impl Iterator<Item = (&'t str, NodeRef<'t, 'a>)> {
        let tape = self.tape;
        let mut children = self.children();
        std::iter::from_fn(move || {
            let key = children.next()?;
            let value = children.next().expect("a key is followed by its value");
            let Node::Key { start, len } = key.node() else { unreachable!("members alternate keys and values") };
            Some((tape.str(start, len), value))
        })
    }
}

impl NodeRef<'_, '_> {
    /// True when this value is already exactly what reading it with `ty` gives: every member a
    /// field of its struct, every scalar of its field's type (a DOUBLE a non-integer number, so
    /// that `30` still becomes `30.0`), nulls anywhere. Then the record needs no conversion;
    /// anything else goes through [`crate::schema::read`].
    pub(crate) fn fits(self, ty: &DataType) -> bool {
        match (self.node(), ty) {
            (Node::Null, _) => true,
            (Node::String { .. }, DataType::String) | (Node::F64(_), DataType::Double) => true,
            (Node::Bool(_), DataType::Boolean) => true,
            (Node::I64(_), DataType::Long) => true,
            (Node::U64(n), DataType::Long) => i64::try_from(n).is_ok(),
            (Node::I64(n), DataType::Int) => i32::try_from(n).is_ok(),
            (Node::U64(n), DataType::Int) => i32::try_from(n).is_ok(),
            (Node::Array { end }, DataType::Array(element)) => {
                let mut at = self.index + 1;
                while at < end as usize {
                    let item = NodeRef { tape: self.tape, index: at };
                    if !item.fits(element) {
                        return false;
                    }
                    at = item.end();
                }
                true
            }
            (Node::Object { end }, DataType::Struct(fields)) => self.members_fit(end as usize, fields),
            _ => false,
        }
    }

    /// True when every member of this object (its members end before `end`) is a field of
    /// `fields` and fits it. The hot path's loop, written out: records mostly list their members
    /// in the schema's order, so the field at the member's position is tried first.
    fn members_fit(self, end: usize, fields: &[crate::schema::Field]) -> bool {
        let mut at = self.index + 1;
        let mut position = 0;
        while at < end {
            let Node::Key { start, len } = self.tape.nodes[at] else {
                unreachable!("members alternate keys and values")
            };
            let field = match fields.get(position) {
                Some(field) if self.tape.str_is(start, len, &field.name) => Some(field),
                _ => fields.iter().find(|f| self.tape.str_is(start, len, &f.name)),
            };
            let value = NodeRef { tape: self.tape, index: at + 1 };
            if !field.is_some_and(|field| value.fits(&field.data_type)) {
                return false;
            }
            position += 1;
            at = value.end();
        }
        true
    }
}

/// Read access to a JSON value, owned (`&Value`) or borrowed ([`NodeRef`]): what the plan
/// evaluates on. Both must answer alike for the same JSON text.
pub(crate) trait JsonView: Copy {
    /// An object's member (the last, on a duplicate key); `None` for anything else.
    fn get(self, key: &str) -> Option<Self>;
    /// An array's elements; `None` for anything else.
    fn items(self) -> Option<impl Iterator<Item = Self>>;
    /// True for JSON null.
    fn is_null(self) -> bool;
    /// The type, in words, as [`kind_of`] says it.
    fn kind(self) -> &'static str;
    /// Orders two numbers, two strings or two booleans; `None` for anything else.
    fn compare(self, right: &Value) -> Option<Ordering>;
    /// The value, owned.
    fn to_value(self) -> Value;
    /// Appends the value as [`super::RowWriter`] writes `self.to_value()`, and returns true;
    /// writes nothing and returns false when that value is null (a row leaves it out).
    fn write_json(self, out: &mut Vec<u8>) -> bool {
        let value = self.to_value();
        if value.is_null() {
            return false;
        }
        super::writer::write_value(&value, out);
        true
    }
}

fn compare_scalars(left: Scalar<'_>, right: &Value) -> Option<Ordering> {
    match (left, right) {
        (Scalar::Number(a), Value::Number(b)) => a?.partial_cmp(&b.as_f64()?),
        (Scalar::String(a), Value::String(b)) => Some(a.cmp(b.as_str())),
        (Scalar::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

enum Scalar<'s> {
    /// As `Number::as_f64` gives it.
    Number(Option<f64>),
    String(&'s str),
    Bool(bool),
    Other,
}

impl JsonView for &Value {
    fn get(self, key: &str) -> Option<Self> {
        Value::get(self, key)
    }

    fn items(self) -> Option<impl Iterator<Item = Self>> {
        self.as_array().map(|items| items.iter())
    }

    fn is_null(self) -> bool {
        Value::is_null(self)
    }

    fn kind(self) -> &'static str {
        kind_of(self)
    }

    fn compare(self, right: &Value) -> Option<Ordering> {
        let left = match self {
            Value::Number(n) => Scalar::Number(n.as_f64()),
            Value::String(s) => Scalar::String(s),
            Value::Bool(b) => Scalar::Bool(*b),
            _ => Scalar::Other,
        };
        compare_scalars(left, right)
    }

    fn to_value(self) -> Value {
        self.clone()
    }
}

impl JsonView for NodeRef<'_, '_> {
    fn get(self, key: &str) -> Option<Self> {
        let Node::Object { end } = self.node() else { return None };
        let (nodes, end) = (&self.tape.nodes, end as usize);
        let mut found = None;
        let mut at = self.index + 1;
        while at < end {
            let value = NodeRef { tape: self.tape, index: at + 1 };
            if let Node::Key { start, len } = nodes[at]
                && self.tape.str_is(start, len, key)
            {
                found = Some(value);
            }
            at = value.end();
        }
        found
    }

    fn items(self) -> Option<impl Iterator<Item = Self>> {
        matches!(self.node(), Node::Array { .. }).then(|| self.children())
    }

    fn is_null(self) -> bool {
        matches!(self.node(), Node::Null)
    }

    fn kind(self) -> &'static str {
        match self.node() {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::U64(_) | Node::I64(_) | Node::F64(_) => "a number",
            Node::String { .. } | Node::Key { .. } => "a string",
            Node::Array { .. } => "an array",
            Node::Object { .. } => "an object",
        }
    }

    fn compare(self, right: &Value) -> Option<Ordering> {
        let left = match self.node() {
            // What `Number::as_f64` gives for each.
            Node::U64(n) => Scalar::Number(Some(n as f64)),
            Node::I64(n) => Scalar::Number(Some(n as f64)),
            Node::F64(f) => Scalar::Number(Some(f)),
            Node::String { start, len } => Scalar::String(self.tape.str(start, len)),
            Node::Bool(b) => Scalar::Bool(b),
            _ => Scalar::Other,
        };
        compare_scalars(left, right)
    }

    fn write_json(self, out: &mut Vec<u8>) -> bool {
        // The scalars the hot path meets, without building their `Value`; the rest as it.
        match self.node() {
            Node::Null => false,
            // `to_value` makes a non-finite double null.
            Node::F64(f) if !f.is_finite() => false,
            Node::F64(f) => {
                super::write_java_double(f, out);
                true
            }
            Node::String { start, len } => {
                match self.tape.plain(start, len) {
                    Some(bytes) => {
                        out.reserve(bytes.len() + 2);
                        out.push(b'"');
                        out.extend_from_slice(bytes);
                        out.push(b'"');
                    }
                    None => super::writer::write_str(self.tape.str(start, len), out),
                }
                true
            }
            Node::I64(n) => {
                if n < 0 {
                    out.push(b'-');
                }
                out.extend_from_slice(super::double::decimal(n.unsigned_abs(), &mut [0; 20]));
                true
            }
            Node::U64(n) => {
                out.extend_from_slice(super::double::decimal(n, &mut [0; 20]));
                true
            }
            Node::Bool(b) => {
                out.extend_from_slice(if b { b"true" } else { b"false" });
                true
            }
            Node::Array { .. } | Node::Object { .. } | Node::Key { .. } => {
                super::writer::write_value(&self.to_value(), out);
                true
            }
        }
    }

    fn to_value(self) -> Value {
        match self.node() {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(b),
            Node::U64(n) => Value::Number(n.into()),
            Node::I64(n) => Value::Number(n.into()),
            Node::F64(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
            Node::String { start, len } | Node::Key { start, len } => {
                Value::String(self.tape.str(start, len).to_owned())
            }
            Node::Array { .. } => Value::Array(self.children().map(Self::to_value).collect()),
            // Inserting in input order keeps the last of duplicate keys, as serde_json does.
            Node::Object { .. } => {
                Value::Object(self.members().map(|(name, value)| (name.to_owned(), value.to_value())).collect())
            }
        }
    }
}
