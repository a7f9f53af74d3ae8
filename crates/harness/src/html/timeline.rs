//! The timeline of a picture: one lane for the user's hands, one for the batches each run plans,
//! and one per log (the source log, offsets, the sink, commits). Every log write is a mark in its
//! lane, in the order it happened, each in a column of its own; runs are bands behind the marks;
//! a crash is a red line through every lane, a power loss a dashed one. Each mark links to the
//! frame (the step) that made it.
//!
//! Marks come from the engine's events and the storage operations each run recorded: a log
//! write is the rename that put `offsets/N` (or `sources/0/N`, `commits/N`,
//! `_spark_metadata/N`) in place, as Spark writes every log file atomically.

use super::page::escape;
use super::record::Picture;
use crate::scenario::{ProcessRecord, RecordCount, Step};
use crashpoint_engine::engine::Event;
use crashpoint_engine::faults::CrashPoint;
use crashpoint_engine::storage::IoOp;
use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write;

/// A lane of the timeline, top to bottom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Lane {
    You,
    Batches,
    Sources,
    Offsets,
    Sink,
    Commits,
}

const LANES: [(Lane, &str); 6] = [
    (Lane::You, "your steps"),
    (Lane::Batches, "batches"),
    (Lane::Sources, "sources/0"),
    (Lane::Offsets, "offsets"),
    (Lane::Sink, "sink"),
    (Lane::Commits, "commits"),
];

/// What a mark shows, which picks its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Step,
    Tamper,
    Planned,
    Rerun,
    Write,
    Skip,
    Crash,
    PowerLoss,
    Error,
}

impl Kind {
    fn class(self) -> &'static str {
        match self {
            Kind::Step => "k-step",
            Kind::Tamper => "k-tamper",
            Kind::Planned => "k-planned",
            Kind::Rerun => "k-rerun",
            Kind::Write => "k-write",
            Kind::Skip => "k-skip",
            Kind::Crash => "k-crash",
            Kind::PowerLoss => "k-power",
            Kind::Error => "k-error",
        }
    }
}

/// One mark: a column of its own.
#[derive(Debug, Clone)]
struct Mark {
    lane: Lane,
    text: String,
    title: String,
    kind: Kind,
    /// The frame it links to.
    frame: usize,
    /// Set on a sink mark whose hand-over carried a record seen too often or never.
    flag: Option<&'static str>,
}

/// A run: the marks `first..=last` are its own.
#[derive(Debug, Clone)]
struct Band {
    first: usize,
    last: usize,
    label: String,
}

const LABEL_W: usize = 92;
const TOP: usize = 26;
const LANE_H: usize = 30;
const MARK_H: usize = 20;
const GAP: usize = 6;

/// A mark's width: its text in the monospace font (7.3 px a character), padded.
fn width(text: &str) -> usize {
    (text.chars().count() * 73).div_ceil(10) + 12
}

fn lane_y(lane: Lane) -> usize {
    let index = LANES.iter().position(|(l, _)| *l == lane).unwrap_or(0);
    TOP + index * LANE_H
}

/// The timeline of `picture` as an inline SVG; its marks link to `#f{id}-{frame}`.
pub(super) fn render(picture: &Picture, id: usize) -> String {
    let (marks, bands) = marks(picture);
    let mut xs = Vec::with_capacity(marks.len());
    let mut x = LABEL_W + 10;
    for mark in &marks {
        xs.push(x);
        x += width(&mark.text) + GAP;
    }
    let (total_w, total_h) = (x + 10, TOP + LANES.len() * LANE_H + 8);
    let mut svg = format!(
        "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{total_w}\" height=\"{total_h}\" \
         viewBox=\"0 0 {total_w} {total_h}\" role=\"img\" aria-label=\"timeline of runs and batches\">\n"
    );
    for (n, band) in bands.iter().enumerate() {
        let (x0, x1) = (xs[band.first] - 3, xs[band.last] + width(&marks[band.last].text) + 3);
        let _ = writeln!(
            svg,
            "<rect class=\"band b{}\" x=\"{x0}\" y=\"4\" width=\"{}\" height=\"{}\" rx=\"6\"/><text class=\"band-label\" \
             x=\"{}\" y=\"17\">{}</text>",
            n % 2,
            x1 - x0,
            total_h - 8,
            x0 + 5,
            escape(&band.label)
        );
    }
    for (lane, label) in LANES {
        let y = lane_y(lane);
        let _ = writeln!(
            svg,
            "<line class=\"lane\" x1=\"0\" y1=\"{}\" x2=\"{total_w}\" y2=\"{}\"/><text class=\"lane-label\" x=\"6\" \
             y=\"{}\">{label}</text>",
            y + LANE_H - 1,
            y + LANE_H - 1,
            y + 19
        );
    }
    for (mark, x) in marks.iter().zip(&xs) {
        render_mark(&mut svg, mark, *x, total_h, id);
    }
    svg.push_str("</svg>\n");
    svg
}

fn render_mark(svg: &mut String, mark: &Mark, x: usize, total_h: usize, id: usize) {
    let (w, y) = (width(&mark.text), lane_y(mark.lane) + (LANE_H - MARK_H) / 2);
    let flag = mark.flag.map(|f| format!(" {f}")).unwrap_or_default();
    let _ = write!(svg, "<a href=\"#f{id}-{}\"><g class=\"mark {}{flag}\">", mark.frame, mark.kind.class());
    if matches!(mark.kind, Kind::Crash | Kind::PowerLoss) {
        let cx = x + w / 2;
        let _ = write!(svg, "<line class=\"strike\" x1=\"{cx}\" y1=\"{TOP}\" x2=\"{cx}\" y2=\"{}\"/>", total_h - 6);
    }
    let _ = writeln!(
        svg,
        "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{MARK_H}\" rx=\"4\"/><text x=\"{}\" y=\"{}\">{}</text>\
         <title>{}</title></g></a>",
        x + 6,
        y + 14,
        escape(&mark.text),
        escape(&mark.title)
    );
}

/// Every mark, in the order it happened, and the runs' bands.
fn marks(picture: &Picture) -> (Vec<Mark>, Vec<Band>) {
    let flagged = flagged_hand_overs(picture);
    let mut marks = Vec::new();
    let mut bands = Vec::new();
    for (index, frame) in picture.frames.iter().enumerate() {
        if let Some(ordinal) = frame.process {
            let Some(process) = picture.processes().get(ordinal as usize - 1) else { continue };
            let first = marks.len();
            run_marks(process, index, &flagged, &mut marks);
            if frame.lines.iter().any(|l| l.trim_start().starts_with("power loss")) {
                let title = "the power failed: every operation not yet fsynced may be lost";
                marks.push(mark(Lane::Batches, "POWER LOSS", title, Kind::PowerLoss, index));
            }
            if marks.len() == first {
                marks.push(mark(Lane::Batches, "idle", &frame.heading, Kind::Planned, index));
            }
            let restart = if process.inserted { " (restart)" } else { "" };
            bands.push(Band { first, last: marks.len() - 1, label: format!("run {ordinal}{restart}") });
        } else if let Some(step) = frame.step.and_then(|s| picture.steps().get(s)) {
            marks.extend(step_mark(step, index));
        }
    }
    (marks, bands)
}

/// The hand-overs (run, batch) that carried a record a reader sees too often or never, or that
/// was handed over more than once, with the class that marks them.
fn flagged_hand_overs(picture: &Picture) -> Flagged {
    let mut flagged = Flagged::default();
    let flag = |map: &mut BTreeMap<(u32, u64), &'static str>, key: (u32, u64), class: &'static str| {
        let entry = map.entry(key).or_insert(class);
        if class == "culprit" {
            *entry = class;
        }
    };
    for record in &picture.records {
        let class = record_class(picture, record);
        for hand_over in &record.handed {
            flag(&mut flagged.sink, (hand_over.process, hand_over.batch), class);
        }
        for planned in record.origins.iter().flat_map(|o| &o.planned) {
            flag(&mut flagged.batches, *planned, class);
        }
    }
    flagged
}

/// Marks to outline, by (run, batch): sink writes that carried a flagged record, and batches
/// that planned the file a lost record comes from.
#[derive(Default)]
struct Flagged {
    sink: BTreeMap<(u32, u64), &'static str>,
    batches: BTreeMap<(u32, u64), &'static str>,
}

/// `culprit` for a record the verdict holds against the sink, `allowed` for one the sink's
/// guarantee allows (a re-run batch printed again by an at-least-once sink, or skipped).
pub(super) fn record_class(picture: &Picture, record: &RecordCount) -> &'static str {
    if record.as_expected() || picture.report.verdict.passed { "allowed" } else { "culprit" }
}

fn mark(lane: Lane, text: &str, title: &str, kind: Kind, frame: usize) -> Mark {
    Mark { lane, text: text.to_string(), title: title.to_string(), kind, frame, flag: None }
}

/// A log file that the rename to `path` put in place: its lane and its name in that log.
fn log_write(path: &std::path::Path) -> Option<(Lane, String)> {
    let parts: Vec<String> = path.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let name = parts.last()?.clone();
    if name.starts_with('.') || !name.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let parent: Vec<&str> = parts[..parts.len() - 1].iter().rev().take(3).map(String::as_str).collect();
    let lane = match parent.as_slice() {
        ["0", "sources", "checkpoint", ..] => Lane::Sources,
        ["offsets", "checkpoint", ..] => Lane::Offsets,
        ["commits", "checkpoint", ..] => Lane::Commits,
        ["_spark_metadata", "output", ..] => Lane::Sink,
        _ => return None,
    };
    Some((lane, name))
}

/// The marks of one run: its events, with the log writes it made between them.
fn run_marks(process: &ProcessRecord, frame: usize, flagged: &Flagged, out: &mut Vec<Mark>) {
    let mut writes: VecDeque<(Lane, String)> =
        process.io_ops.iter().filter(|(op, _)| *op == IoOp::Rename).filter_map(|(_, path)| log_write(path)).collect();
    let mut flush = |out: &mut Vec<Mark>, lanes: &[Lane]| -> Vec<String> {
        let mut names = Vec::new();
        while let Some((lane, name)) = writes.front().filter(|(lane, _)| lanes.contains(lane)).cloned() {
            writes.pop_front();
            if lane == Lane::Sink {
                names.push(format!("_spark_metadata/{name}"));
                continue;
            }
            let log = LANES.iter().find(|(l, _)| *l == lane).map_or("", |(_, label)| label);
            let title = format!("run {}: wrote {log}/{name} (temp file, fsync, rename)", process.ordinal);
            out.push(mark(lane, &name, &title, Kind::Write, frame));
        }
        names
    };
    let mut batch = None;
    for event in &process.events {
        match event {
            Event::BatchPlanned { id, origin, .. } => {
                batch = Some(*id);
                let (text, kind) = if *origin == "re-run" {
                    (format!("{id} re-run"), Kind::Rerun)
                } else {
                    (id.to_string(), Kind::Planned)
                };
                let mut planned = mark(Lane::Batches, &text, &format!("run {}: {event}", process.ordinal), kind, frame);
                planned.flag = flagged.batches.get(&(process.ordinal, *id)).copied();
                out.push(planned);
                flush(out, &[Lane::Sources, Lane::Offsets]);
            }
            Event::SinkWrote { id, .. } | Event::SinkSkipped { id, .. } => {
                let logs = flush(out, &[Lane::Sink]);
                let kind = if matches!(event, Event::SinkWrote { .. }) { Kind::Write } else { Kind::Skip };
                let also = if logs.is_empty() { String::new() } else { format!("; wrote {}", logs.join(", ")) };
                let mut sink =
                    mark(Lane::Sink, &id.to_string(), &format!("run {}: {event}{also}", process.ordinal), kind, frame);
                sink.flag = flagged.sink.get(&(process.ordinal, *id)).copied();
                out.push(sink);
            }
            Event::Committed { .. } => {
                flush(out, &[Lane::Commits]);
            }
            Event::Crashed(crash) => {
                flush(out, &[Lane::Sources, Lane::Offsets, Lane::Sink, Lane::Commits]);
                if let (CrashPoint::DuringSinkWrite, Some(id)) = (crash.point, batch) {
                    let title = format!("run {}: crashed inside the sink while it wrote batch {id}", process.ordinal);
                    let mut sink = mark(Lane::Sink, &format!("{id} partly"), &title, Kind::Write, frame);
                    sink.flag = flagged.sink.get(&(process.ordinal, id)).copied();
                    out.push(sink);
                }
                let title = format!("run {}: crashed at {} (hit {})", process.ordinal, crash.point, crash.hit);
                out.push(mark(Lane::Batches, &format!("CRASH {}", crash.point), &title, Kind::Crash, frame));
            }
            _ => {}
        }
    }
    flush(out, &[Lane::Sources, Lane::Offsets, Lane::Sink, Lane::Commits]);
    if let Some(error) = &process.error {
        out.push(mark(Lane::Batches, "ERROR", &format!("run {}: {error}", process.ordinal), Kind::Error, frame));
    }
    if let Some(fired) = &process.io_failed {
        let title = format!("run {}: injected {} error on {}", process.ordinal, fired.op, fired.path.display());
        out.push(mark(Lane::Batches, "I/O ERROR", &title, Kind::Error, frame));
    }
}

/// The mark of a step of the user's: on the lane of the log it tampers with, else on their own.
fn step_mark(step: &Step, frame: usize) -> Option<Mark> {
    let title = step.to_string();
    let (lane, text, kind) = match step {
        Step::Run(_) => return None,
        Step::Delete { path } | Step::Corrupt { path, .. } | Step::Truncate { path, .. } | Step::Write { path, .. } => {
            let verb = match step {
                Step::Delete { .. } => "×",
                Step::Corrupt { .. } => "corrupt",
                Step::Truncate { .. } => "truncate",
                _ => "write",
            };
            let name = path.rsplit('/').next().unwrap_or(path);
            let lane = match path.split('/').next() {
                Some("commits") => Lane::Commits,
                Some("offsets") => Lane::Offsets,
                Some("sources") => Lane::Sources,
                _ => Lane::You,
            };
            let text = if lane == Lane::You { format!("{verb} {path}") } else { format!("{verb} {name}") };
            (lane, text, Kind::Tamper)
        }
        Step::DeleteCheckpoint => (Lane::You, "× checkpoint".to_string(), Kind::Tamper),
        Step::Restore => (Lane::You, "restore from backup".to_string(), Kind::Step),
        Step::DeleteOutput { path } => (Lane::You, format!("× output/{path}"), Kind::Tamper),
        Step::CorruptOutput { path, .. } => (Lane::You, format!("corrupt output/{path}"), Kind::Tamper),
        Step::Add { name, .. } => (Lane::You, format!("+ {name}"), Kind::Step),
        Step::Mkdir { name } => (Lane::You, format!("+ {name}/"), Kind::Step),
        Step::Link { name, to } => (Lane::You, format!("+ {name} -> {to}"), Kind::Step),
        Step::Special { name, kind } => (Lane::You, format!("+ {name} ({})", kind.name()), Kind::Step),
        Step::Redrop { name } => (Lane::You, format!("re-drop {name}"), Kind::Step),
        Step::Rename { from, to } => (Lane::You, format!("{from} → {to}"), Kind::Step),
        Step::Modify { name, .. } => (Lane::You, format!("modify {name}"), Kind::Step),
        Step::Remove { name } => (Lane::You, format!("− {name}"), Kind::Step),
        Step::InputDir(change) => (Lane::You, format!("input dir: {}", change.name()), Kind::Step),
        Step::Touch { name, .. } => (Lane::You, format!("touch {name}"), Kind::Step),
        Step::ClockBack { ms } => (Lane::You, format!("clock −{ms} ms"), Kind::Step),
        Step::ClockForward { ms } => (Lane::You, format!("clock +{ms} ms"), Kind::Step),
        Step::HoldLock { place } => (Lane::You, format!("another query holds {place}/"), Kind::Step),
        Step::HolderDies { place } => (Lane::You, format!("its holder dies: {place}/ free"), Kind::Step),
        Step::ChangeQuery(_) => (Lane::You, "change the query".to_string(), Kind::Tamper),
    };
    Some(mark(lane, &text, &title, kind, frame))
}
