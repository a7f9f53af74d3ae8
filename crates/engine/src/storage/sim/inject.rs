//! The I/O errors one process's handle on the simulated disk injects, and the log of the
//! operations it made (for the explorer, which fails each of them in turn).

use crate::storage::fault::{IoErrno, IoFault, IoOp};
use std::io;
use std::path::{Path, PathBuf};

/// An injected I/O error that fired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiredIoError {
    /// The operation that failed.
    pub op: IoOp,
    /// Its path.
    pub path: PathBuf,
    /// The error it failed with.
    pub errno: IoErrno,
    /// The operations made through the same handle after it, in order.
    pub later: Vec<(IoOp, PathBuf)>,
}

/// Counts the operations a fault names and fails the one it aims at.
#[derive(Debug)]
pub(super) struct Injector {
    fault: Option<IoFault>,
    matched: u32,
    pub(super) fired: Option<FiredIoError>,
    record: bool,
    pub(super) log: Vec<(IoOp, PathBuf)>,
}

impl Injector {
    pub(super) fn new(fault: Option<IoFault>, record: bool) -> Self {
        Injector { fault, matched: 0, fired: None, record, log: Vec::new() }
    }

    /// Counts one operation; the error if it is the one to fail.
    pub(super) fn operation(&mut self, op: IoOp, path: &Path) -> io::Result<()> {
        if self.record {
            self.log.push((op, path.to_path_buf()));
        }
        if let Some(fired) = &mut self.fired {
            fired.later.push((op, path.to_path_buf()));
        }
        let Some(fault) = self.fault.as_ref().filter(|f| f.counts(op, path)) else { return Ok(()) };
        self.matched += 1;
        if self.matched != fault.hit {
            return Ok(());
        }
        self.fired = Some(FiredIoError { op, path: path.to_path_buf(), errno: fault.errno, later: Vec::new() });
        Err(fault.errno.error())
    }
}
