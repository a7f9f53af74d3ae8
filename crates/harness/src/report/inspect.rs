//! `crashpoint inspect`: the batches of a checkpoint (crashpoint's or Spark's), their files,
//! offsets and commit status, and anything odd: what `doctor` finds, and a few shapes more.

use crate::diagnosis::{NotACheckpoint, SinkDir, diagnose};
use crashpoint_engine::checkpoint::{
    Checkpoint, CheckpointError, LogFile, PLAN_FINGERPRINT_KEY, SourceFileEntry, SourceRange,
};
use crashpoint_engine::engine::{Resume, decide};
use crashpoint_engine::plan::format_timestamp_ms;
use crashpoint_engine::storage::Storage;
use std::fmt;
use std::path::Path;

/// One batch as the checkpoint records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchView {
    /// The batch id.
    pub id: u64,
    /// The files of the source log for this batch: those of its source-log range.
    pub files: Vec<SourceFileEntry>,
    /// The source-log batches it covers, from its `logOffset` and the previous batch's.
    pub sources: Option<SourceRange>,
    /// `batchTimestampMs` of `offsets/N`, if readable.
    pub timestamp_ms: Option<i64>,
    /// The source offset.
    pub log_offset: Option<u64>,
    /// The plan fingerprint, if crashpoint wrote the batch.
    pub fingerprint: Option<String>,
    /// True if `offsets/N` exists.
    pub has_offsets: bool,
    /// True if `commits/N` exists.
    pub committed: bool,
    /// True if a later batch is committed: without a commit of its own, it still never runs again.
    pub passed_over: bool,
    /// The files of this batch that are gone from the input directory.
    pub gone: Vec<String>,
}

/// Everything `inspect` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// The checkpoint root as given.
    pub root: String,
    /// The query id, or why it is missing.
    pub query_id: Result<String, String>,
    /// Batches, by id.
    pub batches: Vec<BatchView>,
    /// Source-log batches that no offsets file covers yet (a crash between `sources/0/K` and
    /// `offsets/N`): the next batch takes them, with any new files.
    pub unplanned: Vec<(u64, Vec<SourceFileEntry>)>,
    /// What the next run will do, or why it cannot run.
    pub next_run: Result<Resume, String>,
    /// Anything odd, in words.
    pub oddities: Vec<String>,
}

/// Inspects the checkpoint at `root` (and the file sink's log in `sink`, if given). What
/// cannot be read is reported as odd; only a directory that is no checkpoint at all fails.
pub fn inspect(storage: &dyn Storage, root: &Path, sink: Option<SinkDir<'_>>) -> Result<Inspection, NotACheckpoint> {
    let findings = diagnose(storage, root, sink)?;
    let checkpoint = Checkpoint::new(root);
    let mut oddities = Vec::new();
    let query_id = match checkpoint.read_metadata(storage) {
        Ok(Some(m)) => Ok(m.id),
        Ok(None) => Err("no metadata file".to_string()),
        Err(e) => Err(e.to_string()),
    };
    let ids = |log: &crashpoint_engine::checkpoint::MetadataLog, oddities: &mut Vec<String>| -> Vec<u64> {
        log.files(storage).map(|f| f.iter().map(|f| f.id).collect()).unwrap_or_else(|e| {
            oddities.push(e.to_string());
            Vec::new()
        })
    };
    let offsets = ids(&checkpoint.offsets, &mut oddities);
    let commits = ids(&checkpoint.commits, &mut oddities);
    let sources = ids(checkpoint.sources.log(), &mut oddities);
    let mut all: Vec<u64> = offsets.iter().chain(&commits).copied().collect();
    all.sort();
    all.dedup();
    let mut batches = Vec::new();
    for id in all {
        batches.push(batch_view(storage, &checkpoint, id, &offsets, &commits, &mut oddities));
    }
    let unplanned = unplanned(storage, &checkpoint, &batches, &sources, &mut oddities);
    oddities.extend(shape_oddities(&offsets, &commits));
    oddities.extend(unexpected_files(storage, &checkpoint));
    oddities.extend(findings.into_iter().map(|f| f.problem));
    let next_run = decide(storage, &checkpoint).map_err(|e| e.to_string());
    // A broken compaction is met once per batch it holds, and doctor reads the same files: say
    // each oddity once.
    let mut seen = std::collections::BTreeSet::new();
    oddities.retain(|odd| seen.insert(odd.clone()));
    Ok(Inspection { root: root.display().to_string(), query_id, batches, unplanned, next_run, oddities })
}

fn batch_view(
    storage: &dyn Storage,
    checkpoint: &Checkpoint,
    id: u64,
    offsets: &[u64],
    commits: &[u64],
    oddities: &mut Vec<String>,
) -> BatchView {
    let has_offsets = offsets.contains(&id);
    let mut view = BatchView {
        id,
        files: Vec::new(),
        sources: None,
        timestamp_ms: None,
        log_offset: None,
        fingerprint: None,
        has_offsets,
        committed: commits.contains(&id),
        passed_over: !commits.contains(&id) && commits.last().is_some_and(|c| *c > id),
        gone: Vec::new(),
    };
    if has_offsets {
        match source_range(storage, checkpoint, id, offsets) {
            Ok(range) => {
                view.sources = Some(range);
                match checkpoint.source_files(storage, id, range) {
                    Ok(files) => {
                        let gone = files.iter().filter(|f| !storage.exists(&crashpoint_engine::uri::path_of(&f.path)));
                        view.gone = gone.map(|f| f.path.clone()).collect();
                        view.files = files;
                    }
                    Err(e) => oddities.push(e.to_string()),
                }
            }
            Err(e) => oddities.push(e.to_string()),
        }
        // An unreadable offsets or commit file is one of doctor's findings, reported with them.
        if let Ok(o) = checkpoint.read_offsets(storage, id) {
            view.timestamp_ms = Some(o.metadata.batch_timestamp_ms);
            view.log_offset = o.log_offset;
            view.fingerprint = o.metadata.conf.get(PLAN_FINGERPRINT_KEY).cloned();
        }
    }
    view
}

/// Batch `id`'s source-log range. The oldest batch kept has lost the offsets file before it to
/// the purge: its range is taken to be its own source-log batch alone.
fn source_range(
    storage: &dyn Storage,
    checkpoint: &Checkpoint,
    id: u64,
    offsets: &[u64],
) -> Result<SourceRange, CheckpointError> {
    let purged_before = id > 0 && offsets.first() == Some(&id);
    if !purged_before {
        return checkpoint.source_range(storage, id);
    }
    let through = checkpoint.read_offsets(storage, id)?.log_offset;
    Ok(SourceRange { after: through.and_then(|t| t.checked_sub(1)), through })
}

/// The source-log batches after the latest batch's range, which no batch has taken yet.
fn unplanned(
    storage: &dyn Storage,
    checkpoint: &Checkpoint,
    batches: &[BatchView],
    sources: &[u64],
    oddities: &mut Vec<String>,
) -> Vec<(u64, Vec<SourceFileEntry>)> {
    let covered = batches.iter().rev().find_map(|b| b.sources).map(|r| r.through);
    let mut unplanned = Vec::new();
    for id in sources.iter().copied().filter(|k| covered.is_none_or(|c| Some(*k) > c)) {
        match checkpoint.sources.batch(storage, id) {
            Ok(files) => unplanned.push((id, files.unwrap_or_default())),
            Err(e) => oddities.push(e.to_string()),
        }
    }
    unplanned
}

fn shape_oddities(offsets: &[u64], commits: &[u64]) -> Vec<String> {
    let mut odd = Vec::new();
    for pair in offsets.windows(2).filter(|w| w[1] != w[0] + 1) {
        odd.push(format!("offsets/ has a gap between batch {} and batch {}", pair[0], pair[1]));
    }
    // A gap in commits/ is one of doctor's findings (the batch will not re-run).
    for id in commits.iter().filter(|c| !offsets.contains(c)) {
        if offsets.first().is_some_and(|first| id >= first) || offsets.is_empty() {
            odd.push(format!("commits/{id} has no offsets/{id}"));
        }
    }
    odd
}

/// Files in the log directories that are no batch, compaction, checksum or temp file.
fn unexpected_files(storage: &dyn Storage, checkpoint: &Checkpoint) -> Vec<String> {
    let dirs = [checkpoint.offsets.dir(), checkpoint.commits.dir(), checkpoint.sources.log().dir()];
    let mut odd = Vec::new();
    for dir in dirs {
        for entry in storage.list(dir).unwrap_or_default() {
            let known = entry.name.contains(".tmp") || entry.name.ends_with(".crc");
            if !known && LogFile::parse(&entry.name).is_none() {
                odd.push(format!("unexpected file {} (ignored by Spark and crashpoint)", entry.path.display()));
            }
        }
    }
    odd
}

impl fmt::Display for Inspection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "checkpoint: {}", self.root)?;
        match &self.query_id {
            Ok(id) => writeln!(f, "query id:   {id}")?,
            Err(why) => writeln!(f, "query id:   ({why})")?,
        }
        writeln!(f, "batches:    {}", self.batches.len())?;
        for batch in &self.batches {
            let status = match (batch.has_offsets, batch.committed, batch.passed_over) {
                (true, true, _) => "committed",
                (_, false, true) => "no commit, but a later batch is committed: will NOT re-run (as in Spark)",
                (true, false, false) => "no commit: will re-run",
                (false, true, _) => "commit without offsets",
                (false, false, false) => "neither offsets nor commit",
            };
            write!(f, "  batch {}: {status}", batch.id)?;
            if let Some(ts) = batch.timestamp_ms {
                write!(f, "; timestamp {} ({ts})", format_timestamp_ms(ts))?;
            }
            if let Some(offset) = batch.log_offset {
                write!(f, "; logOffset {offset}")?;
            }
            if let Some(range) = batch.sources.filter(|r| !r.is_batch_id(batch.id)) {
                write!(f, " ({range})")?;
            }
            if let Some(fp) = &batch.fingerprint {
                write!(f, "; plan {fp}")?;
            }
            writeln!(f)?;
            for file in &batch.files {
                let gone = if batch.gone.contains(&file.path) { "; gone from the input directory" } else { "" };
                writeln!(f, "    {} (mtime {}{gone})", file.path, file.timestamp)?;
            }
        }
        for (id, files) in &self.unplanned {
            writeln!(f, "  sources/0/{id}: in no batch yet (a crash before its offsets): the next batch takes it")?;
            for file in files {
                writeln!(f, "    {} (mtime {})", file.path, file.timestamp)?;
            }
        }
        match &self.next_run {
            Ok(resume) => writeln!(f, "next run:   {resume}")?,
            Err(why) => writeln!(f, "next run:   cannot start: {why}")?,
        }
        if self.oddities.is_empty() {
            writeln!(f, "oddities:   none")
        } else {
            writeln!(f, "oddities:")?;
            self.oddities.iter().try_for_each(|odd| writeln!(f, "  - {odd}"))
        }
    }
}
