//! A failing disk: an injected EIO or ENOSPC at one operation of one run, on the simulated disk
//! (a real disk cannot be made to fail on cue), and a permission error on a read. The run
//! must stop with an error that names the file and the cause once and says what to do; the
//! restart, with the disk well again, must give every record exactly once.
//!
//! The exit code is the CLI's rule (`src/cli/mod.rs`, `exit_code_of`, tested there): 3 when
//! the disk failed at run time, 2 when a path may not be used.

#[path = "../../crates/engine/tests/common/mod.rs"]
mod common;

use common::{DEVICE_01, DEVICE_02, DEVICE_03, FIRST_MTIME_MS, HookedDisk, drop_file, query};
use crashpoint_engine::engine::{Engine, EngineError, EngineOptions, Trigger};
use crashpoint_engine::faults::FaultPlan;
use crashpoint_engine::plan::Plan;
use crashpoint_engine::sink::{FileSink, read_file_sink_output};
use crashpoint_engine::source::SourceOptions;
use crashpoint_engine::storage::{IoErrno, IoFault, IoOp, SimStorage, Storage, is_runtime_io_error};
use std::path::Path;

struct IoRow {
    kind: &'static str,
    op: IoOp,
    path: &'static str,
    errno: IoErrno,
    code: i32,
    says: &'static [&'static str],
}

const ROWS: &[IoRow] = &[
    IoRow {
        kind: "disk full writing offsets",
        op: IoOp::Write,
        path: "/cp/offsets/*",
        errno: IoErrno::Enospc,
        code: 3,
        says: &["/cp/offsets/", "No space left on device", "free space, then run the query again"],
    },
    IoRow {
        kind: "EIO on the fsync of a commit",
        op: IoOp::Fsync,
        path: "/cp/commits/*",
        errno: IoErrno::Eio,
        code: 3,
        says: &["/cp/commits/", "Input/output error", "check the device"],
    },
    IoRow {
        kind: "EIO reading an input file",
        op: IoOp::Read,
        path: "/in/*",
        errno: IoErrno::Eio,
        code: 3,
        says: &["/in/device_01.json cannot be read", "Input/output error"],
    },
    IoRow {
        kind: "disk full writing a part file",
        op: IoOp::Write,
        path: "/out/part-*",
        errno: IoErrno::Enospc,
        code: 3,
        says: &["/out/part-", "No space left on device", "free space"],
    },
    IoRow {
        kind: "EIO listing the input directory",
        op: IoOp::List,
        path: "/in",
        errno: IoErrno::Eio,
        code: 3,
        says: &["/in", "Input/output error"],
    },
    IoRow {
        kind: "EIO renaming the sink log entry",
        op: IoOp::Rename,
        path: "/out/_spark_metadata/*",
        errno: IoErrno::Eio,
        code: 3,
        says: &["/out/_spark_metadata/", "Input/output error"],
    },
    IoRow {
        kind: "disk full writing the source log",
        op: IoOp::Write,
        path: "/cp/sources/0/*",
        errno: IoErrno::Enospc,
        code: 3,
        says: &["/cp/sources/0/", "No space left on device"],
    },
];

/// The CLI's exit code for an engine error.
fn exit_code(error: &EngineError) -> i32 {
    match error.io_error() {
        Some(io) if is_runtime_io_error(io) => 3,
        _ => 2,
    }
}

fn world() -> SimStorage {
    let sim = SimStorage::new(0);
    for (i, (name, text)) in
        [("device_01.json", DEVICE_01), ("device_02.json", DEVICE_02), ("device_03.json", DEVICE_03)].iter().enumerate()
    {
        drop_file(&sim, Path::new("/in"), name, text, FIRST_MTIME_MS + i as i64 * 1000);
    }
    sim
}

fn run(storage: &dyn Storage) -> Result<(), EngineError> {
    let query = query(
        Path::new("/in"),
        Path::new("/cp"),
        SourceOptions { max_files_per_trigger: Some(1), ..Default::default() },
    );
    let sink = Box::new(FileSink::new(Path::new("/out"), 0));
    Engine::new(storage, query, sink, EngineOptions::default(), FaultPlan::none())?.run(Trigger::AvailableNow)
}

fn seen(sim: &SimStorage) -> Vec<String> {
    let schema = Plan::tutorial_without_time().compile().unwrap().schema().to_vec();
    let rows = read_file_sink_output(sim, Path::new("/out"), &schema, true).unwrap();
    let mut seen: Vec<String> = rows.iter().map(|r| format!("{}/{}", r[0], r[1]).replace('"', "")).collect();
    seen.sort();
    seen
}

const ALL: [&str; 4] = ["e1/d1", "e1/d2", "e2/d3", "e4/d1"];

fn check(error: Result<(), EngineError>, code: i32, says: &[&str], restart: &SimStorage) -> Result<(), String> {
    let error = error.err().ok_or("the run went on past the failure")?;
    let message = error.to_string();
    if exit_code(&error) != code {
        return Err(format!("exit code {} instead of {code}: {message}", exit_code(&error)));
    }
    if let Some(missing) = says.iter().find(|s| !message.contains(**s)) {
        return Err(format!("the message lacks '{missing}': {message}"));
    }
    if message.matches("(os error").count() > 1 {
        return Err(format!("an OS error is printed twice: {message}"));
    }
    run(restart).map_err(|e| format!("the restart failed: {e}"))?;
    if seen(restart) != ALL {
        return Err(format!("after the restart a reader sees {:?}", seen(restart)));
    }
    Ok(())
}

/// Runs every row; adds failures and table lines; returns how many rows there are.
pub fn run_all(failures: &mut Vec<String>, table: &mut Vec<String>) -> usize {
    for row in ROWS {
        let sim = world();
        let fault = IoFault { op: row.op, path: Some(row.path.to_string()), hit: 1, errno: row.errno };
        let outcome = check(run(&sim.for_process(Some(fault), false)), row.code, row.says, &sim);
        match outcome {
            Ok(()) => table.push(format!(
                "| disk | {} | {} | stops naming the file, the OS error once and what to do | restart |",
                row.kind, row.code
            )),
            Err(why) => failures.push(format!("[disk] {}: {why}", row.kind)),
        }
    }
    let sim = world();
    let denied = HookedDisk::new(sim.clone(), |path| match path.ends_with("device_02.json") {
        true => Err(std::io::Error::new(std::io::ErrorKind::PermissionDenied, "Permission denied (os error 13)")),
        false => Ok(()),
    });
    let says = ["/in/device_02.json cannot be read", "Permission denied", "crashpoint doctor"];
    match check(run(&denied), 2, &says, &sim) {
        Ok(()) => table.push(
            "| disk | an input file that may not be read | 2 | stops naming the file and the cause | make it readable, restart |"
                .to_string(),
        ),
        Err(why) => failures.push(format!("[disk] an input file that may not be read: {why}")),
    }
    ROWS.len() + 1
}
