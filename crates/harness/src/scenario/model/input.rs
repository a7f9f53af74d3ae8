//! The input directory as the scenario's steps leave it, and what a batch reads from a file:
//! rows, and bad lines by file name and line number.
//!
//! Splitting files into lines is the model's own: it must never call the engine's source
//! parser, which is what it checks. Each line (or whole file) is read with the query's schema by
//! the engine's schema reader, [`crashpoint_engine::schema::read`], the one piece of parsing the
//! two share, itself held to real Spark 4.3 by `tests/spark/faithful.rs`; the engine's hot path
//! reads most records another way (a tape, checked against it). Records go through the plan's
//! evaluator on JSON values.
//!
//! A value that does not fit its type is NULL and its record is kept, as Spark reads it: the
//! model counts such a record's rows like any other (expected in the output, NULL included),
//! never as a bad line; only a line that is not a record at all is a bad line, expected in the
//! dead letters.

use super::super::steps::{InputDirChange, SpecialKind};
use super::super::world::{CLOCK_START_MS, ROOT};
use crate::check::{Cause, Unread};
use crashpoint_engine::plan::{CompiledPlan, Row};
use crashpoint_engine::schema::{self, Schema};
use crashpoint_engine::source::{InputFormat, SourceOptions};
use crashpoint_engine::uri::uri_of;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The longest JSON Lines line the file source reads by default (`max-line-bytes` sets another),
/// in bytes (without its newline): a longer one is a bad line, kept in the dead letters, and the file's other lines are read. The model
/// states the limit itself, as the engine documents it (README, BAD_INPUT.md). Spark 4.3 has
/// no line limit: it reads a 10 MB line, and it makes a line whose string value is over 20,000,000
/// characters (Jackson's `maxStringLength`) a NULL record that the tutorial's `explode` drops
/// without a word (spark/FINDINGS.md, Q5); crashpoint stops earlier, and says so.
pub(super) const LINE_BYTES_MAX: usize = 16 * 1024 * 1024;

/// One input file: its bytes and modification time.
#[derive(Debug, Clone)]
pub(super) struct InputFile {
    pub(super) bytes: Vec<u8>,
    pub(super) mtime_ms: i64,
}

/// The input directory, and the clock that stamps arrivals as the world's does.
#[derive(Debug, Clone)]
pub(super) struct Input {
    /// By name; `DIR/NAME` for a file in a subdirectory.
    pub(super) files: BTreeMap<String, InputFile>,
    /// The subdirectories of the input directory, made empty or by a file added in one.
    pub(super) dirs: std::collections::BTreeSet<String>,
    /// The symlinks the user made: name → the input path each points at. One to a file is in
    /// `files` too, under its own name, with its target's bytes and time (as `stat` follows it).
    pub(super) links: BTreeMap<String, String>,
    /// The FIFOs and sockets the user made.
    pub(super) specials: std::collections::BTreeSet<String>,
    /// The entries that are neither files nor subdirectories and are never read, with what the
    /// source must say each is.
    pub(super) unread: BTreeMap<String, Unread>,
    /// The input directory itself: there, gone, or a file in its place.
    pub(super) dir: InputDirState,
    /// The subdirectories and unread entries a directory deleted or replaced took with it: a
    /// warning an earlier run gave about one was right then.
    former: BTreeMap<String, Unread>,
    clock_ms: i64,
}

/// What is at the input directory's path.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) enum InputDirState {
    /// The directory.
    #[default]
    Here,
    /// Nothing.
    Gone,
    /// A regular file.
    File,
}

impl Default for Input {
    fn default() -> Self {
        Self {
            files: BTreeMap::new(),
            dirs: Default::default(),
            links: BTreeMap::new(),
            specials: Default::default(),
            unread: BTreeMap::new(),
            dir: InputDirState::Here,
            former: BTreeMap::new(),
            clock_ms: CLOCK_START_MS,
        }
    }
}

/// How many symlinks a path may go through before it is a loop (Linux's `MAXSYMLINKS`).
const MAX_LINKS: usize = 40;

/// What an input path is, its symlinks followed.
enum Followed {
    File(String),
    Dir,
    Missing,
    Loop,
    Special,
}

impl Input {
    /// The user deletes the input directory, makes it again (empty, where it is not a
    /// directory), or puts a file in its place; what was in it goes with it.
    pub(super) fn change_dir(&mut self, change: InputDirChange) {
        if change == InputDirChange::Make && self.dir == InputDirState::Here {
            return;
        }
        self.former = self.known_unread();
        self.files.clear();
        self.dirs.clear();
        self.links.clear();
        self.specials.clear();
        self.unread.clear();
        self.dir = match change {
            InputDirChange::Delete => InputDirState::Gone,
            InputDirChange::Make => InputDirState::Here,
            InputDirChange::File => InputDirState::File,
        };
    }

    /// Every subdirectory and unread entry the input holds or held (its name not skipped), with
    /// what may be said of it.
    pub(super) fn known_unread(&self) -> BTreeMap<String, Unread> {
        let dirs = self.dirs.iter().filter_map(|d| Some((d.clone(), super::names::unread_dir(d)?)));
        let unread = self.unread.iter().filter(|(n, _)| !super::names::skipped(n)).map(|(n, u)| (n.clone(), u.clone()));
        let mut known = self.former.clone();
        known.extend(dirs.chain(unread));
        known
    }

    /// Why a run's start refuses the input path, as Spark's `start()` does: no directory there,
    /// or a file in its place (spark/FINDINGS.md Q26d2).
    pub(super) fn refusal(&self) -> Option<Cause> {
        match self.dir {
            InputDirState::Here => None,
            InputDirState::Gone => Some(Cause::InputDirMissing),
            InputDirState::File => Some(Cause::InputNotADirectory),
        }
    }

    /// A file written (new, modified or re-dropped): the clock advances a second, and the file
    /// is stamped with the new time plus `shift_ms`.
    pub(super) fn write(&mut self, name: &str, bytes: Vec<u8>, shift_ms: i64) {
        if let Some((dir, _)) = name.split_once('/') {
            self.dirs.insert(dir.to_string());
        }
        self.clock_ms += 1000;
        self.files.insert(name.to_string(), InputFile { bytes, mtime_ms: self.clock_ms + shift_ms });
    }

    /// True if `name` is an entry of the input, or a link or special entry the user made there.
    pub(super) fn exists(&self, name: &str) -> bool {
        self.files.contains_key(name)
            || self.dirs.contains(name)
            || self.links.contains_key(name)
            || self.specials.contains(name)
    }

    /// True if a step that writes, moves or removes `name` (or a file in it, for `DIR/NAME`)
    /// changes a link or special entry, or what a link points at: the model follows a link once,
    /// when it is made, and states nothing after such a change.
    pub(super) fn touches_link(&self, name: &str) -> bool {
        let dir = name.split_once('/').map_or(name, |(dir, _)| dir);
        let special = |n: &str| self.links.contains_key(n) || self.specials.contains(n);
        special(name) || special(dir) || self.links.values().any(|to| to == name || to == dir)
    }

    /// `name` made a symlink to `to`: a link to a file is that file under the link's name (Spark
    /// reads it so: spark/FINDINGS.md Q7); anything else is never read, and the source says what
    /// it is.
    pub(super) fn link(&mut self, name: &str, to: &str) {
        self.links.insert(name.to_string(), to.to_string());
        let unread = match self.follow(name) {
            Followed::File(target) => {
                let file = self.files[&target].clone();
                self.files.insert(name.to_string(), file);
                return;
            }
            Followed::Dir => Unread::DirLink,
            Followed::Missing => Unread::NotAFile { what: "dangling symlink".into() },
            Followed::Loop => Unread::NotAFile { what: "symlink loop".into() },
            Followed::Special => Unread::NotAFile { what: "not a regular file".into() },
        };
        self.unread.insert(name.to_string(), unread);
    }

    /// `name` made a FIFO or a socket: never opened, and the source says which it is.
    pub(super) fn special(&mut self, name: &str, kind: SpecialKind) {
        self.specials.insert(name.to_string());
        let what = match kind {
            SpecialKind::Fifo => "FIFO",
            SpecialKind::Socket => "socket",
        };
        self.unread.insert(name.to_string(), Unread::NotAFile { what: what.into() });
    }

    fn follow(&self, name: &str) -> Followed {
        let mut at = name;
        for _ in 0..=MAX_LINKS {
            if let Some(to) = self.links.get(at) {
                at = to;
            } else if self.specials.contains(at) {
                return Followed::Special;
            } else if self.files.contains_key(at) {
                return Followed::File(at.to_string());
            } else if self.dirs.contains(at) {
                return Followed::Dir;
            } else {
                return Followed::Missing;
            }
        }
        Followed::Loop
    }

    /// The URI the engine records for a file name, as on the simulated disk.
    pub(super) fn uri(name: &str) -> String {
        uri_of(&Path::new(ROOT).join("input").join(name))
    }

    /// The files a listing offers: none whose name Spark skips ([`super::names::skipped`]), and
    /// none in a subdirectory: the listing is of the input directory's own entries.
    pub(super) fn listed(&self) -> impl Iterator<Item = (&String, &InputFile)> {
        self.files.iter().filter(|(name, _)| !name.contains('/') && !super::names::skipped(name))
    }
}

/// What one batch read: rows, bad lines as (file name, line), and the lines with a value read
/// as NULL (which stop a failfast query).
#[derive(Debug, Clone, Default)]
pub(super) struct Read {
    pub(super) rows: Vec<Row>,
    pub(super) bad: Vec<(String, u32)>,
    pub(super) nulls: Vec<(String, u32)>,
    /// For each line read (a whole file is one line): the byte of its file it starts at (the
    /// first line at 0, its byte-order mark counted as its own) and where its rows end in `rows`.
    pub(super) lines: Vec<(u64, usize)>,
    /// A batch's rows by task, in task order (`rows` is then their concatenation).
    pub(super) tasks: Vec<Vec<Row>>,
    /// A batch's tasks' splits: (file name, first byte, end byte), in reading order.
    pub(super) layout: Vec<Vec<(String, u64, u64)>>,
}

/// The longest line the query reads: its `max-line-bytes`, or the default limit.
pub(super) fn line_bytes_max(source: &SourceOptions) -> usize {
    source.max_line_bytes.map_or(LINE_BYTES_MAX, |n| usize::try_from(n).unwrap_or(usize::MAX))
}

/// Reads one file's bytes into `read` with the source's format, schema and line limit, with
/// `time` as the processing time.
pub(super) fn read_file(
    name: &str,
    bytes: &[u8],
    source: &SourceOptions,
    plan: &CompiledPlan,
    time: &Value,
    read: &mut Read,
) {
    let (schema, max_line) = (&source.schema, line_bytes_max(source));
    let apply = |line: u32, read_text: Option<schema::Read>, read: &mut Read| {
        if read_text.as_ref().is_some_and(|r| !r.mismatches.is_empty()) {
            read.nulls.push((name.to_string(), line));
        }
        let good = read_text.is_some_and(|r| r.records.iter().all(|v| plan.apply(v, time, &mut read.rows).is_ok()));
        if !good {
            read.bad.push((name.to_string(), line));
        }
    };
    // A UTF-8 byte-order mark at the start of a file is no content, as Spark reads it.
    let mark = if bytes.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    let bytes = &bytes[mark..];
    match source.format {
        InputFormat::JsonLines => {
            let mut at = 0;
            for (index, raw) in bytes.split(|b| *b == b'\n').enumerate() {
                let start = if index == 0 { 0 } else { (mark + at) as u64 };
                at += raw.len() + 1;
                let line = raw.strip_suffix(b"\r").unwrap_or(raw);
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let values = (line.len() <= max_line).then(|| records(line, schema, false)).flatten();
                apply(index as u32 + 1, values, read);
                read.lines.push((start, read.rows.len()));
            }
        }
        InputFormat::WholeFile => {
            if !bytes.iter().all(u8::is_ascii_whitespace) {
                apply(1, records(bytes, schema, true), read);
                read.lines.push((0, read.rows.len()));
            }
        }
    }
}

/// A line (one object) or a whole file (an object, or an array of objects) read with
/// `schema`; `None` when it is not that, text after it included.
fn records(text: &[u8], schema: &Schema, whole_file: bool) -> Option<schema::Read> {
    let text = std::str::from_utf8(text).ok()?;
    let read = schema::read(text, schema).ok().filter(|read| read.ignored_tail.is_none())?;
    (whole_file || text.trim_start().starts_with('{')).then_some(read)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crashpoint_engine::plan::Plan;

    #[test]
    fn lines_rows_and_bad_lines() {
        // Goal: the model reads lines as the file source is specified to: blank lines skipped,
        // CRLF accepted, a non-object, malformed JSON or non-UTF-8 is a bad line with its
        // number; a value of the wrong type is NULL and no bad line (devices "x": no rows, as
        // Spark's explode of NULL); 1 for a DOUBLE is 1.0. Method: one file with each, through
        // the tutorial plan.
        let plan = Plan::tutorial_without_time().compile().unwrap();
        let text = b"{\"eventId\":\"e1\",\"data\":{\"devices\":[{\"deviceId\":\"d1\",\"temperature\":1}]}}\r\n\n[1]\n{bad\n\xff\n{\"data\":{\"devices\":\"x\"}}\n{\"eventId\":\"e2\"}";
        let mut read = Read::default();
        read_file("a.json", text, &SourceOptions::default(), &plan, &Value::Null, &mut read);
        assert_eq!(read.rows, [vec![serde_json::json!("e1"), serde_json::json!("d1"), serde_json::json!(1.0)]]);
        let lines: Vec<u32> = read.bad.iter().map(|(_, line)| *line).collect();
        assert_eq!(lines, [3, 4, 5]);
        let mut whole = Read::default();
        let whole_file = SourceOptions { format: InputFormat::WholeFile, ..SourceOptions::default() };
        read_file("w.json", b"[{\"eventId\":\"e\"}, 3]", &whole_file, &plan, &Value::Null, &mut whole);
        assert_eq!((whole.rows.len(), whole.bad.len()), (0, 1), "no devices: no rows; the 3 is bad");
    }

    #[test]
    fn a_line_over_the_limit_is_a_bad_line_and_the_rest_is_read() {
        // Goal: the model's line limit, the default and a query's `max-line-bytes`: a good
        // record of exactly the limit is read, one byte more is a bad line, and the lines around
        // it are read either way; the default is the one the engine documents. Method:
        // long_line_text at both lengths, under each limit.
        assert_eq!(LINE_BYTES_MAX, crashpoint_engine::source::MAX_LINE_BYTES, "the documented limit");
        let plan = Plan::tutorial_without_time().compile().unwrap();
        let set = SourceOptions { max_line_bytes: Some(300), ..SourceOptions::default() };
        for (source, limit) in [(SourceOptions::default(), LINE_BYTES_MAX), (set, 300)] {
            for (bytes, bad) in [(limit, vec![]), (limit + 1, vec![("big.json".to_string(), 2)])] {
                let text = crate::scenario::world::long_line_text("big.json", bytes as u64);
                assert_eq!(text.lines().nth(1).map(str::len), Some(bytes));
                let mut read = Read::default();
                read_file("big.json", text.as_bytes(), &source, &plan, &Value::Null, &mut read);
                assert_eq!(read.bad, bad, "{bytes} bytes");
                assert_eq!(read.rows.len(), 3 - bad.len(), "{bytes} bytes: the other lines are read");
            }
        }
    }
}
