//! The user's backup of what a tampering step is about to change, and the `restore` step that
//! puts it back, byte for byte: the file or directory as it was, or no file where the step wrote
//! a new one. It lets a scenario (and fuzz) undo what the user broke, so that the run after the
//! repair is judged: it must go on exactly once, as if the tampering had never been.
//!
//! A backup holds the files under one path and nothing else; it never reads past that path.

use crashpoint_engine::storage::{Storage, create_dir_durable};
use std::io;
use std::path::{Path, PathBuf};

/// What was under one path before a tampering step: its directories and files with their bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backup {
    path: PathBuf,
    dirs: Vec<PathBuf>,
    files: Vec<(PathBuf, Vec<u8>)>,
}

/// The user's hands on the disk: a file written or removed as the user does it (durable at once
/// on the simulated disk).
pub trait Hands {
    /// Writes a file whole.
    fn write(&self, path: &Path, bytes: &[u8]) -> io::Result<()>;
    /// Removes a file.
    fn remove(&self, path: &Path) -> io::Result<()>;
}

impl Backup {
    /// Copies what is under `path` now (nothing, if it does not exist).
    pub fn take(storage: &dyn Storage, path: &Path) -> io::Result<Backup> {
        let mut backup = Backup { path: path.to_path_buf(), ..Backup::default() };
        backup.walk(storage, path)?;
        Ok(backup)
    }

    fn walk(&mut self, storage: &dyn Storage, path: &Path) -> io::Result<()> {
        let entry = match storage.stat(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            other => other?,
        };
        if !entry.is_dir() {
            self.files.push((path.to_path_buf(), storage.read(path)?));
            return Ok(());
        }
        self.dirs.push(path.to_path_buf());
        let mut children = storage.list(path)?;
        children.sort_by(|a, b| a.path.cmp(&b.path));
        children.iter().try_for_each(|child| self.walk(storage, &child.path))
    }

    /// Puts it back: what is under the path now goes, and what the backup holds comes back.
    pub fn restore(&self, storage: &dyn Storage, hands: &dyn Hands) -> io::Result<()> {
        let dir = |e: crashpoint_engine::storage::DirError| {
            io::Error::new(e.error.kind(), format!("{}: {}", e.path.display(), e.error))
        };
        match storage.stat(&self.path) {
            Ok(entry) if entry.is_dir() => storage.remove_dir_all(&self.path)?,
            Ok(_) => hands.remove(&self.path)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        for path in &self.dirs {
            create_dir_durable(storage, path).map_err(dir)?;
        }
        for (path, bytes) in &self.files {
            if let Some(parent) = path.parent() {
                create_dir_durable(storage, parent).map_err(dir)?;
            }
            hands.write(path, bytes)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crashpoint_engine::storage::SimStorage;

    struct Plain<'a>(&'a SimStorage);

    impl Hands for Plain<'_> {
        fn write(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
            self.0.write(path, bytes)
        }
        fn remove(&self, path: &Path) -> io::Result<()> {
            self.0.remove_file(path)
        }
    }

    #[test]
    fn a_restore_puts_back_exactly_what_was_there() {
        // Goal: a restore undoes a deletion, an overwrite and a new file, and a whole directory
        // comes back with every file in it, byte for byte. Method: a simulated disk; back up,
        // tamper, restore, and compare every file.
        let sim = SimStorage::new(0);
        let p = |s: &str| PathBuf::from(s);
        sim.create_dir_all(&p("/w/out/_log")).unwrap();
        sim.write(&p("/w/out/_log/0"), b"v1\nzero").unwrap();
        sim.write(&p("/w/out/_log/1"), b"v1\none").unwrap();
        let files = |sim: &SimStorage| -> Vec<(PathBuf, Vec<u8>)> {
            sim.all_files().into_iter().map(|f| (f.clone(), sim.read(&f).unwrap())).collect()
        };
        let before = files(&sim);
        for (path, tamper) in [
            ("/w/out/_log", &(|s: &SimStorage| s.remove_dir_all(&p("/w/out/_log"))) as &dyn Fn(&SimStorage) -> _),
            ("/w/out/_log/1", &|s: &SimStorage| s.remove_file(&p("/w/out/_log/1"))),
            ("/w/out/_log/0", &|s: &SimStorage| s.write(&p("/w/out/_log/0"), b"v2")),
            ("/w/out/_log/.0.crc", &|s: &SimStorage| s.write(&p("/w/out/_log/.0.crc"), b"stale")),
        ] {
            let backup = Backup::take(&sim, &p(path)).unwrap();
            tamper(&sim).unwrap();
            assert_ne!(files(&sim), before, "{path}: the tampering changed nothing");
            backup.restore(&sim, &Plain(&sim)).unwrap();
            assert_eq!(files(&sim), before, "{path}");
        }
    }
}
