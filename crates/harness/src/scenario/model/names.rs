//! File names that Spark 4.3 misreads, as the model states them from Spark's measured
//! behaviour (spark/FINDINGS.md, Q2; README, "Where crashpoint differs from Spark"): Spark reads
//! a batch's files by path as glob patterns, so a name with `*`, `?`, `[`, `]`, `{` or `}` in a
//! batch with other files makes it read them again; and a name with a colon fails every run of
//! its batch (`URISyntaxException` on its `.crc` name). The engine reads such a file once and
//! must say, when a batch takes it as new, what Spark would do. A name with both is a glob
//! pattern first: Spark's listing fails on it before any `.crc` is named.
//!
//! And the names Spark's file source never reads and never mentions (spark/FINDINGS.md, Q7,
//! measured on Spark 4.3): hidden names (`.f.json`), `_`-names (`_f.json`, as `_spark_metadata`)
//! unless they hold a `=` (`_k=v.json` is read: Hadoop keeps `_k=v` for partitions), and names
//! ending in `._COPYING_`, which `hadoop fs -put` writes while it copies and renames to the final
//! name when done. (Spark also lists `_metadata…` names into its source log, reading no row from
//! them; crashpoint skips them, a difference its scenario declares.)
//!
//! These are the model's own statements of the rules: it must never ask the engine which names
//! are misread or skipped, which is what it checks.

use crate::check::{Misread, Unread};

/// What Spark 4.3 does wrong with a file of this name, if anything.
pub(super) fn misread(name: &str) -> Option<Misread> {
    if name.chars().any(|c| matches!(c, '*' | '?' | '[' | ']' | '{' | '}')) {
        Some(Misread::Glob)
    } else if name.contains(':') {
        Some(Misread::Colon)
    } else {
        None
    }
}

/// What the source must say of a subdirectory of the input directory it lists, if anything: a
/// name Spark skips is skipped silently; a `k=v` name is a partition directory, whose files
/// Spark 4.3 reads with a partition column `k` (spark/FINDINGS.md, Q7) where crashpoint reads
/// none; any other is a subdirectory, whose files neither reads.
pub(super) fn unread_dir(name: &str) -> Option<Unread> {
    match name.split_once('=') {
        _ if skipped(name) => None,
        Some((column, _)) => Some(Unread::Partition { column: column.to_string() }),
        None => Some(Unread::Subdirectory),
    }
}

/// Whether Spark's file source skips this name without a word: it is never listed.
pub(in crate::scenario) fn skipped(name: &str) -> bool {
    let underscore = name.starts_with('_') && !name.contains('=');
    underscore || name.starts_with('.') || name.ends_with("._COPYING_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_spark_never_lists() {
        let cases: &[(&str, bool)] = &[
            ("f1.json", false),
            (".f1.json", true),
            ("_f1.json", true),
            ("_spark_metadata", true),
            ("_metadata.json", true),
            ("_k=v.json", false),
            ("f1.json._COPYING_", true),
            ("f1._COPYING_.json", false),
            ("f1.json.tmp", false),
            ("f_1.json", false),
            ("f.1.json", false),
        ];
        for (name, want) in cases {
            assert_eq!(skipped(name), *want, "{name}");
        }
    }

    #[test]
    fn what_is_said_of_each_subdirectory() {
        let partition = |column: &str| Some(Unread::Partition { column: column.into() });
        let cases: &[(&str, Option<Unread>)] = &[
            ("sub", Some(Unread::Subdirectory)),
            ("year=2024", partition("year")),
            ("k=", partition("k")),
            ("_k=v", partition("_k")),
            (".sub", None),
            ("_sub", None),
            ("sub._COPYING_", None),
        ];
        for (name, want) in cases {
            assert_eq!(unread_dir(name), *want, "{name}");
        }
    }

    #[test]
    fn names_spark_misreads() {
        let cases: &[(&str, Option<Misread>)] = &[
            ("f1.json", None),
            ("my file+é.json", None),
            ("f[1].json", Some(Misread::Glob)),
            ("f*.json", Some(Misread::Glob)),
            ("f?.json", Some(Misread::Glob)),
            ("f{a,b}.json", Some(Misread::Glob)),
            ("f]1.json", Some(Misread::Glob)),
            ("12:30.json", Some(Misread::Colon)),
            ("f[1]:x.json", Some(Misread::Glob)),
        ];
        for (name, want) in cases {
            assert_eq!(misread(name), *want, "{name}");
        }
    }
}
