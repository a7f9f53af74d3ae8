//! # crashpoint-sinks
//!
//! Sinks that write into the user's own systems, for crashpoint to crash and check like its
//! built-in ones: a real SQLite database ([`SqliteSink`], idempotent by batch id or a naive
//! append), and any program that speaks a small line protocol on stdin and stdout
//! ([`CommandSink`]). Each implements the engine's [`Sink`](crashpoint_engine::sink::Sink) and
//! [`ReadBack`](crashpoint_engine::sink::ReadBack), so a harness can read back what a reader of
//! the sink sees after crashes and restarts.
//!
//! This crate depends on the engine only; it must never know about scenarios or checks.
#![deny(missing_docs)]

mod command;
mod sqlite;

pub use command::CommandSink;
pub use sqlite::{BATCHES_TABLE, OUTPUT_TABLE, SqliteMode, SqliteSink};
