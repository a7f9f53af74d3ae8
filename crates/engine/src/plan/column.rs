//! Column references and filter conditions, written as short strings a Spark user can read:
//! `device.deviceId as device_id`, `temp > 20`, `device_id is not null`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::fmt;
use std::str::FromStr;

/// A dotted path with an output name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The path segments, e.g. `["device", "deviceId"]`.
    pub path: Vec<String>,
    /// The output name; the last segment when not renamed.
    pub alias: String,
}

fn parse_path(text: &str) -> Result<Vec<String>, String> {
    let path: Vec<String> = text.split('.').map(str::to_string).collect();
    let valid = |s: &String| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_');
    if path.iter().all(valid) {
        Ok(path)
    } else {
        Err(format!("'{text}' is not a column path (letters, digits and _, joined by dots)"))
    }
}

impl FromStr for Column {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let words: Vec<&str> = s.split_whitespace().collect();
        match words.as_slice() {
            [path] => {
                let path = parse_path(path)?;
                let alias = path.last().cloned().unwrap_or_default();
                Ok(Column { path, alias })
            }
            [path, as_, alias] if as_.eq_ignore_ascii_case("as") => {
                let _ = parse_path(alias)?;
                Ok(Column { path: parse_path(path)?, alias: alias.to_string() })
            }
            _ => Err(format!("'{s}' is not a column; write 'path' or 'path as name'")),
        }
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.join(".");
        if self.path.last() == Some(&self.alias) { write!(f, "{path}") } else { write!(f, "{path} as {}", self.alias) }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

const OPS: [(&str, CmpOp); 6] =
    [("!=", CmpOp::Ne), ("<=", CmpOp::Le), (">=", CmpOp::Ge), ("=", CmpOp::Eq), ("<", CmpOp::Lt), (">", CmpOp::Gt)];

/// A filter condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `path op literal`. Comparing different JSON types, or null, is false (SQL's null logic).
    Compare {
        /// The column path.
        path: Vec<String>,
        /// The operator.
        op: CmpOp,
        /// A JSON literal.
        value: Value,
    },
    /// `path is null` (`negated`: `is not null`).
    IsNull {
        /// The column path.
        path: Vec<String>,
        /// True for `is not null`.
        negated: bool,
    },
}

impl FromStr for Condition {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        for (suffix, negated) in [(" is not null", true), (" is null", false)] {
            if let Some(path) = lower.strip_suffix(suffix) {
                return Ok(Condition::IsNull { path: parse_path(s[..path.len()].trim())?, negated });
            }
        }
        for (symbol, op) in OPS {
            if let Some((path, literal)) = s.split_once(symbol) {
                let value = serde_json::from_str(literal.trim()).map_err(|_| {
                    format!("in '{s}': '{}' is not a JSON literal (strings need quotes)", literal.trim())
                })?;
                return Ok(Condition::Compare { path: parse_path(path.trim())?, op, value });
            }
        }
        Err(format!("'{s}' is not a condition; write e.g. 'temp > 20', 'eventId = \"e1\"' or 'x is not null'"))
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Compare { path, op, value } => {
                let symbol = OPS.iter().find(|(_, o)| o == op).map(|(s, _)| *s).unwrap_or("=");
                write!(f, "{} {symbol} {value}", path.join("."))
            }
            Condition::IsNull { path, negated } => {
                write!(f, "{} is {}null", path.join("."), if *negated { "not " } else { "" })
            }
        }
    }
}

macro_rules! string_serde {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

string_serde!(Column);
string_serde!(Condition);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_cases() {
        let cases =
            [("eventId", "eventId", "eventId"), ("device.deviceId as device_id", "device.deviceId", "device_id")];
        for (text, path, alias) in cases {
            let column: Column = text.parse().unwrap();
            assert_eq!(column.path.join("."), path);
            assert_eq!(column.alias, alias);
            assert_eq!(column.to_string(), text);
        }
    }

    #[test]
    fn column_fail_cases() {
        for text in ["", "a..b", "a as", "a b c d", "a-b", "a AS b-c"] {
            assert!(text.parse::<Column>().is_err(), "{text}");
        }
    }

    #[test]
    fn condition_cases() {
        for text in ["temp > 20", "eventId = \"e1\"", "a.b <= 3.5", "x is not null", "x is null", "t != false"] {
            let condition: Condition = text.parse().unwrap();
            assert_eq!(condition.to_string(), text);
        }
        for text in ["temp >", "temp > e1", "> 3", "nothing"] {
            assert!(text.parse::<Condition>().is_err(), "{text}");
        }
    }
}
