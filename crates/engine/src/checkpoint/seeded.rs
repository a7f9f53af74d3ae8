//! The log-write seams bent (feature `seeded-bugs` only): a log file written in place, or
//! written with no fsync at all.
//!
//! Spark's write is `log::write_atomic`; this module must never change it, only stand in for it
//! when a seam says so.

use super::error::{Result, io_err};
use super::log::{WriteCtx, write_renamed};
use crate::faults::CrashPoint;
use crate::seams::{LogFsync, LogLayout};
use crate::storage::{DirEntry, LockGuard, Storage};
use std::io;
use std::path::Path;

/// Writes a log file the way the bent seams say, or returns `None` when they are Spark's.
pub(super) fn bent_log_write(
    ctx: &mut WriteCtx<'_>,
    log: &'static str,
    path: &Path,
    bytes: &[u8],
) -> Option<Result<()>> {
    let seams = *ctx.faults.seams();
    match (seams.log_layout, seams.log_fsync) {
        (LogLayout::InPlace, _) => Some(write_in_place(ctx, log, path, bytes)),
        (LogLayout::Renamed, LogFsync::Never) => {
            Some(write_renamed(&Unsynced(ctx.storage), ctx.faults, log, path, bytes))
        }
        (LogLayout::Renamed, LogFsync::FileAndDir) => None,
    }
}

/// Half the file, a crash point, then the rest, all at the final path; nothing is fsynced.
fn write_in_place(ctx: &mut WriteCtx<'_>, log: &'static str, path: &Path, bytes: &[u8]) -> Result<()> {
    let half = &bytes[..bytes.len() / 2];
    ctx.storage.write(path, half).map_err(io_err(log, path, "write the file"))?;
    ctx.faults.hit(CrashPoint::DuringLogWrite)?;
    ctx.storage.write(path, bytes).map_err(io_err(log, path, "write the file"))?;
    ctx.faults.hit(CrashPoint::BeforeLogDirSync)?;
    Ok(())
}

/// A storage whose fsyncs do nothing: everything else goes to the storage underneath.
struct Unsynced<'a>(&'a dyn Storage);

impl Storage for Unsynced<'_> {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.0.read(path)
    }
    fn write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.0.write(path, data)
    }
    fn sync_file(&self, _: &Path) -> io::Result<()> {
        Ok(())
    }
    fn rename_no_replace(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.0.rename_no_replace(from, to)
    }
    fn sync_dir(&self, _: &Path) -> io::Result<()> {
        Ok(())
    }
    fn list(&self, dir: &Path) -> io::Result<Vec<DirEntry>> {
        self.0.list(dir)
    }
    fn stat(&self, path: &Path) -> io::Result<DirEntry> {
        self.0.stat(path)
    }
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        self.0.create_dir_all(dir)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.0.remove_file(path)
    }
    fn remove_dir_all(&self, dir: &Path) -> io::Result<()> {
        self.0.remove_dir_all(dir)
    }
    fn set_mtime(&self, path: &Path, mtime_ms: i64) -> io::Result<()> {
        self.0.set_mtime(path, mtime_ms)
    }
    fn lock(&self, path: &Path) -> io::Result<LockGuard> {
        self.0.lock(path)
    }
}
