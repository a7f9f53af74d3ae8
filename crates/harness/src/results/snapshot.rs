//! A scenario's rendering against its snapshot: compare, and on a mismatch leave the new
//! rendering where `cargo insta review` looks for it (`<name>.snap.new`, insta's format).

use crate::scenario::{SnapshotCheck, compare_snapshot, snapshot_file_text, snapshot_path};
use std::path::{Path, PathBuf};

/// How many differing lines a report shows; the `.snap.new` file has them all.
pub const DIFF_LINES_SHOWN: usize = 12;

/// How the rendering compares with the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SnapshotState {
    /// Same content.
    Matches,
    /// There is no snapshot yet.
    Missing,
    /// The content differs.
    Differs,
    /// The snapshot was written (`run --accept`).
    Written,
}

/// The snapshot side of a scenario's result.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SnapshotResult {
    /// The `.snap` file.
    pub path: PathBuf,
    /// How it compares.
    pub state: SnapshotState,
    /// The pending snapshot written on a mismatch, for `cargo insta review`.
    pub new_file: Option<PathBuf>,
    /// The first differing lines: `-` the snapshot's, `+` this run's, each with its line
    /// number in the snapshot file (at most [`DIFF_LINES_SHOWN`]).
    pub diff: Vec<String>,
    /// How many lines differ in all.
    pub diff_lines: usize,
    /// A file that could not be written, and why.
    pub write_error: Option<String>,
}

impl SnapshotResult {
    /// Why the snapshot makes the scenario fail, if it does.
    pub fn failure(&self) -> Option<String> {
        if let Some(error) = &self.write_error {
            return Some(error.clone());
        }
        let review = match &self.new_file {
            Some(new) => format!(
                "; the new rendering is in {}: review it with `cargo insta review`, or accept every change \
                 with `crashpoint run --accept`",
                new.display()
            ),
            None => String::new(),
        };
        match self.state {
            SnapshotState::Matches | SnapshotState::Written => None,
            SnapshotState::Missing => Some(format!("no snapshot {}{review}", self.path.display())),
            SnapshotState::Differs => {
                Some(format!("{} line(s) differ from the snapshot {}{review}", self.diff_lines, self.path.display()))
            }
        }
    }
}

/// Compares `rendered` with the snapshot of `scenario`, and writes what `mode` asks. A
/// scenario that fails its expectations is never accepted as a snapshot.
pub(super) fn settle(scenario: &Path, rendered: &str, mode: super::SnapshotMode, passed: bool) -> SnapshotResult {
    let path = snapshot_path(scenario);
    let new_path = path.with_extension("snap.new");
    let check = compare_snapshot(&path, rendered);
    let mut result = SnapshotResult {
        path: path.clone(),
        state: SnapshotState::Matches,
        new_file: None,
        diff: Vec::new(),
        diff_lines: 0,
        write_error: None,
    };
    let text = snapshot_file_text(scenario, rendered);
    match check {
        SnapshotCheck::Matches => {
            // A pending snapshot left from an earlier mismatch is stale now, as insta treats it.
            let _ = std::fs::remove_file(&new_path);
            return result;
        }
        SnapshotCheck::Missing => result.state = SnapshotState::Missing,
        SnapshotCheck::Differs(_) => {
            result.state = SnapshotState::Differs;
            // Whole files, so that line numbers are the snapshot file's own.
            let old = std::fs::read_to_string(&path).unwrap_or_default();
            (result.diff, result.diff_lines) = first_differences(&old, &text);
        }
    }
    let (target, state) = match mode {
        super::SnapshotMode::Accept if passed => (path.clone(), SnapshotState::Written),
        _ => (new_path.clone(), result.state),
    };
    let written = path.parent().map_or(Ok(()), std::fs::create_dir_all).and_then(|()| std::fs::write(&target, text));
    match written {
        Err(e) => result.write_error = Some(format!("cannot write {}: {e}", target.display())),
        Ok(()) if state == SnapshotState::Written => {
            result.state = state;
            let _ = std::fs::remove_file(&new_path);
        }
        Ok(()) => result.new_file = Some(new_path),
    }
    result
}

/// Longer lines are cut to a window around their first difference.
const LINE_CHARS_SHOWN: usize = 120;

/// The first lines that differ between `old` and `new`, and how many differ in all.
pub fn first_differences(old: &str, new: &str) -> (Vec<String>, usize) {
    // Both end with one newline, so that the last line compares by its text alone.
    let lines = |text: &str| if text.trim_end().is_empty() { String::new() } else { format!("{}\n", text.trim_end()) };
    let (old, new) = (lines(old), lines(new));
    let diff = similar::TextDiff::from_lines(&old, &new);
    let (old_lines, new_lines): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    let mut shown = Vec::new();
    let mut total = 0;
    for op in diff.ops() {
        let (tag, removed, added) = op.as_tag_tuple();
        if tag == similar::DiffTag::Equal {
            continue;
        }
        for (k, i) in removed.clone().enumerate() {
            // A replaced line is shown from where it starts to differ from its replacement.
            let other = added.clone().nth(k).map(|j| new_lines[j]);
            shown.push(('-', i + 1, old_lines[i], other));
        }
        for (k, j) in added.clone().enumerate() {
            let other = removed.clone().nth(k).map(|i| old_lines[i]);
            shown.push(('+', j + 1, new_lines[j], other));
        }
        total += removed.len() + added.len();
    }
    let shown = shown
        .into_iter()
        .take(DIFF_LINES_SHOWN)
        .map(|(sign, number, line, other)| format!("{sign}{number:>4} | {}", window(line, other)))
        .collect();
    (shown, total)
}

/// `line`, or a window of it that starts a little before where it differs from `other`.
fn window(line: &str, other: Option<&str>) -> String {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= LINE_CHARS_SHOWN {
        return line.to_string();
    }
    let same = other.map_or(0, |o| chars.iter().zip(o.chars()).take_while(|(a, b)| **a == *b).count());
    let start = same.saturating_sub(LINE_CHARS_SHOWN / 3).min(chars.len() - LINE_CHARS_SHOWN);
    let end = start + LINE_CHARS_SHOWN;
    let text: String = chars[start..end].iter().collect();
    format!("{}{text}{}", if start > 0 { "…" } else { "" }, if end < chars.len() { "…" } else { "" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_differences_show_old_and_new_lines_with_numbers() {
        let cases = [
            ("a\nb\nc\n", "a\nb\nc\n", vec![], 0),
            ("a\nb\nc\n", "a\nB\nc\n", vec!["-   2 | b", "+   2 | B"], 2),
            ("a\n", "a\nnew\n", vec!["+   2 | new"], 1),
        ];
        for (old, new, shown, total) in cases {
            assert_eq!(first_differences(old, new), (shown.iter().map(|s| s.to_string()).collect(), total));
        }
        let long_old: String = (0..40).map(|i| format!("{i}\n")).collect();
        let (shown, total) = first_differences(&long_old, "");
        assert_eq!((shown.len(), total), (DIFF_LINES_SHOWN, 40));
        // A long line is shown from a little before where it differs.
        let long = "x".repeat(300);
        let (shown, _) = first_differences(&format!("{long}old\n"), &format!("{long}new\n"));
        assert_eq!(shown[0], format!("-   1 | …{}old", "x".repeat(LINE_CHARS_SHOWN - 3)));
        assert_eq!(shown[1], format!("+   1 | …{}new", "x".repeat(LINE_CHARS_SHOWN - 3)));
    }
}
