//! The named crash points of the batch lifecycle.

use super::Crash;
use std::fmt;
use std::str::FromStr;

/// A step of the batch lifecycle where the engine can be crashed. Names are stable: scenario
/// files, snapshots and `FAILPOINTS` use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CrashPoint {
    /// The batch is planned; `sources/0/N` is not written yet.
    BeforeSourceLogWrite,
    /// `sources/0/N` is written; `offsets/N` is not.
    BeforeOffsetsWrite,
    /// `offsets/N` is written; the sink has not been called.
    AfterOffsetsWrite,
    /// The sink wrote its data files; its own log (`_spark_metadata/N`) is not written yet. The
    /// file sink hits it after each part file but the last (a batch of K tasks writes K part
    /// files), then once when all are written: a crash can fall between two tasks' part files.
    DuringSinkWrite,
    /// The sink finished the batch; `commits/N` is not written yet.
    AfterSinkWrite,
    /// `commits/N` is written; the next batch has not started.
    AfterCommitWrite,
    /// Inside any log write: the temp file is written and synced, not yet renamed.
    DuringLogWrite,
    /// Inside any log write: renamed into place, the directory not yet synced.
    BeforeLogDirSync,
}

impl CrashPoint {
    /// Every crash point, in lifecycle order.
    pub const ALL: [CrashPoint; 8] = [
        CrashPoint::BeforeSourceLogWrite,
        CrashPoint::BeforeOffsetsWrite,
        CrashPoint::AfterOffsetsWrite,
        CrashPoint::DuringSinkWrite,
        CrashPoint::AfterSinkWrite,
        CrashPoint::AfterCommitWrite,
        CrashPoint::DuringLogWrite,
        CrashPoint::BeforeLogDirSync,
    ];

    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            CrashPoint::BeforeSourceLogWrite => "before-source-log-write",
            CrashPoint::BeforeOffsetsWrite => "before-offsets-write",
            CrashPoint::AfterOffsetsWrite => "after-offsets-write",
            CrashPoint::DuringSinkWrite => "during-sink-write",
            CrashPoint::AfterSinkWrite => "after-sink-write",
            CrashPoint::AfterCommitWrite => "after-commit-write",
            CrashPoint::DuringLogWrite => "during-log-write",
            CrashPoint::BeforeLogDirSync => "before-log-dir-sync",
        }
    }

    /// What a crash there means, for `crashpoint points`.
    pub fn meaning(self) -> &'static str {
        match self {
            CrashPoint::BeforeSourceLogWrite => "batch planned, nothing of it written yet",
            CrashPoint::BeforeOffsetsWrite => "sources/0/N written, offsets/N not yet",
            CrashPoint::AfterOffsetsWrite => "offsets/N written, sink not called yet",
            CrashPoint::DuringSinkWrite => {
                "sink data files written (file sink: or some of its part files), sink log entry not yet"
            }
            CrashPoint::AfterSinkWrite => "sink done, commits/N not yet written",
            CrashPoint::AfterCommitWrite => "commits/N written, next batch not started",
            CrashPoint::DuringLogWrite => "any log file: temp file written, not yet renamed",
            CrashPoint::BeforeLogDirSync => "any log file: renamed, directory not yet fsynced",
        }
    }
}

impl fmt::Display for CrashPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for CrashPoint {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CrashPoint::ALL.into_iter().find(|p| p.name() == s).ok_or_else(|| {
            let names: Vec<&str> = CrashPoint::ALL.iter().map(|p| p.name()).collect();
            format!("unknown crash point '{s}'; known: {}", names.join(", "))
        })
    }
}

/// The `fail` crate's hook: `FAILPOINTS=after-sink-write=panic` kills a real process here, and
/// `=return` turns into an ordinary crash. Without the `failpoints` feature the macro is empty.
#[cfg_attr(not(feature = "failpoints"), allow(unused_variables))]
pub(super) fn fail_point(point: CrashPoint, hit: u32) -> Result<(), Crash> {
    fail::fail_point!(point.name(), |_| Err(Crash { point, hit }));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for point in CrashPoint::ALL {
            assert_eq!(point.name().parse::<CrashPoint>(), Ok(point));
        }
        assert!("after-lunch".parse::<CrashPoint>().unwrap_err().contains("after-sink-write"));
    }
}
