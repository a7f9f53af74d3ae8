//! The real file system.

use super::{DirEntry, EntryKind, LockGuard, Storage, file_name};
use std::fs;
use std::io;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// [`Storage`] on the real file system, with real fsyncs.
#[derive(Debug, Default, Clone, Copy)]
pub struct DiskStorage;

fn mtime_ms(meta: &fs::Metadata) -> i64 {
    meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn entry(path: &Path, meta: &fs::Metadata, symlink: bool) -> DirEntry {
    let kind = if meta.is_file() {
        EntryKind::File
    } else if meta.is_dir() {
        EntryKind::Dir
    } else {
        EntryKind::Other(special_kind(meta).into())
    };
    let len = if kind == EntryKind::File { meta.len() } else { 0 };
    DirEntry { name: file_name(path), path: path.to_path_buf(), kind, symlink, len, mtime_ms: mtime_ms(meta) }
}

#[cfg(unix)]
fn special_kind(meta: &fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() || kind.is_char_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

#[cfg(not(unix))]
fn special_kind(_meta: &fs::Metadata) -> &'static str {
    "not a regular file"
}

/// Describes `path` with symlinks followed; `None` if it vanished (a race with a delete).
fn describe(path: &Path) -> io::Result<Option<DirEntry>> {
    let own = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if !own.file_type().is_symlink() {
        return Ok(Some(entry(path, &own, false)));
    }
    let other = |what: String| DirEntry {
        name: file_name(path),
        path: path.to_path_buf(),
        kind: EntryKind::Other(what),
        symlink: true,
        len: 0,
        mtime_ms: mtime_ms(&own),
    };
    Ok(Some(match fs::metadata(path) {
        Ok(target) => entry(path, &target, true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => other("a dangling symlink".into()),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => other("a symlink loop".into()),
        Err(e) => other(format!("a symlink that cannot be followed ({e})")),
    }))
}

/// Opens a file for reading without ever blocking: a FIFO opened for reading waits for a
/// writer, so it is opened non-blocking and refused unless it is a regular file.
fn open_regular(path: &Path) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        let what = if meta.is_dir() { "a directory" } else { special_kind(&meta) };
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("not a regular file but {what}")));
    }
    Ok(file)
}

impl Storage for DiskStorage {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let mut file = open_regular(path)?;
        let mut bytes = Vec::with_capacity(file.metadata().map_or(0, |m| m.len() as usize));
        file.read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    fn write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        fs::write(path, data)
    }

    fn sync_file(&self, path: &Path) -> io::Result<()> {
        fs::File::open(path)?.sync_all()
    }

    fn rename_no_replace(&self, from: &Path, to: &Path) -> io::Result<()> {
        // A hard link fails when the target exists, so link + unlink never overwrites.
        fs::hard_link(from, to)?;
        fs::remove_file(from)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        fs::File::open(dir)?.sync_all()
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<DirEntry>> {
        let mut entries = Vec::new();
        for item in fs::read_dir(dir)? {
            if let Some(entry) = describe(&item?.path())? {
                entries.push(entry);
            }
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    fn stat(&self, path: &Path) -> io::Result<DirEntry> {
        let gone = || io::Error::new(io::ErrorKind::NotFound, "no such file");
        describe(path)?.ok_or_else(gone)
    }

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        // Durable only once each new directory's parent is fsynced: see `create_dir_durable`.
        fs::create_dir_all(dir)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }

    fn remove_dir_all(&self, dir: &Path) -> io::Result<()> {
        fs::remove_dir_all(dir)
    }

    fn lock(&self, path: &Path) -> io::Result<LockGuard> {
        let file = fs::OpenOptions::new().create(true).truncate(false).write(true).open(path)?;
        flock_exclusive(&file)?;
        Ok(LockGuard(Box::new(HeldLock(file))))
    }

    fn set_mtime(&self, path: &Path, mtime_ms: i64) -> io::Result<()> {
        let time = UNIX_EPOCH + Duration::from_millis(mtime_ms.max(0) as u64);
        let file = fs::OpenOptions::new().write(true).open(path)?;
        file.set_times(fs::FileTimes::new().set_modified(time).set_accessed(SystemTime::UNIX_EPOCH))
    }
}

/// A flock held on an open file, released explicitly when dropped.
///
/// A flock belongs to the open file description, not to the process: a child forked by any
/// thread (to spawn a program) holds a copy of the descriptor until it calls exec, and closing
/// ours would then leave the lock held by that copy. `LOCK_UN` releases it whoever holds a copy;
/// the process dying still releases it too, as the kernel closes every descriptor.
struct HeldLock(fs::File);

impl Drop for HeldLock {
    fn drop(&mut self) {
        unlock(&self.0);
    }
}

#[cfg(unix)]
fn unlock(file: &fs::File) {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a descriptor this function borrows; no memory is shared. A failure
    // leaves the lock to be released when the descriptor closes, just after.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_UN) };
}

#[cfg(not(unix))]
fn unlock(_file: &fs::File) {}

#[cfg(unix)]
fn flock_exclusive(file: &fs::File) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a descriptor this function borrows; no memory is shared.
    let result = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if result == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
}

#[cfg(not(unix))]
fn flock_exclusive(_file: &fs::File) -> io::Result<()> {
    Ok(())
}
