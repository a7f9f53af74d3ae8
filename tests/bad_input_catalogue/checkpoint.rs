//! The checkpoint and the sink's log, tampered with: every file zero-byte, torn, garbage, of an
//! unknown version, or missing; plus the leftovers of crashes (temp files, checksums).
//!
//! Each row starts from two committed batches (`g1.json`, `g2.json`), a copy of the checkpoint
//! and the output in `backup/` (for the rows whose only way forward is a restore), and a third
//! file `g3.json` waiting.

use super::case::{Case, Fix, Row, line};
use std::path::Path;

const ALL: &[&str] = &["e1/d1", "e1/d2", "e2/d3", "g3/x"];

/// Two committed batches, a backup, and `g3.json` waiting.
fn two_batches(c: &Case) {
    c.base();
    c.stream_ok();
    copy_dir(&c.cp(), &c.root.join("backup/cp"));
    copy_dir(&c.out(), &c.root.join("backup/out"));
    c.drop("g3.json", format!("{}\n", line("g3")).as_bytes(), 2);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Puts `relative` (under the root, e.g. `cp/sources/0/1`) back from the backup.
fn restore(c: &Case, relative: &str) {
    let backup = c.root.join("backup").join(relative);
    std::fs::copy(backup, c.root.join(relative)).unwrap();
}

#[derive(Clone, Copy)]
enum Tamper {
    ZeroByte,
    Torn,
    Garbage,
    Version2,
    Missing,
}

fn tamper(c: &Case, relative: &str, how: Tamper) {
    let path = c.root.join(relative);
    let bytes = std::fs::read(&path).unwrap();
    match how {
        Tamper::ZeroByte => std::fs::write(&path, b"").unwrap(),
        Tamper::Torn => std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap(),
        Tamper::Garbage => std::fs::write(&path, b"garbage\n").unwrap(),
        Tamper::Version2 => {
            let rest = String::from_utf8(bytes).unwrap().replacen("v1", "v2", 1);
            std::fs::write(&path, rest).unwrap();
        }
        Tamper::Missing => std::fs::remove_file(&path).unwrap(),
    }
}

/// A row that tampers with `$file` (under the root) after two committed batches.
macro_rules! tampered {
    ($family:literal, $kind:literal, $file:literal, $how:expr, code: $code:literal, says: $says:expr, fix: $fix:expr, $outcome:literal) => {
        Row {
            family: $family,
            kind: $kind,
            arrange: |c: &Case| {
                two_batches(c);
                tamper(c, $file, $how);
            },
            act: |c: &Case| c.stream(&[]),
            code: $code,
            says: $says,
            fix: $fix,
            good: ALL,
            dead: &[],
            outcome: $outcome,
        }
    };
}

const REPAIR: Fix = Fix::Run(&["doctor", "{cp}", "--output", "{out}", "--repair"]);
const DOCTOR_SAYS_OFFSETS: &[&str] = &["{cp}/offsets/1", "crashpoint doctor"];
const DOCTOR_SAYS_COMMITS: &[&str] = &["{cp}/commits/1", "crashpoint doctor"];
const DOCTOR_SAYS_SOURCES: &[&str] = &["{cp}/sources/0/1", "crashpoint doctor"];
const DOCTOR_SAYS_SINK: &[&str] = &["{out}/_spark_metadata/1", "crashpoint doctor"];
const RESTORE_SOURCES: Fix =
    Fix::Hand("restore cp/sources/0/1 from the backup, as doctor says", |c| restore(c, "cp/sources/0/1"));
const RESTORE_SINK_LOG: Fix =
    Fix::Hand("restore out/_spark_metadata/1 from the backup, as doctor says", |c| restore(c, "out/_spark_metadata/1"));
const NEW_QUERY_ID: Fix = Fix::Run(&["doctor", "{cp}", "--choose", "new-query-id"]);

pub fn rows() -> Vec<Row> {
    let mut rows = vec![
        tampered!("checkpoint", "metadata zero-byte", "cp/metadata", Tamper::ZeroByte, code: 2,
            says: &["{cp}/metadata: the file is empty", "crashpoint doctor"], fix: NEW_QUERY_ID,
            "stops naming the file; doctor writes a new query id (its cost stated) or the user restores it"),
        tampered!("checkpoint", "metadata torn", "cp/metadata", Tamper::Torn, code: 2,
            says: &["{cp}/metadata: not valid", "crashpoint doctor"], fix: NEW_QUERY_ID, "as zero-byte"),
        tampered!("checkpoint", "metadata garbage", "cp/metadata", Tamper::Garbage, code: 2,
            says: &["{cp}/metadata: not valid", "crashpoint doctor"], fix: NEW_QUERY_ID, "as zero-byte"),
        tampered!("checkpoint", "metadata missing while batches exist", "cp/metadata", Tamper::Missing, code: 2,
            says: &["the metadata file is missing", "crashpoint doctor"], fix: NEW_QUERY_ID,
            "refused (a new query id is never made up silently); doctor offers one with its cost"),
        tampered!("checkpoint", "latest offsets zero-byte", "cp/offsets/1", Tamper::ZeroByte, code: 2,
            says: DOCTOR_SAYS_OFFSETS, fix: REPAIR, "stops; doctor --repair replays the batch from its source-log entry, the sink skips it"),
        tampered!("checkpoint", "latest offsets torn", "cp/offsets/1", Tamper::Torn, code: 2,
            says: DOCTOR_SAYS_OFFSETS, fix: REPAIR, "as zero-byte"),
        tampered!("checkpoint", "latest offsets garbage", "cp/offsets/1", Tamper::Garbage, code: 2,
            says: DOCTOR_SAYS_OFFSETS, fix: REPAIR, "as zero-byte"),
        tampered!("checkpoint", "latest offsets of an unknown version (v2)", "cp/offsets/1", Tamper::Version2, code: 2,
            says: &["{cp}/offsets/1", "Spark 4.3 writes offsets version 2 when source evolution is on"], fix: REPAIR, "stops, naming the version; doctor replays"),
        tampered!("checkpoint", "latest offsets missing (its commit kept)", "cp/offsets/1", Tamper::Missing, code: 2,
            says: &["commits/1 is newer than the latest offsets file offsets/0", "crashpoint doctor"], fix: REPAIR,
            "refused (Spark is stuck here for good); doctor replays the batch"),
        tampered!("checkpoint", "latest commit zero-byte", "cp/commits/1", Tamper::ZeroByte, code: 2,
            says: DOCTOR_SAYS_COMMITS, fix: REPAIR, "stops; doctor writes the commit again (it is always the same line)"),
        tampered!("checkpoint", "latest commit torn", "cp/commits/1", Tamper::Torn, code: 2,
            says: DOCTOR_SAYS_COMMITS, fix: REPAIR, "as zero-byte"),
        tampered!("checkpoint", "latest commit garbage", "cp/commits/1", Tamper::Garbage, code: 2,
            says: DOCTOR_SAYS_COMMITS, fix: REPAIR, "as zero-byte"),
        tampered!("checkpoint", "latest commit of an unknown version (v2)", "cp/commits/1", Tamper::Version2, code: 2,
            says: &["{cp}/commits/1", "written by a newer Spark"], fix: REPAIR, "as zero-byte"),
        tampered!("checkpoint", "latest commit missing", "cp/commits/1", Tamper::Missing, code: 0,
            says: &["re-run batch 1", "batch 1: sink skipped it"], fix: Fix::Nothing,
            "batch 1 re-runs and the file sink skips it, as the tutorial shows"),
        tampered!("checkpoint", "a commit missing below the latest", "cp/commits/0", Tamper::Missing, code: 0,
            says: &["commits/0 is missing but later batches are committed: batch 0 is not run again"], fix: Fix::Nothing,
            "batch 0 does not re-run, as in Spark, and the run says so; doctor restores the commit"),
        tampered!("checkpoint", "source log zero-byte", "cp/sources/0/1", Tamper::ZeroByte, code: 2,
            says: DOCTOR_SAYS_SOURCES, fix: RESTORE_SOURCES, "stops; no repair can know the batch's files: restore it (doctor says so)"),
        tampered!("checkpoint", "source log torn", "cp/sources/0/1", Tamper::Torn, code: 2,
            says: DOCTOR_SAYS_SOURCES, fix: RESTORE_SOURCES, "as zero-byte"),
        tampered!("checkpoint", "source log garbage", "cp/sources/0/1", Tamper::Garbage, code: 2,
            says: DOCTOR_SAYS_SOURCES, fix: RESTORE_SOURCES, "as zero-byte"),
        tampered!("checkpoint", "source log of an unknown version (v2)", "cp/sources/0/1", Tamper::Version2, code: 2,
            says: &["{cp}/sources/0/1", "written by a newer Spark"], fix: RESTORE_SOURCES, "as zero-byte"),
        tampered!("checkpoint", "source log missing", "cp/sources/0/1", Tamper::Missing, code: 2,
            says: &["the source log ends at sources/0/0 but batch 1 ended at logOffset 1", "restore"], fix: RESTORE_SOURCES,
            "refused (its files would be processed twice); restore it"),
        tampered!("sink log", "sink log zero-byte", "out/_spark_metadata/1", Tamper::ZeroByte, code: 2,
            says: DOCTOR_SAYS_SINK, fix: RESTORE_SINK_LOG, "stops before committing over it (readers would break); restore it"),
        tampered!("sink log", "sink log torn", "out/_spark_metadata/1", Tamper::Torn, code: 2,
            says: DOCTOR_SAYS_SINK, fix: RESTORE_SINK_LOG, "as zero-byte"),
        tampered!("sink log", "sink log garbage", "out/_spark_metadata/1", Tamper::Garbage, code: 2,
            says: DOCTOR_SAYS_SINK, fix: RESTORE_SINK_LOG, "as zero-byte"),
        tampered!("sink log", "sink log of an unknown version (v2)", "out/_spark_metadata/1", Tamper::Version2, code: 2,
            says: &["{out}/_spark_metadata/1", "written by a newer Spark"], fix: RESTORE_SINK_LOG, "as zero-byte"),
        tampered!("sink log", "sink log missing a committed batch", "out/_spark_metadata/1", Tamper::Missing, code: 2,
            says: &["ends at batch 0, but commits/1", "crashpoint doctor {cp} --output"], fix: REPAIR,
            "refused (a hole readers fail on); doctor runs the batch again"),
    ];
    rows.extend(leftovers());
    rows
}

/// What crashes and hands leave beside the logs.
fn leftovers() -> Vec<Row> {
    vec![
        Row {
            family: "checkpoint",
            kind: "an orphaned checksum (.N.crc without N)",
            arrange: |c| {
                two_batches(c);
                std::fs::write(c.cp().join("commits/.5.crc"), b"crc\0\0\0\x02\0abcd").unwrap();
            },
            act: |c| c.crashpoint(&["doctor", "{cp}"], &[]),
            code: 1,
            says: &["orphaned checksum {cp}/commits/.5.crc", "Spark 4.3", "--repair"],
            fix: Fix::Run(&["doctor", "{cp}", "--repair"]),
            good: ALL,
            dead: &[],
            outcome: "ignored by the engine; doctor says what Spark does with it and deletes it",
        },
        Row {
            family: "checkpoint",
            kind: "a stale checksum (.N.crc of other bytes)",
            arrange: |c| {
                two_batches(c);
                std::fs::write(c.cp().join("offsets/.1.crc"), b"crc\0\0\0\x02\0abcd").unwrap();
            },
            act: |c| c.crashpoint(&["doctor", "{cp}"], &[]),
            code: 1,
            says: &["stale checksum {cp}/offsets/.1.crc", "ChecksumException"],
            fix: Fix::Run(&["doctor", "{cp}", "--repair"]),
            good: ALL,
            dead: &[],
            outcome: "ignored by the engine; doctor says what Spark does with it and deletes it",
        },
        Row {
            family: "checkpoint",
            kind: "a stale temp file",
            arrange: |c| {
                two_batches(c);
                std::fs::write(c.cp().join("offsets/.2.0b7c5e2a.tmp"), b"v1\n{").unwrap();
            },
            act: |c| c.crashpoint(&["doctor", "{cp}"], &[]),
            code: 1,
            says: &["stale temp file {cp}/offsets/.2.0b7c5e2a.tmp", "--repair"],
            fix: Fix::Run(&["doctor", "{cp}", "--repair"]),
            good: ALL,
            dead: &[],
            outcome: "ignored by the engine; doctor deletes it",
        },
        Row {
            family: "checkpoint",
            kind: "the offsets of a batch not yet committed, torn",
            arrange: |c| {
                c.base();
                c.stream_crashing("after-offsets-write=1*off->panic");
                tamper(c, "cp/offsets/1", Tamper::Torn);
                c.drop("g3.json", format!("{}\n", line("g3")).as_bytes(), 2);
            },
            act: |c| c.stream(&[]),
            code: 2,
            says: DOCTOR_SAYS_OFFSETS,
            fix: REPAIR,
            good: ALL,
            dead: &[],
            outcome: "stops; doctor --repair deletes it for free and the batch is planned again",
        },
        Row {
            family: "sink log",
            kind: "the sink log entry of a batch not yet committed, torn",
            arrange: |c| {
                c.base();
                c.stream_crashing("after-sink-write=1*off->panic");
                tamper(c, "out/_spark_metadata/1", Tamper::Torn);
            },
            act: |c| c.stream(&[]),
            code: 2,
            says: DOCTOR_SAYS_SINK,
            fix: REPAIR,
            good: &["e1/d1", "e1/d2", "e2/d3"],
            dead: &[],
            outcome: "stops before committing over it; doctor --repair deletes it and the batch is written again",
        },
        Row {
            family: "checkpoint",
            kind: "an unexpected file in offsets/",
            arrange: |c| {
                two_batches(c);
                std::fs::write(c.cp().join("offsets/notes.txt"), b"my notes").unwrap();
            },
            act: |c| c.crashpoint(&["inspect", "{cp}"], &[]),
            code: 0,
            says: &["unexpected file {cp}/offsets/notes.txt (ignored by Spark and crashpoint)"],
            fix: Fix::Nothing,
            good: ALL,
            dead: &[],
            outcome: "ignored by the engine, as by Spark; inspect names it",
        },
    ]
}
