//! The steps of a scenario: file arrivals and changes, runs with crashes, and tampering with
//! the checkpoint, as the tutorial does by hand.

use super::format::{PlanSpec, parse_content, parse_run};
use crate::check::Place;
use crashpoint_engine::engine::Trigger;
use crashpoint_engine::faults::CrashPoint;
use crashpoint_engine::source::SourceOptions;
use crashpoint_engine::storage::IoFault;
use std::collections::BTreeMap;
use std::fmt;
use toml::{Spanned, Value};

/// What goes into an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileContent {
    /// These lines, each ending in a newline.
    Lines(Vec<String>),
    /// This text, as is.
    Text(String),
    /// `events` tutorial-shaped events with 0–3 devices each, from `seed`.
    Generate {
        /// How many events.
        events: u64,
        /// The seed.
        seed: u64,
    },
    /// A record, then a record whose line is `bytes` long (its eventId padded), then a record:
    /// lines at the engine's limit and beyond it, without writing them out in the scenario.
    LongLine {
        /// The middle line's length, without its newline.
        bytes: u64,
    },
}

/// What a `special` step makes in the input directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecialKind {
    /// A named pipe (`mkfifo`).
    Fifo,
    /// A Unix socket.
    Socket,
}

impl SpecialKind {
    /// Every kind, as a scenario names it.
    pub const ALL: [(SpecialKind, &'static str); 2] = [(SpecialKind::Fifo, "fifo"), (SpecialKind::Socket, "socket")];

    /// Its name in a scenario.
    pub fn name(self) -> &'static str {
        Self::ALL.iter().find(|(kind, _)| *kind == self).map_or("fifo", |(_, name)| name)
    }

    /// What it is, in the words the storage layer gives such an entry (`a FIFO`).
    pub fn what(self) -> &'static str {
        match self {
            SpecialKind::Fifo => "a FIFO",
            SpecialKind::Socket => "a socket",
        }
    }
}

/// What an `input-dir` step does to the input directory itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputDirChange {
    /// Deleted, with everything in it (`rm -r`).
    Delete,
    /// Made again, empty, where it is missing or a file took its place.
    Make,
    /// Replaced by a regular file (one JSON line) of its name.
    File,
}

/// The line of the file an `input-dir = "file"` step puts where the input directory was: a
/// record, so that a source that read the file as its input would show it.
pub const INPUT_AS_FILE: &str =
    "{\"eventId\": \"input-as-file\", \"data\": {\"devices\": [{\"deviceId\": \"f\", \"temperature\": 1.0}]}}\n";

impl InputDirChange {
    /// Every change, as a scenario names it.
    pub const ALL: [(InputDirChange, &'static str); 3] =
        [(InputDirChange::Delete, "delete"), (InputDirChange::Make, "make"), (InputDirChange::File, "file")];

    /// Its name in a scenario.
    pub fn name(self) -> &'static str {
        Self::ALL.iter().find(|(change, _)| *change == self).map_or("delete", |(_, name)| name)
    }
}

/// A run's own trigger as its step spells it (`run = "processing-time=1 minute"`). The engine's
/// parser reads it when the run starts, as Spark's `trigger()` reads an interval when the query
/// is made: a spelling it refuses fails that run, before anything is read or written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpelledTrigger(pub String);

impl SpelledTrigger {
    /// The engine's reading: the runner's (the reference model reads the spelling on its own).
    pub fn read(&self) -> Result<Trigger, String> {
        self.0.parse()
    }

    /// True if it is a `processing-time` trigger, whatever its interval (a typo such as
    /// `processing-time =5s` is none).
    pub fn is_processing_time(&self) -> bool {
        self.0 == "processing-time" || self.0.starts_with("processing-time=")
    }
}

impl From<Trigger> for SpelledTrigger {
    fn from(trigger: Trigger) -> Self {
        Self(trigger.to_string())
    }
}

impl fmt::Display for SpelledTrigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A run (a new process on the same checkpoint), optionally crashing or failing an I/O
/// operation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunStep {
    /// Written as `restart` (a run after a crash); it behaves the same.
    pub restart: bool,
    /// The run's own trigger, as spelled; the query's when `None`.
    pub trigger: Option<SpelledTrigger>,
    /// Crash at the k-th hit of this point.
    pub crash: Option<(CrashPoint, u32)>,
    /// After the crash (or after a run with an I/O error), the power fails: the unsynced
    /// operations named in `persisted` survive, every other one is lost.
    pub power_loss: bool,
    /// With `power_loss`: the unsynced operations that survive it, as the simulated disk names
    /// them (e.g. `rename checkpoint/offsets/.0.….tmp -> checkpoint/offsets/0`). Empty: none.
    pub persisted: Vec<String>,
    /// An I/O operation of this run fails; its path pattern is relative to the world's root.
    pub io_error: Option<IoFault>,
    /// The run must fail with an error containing this text.
    pub expect_error: Option<String>,
    /// At the k-th hit of this point, while this run holds the checkpoint, a second query
    /// starts on it: it must be kept out by the lock.
    pub second_query: Option<(CrashPoint, u32)>,
    /// A file that arrives while this run goes on, at the k-th hit of a point, without a crash.
    pub arrive: Option<Arrival>,
    /// Once the run's trigger is done without a crash or an error, the same process triggers the
    /// query again with this trigger, on the same `Engine` value (a program that embeds the
    /// engine and runs one query several times, as Spark runs several triggers of one query).
    pub again: Option<Trigger>,
}

/// The crash points a file may arrive at during a run: each is hit once a batch, after the
/// batch's files were listed and before the next batch lists again, so that which batch can
/// take the file is a property of the trigger alone (the reference model counts them:
/// `after-offsets-write` once a new batch, the other two once every batch, re-runs included).
pub const ARRIVAL_POINTS: [CrashPoint; 3] =
    [CrashPoint::AfterOffsetsWrite, CrashPoint::AfterSinkWrite, CrashPoint::AfterCommitWrite];

/// A file arriving in the input directory while a run goes on (`arrive = {...}` in a run step):
/// at the k-th hit of one of [`ARRIVAL_POINTS`] the user's hands add it, and the run goes on.
/// An `available-now` run fixed its listing at its start (Spark's
/// `prepareForTriggerAvailableNow`): the file waits for the next run; `once` has taken its one
/// batch; a `processing-time` run lists again before each batch and takes it in the next one.
/// If the run stops before that hit (a crash, an error), the file arrives once it has stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    /// The point and its hit in this run, from 1.
    pub at: (CrashPoint, u32),
    /// What arrives.
    pub file: ArrivingFile,
}

/// What arrives during a run: always a name the listing has not offered before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArrivingFile {
    /// A new file, stamped with the next arrival time.
    Add {
        /// Its name in the input directory.
        name: String,
        /// Its content.
        content: FileContent,
    },
    /// A copy finished: a file under a name Spark never lists (`f.json._COPYING_`, as `hadoop
    /// fs -put` writes it) renamed to its final name, keeping its time.
    Rename {
        /// The name Spark skips.
        from: String,
        /// The final name.
        to: String,
    },
}

impl Arrival {
    /// The arrival as an inline TOML table, keys in a fixed order.
    fn to_toml(&self) -> String {
        let (point, hit) = self.at;
        let what = match &self.file {
            ArrivingFile::Add { name, content } => {
                format!("add = {}, {}", quoted(name), content_toml(content).trim_end())
            }
            ArrivingFile::Rename { from, to } => format!("rename = {}, to = {}", quoted(from), quoted(to)),
        };
        format!("{{ at = \"{point}\", hit = {hit}, {what} }}")
    }
}

impl fmt::Display for Arrival {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (point, hit) = self.at;
        match &self.file {
            ArrivingFile::Add { name, content } => {
                write!(f, "{name} arrives at {point} (hit {hit}) ({})", describe(content))
            }
            ArrivingFile::Rename { from, to } => write!(f, "{from} is renamed to {to} at {point} (hit {hit})"),
        }
    }
}

/// Changes to the query between runs.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct QueryChange {
    /// A new plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanSpec>,
    /// New source options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceOptions>,
    /// New values of Spark's checkpoint confs (`compact-interval`, `min-batches-to-retain`), as
    /// a user restarts the query with the session's confs set otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<crashpoint_engine::checkpoint::CheckpointOptions>,
}

/// One step of a scenario.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// A new input file arrives.
    Add {
        /// The file name in the input directory, or `DIR/NAME` for a file in a subdirectory of
        /// it (made if missing), which the source never reads.
        name: String,
        /// Its content.
        content: FileContent,
    },
    /// The same file is written again at the same path (tutorial experiment 1).
    Redrop {
        /// The file name.
        name: String,
    },
    /// An input file is renamed (reprocessed, as in the tutorial).
    Rename {
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
    /// New content at a path that may have been processed.
    Modify {
        /// The file name.
        name: String,
        /// The new content.
        content: FileContent,
    },
    /// An input file disappears.
    Remove {
        /// The file name.
        name: String,
    },
    /// A run of the query.
    Run(RunStep),
    /// A checkpoint file is deleted, e.g. `commits/1`.
    Delete {
        /// Relative to the checkpoint.
        path: String,
    },
    /// A checkpoint file's content is replaced with garbage.
    Corrupt {
        /// Relative to the checkpoint.
        path: String,
        /// The garbage.
        with: String,
    },
    /// A checkpoint file is cut to its first `bytes` bytes.
    Truncate {
        /// Relative to the checkpoint.
        path: String,
        /// Bytes kept.
        bytes: u64,
    },
    /// An input file's modification time moves by `shift_ms` (negative: back in time), as a copy
    /// that keeps an old time does; the contents stay.
    Touch {
        /// The file name.
        name: String,
        /// Milliseconds added to its modification time.
        shift_ms: i64,
    },
    /// A checkpoint file is written with this content, whether or not it exists: a stale
    /// `.N.crc` sidecar as Spark leaves it, say.
    Write {
        /// Relative to the checkpoint.
        path: String,
        /// The content.
        with: String,
    },
    /// The machine's clock goes back by `ms` for every later run (an NTP step, a restored VM, a
    /// restart on another host): the query's clock starts `ms` earlier, while the checkpoint
    /// keeps the batch times it has. File arrival times are not moved (`touch` does that).
    ClockBack {
        /// Milliseconds back, at least 1.
        ms: u64,
    },
    /// The machine's clock jumps forward by `ms` for every later run (a VM resumed after a
    /// pause, a clock set right after running slow, a checkpoint last written long ago): the
    /// query's clock starts `ms` later, so the checkpoint's newest batch time falls behind it.
    ClockForward {
        /// Milliseconds forward, at least 1.
        ms: u64,
    },
    /// A file or directory of the output is deleted by hand, e.g. the file sink's latest
    /// `_spark_metadata/N` (the log entry of a batch the checkpoint holds committed), or the
    /// whole `_spark_metadata`.
    DeleteOutput {
        /// Relative to the output directory.
        path: String,
    },
    /// A file of the output is overwritten by hand, e.g. the file sink's `_spark_metadata/N`
    /// with a first line that is not `v1`: the sink's log as a newer Spark, a broken copy or a
    /// careless edit leaves it. Nothing is written when the file is not there.
    CorruptOutput {
        /// Relative to the output directory.
        path: String,
        /// The new content.
        with: String,
    },
    /// A subdirectory of the input directory appears, empty: `sub`, or a partition directory
    /// `k=v`. The source reads no subdirectory, and says so.
    Mkdir {
        /// Its name in the input directory.
        name: String,
    },
    /// A symlink in the input directory, as a user's `ln -s` makes one, to an entry of the input:
    /// a file (read as input, under the link's name, as Spark reads it), a subdirectory (not
    /// read), or nothing (a dangling link, not read). The source says why it reads none but the
    /// first.
    Link {
        /// Its name in the input directory.
        name: String,
        /// What it points at: a name in the input directory, or `DIR/NAME`.
        to: String,
    },
    /// An entry of the input directory that is neither a file nor a directory, as `mkfifo`
    /// makes one: never opened (a FIFO would block a read), and the source says so.
    Special {
        /// Its name in the input directory.
        name: String,
        /// What it is.
        kind: SpecialKind,
    },
    /// Another process takes the lock of a place (the checkpoint, or the file sink's output
    /// directory) and keeps it: another query on the checkpoint, or another query, on its own
    /// checkpoint, writing into the same output. A run that must take that lock is refused.
    HoldLock {
        /// The place.
        place: Place,
    },
    /// The process holding a place's lock dies (a crash, `kill -9`): the lock goes with it, as
    /// the OS releases a dead process's locks, and the next run takes it.
    HolderDies {
        /// The place.
        place: Place,
    },
    /// The input directory itself is deleted, made again (empty), or replaced by a file: a run
    /// that starts without it refuses, as Spark's start does (spark/FINDINGS.md Q26d2).
    InputDir(InputDirChange),
    /// The user puts back, byte for byte from a backup taken just before it, what the latest
    /// tampering step (`delete`, `corrupt`, `truncate`, `write`, `delete-output`, `corrupt-output`)
    /// changed: the
    /// file or directory as it was, or, for a file that step wrote new, no file.
    Restore,
    /// The whole checkpoint is deleted.
    DeleteCheckpoint,
    /// The query changes.
    ChangeQuery(QueryChange),
}

/// Each action key, with the extra keys it allows.
const ACTIONS: [(&str, &[&str]); 25] = [
    ("add", &["lines", "text", "generate", "long-line"]),
    ("redrop", &[]),
    ("rename", &["to"]),
    ("modify", &["lines", "text", "generate", "long-line"]),
    ("remove", &[]),
    (
        "run",
        &["crash", "hit", "power-loss", "persisted", "io-error", "expect-error", "second-query", "arrive", "again"],
    ),
    (
        "restart",
        &["crash", "hit", "power-loss", "persisted", "io-error", "expect-error", "second-query", "arrive", "again"],
    ),
    ("delete", &[]),
    ("corrupt", &["with"]),
    ("truncate", &["bytes"]),
    ("touch", &["shift-ms"]),
    ("write", &["with"]),
    ("clock-back-ms", &[]),
    ("clock-forward-ms", &[]),
    ("delete-checkpoint", &[]),
    ("delete-output", &[]),
    ("corrupt-output", &["with"]),
    ("mkdir", &[]),
    ("link", &["to"]),
    ("special", &["kind"]),
    ("input-dir", &[]),
    ("hold-lock", &[]),
    ("holder-dies", &[]),
    ("restore", &[]),
    ("change-query", &[]),
];

type Keys = BTreeMap<String, Spanned<Value>>;

fn string(keys: &Keys, key: &str) -> Result<String, (Option<usize>, String)> {
    let value = keys.get(key).ok_or((None, format!("'{key}' is missing")))?;
    value.get_ref().as_str().map(str::to_string).ok_or((Some(value.span().start), format!("{key} must be a string")))
}

/// An input file name: one plain name inside the input directory, never a path out of it.
fn file_name(keys: &Keys, key: &str) -> Result<String, (Option<usize>, String)> {
    let name = string(keys, key)?;
    let plain = !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\']);
    if plain {
        return Ok(name);
    }
    let at = keys.get(key).map(|v| v.span().start);
    Err((at, format!("{key} = {name:?} is not a file name; give a plain name inside the input directory")))
}

/// A new input file's path: a plain name, or `DIR/NAME` (a file in a subdirectory of the input,
/// one level down), each part a plain name.
fn input_path(keys: &Keys, key: &str) -> Result<String, (Option<usize>, String)> {
    let path = string(keys, key)?;
    let plain = |name: &str| !name.is_empty() && name != "." && name != ".." && !name.contains('\\');
    if path.split('/').count() <= 2 && path.split('/').all(plain) {
        return Ok(path);
    }
    let at = keys.get(key).map(|v| v.span().start);
    Err((
        at,
        format!("{key} = {path:?} is not a file name; give a plain name, or DIR/NAME for a file in a subdirectory"),
    ))
}

/// A checkpoint file: a relative path that stays inside the checkpoint, e.g. `commits/1`.
fn checkpoint_path(keys: &Keys, key: &str) -> Result<String, (Option<usize>, String)> {
    inside_path(keys, key, "the checkpoint", "commits/1")
}

/// A path inside the directory `what`, never out of it.
fn inside_path(keys: &Keys, key: &str, what: &str, example: &str) -> Result<String, (Option<usize>, String)> {
    let path = string(keys, key)?;
    let inside = !path.is_empty()
        && std::path::Path::new(&path).components().all(|c| matches!(c, std::path::Component::Normal(_)));
    if inside {
        return Ok(path);
    }
    let at = keys.get(key).map(|v| v.span().start);
    Err((at, format!("{key} = {path:?} is not a path inside {what}; write e.g. \"{example}\"")))
}

/// A `special` step's `kind`: `fifo` or `socket`.
fn special_kind(keys: &Keys) -> Result<SpecialKind, (Option<usize>, String)> {
    let name = string(keys, "kind")?;
    let found = SpecialKind::ALL.iter().find(|(_, n)| *n == name).map(|(kind, _)| *kind);
    found.ok_or_else(|| {
        (keys.get("kind").map(|v| v.span().start), format!("kind = {name:?}: write \"fifo\" or \"socket\""))
    })
}

/// An `input-dir` step's change: `delete`, `make` or `file`.
fn input_dir_change(keys: &Keys) -> Result<InputDirChange, (Option<usize>, String)> {
    let name = string(keys, "input-dir")?;
    let found = InputDirChange::ALL.iter().find(|(_, n)| *n == name).map(|(change, _)| *change);
    found.ok_or_else(|| {
        let at = keys.get("input-dir").map(|v| v.span().start);
        (at, format!("input-dir = {name:?}: write \"delete\", \"make\" or \"file\""))
    })
}

/// A place another process may hold the lock of: `checkpoint` or `output`.
fn place(keys: &Keys, key: &str) -> Result<Place, (Option<usize>, String)> {
    let name = string(keys, key)?;
    Place::parse(&name).ok_or_else(|| {
        (keys.get(key).map(|v| v.span().start), format!("{key} = {name:?}: write \"checkpoint\" or \"output\""))
    })
}

/// Parses one `[[step]]` table. Errors carry the byte offset of the bad key when known.
pub(super) fn parse_step(keys: &Keys) -> Result<Step, (Option<usize>, String)> {
    let actions: Vec<&(&str, &[&str])> = ACTIONS.iter().filter(|(a, _)| keys.contains_key(*a)).collect();
    let all: Vec<&str> = ACTIONS.iter().map(|(a, _)| *a).collect();
    let (action, extras) = match actions.as_slice() {
        [one] => **one,
        [] => return Err((None, format!("a step needs one action; allowed: {}", all.join(", ")))),
        many => {
            let names: Vec<&str> = many.iter().map(|(a, _)| *a).collect();
            return Err((None, format!("a step has one action, this one has {}", names.join(" and "))));
        }
    };
    if let Some((key, value)) = keys.iter().find(|(k, _)| *k != action && !extras.contains(&k.as_str())) {
        let allowed = if extras.is_empty() { "none".to_string() } else { extras.join(", ") };
        return Err((Some(value.span().start), format!("'{key}' is not a key of a {action} step; allowed: {allowed}")));
    }
    let at = |message: String| (Some(keys[action].span().start), message);
    let at_key = |(key, message): super::format::KeyError| {
        let offset = key.and_then(|k| keys.get(k)).unwrap_or(&keys[action]).span().start;
        (Some(offset), message)
    };
    Ok(match action {
        "add" => Step::Add { name: input_path(keys, action)?, content: parse_content(keys).map_err(at_key)? },
        "mkdir" => Step::Mkdir { name: file_name(keys, action)? },
        "link" => Step::Link { name: file_name(keys, action)?, to: input_path(keys, "to")? },
        "special" => Step::Special { name: file_name(keys, action)?, kind: special_kind(keys)? },
        "input-dir" => Step::InputDir(input_dir_change(keys)?),
        "modify" => Step::Modify { name: file_name(keys, action)?, content: parse_content(keys).map_err(at_key)? },
        "redrop" => Step::Redrop { name: file_name(keys, action)? },
        "rename" => Step::Rename { from: file_name(keys, action)?, to: file_name(keys, "to")? },
        "remove" => Step::Remove { name: file_name(keys, action)? },
        "run" | "restart" => Step::Run(parse_run(keys, action).map_err(at_key)?),
        "delete" => Step::Delete { path: checkpoint_path(keys, action)? },
        "corrupt" => Step::Corrupt {
            path: checkpoint_path(keys, action)?,
            with: if keys.contains_key("with") { string(keys, "with")? } else { "{\"torn".into() },
        },
        "truncate" => Step::Truncate {
            path: checkpoint_path(keys, action)?,
            bytes: match keys.get("bytes").map(|v| v.get_ref()) {
                None => 0,
                Some(Value::Integer(n)) if *n >= 0 => *n as u64,
                Some(other) => return Err(at(format!("bytes must be a number ≥ 0, not {other}"))),
            },
        },
        "touch" => Step::Touch {
            name: file_name(keys, action)?,
            shift_ms: match keys.get("shift-ms").map(|v| (v.get_ref(), v.span().start)) {
                Some((Value::Integer(n), _)) => *n,
                Some((other, at)) => {
                    return Err((Some(at), format!("shift-ms must be a whole number of ms, not {other}")));
                }
                None => return Err(at("touch needs shift-ms = <ms>, e.g. -1000 to go back a second".into())),
            },
        },
        "write" => Step::Write { path: checkpoint_path(keys, action)?, with: string(keys, "with")? },
        "clock-back-ms" => match keys[action].get_ref() {
            Value::Integer(n) if *n >= 1 => Step::ClockBack { ms: *n as u64 },
            other => return Err(at(format!("clock-back-ms must be a whole number of ms ≥ 1, not {other}"))),
        },
        "clock-forward-ms" => match keys[action].get_ref() {
            Value::Integer(n) if *n >= 1 => Step::ClockForward { ms: *n as u64 },
            other => return Err(at(format!("clock-forward-ms must be a whole number of ms ≥ 1, not {other}"))),
        },
        "delete-output" => {
            Step::DeleteOutput { path: inside_path(keys, action, "the output directory", "_spark_metadata/1")? }
        }
        "corrupt-output" => Step::CorruptOutput {
            path: inside_path(keys, action, "the output directory", "_spark_metadata/1")?,
            with: if keys.contains_key("with") { string(keys, "with")? } else { "{\"torn".into() },
        },
        "hold-lock" => Step::HoldLock { place: place(keys, action)? },
        "holder-dies" => Step::HolderDies { place: place(keys, action)? },
        "delete-checkpoint" => match keys[action].get_ref() {
            Value::Boolean(true) => Step::DeleteCheckpoint,
            _ => return Err(at("write delete-checkpoint = true".into())),
        },
        "restore" => match keys[action].get_ref() {
            Value::Boolean(true) => Step::Restore,
            _ => return Err(at("write restore = true (it puts back what the latest tampering step changed)".into())),
        },
        "change-query" => {
            let change: QueryChange =
                keys[action].get_ref().clone().try_into().map_err(|e: toml::de::Error| at(e.message().to_string()))?;
            Step::ChangeQuery(change)
        }
        other => unreachable!("action {other} is listed in ACTIONS"),
    })
}

fn quoted(s: &str) -> String {
    Value::from(s).to_string()
}

/// An I/O fault as an inline TOML table, keys in a fixed order.
fn io_fault_toml(fault: &IoFault) -> String {
    let mut keys = vec![format!("op = {}", quoted(fault.op.name()))];
    if let Some(path) = &fault.path {
        keys.push(format!("path = {}", quoted(path)));
    }
    if fault.hit != 1 {
        keys.push(format!("hit = {}", fault.hit));
    }
    if fault.errno != fault.op.typical_errno() {
        keys.push(format!("error = {}", quoted(fault.errno.name())));
    }
    format!("{{ {} }}", keys.join(", "))
}

fn content_toml(content: &FileContent) -> String {
    match content {
        FileContent::Lines(lines) => {
            let items: Vec<String> = lines.iter().map(|l| quoted(l)).collect();
            format!("lines = [{}]\n", items.join(", "))
        }
        FileContent::Text(text) => format!("text = {}\n", quoted(text)),
        FileContent::Generate { events, seed } => format!("generate = {{ events = {events}, seed = {seed} }}\n"),
        FileContent::LongLine { bytes } => format!("long-line = {bytes}\n"),
    }
}

fn trigger_name(trigger: Option<&SpelledTrigger>) -> String {
    trigger.map_or_else(|| "true".into(), |spelled| quoted(&spelled.0))
}

impl Step {
    /// True for a step whose meaning depends on what the query has done so far: a change to
    /// an input file that may have been processed, tampering with the checkpoint, a changed
    /// query. Only new files may arrive while a crashed query is down.
    pub fn needs_recovered_query(&self) -> bool {
        !matches!(self, Step::Add { .. } | Step::Mkdir { .. } | Step::Link { .. } | Step::Special { .. } | Step::Run(_))
    }

    /// The step with `latest` or `latest-K` in its checkpoint path replaced by the id of the
    /// latest commit (minus K) when the step runs, e.g. `commits/latest` for the tutorial's
    /// "delete the latest commit". `None` when the path names a batch that is not there (no
    /// commit yet, or K above it): then the step has nothing to do.
    pub fn with_latest(&self, latest_commit: Option<u64>) -> Option<Step> {
        let resolve = |path: &str| -> Option<String> {
            let Some(at) = path.find("latest") else { return Some(path.to_string()) };
            let rest = &path[at + "latest".len()..];
            let digits: String =
                rest.strip_prefix('-').unwrap_or("").chars().take_while(char::is_ascii_digit).collect();
            let back: u64 = if digits.is_empty() { 0 } else { digits.parse().ok()? };
            let skip = if digits.is_empty() { 0 } else { digits.len() + 1 };
            let id = latest_commit?.checked_sub(back)?;
            Some(format!("{}{id}{}", &path[..at], &rest[skip..]))
        };
        Some(match self {
            Step::Delete { path } => Step::Delete { path: resolve(path)? },
            Step::Corrupt { path, with } => Step::Corrupt { path: resolve(path)?, with: with.clone() },
            Step::Truncate { path, bytes } => Step::Truncate { path: resolve(path)?, bytes: *bytes },
            Step::Write { path, with } => Step::Write { path: resolve(path)?, with: with.clone() },
            Step::DeleteOutput { path } => Step::DeleteOutput { path: resolve(path)? },
            Step::CorruptOutput { path, with } => Step::CorruptOutput { path: resolve(path)?, with: with.clone() },
            other => other.clone(),
        })
    }

    /// The input names this step writes, moves or removes (a file arriving during a run too).
    pub fn input_names(&self) -> Vec<&str> {
        match self {
            Step::Add { name, .. }
            | Step::Modify { name, .. }
            | Step::Redrop { name }
            | Step::Remove { name }
            | Step::Touch { name, .. }
            | Step::Mkdir { name } => vec![name],
            Step::Rename { from, to } => vec![from, to],
            Step::Run(RunStep { arrive: Some(arrival), .. }) => match &arrival.file {
                ArrivingFile::Add { name, .. } => vec![name],
                ArrivingFile::Rename { from, to } => vec![from, to],
            },
            _ => Vec::new(),
        }
    }

    /// The place a tampering step changes, relative to the world's root (`checkpoint/commits/1`,
    /// `output/_spark_metadata`): what a backup taken before it keeps, and a `restore` puts back.
    pub fn tampered_path(&self) -> Option<String> {
        match self {
            Step::Delete { path }
            | Step::Corrupt { path, .. }
            | Step::Truncate { path, .. }
            | Step::Write { path, .. } => Some(format!("checkpoint/{path}")),
            Step::DeleteOutput { path } | Step::CorruptOutput { path, .. } => Some(format!("output/{path}")),
            _ => None,
        }
    }

    /// True for a change to an input file that may have been processed already.
    pub fn mutates_input(&self) -> bool {
        matches!(
            self,
            Step::Redrop { .. } | Step::Rename { .. } | Step::Modify { .. } | Step::Remove { .. } | Step::Touch { .. }
        )
    }

    /// The step as the keys of a `[[step]]` table.
    pub fn to_toml(&self) -> String {
        match self {
            Step::Add { name, content } => format!("add = {}\n{}", quoted(name), content_toml(content)),
            Step::Modify { name, content } => format!("modify = {}\n{}", quoted(name), content_toml(content)),
            Step::Redrop { name } => format!("redrop = {}\n", quoted(name)),
            Step::Rename { from, to } => format!("rename = {}\nto = {}\n", quoted(from), quoted(to)),
            Step::Remove { name } => format!("remove = {}\n", quoted(name)),
            Step::Run(run) => {
                let mut out = format!(
                    "{} = {}\n",
                    if run.restart { "restart" } else { "run" },
                    trigger_name(run.trigger.as_ref())
                );
                if let Some((point, hit)) = run.crash {
                    out += &format!("crash = \"{point}\"\n");
                    if hit != 1 {
                        out += &format!("hit = {hit}\n");
                    }
                }
                if let Some(fault) = &run.io_error {
                    out += &format!("io-error = {}\n", io_fault_toml(fault));
                }
                if run.power_loss {
                    out += "power-loss = true\n";
                }
                if !run.persisted.is_empty() {
                    let items: Vec<String> = run.persisted.iter().map(|p| quoted(p)).collect();
                    out += &format!("persisted = [{}]\n", items.join(", "));
                }
                if let Some(text) = &run.expect_error {
                    out += &format!("expect-error = {}\n", quoted(text));
                }
                if let Some((point, hit)) = run.second_query {
                    out += &format!("second-query = {{ at = \"{point}\", hit = {hit} }}\n");
                }
                if let Some(arrival) = &run.arrive {
                    out += &format!("arrive = {}\n", arrival.to_toml());
                }
                if let Some(again) = run.again {
                    out += &format!("again = \"{again}\"\n");
                }
                out
            }
            Step::Delete { path } => format!("delete = {}\n", quoted(path)),
            Step::Corrupt { path, with } => format!("corrupt = {}\nwith = {}\n", quoted(path), quoted(with)),
            Step::Truncate { path, bytes } => format!("truncate = {}\nbytes = {bytes}\n", quoted(path)),
            Step::Touch { name, shift_ms } => format!("touch = {}\nshift-ms = {shift_ms}\n", quoted(name)),
            Step::Write { path, with } => format!("write = {}\nwith = {}\n", quoted(path), quoted(with)),
            Step::ClockBack { ms } => format!("clock-back-ms = {ms}\n"),
            Step::ClockForward { ms } => format!("clock-forward-ms = {ms}\n"),
            Step::DeleteCheckpoint => "delete-checkpoint = true\n".into(),
            Step::Restore => "restore = true\n".into(),
            Step::DeleteOutput { path } => format!("delete-output = {}\n", quoted(path)),
            Step::CorruptOutput { path, with } => {
                format!("corrupt-output = {}\nwith = {}\n", quoted(path), quoted(with))
            }
            Step::Mkdir { name } => format!("mkdir = {}\n", quoted(name)),
            Step::Link { name, to } => format!("link = {}\nto = {}\n", quoted(name), quoted(to)),
            Step::Special { name, kind } => format!("special = {}\nkind = \"{}\"\n", quoted(name), kind.name()),
            Step::InputDir(change) => format!("input-dir = \"{}\"\n", change.name()),
            Step::HoldLock { place } => format!("hold-lock = \"{place}\"\n"),
            Step::HolderDies { place } => format!("holder-dies = \"{place}\"\n"),
            Step::ChangeQuery(change) => {
                let table = toml::Value::try_from(change).expect("query changes serialize");
                format!("change-query = {table}\n")
            }
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Add { name, content } => write!(f, "add {name} ({})", describe(content)),
            Step::Modify { name, content } => write!(f, "modify {name} in place ({})", describe(content)),
            Step::Redrop { name } => write!(f, "re-drop {name} (same path, same content)"),
            Step::Rename { from, to } => write!(f, "rename {from} -> {to}"),
            Step::Remove { name } => write!(f, "remove {name}"),
            Step::Run(run) => {
                let trigger = run.trigger.as_ref().map(|t| format!(" {t}")).unwrap_or_default();
                write!(f, "{}{trigger}", if run.restart { "restart" } else { "run" })?;
                if let Some((point, hit)) = run.crash {
                    write!(f, ", crash at {point} (hit {hit})")?;
                }
                if let Some(fault) = &run.io_error {
                    write!(f, ", {fault}")?;
                }
                match (run.power_loss, run.persisted.len()) {
                    (false, _) => {}
                    (true, 0) => write!(f, " with power loss")?,
                    (true, n) => write!(f, " with power loss keeping {n} unsynced operation(s)")?,
                }
                if let Some((point, hit)) = run.second_query {
                    write!(f, ", a second query starts at {point} (hit {hit})")?;
                }
                if let Some(arrival) = &run.arrive {
                    write!(f, ", {arrival}")?;
                }
                match run.again {
                    Some(again) => write!(f, ", then the same engine is triggered again: {again}"),
                    None => Ok(()),
                }
            }
            Step::Delete { path } => write!(f, "delete checkpoint file {path}"),
            Step::Corrupt { path, with } => write!(f, "corrupt checkpoint file {path} with {with:?}"),
            Step::Truncate { path, bytes } => write!(f, "truncate checkpoint file {path} to {bytes} bytes"),
            Step::Touch { name, shift_ms } => write!(f, "touch {name}: its modification time moves {shift_ms} ms"),
            Step::Write { path, with } => write!(f, "write checkpoint file {path} with {with:?}"),
            Step::ClockBack { ms } => write!(f, "the machine's clock goes back {ms} ms for every later run"),
            Step::ClockForward { ms } => write!(f, "the machine's clock jumps forward {ms} ms for every later run"),
            Step::DeleteCheckpoint => write!(f, "delete the whole checkpoint"),
            Step::Restore => write!(f, "restore, from a backup, what the latest tampering step changed"),
            Step::DeleteOutput { path } => write!(f, "delete output file {path}"),
            Step::CorruptOutput { path, with } => write!(f, "corrupt output file {path} with {with:?}"),
            Step::Mkdir { name } => write!(f, "make the subdirectory {name}/ in the input"),
            Step::Link { name, to } => write!(f, "make {name} in the input a symlink to {to}"),
            Step::Special { name, kind } => write!(f, "make {name} in the input {}", kind.what()),
            Step::InputDir(InputDirChange::Delete) => write!(f, "delete the input directory"),
            Step::InputDir(InputDirChange::Make) => write!(f, "make the input directory again, empty"),
            Step::InputDir(InputDirChange::File) => write!(f, "replace the input directory by a file"),
            Step::HoldLock { place: Place::Checkpoint } => {
                write!(f, "another query takes the checkpoint's lock and keeps it")
            }
            Step::HoldLock { place: Place::Output } => {
                write!(f, "another query, on its own checkpoint, takes the output's lock and keeps it")
            }
            Step::HolderDies { place } => write!(f, "the process holding the {place}'s lock dies"),
            Step::ChangeQuery(change) => {
                write!(
                    f,
                    "change the query: {}",
                    toml::Value::try_from(change).map(|v| v.to_string()).unwrap_or_default()
                )
            }
        }
    }
}

fn describe(content: &FileContent) -> String {
    match content {
        FileContent::Lines(lines) => format!("{} line(s)", lines.len()),
        FileContent::Text(text) => format!("{} byte(s)", text.len()),
        FileContent::Generate { events, seed } => format!("{events} generated event(s), seed {seed}"),
        FileContent::LongLine { bytes } => format!("3 line(s), the second {bytes} bytes long"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_in_a_path_names_the_latest_commit() {
        let delete = |path: &str| Step::Delete { path: path.into() };
        let cases: &[(&str, Option<u64>, Option<&str>)] = &[
            ("commits/latest", Some(3), Some("commits/3")),
            ("commits/latest-1", Some(3), Some("commits/2")),
            ("offsets/latest-3", Some(3), Some("offsets/0")),
            ("offsets/latest-4", Some(3), None),
            ("commits/.latest.crc", Some(7), Some("commits/.7.crc")),
            ("commits/latest", None, None),
            ("commits/1", None, Some("commits/1")),
        ];
        for (path, latest, want) in cases {
            assert_eq!(delete(path).with_latest(*latest), want.map(delete), "{path} {latest:?}");
        }
    }
}
