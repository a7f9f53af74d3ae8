//! The real directory a scenario runs in on Spark: `input/`, `checkpoint/`, `output/` (the file
//! sink) and `table.jsonl` (foreach-batch) under a fresh temp directory. Input files get the
//! scenario's logical modification times, the same as on the engine's disk, so that Spark
//! orders them the same way.
//!
//! It carries out file steps; it never decides what a step means.

use crate::scenario::{Backup, Hands, INPUT_AS_FILE, InputDirChange, Step, file_bytes};
use crashpoint_engine::checkpoint::Checkpoint;
use crashpoint_engine::storage::DiskStorage;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

/// The first file arrival time, as on the engine's disk (each file operation adds a second).
const CLOCK_START_MS: i64 = crate::scenario::CLOCK_START_MS;

/// A scenario's real directory.
pub struct SparkWorld {
    temp: Arc<tempfile::TempDir>,
    root: PathBuf,
    clock_ms: i64,
    /// What the latest tampering step changed, as it was before: what a `restore` puts back.
    backup: Option<Backup>,
}

/// The user's hands on a real disk.
struct RealHands;

impl Hands for RealHands {
    fn write(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        std::fs::write(path, bytes)
    }
    fn remove(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }
}

impl SparkWorld {
    /// A fresh temp directory with an empty `input/`.
    pub fn new() -> io::Result<SparkWorld> {
        let temp = tempfile::Builder::new().prefix("crashpoint-spark-scenario-").tempdir()?;
        let root = temp.path().canonicalize()?;
        std::fs::create_dir_all(root.join("input"))?;
        Ok(SparkWorld { temp: Arc::new(temp), root, clock_ms: CLOCK_START_MS, backup: None })
    }

    /// The temp directory, kept alive as long as a handle lives.
    pub fn temp(&self) -> Arc<tempfile::TempDir> {
        self.temp.clone()
    }

    /// The root.
    pub fn root(&self) -> &Path {
        &self.root
    }
    /// `input/`.
    pub fn input(&self) -> PathBuf {
        self.root.join("input")
    }
    /// `checkpoint/`.
    pub fn checkpoint(&self) -> PathBuf {
        self.root.join("checkpoint")
    }
    /// `output/`, the file sink's directory.
    pub fn output(&self) -> PathBuf {
        self.root.join("output")
    }
    /// The foreach-batch table.
    pub fn table(&self) -> PathBuf {
        self.root.join("table.jsonl")
    }

    /// Carries out a step that is not a run. Tampering with a file that does not exist is a
    /// no-op (returns false), as on the engine.
    pub fn apply(&mut self, step: &Step) -> io::Result<bool> {
        let (input, checkpoint) = (self.input(), self.checkpoint());
        let latest = Checkpoint::new(&checkpoint).commits.latest(&DiskStorage).ok().flatten();
        let Some(step) = step.with_latest(latest) else { return Ok(false) };
        let step = &step;
        if let Some(path) = step.tampered_path() {
            self.backup = Some(Backup::take(&DiskStorage, &self.root.join(path))?);
        }
        match step {
            Step::Add { name, content } | Step::Modify { name, content } => {
                let bytes = file_bytes(name, content);
                self.write_input(name, &bytes)?;
            }
            Step::Redrop { name } => {
                let bytes = std::fs::read(input.join(name))?;
                self.write_input(name, &bytes)?;
            }
            Step::Rename { from, to } => std::fs::rename(input.join(from), input.join(to))?,
            Step::Mkdir { name } => std::fs::create_dir_all(input.join(name))?,
            Step::Link { name, to } => std::os::unix::fs::symlink(input.join(to), input.join(name))?,
            Step::Special { name, kind } => crate::scenario::make_special_on_disk(&input.join(name), *kind)?,
            Step::Remove { name } => std::fs::remove_file(input.join(name))?,
            Step::InputDir(change) => change_input_dir(&input, *change)?,
            Step::Delete { path } | Step::Corrupt { path, .. } | Step::Truncate { path, .. }
                if !checkpoint.join(path).exists() =>
            {
                return Ok(false);
            }
            // Only the named file, as a user's `rm` would: its `.crc` sidecar stays.
            Step::Delete { path } => std::fs::remove_file(checkpoint.join(path))?,
            Step::Corrupt { path, with } => std::fs::write(checkpoint.join(path), with)?,
            Step::Truncate { path, bytes } => {
                let file = std::fs::File::options().write(true).open(checkpoint.join(path))?;
                file.set_len(*bytes)?;
            }
            Step::Touch { name, shift_ms } => {
                let path = input.join(name);
                let modified = std::fs::metadata(&path)?.modified()?;
                let ms = modified.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64) + shift_ms;
                let mtime = UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64);
                std::fs::File::options().write(true).open(&path)?.set_modified(mtime)?;
            }
            Step::Write { path, with } => {
                let path = checkpoint.join(path);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                std::fs::write(path, with)?;
            }
            Step::DeleteOutput { path } if !self.output().join(path).exists() => return Ok(false),
            Step::DeleteOutput { path } if self.output().join(path).is_dir() => {
                std::fs::remove_dir_all(self.output().join(path))?
            }
            // Only the named file: its `.crc` sidecar stays, as after a user's `rm`.
            Step::DeleteOutput { path } => std::fs::remove_file(self.output().join(path))?,
            Step::CorruptOutput { path, .. } if !self.output().join(path).exists() => return Ok(false),
            Step::CorruptOutput { path, with } => std::fs::write(self.output().join(path), with)?,
            Step::Restore => match self.backup.take() {
                Some(backup) => backup.restore(&DiskStorage, &RealHands)?,
                None => return Ok(false),
            },
            Step::DeleteCheckpoint if checkpoint.exists() => {
                self.backup = None;
                std::fs::remove_dir_all(&checkpoint)?
            }
            Step::DeleteCheckpoint => self.backup = None,
            Step::ChangeQuery(_)
            | Step::Run(_)
            | Step::ClockBack { .. }
            | Step::ClockForward { .. }
            | Step::HoldLock { .. }
            | Step::HolderDies { .. } => {}
        }
        Ok(true)
    }

    fn write_input(&mut self, name: &str, bytes: &[u8]) -> io::Result<()> {
        self.clock_ms += 1000;
        let path = self.input().join(name);
        // A file in a subdirectory of the input (`add = "DIR/NAME"`) makes its directory.
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, bytes)?;
        let mtime = UNIX_EPOCH + Duration::from_millis(self.clock_ms as u64);
        std::fs::File::options().write(true).open(&path)?.set_modified(mtime)
    }
}

/// Deletes the input directory, makes it again (empty) where it is missing or a file took its
/// place, or puts a file in its place.
fn change_input_dir(input: &Path, change: InputDirChange) -> io::Result<()> {
    let meta = std::fs::symlink_metadata(input).ok();
    if change == InputDirChange::Make && meta.as_ref().is_some_and(|m| m.is_dir()) {
        return Ok(());
    }
    match meta {
        Some(meta) if meta.is_dir() => std::fs::remove_dir_all(input)?,
        Some(_) => std::fs::remove_file(input)?,
        None => {}
    }
    match change {
        InputDirChange::Delete => Ok(()),
        InputDirChange::Make => std::fs::create_dir_all(input),
        InputDirChange::File => std::fs::write(input, INPUT_AS_FILE),
    }
}
