//! Scenarios: TOML files that say what arrives, when the query runs, where it crashes and how
//! the checkpoint is tampered with; the runner that executes them in a simulated world; and the
//! verification that compares the outcome with the oracle and a snapshot.
//!
//! This layer drives the engine and the checks; the engine must never know about it.

mod arrival;
mod backup;
mod format;
mod gathered;
mod holders;
mod intruder;
mod model;
mod oracle;
mod process;
mod records;
mod runner;
mod sink_spec;
mod sinks;
mod snapshot;
mod steps;
mod verify;
mod world;

pub use backup::{Backup, Hands};
pub use format::{
    DifferenceKind, Expect, ExpectedRunError, ExpectedVerdict, LastCommit, NamedPlan, NoCommit, PlanSpec, QuerySpec,
    Scenario, ScenarioError, SinkKind, SparkExpect,
};
pub use model::{
    BatchTasks, Expected, Unmodelled, compact_interval, expected, knobs_taken, max_file_age_ms, min_batches_to_retain,
};
pub use oracle::Oracle;
pub use records::{HandOver, Origin, RecordCount, record_counts};
pub use runner::{Execution, InjectedCrash, InjectedIoError, Injection, ProcessRecord, Runner, execute, render_disk};
pub use sink_spec::{Program, RustSink, SinkFactory, SinkSpec, UserSink};
pub use sinks::PlannedRows;
pub use snapshot::{
    SnapshotCheck, compare_snapshot, read_snapshot_body, scenario_files, snapshot_file_text, snapshot_name,
    snapshot_path,
};
pub use steps::{
    ARRIVAL_POINTS, Arrival, ArrivingFile, FileContent, INPUT_AS_FILE, InputDirChange, QueryChange, RunStep,
    SpecialKind, SpelledTrigger, Step,
};
pub use verify::{Report, guarantee_of, judge, verify, verify_with_oracle};
pub(crate) use world::make_special_on_disk;
pub use world::{CLOCK_START_MS, DiskKind, ROOT, World, file_bytes, generate_lines};
