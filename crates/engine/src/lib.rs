//! # crashpoint-engine
//!
//! A compact micro-batch streaming engine built on the checkpoint protocol of Apache Spark
//! Structured Streaming: `metadata`, `sources/0/N`, `offsets/N`, `commits/N` and the file sink's
//! `_spark_metadata`, all in Spark 4.x's formats. A named crash point sits between every two
//! writes of a batch, so that a harness can kill the engine there, restart it on the same
//! checkpoint, and check what a reader of the sink sees.
//!
//! Everything goes through one small [`storage::Storage`] trait: the real disk, or
//! [`storage::SimStorage`], a simulated disk with a live and a durable image that can lose power.
//! Time comes from a logical clock and ids from a seed, so a run is the same every time.
//!
//! ## Example: crash after the sink, restart, and the sink still holds each row once
//!
//! ```
//! use crashpoint_engine::engine::{Engine, EngineOptions, Query, Trigger};
//! use crashpoint_engine::faults::{CrashPoint, FaultPlan};
//! use crashpoint_engine::plan::Plan;
//! use crashpoint_engine::sink::{MemorySink, MemoryStore};
//! use crashpoint_engine::source::SourceOptions;
//! use crashpoint_engine::storage::{SimStorage, Storage};
//! use std::path::Path;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The simulated disk, with one input file in the tutorial's shape.
//! let disk = SimStorage::new(0);
//! disk.create_dir_all(Path::new("/in"))?;
//! let event = r#"{"eventId": "e1", "data": {"devices": [{"deviceId": "d1", "temperature": 21.5}]}}"#;
//! disk.write(Path::new("/in/device_01.json"), event.as_bytes())?;
//! let query = || Query {
//!     input_dir: "/in".into(),
//!     checkpoint_dir: "/checkpoint".into(),
//!     source: SourceOptions::default(),
//!     plan: Plan::tutorial(),
//! };
//! // The memory sink's table outlives the engine, as a database would.
//! let table = MemoryStore::default();
//!
//! // Batch 0 reaches the sink, then the process dies before `commits/0` is written.
//! let crash = FaultPlan::crash_at(CrashPoint::AfterSinkWrite, 1);
//! let sink = Box::new(MemorySink::new(table.clone()));
//! let mut engine = Engine::new(&disk, query(), sink, EngineOptions::default(), crash)?;
//! assert!(engine.run(Trigger::AvailableNow).unwrap_err().crash().is_some());
//! drop(engine);
//! assert!(!disk.exists(Path::new("/checkpoint/commits/0")));
//!
//! // The restart re-runs batch 0 from `offsets/0`; the sink already has it and skips it.
//! let sink = Box::new(MemorySink::new(table.clone()));
//! let mut engine = Engine::new(&disk, query(), sink, EngineOptions::default(), FaultPlan::none())?;
//! engine.run(Trigger::AvailableNow)?;
//! assert!(disk.exists(Path::new("/checkpoint/commits/0")));
//! assert_eq!(table.lock().unwrap()[&0].len(), 1, "one device, one row, once");
//! # Ok(())
//! # }
//! ```
//!
//! ## Layers
//!
//! From the bottom: [`storage`], [`uri`], [`rng`], [`json`], [`exec`], [`faults`], [`guarantee`] →
//! [`checkpoint`] → [`source`], [`plan`], [`sink`] → [`engine`]. Nothing lower imports from
//! higher up, and nothing here knows about scenarios, checks or exploration: that is the
//! harness, a separate crate.
//!
//! ## Features
//!
//! - `failpoints` (default): every crash point is also a `fail::fail_point!`, so that
//!   `FAILPOINTS=after-sink-write=panic` kills a real process there. Off, the points compile
//!   to nothing.
//! - `seeded-bugs` (off; only the harness turns it on): the `seams` where the harness's
//!   seeded bugs bend the protocol, for its self-test. Off, no seam and no branch is compiled.
#![deny(missing_docs)]

pub mod checkpoint;
pub mod engine;
pub mod exec;
pub mod faults;
pub mod guarantee;
pub mod json;
pub mod plan;
pub mod rng;
pub mod schema;
#[cfg(feature = "seeded-bugs")]
pub mod seams;
pub mod sink;
pub mod source;
pub mod storage;
pub mod uri;
