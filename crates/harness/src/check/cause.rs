//! Why the reference model expects a run to fail: a small typed set of causes, each naming
//! what the engine's error must say for a failure to have that cause (a stable phrase of the
//! engine's message: the file, the batch or the words that tell one refusal from another).
//!
//! A failure is judged by its cause, not only by its presence: a run that fails for another
//! reason (the wrong refusal, the wrong bad line) is a finding. A cause the model cannot tie
//! to one engine message ([`Cause::Other`]) names no phrase and accepts any error. This module
//! only describes causes; it must never look at the engine.

use std::fmt;

/// Why a run fails, by the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The plan differs from the one in the latest offsets.
    QueryChanged,
    /// The latest commit is newer than the latest offsets file (offsets deleted by hand).
    CommitNewerThanOffsets {
        /// The latest commit.
        commit: u64,
        /// The latest offsets file.
        offsets: u64,
    },
    /// The latest commit trails the latest offsets by more than one batch, or there is none.
    CommitsTrailOffsets {
        /// The latest offsets file.
        offsets: u64,
        /// The latest commit, if any.
        commit: Option<u64>,
    },
    /// Commits, but no offsets at all.
    CommitsWithoutOffsets {
        /// The latest commit.
        commit: u64,
    },
    /// `offsets/` has batches but `metadata` is gone.
    MetadataMissing,
    /// The checkpoint's `metadata` is not the JSON of a query id (empty, cut short, garbage):
    /// every start reads it and refuses before writing anything, as Spark 4.3's `start()` does
    /// (`spark/FINDINGS.md` Q23b). The error must name the file, say what is wrong and what the
    /// file should hold.
    MetadataUnreadable {
        /// True for an empty file, false for bytes that are no such JSON.
        empty: bool,
    },
    /// In failfast mode, the first bad line or value of the wrong type of a batch.
    BadRecordFailfast {
        /// The input file's URI, as the engine records it.
        uri: String,
        /// Its line, from 1.
        line: u32,
    },
    /// The sink already holds a batch the checkpoint would plan anew.
    SinkAhead {
        /// The newest batch the sink holds.
        held: u64,
    },
    /// The sink keeps a record of its batches and lacks the latest commit's: the output is
    /// behind the commit log (the file sink's `_spark_metadata/N` deleted, or all of it).
    SinkBehind {
        /// The newest batch the sink holds, if any.
        held: Option<u64>,
        /// The latest commit.
        committed: u64,
    },
    /// A seen file was written again and `on-modified` is `error`.
    ModifiedInput {
        /// The input file's name.
        file: String,
    },
    /// A file planned into a re-run batch is gone.
    PlannedInputGone {
        /// The batch.
        batch: u64,
    },
    /// A checkpoint log file the run must read whose first line is not the `v1` of Spark's
    /// logs: written by a newer Spark (`v2`, `v3`, ...), or not a log at all (garbage, torn).
    LogUnreadable {
        /// The file, relative to the checkpoint (`offsets/3`, `commits/3`).
        path: String,
        /// Its first line, as the user left it.
        first_line: String,
    },
    /// A checkpoint log file a run must read whose version line is good (or gone with the rest:
    /// an empty file) but whose lines are not a log's: cut to 0 bytes by the user or by a disk
    /// that lost its data, a later line that is no JSON, an offsets file with no batch line.
    LogTorn {
        /// The file, relative to the checkpoint (`offsets/3`, `sources/0/3`).
        path: String,
        /// What is wrong with it.
        fault: LogFault,
    },
    /// A log file a batch needs is gone: `offsets/<N-1>` for batch N's re-run (where it starts
    /// in the source log), or a source-log file of a batch's range that no compaction holds.
    LogMissing {
        /// The file, relative to the checkpoint.
        path: String,
        /// The batch that needs it.
        batch: u64,
    },
    /// The source log ends before the `logOffset` the latest batch ended at: its latest files
    /// deleted by the user.
    SourceLogCut {
        /// The newest source-log batch left, if any.
        latest: Option<u64>,
        /// The batch that ended past it.
        batch: u64,
        /// Its `logOffset`.
        log_offset: u64,
    },
    /// A file in a checkpoint log whose name reads as a batch id, as Spark reads a log's file
    /// names (`offsets/01000`, `commits/+1000`), but is not that batch's own file, above every
    /// batch file of its log: the newest batch, whose own file is not there (FINDINGS Q26d2).
    StrayName {
        /// The stray file, relative to the checkpoint.
        path: String,
        /// The batch id its name reads as.
        batch: u64,
    },
    /// The input directory is not there when a run starts: the run refuses it, as Spark's
    /// `start()` does (`PATH_NOT_FOUND`, FINDINGS Q26d2).
    InputDirMissing,
    /// A file is where the input directory was when a run starts: refused, as in Spark.
    InputNotADirectory,
    /// A start reads the source log from the compaction its interval names on, and a batch file
    /// there is named for another interval (`sources/0/3` where Spark, compacting every 2
    /// batches, reads `3.compact`): the query was restarted with another `compactInterval`
    /// before the log held compactions enough to dictate it (FINDINGS Q26e2).
    IntervalMismatch {
        /// The file the interval names, relative to the checkpoint.
        path: String,
        /// The name of the batch's file that is there.
        found: String,
        /// The interval the log compacts with at the start.
        interval: u64,
    },
    /// An option of the query has a value its rule refuses (`maxFilesPerTrigger` 0, a negative
    /// `maxFileAge`): the query does not start, as Spark's first trigger refuses it. The error
    /// must name the option, the value and the rule (the least value allowed).
    BadOption {
        /// The option's name, as Spark spells it (`maxFilesPerTrigger`), or crashpoint's own.
        option: String,
        /// The value the query gives it.
        value: i64,
        /// The rule: the least value allowed.
        least: i64,
    },
    /// The run's own `processing-time=<interval>` is an interval the engine must refuse (Spark's
    /// `trigger()` refuses it before the query starts), or the run's trigger is no trigger at all
    /// (`avaliable-now`): the run reads and writes nothing. The error must quote the interval (or
    /// the whole spelling) and say what is wrong with it.
    BadTrigger {
        /// The interval as written, trimmed; for [`IntervalFault::NotATrigger`], the whole
        /// spelling as written.
        interval: String,
        /// What is wrong with it.
        fault: IntervalFault,
    },
    /// Another process holds a lock the run must take at its start: another query on the
    /// checkpoint, or another query writing into the file sink's output directory.
    Held {
        /// Which place the lock guards.
        place: Place,
    },
    /// Anything else (an invalid plan, a log file missing): any error will do.
    Other(String),
}

/// What is wrong with a log file whose version line is not the fault ([`Cause::LogTorn`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFault {
    /// 0 bytes.
    Empty,
    /// This line (from 1, empty lines not counted) is no JSON.
    BadLine(usize),
    /// An offsets file with its version line only.
    NoBatchLine,
}

impl LogFault {
    /// The engine's words for it.
    fn words(self) -> String {
        match self {
            LogFault::Empty => "the file is empty".into(),
            LogFault::BadLine(line) => format!("line {line} is not valid"),
            LogFault::NoBatchLine => "the batch metadata line is missing".into(),
        }
    }
}

/// Why a trigger's interval is refused: the rule of Spark's grammar (or crashpoint's short
/// forms) it breaks, first in the spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntervalFault {
    /// Nothing after an optional `interval`.
    Empty,
    /// `interval` glued to what follows it.
    Prefix,
    /// A number that is not digits with at most 9 after a point.
    NotANumber,
    /// A number with no unit after it.
    NoUnit,
    /// A word that is not a unit.
    NotAUnit,
    /// A fraction of another unit than seconds.
    Fraction,
    /// Months or years that do not cancel out.
    MonthsOrYears,
    /// A number or a total past Spark's limits (64-bit microseconds, 32-bit days and months).
    TooLong,
    /// A negative total.
    Negative,
    /// No trigger at all: none of `available-now`, `once`, `processing-time`, and no
    /// `processing-time=` before an interval (a typo such as `processing-tim=5s`).
    NotATrigger,
}

impl IntervalFault {
    /// The engine's words for it.
    fn words(self) -> &'static str {
        match self {
            IntervalFault::Empty => "is not an interval; write e.g.",
            IntervalFault::Prefix => "only 'interval' may come before the first term",
            IntervalFault::NotANumber => "is not a number",
            IntervalFault::NoUnit => "has no unit",
            IntervalFault::NotAUnit => "is not a unit",
            IntervalFault::Fraction => "only seconds may have a fraction",
            IntervalFault::MonthsOrYears => "cannot be in months or years",
            IntervalFault::TooLong => "is too long an interval",
            IntervalFault::Negative => "is negative: a trigger's interval must not be",
            IntervalFault::NotATrigger => "is not a trigger; allowed: available-now, once, processing-time",
        }
    }
}

/// A place a query takes a lock on at its start, so that no second query works on it at the
/// same time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Place {
    /// The checkpoint directory (its lock: `checkpoint/.lock`).
    Checkpoint,
    /// The file sink's output directory (its lock: `output/.crashpoint-output.lock`).
    Output,
}

impl Place {
    /// Its name in a scenario (`hold-lock = "output"`), which is also the name of its directory
    /// in a scenario's world.
    pub fn name(self) -> &'static str {
        match self {
            Place::Checkpoint => "checkpoint",
            Place::Output => "output",
        }
    }

    /// Its lock file, relative to the world's root.
    pub fn lock_path(self) -> &'static str {
        match self {
            Place::Checkpoint => "checkpoint/.lock",
            Place::Output => "output/.crashpoint-output.lock",
        }
    }

    /// Every place, by its scenario name.
    pub fn parse(name: &str) -> Option<Place> {
        [Place::Checkpoint, Place::Output].into_iter().find(|p| p.name() == name)
    }

    /// What another query does there, in the engine's words.
    fn doing(self) -> &'static str {
        match self {
            Place::Checkpoint => "another query is running on it",
            Place::Output => "another query is writing into it",
        }
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a refusal for a held lock must tell the user to do.
const STOP_THE_OTHER: &str = "stop the other query first";

/// What the engine's error says `metadata` should hold (its own words).
const METADATA_HOLDS: &str = "it should hold {\"id\":\"<uuid>\"}";

/// The version a log's first line names when a newer Spark wrote it (`v2` and up), by Spark's
/// own rule (`HDFSMetadataLog.validateVersion`: `v` and a number above the one it reads).
pub fn newer_log_version(first_line: &str) -> Option<u32> {
    first_line.strip_prefix('v').and_then(|v| v.parse::<u32>().ok()).filter(|v| *v > 1)
}

impl Cause {
    /// What the engine's error message must contain for a failure to have this cause; `None`
    /// for [`Cause::Other`].
    pub fn phrase(&self) -> Option<String> {
        Some(match self {
            Cause::QueryChanged => "the query changed since".into(),
            Cause::CommitNewerThanOffsets { commit, offsets } => {
                format!("commits/{commit} is newer than the latest offsets file offsets/{offsets}")
            }
            Cause::CommitsTrailOffsets { offsets, .. } => {
                format!("the latest offsets file is offsets/{offsets} but")
            }
            Cause::CommitsWithoutOffsets { commit } => format!("commits/{commit} exists but offsets/ is empty"),
            Cause::MetadataMissing => "offsets/ has batches but the metadata file is missing".into(),
            Cause::MetadataUnreadable { empty: true } => "metadata: the file is empty".into(),
            Cause::MetadataUnreadable { empty: false } => "metadata: not valid".into(),
            Cause::BadRecordFailfast { uri, line } => format!("{uri}:{line}: "),
            Cause::SinkAhead { held } => format!("already holds batches up to {held}"),
            Cause::ModifiedInput { .. } => "(on-modified is error)".into(),
            Cause::SinkBehind { held, committed } => {
                let held = held.map_or("no batch".to_string(), |h| format!("batch {h}"));
                format!("ends at {held}, but commits/{committed} in checkpoint")
            }
            Cause::PlannedInputGone { batch } => format!("batch {batch} cannot run: its input file"),
            Cause::LogUnreadable { path, first_line } => {
                let why = match newer_log_version(first_line) {
                    Some(2) if path.starts_with("offsets/") => {
                        "Spark 4.3 writes offsets version 2 when source evolution is on"
                    }
                    Some(_) => "it was written by a newer Spark",
                    None => "the file is probably torn",
                };
                // The error shows the line, or its start when it is long.
                let shown: String = first_line.chars().take(40).collect();
                format!("{path}: not a Spark metadata log (first line is '{shown}' but must be 'v1'); {why}")
            }
            Cause::LogTorn { path, fault } => format!("{path}: {}", fault.words()),
            Cause::LogMissing { path, batch } => format!("{path}: missing, but batch {batch} "),
            Cause::SourceLogCut { latest, batch, log_offset } => {
                let latest = latest.map_or("nothing".to_string(), |l| format!("sources/0/{l}"));
                format!("the source log ends at {latest} but batch {batch} ended at logOffset {log_offset}")
            }
            Cause::StrayName { path, batch } => format!("{path}: a stray file whose name reads as batch {batch} "),
            Cause::IntervalMismatch { path, found, interval } => {
                format!("{path}: not there, but {found} is: the log compacts every {interval} batches")
            }
            Cause::InputDirMissing => "does not exist (Spark refuses it too: [PATH_NOT_FOUND]".into(),
            Cause::InputNotADirectory => "is not a directory (Spark refuses it too".into(),
            Cause::BadOption { option, value, .. } => format!("invalid value '{value}' for option '{option}'"),
            // The interval as written, quoted, first in every refusal of it.
            Cause::BadTrigger { interval, .. } => format!("'{interval}'"),
            // The place by its directory, as the error names it, and what is there.
            Cause::Held { place } => format!("{place}: {}", place.doing()),
            Cause::Other(_) => return None,
        })
    }

    /// Words the error must hold besides [`Cause::phrase`]: the rule a refused option breaks.
    fn rule_words(&self) -> Option<String> {
        match self {
            Cause::CommitsTrailOffsets { .. } => Some("commits trail offsets by more than one batch".into()),
            Cause::BadOption { least, .. } => Some(format!("{least} or more")),
            Cause::BadTrigger { fault, .. } => Some(fault.words().into()),
            // What the file should hold: the user's way to repair it.
            Cause::MetadataUnreadable { .. } => Some(METADATA_HOLDS.into()),
            _ => None,
        }
    }

    /// True if an engine error with this message has this cause.
    pub fn matches(&self, message: &str) -> bool {
        let words = self.rule_words().is_none_or(|words| message.contains(&words));
        // A held lock: the lock by its path, and what to do.
        let words = words
            && match self {
                Cause::Held { place } => {
                    message.contains(&format!("{} is locked", place.lock_path())) && message.contains(STOP_THE_OTHER)
                }
                _ => true,
            };
        words && self.phrase().is_none_or(|phrase| message.contains(&phrase))
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::QueryChanged => write!(f, "the query changed: the plan differs from the one in the latest offsets"),
            Cause::CommitNewerThanOffsets { commit, offsets } => {
                write!(f, "commits/{commit} is newer than the latest offsets file, offsets/{offsets}")
            }
            Cause::CommitsTrailOffsets { offsets, commit: Some(c) } => {
                write!(f, "the latest commit, commits/{c}, trails offsets/{offsets} by more than one batch")
            }
            Cause::CommitsTrailOffsets { offsets, commit: None } => {
                write!(f, "offsets/{offsets} has no commit before it: commits/ is empty")
            }
            Cause::CommitsWithoutOffsets { commit } => write!(f, "commits/{commit} exists but offsets/ is empty"),
            Cause::MetadataMissing => write!(f, "offsets/ has batches but the metadata file is missing"),
            Cause::MetadataUnreadable { empty: true } => write!(f, "metadata is empty: it holds no query id"),
            Cause::MetadataUnreadable { empty: false } => write!(f, "metadata is not the JSON of a query id"),
            Cause::BadRecordFailfast { uri, line } => write!(f, "{uri}:{line}: a bad line or value in failfast mode"),
            Cause::SinkAhead { held } => write!(f, "the sink already holds batch {held}"),
            Cause::ModifiedInput { file } => write!(f, "{file} was written again after a batch took it"),
            Cause::SinkBehind { held: Some(held), committed } => {
                write!(f, "the sink holds batches up to {held}, but commits/{committed} says batch {committed} is done")
            }
            Cause::SinkBehind { held: None, committed } => {
                write!(f, "the sink holds no batch, but commits/{committed} says batch {committed} is done")
            }
            Cause::PlannedInputGone { batch } => write!(f, "a file of batch {batch} is gone: it cannot be read"),
            Cause::LogUnreadable { path, first_line } => match newer_log_version(first_line) {
                Some(2) if path.starts_with("offsets/") => {
                    write!(
                        f,
                        "{path} is offsets version 2 (Spark 4.3 with source evolution on, or a newer Spark; this one reads v1)"
                    )
                }
                Some(v) => write!(f, "{path} was written by a newer Spark (log version {v}; this one reads v1)"),
                None => write!(f, "{path} is not a Spark log: its first line is '{first_line}', not 'v1'"),
            },
            Cause::LogTorn { path, fault: LogFault::Empty } => write!(f, "{path} is empty (0 bytes)"),
            Cause::LogTorn { path, fault: LogFault::BadLine(line) } => write!(f, "line {line} of {path} is no JSON"),
            Cause::LogTorn { path, fault: LogFault::NoBatchLine } => {
                write!(f, "{path} holds its version line only, no batch line")
            }
            Cause::LogMissing { path, batch } => write!(f, "{path} is gone, and batch {batch} needs it"),
            Cause::SourceLogCut { latest: Some(l), batch, log_offset } => {
                write!(f, "the source log ends at sources/0/{l}, before batch {batch}'s logOffset {log_offset}")
            }
            Cause::SourceLogCut { latest: None, batch, log_offset } => {
                write!(f, "the source log is empty, but batch {batch} ended at logOffset {log_offset}")
            }
            Cause::IntervalMismatch { path, found, interval } => {
                write!(f, "{path} is not there ({found} is), and the source log compacts every {interval} batches")
            }
            Cause::StrayName { path, batch } => {
                write!(f, "{path} reads as batch {batch}, newer than its log's batches, whose own file is not there")
            }
            Cause::InputDirMissing => write!(f, "the input directory is not there when the run starts"),
            Cause::InputNotADirectory => write!(f, "a file is where the input directory was when the run starts"),
            Cause::BadOption { option, value, least } => {
                write!(f, "option {option} is {value}, and its rule asks for {least} or more")
            }
            Cause::BadTrigger { interval, fault: IntervalFault::NotATrigger } => {
                write!(f, "the run's trigger '{interval}' is not a trigger")
            }
            Cause::BadTrigger { interval, fault } => write!(f, "the trigger's interval '{interval}' {}", fault.words()),
            Cause::Held { place: Place::Checkpoint } => write!(f, "another query holds the checkpoint's lock"),
            Cause::Held { place: Place::Output } => {
                write!(f, "another query holds the lock of the output directory: it writes into it")
            }
            Cause::Other(why) => write!(f, "{why}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_metadata_file_that_is_no_query_id_is_judged_by_the_file_the_fault_and_the_repair() {
        // Goal: the words a user needs when `metadata` is broken: the file, what is wrong
        // (empty, or not the JSON of an id) and what it should hold. Method: the engine's own
        // messages (checkpoint/mod.rs) match their cause and not the other; hand-made wrong
        // ones (no file named, no repair said, the other fault) do not.
        let hint =
            "it should hold {\"id\":\"<uuid>\"}; run `crashpoint doctor` on the checkpoint: it says what can be done";
        let empty = format!("metadata file /s/checkpoint/metadata: the file is empty; {hint}");
        let garbage =
            format!("metadata file /s/checkpoint/metadata: not valid: expected value at line 1 column 1; {hint}");
        let (is_empty, not_json) =
            (Cause::MetadataUnreadable { empty: true }, Cause::MetadataUnreadable { empty: false });
        assert!(is_empty.matches(&empty) && !is_empty.matches(&garbage));
        assert!(not_json.matches(&garbage) && !not_json.matches(&empty));
        assert!(!not_json.matches("not valid: expected value at line 1 column 1"), "no file named");
        assert!(!not_json.matches("metadata file /s/checkpoint/metadata: not valid: expected value"), "no repair said");
        assert!(!Cause::MetadataMissing.matches(&empty));
    }

    #[test]
    fn each_cause_matches_its_engine_message_and_not_the_others() {
        // Goal: each cause recognises the engine's own message for it and no other cause's.
        // Method: the engine's messages as it words them (engine/recovery.rs, error.rs).
        let cp = "cannot recover checkpoint /cp:";
        let newer = format!("{cp} commits/3 is newer than the latest offsets file offsets/2; offsets were deleted");
        let trail = format!(
            "{cp} the latest offsets file is offsets/3 but the latest commit is commits/1: commits trail offsets by more \
             than one batch (Spark only warns here and goes on); run `crashpoint doctor`"
        );
        let bad = "file:///sim/input/f0.json:2: malformed (mode is failfast; use permissive ...)".to_string();
        let cases = [
            (Cause::CommitNewerThanOffsets { commit: 3, offsets: 2 }, newer.clone()),
            (Cause::CommitsTrailOffsets { offsets: 3, commit: Some(1) }, trail.clone()),
            (Cause::BadRecordFailfast { uri: "file:///sim/input/f0.json".into(), line: 2 }, bad.clone()),
        ];
        for (cause, message) in &cases {
            for (other, other_message) in &cases {
                assert_eq!(cause.matches(other_message), cause == other, "{cause:?} on {message:?} / {other:?}");
            }
        }
        assert!(
            !Cause::BadRecordFailfast { uri: "file:///sim/input/f0.json".into(), line: 3 }.matches(&bad),
            "another line"
        );
        assert!(Cause::Other("x".into()).matches("anything"));
        assert!(Cause::ModifiedInput { file: "a.json".into() }.matches("a.json: changed (on-modified is error)"));
        assert!(!Cause::ModifiedInput { file: "a.json".into() }.matches(&bad));
    }

    #[test]
    fn a_bad_option_is_held_to_its_name_its_value_and_its_rule() {
        // Goal: a run refused for a query option must say which option, which value, and what
        // the rule allows; a refusal of another option or value, one that leaves the rule out,
        // or another error is a finding. Method: the engine's words (source/mod.rs), right and
        // hand-made wrong ones.
        let cause = Cause::BadOption { option: "maxFilesPerTrigger".into(), value: 0, least: 1 };
        let right = "invalid value '0' for option 'maxFilesPerTrigger' (max-files-per-trigger): it must \
                     be a positive integer (1 or more), as in Spark; no limit when it is not set. Nothing was read \
                     or written: fix the value and run again";
        assert!(cause.matches(right));
        for wrong in [
            right.replace("'0'", "'-1'"),
            right.replace("'maxFilesPerTrigger'", "'maxFileAge'"),
            right.replace("(1 or more)", "(positive)"),
            "invalid query: maxFilesPerTrigger is wrong".to_string(),
            "cannot recover checkpoint /cp: commits/3 is newer than the latest offsets file offsets/2".to_string(),
        ] {
            assert!(!cause.matches(&wrong), "{wrong}");
        }
        let age = Cause::BadOption { option: "maxFileAge".into(), value: -1, least: 0 };
        assert!(age.matches("invalid value '-1' for option 'maxFileAge' (max-file-age-ms): it must be 0 or more ms"));
        assert!(!age.matches("invalid value '-1' for option 'maxFileAge' (max-file-age-ms): it must be positive"));
        assert_eq!(age.to_string(), "option maxFileAge is -1, and its rule asks for 0 or more");
    }

    #[test]
    fn a_refused_interval_is_held_to_its_spelling_and_its_fault() {
        // Goal: a run refused for its trigger's interval must quote the interval and say what
        // is wrong with it; another interval, another fault, or a bare refusal is a finding.
        // Method: the engine's words (engine/trigger.rs), right and hand-made wrong ones.
        let month = Cause::BadTrigger { interval: "1 month".into(), fault: IntervalFault::MonthsOrYears };
        let right = "'1 month': a trigger's interval cannot be in months or years";
        assert!(month.matches(right));
        for wrong in [
            right.replace("'1 month'", "'2 months'"),
            "'1 month': 'month' is not a unit; Spark's are microseconds, ...".to_string(),
            "'1 month' is not a trigger".to_string(),
            "invalid value '0' for option 'maxFilesPerTrigger'".to_string(),
        ] {
            assert!(!month.matches(&wrong), "{wrong}");
        }
        let point = Cause::BadTrigger { interval: ".".into(), fault: IntervalFault::NotANumber };
        assert!(point.matches("'.': '.' is not a number (Spark reads at most 9 digits after the point)"));
        assert!(!point.matches("'.': '.' has no unit; write e.g. . seconds"));
        assert_eq!(point.to_string(), "the trigger's interval '.' is not a number");
        let typo = Cause::BadTrigger { interval: "avaliable-now".into(), fault: IntervalFault::NotATrigger };
        let right = "'avaliable-now' is not a trigger; allowed: available-now, once, processing-time or \
                     processing-time=<interval> (e.g. processing-time=5s)";
        assert!(typo.matches(right));
        assert!(!typo.matches("'available-now' is not a trigger; allowed: available-now, once, processing-time"));
        assert!(!typo.matches("'avaliable-now': 'avaliable-now' is not a unit"));
        assert_eq!(typo.to_string(), "the run's trigger 'avaliable-now' is not a trigger");
    }

    #[test]
    fn a_sink_behind_its_commits_is_held_to_both_batches() {
        // Goal: the refusal of a sink behind its commits must name the batch the sink holds (or
        // that it holds none) and the commit; an error that names other batches, or a refusal
        // that lets the run go on, is a finding. Method: the engine's words (engine/error.rs
        // SinkBehind), right and wrong, hand-fed.
        let error = |held: &str, committed: u64| {
            format!(
                "/sim/output/_spark_metadata ends at {held}, but commits/{committed} in checkpoint /sim/checkpoint \
                 says batch {committed} is done: the output lacks that batch's rows"
            )
        };
        let behind = |held, committed| Cause::SinkBehind { held, committed };
        let cases = [
            (behind(Some(1), 2), error("batch 1", 2), true),
            (behind(Some(1), 2), error("batch 0", 2), false),
            (behind(Some(1), 2), error("batch 1", 3), false),
            (behind(None, 2), error("no batch", 2), true),
            (behind(None, 2), error("batch 1", 2), false),
        ];
        for (cause, message, matches) in cases {
            assert_eq!(cause.matches(&message), matches, "{cause:?} on {message}");
        }
        assert!(!behind(Some(1), 2).matches("the sink already holds batches up to 2"), "another refusal");
    }

    #[test]
    fn a_held_lock_is_named_by_its_place_its_lock_and_what_to_do() {
        // Goal: the refusal of a run whose checkpoint or output another query holds must name
        // the place's directory, say that another query runs on it or writes into it, name the
        // lock, and say what to do; the bare I/O error of taking the lock (what a user reads when
        // a held lock is taken for a failed one) is a finding, and so is the other place's
        // refusal. Method: the engine's words (engine/mod.rs lock_checkpoint, sink OutputLocked),
        // right and wrong, hand-fed.
        let checkpoint = "cannot recover checkpoint /sim/checkpoint: another query is running on it \
                          (/sim/checkpoint/.lock is locked); stop the other query first; two queries on one \
                          checkpoint corrupt it";
        let output = "output /sim/output: another query is writing into it (/sim/output/.crashpoint-output.lock is \
                      locked); stop the other query first: two queries on one output directory corrupt its log";
        let bare = "file sink /sim/output/.crashpoint-output.lock: could not take the output's lock: \
                    /sim/output/.crashpoint-output.lock: locked by another holder; retry once the cause is fixed";
        let no_advice = "output /sim/output: another query is writing into it (/sim/output/.crashpoint-output.lock \
                         is locked)";
        let held = |place| Cause::Held { place };
        let cases = [
            (held(Place::Checkpoint), checkpoint, true),
            (held(Place::Checkpoint), output, false),
            (held(Place::Output), output, true),
            (held(Place::Output), checkpoint, false),
            (held(Place::Output), bare, false),
            (held(Place::Output), no_advice, false),
        ];
        for (cause, message, matches) in cases {
            assert_eq!(cause.matches(message), matches, "{cause:?} on {message}");
        }
        assert_eq!(Place::parse("output"), Some(Place::Output));
        assert_eq!(Place::parse("sink"), None);
    }

    #[test]
    fn a_log_from_a_newer_spark_is_told_from_a_torn_one() {
        // Goal: an unreadable log's cause holds the engine's error to the file, the first line
        // and the right reason: a newer Spark for `v2` and up, a torn file for anything else.
        // Method: the engine's words (checkpoint/format.rs, error.rs), right and wrong, hand-fed.
        let error = |path: &str, first: &str, hint: &str| {
            format!(
                "offsets log /sim/checkpoint/{path}: not a Spark metadata log (first line is '{first}' but must be \
                 'v1'); {hint}"
            )
        };
        let newer = "it was written by a newer Spark; crashpoint reads version 1 only";
        let torn =
            "the file is probably torn by a crash while it was written, or changed by hand; run `crashpoint doctor`";
        let cause = |path: &str, first: &str| Cause::LogUnreadable { path: path.into(), first_line: first.into() };
        // Spark 4.3 itself writes offsets v2 (source evolution on): "a newer Spark" would mislead.
        let offsets_v2 = "Spark 4.3 writes offsets version 2 when source evolution is on (spark.sql.streaming.\
                          queryEvolution.enableSourceEvolution), as a newer Spark may; crashpoint reads version 1 only";
        let cases = [
            (cause("offsets/3", "v2"), error("offsets/3", "v2", offsets_v2), true),
            (cause("offsets/3", "v2"), error("offsets/3", "v2", newer), false),
            (cause("offsets/3", "v2"), error("offsets/3", "v2", torn), false),
            (cause("offsets/3", "v2"), error("offsets/2", "v2", offsets_v2), false),
            (cause("offsets/3", "v3"), error("offsets/3", "v3", newer), true),
            (cause("commits/3", "v10"), error("commits/3", "v10", newer), true),
            (cause("commits/3", "v0"), error("commits/3", "v0", torn), true),
            (cause("commits/3", "v0"), error("commits/3", "v0", newer), false),
            (cause("commits/3", "{torn"), error("commits/3", "{torn", torn), true),
            (cause("commits/3", "{torn"), error("commits/3", "{other", torn), false),
            (cause("sources/0/3", "v2"), error("sources/0/3", "v2", newer), true),
            (cause("sources/0/3", "v2"), error("sources/0/4", "v2", newer), false),
            (cause("sources/0/3", "V1"), error("sources/0/3", "V1", torn), true),
        ];
        for (cause, message, matches) in cases {
            assert_eq!(cause.matches(&message), matches, "{cause:?} on {message}");
        }
        let long = "x".repeat(50);
        assert!(cause("offsets/0", &long).matches(&error("offsets/0", &long[..40], torn)), "the line's start");
        assert_eq!(newer_log_version("v2"), Some(2));
        assert_eq!([newer_log_version("v1"), newer_log_version("v"), newer_log_version("2")], [None, None, None]);
    }
}
