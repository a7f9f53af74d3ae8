//! The file source's notices against the oracle's lists, compared as the typed values the
//! engine emits ([`crashpoint_engine::engine::Event::SourceNotice`]), never parsed from words:
//!
//! - names Spark 4.3 misreads: every file the oracle says Spark misreads is named in a
//!   `SparkMisreads` notice, with the right why, and no other file is;
//! - files older than `maxFileAge`: every file the oracle leaves unread as too old, and never
//!   read before, is named in a `TooOld` notice, and no other file is; each notice's own times
//!   must show it too old, by the window the oracle judged it by (the query's `maxFileAge`, or
//!   Spark's default of 7 days): a warning that names another window misleads the user.
//!
//! The checks read the notices only; they never decide which names are misread or which files
//! are too old (the oracle does).

use crashpoint_engine::source::{SourceNotice, SparkMisread};
use crashpoint_engine::uri::file_name_of;
use std::collections::{BTreeMap, BTreeSet};

/// What Spark 4.3 does wrong with a file because of its name (spark/FINDINGS.md, Q2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Misread {
    /// The name is taken as a glob pattern: in a batch with other files, each is read again.
    Glob,
    /// The name has a colon: every run of its batch fails on its `.crc` name.
    Colon,
}

impl std::fmt::Display for Misread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Misread::Glob => "Spark takes it as a glob pattern",
            Misread::Colon => "Spark fails on its colon",
        })
    }
}

impl From<SparkMisread> for Misread {
    fn from(why: SparkMisread) -> Self {
        match why {
            SparkMisread::Glob => Misread::Glob,
            SparkMisread::Colon => Misread::Colon,
        }
    }
}

/// Compares the misread notices among `notices` (every notice of every run) with the oracle's
/// files and whys. Returns the findings, in words; none if they agree. A file may be noticed
/// more than once (a crash makes a run take it again), never with another why.
pub fn judge_misread_notices<'a>(
    expected: &BTreeMap<String, Misread>,
    notices: impl IntoIterator<Item = &'a SourceNotice>,
) -> Vec<String> {
    let mut warned: BTreeMap<String, BTreeSet<Misread>> = BTreeMap::new();
    for notice in notices {
        if let SourceNotice::SparkMisreads { path, why } = notice {
            warned.entry(file_name_of(path)).or_default().insert((*why).into());
        }
    }
    let mut findings = Vec::new();
    for (name, misread) in expected {
        if !warned.contains_key(name) {
            findings.push(format!(
                "{name}: no warning says that Spark 4.3 misreads this name ({misread}); the user must hear it"
            ));
        }
    }
    for (name, whys) in &warned {
        let want = expected.get(name);
        for why in whys {
            match want {
                None => findings.push(format!(
                    "{name}: a warning says that Spark 4.3 misreads this name, but nothing in it is a glob \
                     character or a colon"
                )),
                Some(want) if want == why => {}
                Some(want) => findings.push(format!(
                    "{name}: a warning gives the wrong reason why Spark 4.3 misreads it ({why}), expected: {want}"
                )),
            }
        }
    }
    findings
}

/// Compares the too-old notices among `notices` (every notice of every run) with the oracle's
/// files left unread as older than `maxFileAge` (and never read before), each with the windows
/// it was judged by. Returns the findings, in words; none if they agree.
pub fn judge_too_old_notices<'a>(
    expected: &BTreeMap<String, BTreeSet<i64>>,
    notices: impl IntoIterator<Item = &'a SourceNotice>,
) -> Vec<String> {
    let mut findings = Vec::new();
    let mut noticed = BTreeSet::new();
    for notice in notices {
        if let SourceNotice::TooOld { path, mtime_ms, newest_ms, max_age_ms } = notice {
            let name = file_name_of(path);
            if *mtime_ms >= newest_ms.saturating_sub(*max_age_ms) {
                findings.push(format!(
                    "{name}: a warning says it is older than maxFileAge, but its own times say otherwise \
                     ({mtime_ms} ms is within {max_age_ms} ms of the newest file seen, {newest_ms} ms)"
                ));
            }
            if let Some(windows) = expected.get(&name)
                && !windows.contains(max_age_ms)
            {
                findings.push(format!(
                    "{name}: a warning says it is older than a maxFileAge of {max_age_ms} ms, but the query's window is \
                     {windows:?} ms (the option, or Spark's default of 7 days)"
                ));
            }
            noticed.insert(name);
        }
    }
    let expected_names: BTreeSet<String> = expected.keys().cloned().collect();
    for name in expected_names.difference(&noticed) {
        findings.push(format!(
            "{name}: it is older than maxFileAge counted back from the newest file seen, so it is not read, but no \
             warning says so; the user must hear it (Spark says nothing)"
        ));
    }
    for name in noticed.difference(&expected_names) {
        findings.push(format!(
            "{name}: a warning says it is not read as older than maxFileAge, but the reference model finds it \
             within the window, or already read before (a file read once is forgotten without a word)"
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn misreads(path: &str, why: SparkMisread) -> SourceNotice {
        SourceNotice::SparkMisreads { path: format!("file:///scenario/input/{path}"), why }
    }

    fn too_old(path: &str, mtime_ms: i64) -> SourceNotice {
        let path = format!("file:///scenario/input/{path}");
        SourceNotice::TooOld { path, mtime_ms, newest_ms: 10_000, max_age_ms: 2_000 }
    }

    fn modified(path: &str) -> SourceNotice {
        SourceNotice::ModifiedAfterProcessing { path: format!("file:///scenario/input/{path}"), batch_id: 0 }
    }

    /// (expected, notices, findings' fragments)
    type Case<'a, E> = (&'a E, Vec<SourceNotice>, &'a [&'a str]);

    #[test]
    fn misread_cases() {
        let both =
            BTreeMap::from([("f[1].json".to_string(), Misread::Glob), ("f2:x.json".to_string(), Misread::Colon)]);
        let glob_only = BTreeMap::from([("f[1].json".to_string(), Misread::Glob)]);
        let wrong_why = BTreeMap::from([("f[1].json".to_string(), Misread::Colon)]);
        let none = BTreeMap::new();
        let glob = || misreads("f%5B1%5D.json", SparkMisread::Glob);
        let colon = || misreads("f2:x.json", SparkMisread::Colon);
        let cases: Vec<Case<BTreeMap<String, Misread>>> = vec![
            (&both, vec![glob(), colon(), modified("f3.json"), glob()], &[]),
            (&none, vec![modified("f3.json")], &[]),
            (&both, vec![glob(), modified("f3.json")], &["f2:x.json: no warning says"]),
            (&glob_only, vec![glob(), colon()], &["f2:x.json: a warning says that Spark 4.3 misreads this name, but"]),
            (
                &wrong_why,
                vec![glob()],
                &["f[1].json: a warning gives the wrong reason", "expected: Spark fails on its colon"],
            ),
            (&none, vec![glob()], &["f[1].json: a warning says"]),
        ];
        for (expected, notices, fragments) in cases {
            let found = judge_misread_notices(expected, &notices);
            for fragment in fragments {
                assert!(found.iter().any(|f| f.contains(fragment)), "{fragment} not in {found:?}");
            }
            assert_eq!(found.is_empty(), fragments.is_empty(), "{notices:?}: {found:?}");
        }
    }

    #[test]
    fn too_old_cases() {
        // Goal: the check holds the engine's too-old notices to the oracle's files both ways, and
        // to their own times. Method: hand-made notices, right and wrong (a notice missing, one
        // too many, as an engine that notices only forgotten files gives; one within the window;
        // one that names a window other than the one the oracle judged by).
        let one = BTreeMap::from([("old.json".to_string(), BTreeSet::from([2_000]))]);
        let other_window = BTreeMap::from([("old.json".to_string(), BTreeSet::from([604_800_000]))]);
        let none = BTreeMap::new();
        let cases: Vec<Case<BTreeMap<String, BTreeSet<i64>>>> = vec![
            (
                &other_window,
                vec![too_old("old.json", 7_999)],
                &[
                    "old.json: a warning says it is older than a maxFileAge of 2000 ms, but the query's window is {604800000}",
                ],
            ),
            (&one, vec![too_old("old.json", 7_999), too_old("old.json", 7_999), modified("f.json")], &[]),
            (&none, vec![modified("f.json")], &[]),
            (&one, vec![modified("f.json")], &["old.json: it is older than maxFileAge", "no warning says so"]),
            (&none, vec![too_old("read_before.json", 5_000)], &["read_before.json: a warning says it is not read"]),
            (
                &one,
                vec![too_old("old.json", 7_999), too_old("edge.json", 8_000)],
                &["edge.json: a warning says it is older than maxFileAge, but its own times"],
            ),
        ];
        for (expected, notices, fragments) in cases {
            let found = judge_too_old_notices(expected, &notices);
            for fragment in fragments {
                assert!(found.iter().any(|f| f.contains(fragment)), "{fragment} not in {found:?}");
            }
            assert_eq!(found.is_empty(), fragments.is_empty(), "{notices:?}: {found:?}");
        }
    }
}
