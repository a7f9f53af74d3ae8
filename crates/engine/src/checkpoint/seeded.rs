//! The log-write, fsync and compaction seams bent (feature `seeded-bugs` only): a log file
//! written in place, written with no fsync at all, with no directory fsync, or renamed before its
//! data is fsynced; a failed fsync retried and trusted; a compaction that drops its own batch's
//! entries, or deletes the older files before it writes `N.compact`.
//!
//! Spark's write is `log::write_atomic` and Spark's compaction is `CompactibleLog::add`; this
//! module must never change them, only stand in for them when a seam says so.

use super::compactible::{CompactibleLog, LogEntry, to_lines};
use super::error::{Result, io_err};
use super::log::{LogFile, WriteCtx, rename_error, sync_file, temp_path, write_renamed};
use crate::faults::{CrashPoint, FaultPlan};
use crate::seams::{Compaction, FailedFsync, LogFsync, LogLayout};
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
            let unsynced = Unsynced { storage: ctx.storage, files: false };
            Some(write_renamed(&unsynced, ctx.faults, log, path, bytes))
        }
        (LogLayout::Renamed, LogFsync::FileOnly) => {
            let unsynced = Unsynced { storage: ctx.storage, files: true };
            Some(write_renamed(&unsynced, ctx.faults, log, path, bytes))
        }
        (LogLayout::Renamed, LogFsync::AfterRename) => Some(write_renamed_then_synced(ctx, log, path, bytes)),
        (LogLayout::Renamed, LogFsync::FileAndDir) => None,
    }
}

/// The failed-fsync seam bent: a failed fsync is tried again, and a success is trusted.
pub(super) fn bent_failed_fsync(
    storage: &dyn Storage,
    faults: &FaultPlan,
    path: &Path,
    synced: io::Result<()>,
) -> io::Result<()> {
    match (synced, faults.seams().failed_fsync) {
        (Err(_), FailedFsync::RetriedAndTrusted) => storage.sync_file(path),
        (synced, _) => synced,
    }
}

/// Temp file, crash point, rename, crash point, and only then the fsync of the file's data and
/// of the directory: a power loss between the rename and the fsync may keep the name and lose
/// the data.
fn write_renamed_then_synced(ctx: &mut WriteCtx<'_>, log: &'static str, path: &Path, bytes: &[u8]) -> Result<()> {
    let (storage, dir, temp) = (ctx.storage, path.parent().unwrap_or(Path::new("/")), temp_path(path));
    storage.write(&temp, bytes).map_err(io_err(log, &temp, "write the temp file"))?;
    ctx.faults.hit(CrashPoint::DuringLogWrite)?;
    storage.rename_no_replace(&temp, path).map_err(|e| rename_error(storage, log, &temp, path, e))?;
    ctx.faults.hit(CrashPoint::BeforeLogDirSync)?;
    sync_file(storage, ctx.faults, path).map_err(io_err(log, path, "fsync the file"))?;
    storage.sync_dir(dir).map_err(io_err(log, dir, "fsync the directory"))
}

/// A compaction as the compaction seam bends it, or `None` when it is Spark's.
pub(super) fn bent_compaction<T: LogEntry>(
    log: &CompactibleLog<T>,
    ctx: &mut WriteCtx<'_>,
    id: u64,
    entries: &[T],
) -> Option<Result<()>> {
    let file = LogFile { id, compact: true };
    match ctx.faults.seams().compaction {
        Compaction::Complete => None,
        Compaction::DropsOwnBatch => {
            Some(log.all_entries(ctx.storage).and_then(|all| log.log().write(ctx, file, &to_lines(&all))))
        }
        Compaction::DeletesFirst => Some(log.all_entries(ctx.storage).and_then(|mut all| {
            all.extend_from_slice(entries);
            log.log().purge_below(ctx.storage, id)?;
            log.log().write(ctx, file, &to_lines(&all))
        })),
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

/// A storage whose directory fsyncs do nothing, and its file fsyncs too unless `files`;
/// everything else goes to the storage underneath.
struct Unsynced<'a> {
    storage: &'a dyn Storage,
    files: bool,
}

impl Storage for Unsynced<'_> {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.storage.read(path)
    }
    fn write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.storage.write(path, data)
    }
    fn sync_file(&self, path: &Path) -> io::Result<()> {
        if self.files { self.storage.sync_file(path) } else { Ok(()) }
    }
    fn rename_no_replace(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.storage.rename_no_replace(from, to)
    }
    fn sync_dir(&self, _: &Path) -> io::Result<()> {
        Ok(())
    }
    fn list(&self, dir: &Path) -> io::Result<Vec<DirEntry>> {
        self.storage.list(dir)
    }
    fn stat(&self, path: &Path) -> io::Result<DirEntry> {
        self.storage.stat(path)
    }
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        self.storage.create_dir_all(dir)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.storage.remove_file(path)
    }
    fn remove_dir_all(&self, dir: &Path) -> io::Result<()> {
        self.storage.remove_dir_all(dir)
    }
    fn set_mtime(&self, path: &Path, mtime_ms: i64) -> io::Result<()> {
        self.storage.set_mtime(path, mtime_ms)
    }
    fn lock(&self, path: &Path) -> io::Result<LockGuard> {
        self.storage.lock(path)
    }
}
