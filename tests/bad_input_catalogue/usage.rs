//! Options and neighbours that would lose data: bad `maxFilesPerTrigger`, task-layout knobs and
//! trigger intervals, options that cannot
//! go together, a new checkpoint over an old output, a second query on the same checkpoint or
//! output, a changed query, a console that cannot be written.

use super::case::{CONSOLE, Case, Fix, Row, line};
use std::os::fd::AsRawFd;

/// A refused option: the run exits 2 before it touches anything; without it, all is read.
macro_rules! refused_option {
    ($kind:literal, [$($arg:literal),*], says: [$($says:literal),*], $outcome:literal) => {
        Row {
            family: "usage",
            kind: $kind,
            arrange: |c: &Case| c.base(),
            act: |c: &Case| {
                let base = ["stream", "--input", "{in}", "--checkpoint", "{cp}", "--sink", "file", "--output", "{out}"];
                c.crashpoint(&[&base[..], &[$($arg),*]].concat(), &[])
            },
            code: 2,
            says: &[$($says),*],
            fix: Fix::Nothing,
            good: &["e1/d1", "e1/d2", "e2/d3"],
            dead: &[],
            outcome: $outcome,
        }
    };
}

/// Holds an exclusive flock on `path`, as a running query does, until dropped.
struct Held {
    _file: std::fs::File,
}

fn hold(path: &std::path::Path) -> Held {
    let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(path).unwrap();
    // SAFETY: flock on a descriptor this function owns.
    assert_eq!(unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) }, 0);
    Held { _file: file }
}

impl Drop for Held {
    /// LOCK_UN, not just close: a child another thread forks holds a copy of the descriptor until
    /// its exec, and the lock would outlive this guard (the engine's lock does the same).
    fn drop(&mut self) {
        // SAFETY: unlocking a descriptor this guard owns.
        unsafe { libc::flock(self._file.as_raw_fd(), libc::LOCK_UN) };
    }
}

pub fn rows() -> Vec<Row> {
    vec![
        refused_option!("--max-files-per-trigger 0", ["--max-files-per-trigger", "0"],
            says: ["invalid value '0' for option 'maxFilesPerTrigger'", "must be a positive integer (1 or more)"],
            "refused with Spark's rule (Spark accepts it at start and fails later; 0 used to process nothing forever)"),
        refused_option!("--max-files-per-trigger -1", ["--max-files-per-trigger", "-1"],
            says: ["invalid value '-1' for option 'maxFilesPerTrigger'", "must be a positive integer"], "refused with the rule"),
        refused_option!("--max-file-age-ms -1000", ["--max-file-age-ms", "-1000"],
            says: ["invalid value '-1000' for option 'maxFileAge'", "must be 0 or more ms"], "refused with Spark's rule"),
        refused_option!("--max-line-bytes 0", ["--max-line-bytes", "0"],
            says: ["invalid value '0' for option 'maxLineBytes'", "must be 1 or more bytes"], "refused with the rule"),
        refused_option!("--max-partition-bytes 0", ["--max-partition-bytes", "0"],
            says: ["invalid value '0' for option 'spark.sql.files.maxPartitionBytes'", "must be 1 or more bytes"],
            "refused before anything is written (Spark fails in the first batch, after writing its offsets)"),
        refused_option!("--max-partition-bytes -1", ["--max-partition-bytes", "-1"],
            says: ["invalid value '-1' for option 'spark.sql.files.maxPartitionBytes'", "must be 1 or more bytes"],
            "refused (Spark runs and commits a batch without its rows)"),
        refused_option!("--trigger processing-time=1 month", ["--trigger", "processing-time=1 month"],
            says: ["'1 month': a trigger's interval cannot be in months or years"], "refused with Spark's rule"),
        refused_option!("--trigger processing-time=5. minutes", ["--trigger", "processing-time=5. minutes"],
            says: ["'5. minutes': only seconds may have a fraction, not minutes"],
            "refused, as Spark refuses it (it used to be read as 5 minutes)"),
        refused_option!("--threads 0", ["--threads", "0"],
            says: ["'0' is not allowed: --threads must be 1 or more"], "refused with the rule"),
        refused_option!("--max-files-per-trigger abc", ["--max-files-per-trigger", "abc"],
            says: ["'abc' is not allowed: maxFilesPerTrigger must be a positive integer"], "refused with the rule"),
        Row {
            family: "usage",
            kind: "--output with --sink console",
            arrange: |c| c.base(),
            act: |c| c.crashpoint(&[&CONSOLE[..], &["--output", "{out}"]].concat(), &[]),
            code: 2,
            says: &["--output {out} has no effect with --sink console", "use --sink file"],
            fix: Fix::Nothing,
            good: &["e1/d1", "e1/d2", "e2/d3"],
            dead: &[],
            outcome: "refused instead of silently ignored",
        },
        Row {
            family: "usage",
            kind: "a new checkpoint over an output whose _spark_metadata holds batches",
            arrange: |c| {
                c.base();
                c.stream_ok();
                std::fs::rename(c.cp(), c.root.join("cp.kept")).unwrap();
                c.drop("g3.json", format!("{}\n", line("g3")).as_bytes(), 2);
            },
            act: |c| c.stream(&[]),
            code: 2,
            says: &[
                "{out}/_spark_metadata already holds batches up to 1",
                "{cp} has no plan for batch 0",
                "new output directory",
            ],
            fix: Fix::Hand("put back the checkpoint that wrote this output", |c| {
                std::fs::remove_dir_all(c.cp()).unwrap();
                std::fs::rename(c.root.join("cp.kept"), c.cp()).unwrap();
            }),
            good: &["e1/d1", "e1/d2", "e2/d3", "g3/x"],
            dead: &[],
            outcome: "refused before writing anything (Spark skips the batches and loses their rows)",
        },
        Row {
            family: "usage",
            kind: "two queries on one checkpoint",
            arrange: |c| c.base(),
            act: |c| {
                std::fs::create_dir_all(c.cp()).unwrap();
                let _other = hold(&c.cp().join(".lock"));
                c.stream(&[])
            },
            code: 2,
            says: &["another query is running on it ({cp}/.lock is locked)", "stop the other query first"],
            fix: Fix::Nothing,
            good: &["e1/d1", "e1/d2", "e2/d3"],
            dead: &[],
            outcome: "the second is refused (the lock)",
        },
        Row {
            family: "usage",
            kind: "two queries on one output directory",
            arrange: |c| c.base(),
            act: |c| {
                std::fs::create_dir_all(c.out()).unwrap();
                let _other = hold(&c.out().join(".crashpoint-output.lock"));
                c.stream(&[])
            },
            code: 2,
            says: &["output {out}: another query is writing into it", "stop the other query first"],
            fix: Fix::Nothing,
            good: &["e1/d1", "e1/d2", "e2/d3"],
            dead: &[],
            outcome: "the second is refused (a lock on the output, as on the checkpoint)",
        },
        Row {
            family: "usage",
            kind: "the query changed on an existing checkpoint",
            arrange: |c| {
                c.base();
                c.stream_ok();
                c.drop("g3.json", format!("{}\n", line("g3")).as_bytes(), 2);
            },
            act: |c| {
                c.crashpoint(
                    &[
                        "stream",
                        "--input",
                        "{in}",
                        "--checkpoint",
                        "{cp}",
                        "--sink",
                        "file",
                        "--output",
                        "{out}",
                        "--processing-time",
                    ],
                    &[],
                )
            },
            code: 2,
            says: &["the query changed", "{cp}/offsets/1", "run the original query"],
            fix: Fix::Nothing,
            good: &["e1/d1", "e1/d2", "e2/d3", "g3/x"],
            dead: &[],
            outcome: "refused (Spark mixes the schemas silently)",
        },
        Row {
            family: "usage",
            kind: "the console's stdout on a full device",
            arrange: |c| c.base(),
            act: |c| {
                let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
                c.crashpoint_into(&CONSOLE, &[], Some(full))
            },
            code: 3,
            says: &["console sink: could not print batch 0", "No space left on device"],
            fix: Fix::Hand("free the device: print into a file", |c| {
                let file = std::fs::File::create(c.root.join("console-1.txt")).unwrap();
                let output = c.crashpoint_into(&CONSOLE, &[], Some(file));
                assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
            }),
            good: &["e1/d1", "e1/d2", "e2/d3"],
            dead: &[],
            outcome: "the batch fails before its commit and prints at the restart (the console used to lose it)",
        },
    ]
}
