//! File names that Spark 4.3 misreads, as the model states them from Spark's measured
//! behaviour (spark/FINDINGS.md, Q2; README, "Where crashpoint differs from Spark"): Spark reads
//! a batch's files by path as glob patterns, so a name with `*`, `?`, `[`, `]`, `{` or `}` in a
//! batch with other files makes it read them again; and a name with a colon fails every run of
//! its batch (`URISyntaxException` on its `.crc` name). The engine reads such a file once and
//! must say, when a batch takes it as new, what Spark would do. A name with both is a glob
//! pattern first: Spark's listing fails on it before any `.crc` is named.
//!
//! This is the model's own statement of the rule: it must never ask the engine which names are
//! misread, which is what it checks.

use crate::check::Misread;

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

#[cfg(test)]
mod tests {
    use super::*;

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
