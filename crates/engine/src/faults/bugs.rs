//! Seeded engine bugs: the harness proves its power by catching each one.
//!
//! They exist for tests and the CLI only; every one is off unless asked for by name.

use std::fmt;
use std::str::FromStr;

/// A deliberate defect that the engine can switch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bug {
    /// `commits/N` is written before the sink gets the batch.
    CommitBeforeSink,
    /// Log files are written in place, with no temp file and no rename.
    NonAtomicLogWrite,
    /// On restart, the source log is not read: every file looks new.
    SourceLogIgnoredOnRestart,
    /// The file sink neither checks nor trusts its `_spark_metadata` log.
    FileSinkIgnoresLog,
    /// `offsets/N` is written after the sink instead of before.
    OffsetsAfterSink,
    /// Recovery skips a pending (offsets without commit) batch.
    RecoverySkipsPendingBatch,
    /// Log writes never fsync.
    NoFsync,
}

impl Bug {
    /// Every seeded bug.
    pub const ALL: [Bug; 7] = [
        Bug::CommitBeforeSink,
        Bug::NonAtomicLogWrite,
        Bug::SourceLogIgnoredOnRestart,
        Bug::FileSinkIgnoresLog,
        Bug::OffsetsAfterSink,
        Bug::RecoverySkipsPendingBatch,
        Bug::NoFsync,
    ];

    /// The stable name used by `--bug` and scenario files.
    pub fn name(self) -> &'static str {
        match self {
            Bug::CommitBeforeSink => "commit-before-sink",
            Bug::NonAtomicLogWrite => "non-atomic-log-write",
            Bug::SourceLogIgnoredOnRestart => "source-log-ignored-on-restart",
            Bug::FileSinkIgnoresLog => "file-sink-ignores-log",
            Bug::OffsetsAfterSink => "offsets-after-sink",
            Bug::RecoverySkipsPendingBatch => "recovery-skips-pending-batch",
            Bug::NoFsync => "no-fsync",
        }
    }
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Bug {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Bug::ALL.into_iter().find(|b| b.name() == s).ok_or_else(|| {
            let names: Vec<&str> = Bug::ALL.iter().map(|b| b.name()).collect();
            format!("unknown bug '{s}'; known: {}", names.join(", "))
        })
    }
}

/// A set of switched-on bugs. Empty by default: the correct engine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct BugSet(u16);

impl BugSet {
    /// The set with one bug.
    pub fn of(bug: Bug) -> Self {
        Self::default().with(bug)
    }

    /// This set plus `bug`.
    pub fn with(self, bug: Bug) -> Self {
        Self(self.0 | 1 << bug as u16)
    }

    /// True if `bug` is switched on.
    pub fn has(self, bug: Bug) -> bool {
        self.0 & (1 << bug as u16) != 0
    }

    /// The switched-on bugs, in a fixed order.
    pub fn iter(self) -> impl Iterator<Item = Bug> {
        Bug::ALL.into_iter().filter(move |b| self.has(*b))
    }
}
