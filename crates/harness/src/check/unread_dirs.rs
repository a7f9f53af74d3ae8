//! The subdirectories of the input directory, and its entries that are no regular file (a
//! symlink to a directory, a FIFO, a socket, a dangling symlink), against what the file source
//! says of them: it reads no file in a subdirectory (nor does Spark 4.3, except in a partition
//! directory `k=v`, whose files Spark reads with a partition column `k`: spark/FINDINGS.md, Q7),
//! opens nothing that is no regular file, and it must say so, in words the user recognises:
//!
//! - every such entry the oracle's listings met (whose name Spark does not skip) is named in a
//!   `NotRead` notice;
//! - a notice about a partition directory says "partition" and names its column; one about
//!   another subdirectory says "subdirectory"; one about a symlink to a directory says
//!   "symlink" and "directory"; one about anything else says what it is ("FIFO");
//! - no notice names an entry the oracle knows as none of these (a regular file, or a symlink
//!   to one, is read).
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
    /// A symlink to a directory: neither reads its files (Spark skips it silently).
    DirLink,
    /// Neither a file nor a directory, its symlinks followed: a FIFO, a socket, a dangling
    /// symlink, a symlink loop. Never opened (Spark lists a FIFO, reads no row from it, and
    /// skips a dangling link silently: spark/FINDINGS.md Q7).
    NotAFile {
        /// What it is, in the words a notice must hold (`FIFO`, `dangling symlink`).
        what: String,
    },
}

impl Unread {
    /// The words a notice about such an entry must hold.
    fn words(&self) -> Vec<&str> {
        match self {
            Unread::Partition { column } => vec!["partition", column.as_str()],
            Unread::Subdirectory => vec!["subdirectory"],
            Unread::DirLink => vec!["symlink", "directory"],
            Unread::NotAFile { what } => vec![what.as_str()],
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
            Unread::DirLink => f.write_str("a symlink to a directory (no one reads its files)"),
            Unread::NotAFile { what } => write!(f, "a {what}, not a regular file (never to be opened)"),
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

    #[test]
    fn links_fifos_and_sockets_are_held_to_what_they_are() {
        // Goal: a symlink to a directory must be called one, a FIFO a FIFO (the engine's words,
        // source/mod.rs); the subdirectory's words for a link, or a FIFO called a socket, are
        // findings. Method: the engine's words, then hand-made wrong ones.
        let link = || ("dl.json".to_string(), Unread::DirLink);
        let fifo = || ("p.json".to_string(), Unread::NotAFile { what: "FIFO".into() });
        let both = BTreeMap::from([link(), fifo()]);
        let link_words =
            "it is a symlink to a directory, and files in subdirectories are not read (Spark skips it silently)";
        let fifo_words = "it is a FIFO; only regular files and symlinks to them are input, nothing else is opened";
        let sub_words =
            "it is a subdirectory, and files in subdirectories are not read, as in Spark (which says nothing)";
        let cases: Vec<Case> = vec![
            (&both, vec![not_read("dl.json", link_words), not_read("p.json", fifo_words)], &[]),
            (&both, vec![not_read("dl.json", sub_words), not_read("p.json", fifo_words)], &["missing: symlink"]),
            (&both, vec![not_read("dl.json", link_words), not_read("p.json", "it is a socket")], &["missing: FIFO"]),
            (&both, vec![not_read("dl.json", link_words)], &["p.json/: a FIFO, not a regular file", "no warning"]),
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
