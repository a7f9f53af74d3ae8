//! A simulated file system in memory, with a live image and a durable image.
//!
//! Like redb's `CrashBackend` and turmoil's simulated disk, only `sync_file` makes contents
//! durable and only `sync_dir` makes names durable. [`SimStorage::power_loss`] throws away
//! everything else. A process crash loses nothing: the page cache survives it.

use super::{DirEntry, EntryKind, LockGuard, Storage, file_name};
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Debug, Clone, Default)]
struct Inode {
    live: Vec<u8>,
    durable: Vec<u8>,
    mtime_ms: i64,
}

/// What the simulated disk holds: inodes with a live and a durable image each, the names that
/// point at them (live, and as of the last directory fsync), directories, locks and the clock.
#[derive(Debug, Default)]
struct FileSystem {
    inodes: Vec<Inode>,
    live_names: BTreeMap<PathBuf, usize>,
    durable_names: BTreeMap<PathBuf, usize>,
    dirs: BTreeSet<PathBuf>,
    locks: BTreeSet<PathBuf>,
    clock_ms: i64,
}

/// [`Storage`] in memory. Clones share one file system.
#[derive(Debug, Clone, Default)]
pub struct SimStorage {
    fs: Arc<Mutex<FileSystem>>,
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("{}: no such file", path.display()))
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

    /// Sets the time that new writes are stamped with.
    pub fn set_clock_ms(&self, clock_ms: i64) {
        self.fs().clock_ms = clock_ms;
    }

    /// A power loss: every write and rename that was not synced is lost.
    pub fn power_loss(&self) {
        let mut fs = self.fs();
        fs.live_names = fs.durable_names.clone();
        for inode in &mut fs.inodes {
            inode.live = inode.durable.clone();
        }
    }

    /// Every file path, sorted.
    pub fn all_files(&self) -> Vec<PathBuf> {
        self.fs().live_names.keys().cloned().collect()
    }
}

impl FileSystem {
    fn inode(&self, path: &Path) -> io::Result<&Inode> {
        let id = self.live_names.get(path).ok_or_else(|| not_found(path))?;
        Ok(&self.inodes[*id])
    }

    fn ensure_parent(&self, path: &Path) -> io::Result<()> {
        match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() && !self.dirs.contains(parent) => Err(not_found(parent)),
            _ => Ok(()),
        }
    }

    fn entry(&self, path: &Path) -> io::Result<DirEntry> {
        if self.dirs.contains(path) {
            return Ok(dir_entry(path));
        }
        let inode = self.inode(path)?;
        Ok(file_entry(path, inode))
    }
}

/// The simulated disk has regular files and directories only: no symlinks, FIFOs or devices.
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

impl Storage for SimStorage {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        Ok(self.fs().inode(path)?.live.clone())
    }

    fn write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        let mut fs = self.fs();
        fs.ensure_parent(path)?;
        let now = fs.clock_ms;
        match fs.live_names.get(path).copied() {
            Some(id) => {
                fs.inodes[id].live = data.to_vec();
                fs.inodes[id].mtime_ms = now;
            }
            None => {
                let id = fs.inodes.len();
                fs.inodes.push(Inode { live: data.to_vec(), durable: Vec::new(), mtime_ms: now });
                fs.live_names.insert(path.to_path_buf(), id);
            }
        }
        Ok(())
    }

    fn sync_file(&self, path: &Path) -> io::Result<()> {
        let mut fs = self.fs();
        let id = *fs.live_names.get(path).ok_or_else(|| not_found(path))?;
        fs.inodes[id].durable = fs.inodes[id].live.clone();
        Ok(())
    }

    fn rename_no_replace(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut fs = self.fs();
        if fs.live_names.contains_key(to) {
            let msg = format!("{}: already exists", to.display());
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, msg));
        }
        fs.ensure_parent(to)?;
        let id = fs.live_names.remove(from).ok_or_else(|| not_found(from))?;
        fs.live_names.insert(to.to_path_buf(), id);
        Ok(())
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        let mut fs = self.fs();
        let live: Vec<(PathBuf, usize)> = children(&fs.live_names, dir).map(|(p, i)| (p.clone(), *i)).collect();
        let stale: Vec<PathBuf> = children(&fs.durable_names, dir).map(|(p, _)| p.clone()).collect();
        for path in stale {
            fs.durable_names.remove(&path);
        }
        fs.durable_names.extend(live);
        Ok(())
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<DirEntry>> {
        let fs = self.fs();
        if !fs.dirs.contains(dir) {
            return Err(not_found(dir));
        }
        let files = children(&fs.live_names, dir).map(|(path, id)| file_entry(path, &fs.inodes[*id]));
        let subdirs = fs
            .dirs
            .range::<Path, _>((Bound::Excluded(dir), Bound::Unbounded))
            .take_while(|p| p.starts_with(dir))
            .filter(|p| p.parent() == Some(dir))
            .map(|p| dir_entry(p));
        let mut entries: Vec<DirEntry> = files.chain(subdirs).collect();
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    fn stat(&self, path: &Path) -> io::Result<DirEntry> {
        self.fs().entry(path)
    }

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        let mut fs = self.fs();
        // Directories are durable at once: the model tracks file contents and names only.
        for ancestor in dir.ancestors() {
            if !ancestor.as_os_str().is_empty() {
                fs.dirs.insert(ancestor.to_path_buf());
            }
        }
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let mut fs = self.fs();
        fs.live_names.remove(path).ok_or_else(|| not_found(path))?;
        Ok(())
    }

    fn remove_dir_all(&self, dir: &Path) -> io::Result<()> {
        let mut fs = self.fs();
        if !fs.dirs.contains(dir) {
            return Err(not_found(dir));
        }
        fs.live_names.retain(|p, _| !p.starts_with(dir));
        fs.durable_names.retain(|p, _| !p.starts_with(dir));
        fs.dirs.retain(|p| !p.starts_with(dir));
        Ok(())
    }

    fn lock(&self, path: &Path) -> io::Result<LockGuard> {
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
mod tests {
    use super::*;

    fn sim_with_dir() -> SimStorage {
        let sim = SimStorage::new(0);
        sim.create_dir_all(Path::new("/d")).unwrap();
        sim
    }

    #[test]
    fn data_lost_without_sync() {
        let sim = sim_with_dir();
        sim.write(Path::new("/d/a"), b"x").unwrap();
        sim.sync_dir(Path::new("/d")).unwrap();
        sim.power_loss();
        assert_eq!(sim.read(Path::new("/d/a")).unwrap(), b"");
    }

    #[test]
    fn file_lost_without_dir_sync() {
        let sim = sim_with_dir();
        sim.write(Path::new("/d/a"), b"x").unwrap();
        sim.sync_file(Path::new("/d/a")).unwrap();
        sim.power_loss();
        assert!(!sim.exists(Path::new("/d/a")));
    }

    #[test]
    fn synced_rename_survives_power_loss() {
        let sim = sim_with_dir();
        sim.write(Path::new("/d/.a.tmp"), b"x").unwrap();
        sim.sync_file(Path::new("/d/.a.tmp")).unwrap();
        sim.rename_no_replace(Path::new("/d/.a.tmp"), Path::new("/d/a")).unwrap();
        sim.sync_dir(Path::new("/d")).unwrap();
        sim.power_loss();
        assert_eq!(sim.read(Path::new("/d/a")).unwrap(), b"x");
        assert!(!sim.exists(Path::new("/d/.a.tmp")));
    }

    #[test]
    fn list_and_sync_dir_see_only_direct_children() {
        let sim = SimStorage::new(0);
        for dir in ["/d/sub", "/d-x", "/d2", "/c"] {
            sim.create_dir_all(Path::new(dir)).unwrap();
        }
        for file in ["/d/a", "/d/sub/b", "/d-x/c", "/d2/e", "/c/f", "/d.txt"] {
            sim.write(Path::new(file), b"x").unwrap();
        }
        let names: Vec<String> = sim.list(Path::new("/d")).unwrap().into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["a", "sub"]);
        sim.sync_dir(Path::new("/d")).unwrap();
        sim.power_loss();
        assert_eq!(sim.all_files(), [PathBuf::from("/d/a")]);
    }

    #[test]
    fn a_lock_has_one_holder_until_dropped() {
        let sim = sim_with_dir();
        let guard = sim.lock(Path::new("/d/.lock")).unwrap();
        assert_eq!(sim.lock(Path::new("/d/.lock")).unwrap_err().kind(), io::ErrorKind::WouldBlock);
        drop(guard);
        assert!(sim.lock(Path::new("/d/.lock")).is_ok());
    }

    #[test]
    fn rename_never_replaces() {
        let sim = sim_with_dir();
        sim.write(Path::new("/d/a"), b"1").unwrap();
        sim.write(Path::new("/d/b"), b"2").unwrap();
        let err = sim.rename_no_replace(Path::new("/d/b"), Path::new("/d/a")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
    }
}
