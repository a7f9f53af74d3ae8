//! crashpoint: a deterministic fault-injection test harness for micro-batch streaming.
//!
//! A compact engine models Spark Structured Streaming's checkpoint protocol; the harness
//! crashes it between its writes, restarts it, and checks that the output is exactly-once.
//!
//! Layers, from the bottom: [`storage`] → [`checkpoint`] → [`source`], [`plan`], [`sink`] →
//! [`engine`] → [`scenario`], [`check`], [`explore`]. Nothing lower imports from higher up.
#![deny(missing_docs)]

pub mod check;
pub mod checkpoint;
pub mod doctor;
pub mod engine;
pub mod explore;
pub mod faults;
pub mod guarantee;
pub mod json;
pub mod plan;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod sink;
pub mod source;
pub mod storage;
pub mod uri;
pub mod workload;
