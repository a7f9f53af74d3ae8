//! SIGINT and SIGTERM as a request to stop a long-running query: the handler only records the
//! signal, and the query loop stops between two batches, so that no batch is cut in half.
//!
//! This module must never do more in the handler than store to an atomic.

use std::sync::atomic::{AtomicI32, Ordering};

static STOP_SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn record(signal: libc::c_int) {
    STOP_SIGNAL.store(signal, Ordering::SeqCst);
}

/// From now on, SIGINT and SIGTERM ask the query to stop instead of killing the process.
pub fn catch_stop_signals() {
    let handler = record as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
}

/// The stop signal received so far, by name.
pub fn stop_requested() -> Option<&'static str> {
    match STOP_SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        libc::SIGINT => Some("SIGINT"),
        libc::SIGTERM => Some("SIGTERM"),
        _ => Some("a signal"),
    }
}
