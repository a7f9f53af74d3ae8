//! The input schema: the types a query reads its JSON with, as Spark's file source reads with
//! a schema (`eventId STRING, data STRUCT<devices: ARRAY<STRUCT<deviceId: STRING,
//! temperature: DOUBLE>>>`, the tutorial's, by default), written in Spark's DDL.
//!
//! [`read`] parses a line of JSON straight into a record of these types, value by value as
//! Spark 4.3's JSON reader converts them (`spark/FINDINGS.md`, Q4 and Q5). A record is kept as
//! a `serde_json::Value` holding Spark's JSON rendering of each value: a DOUBLE is a JSON number,
//! or the string `"NaN"`, `"Infinity"` or `"-Infinity"`; a TIMESTAMP is its ISO string. The
//! sinks print it from there with the column types.
//!
//! This module knows types and values only; it must never read a file or decide what a bad
//! record costs (the source and the engine do).

mod ddl;
mod mismatch;
mod read;

pub use mismatch::Mismatch;
pub use read::{Read, read};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A Spark SQL type that crashpoint reads and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataType {
    /// `STRING`.
    String,
    /// `DOUBLE`.
    Double,
    /// `BIGINT` (also `LONG`).
    Long,
    /// `INT` (also `INTEGER`).
    Int,
    /// `BOOLEAN`.
    Boolean,
    /// `TIMESTAMP`: only as the processing time, never read from input.
    Timestamp,
    /// `ARRAY<element>`.
    Array(Box<DataType>),
    /// `STRUCT<name: type, …>`.
    Struct(Vec<Field>),
}

/// A named field of a struct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The name, case-sensitive as Spark's JSON reader matches it.
    pub name: String,
    /// The type.
    pub data_type: DataType,
}

impl DataType {
    /// A struct's field by name.
    pub fn field(&self, name: &str) -> Option<&DataType> {
        match self {
            DataType::Struct(fields) => fields.iter().find(|f| f.name == name).map(|f| &f.data_type),
            _ => None,
        }
    }
}

/// The schema of a query's input: the fields of its records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    /// The top-level fields, in order.
    pub fields: Vec<Field>,
}

/// The tutorial's input schema, in Spark's DDL.
pub const TUTORIAL_DDL: &str =
    "eventId STRING, data STRUCT<devices: ARRAY<STRUCT<deviceId: STRING, temperature: DOUBLE>>>";

impl Schema {
    /// The tutorial's: `eventId STRING, data STRUCT<devices: ARRAY<STRUCT<deviceId: STRING,
    /// temperature: DOUBLE>>>`.
    pub fn tutorial() -> Schema {
        TUTORIAL_DDL.parse().expect("the tutorial's schema parses")
    }

    /// True for the tutorial's schema.
    pub fn is_tutorial(&self) -> bool {
        *self == Schema::tutorial()
    }

    /// The record type: a struct of the fields.
    pub fn record_type(&self) -> DataType {
        DataType::Struct(self.fields.clone())
    }
}

impl Default for Schema {
    fn default() -> Self {
        Schema::tutorial()
    }
}

/// A field name as DDL writes it: bare, or in backquotes when it is not letters, digits and `_`.
fn ddl_name(name: &str) -> String {
    if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        name.to_string()
    } else {
        format!("`{name}`")
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataType::String => write!(f, "STRING"),
            DataType::Double => write!(f, "DOUBLE"),
            DataType::Long => write!(f, "BIGINT"),
            DataType::Int => write!(f, "INT"),
            DataType::Boolean => write!(f, "BOOLEAN"),
            DataType::Timestamp => write!(f, "TIMESTAMP"),
            DataType::Array(element) => write!(f, "ARRAY<{element}>"),
            DataType::Struct(fields) => {
                let fields: Vec<String> =
                    fields.iter().map(|fd| format!("{}: {}", ddl_name(&fd.name), fd.data_type)).collect();
                write!(f, "STRUCT<{}>", fields.join(", "))
            }
        }
    }
}

impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields: Vec<String> =
            self.fields.iter().map(|fd| format!("{} {}", ddl_name(&fd.name), fd.data_type)).collect();
        write!(f, "{}", fields.join(", "))
    }
}

impl std::str::FromStr for Schema {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ddl::parse_schema(s)
    }
}

impl Serialize for Schema {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Schema {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}
