//! A Spark metadata log: one directory, one file per batch id, written atomically.

use super::error::{CheckpointError, Result, io_err};
use super::format;
use crate::faults::{CrashPoint, FaultPlan};
use crate::rng;
use crate::storage::Storage;
use std::io;
use std::path::{Path, PathBuf};

/// What a log write needs besides the data: the disk and the fault plan.
pub struct WriteCtx<'a> {
    /// Where to write.
    pub storage: &'a dyn Storage,
    /// Crash points are hit through this.
    pub faults: &'a mut FaultPlan,
}

/// One file of a log: a batch file `N` or a compaction file `N.compact`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LogFile {
    /// The batch id.
    pub id: u64,
    /// True for `N.compact`.
    pub compact: bool,
}

impl LogFile {
    /// Parses a file name as Spark's `HDFSMetadataLog` lists a log: the name, less `.compact`,
    /// read as Java's `Long.parseLong` reads it (ASCII digits, a leading `+` allowed, leading
    /// zeros too; a negative id is no batch here). `None` for anything else: `.N.crc`, temp
    /// files, `notes.txt`, `3.json`, an editor's `3~` (FINDINGS Q26d2). A name such as `03` or
    /// `+3` reads as batch 3 but is not its file: see [`LogFile::is_named`].
    pub fn parse(name: &str) -> Option<LogFile> {
        let (number, compact) = match name.strip_suffix(".compact") {
            Some(d) => (d, true),
            None => (name, false),
        };
        let digits = number.strip_prefix('+').unwrap_or(number);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let id: i64 = digits.parse().ok()?;
        Some(LogFile { id: id as u64, compact })
    }

    /// True if `name` is this file's own name (`3`, `3.compact`), the one Spark reads batch 3
    /// from, not another spelling of its id (`03`, `+3`).
    pub fn is_named(self, name: &str) -> bool {
        self.name() == name
    }

    /// The file name.
    pub fn name(self) -> String {
        if self.compact { format!("{}.compact", self.id) } else { self.id.to_string() }
    }
}

/// A metadata log directory such as `offsets/` or `_spark_metadata/`.
#[derive(Debug, Clone)]
pub struct MetadataLog {
    dir: PathBuf,
    log: &'static str,
}

impl MetadataLog {
    /// A log in `dir`, called `log` in error messages.
    pub fn new(dir: PathBuf, log: &'static str) -> Self {
        Self { dir, log }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The name used in messages, e.g. "offsets log".
    pub fn log_name(&self) -> &'static str {
        self.log
    }

    /// The path of one log file.
    pub fn path(&self, file: LogFile) -> PathBuf {
        self.dir.join(file.name())
    }

    /// Every batch and compaction file, sorted by id. A missing directory is an empty log.
    pub fn files(&self, storage: &dyn Storage) -> Result<Vec<LogFile>> {
        let entries = match storage.list(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err(self.log, &self.dir, "list the directory")(e)),
        };
        let named: Vec<(LogFile, &str)> = entries
            .iter()
            .filter(|e| !e.is_dir())
            .filter_map(|e| LogFile::parse(&e.name).map(|f| (f, e.name.as_str())))
            .collect();
        let mut files: Vec<LogFile> = named.iter().filter(|(f, name)| f.is_named(name)).map(|(f, _)| *f).collect();
        files.sort();
        self.check_strays(&named, files.last().map(|f| f.id))?;
        Ok(files)
    }

    /// A file whose name reads as a batch id but is not that batch's own file (`03`, `+3`) is
    /// ignored, as Spark reads batch 3 from `3` only; but one above every batch file is the
    /// newest batch Spark lists, which it then fails to read: the engine refuses it too, naming it.
    fn check_strays(&self, named: &[(LogFile, &str)], latest: Option<u64>) -> Result<()> {
        let strays = named.iter().filter(|(f, name)| !f.is_named(name));
        let Some((stray, name)) = strays.filter(|(f, _)| latest.is_none_or(|l| f.id > l)).max_by_key(|(f, _)| f.id)
        else {
            return Ok(());
        };
        Err(CheckpointError::StrayName {
            log: self.log,
            path: self.dir.join(name),
            batch: stray.id,
            own: self.path(LogFile { id: stray.id, compact: false }),
        })
    }

    /// The highest batch id in the log.
    pub fn latest(&self, storage: &dyn Storage) -> Result<Option<u64>> {
        Ok(self.files(storage)?.last().map(|f| f.id))
    }

    /// Reads and decodes one log file into its JSON lines.
    pub fn read_file(&self, storage: &dyn Storage, file: LogFile) -> Result<Vec<String>> {
        let path = self.path(file);
        let bytes = storage.read(&path).map_err(io_err(self.log, &path, "read the file"))?;
        let lines = format::decode_log(&bytes, self.log).map_err(|p| self.corrupt(&path, p))?;
        Ok(lines.into_iter().map(str::to_string).collect())
    }

    /// Parses line `number` of a file read with [`MetadataLog::read_file`].
    pub fn parse<T: serde::de::DeserializeOwned>(&self, file: LogFile, line: &str, number: usize) -> Result<T> {
        format::parse_line(line, number).map_err(|p| self.corrupt(&self.path(file), p))
    }

    /// An error for a file whose contents are wrong.
    pub fn corrupt(&self, path: &Path, p: format::DecodeProblem) -> CheckpointError {
        CheckpointError::Corrupt { log: self.log, path: path.to_path_buf(), problem: p.problem, hint: p.hint }
    }

    /// Writes a log file atomically: temp file, fsync, rename without overwrite, directory fsync.
    pub fn write(&self, ctx: &mut WriteCtx<'_>, file: LogFile, lines: &[String]) -> Result<()> {
        write_atomic(ctx, self.log, &self.path(file), &format::encode(lines))
    }

    /// Deletes every batch and compaction file with an id below `threshold`.
    pub fn purge_below(&self, storage: &dyn Storage, threshold: u64) -> Result<()> {
        for file in self.files(storage)?.into_iter().filter(|f| f.id < threshold) {
            let path = self.path(file);
            storage.remove_file(&path).map_err(io_err(self.log, &path, "delete an old log file"))?;
        }
        Ok(())
    }
}

/// Writes one file atomically: temp file, fsync, rename without overwrite, directory fsync.
/// A file that already exists means another writer: that is an error, never an overwrite.
pub fn write_atomic(ctx: &mut WriteCtx<'_>, log: &'static str, path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("/"));
    let storage = ctx.storage;
    crate::storage::create_dir_durable(storage, dir).map_err(|e| io_err(log, &e.path, e.op)(e.error))?;
    if storage.exists(path) {
        return Err(CheckpointError::ConcurrentWriter { log, path: path.to_path_buf() });
    }
    #[cfg(feature = "seeded-bugs")]
    if let Some(written) = super::seeded::bent_log_write(ctx, log, path, bytes) {
        return written;
    }
    write_renamed(storage, ctx.faults, log, path, bytes)
}

/// The steps of an atomic write, once the checks are done: temp file, fsync, crash point,
/// rename, crash point, directory fsync.
pub(super) fn write_renamed(
    storage: &dyn Storage,
    faults: &mut FaultPlan,
    log: &'static str,
    path: &Path,
    bytes: &[u8],
) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("/"));
    let temp = temp_path(path);
    storage.write(&temp, bytes).map_err(io_err(log, &temp, "write the temp file"))?;
    sync_file(storage, faults, &temp).map_err(io_err(log, &temp, "fsync the temp file"))?;
    faults.hit(CrashPoint::DuringLogWrite)?;
    storage.rename_no_replace(&temp, path).map_err(|e| rename_error(storage, log, &temp, path, e))?;
    faults.hit(CrashPoint::BeforeLogDirSync)?;
    storage.sync_dir(dir).map_err(io_err(log, dir, "fsync the directory"))
}

/// Fsyncs a file. A failure is returned and never retried: after a failed fsync the data may
/// never reach the disk although reads still show it, and a second fsync that succeeds proves
/// nothing (fsyncgate), so the caller must stop and let the next run recover from what is
/// durable.
pub fn sync_file(storage: &dyn Storage, faults: &FaultPlan, path: &Path) -> io::Result<()> {
    let synced = storage.sync_file(path);
    #[cfg(feature = "seeded-bugs")]
    let synced = super::seeded::bent_failed_fsync(storage, faults, path, synced);
    #[cfg(not(feature = "seeded-bugs"))]
    let _ = faults;
    synced
}

pub(super) fn rename_error(
    storage: &dyn Storage,
    log: &'static str,
    temp: &Path,
    path: &Path,
    e: io::Error,
) -> CheckpointError {
    // Best effort: the temp file is garbage either way, and listings ignore it.
    let _ = storage.remove_file(temp);
    if e.kind() == io::ErrorKind::AlreadyExists {
        return CheckpointError::ConcurrentWriter { log, path: path.to_path_buf() };
    }
    io_err(log, path, "rename the temp file into place")(e)
}

/// Spark's temp name `.N.<uuid>.tmp`, with the uuid derived from the path: no randomness.
pub(super) fn temp_path(path: &Path) -> PathBuf {
    let seed = rng::derive(0, &path.to_string_lossy());
    let name = crate::storage::file_name(path);
    path.with_file_name(format!(".{name}.{}.tmp", rng::Rng::new(seed).uuid()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::SimStorage;

    #[test]
    fn log_file_names() {
        let cases = [
            ("0", Some(LogFile { id: 0, compact: false })),
            ("19.compact", Some(LogFile { id: 19, compact: true })),
            (".0.crc", None),
            (".3.0b7c.tmp", None),
            ("abc", None),
            ("", None),
            (".compact", None),
            ("notes.txt", None),
            ("3.json", None),
            ("3~", None),
            ("-3", None),
            ("03", Some(LogFile { id: 3, compact: false })),
            ("+3", Some(LogFile { id: 3, compact: false })),
            ("+", None),
            ("9223372036854775808", None),
        ];
        for (name, expected) in cases {
            assert_eq!(LogFile::parse(name), expected, "{name}");
        }
    }

    #[test]
    fn write_then_read_back() {
        let sim = SimStorage::new(0);
        let log = MetadataLog::new(PathBuf::from("/c/commits"), "commit log");
        let mut faults = FaultPlan::none();
        let mut ctx = WriteCtx { storage: &sim, faults: &mut faults };
        let file = LogFile { id: 0, compact: false };
        log.write(&mut ctx, file, &["{\"nextBatchWatermarkMs\":0}".into()]).unwrap();
        assert_eq!(log.read_file(&sim, file).unwrap(), vec!["{\"nextBatchWatermarkMs\":0}"]);
        let again = log.write(&mut ctx, file, &[]).unwrap_err();
        assert!(matches!(again, CheckpointError::ConcurrentWriter { .. }), "{again}");
    }

    #[test]
    fn crash_during_log_write_leaves_only_a_temp_file() {
        let sim = SimStorage::new(0);
        let log = MetadataLog::new(PathBuf::from("/c/offsets"), "offsets log");
        let mut faults = FaultPlan::crash_at(CrashPoint::DuringLogWrite, 1);
        let mut ctx = WriteCtx { storage: &sim, faults: &mut faults };
        assert!(log.write(&mut ctx, LogFile { id: 0, compact: false }, &[]).is_err());
        assert_eq!(log.files(&sim).unwrap(), vec![]);
        assert_eq!(sim.all_files().len(), 1, "the temp file stays, and listings ignore it");
    }
}
