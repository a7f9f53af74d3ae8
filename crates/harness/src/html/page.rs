//! The page around the pictures: a header with an index, a legend, and for each picture its
//! timeline, its verdict with the records traced to their hand-overs, and its frames. The CSS
//! and the script are inline; nothing is fetched. The script only opens what a link points at
//! and records any error it meets in the page itself (`data-errors`), so that a headless browser
//! can tell a page that renders from one that does not.

use super::record::Picture;
use super::{timeline, tree};
use crate::check::EmissionOutcome;
use crate::scenario::{Origin, Step};
use std::fmt::Write;

/// A page: a title, lines that introduce it, and the pictures.
#[derive(Debug, Clone)]
pub struct Page {
    /// The page's title.
    pub title: String,
    /// Lines under the title (what was run, what was found).
    pub intro: Vec<String>,
    /// The pictures, in order.
    pub pictures: Vec<Picture>,
}

/// Escapes text for HTML (elements and attribute values alike).
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The whole page, self-contained.
pub fn render_page(page: &Page) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>\n{CSS}</style>\n<script>\n{SCRIPT}\
         </script>\n</head>\n<body>\n<header>\n<h1>{}</h1>\n",
        escape(&page.title),
        escape(&page.title)
    );
    for line in &page.intro {
        let _ = writeln!(out, "<p class=\"intro\">{}</p>", escape(line));
    }
    out.push_str("<nav><ul>\n");
    for (id, picture) in page.pictures.iter().enumerate() {
        let _ = writeln!(out, "<li>{} <a href=\"#p{id}\">{}</a></li>", badges(picture), escape(&picture.title));
    }
    out.push_str("</ul></nav>\n");
    out.push_str(LEGEND);
    out.push_str("<button type=\"button\" id=\"expand\">expand every step</button> <button type=\"button\" id=\"collapse\">collapse</button>\n</header>\n<main>\n");
    for (id, picture) in page.pictures.iter().enumerate() {
        out += &render_picture(picture, id);
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// The expectations' status, and whether the checker found a violation (which a scenario that
/// shows a bug expects).
fn badges(picture: &Picture) -> String {
    let status = if picture.passed() {
        "<span class=\"badge pass\">PASS</span>"
    } else {
        "<span class=\"badge fail\">FAIL</span>"
    };
    let found = if picture.report.violated() { " <span class=\"badge found\">violation found</span>" } else { "" };
    format!("{status}{found}")
}

fn render_picture(picture: &Picture, id: usize) -> String {
    let report = &picture.report;
    let scenario = &report.scenario;
    let query = &scenario.query;
    let mut out =
        format!("<section class=\"picture\" id=\"p{id}\">\n<h2>{} {}</h2>\n", badges(picture), escape(&picture.title));
    if !scenario.description.is_empty() {
        let _ = writeln!(out, "<p class=\"desc\">{}</p>", escape(&scenario.description));
    }
    let bugs =
        if query.bugs.is_empty() { String::new() } else { format!(" · seeded bugs: {}", query.bugs.join(", ")) };
    let _ = writeln!(
        out,
        "<p class=\"query\">sink {} · trigger {} · seed {}{}</p>",
        escape(query.sink.name()),
        escape(&query.trigger.to_string()),
        scenario.seed,
        escape(&bugs)
    );
    let _ = writeln!(out, "<div class=\"scroll\">\n{}</div>", timeline::render(picture, id));
    out += &render_verdict(picture, id);
    if let Some(note) = &picture.note {
        let _ = writeln!(
            out,
            "<details class=\"note\" open><summary>{}</summary><pre>{}</pre></details>",
            escape(&note.0),
            escape(&note.1)
        );
    }
    out.push_str("<h3>Step by step</h3>\n");
    out += &render_frames(picture, id);
    out.push_str("</section>\n");
    out
}

fn render_verdict(picture: &Picture, id: usize) -> String {
    let report = &picture.report;
    let (execution, verdict) = (&report.execution, &report.verdict);
    let status = |ok: bool| if ok { "PASS" } else { "FAIL" };
    let mut out = String::from("<div class=\"verdict\">\n");
    let _ = writeln!(
        out,
        "<p>oracle ({}): {} row(s); this run: {} row(s)</p>\n<p>{} sink ({}): <b>{}</b></p>",
        escape(&report.oracle),
        report.oracle_rows,
        execution.output.len(),
        escape(&verdict.sink),
        verdict.guarantee,
        status(verdict.passed)
    );
    out += &list("findings", &verdict.findings);
    let _ = writeln!(
        out,
        "<p>invariants ({} check(s), after every restart and at the end): <b>{}</b></p>",
        execution.invariant_checks,
        status(execution.violations.is_empty())
    );
    out += &list("violations", &execution.violations);
    let _ = writeln!(out, "<p>expectations: <b>{}</b></p>", status(report.passed()));
    out += &list("failures", &report.failures);
    out += &render_records(picture, id);
    out.push_str("</div>\n");
    out
}

fn list(class: &str, items: &[String]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let mut out = format!("<ul class=\"{class}\">\n");
    items.iter().for_each(|item| {
        let _ = writeln!(out, "<li>{}</li>", escape(item));
    });
    out.push_str("</ul>\n");
    out
}

/// The records seen too often or never, each with the hand-overs that carried it, linked to
/// the frames of their runs.
fn render_records(picture: &Picture, id: usize) -> String {
    if picture.records.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "<p>Records seen a different number of times than the oracle says, or handed to the sink more than \
         once:</p>\n<table class=\"records\">\n<tr><th>record</th><th>oracle</th><th>a reader sees</th><th>handed \
         to the sink in</th></tr>\n",
    );
    for record in &picture.records {
        let class = timeline::record_class(picture, record);
        let handed: Vec<String> = record
            .handed
            .iter()
            .map(|h| {
                let frame = picture.frames.iter().position(|f| f.process == Some(h.process)).unwrap_or(0);
                let what = match h.outcome {
                    EmissionOutcome::Written => "written",
                    EmissionOutcome::Skipped => "skipped",
                    EmissionOutcome::Crashed => "crashed in the sink",
                };
                format!("<a href=\"#f{id}-{frame}\">batch {} in run {} ({what})</a>", h.batch, h.process)
            })
            .collect();
        let mut handed = if handed.is_empty() { "never".to_string() } else { handed.join(", ") };
        for origin in &record.origins {
            handed += &format!("<br>from {}: {}", escape(&origin.file), origin_text(picture, id, origin));
        }
        let _ = writeln!(
            out,
            "<tr class=\"{class}\"><td><code>{}</code></td><td>{}</td><td>{}</td><td>{handed}</td></tr>",
            escape(&record.record),
            record.expected,
            record.seen
        );
    }
    out.push_str("</table>\n");
    out
}

/// Where the oracle and this run planned a lost record's file, the run's batches linked.
fn origin_text(picture: &Picture, id: usize, origin: &Origin) -> String {
    let show = |batches: &[(u32, u64)], link: bool| -> String {
        if batches.is_empty() {
            return "never planned".to_string();
        }
        let shown: Vec<String> = batches
            .iter()
            .map(|(run, batch)| {
                let text = format!("batch {batch} (run {run})");
                match picture.frames.iter().position(|f| f.process == Some(*run)).filter(|_| link) {
                    Some(frame) => format!("<a href=\"#f{id}-{frame}\">{text}</a>"),
                    None => text,
                }
            })
            .collect();
        format!("planned in {}", shown.join(", "))
    };
    format!("the oracle: {}; this run: {}", show(&origin.oracle, false), show(&origin.planned, true))
}

fn render_frames(picture: &Picture, id: usize) -> String {
    let mut out = String::new();
    let mut before: &[(String, crate::report::Shown)] = &[];
    for (index, frame) in picture.frames.iter().enumerate() {
        let step = frame.step.and_then(|s| picture.steps().get(s));
        let tamper = step.is_some_and(|s| {
            matches!(
                s,
                Step::Delete { .. }
                    | Step::Corrupt { .. }
                    | Step::Truncate { .. }
                    | Step::Write { .. }
                    | Step::DeleteOutput { .. }
                    | Step::CorruptOutput { .. }
                    | Step::DeleteCheckpoint
                    | Step::ChangeQuery(_)
            )
        });
        let crashed = frame.lines.iter().any(|l| l.contains("CRASH") || l.trim_start().starts_with("power loss"));
        let violated = frame.lines.iter().any(|l| l.contains("INVARIANT VIOLATED"));
        let mut class = String::from("frame");
        for (on, name) in
            [(frame.process.is_some(), " run"), (tamper, " tamper"), (crashed, " crash"), (violated, " violation")]
        {
            if on {
                class.push_str(name);
            }
        }
        let _ = writeln!(
            out,
            "<div class=\"{class}\" id=\"f{id}-{index}\">\n<div class=\"frame-head\"><span class=\"n\">{}</span> {}</div>",
            index + 1,
            escape(&frame.heading)
        );
        if !frame.lines.is_empty() {
            let lines: Vec<&str> = frame.lines.iter().map(|l| l.trim_start()).collect();
            let _ = writeln!(out, "<pre class=\"events\">{}</pre>", escape(&lines.join("\n")));
        }
        out += &tree::render(&frame.files, before, tamper || crashed);
        out.push_str("</div>\n");
        before = &frame.files;
    }
    out
}

const LEGEND: &str = "<p class=\"legend\">Marks, left to right in the order they happened: \
<span class=\"key k-step\">your step</span> <span class=\"key k-tamper\">tampering</span> \
<span class=\"key k-planned\">batch planned</span> <span class=\"key k-rerun\">batch re-run</span> \
<span class=\"key k-write\">log written</span> <span class=\"key k-skip\">sink skipped</span> \
<span class=\"key k-crash\">crash</span> <span class=\"key k-power\">power loss</span> \
<span class=\"key k-error\">error</span> <span class=\"key culprit\">carried a record lost or \
duplicated</span> <span class=\"key allowed\">carried an allowed duplicate</span>. \
Click a mark for its step; hover for details.</p>\n";

const CSS: &str = r#"body { font: 14px/1.45 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
header { background: #fff; padding: 14px 24px 12px; border-bottom: 1px solid #dde1e7; }
h1 { font-size: 20px; margin: 0 0 6px; }
h2 { font-size: 17px; margin: 0 0 6px; }
h3 { font-size: 15px; margin: 18px 0 8px; }
main { padding: 8px 24px 40px; }
nav ul { margin: 6px 0; padding-left: 0; list-style: none; columns: 2; }
nav li { margin: 2px 0; }
a { color: #2454a6; }
.intro { margin: 2px 0; color: #3a4252; }
.badge { display: inline-block; font-size: 11px; font-weight: bold; padding: 1px 6px; border-radius: 3px; color: #fff; }
.badge.pass { background: #2f8f4e; } .badge.fail { background: #c62f2f; } .badge.found { background: #b8650a; }
.picture { background: #fff; border: 1px solid #dde1e7; border-radius: 8px; padding: 14px 18px; margin: 16px 0; }
.desc { margin: 2px 0 4px; } .query { margin: 0 0 8px; color: #5a6273; font-size: 13px; }
.scroll { overflow-x: auto; border: 1px solid #e6e9ee; border-radius: 6px; background: #fcfcfd; }
svg.timeline { display: block; font: 12px "DejaVu Sans Mono", "Liberation Mono", monospace; }
svg .lane { stroke: #e3e6eb; } svg .lane-label { fill: #5a6273; font-weight: bold; }
svg .band.b0 { fill: #eef3fb; } svg .band.b1 { fill: #f1f6ee; }
svg .band-label { fill: #4a5568; font-weight: bold; }
svg .mark rect { stroke-width: 1.5; } svg .mark text { fill: #1d2330; }
svg a:hover rect { stroke: #1d2330; stroke-width: 2; }
svg .k-step rect { fill: #e8eaee; stroke: #9aa2af; }
svg .k-tamper rect { fill: #fde8c8; stroke: #d88a16; }
svg .k-planned rect { fill: #dbe7fb; stroke: #5b8ad6; }
svg .k-rerun rect { fill: #efe0fb; stroke: #9150d0; }
svg .k-write rect { fill: #dff3e4; stroke: #3b9a5a; }
svg .k-skip rect { fill: #f2f2f2; stroke: #9aa2af; stroke-dasharray: 3 2; }
svg .k-crash rect { fill: #c62f2f; stroke: #8f1d1d; } svg .k-crash text { fill: #fff; font-weight: bold; }
svg .k-power rect { fill: #1d2330; stroke: #1d2330; } svg .k-power text { fill: #fff; font-weight: bold; }
svg .k-error rect { fill: #fbd5d5; stroke: #c62f2f; }
svg .strike { stroke: #c62f2f; stroke-width: 2; } svg .k-power .strike { stroke: #1d2330; stroke-dasharray: 5 3; }
svg .culprit rect { stroke: #c62f2f; stroke-width: 3; fill: #fbd5d5; }
svg .allowed rect { stroke: #d88a16; stroke-width: 3; fill: #fdf0d5; }
.legend { font-size: 12px; color: #3a4252; margin: 8px 0; }
.key { display: inline-block; padding: 0 6px; border-radius: 3px; border: 1.5px solid #9aa2af; margin: 1px 0; }
.key.k-step { background: #e8eaee; } .key.k-tamper { background: #fde8c8; border-color: #d88a16; }
.key.k-planned { background: #dbe7fb; border-color: #5b8ad6; } .key.k-rerun { background: #efe0fb; border-color: #9150d0; }
.key.k-write { background: #dff3e4; border-color: #3b9a5a; } .key.k-skip { border-style: dashed; }
.key.k-crash { background: #c62f2f; color: #fff; } .key.k-power { background: #1d2330; color: #fff; }
.key.k-error { background: #fbd5d5; border-color: #c62f2f; }
.key.culprit { border: 3px solid #c62f2f; } .key.allowed { border: 3px solid #d88a16; }
.verdict { margin: 10px 0; padding: 8px 12px; background: #f8f9fb; border-radius: 6px; }
.verdict p { margin: 3px 0; }
.verdict ul { margin: 2px 0 6px; }
.records { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
.records th, .records td { border: 1px solid #dde1e7; padding: 3px 8px; text-align: left; }
.records tr.culprit td { background: #fde9e9; } .records tr.allowed td { background: #fdf3df; }
.frame { border-left: 4px solid #c9ced6; padding: 4px 10px; margin: 6px 0; background: #fff; }
.frame.run { border-left-color: #5b8ad6; } .frame.tamper { border-left-color: #d88a16; }
.frame.crash { border-left-color: #c62f2f; } .frame.violation { background: #fde9e9; }
.frame:target, .frame.flash { outline: 2px solid #2454a6; }
.frame-head { font-weight: bold; } .frame-head .n { color: #8a93a3; margin-right: 4px; }
pre { margin: 4px 0; white-space: pre-wrap; word-break: break-all; font: 12px/1.4 "DejaVu Sans Mono", monospace; }
pre.events { color: #3a4252; }
details.tree > summary { cursor: pointer; color: #3a4252; font-size: 13px; }
details.tree ul { list-style: none; margin: 0; padding-left: 16px; }
details summary { cursor: pointer; }
li.file.new > details > summary, li.file.changed > details > summary { color: #1f7a3e; font-weight: bold; }
.tag { font-size: 10px; background: #dff3e4; border-radius: 3px; padding: 0 4px; }
.gone { color: #c62f2f; } .new { color: #1f7a3e; }
li.file pre { background: #f4f5f7; padding: 4px 6px; border-radius: 4px; }
"#;

const SCRIPT: &str = r#"(function () {
  "use strict";
  var errors = [];
  function fail(message) {
    errors.push(String(message));
    document.documentElement.setAttribute("data-errors", errors.join(" | "));
  }
  window.onerror = function (message) { fail(message); };
  window.addEventListener("unhandledrejection", function (e) { fail(e.reason); });
  function setAll(open) {
    document.querySelectorAll(".frame details").forEach(function (d) { d.open = open; });
  }
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id ? document.getElementById(id) : null;
    if (!target) { return; }
    target.querySelectorAll("details.tree").forEach(function (d) { d.open = true; });
    target.classList.add("flash");
    window.setTimeout(function () { target.classList.remove("flash"); }, 1500);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.getElementById("expand").addEventListener("click", function () { setAll(true); });
    document.getElementById("collapse").addEventListener("click", function () { setAll(false); });
    window.addEventListener("hashchange", openTarget);
    openTarget();
    var shown = document.querySelectorAll("svg.timeline .mark").length;
    document.documentElement.setAttribute("data-rendered", String(document.querySelectorAll("section.picture").length));
    document.documentElement.setAttribute("data-marks", String(shown));
  });
})();
"#;
