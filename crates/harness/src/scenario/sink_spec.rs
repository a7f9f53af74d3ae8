//! The `sink` key of a scenario's query: a built-in sink by name (`sink = "file"`), the user's
//! program (`sink = { command = ["python3", "upsert.py"] }`), or a Rust sink given in code.
//!
//! This module parses and renders the key; it must never build or run a sink.

use super::format::SinkKind;
use crashpoint_engine::guarantee::Guarantee;
use crashpoint_engine::sink::{ReadBack, Sink};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::path::Path;
use std::sync::Arc;

/// The user's program as a sink: the command line, and what it promises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// The program and its arguments; `{dir}` in an argument becomes the sink's directory.
    pub command: Vec<String>,
    /// What it promises: exactly-once unless the scenario says `guarantee = "at-least-once"`.
    pub guarantee: Guarantee,
    /// Crash point `during-sink-write` kills the program after half of a batch's rows
    /// (`kill-sink = true`, or `crashpoint explore --kill-sink`).
    pub kill_sink: bool,
}

/// A sink of the user's, in Rust: it can be read back as well as written.
pub trait UserSink: Sink + ReadBack {}

impl<T: Sink + ReadBack> UserSink for T {}

/// Makes a fresh sink for one run of the query, writing under the given output directory.
pub type SinkFactory = Arc<dyn Fn(&Path) -> Box<dyn UserSink> + Send + Sync>;

/// A Rust sink given in code (`crashpoint_harness::check_sink`).
#[derive(Clone)]
pub struct RustSink {
    /// Makes the sink, once per run and once more to read it back.
    pub factory: SinkFactory,
    /// What it promises, from [`Sink::guarantee`].
    pub guarantee: Guarantee,
    /// Its [`Sink::kind`], for reports.
    pub name: &'static str,
}

impl std::fmt::Debug for RustSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RustSink({}, {})", self.name, self.guarantee)
    }
}

impl PartialEq for RustSink {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.factory, &other.factory)
    }
}

/// The sink of a query.
#[derive(Debug, Clone, PartialEq)]
pub enum SinkSpec {
    /// A built-in sink, by name.
    Named(SinkKind),
    /// The user's program, over the line protocol.
    Command(Program),
    /// A Rust sink given in code.
    Rust(RustSink),
}

impl From<SinkKind> for SinkSpec {
    fn from(kind: SinkKind) -> Self {
        SinkSpec::Named(kind)
    }
}

impl PartialEq<SinkKind> for SinkSpec {
    fn eq(&self, other: &SinkKind) -> bool {
        self.kind() == *other
    }
}

impl SinkSpec {
    /// The kind.
    pub fn kind(&self) -> SinkKind {
        match self {
            SinkSpec::Named(kind) => *kind,
            SinkSpec::Command(_) => SinkKind::Command,
            SinkSpec::Rust(_) => SinkKind::Rust,
        }
    }

    /// The name in reports: the kind, or for a Rust sink its own kind.
    pub fn name(&self) -> &'static str {
        match self {
            SinkSpec::Rust(rust) => rust.name,
            other => other.kind().name(),
        }
    }

    /// What the sink promises: what its reader is owed.
    pub fn guarantee(&self) -> Guarantee {
        match self {
            SinkSpec::Named(SinkKind::Console | SinkKind::ForeachBatch) => Guarantee::AtLeastOnce,
            SinkSpec::Named(_) => Guarantee::ExactlyOnce,
            SinkSpec::Command(program) => program.guarantee,
            SinkSpec::Rust(rust) => rust.guarantee,
        }
    }

    /// The program, for a command sink.
    pub fn program(&self) -> Option<&Program> {
        if let SinkSpec::Command(program) = self { Some(program) } else { None }
    }

    /// This sink, with a program killed in the middle of a batch at `during-sink-write`; other
    /// sinks are unchanged.
    pub fn with_kill_sink(&self) -> SinkSpec {
        match self {
            SinkSpec::Command(program) => SinkSpec::Command(Program { kill_sink: true, ..program.clone() }),
            other => other.clone(),
        }
    }
}

const ALLOWED: &str = "console, file, memory, foreach-batch, foreach-batch-idempotent, sqlite-idempotent, \
                       sqlite-append, or { command = [\"program\", \"arg\", ...] }";

fn parse_guarantee(value: &toml::Value) -> Result<Guarantee, String> {
    match value.as_str() {
        Some("exactly-once") => Ok(Guarantee::ExactlyOnce),
        Some("at-least-once") => Ok(Guarantee::AtLeastOnce),
        _ => Err(format!("guarantee must be \"exactly-once\" or \"at-least-once\", not {value}")),
    }
}

fn parse_program(table: &toml::Table) -> Result<Program, String> {
    if let Some(key) = table.keys().find(|k| !["command", "guarantee", "kill-sink"].contains(&k.as_str())) {
        return Err(format!("unknown key '{key}' in the sink table; allowed: command, guarantee, kill-sink"));
    }
    let bad = || "command must be a non-empty array of strings, e.g. [\"python3\", \"sink.py\"]".to_string();
    let command = table.get("command").and_then(|v| v.as_array()).ok_or_else(bad)?;
    let command: Option<Vec<String>> = command.iter().map(|v| v.as_str().map(str::to_string)).collect();
    let command = command.filter(|c| !c.is_empty()).ok_or_else(bad)?;
    let guarantee = table.get("guarantee").map(parse_guarantee).transpose()?.unwrap_or(Guarantee::ExactlyOnce);
    let kill_sink = match table.get("kill-sink") {
        None => false,
        Some(toml::Value::Boolean(b)) => *b,
        Some(other) => return Err(format!("kill-sink must be true or false, not {other}")),
    };
    Ok(Program { command, guarantee, kill_sink })
}

impl SinkSpec {
    /// A sink by the name a scenario's `sink` key gives it (`"sqlite-idempotent"`, ...).
    pub fn from_name(name: &str) -> Result<SinkSpec, String> {
        SinkSpec::parse(&toml::Value::String(name.to_string()))
    }

    fn parse(value: &toml::Value) -> Result<SinkSpec, String> {
        match value {
            toml::Value::String(name) => match SinkKind::NAMED.into_iter().find(|k| k.name() == name) {
                Some(kind) => Ok(SinkSpec::Named(kind)),
                None if name == "rust" => {
                    Err("a Rust sink is given in code, with crashpoint_harness::check_sink, not in a file".into())
                }
                None => Err(format!("unknown sink '{name}'; allowed: {ALLOWED}")),
            },
            toml::Value::Table(table) => parse_program(table).map(SinkSpec::Command),
            other => Err(format!("'{other}' is not a sink; allowed: {ALLOWED}")),
        }
    }
}

impl<'de> Deserialize<'de> for SinkSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = toml::Value::deserialize(deserializer)?;
        SinkSpec::parse(&value).map_err(serde::de::Error::custom)
    }
}

impl Serialize for SinkSpec {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            SinkSpec::Command(program) => {
                let mut table = toml::Table::new();
                let command = program.command.iter().map(|a| toml::Value::String(a.clone())).collect();
                table.insert("command".into(), toml::Value::Array(command));
                if program.guarantee != Guarantee::ExactlyOnce {
                    table.insert("guarantee".into(), toml::Value::String(program.guarantee.to_string()));
                }
                if program.kill_sink {
                    table.insert("kill-sink".into(), toml::Value::Boolean(true));
                }
                table.serialize(serializer)
            }
            other => serializer.serialize_str(other.kind().name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SinkSpec, String> {
        SinkSpec::parse(&text.parse::<toml::Table>().map_err(|e| e.to_string())?["sink"])
    }

    #[test]
    fn sink_cases() {
        let program = |command: &[&str], guarantee| {
            let command = command.iter().map(|s| s.to_string()).collect();
            SinkSpec::Command(Program { command, guarantee, kill_sink: false })
        };
        let cases: &[(&str, SinkSpec)] = &[
            ("sink = \"file\"", SinkKind::File.into()),
            ("sink = \"sqlite-append\"", SinkKind::SqliteAppend.into()),
            ("sink = { command = [\"python3\", \"s.py\"] }", program(&["python3", "s.py"], Guarantee::ExactlyOnce)),
            ("sink = { command = [\"x\"], guarantee = \"at-least-once\" }", program(&["x"], Guarantee::AtLeastOnce)),
            (
                "sink = { command = [\"x\"], kill-sink = true }",
                SinkSpec::Command(Program {
                    command: vec!["x".into()],
                    guarantee: Guarantee::ExactlyOnce,
                    kill_sink: true,
                }),
            ),
        ];
        for (text, spec) in cases {
            assert_eq!(parse(text).as_ref(), Ok(spec), "{text}");
            #[derive(Serialize)]
            struct Wrap<'a> {
                sink: &'a SinkSpec,
            }
            let round = toml::to_string(&Wrap { sink: spec }).unwrap();
            assert_eq!(parse(&round).as_ref(), Ok(spec), "{round}");
        }
        let fail_cases: &[(&str, &str)] = &[
            ("sink = \"kafka\"", "unknown sink 'kafka'; allowed: console"),
            ("sink = \"rust\"", "check_sink"),
            ("sink = { command = [] }", "non-empty array"),
            ("sink = { command = [1] }", "array of strings"),
            ("sink = { command = [\"x\"], retries = 2 }", "unknown key 'retries'"),
            ("sink = { command = [\"x\"], guarantee = \"maybe\" }", "guarantee must be"),
            ("sink = 3", "is not a sink"),
        ];
        for (text, want) in fail_cases {
            let error = parse(text).unwrap_err();
            assert!(error.contains(want), "{text}: {error}");
        }
    }
}
