//! Stray files the user leaves in the checkpoint's logs (`offsets/notes.txt`, `commits/3.json`,
//! an editor's `offsets/3~`, `offsets/x/`, `offsets/03`): which of them a run lists as a batch,
//! by Spark's rule for a log's file names (FINDINGS Q26d2), read here on its own; no engine code.

use crate::check::Cause;
use std::collections::BTreeMap;

/// The logs a stray is modelled in.
const LOGS: [&str; 3] = ["offsets", "commits", "sources/0"];

/// The stray files whose names read as a batch id, by path (`offsets/01000`), with that id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Strays(BTreeMap<String, u64>);

/// The batch id Spark's `HDFSMetadataLog` reads a log file's name as: Java's `Long.parseLong`
/// of the name (a compactible log's, `sources/0`, less `.compact`): ASCII digits after an
/// optional `+`, within a signed 64-bit number. A negative one is left out (never drawn).
fn batch_id(log: &str, name: &str) -> Option<u64> {
    let name = if log == "sources/0" { name.strip_suffix(".compact").unwrap_or(name) } else { name };
    let digits = name.strip_prefix('+').unwrap_or(name);
    let digits_only = !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit());
    digits_only.then(|| digits.parse::<i64>().ok()).flatten().map(|id| id as u64)
}

/// The log of a path in the checkpoint, and the rest of the path in it.
fn split(path: &str) -> Option<(&'static str, &str)> {
    LOGS.into_iter().find_map(|log| Some((log, path.strip_prefix(log)?.strip_prefix('/')?)))
}

impl Strays {
    /// The user writes the file `path` into the checkpoint. `Some(true)`: a file no run lists
    /// as a batch (a hidden name, a name that is no number, a file in a directory of the log,
    /// which Spark does not list), or one whose name reads as a batch id but is not that batch's
    /// own name (kept: it counts at a run's start). `Some(false)`: what the model does not
    /// keep (a batch's own file written by hand, `offsets/3.compact`). `None`: not in a log.
    pub(super) fn write(&mut self, path: &str) -> Option<bool> {
        let (log, rest) = split(path)?;
        let (name, in_dir) = rest.split_once('/').map_or((rest, false), |(dir, _)| (dir, true));
        if name.starts_with('.') {
            return Some(true);
        }
        let compact = name.ends_with(".compact");
        let Some(id) = batch_id(log, name) else { return Some(!compact) };
        let own = name == id.to_string() || name == format!("{id}.compact");
        if in_dir || own {
            // A directory named as a batch collides with that batch's write, and a batch's own
            // file written by hand is a tampering of its bytes: neither is modelled here.
            return Some(false);
        }
        self.0.insert(path.to_string(), id);
        Some(true)
    }

    /// The stray, if any, that the start of a run takes for its log's newest batch (one above
    /// every batch file of the log, `latest` giving a log's newest): its own file is not there,
    /// and the run refuses, naming it.
    pub(super) fn refusal(&self, latest: impl Fn(&str) -> Option<u64>) -> Option<Cause> {
        self.0.iter().find_map(|(path, id)| {
            let (log, _) = split(path)?;
            latest(log).is_none_or(|l| *id > l).then(|| Cause::StrayName { path: path.clone(), batch: *id })
        })
    }

    /// Puts back what `before` knew of `path`; true if `path` is a file of a log.
    pub(super) fn restore(&mut self, before: &Strays, path: &str) -> bool {
        match before.0.get(path) {
            Some(id) => drop(self.0.insert(path.to_string(), *id)),
            None => drop(self.0.remove(path)),
        }
        split(path).is_some()
    }

    /// True if `path` is a stray's (not a batch's own file).
    pub(super) fn is_stray(path: &str) -> bool {
        let Some((log, rest)) = split(path) else { return false };
        let name = rest.split('/').next().unwrap_or(rest);
        rest.contains('/')
            || batch_id(log, name).is_none_or(|id| name != id.to_string() && name != format!("{id}.compact"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stray_counts_only_when_its_name_reads_above_the_newest_batch() {
        // Goal: names that are no number are never a batch; a name that reads as one above the
        // log's newest batch stops a run, naming it; one at or below it does not. Method: the
        // names measured on Spark 4.3 (FINDINGS Q26d2) against a log whose newest batch is 1.
        let mut strays = Strays::default();
        for path in ["offsets/.2.0b7c.tmp", "offsets/notes.txt", "commits/2.json", "offsets/1~", "offsets/x/inside"] {
            assert_eq!(strays.write(path), Some(true), "{path}");
        }
        assert_eq!(strays.refusal(|_| Some(1)), None);
        assert_eq!(strays.write("offsets/01"), Some(true));
        assert_eq!(strays.refusal(|_| Some(1)), None, "01 is batch 1, whose own file is there");
        assert_eq!(strays.write("commits/+2"), Some(true));
        let refused = strays.refusal(|_| Some(1));
        assert_eq!(refused, Some(Cause::StrayName { path: "commits/+2".into(), batch: 2 }));
        assert_eq!(strays.refusal(|_| Some(2)), None, "batch 2 written since");
        assert_eq!(strays.write("offsets/2"), Some(false), "a batch's own file is not a stray");
        assert_eq!(strays.write("offsets/2.compact"), Some(false), "not a name offsets/ lists");
        assert_eq!(strays.write("sources/0/02.compact"), Some(true));
        assert_eq!(strays.write("metadata"), None);
        assert!(strays.restore(&Strays::default(), "commits/+2"));
        let source = Cause::StrayName { path: "sources/0/02.compact".into(), batch: 2 };
        assert_eq!(strays.refusal(|log| (log != "sources/0").then_some(1)), Some(source), "an empty log");
    }
}
