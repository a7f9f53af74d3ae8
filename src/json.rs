//! Small helpers for JSON values shared by the source, the plan and the sinks, and the hot
//! path's two halves: a `Tape` that parses a record without allocating (its strings borrowed
//! from the line), which the plan reads through `JsonView` as it reads a `Value`, and a
//! [`RowWriter`] that prints rows as [`row_to_json`] does, faster. Both are held to the bytes
//! serde_json would give by the tests below.

use serde_json::Value;
use std::cmp::Ordering;

/// The JSON type of a value, in words.
pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A row as a JSON object in column order, as Spark's JSON writer prints it.
pub fn row_to_json(schema: &[String], row: &[Value], out: &mut Vec<u8>) {
    out.push(b'{');
    for (i, (name, value)) in schema.iter().zip(row).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut *out, name).expect("writing to a Vec cannot fail");
        out.push(b':');
        serde_json::to_writer(&mut *out, value).expect("writing to a Vec cannot fail");
    }
    out.push(b'}');
}

/// A value as Spark's `show()` prints it: strings bare, null as `null`.
pub fn show_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Writes rows as JSON objects, byte for byte as [`row_to_json`] does, with the column names
/// escaped once instead of once a row.
#[derive(Debug, Clone)]
pub struct RowWriter {
    /// `{"a":`, `,"b":`, ...: what comes before each value.
    prefixes: Vec<Vec<u8>>,
}

impl RowWriter {
    /// A writer for rows of this schema.
    pub fn new(schema: &[String]) -> Self {
        let prefixes = schema
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let mut prefix = vec![if i == 0 { b'{' } else { b',' }];
                serde_json::to_writer(&mut prefix, name).expect("writing to a Vec cannot fail");
                prefix.push(b':');
                prefix
            })
            .collect();
        Self { prefixes }
    }

    /// Appends one row (without a newline), as [`row_to_json`] would.
    pub fn write(&self, row: &[Value], out: &mut Vec<u8>) {
        if self.prefixes.is_empty() || row.is_empty() {
            out.push(b'{');
        }
        for (prefix, value) in self.prefixes.iter().zip(row) {
            out.extend_from_slice(prefix);
            write_value(value, out);
        }
        out.push(b'}');
    }
}

/// Appends a value as `serde_json` prints it compactly.
fn write_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::String(s) if !needs_escape(s.as_bytes()) => {
            out.reserve(s.len() + 2);
            out.push(b'"');
            out.extend_from_slice(s.as_bytes());
            out.push(b'"');
        }
        other => serde_json::to_writer(&mut *out, other).expect("writing to a Vec cannot fail"),
    }
}

/// True if serde_json would escape a byte of this string: a control character, `"` or `\\`.
/// Eight bytes at a time: each test below flags a word exactly when one of its bytes matches.
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS != 0;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("chunks of 8"));
        let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS != 0;
        if control || has_zero(word ^ (ONES * u64::from(b'"'))) || has_zero(word ^ (ONES * u64::from(b'\\'))) {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

/// One entry of a [`Tape`]: a JSON value parsed without copying its strings, the input side of
/// the hot path. Arrays and objects are followed on the tape by their contents, so a record
/// costs no allocation once the tape has grown. Sixteen bytes, so that it moves in registers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Node {
    Null,
    Bool(bool),
    /// What serde_json reads as a `u64`.
    U64(u64),
    /// What serde_json reads as an `i64`.
    I64(i64),
    /// A finite float.
    F64(f64),
    /// A string: `text[start..start + len]`, or `owned[start]` when `len` is `OWNED`.
    String {
        start: u32,
        len: u32,
    },
    /// An object member's name, stored as a string is.
    Key {
        start: u32,
        len: u32,
    },
    /// Followed by its elements; `end` is the index after its last descendant.
    Array {
        end: u32,
    },
    /// Followed by its members, each a `Key` and then the value; on a duplicate key the last
    /// wins, as in `serde_json::Value`.
    Object {
        end: u32,
    },
}

/// Marks a string kept in `Tape::owned` (one with escapes, read by serde_json).
const OWNED: u32 = u32::MAX;

/// JSON values in pre-order, the root first, over the text they came from; reused from one
/// record to the next.
#[derive(Debug, Default)]
pub(crate) struct Tape<'a> {
    nodes: Vec<Node>,
    text: &'a str,
    owned: Vec<String>,
}

impl<'a> Tape<'a> {
    /// Parses one JSON text; it accepts exactly what `serde_json::from_slice::<Value>`
    /// accepts, and means the same by it. Forgets the previous record.
    pub(crate) fn parse(&mut self, bytes: &'a [u8]) -> serde_json::Result<()> {
        self.clear();
        // Valid UTF-8 as a whole, so that strings can be sliced out of it without checks.
        if let Ok(text) = std::str::from_utf8(bytes)
            && u32::try_from(bytes.len()).is_ok_and(|n| n < OWNED)
            && (Fast { nodes: &mut self.nodes, bytes, pos: 0 }).document().is_some()
        {
            self.text = text;
            return Ok(());
        }
        // Escapes, exponents, long numbers, deep nesting, or not JSON at all: serde_json decides.
        self.clear();
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        serde::de::DeserializeSeed::deserialize(NodeSeed(self), &mut deserializer)?;
        deserializer.end()
    }

    /// Loads a parsed value. Forgets the previous record.
    pub(crate) fn load(&mut self, value: Value) {
        self.clear();
        serde::de::DeserializeSeed::deserialize(NodeSeed(self), value).expect("a Value always converts");
    }

    fn clear(&mut self) {
        self.nodes.clear();
        self.owned.clear();
        self.text = "";
    }

    /// The root of the record last parsed or loaded.
    pub(crate) fn root(&self) -> NodeRef<'_, 'a> {
        assert!(!self.nodes.is_empty(), "a record was parsed");
        NodeRef { tape: self, index: 0 }
    }

    fn own(&mut self, text: String) -> (u32, u32) {
        self.owned.push(text);
        (u32::try_from(self.owned.len() - 1).expect("fewer than 2^32 strings"), OWNED)
    }

    fn str(&self, start: u32, len: u32) -> &str {
        if len == OWNED { &self.owned[start as usize] } else { &self.text[start as usize..(start + len) as usize] }
    }
}

/// Starts an array or object: pushes its node, to be closed by [`close`].
fn open(nodes: &mut Vec<Node>, node: Node) -> usize {
    nodes.push(node);
    nodes.len() - 1
}

/// Ends the array or object at `at`: its contents are everything pushed since.
fn close(nodes: &mut [Node], at: usize) {
    let end = u32::try_from(nodes.len()).expect("a record has fewer than 2^32 values");
    if let Node::Array { end: slot } | Node::Object { end: slot } = &mut nodes[at] {
        *slot = end;
    }
}

/// The common case of [`Tape::parse`], by hand: JSON without escapes in strings, with numbers
/// of at most 15 digits and no exponent, nested less than 100 deep. It gives up (`None`) on
/// anything else, valid or not, and never accepts what serde_json rejects.
///
/// Its numbers equal serde_json's: an integer is exact, and a decimal of at most 15 digits is
/// `digits / 10^k`, one correctly rounded division, which is what serde_json computes, with or
/// without its `float_roundtrip` feature.
struct Fast<'t> {
    nodes: &'t mut Vec<Node>,
    /// The text: valid UTF-8, shorter than `OWNED`.
    bytes: &'t [u8],
    pos: usize,
}

/// Fewer than serde_json's recursion limit (128), so that the fast path never accepts more.
const FAST_MAX_DEPTH: u32 = 100;
const FAST_MAX_DIGITS: u32 = 15;
const POW10: [f64; 16] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

impl Fast<'_> {
    fn document(mut self) -> Option<()> {
        self.value(0)?;
        self.skip_whitespace();
        (self.pos == self.bytes.len()).then_some(())
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// JSON's whitespace, as serde_json skips it.
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: u32) -> Option<()> {
        self.skip_whitespace();
        let node = match self.peek()? {
            b'{' => return self.object(depth),
            b'[' => return self.array(depth),
            b'"' => {
                let (start, len) = self.string()?;
                Node::String { start, len }
            }
            b't' => self.literal(b"true", Node::Bool(true))?,
            b'f' => self.literal(b"false", Node::Bool(false))?,
            b'n' => self.literal(b"null", Node::Null)?,
            b'-' | b'0'..=b'9' => self.number()?,
            _ => return None,
        };
        self.nodes.push(node);
        Some(())
    }

    fn literal(&mut self, word: &[u8], node: Node) -> Option<Node> {
        self.bytes[self.pos..].starts_with(word).then(|| {
            self.pos += word.len();
            node
        })
    }

    /// A string without escapes, as (start, length); quotes are ASCII, so both ends are
    /// character boundaries of the (valid UTF-8) text.
    fn string(&mut self) -> Option<(u32, u32)> {
        let start = self.pos + 1;
        let len = self.bytes[start..].iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        if self.bytes[start + len] != b'"' {
            return None;
        }
        self.pos = start + len + 1;
        Some((start as u32, len as u32))
    }

    fn digits(&mut self, significand: &mut u64, count: &mut u32) -> Option<u32> {
        let mut seen = 0;
        while let Some(c @ b'0'..=b'9') = self.peek() {
            *count += 1;
            if *count > FAST_MAX_DIGITS {
                return None;
            }
            *significand = *significand * 10 + u64::from(c - b'0');
            self.pos += 1;
            seen += 1;
        }
        Some(seen)
    }

    fn number(&mut self) -> Option<Node> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let (mut significand, mut count) = (0u64, 0u32);
        match self.peek()? {
            b'0' => {
                self.pos += 1;
                count = 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return None;
                }
            }
            b'1'..=b'9' => {
                self.digits(&mut significand, &mut count)?;
            }
            _ => return None,
        }
        let mut fraction = 0;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            fraction = self.digits(&mut significand, &mut count)?;
            if fraction == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            return None;
        }
        Some(if fraction > 0 {
            let f = significand as f64 / POW10[fraction as usize];
            Node::F64(if negative { -f } else { f })
        } else if !negative {
            Node::U64(significand)
        } else if significand == 0 {
            // serde_json reads `-0` as the float -0.0.
            Node::F64(-0.0)
        } else {
            Node::I64(-(significand as i64))
        })
    }

    fn array(&mut self, depth: u32) -> Option<()> {
        if depth >= FAST_MAX_DEPTH {
            return None;
        }
        self.pos += 1;
        let at = open(self.nodes, Node::Array { end: 0 });
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
        } else {
            loop {
                self.value(depth + 1)?;
                self.skip_whitespace();
                match self.peek()? {
                    b',' => self.pos += 1,
                    b']' => {
                        self.pos += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        close(self.nodes, at);
        Some(())
    }

    fn object(&mut self, depth: u32) -> Option<()> {
        if depth >= FAST_MAX_DEPTH {
            return None;
        }
        self.pos += 1;
        let at = open(self.nodes, Node::Object { end: 0 });
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                self.skip_whitespace();
                if self.peek()? != b'"' {
                    return None;
                }
                let (start, len) = self.string()?;
                self.nodes.push(Node::Key { start, len });
                self.skip_whitespace();
                if self.peek()? != b':' {
                    return None;
                }
                self.pos += 1;
                self.value(depth + 1)?;
                self.skip_whitespace();
                match self.peek()? {
                    b',' => self.pos += 1,
                    b'}' => {
                        self.pos += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        close(self.nodes, at);
        Some(())
    }
}

/// Builds the tape through serde: what `Value`'s own visitor does, node for node. Its strings
/// are kept owned: this is the rare path.
struct NodeSeed<'t, 'a>(&'t mut Tape<'a>);

impl<'a> serde::de::DeserializeSeed<'a> for NodeSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'a>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl NodeSeed<'_, '_> {
    fn push(self, node: Node) {
        self.0.nodes.push(node);
    }

    fn push_string(self, text: String) {
        let (start, len) = self.0.own(text);
        self.push(Node::String { start, len });
    }
}

impl<'a> serde::de::Visitor<'a> for NodeSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.push(Node::Bool(v));
        Ok(())
    }

    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.push(Node::I64(v));
        Ok(())
    }

    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.push(Node::U64(v));
        Ok(())
    }

    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        // As `Value`: a float that is not finite becomes null.
        self.push(if v.is_finite() { Node::F64(v) } else { Node::Null });
        Ok(())
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.push_string(v.to_owned());
        Ok(())
    }

    fn visit_string<E>(self, v: String) -> Result<(), E> {
        self.push_string(v);
        Ok(())
    }

    fn visit_none<E>(self) -> Result<(), E> {
        self.push(Node::Null);
        Ok(())
    }

    fn visit_some<D: serde::Deserializer<'a>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.push(Node::Null);
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'a>>(self, mut seq: A) -> Result<(), A::Error> {
        let tape = self.0;
        let at = open(&mut tape.nodes, Node::Array { end: 0 });
        while seq.next_element_seed(NodeSeed(&mut *tape))?.is_some() {}
        close(&mut tape.nodes, at);
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'a>>(self, mut map: A) -> Result<(), A::Error> {
        let tape = self.0;
        let at = open(&mut tape.nodes, Node::Object { end: 0 });
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let (start, len) = tape.own(key);
            tape.nodes.push(Node::Key { start, len });
            map.next_value_seed(NodeSeed(&mut *tape))?;
        }
        close(&mut tape.nodes, at);
        Ok(())
    }
}

struct KeySeed;

impl<'a> serde::de::DeserializeSeed<'a> for KeySeed {
    type Value = String;

    fn deserialize<D: serde::Deserializer<'a>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl serde::de::Visitor<'_> for KeySeed {
    type Value = String;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
}

/// A value on a [`Tape`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeRef<'t, 'a> {
    tape: &'t Tape<'a>,
    index: usize,
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
                && self.tape.str(start, len) == key
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use serde_json::json;

    /// What the tape makes of a text, as a Value, and whether the hand-written path took it.
    fn via_tape(text: &[u8]) -> (Option<String>, bool) {
        let mut tape = Tape::default();
        let fast = std::str::from_utf8(text).is_ok()
            && (Fast { nodes: &mut tape.nodes, bytes: text, pos: 0 }).document().is_some();
        let parsed = tape.parse(text).ok().map(|()| tape.root().to_value().to_string());
        (parsed, fast)
    }

    fn via_serde(text: &[u8]) -> Option<String> {
        serde_json::from_slice::<Value>(text).ok().map(|v| v.to_string())
    }

    #[test]
    fn the_tape_reads_json_as_serde_json_does() {
        let cases: &[&[u8]] = &[
            br#"{"eventId":"e1","data":{"devices":[{"deviceId":"d1","temperature":21.5}]}}"#,
            br#" { "a" : [ 1 , -2 , 0 , -0 , 0.1 , -0.0 , 1.0 , 123456789012345 , 1234567890123456 ] } "#,
            br#"{"a":1e3,"b":1E-2,"c":18446744073709551615,"d":18446744073709551616,"e":-9223372036854775808}"#,
            b"{\"a\":\"x\\\"y\",\"b\":\"\\u00e9\",\"c\":\"\xc3\xa9\",\"d\":\"\",\"e\":true,\"f\":false,\"g\":null,\"a\":2}",
            br#"{"a":01}"#,
            br#"{"a":1.}"#,
            br#"{"a":.5}"#,
            br#"{"a":-}"#,
            br#"{"a":[1,]}"#,
            br#"{"a":1,}"#,
            br#"{"a" 1}"#,
            br#"{a:1}"#,
            br#"{"a":tru}"#,
            br#"{"a":nul}"#,
            br#"{"a":1}x"#,
            b"{\"a\":\"tab\there\"}",
            b"{\"a\":\"\xff\"}",
            b"\xef\xbb\xbf{}",
            b"{}\x0c",
            br#"[]"#,
            br#"[[[[]]]]"#,
            br#""s""#,
            br#"3"#,
            br#""#,
        ];
        for text in cases {
            assert_eq!(via_tape(text).0, via_serde(text), "{}", String::from_utf8_lossy(text));
        }
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        for n in [99, 100, 101, 127, 128, 129] {
            assert_eq!(via_tape(deep(n).as_bytes()).0, via_serde(deep(n).as_bytes()), "depth {n}");
        }
    }

    #[test]
    fn the_hand_written_path_agrees_with_serde_json_on_random_text() {
        let alphabet: &[&[u8]] = &[
            b"{",
            b"}",
            b"[",
            b"]",
            b",",
            b":",
            b" ",
            b"\"k\"",
            b"\"a\"",
            b"\"\\n\"",
            b"\"\xc3\xa9\"",
            b"\"\xc3\"",
            b"0",
            b"1",
            b"9",
            b"-",
            b".",
            b"e",
            b"true",
            b"false",
            b"null",
            b"\"",
            b"\t",
            b"x",
        ];
        let mut rng = Rng::new(3);
        let mut taken = 0;
        for _ in 0..200_000 {
            let mut text = Vec::new();
            for _ in 0..rng.below(16) {
                text.extend_from_slice(alphabet[rng.below(alphabet.len() as u64) as usize]);
            }
            let (tape, fast) = via_tape(&text);
            assert_eq!(tape, via_serde(&text), "{}", String::from_utf8_lossy(&text));
            taken += usize::from(fast);
        }
        assert!(taken > 1_000, "the fast path took only {taken} texts");
        // Decimals: the fast path's division against serde_json's reading.
        for _ in 0..100_000 {
            let digits = rng.below(15) + 1;
            let point = rng.below(digits) + 1;
            let n = rng.below(10u64.pow(digits as u32));
            let text = format!("{:0width$}", n, width = digits as usize);
            let text = format!(
                "{}{}.{}",
                if rng.below(2) == 0 { "-" } else { "" },
                &text[..point as usize],
                &text[point as usize..]
            );
            let text = text.trim_end_matches('.').to_string();
            let text = if text.starts_with("0") && text.len() > 1 && !text.starts_with("0.") {
                format!("1{text}")
            } else {
                text
            };
            assert_eq!(via_tape(text.as_bytes()).0, via_serde(text.as_bytes()), "{text}");
        }
    }

    #[test]
    fn nodes_are_small_and_loaded_values_read_back() {
        assert_eq!(std::mem::size_of::<Node>(), 16);
        let value = json!({"a": [1, -2, 2.5, "s\"q", null, true, {"b": {}}], "c": u64::MAX, "d": i64::MIN});
        let mut tape = Tape::default();
        tape.load(value.clone());
        assert_eq!(tape.root().to_value(), value);
    }

    #[test]
    fn lookups_take_the_last_duplicate_key() {
        let mut tape = Tape::default();
        tape.parse(br#"{"a":1,"b":[true,"x"],"a":2}"#).unwrap();
        let view = tape.root();
        assert_eq!(view.get("a").map(JsonView::to_value), Some(json!(2)));
        let items: Vec<Value> = view.get("b").and_then(JsonView::items).unwrap().map(JsonView::to_value).collect();
        assert_eq!(items, [json!(true), json!("x")]);
        assert_eq!(view.get("zz").map(JsonView::kind), None);
        assert_eq!(view.kind(), "an object");
    }

    #[test]
    fn needs_escape_finds_every_byte_serde_json_escapes() {
        let naive = |bytes: &[u8]| bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
        for byte in 0..=255u8 {
            for at in 0..17 {
                for filler in [b'a', 0x7f, 0xff, 0x21, 0x5d] {
                    let mut text = vec![filler; 17];
                    text[at] = byte;
                    assert_eq!(needs_escape(&text), naive(&text), "{byte:#x} at {at} among {filler:#x}");
                }
            }
        }
    }

    #[test]
    fn row_writer_writes_what_row_to_json_writes() {
        let all_ascii: String = (0u8..128).map(char::from).collect();
        let schema: Vec<String> = ["a", "b\"q", "c", "d", "e", "f"].map(String::from).to_vec();
        let rows = [
            vec![json!("e1"), json!(all_ascii), json!(21.5), json!(-0.0), json!(null), json!(true)],
            vec![json!("é\u{2028}"), json!(3), json!(-7), json!({"z": [1, "x"], "a": false}), json!(1e300)],
            vec![],
        ];
        let writer = RowWriter::new(&schema);
        for row in &rows {
            for schema in [&schema[..], &schema[..2], &[]] {
                let (mut expected, mut got) = (Vec::new(), Vec::new());
                row_to_json(schema, row, &mut expected);
                RowWriter::new(schema).write(row, &mut got);
                assert_eq!(String::from_utf8(got).unwrap(), String::from_utf8(expected).unwrap());
            }
            let (mut expected, mut got) = (Vec::new(), Vec::new());
            row_to_json(&schema, row, &mut expected);
            writer.write(row, &mut got);
            assert_eq!(got, expected);
        }
    }
}
