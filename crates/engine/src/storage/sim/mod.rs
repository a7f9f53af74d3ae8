//! A simulated file system in memory, with a live image, a durable image, and the operations in
//! between: what a power loss may keep or lose.
//!
//! Like redb's `CrashBackend` and turmoil's simulated disk, only `sync_file` makes a file's data
//! durable and only `sync_dir` makes the names in a directory durable (files created, renamed or
//! deleted there, and directories made there). Until then each such operation is *unsynced*: a
//! power loss may keep it or lose it, independently of the others (ALICE's and CrashMonkey's
//! model), and a file's last write may be torn. [`crash`] lists these operations and applies a
//! chosen crash state; [`SimStorage::power_loss`] keeps none of them, as a disk that wrote
//! nothing back would. A process crash loses nothing: the page cache survives it.
//!
//! A handle made by [`SimStorage::for_process`] also injects I/O errors ([`IoFault`]) and
//! models fsyncgate: after a failed fsync the data stays readable but will never reach the disk.
//!
//! This module simulates a disk; it must never know what the files mean.

mod crash;
mod inject;

pub use crash::{CrashSpace, DiskModel, TORN_BLOCK_BYTES, UnsyncedKind, UnsyncedOp, op_names};
pub use inject::FiredIoError;

use super::fault::{IoFault, IoOp};
use super::{DirEntry, EntryKind, LockGuard, Storage, file_name};
use inject::Injector;
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// One version of a file's contents written since its last fsync.
#[derive(Debug, Clone)]
struct Version {
    /// When, in the file system's sequence of operations.
    seq: u64,
    /// The path the file had when it was written, to name the write.
    path: PathBuf,
    data: Arc<[u8]>,
}

#[derive(Debug, Clone)]
struct Inode {
    /// What reads see.
    live: Arc<[u8]>,
    /// What the disk holds as of the last successful fsync.
    durable: Arc<[u8]>,
    /// Versions written since, oldest first. A failed fsync empties it without making anything
    /// durable: that data is gone from the disk's point of view (fsyncgate).
    unsynced: Vec<Version>,
    mtime_ms: i64,
}

/// A change to a directory's entries that its directory's fsync has not made durable yet.
#[derive(Debug, Clone, PartialEq, Eq)]
enum EntryOp {
    /// A new file's name.
    Create { path: PathBuf, ino: usize },
    /// A rename; settled by the fsync of the destination's directory.
    Rename { from: PathBuf, to: PathBuf, ino: usize },
    /// A removed file's name.
    Unlink { path: PathBuf, ino: usize },
    /// A new directory.
    Mkdir { path: PathBuf },
}

impl EntryOp {
    /// The directory whose fsync makes this operation durable.
    fn dir(&self) -> &Path {
        let path = match self {
            EntryOp::Create { path, .. } | EntryOp::Unlink { path, .. } | EntryOp::Mkdir { path } => path,
            EntryOp::Rename { to, .. } => to,
        };
        path.parent().unwrap_or(Path::new("/"))
    }

    /// True if the operation names `path`.
    fn involves(&self, path: &Path) -> bool {
        match self {
            EntryOp::Create { path: p, .. } | EntryOp::Unlink { path: p, .. } | EntryOp::Mkdir { path: p } => p == path,
            EntryOp::Rename { from, to, .. } => from == path || to == path,
        }
    }
}

#[derive(Debug, Clone)]
struct Pending {
    seq: u64,
    op: EntryOp,
    /// For a rename: the sequence number of the file's newest unsynced version at that moment,
    /// which ext4's `data=ordered` (with `auto_da_alloc`) writes out with the rename.
    data_at: Option<u64>,
}

/// An entry that is neither a regular file nor a directory, as only the user's hands make one
/// (the engine never does): durable at once, and no power loss takes it back.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Special {
    /// A symlink to this path, which need not exist.
    Link(PathBuf),
    /// A FIFO, a socket: never opened. The text says which (`a FIFO`).
    Other(String),
}

/// How many symlinks a path may go through, as Linux's `MAXSYMLINKS`: more is a loop.
const MAX_LINKS: usize = 40;

/// What a path is with its symlinks followed.
enum Followed<'a> {
    File(usize),
    Dir,
    Missing,
    Loop,
    Other(&'a str),
}

/// What the simulated disk holds: inodes with a live and a durable image each, the names that
/// point at them and the directories (live, and durable as of each directory's last fsync), the
/// unsynced directory operations in between, symlinks, FIFOs and sockets, locks and the clock.
#[derive(Debug, Clone, Default)]
struct FileSystem {
    inodes: Vec<Inode>,
    live_names: BTreeMap<PathBuf, usize>,
    durable_names: BTreeMap<PathBuf, usize>,
    live_dirs: BTreeSet<PathBuf>,
    durable_dirs: BTreeSet<PathBuf>,
    specials: BTreeMap<PathBuf, Special>,
    pending: Vec<Pending>,
    seq: u64,
    locks: BTreeSet<PathBuf>,
    clock_ms: i64,
}

/// [`Storage`] in memory. Clones share one file system; [`SimStorage::fork`] copies it.
#[derive(Debug, Clone, Default)]
pub struct SimStorage {
    fs: Arc<Mutex<FileSystem>>,
    /// I/O errors to inject, for a handle made by [`SimStorage::for_process`].
    injector: Option<Arc<Mutex<Injector>>>,
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("{}: no such file", path.display()))
}

/// True for `/` (or an empty path): the root always exists and is never created.
fn is_root(path: &Path) -> bool {
    path.parent().is_none() || path.as_os_str().is_empty()
}

impl SimStorage {
    /// An empty file system whose clock starts at `clock_ms`.
    pub fn new(clock_ms: i64) -> Self {
        let sim = Self::default();
        sim.fs().clock_ms = clock_ms;
        sim
    }

    fn fs(&self) -> MutexGuard<'_, FileSystem> {
        // A poisoned lock only means an injected panic elsewhere; the data is still whole.
        self.fs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An independent copy of the file system as it is now, durable and unsynced parts alike:
    /// a fork of the simulated world. File contents are shared until written, so this is cheap.
    pub fn fork(&self) -> SimStorage {
        SimStorage { fs: Arc::new(Mutex::new(self.fs().clone())), injector: None }
    }

    /// A guard for a lock that this file system records as held but no guard of this copy
    /// holds (a [`SimStorage::fork`] copies the locks, not their holders): the fork's holder
    /// adopts it, and dropping the guard releases it. `None` if the lock is not held.
    pub fn adopt_lock(&self, path: &Path) -> Option<LockGuard> {
        let held = self.fs().locks.contains(path);
        held.then(|| LockGuard(Box::new(SimLock { sim: self.clone(), path: path.to_path_buf() })))
    }

    /// Sets the time that new writes are stamped with.
    pub fn set_clock_ms(&self, clock_ms: i64) {
        self.fs().clock_ms = clock_ms;
    }

    /// Every file path, sorted.
    pub fn all_files(&self) -> Vec<PathBuf> {
        self.fs().live_names.keys().cloned().collect()
    }

    /// A handle on the same file system for one process: the `hit`-th operation that `fault`
    /// counts fails, and with `record` every operation is logged (see [`SimStorage::io_log`]).
    pub fn for_process(&self, fault: Option<IoFault>, record: bool) -> SimStorage {
        let injector = Injector::new(fault, record);
        SimStorage { fs: self.fs.clone(), injector: Some(Arc::new(Mutex::new(injector))) }
    }

    /// The injected I/O error that fired through this handle, if one did.
    pub fn fired(&self) -> Option<FiredIoError> {
        self.injector.as_ref().and_then(|i| lock(i).fired.clone())
    }

    /// Every operation made through this handle, in order, if it records them.
    pub fn io_log(&self) -> Vec<(IoOp, PathBuf)> {
        self.injector.as_ref().map(|i| lock(i).log.clone()).unwrap_or_default()
    }

    /// Counts an operation; fails it if it is the one the handle's fault names.
    fn inject(&self, op: IoOp, path: &Path) -> io::Result<()> {
        match &self.injector {
            Some(injector) => lock(injector).operation(op, path),
            None => Ok(()),
        }
    }

    /// Makes `link` a symlink to `target` (which need not exist), as a user's `ln -s` does:
    /// durable at once. Reading the link reads its target; listing shows what the target is.
    pub fn make_symlink(&self, target: &Path, link: &Path) -> io::Result<()> {
        self.fs().make_special(link, Special::Link(target.to_path_buf()))
    }

    /// Makes `path` an entry that is neither a file nor a directory (`what`: `a FIFO`, `a
    /// socket`), as a user's `mkfifo` does: durable at once, listed as such, never readable.
    pub fn make_special(&self, path: &Path, what: &str) -> io::Result<()> {
        self.fs().make_special(path, Special::Other(what.to_string()))
    }

    /// Makes one path durable as it is now, and only it: its data, its name (present or gone)
    /// and a new directory's own name. Nothing else that is unsynced changes. For the user's own
    /// hands in a scenario, which are not the engine's writes and face no power loss.
    pub fn make_durable(&self, path: &Path) {
        let mut fs = self.fs();
        if let Some(&ino) = fs.live_names.get(path) {
            let inode = &mut fs.inodes[ino];
            inode.durable = inode.live.clone();
            inode.unsynced.clear();
            fs.durable_names.insert(path.to_path_buf(), ino);
        } else {
            fs.durable_names.remove(path);
        }
        if fs.live_dirs.contains(path) {
            fs.durable_dirs.insert(path.to_path_buf());
        }
        fs.pending.retain(|p| !p.op.involves(path));
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl FileSystem {
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn inode(&self, path: &Path) -> io::Result<&Inode> {
        let id = self.live_names.get(path).ok_or_else(|| not_found(path))?;
        Ok(&self.inodes[*id])
    }

    fn exists(&self, path: &Path) -> bool {
        self.live_names.contains_key(path) || self.live_dirs.contains(path) || self.specials.contains_key(path)
    }

    fn make_special(&mut self, path: &Path, special: Special) -> io::Result<()> {
        self.ensure_parent(path)?;
        if self.exists(path) {
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, format!("{}: already exists", path.display())));
        }
        self.specials.insert(path.to_path_buf(), special);
        Ok(())
    }

    /// `path` with its symlinks followed.
    fn follow(&self, path: &Path) -> Followed<'_> {
        let mut at = path;
        for _ in 0..=MAX_LINKS {
            match self.specials.get(at) {
                Some(Special::Link(target)) => at = target,
                Some(Special::Other(what)) => return Followed::Other(what),
                None if self.live_dirs.contains(at) || is_root(at) => return Followed::Dir,
                None => return self.live_names.get(at).map_or(Followed::Missing, |ino| Followed::File(*ino)),
            }
        }
        Followed::Loop
    }

    /// A symlink, FIFO or socket as a listing shows it, its symlinks followed.
    fn special_entry(&self, path: &Path, special: &Special) -> DirEntry {
        let (kind, len, mtime_ms) = match self.follow(path) {
            Followed::File(ino) => (EntryKind::File, self.inodes[ino].live.len() as u64, self.inodes[ino].mtime_ms),
            Followed::Dir => (EntryKind::Dir, 0, 0),
            Followed::Missing => (EntryKind::Other("a dangling symlink".into()), 0, 0),
            Followed::Loop => (EntryKind::Other("a symlink loop".into()), 0, 0),
            Followed::Other(what) => (EntryKind::Other(what.into()), 0, 0),
        };
        let symlink = matches!(special, Special::Link(_));
        DirEntry { name: file_name(path), path: path.to_path_buf(), kind, symlink, len, mtime_ms }
    }

    /// A regular file's contents, its symlinks followed; anything else is an error, never a
    /// read that blocks.
    fn read_followed(&self, path: &Path) -> io::Result<Vec<u8>> {
        let not_regular =
            |what: &str| io::Error::new(io::ErrorKind::InvalidInput, format!("not a regular file but {what}"));
        match self.follow(path) {
            Followed::File(ino) => Ok(self.inodes[ino].live.to_vec()),
            Followed::Dir => Err(not_regular("a directory")),
            Followed::Missing => Err(not_found(path)),
            Followed::Loop => Err(not_regular("a symlink loop")),
            Followed::Other(what) => Err(not_regular(what)),
        }
    }

    fn ensure_parent(&self, path: &Path) -> io::Result<()> {
        match path.parent() {
            Some(parent) if !is_root(parent) && !self.live_dirs.contains(parent) => Err(not_found(parent)),
            _ => Ok(()),
        }
    }

    fn entry(&self, path: &Path) -> io::Result<DirEntry> {
        if self.live_dirs.contains(path) || is_root(path) {
            return Ok(dir_entry(path));
        }
        if let Some(special) = self.specials.get(path) {
            return Ok(self.special_entry(path, special));
        }
        Ok(file_entry(path, self.inode(path)?))
    }

    fn record(&mut self, op: EntryOp, data_at: Option<u64>) {
        let seq = self.next_seq();
        self.pending.push(Pending { seq, op, data_at });
    }

    /// Writes `data` as the file's new contents (created if new), unsynced.
    fn write_file(&mut self, path: &Path, data: &[u8]) {
        let now = self.clock_ms;
        let ino = match self.live_names.get(path).copied() {
            Some(ino) => ino,
            None => {
                let ino = self.inodes.len();
                let empty: Arc<[u8]> = Arc::from(&[][..]);
                self.inodes.push(Inode { live: empty.clone(), durable: empty, unsynced: Vec::new(), mtime_ms: now });
                self.live_names.insert(path.to_path_buf(), ino);
                self.record(EntryOp::Create { path: path.to_path_buf(), ino }, None);
                ino
            }
        };
        let seq = self.next_seq();
        let data: Arc<[u8]> = Arc::from(data);
        let inode = &mut self.inodes[ino];
        inode.live = data.clone();
        inode.mtime_ms = now;
        inode.unsynced.push(Version { seq, path: path.to_path_buf(), data });
    }

    /// A directory's fsync: its entries as they are live become durable.
    fn settle_dir(&mut self, dir: &Path) {
        let live: Vec<(PathBuf, usize)> = children(&self.live_names, dir).map(|(p, i)| (p.clone(), *i)).collect();
        let stale: Vec<PathBuf> = children(&self.durable_names, dir).map(|(p, _)| p.clone()).collect();
        for path in stale {
            self.durable_names.remove(&path);
        }
        self.durable_names.extend(live);
        let live_dirs: Vec<PathBuf> = child_dirs(&self.live_dirs, dir).cloned().collect();
        let stale_dirs: Vec<PathBuf> = child_dirs(&self.durable_dirs, dir).cloned().collect();
        for path in stale_dirs {
            self.durable_dirs.remove(&path);
        }
        self.durable_dirs.extend(live_dirs);
        self.pending.retain(|p| p.op.dir() != dir);
    }
}

/// A regular file's entry: its own name, never a symlink's.
fn file_entry(path: &Path, inode: &Inode) -> DirEntry {
    DirEntry {
        name: file_name(path),
        path: path.to_path_buf(),
        kind: EntryKind::File,
        symlink: false,
        len: inode.live.len() as u64,
        mtime_ms: inode.mtime_ms,
    }
}

fn dir_entry(path: &Path) -> DirEntry {
    DirEntry {
        name: file_name(path),
        path: path.to_path_buf(),
        kind: EntryKind::Dir,
        symlink: false,
        len: 0,
        mtime_ms: 0,
    }
}

/// The entries of `map` directly in `dir`. Paths order by component, so a directory's subtree
/// is one contiguous range: this costs the size of the subtree, not of the whole file system.
fn children<'a, V>(map: &'a BTreeMap<PathBuf, V>, dir: &'a Path) -> impl Iterator<Item = (&'a PathBuf, &'a V)> {
    map.range::<Path, _>((Bound::Excluded(dir), Bound::Unbounded))
        .take_while(move |(p, _)| p.starts_with(dir))
        .filter(move |(p, _)| p.parent() == Some(dir))
}

/// The directories of `set` directly in `dir`.
fn child_dirs<'a>(set: &'a BTreeSet<PathBuf>, dir: &'a Path) -> impl Iterator<Item = &'a PathBuf> {
    set.range::<Path, _>((Bound::Excluded(dir), Bound::Unbounded))
        .take_while(move |p| p.starts_with(dir))
        .filter(move |p| p.parent() == Some(dir))
}

impl Storage for SimStorage {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.inject(IoOp::Read, path)?;
        self.fs().read_followed(path)
    }

    fn write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.fs().ensure_parent(path)?;
        if self.fs().specials.contains_key(path) {
            let msg =
                format!("{}: a symlink, FIFO or socket; the simulated disk writes regular files only", path.display());
            return Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
        }
        if let Err(e) = self.inject(IoOp::Write, path) {
            // The open created (or truncated) the file; the write itself failed.
            self.fs().write_file(path, &[]);
            return Err(e);
        }
        self.fs().write_file(path, data);
        Ok(())
    }

    fn sync_file(&self, path: &Path) -> io::Result<()> {
        let failed = self.inject(IoOp::Fsync, path);
        let mut fs = self.fs();
        let id = *fs.live_names.get(path).ok_or_else(|| not_found(path))?;
        let inode = &mut fs.inodes[id];
        if failed.is_ok()
            && let Some(last) = inode.unsynced.last()
        {
            inode.durable = last.data.clone();
        }
        // On success the data is durable; on failure the kernel marked the pages clean although
        // they never reached the disk, so no later fsync will write them either (fsyncgate).
        inode.unsynced.clear();
        failed
    }

    fn rename_no_replace(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.inject(IoOp::Rename, to)?;
        let mut fs = self.fs();
        if fs.exists(to) {
            let msg = format!("{}: already exists", to.display());
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, msg));
        }
        fs.ensure_parent(to)?;
        let ino = fs.live_names.remove(from).ok_or_else(|| not_found(from))?;
        fs.live_names.insert(to.to_path_buf(), ino);
        let data_at = fs.inodes[ino].unsynced.last().map(|v| v.seq);
        fs.record(EntryOp::Rename { from: from.to_path_buf(), to: to.to_path_buf(), ino }, data_at);
        Ok(())
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        self.inject(IoOp::Fsync, dir)?;
        let mut fs = self.fs();
        if !fs.live_dirs.contains(dir) && !is_root(dir) {
            return Err(not_found(dir));
        }
        fs.settle_dir(dir);
        Ok(())
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<DirEntry>> {
        self.inject(IoOp::List, dir)?;
        let fs = self.fs();
        if !fs.live_dirs.contains(dir) && !is_root(dir) {
            return Err(not_found(dir));
        }
        let files = children(&fs.live_names, dir).map(|(path, id)| file_entry(path, &fs.inodes[*id]));
        let subdirs = child_dirs(&fs.live_dirs, dir).map(|p| dir_entry(p));
        let specials = children(&fs.specials, dir).map(|(path, special)| fs.special_entry(path, special));
        let mut entries: Vec<DirEntry> = files.chain(subdirs).chain(specials).collect();
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    fn stat(&self, path: &Path) -> io::Result<DirEntry> {
        self.fs().entry(path)
    }

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        let missing: Vec<PathBuf> = {
            let fs = self.fs();
            let mut missing: Vec<PathBuf> =
                dir.ancestors().filter(|a| !is_root(a) && !fs.live_dirs.contains(*a)).map(Path::to_path_buf).collect();
            missing.reverse();
            if let Some(file) = dir.ancestors().find(|a| fs.live_names.contains_key(*a)) {
                let msg = format!("{}: not a directory", file.display());
                return Err(io::Error::new(io::ErrorKind::NotADirectory, msg));
            }
            missing
        };
        if missing.is_empty() {
            return Ok(());
        }
        self.inject(IoOp::Mkdir, dir)?;
        let mut fs = self.fs();
        // Each new directory's name is durable only once its parent is fsynced.
        for path in missing {
            fs.live_dirs.insert(path.clone());
            fs.record(EntryOp::Mkdir { path }, None);
        }
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.inject(IoOp::Remove, path)?;
        let mut fs = self.fs();
        // A symlink, FIFO or socket goes as it came: at once (only the user's hands make one).
        if fs.specials.remove(path).is_some() {
            return Ok(());
        }
        let ino = fs.live_names.remove(path).ok_or_else(|| not_found(path))?;
        fs.record(EntryOp::Unlink { path: path.to_path_buf(), ino }, None);
        Ok(())
    }

    fn remove_dir_all(&self, dir: &Path) -> io::Result<()> {
        self.inject(IoOp::Remove, dir)?;
        let mut fs = self.fs();
        if !fs.live_dirs.contains(dir) {
            return Err(not_found(dir));
        }
        // Durable at once: the engine never removes a tree; a user who does waits for it.
        fs.live_names.retain(|p, _| !p.starts_with(dir));
        fs.durable_names.retain(|p, _| !p.starts_with(dir));
        fs.live_dirs.retain(|p| !p.starts_with(dir));
        fs.durable_dirs.retain(|p| !p.starts_with(dir));
        fs.specials.retain(|p, _| !p.starts_with(dir));
        fs.pending.retain(|p| !p.op.dir().starts_with(dir));
        Ok(())
    }

    fn lock(&self, path: &Path) -> io::Result<LockGuard> {
        // An injected failure takes no lock: the file system refused it.
        self.inject(IoOp::Lock, path)?;
        if !self.fs().locks.insert(path.to_path_buf()) {
            let msg = format!("{}: locked by another holder", path.display());
            return Err(io::Error::new(io::ErrorKind::WouldBlock, msg));
        }
        Ok(LockGuard(Box::new(SimLock { sim: self.clone(), path: path.to_path_buf() })))
    }

    fn set_mtime(&self, path: &Path, mtime_ms: i64) -> io::Result<()> {
        let mut fs = self.fs();
        let id = *fs.live_names.get(path).ok_or_else(|| not_found(path))?;
        fs.inodes[id].mtime_ms = mtime_ms;
        Ok(())
    }
}

/// Releases a simulated lock when dropped, as the OS does when a process dies.
struct SimLock {
    sim: SimStorage,
    path: PathBuf,
}

impl Drop for SimLock {
    fn drop(&mut self) {
        self.sim.fs().locks.remove(&self.path);
    }
}

#[cfg(test)]
mod tests;
