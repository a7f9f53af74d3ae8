//! Runs a scenario unit by unit (a step, a restart) and records, after each one, the trace it
//! added and every file on the simulated disk: the frames of a picture.

use crate::report::{Shown, read_tree};
use crate::scenario::{
    Injection, Oracle, ProcessRecord, ROOT, RecordCount, Report, Runner, Scenario, Step, judge, record_counts,
};

/// What one unit of the execution did, and the disk after it.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The unit's first trace line, e.g. `[step 5] delete checkpoint file commits/1`.
    pub heading: String,
    /// The rest of its trace: the engine's events, crashes, power losses, violations.
    pub lines: Vec<String>,
    /// The scenario step it carried out (from 0), if it was a step.
    pub step: Option<usize>,
    /// The run (process) it started, from 1.
    pub process: Option<u32>,
    /// Every file on the disk after it (input, checkpoint, output), by path under the world's
    /// root, with its text.
    pub files: Vec<(String, Shown)>,
}

/// Everything a picture shows of one execution.
#[derive(Debug, Clone)]
pub struct Picture {
    /// The heading, e.g. the scenario's path, or the schedule's faults.
    pub title: String,
    /// The units, in order.
    pub frames: Vec<Frame>,
    /// The execution judged against the oracle.
    pub report: Report,
    /// Records a reader sees more or less often than the oracle.
    pub records: Vec<RecordCount>,
    /// Something to show beside it, as a heading and preformatted text (a reproducer).
    pub note: Option<(String, String)>,
}

impl Picture {
    /// The processes (runs) of the execution, in order.
    pub fn processes(&self) -> &[ProcessRecord] {
        &self.report.execution.processes
    }

    /// The scenario's steps.
    pub fn steps(&self) -> &[Step] {
        &self.report.scenario.steps
    }

    /// True if every expectation of the scenario holds.
    pub fn passed(&self) -> bool {
        self.report.passed()
    }
}

/// Runs `scenario` with `injection` (the faults of an explored schedule; none for a plain run)
/// and records its picture under `title`.
pub fn picture(scenario: &Scenario, injection: &Injection, title: &str) -> Picture {
    let oracle = Oracle::of(scenario);
    let injection = Injection { record_io: true, ..injection.clone() };
    let mut runner = Runner::new(scenario, injection.clone());
    let mut frames = Vec::new();
    while !runner.is_done() {
        let (lines_before, processes_before) = (runner.trace().len(), runner.processes().len());
        let step = runner.next_step();
        runner.advance();
        let new = &runner.trace()[lines_before..];
        let Some((heading, lines)) = new.split_first() else { continue };
        let process = (runner.processes().len() > processes_before).then(|| runner.processes().len() as u32);
        let world = runner.world();
        let files = read_tree(world.storage().as_ref(), world.root(), ROOT);
        frames.push(Frame { heading: heading.trim().to_string(), lines: lines.to_vec(), step, process, files });
    }
    let report = judge(scenario, &injection, runner.finish(), &oracle);
    let records = record_counts(&report, &oracle);
    Picture { title: title.to_string(), frames, report, records, note: None }
}
