//! The words the user reads, held to what they must say: every dead letter's reason names its
//! line's cause; the live log's notice of a batch's bad lines names a bad line of the batch (its
//! file, its line) and its cause, the dead-letter file that keeps them and how many they are
//! (where each file has one version); its notice of values
//! read as NULL names one such value (file, line, column, the type wanted) and how many they
//! are (where each file has one version); a failfast error
//! that names a line names its cause; and every line of the live log names the facts its event
//! carries (the batch, its origin, its files, the source-log batches it takes when they are not
//! its own id, the counts, the commit a warning is about, the batches a start resumes from).
//!
//! Typed values (ids, paths, line numbers, counts) are taken from the events and compared as
//! values; words are read only for what only words carry: the cause a person reads, and whether
//! a message names a file and line at all. What a line is comes from the model
//! ([`LineFacts`]); this check never decides it, and it reads, never repairs.

use super::line_cause::{KeptText, LineAt, LineCause, LineFacts, NullAt};
use crashpoint_engine::engine::{Event, Resume};
use crashpoint_engine::uri::{file_name_of, path_of};

/// A dead-letter record as its file keeps it: the input file's name, the line, the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The input file's name.
    pub file: String,
    /// The line, from 1.
    pub line: u32,
    /// The reason the record gives.
    pub reason: String,
    /// The line's text the record keeps.
    pub text: String,
}

/// What one run said: its live log, and the error it stopped with.
#[derive(Debug, Clone, Copy)]
pub struct RunWords<'a> {
    /// The run, from 1.
    pub run: u32,
    /// Its events, in order.
    pub events: &'a [Event],
    /// The error it stopped with (not a crash).
    pub error: Option<&'a str>,
}

/// Judges the words of the dead letters and of every run against the model's `facts`. Returns
/// the findings, in words; none if every message says what it must.
pub fn judge_words(facts: &LineFacts, dead_letters: &[DeadLetter], runs: &[RunWords<'_>]) -> Vec<String> {
    let mut findings: Vec<String> = dead_letters.iter().filter_map(|d| dead_letter_finding(facts, d)).collect();
    for run in runs {
        findings.extend(run.events.iter().filter_map(|e| live_log_finding(e).map(|f| format!("run {}: {f}", run.run))));
        findings.extend(notice_findings(facts, run));
        if let Some(error) = run.error {
            findings.extend(error_finding(facts, error).map(|f| format!("run {}: {f}", run.run)));
        }
    }
    findings.sort();
    findings.dedup();
    findings
}

/// A dead letter whose reason does not name any cause the model gives its line, or that does
/// not keep the line's text.
fn dead_letter_finding(facts: &LineFacts, dead: &DeadLetter) -> Option<String> {
    // A line the model keeps no cause for is judge_dead_letters' to report.
    let at = (dead.file.clone(), dead.line);
    let causes = facts.causes.get(&at)?;
    let texts = facts.texts.get(&at);
    if !texts.is_none_or(|texts| texts.iter().any(|t| t.kept_by(&dead.text))) {
        return Some(format!(
            "the dead letter for {} line {} keeps the text '{}', which is not the line's: {}",
            dead.file,
            dead.line,
            shortened(&dead.text),
            one_of(texts.into_iter().flatten().map(|t| match t {
                KeptText::Whole(line) => format!("'{}'", shortened(line)),
                KeptText::Start(start) => format!("a text that starts '{}'", shortened(start)),
            }))
        ));
    }
    if causes.iter().any(|c| c.named_in(&dead.reason)) {
        return None;
    }
    Some(format!(
        "the dead letter for {} line {} says '{}', which does not name the cause: {}",
        dead.file,
        dead.line,
        dead.reason,
        one_of(causes.iter())
    ))
}

/// A text for a finding: at most 80 characters.
fn shortened(text: &str) -> String {
    let cut: String = text.chars().take(80).collect();
    if cut.len() < text.len() { format!("{cut}…") } else { cut }
}

/// The causes (or NULL values) a line may have, in words: "A" or "A, or B".
fn one_of<T: std::fmt::Display>(items: impl Iterator<Item = T>) -> String {
    items.map(|i| i.to_string()).collect::<Vec<_>>().join(", or ")
}

/// True if `message` names line `line` of the file `uri`: as `FILE:LINE`, `FILE line LINE` or
/// `FILE, line LINE`, where FILE is the URI or its path, and LINE is not the start of a longer
/// number.
pub fn names_line(message: &str, uri: &str, line: u32) -> bool {
    let path = path_of(uri).display().to_string();
    [uri, path.as_str()].iter().any(|file| {
        [format!("{file}:{line}"), format!("{file} line {line}"), format!("{file}, line {line}")].iter().any(|said| {
            message.match_indices(said.as_str()).any(|(at, s)| {
                !message[at + s.len()..].starts_with(|c: char| c.is_ascii_digit())
                    && !message[..at].ends_with(|c: char| c.is_alphanumeric() || c == '/')
            })
        })
    })
}

/// The bad lines and NULL values of the files `files` (URIs) that `message` names: (file name,
/// line) for each.
fn lines_named<'f, T>(
    facts: &'f LineFacts,
    of: &'f std::collections::BTreeMap<(String, u32), T>,
    files: &[String],
    message: &str,
) -> Vec<(&'f (String, u32), &'f T)> {
    of.iter()
        .filter(|((name, line), _)| {
            let uri = facts.uris.get(name).map_or_else(String::new, Clone::clone);
            files.iter().any(|f| file_name_of(f) == *name) && names_line(message, &uri, *line)
        })
        .collect()
}

/// The notices of a run's bad lines and NULL values, each against the files of its batch; and a
/// batch written without the notice its files call for.
fn notice_findings(facts: &LineFacts, run: &RunWords<'_>) -> Vec<String> {
    let mut files: &[String] = &[];
    let (mut said_bad, mut said_null) = (false, false);
    let mut findings = Vec::new();
    for event in run.events {
        match event {
            Event::BatchPlanned { files: planned, .. } => {
                files = planned;
                (said_bad, said_null) = (false, false);
            }
            Event::SinkWrote { id, .. } => findings.extend(unsaid(facts, run.run, *id, files, (said_bad, said_null))),
            Event::BadRecords { id, dead_letter, first, count } => {
                said_bad = true;
                findings.extend(miscounted(facts, (run.run, *id), files, Said::Bad(*count)));
                let named = lines_named(facts, &facts.causes, files, first);
                let said = named.iter().any(|(_, causes)| causes.iter().any(|c| c.named_in(first)));
                if !said {
                    findings.push(bad_notice_finding(run.run, *id, first, &named));
                }
                let expected = format!("dead-letters/{id}.jsonl");
                if !dead_letter.ends_with(&expected) {
                    findings.push(format!(
                        "run {}: batch {id}'s notice of bad lines names the dead-letter file '{dead_letter}', not the \
                         checkpoint's {expected} that keeps them",
                        run.run
                    ));
                }
            }
            Event::ReadAsNull { id, first, count } => {
                said_null = true;
                findings.extend(miscounted(facts, (run.run, *id), files, Said::Null(*count)));
                let named = lines_named(facts, &facts.nulls, files, first);
                if !named.iter().any(|(_, nulls)| nulls.iter().any(|n| n.named_in(first))) {
                    findings.push(null_notice_finding(run.run, *id, first, &named));
                }
            }
            _ => {}
        }
    }
    findings
}

/// A batch written from files that have bad lines (or values read as NULL) in every version the
/// model knows, whose run never said so before the sink got it: the lines are never unsaid.
fn unsaid(facts: &LineFacts, run: u32, id: u64, files: &[String], (said_bad, said_null): (bool, bool)) -> Vec<String> {
    let versions = |uri: &String| facts.versions.get(&file_name_of(uri)).copied().unwrap_or_default();
    let mut findings = Vec::new();
    if !said_bad && let Some(file) = files.iter().find(|f| versions(f).always_bad()) {
        findings.push(format!(
            "run {run}: batch {id} was written, but its live log never said that it has bad lines, which {} has",
            file_name_of(file)
        ));
    }
    if !said_null && let Some(file) = files.iter().find(|f| versions(f).always_null()) {
        findings.push(format!(
            "run {run}: batch {id} was written, but its live log never said that values were read as NULL, as \
             in {}",
            file_name_of(file)
        ));
    }
    findings
}

/// A notice whose count is not the model's for the batch's files (bad lines, or values read as
/// NULL), where each file has one version (a file written again may have had others).
fn miscounted(facts: &LineFacts, (run, id): (u32, u64), files: &[String], said: Said) -> Option<String> {
    let names: Vec<String> = files.iter().map(|f| file_name_of(f)).collect();
    let one_version = |name: &String| facts.versions.get(name).is_some_and(|v| v.read == 1);
    if !names.iter().all(one_version) {
        return None;
    }
    let of_batch = |(name, _): &&LineAt| names.contains(name);
    let (count, found, what) = match said {
        Said::Bad(count) => (count, facts.causes.keys().filter(of_batch).count(), "bad line(s)"),
        Said::Null(count) => {
            let found = facts.null_counts.iter().filter(|(at, _)| of_batch(at)).map(|(_, n)| n).sum();
            (count, found, "value(s) read as NULL")
        }
    };
    (found != count)
        .then(|| format!("run {run}: batch {id}'s notice says {count} {what}, but the batch's files have {found}"))
}

/// A notice's count, of bad lines or of values read as NULL.
#[derive(Debug, Clone, Copy)]
enum Said {
    Bad(usize),
    Null(usize),
}

fn bad_notice_finding(
    run: u32,
    id: u64,
    first: &str,
    named: &[(&(String, u32), &std::collections::BTreeSet<LineCause>)],
) -> String {
    match named.first() {
        None => format!(
            "run {run}: batch {id}'s notice of bad lines says '{first}', which names no bad line of the batch's \
             files (the file and the line)"
        ),
        Some(((name, line), causes)) => format!(
            "run {run}: batch {id}'s notice of bad lines says '{first}', which does not name the cause of {name} \
             line {line}: {}",
            one_of(causes.iter())
        ),
    }
}

fn null_notice_finding(
    run: u32,
    id: u64,
    first: &str,
    named: &[(&(String, u32), &std::collections::BTreeSet<NullAt>)],
) -> String {
    match named.first() {
        None => format!(
            "run {run}: batch {id}'s notice of values read as NULL says '{first}', which names no line of the \
             batch's files with such a value (the file and the line)"
        ),
        Some(((name, line), nulls)) => format!(
            "run {run}: batch {id}'s notice of values read as NULL says '{first}', which does not name the column \
             and the type it wanted at {name} line {line}: {}",
            one_of(nulls.iter())
        ),
    }
}

/// A failfast error that names a bad line (or a line with a NULL value) must say why.
fn error_finding(facts: &LineFacts, error: &str) -> Option<String> {
    let all: Vec<String> = facts.uris.values().cloned().collect();
    for ((name, line), causes) in lines_named(facts, &facts.causes, &all, error) {
        if !causes.iter().any(|c| c.named_in(error)) {
            return Some(format!(
                "the error '{error}' names {name} line {line} but not its cause: {}",
                one_of(causes.iter())
            ));
        }
    }
    for ((name, line), nulls) in lines_named(facts, &facts.nulls, &all, error) {
        // A line with a bad cause too (written twice) is judged above.
        if facts.causes.contains_key(&(name.clone(), *line)) {
            continue;
        }
        if !nulls.iter().any(|n| n.named_in(error)) {
            return Some(format!(
                "the error '{error}' names {name} line {line} but not the column and the type it wanted: {}",
                one_of(nulls.iter())
            ));
        }
    }
    None
}

/// A line of the live log that does not name what its event carries.
fn live_log_finding(event: &Event) -> Option<String> {
    let said = event.to_string();
    let missing: Vec<String> = facts_of(event).into_iter().filter(|fact| !names_whole(&said, fact)).collect();
    (!missing.is_empty()).then(|| {
        format!("the live log says '{said}', which does not name {} of its event", quoted(&missing).join(", "))
    })
}

/// True if `said` names `fact` as a whole: `batch 3` is not named by `batch 31`, nor
/// `sources/0/4` by `sources/0/4..5`.
fn names_whole(said: &str, fact: &str) -> bool {
    said.match_indices(fact).any(|(at, _)| {
        let after = &said[at + fact.len()..];
        let ends_in_digit = fact.ends_with(|c: char| c.is_ascii_digit());
        !(ends_in_digit && (after.starts_with(|c: char| c.is_ascii_digit()) || after.starts_with("..")))
    })
}

fn quoted(items: &[String]) -> Vec<String> {
    items.iter().map(|i| format!("'{i}'")).collect()
}

/// What a line of the live log must name, from its event's typed values: each in the words a
/// reader looks for (`batch 3`, a file's name, `sources/0/4`, `commits/2`).
fn facts_of(event: &Event) -> Vec<String> {
    match event {
        Event::BatchPlanned { id, files, sources, origin } => {
            let mut facts = vec![format!("batch {id}"), origin.to_string()];
            facts.extend(files.iter().map(|f| file_name_of(f)));
            // The source-log batches it takes, where they are not its own id, as a reader of
            // sources/0/ finds them: from the one after the previous batch's logOffset through
            // its own. Counted here from the offsets, not by the engine's range.
            let first = sources.after.map_or(0, |after| after + 1);
            if sources.through != Some(*id) || first != *id {
                facts.push(match sources.through {
                    Some(last) if last > first => format!("sources/0/{first}..{last}"),
                    Some(last) if last == first => format!("sources/0/{last}"),
                    _ => "no source-log batch".to_string(),
                });
            }
            facts
        }
        Event::BadRecords { id, count, dead_letter, first } => {
            vec![format!("batch {id}"), count.to_string(), dead_letter.clone(), first.clone()]
        }
        Event::ReadAsNull { id, count, first } => vec![format!("batch {id}"), count.to_string(), first.clone()],
        Event::SinkWrote { id, rows } => vec![format!("batch {id}"), rows.to_string()],
        Event::SinkSkipped { id, reason } => vec![format!("batch {id}"), reason.clone()],
        Event::Committed { id } => vec![format!("batch {id}")],
        Event::SkippedUncommitted { id } => vec![format!("commits/{id}")],
        Event::Warning(message) => vec![message.clone()],
        Event::SourceNotice(notice) => vec![notice.path().to_string()],
        Event::Started { query_id, resume } => {
            let mut facts = vec![query_id.clone()];
            facts.extend(match resume {
                Resume::Fresh => vec!["batch 0".to_string()],
                Resume::Continue { next } => vec![format!("batch {}", next.saturating_sub(1)), format!("batch {next}")],
                Resume::Rerun { batch } => vec![format!("offsets/{batch}"), format!("batch {batch}")],
            });
            facts
        }
        Event::Crashed(crash) => vec![crash.point.to_string()],
        Event::Idle => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::line_cause::{JsonKind, Versions};
    use crashpoint_engine::checkpoint::SourceRange;
    use std::collections::{BTreeMap, BTreeSet};

    const URI: &str = "file:///scenario/input/f3.json";

    fn facts() -> LineFacts {
        let at = |line: u32| ("f3.json".to_string(), line);
        let null = NullAt { path: "data.devices".into(), wanted: "ARRAY<STRUCT<deviceId: STRING>>".into() };
        LineFacts {
            causes: BTreeMap::from([
                (at(2), BTreeSet::from([LineCause::RootNotObject(JsonKind::Array)])),
                (at(3), BTreeSet::from([LineCause::NotJson])),
                (at(4), BTreeSet::from([LineCause::TooLong { bytes: 301, limit: 300 }])),
                (at(5), BTreeSet::from([LineCause::NotUtf8])),
                (at(6), BTreeSet::from([LineCause::RootNotObject(JsonKind::Number)])),
            ]),
            nulls: BTreeMap::from([(at(7), BTreeSet::from([null]))]),
            uris: BTreeMap::from([("f3.json".to_string(), URI.to_string())]),
            ..LineFacts::default()
        }
    }

    fn dead(line: u32, reason: &str) -> DeadLetter {
        DeadLetter { file: "f3.json".into(), line, reason: reason.into(), text: String::new() }
    }

    fn planned() -> Event {
        Event::BatchPlanned {
            id: 1,
            files: vec![URI.into()],
            origin: "new files",
            sources: SourceRange { after: Some(0), through: Some(1) },
        }
    }

    fn bad(first: &str) -> Event {
        Event::BadRecords {
            id: 1,
            count: 1,
            dead_letter: "/scenario/checkpoint/dead-letters/1.jsonl".into(),
            first: first.into(),
        }
    }

    fn judge_run(events: &[Event], error: Option<&str>) -> Vec<String> {
        judge_words(&facts(), &[], &[RunWords { run: 2, events, error }])
    }

    #[test]
    fn dead_letters_that_name_their_cause_pass_and_others_are_findings() {
        // Goal: each cause's dead letter is held to its cause: the engine's own words pass; an
        // empty reason, and a reason of another cause, are findings that say the cause. Method:
        // hand-made dead letters for each cause of the model's facts.
        let right = [
            dead(2, "not a JSON object but an array"),
            dead(3, "malformed JSON: EOF while parsing a string at line 1 column 15"),
            dead(4, "line is 301 bytes, over the limit of 300"),
            dead(5, "not UTF-8: invalid utf-8 sequence of 1 bytes from index 0"),
            dead(6, "not a JSON object but the number 3"),
            dead(9, "a line the model has no cause for is not this check's"),
        ];
        assert_eq!(judge_words(&facts(), &right, &[]), Vec::<String>::new());
        let wrong = [
            (dead(2, ""), "f3.json line 2 says '', which does not name the cause: the line's root is an array"),
            (dead(2, "malformed JSON: expected value"), "the line's root is an array, not an object"),
            (dead(3, "not a JSON object but an array"), "the line is not JSON"),
            (dead(4, "line is 301 bytes"), "over the limit of 300"),
            (dead(5, "malformed JSON"), "the line is not UTF-8"),
            (dead(6, "not a JSON object but an array"), "the line's root is a number"),
        ];
        for (dead, fragment) in wrong {
            let found = judge_words(&facts(), std::slice::from_ref(&dead), &[]);
            assert_eq!(found.len(), 1, "{dead:?}: {found:?}");
            assert!(found[0].contains(fragment), "{fragment} not in {found:?}");
        }
    }

    #[test]
    fn a_notice_of_bad_lines_must_name_a_line_of_its_batch_and_its_cause() {
        // Goal: the live log's notice of a batch's bad lines names a bad line of the batch, its
        // cause and the batch's dead-letter file; an empty first line, another line, another
        // cause or another file are findings. Method: hand-made events after the batch's plan.
        let good = format!("{URI}:2: not a JSON object but an array");
        assert_eq!(judge_run(&[planned(), bad(&good)], None), Vec::<String>::new());
        let path = "/scenario/input/f3.json:2: not a JSON object but an array";
        assert_eq!(judge_run(&[planned(), bad(path)], None), Vec::<String>::new(), "a path names the file too");
        let cases = [
            (format!("{URI}:: "), "which names no bad line of the batch's files"),
            (format!("{URI}:1: not a JSON object but an array"), "which names no bad line"),
            (format!("{URI}:22: not a JSON object but an array"), "which names no bad line"),
            (
                format!("{URI}:2: malformed JSON"),
                "does not name the cause of f3.json line 2: the line's root is an array",
            ),
        ];
        for (first, fragment) in cases {
            let found = judge_run(&[planned(), bad(&first)], None);
            assert!(found.iter().any(|f| f.contains(fragment)), "{fragment} not in {found:?}");
        }
        let elsewhere = Event::BadRecords {
            id: 1,
            count: 1,
            dead_letter: "/scenario/checkpoint/dead-letters/0.jsonl".into(),
            first: good.clone(),
        };
        let found = judge_run(&[planned(), elsewhere], None);
        assert!(found.iter().any(|f| f.contains("not the checkpoint's dead-letters/1.jsonl")), "{found:?}");
        let counted = |count| Event::BadRecords {
            id: 1,
            count,
            dead_letter: "/scenario/checkpoint/dead-letters/1.jsonl".into(),
            first: good.clone(),
        };
        let miscounted = counted(2);
        let mut facts = facts();
        facts.versions.insert("f3.json".into(), Versions { read: 1, with_bad: 1, with_null: 1 });
        let judge_with = |events: &[Event]| judge_words(&facts, &[], &[RunWords { run: 2, events, error: None }]);
        let found = judge_with(&[planned(), miscounted.clone()]);
        assert_eq!(found, ["run 2: batch 1's notice says 2 bad line(s), but the batch's files have 5"]);
        assert!(judge_with(&[planned(), counted(5)]).is_empty());
        assert!(judge_run(&[planned(), miscounted], None).is_empty(), "a file of unknown versions is not counted");
        let unplanned = judge_run(&[bad(&good)], None);
        assert!(unplanned.iter().any(|f| f.contains("names no bad line of the batch's files")), "{unplanned:?}");
    }

    #[test]
    fn a_notice_of_nulls_must_name_the_file_line_column_and_type() {
        // Goal: the notice of values read as NULL names one: its file, line, column and the type
        // wanted. An empty notice (a `NullValue` that writes nothing), another line or no type
        // are findings. Method: hand-made notices after the batch's plan.
        let null = |first: &str| Event::ReadAsNull { id: 1, count: 1, first: first.into() };
        let good = format!("{URI}:7: data.devices: the string \"none\" is not an ARRAY<STRUCT<deviceId: STRING>>");
        assert_eq!(judge_run(&[planned(), null(&good)], None), Vec::<String>::new());
        let cases = [
            (String::new(), "says '', which names no line of the batch's files with such a value"),
            (format!("{URI}:6: data.devices: the string \"none\" is not an ARRAY"), "names no line"),
            (format!("{URI}:7: data.devices: the string \"none\""), "does not name the column and the type it wanted"),
            (format!("{URI}:7: the string \"none\" is not an ARRAY"), "data.devices is read as NULL"),
        ];
        for (first, fragment) in cases {
            let found = judge_run(&[planned(), null(&first)], None);
            assert!(found.iter().any(|f| f.contains(fragment)), "{fragment} not in {found:?}");
        }
    }

    #[test]
    fn a_dead_letter_keeps_its_lines_text() {
        // Goal: a dead letter keeps the line it is for: its text, or the start of a long one.
        // Method: the model's text of line 2, then an empty, another and a cut text.
        let mut facts = facts();
        let at = ("f3.json".to_string(), 2);
        facts.texts.insert(at, BTreeSet::from([KeptText::of(b"[{\"eventId\": \"a\"}]")]));
        let kept = |text: &str| {
            let dead = DeadLetter { text: text.into(), ..dead(2, "not a JSON object but an array") };
            judge_words(&facts, &[dead], &[])
        };
        assert_eq!(kept("[{\"eventId\": \"a\"}]"), Vec::<String>::new());
        for wrong in ["", "{\"eventId\": \"torn", "[{\"eventId\""] {
            let found = kept(wrong);
            assert!(found.len() == 1 && found[0].contains("which is not the line's: '[{"), "{wrong}: {found:?}");
        }
    }

    #[test]
    fn a_batch_written_with_bad_lines_or_nulls_must_say_so() {
        // Goal: a batch whose file has bad lines (or NULL values) in every version is never
        // written without its notice; a file that had them in one version only asks nothing.
        // Method: hand-made runs: the plan and the sink's write, with and without the notices.
        let mut facts = facts();
        let always = Versions { read: 2, with_bad: 2, with_null: 2 };
        facts.versions.insert("f3.json".into(), always);
        let wrote = Event::SinkWrote { id: 1, rows: 2 };
        let null = Event::ReadAsNull { id: 1, count: 1, first: format!("{URI}:7: data.devices: not an ARRAY") };
        let said = [planned(), null.clone(), bad(&format!("{URI}:3: malformed JSON")), wrote.clone()];
        let judge =
            |facts: &LineFacts, events: &[Event]| judge_words(facts, &[], &[RunWords { run: 1, events, error: None }]);
        assert_eq!(judge(&facts, &said), Vec::<String>::new());
        let found = judge(&facts, &[planned(), wrote.clone()]);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].contains("batch 1 was written, but its live log never said that it has bad lines, which f3.json")
        );
        assert!(found[1].contains("never said that values were read as NULL, as in f3.json"), "{found:?}");
        let found = judge(&facts, &[planned(), null, wrote.clone()]);
        assert_eq!(found.len(), 1, "{found:?}");
        facts.versions.insert("f3.json".into(), Versions { read: 2, with_bad: 1, with_null: 1 });
        assert_eq!(judge(&facts, &[planned(), wrote]), Vec::<String>::new(), "one version had none");
    }

    #[test]
    fn a_notice_of_null_values_counts_them_as_the_model_does() {
        // Goal: the notice's count is the model's count of the batch's values read as NULL
        // (two on one line count two), judged only where each file has one version. Method: a
        // line with two such values, and notices that say 2, 1 and 3.
        let mut facts = facts();
        facts.null_counts.insert(("f3.json".into(), 7), 2);
        let first = format!("{URI}:7: data.devices: not an ARRAY");
        let null = |count| Event::ReadAsNull { id: 1, count, first: first.clone() };
        let judge = |facts: &LineFacts, count| {
            judge_words(facts, &[], &[RunWords { run: 2, events: &[planned(), null(count)], error: None }])
        };
        assert!(judge(&facts, 1).is_empty(), "a file of unknown versions is not counted");
        facts.versions.insert("f3.json".into(), Versions { read: 1, with_bad: 1, with_null: 1 });
        assert!(judge(&facts, 2).is_empty());
        for count in [1, 3] {
            let found = judge(&facts, count);
            let want =
                format!("run 2: batch 1's notice says {count} value(s) read as NULL, but the batch's files have 2");
            assert_eq!(found, [want]);
        }
    }

    #[test]
    fn a_failfast_error_that_names_a_line_must_say_its_cause() {
        let said = format!("{URI}:6: not a JSON object but the number 3 (mode is failfast; use permissive …)");
        assert_eq!(judge_run(&[], Some(&said)), Vec::<String>::new());
        let unsaid = format!("{URI}:6:  (mode is failfast; use permissive …)");
        let found = judge_run(&[], Some(&unsaid));
        assert!(found[0].contains("names f3.json line 6 but not its cause: the line's root is a number"), "{found:?}");
        let null = format!("{URI}:7: (permissive mode reads it as NULL, as Spark does)");
        let found = judge_run(&[], Some(&null));
        assert!(found[0].contains("not the column and the type it wanted"), "{found:?}");
        assert_eq!(judge_run(&[], Some("the query changed since offsets/3")), Vec::<String>::new());
    }

    #[test]
    fn a_live_log_line_names_what_its_event_carries() {
        // Goal: every live-log line names its event's facts; the engine's own lines pass, and a
        // batch that takes source-log batches other than its own id must name them (a
        // `SourceRange` that writes nothing is a finding). Method: the engine's Display of
        // events, then a hand-made line checked the same way.
        let range = SourceRange { after: Some(2), through: Some(4) };
        let merged = Event::BatchPlanned { id: 3, files: vec![URI.into()], origin: "new files", sources: range };
        let events =
            [merged.clone(), planned(), Event::SkippedUncommitted { id: 2 }, Event::SinkWrote { id: 3, rows: 7 }];
        assert_eq!(events.iter().filter_map(live_log_finding).collect::<Vec<_>>(), Vec::<String>::new());
        assert_eq!(facts_of(&merged)[1..], ["new files".to_string(), "f3.json".into(), "sources/0/3..4".into()]);
        let said = "batch 3 (new files, ): f3.json";
        let missing: Vec<String> = facts_of(&merged).into_iter().filter(|f| !said.contains(f.as_str())).collect();
        assert_eq!(missing, ["sources/0/3..4"]);
        // One source-log batch that is not the batch's own id, and none at all, are named too;
        // the batch's own id is not news.
        let one = SourceRange { after: Some(3), through: Some(4) };
        let none = SourceRange { after: Some(4), through: Some(4) };
        let own = SourceRange { after: Some(2), through: Some(3) };
        let planned_with = |sources| Event::BatchPlanned { id: 3, files: vec![], origin: "new files", sources };
        assert_eq!(facts_of(&planned_with(one))[2..], ["sources/0/4".to_string()]);
        assert_eq!(facts_of(&planned_with(none))[2..], ["no source-log batch".to_string()]);
        assert_eq!(facts_of(&planned_with(own))[2..], Vec::<String>::new());
        for sources in [one, none, own] {
            assert_eq!(live_log_finding(&planned_with(sources)), None, "{sources:?}");
        }
        // A number is named whole: a range that says more than the batch took is not it.
        assert!(names_whole("batch 3 (new files, sources/0/4): f", "sources/0/4"));
        assert!(!names_whole("batch 3 (new files, sources/0/4..4): f", "sources/0/4"));
        assert!(!names_whole("batch 31: committed", "batch 3"));
    }

    #[test]
    fn a_start_names_the_batches_it_resumes_from() {
        // Goal: the start's line names the batches its decision is about; one that names
        // another batch is a finding. Method: the engine's Display of each resume, then a
        // hand-made line for a re-run.
        let start = |resume| Event::Started { query_id: "q".into(), resume };
        let resumes = [Resume::Fresh, Resume::Continue { next: 3 }, Resume::Rerun { batch: 1 }];
        assert_eq!(resumes.map(|r| live_log_finding(&start(r))), [None, None, None]);
        let said = "start query q: offsets/2 has no commit: re-run batch 2";
        let facts = facts_of(&start(Resume::Rerun { batch: 1 }));
        assert_eq!(facts.iter().filter(|f| !names_whole(said, f)).collect::<Vec<_>>(), ["offsets/1", "batch 1"]);
    }

    #[test]
    fn names_line_reads_a_file_and_line_not_a_longer_number_or_another_file() {
        assert!(names_line(&format!("{URI}:2: x"), URI, 2));
        assert!(names_line("/scenario/input/f3.json line 2", URI, 2));
        assert!(!names_line(&format!("{URI}:22: x"), URI, 2));
        assert!(!names_line("file:///scenario/input/af3.json:2: x", URI, 2));
        assert!(!names_line("/scenario/input/f3.json.bak:2", URI, 2));
        assert!(!names_line("", URI, 2));
    }
}
