//! The engine's warnings about file names that Spark 4.3 misreads, against the oracle's list:
//! every file the oracle says Spark misreads is named in a warning, with the right why, and no
//! other file is.
//!
//! A warning is such a notice when it cites `(spark/FINDINGS.md, Q2)`; its file is the URI
//! before the first `": "`, and its why is told by Spark's own failure it names: a glob pattern
//! (`*`, `?`, `[ ]`, `{ }` in the name), or the `URISyntaxException` of a name with a colon.
//! The check reads the warnings only; it never decides which names are misread (the oracle
//! does).

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

/// The marker every misread notice carries.
const CITATION: &str = "(spark/FINDINGS.md, Q2)";

/// The file name and why of a warning that is a misread notice; `None` for any other warning.
/// A notice whose why is neither is `Some((name, None))`.
fn notice_of(warning: &str) -> Option<(String, Option<Misread>)> {
    if !warning.contains(CITATION) {
        return None;
    }
    let (uri, why) = warning.split_once(": ")?;
    let misread = if why.contains("glob pattern") {
        Some(Misread::Glob)
    } else if why.contains("URISyntaxException") {
        Some(Misread::Colon)
    } else {
        None
    };
    Some((file_name_of(uri), misread))
}

/// Compares the misread notices among `warnings` (every warning of every run) with the
/// oracle's files and whys. Returns the findings, in words; none if they agree. A file may be
/// warned about more than once (a crash makes a run take it again), never with another why.
pub fn judge_misread_notices<'a>(
    expected: &BTreeMap<String, Misread>,
    warnings: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let mut warned: BTreeMap<String, BTreeSet<Option<Misread>>> = BTreeMap::new();
    for (name, misread) in warnings.into_iter().filter_map(notice_of) {
        warned.entry(name).or_default().insert(misread);
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
            match (want, why) {
                (None, _) => findings.push(format!(
                    "{name}: a warning says that Spark 4.3 misreads this name, but nothing in it is a glob \
                     character or a colon"
                )),
                (Some(want), Some(got)) if want == got => {}
                (Some(want), got) => findings.push(format!(
                    "{name}: a warning gives the wrong reason why Spark 4.3 misreads it ({}), expected: {want}",
                    got.map_or("neither a glob pattern nor a colon".to_string(), |g| g.to_string())
                )),
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    const GLOB: &str = "file:///scenario/input/f%5B1%5D.json: Spark 4.3 takes this name as a glob pattern and, in a \
                        batch with other files, reads each of them again (spark/FINDINGS.md, Q2); crashpoint reads it once";
    const COLON: &str = "file:///scenario/input/f2:x.json: Spark 4.3 fails every run of the batch that holds this name \
                         (URISyntaxException on its .crc name) (spark/FINDINGS.md, Q2); crashpoint reads it once";
    const OTHER: &str = "file:///scenario/input/f3.json was written again after batch 0 took it";

    /// (expected, warnings, findings' fragments)
    type Case<'a> = (&'a BTreeMap<String, Misread>, &'a [&'a str], &'a [&'a str]);

    #[test]
    fn cases() {
        let both =
            BTreeMap::from([("f[1].json".to_string(), Misread::Glob), ("f2:x.json".to_string(), Misread::Colon)]);
        let glob_only = BTreeMap::from([("f[1].json".to_string(), Misread::Glob)]);
        let wrong_why = BTreeMap::from([("f[1].json".to_string(), Misread::Colon)]);
        let none = BTreeMap::new();
        let cases: &[Case] = &[
            (&both, &[GLOB, COLON, OTHER, GLOB], &[]),
            (&none, &[OTHER], &[]),
            (&both, &[GLOB, OTHER], &["f2:x.json: no warning says"]),
            (&glob_only, &[GLOB, COLON], &["f2:x.json: a warning says that Spark 4.3 misreads this name, but"]),
            (
                &wrong_why,
                &[GLOB],
                &["f[1].json: a warning gives the wrong reason", "expected: Spark fails on its colon"],
            ),
            (&none, &[GLOB], &["f[1].json: a warning says"]),
        ];
        for (expected, warnings, fragments) in cases {
            let found = judge_misread_notices(expected, warnings.iter().copied());
            for fragment in *fragments {
                assert!(found.iter().any(|f| f.contains(fragment)), "{fragment} not in {found:?}");
            }
            assert_eq!(found.is_empty(), fragments.is_empty(), "{warnings:?}: {found:?}");
        }
    }
}
