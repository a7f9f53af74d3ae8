//! The one small storage interface through which the engine does all its file I/O.
//!
//! Two backends implement it: [`DiskStorage`] on the real file system and [`SimStorage`], an
//! in-memory file system that the harness can crash. Nothing in this module knows about
//! checkpoints, batches or sinks; it must never import from the layers above it.

mod disk;
mod fault;
mod sim;

pub use disk::DiskStorage;
pub use fault::{IoErrno, IoFault, IoOp, glob_matches, is_runtime_io_error, what_to_do};
pub use sim::{CrashSpace, DiskModel, FiredIoError, SimStorage, TORN_BLOCK_BYTES, UnsyncedKind, UnsyncedOp, op_names};

use std::io;
use std::path::{Path, PathBuf};

/// What a directory entry is, with symlinks followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file, or a symlink to one.
    File,
    /// A directory, or a symlink to one.
    Dir,
    /// Anything else, which must never be opened as a file: a FIFO, a socket, a device, a
    /// dangling symlink, a symlink loop. The text says which.
    Other(String),
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The file name, without its directory.
    pub name: String,
    /// The full path.
    pub path: PathBuf,
    /// What it is, with symlinks followed.
    pub kind: EntryKind,
    /// True if the entry itself is a symlink.
    pub symlink: bool,
    /// Size in bytes (0 for anything but a file).
    pub len: u64,
    /// Modification time in milliseconds since the Unix epoch.
    pub mtime_ms: i64,
}

impl DirEntry {
    /// True for a directory (or a symlink to one).
    pub fn is_dir(&self) -> bool {
        self.kind == EntryKind::Dir
    }

    /// True for a regular file (or a symlink to one): the only kind the engine reads.
    pub fn is_file(&self) -> bool {
        self.kind == EntryKind::File
    }
}

/// File operations the engine needs, and nothing more.
///
/// Durability follows POSIX: data written by [`Storage::write`] is durable only after
/// [`Storage::sync_file`], and a directory entry (a file created, renamed or removed, a directory
/// created) only after [`Storage::sync_dir`] of its directory. [`create_dir_durable`] creates
/// directories and makes them durable.
pub trait Storage: Send + Sync {
    /// Reads a whole regular file; anything else (a FIFO, a directory, a device) is an error,
    /// never a read that blocks.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// Creates or truncates a file and writes `data` to it, without syncing.
    fn write(&self, path: &Path, data: &[u8]) -> io::Result<()>;
    /// Makes a file's contents durable.
    fn sync_file(&self, path: &Path) -> io::Result<()>;
    /// Renames `from` to `to`; fails with `AlreadyExists` if `to` exists.
    fn rename_no_replace(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Makes the entries of a directory (creations, renames, removals) durable.
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
    /// Lists a directory, sorted by name. A missing directory is `NotFound`; an entry that
    /// vanishes while the directory is listed is left out.
    fn list(&self, dir: &Path) -> io::Result<Vec<DirEntry>>;
    /// Describes one path, following symlinks.
    fn stat(&self, path: &Path) -> io::Result<DirEntry>;
    /// Creates a directory and its parents; each is durable only once its parent is fsynced.
    fn create_dir_all(&self, dir: &Path) -> io::Result<()>;
    /// Removes one file.
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    /// Removes a directory and everything in it.
    fn remove_dir_all(&self, dir: &Path) -> io::Result<()>;
    /// Sets a file's modification time, so that arrival order is under the caller's control.
    fn set_mtime(&self, path: &Path, mtime_ms: i64) -> io::Result<()>;

    /// Takes an exclusive lock on `path` (created if missing) for as long as the returned guard
    /// lives. Another holder makes it fail with `WouldBlock`; a dead process holds nothing.
    /// The default takes no lock at all, for wrappers that do not need one.
    fn lock(&self, path: &Path) -> io::Result<LockGuard> {
        let _ = path;
        Ok(LockGuard(Box::new(())))
    }

    /// True if the path exists.
    fn exists(&self, path: &Path) -> bool {
        self.stat(path).is_ok()
    }
}

/// Holds a lock taken with [`Storage::lock`] until dropped.
pub struct LockGuard(pub Box<dyn Send + Sync>);

impl std::fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LockGuard")
    }
}

/// A failed step of [`create_dir_durable`]: which directory, and what was attempted.
#[derive(Debug)]
pub struct DirError {
    /// The directory created, or the parent fsynced.
    pub path: PathBuf,
    /// "create the directory" or "fsync the directory".
    pub op: &'static str,
    /// The cause.
    pub error: io::Error,
}

/// Creates `dir` and its missing parents and makes each durable: fsyncs the parent of every
/// directory it created, top down. An existing directory costs one `stat`.
pub fn create_dir_durable(storage: &dyn Storage, dir: &Path) -> Result<(), DirError> {
    if storage.exists(dir) {
        return Ok(());
    }
    let missing: Vec<&Path> = dir.ancestors().take_while(|p| !p.as_os_str().is_empty() && !storage.exists(p)).collect();
    fn failed(path: &Path, op: &'static str) -> impl FnOnce(io::Error) -> DirError {
        let path = path.to_path_buf();
        move |error| DirError { path, op, error }
    }
    storage.create_dir_all(dir).map_err(failed(dir, "create the directory"))?;
    for created in missing.iter().rev() {
        if let Some(parent) = created.parent().filter(|p| !p.as_os_str().is_empty()) {
            storage.sync_dir(parent).map_err(failed(parent, "fsync the directory"))?;
        }
    }
    Ok(())
}

/// The file name of a path as a string, or "" when it has none.
pub fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}
