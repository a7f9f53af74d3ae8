//! The tape: a record parsed without allocating, its strings borrowed from the line. A
//! hand-written parser takes the common case; anything else goes through serde_json, so the
//! tape accepts exactly what serde_json accepts.

use super::view::NodeRef;
use serde_json::Value;

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
    pub(super) nodes: Vec<Node>,
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

    pub(super) fn str(&self, start: u32, len: u32) -> &str {
        if len == OWNED { &self.owned[start as usize] } else { &self.text[start as usize..(start + len) as usize] }
    }

    /// True if the string at (`start`, `len`) is `key`; lengths first, as most keys differ there.
    pub(super) fn str_is(&self, start: u32, len: u32, key: &str) -> bool {
        match self.plain(start, len) {
            Some(bytes) => same_bytes(bytes, key.as_bytes()),
            None => self.owned[start as usize] == key,
        }
    }

    /// The bytes of a string that the fast parser read as they are in the text: no escape and
    /// no control character, so that JSON prints them unchanged between quotes. `None` for a
    /// string read by serde_json (kept owned).
    pub(super) fn plain(&self, start: u32, len: u32) -> Option<&[u8]> {
        (len != OWNED).then(|| &self.text.as_bytes()[start as usize..(start + len) as usize])
    }
}

/// `a == b`, inline: keys are short, and a call to `memcmp` for each cost more than comparing
/// them eight bytes at a time.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut a_words, mut b_words) = (a.chunks_exact(8), b.chunks_exact(8));
    for (x, y) in a_words.by_ref().zip(b_words.by_ref()) {
        if u64::from_ne_bytes(x.try_into().expect("8 bytes")) != u64::from_ne_bytes(y.try_into().expect("8 bytes")) {
            return false;
        }
    }
    a_words.remainder().iter().zip(b_words.remainder()).all(|(x, y)| x == y)
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

#[cfg(test)]
mod tests {
    #[test]
    fn same_bytes_is_slice_equality() {
        let texts: [&[u8]; 8] =
            [b"", b"a", b"b", b"temperature", b"temperaturf", b"uemperature", b"deviceId", b"deviceIdx"];
        for a in texts {
            for b in texts {
                assert_eq!(super::same_bytes(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }

    use super::super::JsonView;
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
}
