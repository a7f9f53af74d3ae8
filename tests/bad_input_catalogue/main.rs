//! The bad-input catalogue: every kind of bad input, tampering and hostile file-system state
//! that a user (or a crash) can leave, each as one row of a table.
//!
//! Goal: nothing wedged, nothing lost, nothing said twice. Each row asserts:
//! - the exit code of the run that meets the bad state (0, 2 for bad input, 3 for a failing disk);
//! - that its message names the file (and the line, where there is one) and says what to do;
//! - that each cause is printed once;
//! - that after the row's stated way forward (nothing, a `crashpoint` command, or a step by hand
//!   that the row names), a plain restart exits 0 and a reader of the output sees every good
//!   record exactly once, and every bad line is in a dead-letter file with its file and line.
//!
//! Method: most rows run the built binary on small real directories (symlinks, FIFOs and
//! `FAILPOINTS` crashes need a real disk); the rows for a failing disk run the engine on the
//! simulated disk with an injected I/O error (`io.rs`). Every row is run, and every failing row
//! is reported together with its kind.
//!
//! `cargo test --test bad_input_catalogue -- --nocapture` prints the table of kinds and outcomes.

mod case;
mod checkpoint;
mod files;
mod input;
mod io;
mod usage;

use case::{Case, Row};

/// Every CLI row, by family.
fn rows() -> Vec<Row> {
    [input::rows(), files::rows(), checkpoint::rows(), usage::rows()].into_iter().flatten().collect()
}

/// Rows run in parallel: each spends most of its time waiting for fsyncs on the real disk.
const THREADS: usize = 8;

/// Runs one row; `Err` holds why it failed.
fn outcome(row: &Row) -> Result<(), String> {
    std::panic::catch_unwind(|| Case::run(row)).map_err(|panic| {
        let message = panic.downcast_ref::<String>().cloned();
        message.or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
    })
}

#[test]
fn every_kind_of_bad_input_is_named_survived_and_loses_nothing() {
    let rows = rows();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(vec![None; rows.len()]);
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(row) = rows.get(i) else { break };
                    let result = outcome(row);
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(result);
                }
            });
        }
    });
    let mut failures = Vec::new();
    let mut table = Vec::new();
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    for (row, result) in rows.iter().zip(results) {
        match result.expect("every row ran") {
            Ok(()) => {
                let fix = row.fix.describe();
                table.push(format!("| {} | {} | {} | {} | {fix} |", row.family, row.kind, row.code, row.outcome));
            }
            Err(why) => failures.push(format!("[{}] {}: {why}", row.family, row.kind)),
        }
    }
    let io_rows = io::run_all(&mut failures, &mut table);
    let total = rows.len() + io_rows;
    let table = format!(
        "| family | kind | exit | outcome | way forward |\n| --- | --- | --- | --- | --- |\n{}\n",
        table.join("\n")
    );
    println!("{table}");
    if failures.is_empty() {
        check_document(&table);
    }
    assert!(failures.is_empty(), "{} of {total} rows failed:\n\n{}", failures.len(), failures.join("\n\n"));
    assert!(total >= 60, "the catalogue holds {total} kinds; it must hold at least 60");
}

/// `BAD_INPUT.md` shows this table; `CATALOGUE_ACCEPT=1` writes it after a change to the rows.
fn check_document(table: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("BAD_INPUT.md");
    let document = std::fs::read_to_string(&path).unwrap_or_default();
    let start = document.find("| family |").unwrap_or(document.len());
    let (head, rest) = document.split_at(start);
    let end = rest.find("\n\n").map_or(rest.len(), |e| e + 1);
    if &rest[..end] == table {
        return;
    }
    if std::env::var_os("CATALOGUE_ACCEPT").is_some() {
        std::fs::write(&path, format!("{head}{table}{}", &rest[end..])).expect("BAD_INPUT.md is writable");
        return;
    }
    panic!("BAD_INPUT.md does not show the catalogue as it is: run with CATALOGUE_ACCEPT=1 and review the diff");
}
