//! Your own Rust sink under crashpoint, from your own test suite, in a few lines:
//!
//! ```ignore
//! #[test]
//! fn my_sink_is_exactly_once() {
//!     crashpoint_harness::check_sink(|output| MySink::new(output)).explore(2).assert_passed();
//! }
//! ```
//!
//! The sink implements the engine's [`Sink`] and [`ReadBack`]. crashpoint runs a workload (the
//! tutorial's, unless given another) in a simulated world, makes a fresh sink for every run of
//! the query with the world's output directory (write through the `Storage` the engine hands
//! you, so that crashes and power losses reach your files), crashes it at every point, and reads
//! back through a fresh sink what a reader sees. This module only wires a user's sink into the
//! explorer; it must never judge on its own.

use crate::explore::{ExploreOptions, ExploreOutcome, explore};
use crate::scenario::{Expect, RustSink, Scenario, SinkFactory, SinkSpec, Step, UserSink};
use crashpoint_engine::sink::{ReadBack, Sink};
use std::path::Path;
use std::sync::Arc;

/// The tutorial's workload: first run, a re-drop, a second file, a rename, two files at once.
/// Its hand-deleted `commits/1` is left out: only crashes hand a batch over again.
const TUTORIAL: &str = include_str!("../../../scenarios/tutorial.toml");

/// Starts a check of the sink that `make` builds (once per run, with the output directory).
pub fn check_sink<S, F>(make: F) -> SinkCheck
where
    S: Sink + ReadBack + 'static,
    F: Fn(&Path) -> S + Send + Sync + 'static,
{
    let probe = make(Path::new(crate::scenario::ROOT).join("output").as_path());
    let (name, guarantee) = (probe.kind(), probe.guarantee());
    drop(probe);
    let factory: SinkFactory = Arc::new(move |output: &Path| Box::new(make(output)) as Box<dyn UserSink>);
    let sink = RustSink { factory, guarantee, name };
    let mut scenario = Scenario::parse(Path::new("tutorial.toml"), TUTORIAL).expect("the shipped tutorial parses");
    scenario.steps.retain(|step| !matches!(step, Step::Delete { .. }));
    scenario.expect = Expect::default();
    SinkCheck { sink, scenario, power_loss: false, threads: 1 }
}

/// A check being set up: the workload and how hard to crash it.
pub struct SinkCheck {
    sink: RustSink,
    scenario: Scenario,
    power_loss: bool,
    threads: usize,
}

impl SinkCheck {
    /// Another workload instead of the tutorial's (its sink is replaced by yours).
    pub fn scenario(mut self, scenario: Scenario) -> Self {
        self.scenario = scenario;
        self
    }

    /// Also try every crash as a power loss: writes not fsynced are lost.
    pub fn power_loss(mut self) -> Self {
        self.power_loss = true;
        self
    }

    /// Worker threads (default 1); the result does not depend on it.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Crashes every schedule up to `depth` (1: one crash; 2: another in the recovery) and
    /// judges what a reader of the sink sees.
    pub fn explore(&self, depth: u32) -> SinkReport {
        let mut scenario = self.scenario.clone();
        scenario.query.sink = SinkSpec::Rust(self.sink.clone());
        let options =
            ExploreOptions { depth, threads: self.threads, power_loss: self.power_loss, ..Default::default() };
        let outcome = explore(&scenario, &options, &|_, _| {});
        SinkReport { sink: self.sink.name, outcome }
    }
}

/// What the exploration of a user's sink found.
pub struct SinkReport {
    sink: &'static str,
    /// The explorer's outcome: schedules, coverage, violations with reproducers.
    pub outcome: ExploreOutcome,
}

impl SinkReport {
    /// True if no schedule broke the sink's promise or an invariant.
    pub fn passed(&self) -> bool {
        self.outcome.violations.is_empty()
    }

    /// Every finding of every violating schedule, in words.
    pub fn findings(&self) -> Vec<String> {
        self.outcome.violations.iter().flat_map(|v| v.findings.iter().cloned()).collect()
    }

    /// Panics with the report unless every schedule passed: for `#[test]`s.
    #[track_caller]
    pub fn assert_passed(&self) {
        assert!(self.passed(), "{self}");
    }
}

impl std::fmt::Display for SinkReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let outcome = &self.outcome;
        writeln!(
            f,
            "crashpoint: sink {}: {} schedule(s), {} violation(s)",
            self.sink,
            outcome.schedules_run,
            outcome.violations.len()
        )?;
        for violation in outcome.violations.iter().take(3) {
            let crashes: Vec<String> = violation
                .injection
                .crashes
                .iter()
                .map(|c| {
                    let loss = if c.power_loss { " with a power loss" } else { "" };
                    format!("run {} at {} (hit {}){loss}", c.process, c.point, c.hit)
                })
                .collect();
            writeln!(f, "\ncrash {}:", if crashes.is_empty() { "none".into() } else { crashes.join(", then ") })?;
            for finding in &violation.findings {
                writeln!(f, "  - {finding}")?;
            }
            if let Some(reproducer) = &violation.reproducer {
                writeln!(f, "  reproducer (sink = \"rust\" is your sink):\n{}", reproducer.to_toml())?;
            }
        }
        Ok(())
    }
}
