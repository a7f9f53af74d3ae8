//! The live log: the engine's events on stderr as they happen (batch planned, bad lines, sink
//! written or skipped, committed, recovered, warnings, a crash), as text or JSON lines, and on a
//! terminal a progress line under them while a query runs. `--quiet` silences all of it; errors
//! are still reported.

use super::style::Style;
use crashpoint_engine::engine::{Event, Resume};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// How engine events are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One line per event, for people.
    Text,
    /// One JSON object per line, for programs: `{"event": "committed", "batch": 1, "message": …}`.
    Json,
}

/// The live log's options.
#[derive(Debug, Clone, clap::Args)]
pub struct LogArgs {
    /// Print no engine events, no progress line and no summary; only errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// The engine's events on stderr as they happen: text, or json (one object per line).
    #[arg(long, value_enum, default_value = "text")]
    pub log: LogFormat,
}

/// Writes events as they come; owned by the engine's observer.
pub struct LiveLog {
    format: Option<LogFormat>,
    style: Style,
    progress: Option<ProgressBar>,
    started: Instant,
    committed: usize,
    rows: usize,
}

impl LiveLog {
    /// A log for `args`, with a progress line if stderr is a terminal, events are text, and
    /// `stdout_shared` is false: a console sink printing to the same terminal would tear it.
    pub fn new(args: &LogArgs, stdout_shared: bool) -> Self {
        let format = (!args.quiet).then_some(args.log);
        let terminal = std::io::stderr().is_terminal() && !(stdout_shared && std::io::stdout().is_terminal());
        let progress = (format == Some(LogFormat::Text) && terminal).then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar.set_message("starting");
            bar
        });
        LiveLog { format, style: Style::stderr(), progress, started: Instant::now(), committed: 0, rows: 0 }
    }

    /// The progress line, to clear once the query stops.
    pub fn progress(&self) -> Option<ProgressBar> {
        self.progress.clone()
    }

    /// Writes one event and updates the progress line.
    pub fn observe(&mut self, event: &Event) {
        match event {
            Event::Committed { .. } => self.committed += 1,
            Event::SinkWrote { rows, .. } => self.rows += rows,
            _ => {}
        }
        let line = match self.format {
            None => return,
            Some(LogFormat::Json) => event_line(event),
            Some(LogFormat::Text) => self.paint(event),
        };
        match &self.progress {
            Some(bar) => {
                bar.println(line);
                bar.set_message(self.status(event));
            }
            None => eprintln!("{line}"),
        }
    }

    fn paint(&self, event: &Event) -> String {
        let text = event.to_string();
        match event {
            Event::Warning(_)
            | Event::SourceNotice(_)
            | Event::SkippedUncommitted { .. }
            | Event::BadRecords { .. }
            | Event::ReadAsNull { .. } => self.style.warn(&text),
            Event::Crashed(_) => self.style.bad(&text),
            Event::Committed { .. } => self.style.good(&text),
            Event::Started { resume: Resume::Rerun { .. }, .. } => self.style.warn(&text),
            _ => text,
        }
    }

    fn status(&self, event: &Event) -> String {
        let doing = match event {
            Event::BatchPlanned { id, files, .. } => format!("batch {id}: running ({} file(s))", files.len()),
            Event::SinkWrote { id, .. } | Event::SinkSkipped { id, .. } => format!("batch {id}: committing"),
            Event::Idle => "no new files".to_string(),
            _ => "looking for new files".to_string(),
        };
        format!(
            "{doing} · {} batch(es) committed · {} row(s) written · {:.1} s",
            self.committed,
            self.rows,
            self.started.elapsed().as_secs_f64()
        )
    }
}

/// An event as one JSON object: its kind, its fields, and the text line as `message`.
pub fn event_json(event: &Event) -> serde_json::Value {
    use serde_json::json;
    let mut value = match event {
        Event::Started { query_id, resume } => {
            let (resume, batch) = match resume {
                Resume::Fresh => ("fresh", None),
                Resume::Continue { next } => ("continue", Some(*next)),
                Resume::Rerun { batch } => ("rerun", Some(*batch)),
            };
            json!({"event": "started", "query_id": query_id, "resume": resume, "batch": batch})
        }
        Event::BatchPlanned { id, files, origin, sources } => json!({
            "event": "batch-planned", "batch": id, "files": files, "origin": origin,
            "log_offset_after": sources.after, "log_offset": sources.through,
        }),
        Event::BadRecords { id, count, dead_letter, first } => json!({
            "event": "bad-records", "batch": id, "count": count, "dead_letter": dead_letter, "first": first,
        }),
        Event::ReadAsNull { id, count, first } => {
            json!({"event": "read-as-null", "batch": id, "count": count, "first": first})
        }
        Event::SinkWrote { id, rows } => json!({"event": "sink-wrote", "batch": id, "rows": rows}),
        Event::SinkSkipped { id, reason } => json!({"event": "sink-skipped", "batch": id, "reason": reason}),
        Event::Committed { id } => json!({"event": "committed", "batch": id}),
        Event::Warning(_) => json!({"event": "warning"}),
        Event::SourceNotice(notice) => json!({"event": "warning", "path": notice.path()}),
        Event::SkippedUncommitted { id } => json!({"event": "warning", "batch": id}),
        Event::Crashed(crash) => json!({"event": "crashed", "point": crash.point.name(), "hit": crash.hit}),
        Event::Idle => json!({"event": "idle"}),
    };
    value["message"] = json!(event.to_string());
    value
}

/// One line of JSON with `event` first and `message` second, then the other fields, so that a
/// person reading the stream sees what each line is.
pub fn event_line(event: &Event) -> String {
    let serde_json::Value::Object(mut fields) = event_json(event) else { unreachable!("events are objects") };
    let mut line = String::from("{");
    for key in ["event", "message"] {
        if let Some(value) = fields.remove(key) {
            line += &format!("{}:{value},", serde_json::Value::from(key));
        }
    }
    for (key, value) in fields {
        line += &format!("{}:{value},", serde_json::Value::from(key));
    }
    line.pop();
    line + "}"
}
