//! The input directory as a hostile file system leaves it: subdirectories, symlinks of every
//! kind, FIFOs, hidden and half-copied files, files that vanish or change after their batch
//! was planned, paths that are not what they should be.

use super::case::{Case, Fix, Row, line};
use std::path::Path;

fn symlink(target: &Path, link: &Path) {
    std::os::unix::fs::symlink(target, link).expect("a symlink");
}

fn mkfifo(path: &Path) {
    let name = std::ffi::CString::new(path.to_str().expect("a UTF-8 path")).expect("no NUL");
    // SAFETY: mkfifo with a NUL-terminated path this function owns.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o644) }, 0, "mkfifo {}", path.display());
}

/// A row whose input directory holds the base plus what `$extra` adds; the run goes on.
macro_rules! listing {
    ($kind:literal, $extra:expr, says: [$($says:literal),*], good: [$($good:literal),*], $outcome:literal) => {
        Row {
            family: "file system",
            kind: $kind,
            arrange: |c: &Case| {
                c.base();
                $extra(c);
            },
            act: |c: &Case| c.stream(&[]),
            code: 0,
            says: &[$($says),*],
            fix: Fix::Nothing,
            good: &["e1/d1", "e1/d2", "e2/d3" $(, $good)*],
            dead: &[],
            outcome: $outcome,
        }
    };
}

/// The base, then a run killed by a fail point while batch 1 (`g2.json`) is under way.
fn killed_in_batch_1(c: &Case, point: &str) {
    c.base();
    c.stream_crashing(&format!("{point}=1*off->panic"));
}

const REPLAN_1: &[&str] = &["doctor", "{cp}", "--output", "{out}", "--choose", "replan-batch-1"];

pub fn rows() -> Vec<Row> {
    vec![
        listing!("a subdirectory with a file in it", |c: &Case| {
            std::fs::create_dir(c.input().join("sub")).unwrap();
            std::fs::write(c.input().join("sub/nested.json"), line("nested")).unwrap();
        }, says: ["{in}/sub is not read: it is a subdirectory"], good: [], "warned, not read, as in Spark (which says nothing)"),
        listing!("a k=v partition directory", |c: &Case| {
            std::fs::create_dir(c.input().join("k=v")).unwrap();
            std::fs::write(c.input().join("k=v/p.json"), line("part")).unwrap();
        }, says: ["k=v is not read: it looks like a partition directory"], good: [], "warned, not read (Spark reads it as a partition column)"),
        listing!("a symlink to a file", |c: &Case| {
            std::fs::write(c.root.join("elsewhere.json"), line("linked")).unwrap();
            symlink(&c.root.join("elsewhere.json"), &c.input().join("link.json"));
        }, says: [], good: ["linked/x"], "read under the link's path, as Spark"),
        listing!("a dangling symlink", |c: &Case| symlink(&c.root.join("nowhere.json"), &c.input().join("dangling.json")),
            says: ["dangling.json is not read: it is a dangling symlink"], good: [], "warned, never opened (Spark skips it silently)"),
        listing!("a symlink loop", |c: &Case| symlink(&c.input().join("loop.json"), &c.input().join("loop.json")),
            says: ["loop.json is not read: it is a symlink loop"], good: [], "warned, never opened"),
        listing!("a symlink to a directory", |c: &Case| {
            std::fs::create_dir(c.root.join("dir")).unwrap();
            std::fs::write(c.root.join("dir/inner.json"), line("inner")).unwrap();
            symlink(&c.root.join("dir"), &c.input().join("dirlink.json"));
        }, says: ["dirlink.json is not read: it is a symlink to a directory"], good: [], "warned, not read (Spark skips it silently)"),
        listing!("a FIFO", |c: &Case| mkfifo(&c.input().join("pipe.json")),
            says: ["pipe.json is not read: it is a FIFO"], good: [], "warned, never opened: no hang (Spark records it and reads nothing)"),
        listing!("hidden and underscore files", |c: &Case| {
            std::fs::write(c.input().join(".hidden.json"), line("hidden")).unwrap();
            std::fs::write(c.input().join("_under.json"), line("under")).unwrap();
        }, says: [], good: [], "skipped silently, as Spark"),
        listing!("a file still being copied (._COPYING_)", |c: &Case| {
            std::fs::write(c.input().join("big.json._COPYING_"), line("copying")).unwrap();
        }, says: [], good: [], "skipped silently, as Spark"),
        listing!("a file named *.tmp", |c: &Case| {
            c.drop("data.json.tmp", line("tmpfile").as_bytes(), 2);
        }, says: [], good: ["tmpfile/x"], "read, as Spark reads it"),
        Row {
            family: "file system",
            kind: "an input file deleted after its batch was planned",
            arrange: |c| {
                killed_in_batch_1(c, "after-offsets-write");
                std::fs::remove_file(c.input().join("g2.json")).unwrap();
            },
            act: |c| c.stream(&[]),
            code: 2,
            says: &["batch 1 cannot run: its input file {in}/g2.json cannot be read", "crashpoint doctor {cp}"],
            fix: Fix::Run(REPLAN_1),
            good: &["e1/d1", "e1/d2"],
            dead: &[],
            outcome: "stops naming the file; doctor replans the batch (its records are gone with the file)",
        },
        Row {
            family: "file system",
            kind: "an input file deleted after the sink wrote its batch",
            arrange: |c| {
                killed_in_batch_1(c, "after-sink-write");
                std::fs::remove_file(c.input().join("g2.json")).unwrap();
            },
            act: |c| c.stream(&[]),
            code: 0,
            says: &["batch 1: sink skipped it", "its input was not read"],
            fix: Fix::Nothing,
            good: &["e1/d1", "e1/d2", "e2/d3"],
            dead: &[],
            outcome: "the batch is committed without reading its input, as Spark's file sink does",
        },
        Row {
            family: "file system",
            kind: "an input file replaced by a FIFO after its batch was planned",
            arrange: |c| {
                killed_in_batch_1(c, "after-offsets-write");
                std::fs::remove_file(c.input().join("g2.json")).unwrap();
                mkfifo(&c.input().join("g2.json"));
            },
            act: |c| c.stream(&[]),
            code: 2,
            says: &["{in}/g2.json cannot be read: not a regular file but a FIFO", "crashpoint doctor {cp}"],
            fix: Fix::Run(REPLAN_1),
            good: &["e1/d1", "e1/d2"],
            dead: &[],
            outcome: "stops without blocking, naming the file; doctor replans",
        },
        Row {
            family: "file system",
            kind: "an input file replaced by a directory after its batch was planned",
            arrange: |c| {
                killed_in_batch_1(c, "after-offsets-write");
                std::fs::remove_file(c.input().join("g2.json")).unwrap();
                std::fs::create_dir(c.input().join("g2.json")).unwrap();
            },
            act: |c| c.stream(&[]),
            code: 2,
            says: &["{in}/g2.json cannot be read: not a regular file but a directory", "crashpoint doctor {cp}"],
            fix: Fix::Run(REPLAN_1),
            good: &["e1/d1", "e1/d2"],
            dead: &[],
            outcome: "stops naming the file; doctor replans",
        },
        Row {
            family: "file system",
            kind: "an input file deleted after planning, put back",
            arrange: |c| {
                killed_in_batch_1(c, "after-offsets-write");
                std::fs::rename(c.input().join("g2.json"), c.root.join("g2.json.away")).unwrap();
            },
            act: |c| c.stream(&[]),
            code: 2,
            says: &["{in}/g2.json cannot be read", "put the file back and restart"],
            fix: Fix::Hand("put the file back, as the message says", |c| {
                std::fs::rename(c.root.join("g2.json.away"), c.input().join("g2.json")).unwrap();
            }),
            good: &["e1/d1", "e1/d2", "e2/d3"],
            dead: &[],
            outcome: "the batch runs as planned once the file is back",
        },
        Row {
            family: "file system",
            kind: "a file of a committed batch vanished",
            arrange: |c| {
                c.base();
                c.stream_ok();
                std::fs::remove_file(c.input().join("g1.json")).unwrap();
            },
            act: |c| c.crashpoint(&["inspect", "{cp}"], &[]),
            code: 0,
            says: &[],
            fix: Fix::Nothing,
            good: &["e1/d1", "e1/d2", "e2/d3"],
            dead: &[],
            outcome: "harmless; inspect marks it gone from the input directory",
        },
        Row {
            family: "file system",
            kind: "a processed file grows (written again)",
            arrange: |c| {
                c.base();
                c.stream_ok();
                let more = format!(
                    "{}\n{}\n",
                    std::fs::read_to_string(c.input().join("g1.json")).unwrap().trim(),
                    line("late")
                );
                c.drop("g1.json", more.as_bytes(), 5);
            },
            act: |c| c.stream(&[]),
            code: 0,
            says: &["{in}/g1.json was written again after batch 0 took it", "write new data under a new file name"],
            fix: Fix::Nothing,
            good: &["e1/d1", "e1/d2", "e2/d3"],
            dead: &[],
            outcome: "warned; the new content is ignored, as Spark (silently)",
        },
        Row {
            family: "file system",
            kind: "a processed file grows, with --on-modified error",
            arrange: |c| {
                c.base();
                c.stream_ok();
                c.drop("g1.json", format!("{}\n", line("late")).as_bytes(), 5);
            },
            act: |c| c.stream(&["--on-modified", "error"]),
            code: 2,
            says: &["{in}/g1.json was written again after batch 0 took it", "on-modified is error"],
            fix: Fix::Nothing,
            good: &["e1/d1", "e1/d2", "e2/d3"],
            dead: &[],
            outcome: "stops, naming the file",
        },
        Row {
            family: "file system",
            kind: "--input that does not exist",
            arrange: |c| std::fs::remove_dir(c.input()).unwrap(),
            act: |c| c.stream(&[]),
            code: 2,
            says: &["--input {in}: does not exist; create it"],
            fix: Fix::Hand("create the input directory", |c| {
                std::fs::create_dir(c.input()).unwrap();
                c.base();
            }),
            good: &["e1/d1", "e1/d2", "e2/d3"],
            dead: &[],
            outcome: "refused, saying it does not exist",
        },
        Row {
            family: "file system",
            kind: "--input that is a file",
            arrange: |c| {
                std::fs::remove_dir(c.input()).unwrap();
                std::fs::write(c.input(), line("notadir")).unwrap();
            },
            act: |c| c.stream(&[]),
            code: 2,
            says: &["--input {in}: not a directory"],
            fix: Fix::Hand("point --input at the directory", |c| {
                std::fs::remove_file(c.input()).unwrap();
                std::fs::create_dir(c.input()).unwrap();
                c.base();
            }),
            good: &["e1/d1", "e1/d2", "e2/d3"],
            dead: &[],
            outcome: "refused, saying it is not a directory",
        },
        Row {
            family: "file system",
            kind: "--checkpoint that is a file",
            arrange: |c| {
                c.base();
                std::fs::write(c.cp(), "not a checkpoint").unwrap();
            },
            act: |c| c.stream(&[]),
            code: 2,
            says: &["{cp}"],
            fix: Fix::Hand("move the file away", |c| std::fs::remove_file(c.cp()).unwrap()),
            good: &["e1/d1", "e1/d2", "e2/d3"],
            dead: &[],
            outcome: "refused, naming the path",
        },
        Row {
            family: "file system",
            kind: "a lock file left by a killed run",
            arrange: |c| {
                killed_in_batch_1(c, "after-sink-write");
                assert!(c.cp().join(".lock").exists());
            },
            act: |c| c.stream(&[]),
            code: 0,
            says: &[],
            fix: Fix::Nothing,
            good: &["e1/d1", "e1/d2", "e2/d3"],
            dead: &[],
            outcome: "a dead process holds no lock: the restart goes on",
        },
    ]
}
