//! Dead letters, exactly once: every bad line the oracle keeps is in the dead-letter files once,
//! no more (a re-run batch must replace its file, not add to it) and no less.

use std::collections::BTreeMap;

/// A bad line: the input file's name and the line number.
pub type BadLine = (String, u32);

/// Compares the dead-letter files' lines (each with the files that hold it, one entry per copy)
/// with the oracle's count of each. Returns the findings, in words; none if they agree.
pub fn judge_dead_letters(expected: &BTreeMap<BadLine, usize>, kept: &BTreeMap<BadLine, Vec<String>>) -> Vec<String> {
    let mut findings = Vec::new();
    let lines: std::collections::BTreeSet<&BadLine> = expected.keys().chain(kept.keys()).collect();
    for line @ (name, number) in lines {
        let want = expected.get(line).copied().unwrap_or(0);
        let files = kept.get(line).map_or(&[][..], Vec::as_slice);
        let got = files.len();
        if want == 0 && got > 0 {
            findings.push(format!(
                "line {name}:{number} is kept {} in the dead-letter files ({}), but the model keeps no such bad \
                 line: it is a record the source must read, or its file is one the source must not read",
                times(got),
                files.join(", ")
            ));
        } else if got > want {
            findings.push(format!(
                "bad line {name}:{number} is kept {} in the dead-letter files ({}), expected {}: each bad line \
                 must be kept exactly once, so a re-run batch must replace its dead-letter file, not add to it",
                times(got),
                files.join(", "),
                times(want)
            ));
        } else if got < want {
            findings.push(format!(
                "bad line {name}:{number} is lost: kept {} in the dead-letter files, expected {}; a bad line \
                 must never vanish",
                times(got),
                times(want)
            ));
        }
    }
    findings
}

fn times(n: usize) -> String {
    match n {
        0 => "0 times".into(),
        1 => "once".into(),
        2 => "twice".into(),
        n => format!("{n} times"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases() {
        let line = |n: u32| ("a.json".to_string(), n);
        let expected = BTreeMap::from([(line(2), 1), (line(4), 1)]);
        let same = BTreeMap::from([(line(2), vec!["0.jsonl".into()]), (line(4), vec!["1.jsonl".into()])]);
        assert!(judge_dead_letters(&expected, &same).is_empty());
        let twice = BTreeMap::from([(line(2), vec!["0.jsonl".into(), "0.jsonl".into()]), (line(4), vec![])]);
        let found = judge_dead_letters(&expected, &twice);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("a.json:2 is kept twice in the dead-letter files (0.jsonl, 0.jsonl)"), "{found:?}");
        assert!(found[1].contains("a.json:4 is lost"), "{found:?}");
        // A line the oracle reads as a record is named as one, not as a re-run's copy.
        let good_line = BTreeMap::from([(line(3), vec!["0.jsonl".into()])]);
        let found = judge_dead_letters(&expected, &good_line);
        let wrong = "a.json:3 is kept once in the dead-letter files (0.jsonl), but the model keeps no such bad line";
        assert!(found.iter().any(|f| f.contains(wrong)), "{found:?}");
    }
}
