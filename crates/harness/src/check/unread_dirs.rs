//! The subdirectories of the input directory, against what the file source says of them: it
//! reads no file in a subdirectory (nor does Spark 4.3, except in a partition directory `k=v`,
//! whose files Spark reads with a partition column `k`: spark/FINDINGS.md, Q7), and it must say
//! so, in words the user recognises:
//!
//! - every subdirectory the oracle's listings met (whose name Spark does not skip) is named in a
//!   `NotRead` notice;
//! - a notice about a partition directory says "partition" and names its column; one about
//!   another subdirectory says "subdirectory";
//! - no notice names an entry the oracle knows as no subdirectory (a regular file is read).
//!
//! The check reads the notices only; it never decides what an entry is (the oracle does).

use crashpoint_engine::source::SourceNotice;
use crashpoint_engine::uri::file_name_of;
use std::collections::{BTreeMap, BTreeSet};

/// What a subdirectory of the input is, as the oracle states it from its name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unread {
    /// `k=v`: Spark reads its files with a partition column `k`; crashpoint reads none.
    Partition {
        /// The partition column, the part of the name before `=`.
        column: String,
    },
    /// Any other name: neither reads its files.
    Subdirectory,
}

impl Unread {
    /// The words a notice about such a directory must hold.
    fn words(&self) -> Vec<&str> {
        match self {
            Unread::Partition { column } => vec!["partition", column.as_str()],
            Unread::Subdirectory => vec!["subdirectory"],
        }
    }
}

impl std::fmt::Display for Unread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unread::Partition { column } => {
                write!(f, "a partition directory (Spark 4.3 reads its files with a column {column})")
            }
            Unread::Subdirectory => f.write_str("a subdirectory (no one reads its files)"),
        }
    }
}

/// Compares the `NotRead` notices among `notices` (every notice of every run) with the
/// subdirectories the oracle's listings met (`expected`) and every subdirectory the scenario
/// made (`known`: a crash may move the listing that meets one). Returns the findings, in words;
/// none if they agree. A directory may be noticed once a run.
pub fn judge_unread_dirs<'a>(
    expected: &BTreeMap<String, Unread>,
    known: &BTreeMap<String, Unread>,
    notices: impl IntoIterator<Item = &'a SourceNotice>,
) -> Vec<String> {
    let mut findings = Vec::new();
    let mut noticed = BTreeSet::new();
    for notice in notices {
        let SourceNotice::NotRead { path, why } = notice else { continue };
        let name = file_name_of(path);
        match known.get(&name) {
            None => findings.push(format!(
                "{name}/: a warning says it is not read ('{why}'), but the reference model knows no subdirectory of \
                 that name in the input"
            )),
            Some(unread) => {
                let missing: Vec<&str> = unread.words().into_iter().filter(|w| !why.contains(w)).collect();
                if !missing.is_empty() {
                    findings.push(format!(
                        "{name}/: the warning that its files are not read says '{why}', which does not say what it \
                         is: {unread} (missing: {})",
                        missing.join(", ")
                    ));
                }
            }
        }
        noticed.insert(name);
    }
    for (name, unread) in expected {
        if !noticed.contains(name) {
            findings.push(format!(
                "{name}/: {unread} in the input, and no warning says that its files are not read; the user must hear \
                 it (Spark says nothing)"
            ));
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (expected, notices, findings' fragments)
    type Case<'a> = (&'a BTreeMap<String, Unread>, Vec<SourceNotice>, &'a [&'a str]);

    fn not_read(name: &str, why: &str) -> SourceNotice {
        SourceNotice::NotRead { path: format!("file:///scenario/input/{name}"), why: why.into() }
    }

    #[test]
    fn unread_dir_cases() {
        // Goal: the check holds the engine's notices about subdirectories to the oracle both
        // ways, and to their words. Method: hand-made notices, right and wrong: the engine's own
        // words; a notice missing; an empty why (what an engine that drops the reason gives); a
        // partition directory's notice that does not name its column; a notice about a file.
        let year = || ("year=2024".to_string(), Unread::Partition { column: "year".into() });
        let sub = || ("sub".to_string(), Unread::Subdirectory);
        let both = BTreeMap::from([year(), sub()]);
        let none = BTreeMap::new();
        let partition_words = "it looks like a partition directory; Spark would read its files with a partition \
                               column year, crashpoint reads no subdirectory";
        let sub_words =
            "it is a subdirectory, and files in subdirectories are not read, as in Spark (which says nothing)";
        let cases: Vec<Case> = vec![
            (&both, vec![not_read("year=2024", partition_words), not_read("sub", sub_words)], &[]),
            (&none, vec![], &[]),
            (&both, vec![not_read("sub", sub_words)], &["year=2024/: a partition directory", "no warning says"]),
            (
                &both,
                vec![not_read("year=2024", partition_words), not_read("sub", "")],
                &["sub/: the warning", "missing: subdirectory"],
            ),
            (
                &both,
                vec![not_read("year=2024", "it looks like a partition directory"), not_read("sub", sub_words)],
                &["year=2024/: the warning", "missing: year"],
            ),
            (
                &both,
                vec![not_read("year=2024", partition_words), not_read("sub", sub_words), not_read("a.json", "x")],
                &["a.json/: a warning says it is not read"],
            ),
        ];
        for (expected, notices, fragments) in cases {
            let found = judge_unread_dirs(expected, &both, &notices);
            for fragment in fragments {
                assert!(found.iter().any(|f| f.contains(fragment)), "{fragment} not in {found:?}");
            }
            assert_eq!(found.is_empty(), fragments.is_empty(), "{notices:?}: {found:?}");
        }
    }
}
