//! # crashpoint-harness
//!
//! The deterministic fault-injection harness around `crashpoint-engine`: scenario files that
//! say what arrives, when the query runs, where it crashes and how the checkpoint is tampered
//! with; a runner that executes them in a simulated world; checks against an oracle (the same
//! workload with no faults) and against snapshots; systematic crash exploration and
//! property-based fuzzing with shrunk reproducers; and reports (`inspect`, `doctor`).
//!
//! Your own Rust sink is checked from your own tests with [`check_sink`]:
//! `check_sink(|output| MySink::new(output)).explore(2).assert_passed()`.
//!
//! Layers, from the bottom: the engine crate → [`bugs`], [`check`], [`diagnosis`],
//! [`workload`] → [`report`], [`doctor`] (both on `diagnosis`) → [`scenario`] → [`explore`] → [`html`] (a picture of every run).
//! The engine never imports from here.
#![deny(missing_docs)]

pub mod bugs;
pub mod check;
mod check_sink;
pub mod diagnosis;
pub mod doctor;
pub mod explore;
pub mod html;
pub mod report;
pub mod results;
pub mod scenario;
pub mod spark;
pub mod spark_target;
pub mod workload;

pub use check_sink::{SinkCheck, SinkReport, check_sink};
