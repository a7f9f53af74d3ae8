//! Crash states: what a power loss may leave of the simulated disk.
//!
//! At any moment the disk has *unsynced operations*: names created, renamed or deleted and
//! directories made since their directory's last fsync, and file versions written since the
//! file's last fsync. A crash state keeps some of them and loses the rest:
//!
//! - each directory operation persists or not, independently of the others; an entry inside a
//!   directory whose own creation was lost is lost with it;
//! - a file's data is one of its unsynced versions, or what its last fsync made durable, or its
//!   last write torn at a block boundary (the first `k × block` bytes, 0 included);
//! - so a rename may persist while the data it points to does not (the zero-length file).
//!
//! [`DiskModel::Ext4Ordered`] is stricter, as ext4 with `data=ordered` (and `auto_da_alloc`):
//! directory operations persist in the order they were made (a journal), and a renamed file's
//! data persists with the rename. The all-or-nothing power loss of old is the state that keeps
//! nothing; a process crash without power loss is the state that keeps everything.
//!
//! This module lists and applies crash states; choosing which to try is the explorer's job.

use super::{EntryOp, FileSystem, SimStorage, is_root};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

/// Which crash states a disk may produce.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum DiskModel {
    /// POSIX: every unsynced operation persists or not, independently; a last write may tear.
    #[default]
    Posix,
    /// ext4 `data=ordered`: directory operations persist in order, a renamed file's data with
    /// its rename.
    Ext4Ordered,
}

impl DiskModel {
    /// Both models.
    pub const ALL: [DiskModel; 2] = [DiskModel::Posix, DiskModel::Ext4Ordered];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            DiskModel::Posix => "posix",
            DiskModel::Ext4Ordered => "ext4-ordered",
        }
    }
}

impl fmt::Display for DiskModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DiskModel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DiskModel::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| format!("unknown disk model '{s}'; known: posix, ext4-ordered"))
    }
}

/// A torn write keeps whole blocks of this size: the page size of the usual file systems.
pub const TORN_BLOCK_BYTES: usize = 4096;

/// What an unsynced operation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnsyncedKind {
    /// A file was created.
    Create,
    /// A file was renamed to this path.
    Rename {
        /// The new path.
        to: PathBuf,
    },
    /// A file was deleted.
    Delete,
    /// A directory was made.
    Mkdir,
    /// A file's contents were written (in full, as kept).
    Write {
        /// The file's length.
        bytes: usize,
    },
    /// A file's last write, torn: only the first `kept` bytes reached the disk.
    TornWrite {
        /// Bytes kept, a multiple of [`TORN_BLOCK_BYTES`].
        kept: usize,
        /// The write's length.
        bytes: usize,
    },
}

#[derive(Debug, Clone)]
enum Target {
    /// An index into the file system's pending directory operations.
    Entry(usize),
    /// A file's contents if this operation is kept.
    Data { ino: usize, seq: u64, data: Arc<[u8]>, torn: bool },
}

/// One thing a power loss may keep or lose.
#[derive(Debug, Clone)]
pub struct UnsyncedOp {
    /// What it did.
    pub kind: UnsyncedKind,
    /// The file or directory (for a rename, where it came from; for a write, where the file was).
    pub path: PathBuf,
    target: Target,
}

impl UnsyncedOp {
    /// The operation in words, with paths relative to `root`, e.g.
    /// `rename checkpoint/offsets/.0.….tmp -> checkpoint/offsets/0`.
    pub fn describe(&self, root: &Path) -> String {
        let rel = |p: &Path| p.strip_prefix(root).unwrap_or(p).display().to_string();
        let path = rel(&self.path);
        match &self.kind {
            UnsyncedKind::Create => format!("create {path}"),
            UnsyncedKind::Rename { to } => format!("rename {path} -> {}", rel(to)),
            UnsyncedKind::Delete => format!("delete {path}"),
            UnsyncedKind::Mkdir => format!("mkdir {path}"),
            UnsyncedKind::Write { bytes } => format!("write {path} ({bytes} bytes)"),
            UnsyncedKind::TornWrite { kept, bytes } => format!("write {path} torn to {kept} of {bytes} bytes"),
        }
    }
}

/// The names of `ops` as [`UnsyncedOp::describe`] gives them, made unique: a second operation
/// with the same words gets ` #2`, and so on.
pub fn op_names(ops: &[UnsyncedOp], root: &Path) -> Vec<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    ops.iter()
        .map(|op| {
            let name = op.describe(root);
            let count = seen.entry(name.clone()).or_insert(0);
            *count += 1;
            if *count == 1 { name } else { format!("{name} #{count}") }
        })
        .collect()
}

/// Every crash state the disk could be left in now, under a model: a product of independent
/// choices (dimensions), each choosing which operations of a group to keep.
#[derive(Debug, Clone)]
pub struct CrashSpace {
    ops: Vec<UnsyncedOp>,
    /// Each dimension's options; an option is the set of operations it keeps.
    dims: Vec<Vec<Vec<usize>>>,
    model: DiskModel,
    fs: FileSystem,
}

/// What the disk holds after a power loss.
struct Image {
    names: BTreeMap<PathBuf, usize>,
    dirs: BTreeSet<PathBuf>,
    data: BTreeMap<usize, Arc<[u8]>>,
}

impl SimStorage {
    /// The unsynced operations, in the order they happened.
    pub fn unsynced(&self) -> Vec<UnsyncedOp> {
        unsynced_ops(&self.fs())
    }

    /// The crash states a power loss now could leave, under `model`.
    pub fn crash_space(&self, model: DiskModel) -> CrashSpace {
        let fs = self.fs().clone();
        let ops = unsynced_ops(&fs);
        let dims = dimensions(&ops, model);
        CrashSpace { ops, dims, model, fs }
    }

    /// A power loss that keeps nothing unsynced: every write and directory change since its
    /// fsync is lost.
    pub fn power_loss(&self) {
        self.power_loss_keeping(&[]);
    }

    /// A power loss that keeps exactly the operations at `kept` (indices into
    /// [`SimStorage::unsynced`]) and loses the others. Afterwards nothing is unsynced.
    pub fn power_loss_keeping(&self, kept: &[usize]) {
        let mut fs = self.fs();
        let ops = unsynced_ops(&fs);
        let image = image(&fs, &ops, kept);
        apply(&mut fs, image);
    }
}

fn unsynced_ops(fs: &FileSystem) -> Vec<UnsyncedOp> {
    let mut timed: Vec<(u64, UnsyncedOp)> = Vec::new();
    for (index, pending) in fs.pending.iter().enumerate() {
        let (kind, path) = match &pending.op {
            EntryOp::Create { path, .. } => (UnsyncedKind::Create, path),
            EntryOp::Rename { from, to, .. } => (UnsyncedKind::Rename { to: to.clone() }, from),
            EntryOp::Unlink { path, .. } => (UnsyncedKind::Delete, path),
            EntryOp::Mkdir { path } => (UnsyncedKind::Mkdir, path),
        };
        timed.push((pending.seq, UnsyncedOp { kind, path: path.clone(), target: Target::Entry(index) }));
    }
    for (ino, inode) in fs.inodes.iter().enumerate() {
        for (k, version) in inode.unsynced.iter().enumerate() {
            let (seq, data) = (version.seq, version.data.clone());
            let kind = UnsyncedKind::Write { bytes: data.len() };
            let target = Target::Data { ino, seq, data: data.clone(), torn: false };
            timed.push((seq, UnsyncedOp { kind, path: version.path.clone(), target }));
            if k + 1 == inode.unsynced.len() {
                for kept in (0..data.len()).step_by(TORN_BLOCK_BYTES) {
                    let kind = UnsyncedKind::TornWrite { kept, bytes: data.len() };
                    let target = Target::Data { ino, seq, data: Arc::from(&data[..kept]), torn: true };
                    timed.push((seq, UnsyncedOp { kind, path: version.path.clone(), target }));
                }
            }
        }
    }
    // Stable: a write's torn variants stay after the write itself.
    timed.sort_by_key(|(seq, _)| *seq);
    timed.into_iter().map(|(_, op)| op).collect()
}

fn dimensions(ops: &[UnsyncedOp], model: DiskModel) -> Vec<Vec<Vec<usize>>> {
    let entries: Vec<usize> = (0..ops.len()).filter(|i| matches!(ops[*i].target, Target::Entry(_))).collect();
    let mut dims: Vec<Vec<Vec<usize>>> = match model {
        DiskModel::Posix => entries.iter().map(|i| vec![vec![], vec![*i]]).collect(),
        // A journal commits directory operations in order: the kept ones are a prefix.
        DiskModel::Ext4Ordered => vec![(0..=entries.len()).map(|n| entries[..n].to_vec()).collect()],
    };
    let mut by_inode: BTreeMap<usize, Vec<Vec<usize>>> = BTreeMap::new();
    for (i, op) in ops.iter().enumerate() {
        if let Target::Data { ino, .. } = op.target {
            by_inode.entry(ino).or_insert_with(|| vec![vec![]]).push(vec![i]);
        }
    }
    dims.extend(by_inode.into_values());
    dims.retain(|d| d.len() > 1);
    dims
}

impl CrashSpace {
    /// The unsynced operations the states choose from, in the order they happened.
    pub fn ops(&self) -> &[UnsyncedOp] {
        &self.ops
    }

    /// How many options each independent choice has.
    pub fn dims(&self) -> Vec<usize> {
        self.dims.iter().map(Vec::len).collect()
    }

    /// How many crash states there are (choices, before equal outcomes are merged); saturates.
    pub fn len(&self) -> u128 {
        self.dims.iter().fold(1u128, |n, d| n.saturating_mul(d.len() as u128))
    }

    /// True if a power loss now can only leave one state: nothing is unsynced.
    pub fn is_empty(&self) -> bool {
        self.dims.is_empty()
    }

    /// The state numbered `index` (< [`CrashSpace::len`]), as the sorted indices of the
    /// operations it keeps.
    pub fn state_at(&self, mut index: u128) -> Vec<usize> {
        let digits: Vec<usize> = self
            .dims
            .iter()
            .map(|d| {
                let digit = (index % d.len() as u128) as usize;
                index /= d.len() as u128;
                digit
            })
            .collect();
        self.state(&digits)
    }

    /// The state that takes option `digits[k]` of dimension `k`, as the sorted indices of the
    /// operations it keeps, with what the model adds (ext4: a renamed file's data).
    pub fn state(&self, digits: &[usize]) -> Vec<usize> {
        assert_eq!(digits.len(), self.dims.len(), "one digit per dimension");
        let mut kept: Vec<usize> = self.dims.iter().zip(digits).flat_map(|(d, k)| d[*k].iter().copied()).collect();
        if self.model == DiskModel::Ext4Ordered {
            self.with_renamed_data(&mut kept);
        }
        kept.sort_unstable();
        kept
    }

    /// The state that keeps everything: what a process crash without power loss leaves.
    pub fn everything(&self) -> Vec<usize> {
        let last: Vec<usize> = self.dims.iter().map(|d| self.fullest(d)).collect();
        self.state(&last)
    }

    /// The option of a dimension that keeps the most: every operation, or the newest full write.
    fn fullest(&self, dim: &[Vec<usize>]) -> usize {
        let full = |o: &Vec<usize>| o.iter().all(|i| !matches!(self.ops[*i].target, Target::Data { torn: true, .. }));
        (0..dim.len()).rev().find(|k| full(&dim[*k])).unwrap_or(0)
    }

    /// ext4 `data=ordered` with `auto_da_alloc`: a kept rename keeps the file's data as it was at
    /// the rename (or a newer full version).
    fn with_renamed_data(&self, kept: &mut Vec<usize>) {
        let entries: Vec<usize> =
            kept.iter().copied().filter(|i| matches!(self.ops[*i].target, Target::Entry(_))).collect();
        for i in entries {
            let Target::Entry(p) = self.ops[i].target else { continue };
            let pending = &self.fs.pending[p];
            let (EntryOp::Rename { ino, .. }, Some(at)) = (&pending.op, pending.data_at) else { continue };
            let current =
                kept.iter().copied().find(|k| matches!(self.ops[*k].target, Target::Data { ino: o, .. } if o == *ino));
            let newer = current
                .is_some_and(|k| matches!(self.ops[k].target, Target::Data { seq, torn: false, .. } if seq >= at));
            if newer {
                continue;
            }
            let version = self.ops.iter().position(
                |op| matches!(op.target, Target::Data { ino: o, seq, torn: false, .. } if o == *ino && seq == at),
            );
            kept.retain(|k| Some(*k) != current);
            kept.extend(version);
        }
    }

    /// A digest of the disk a state leaves: equal digests mean equal disks (names, directories
    /// and contents), so the explorer runs each distinct disk once.
    pub fn digest(&self, kept: &[usize]) -> u64 {
        let image = image(&self.fs, &self.ops, kept);
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        image.dirs.hash(&mut hasher);
        for (path, ino) in &image.names {
            path.hash(&mut hasher);
            let data = image.data.get(ino).unwrap_or(&self.fs.inodes[*ino].durable);
            data.hash(&mut hasher);
        }
        hasher.finish()
    }
}

/// The disk after a power loss that keeps `kept`: the durable image, plus the kept directory
/// operations in the order they were made, minus whatever lost its directory, plus kept data.
fn image(fs: &FileSystem, ops: &[UnsyncedOp], kept: &[usize]) -> Image {
    let mut names = fs.durable_names.clone();
    let mut dirs = fs.durable_dirs.clone();
    let mut data = BTreeMap::new();
    let mut entries: Vec<usize> = Vec::new();
    for &i in kept {
        match &ops[i].target {
            Target::Entry(p) => entries.push(*p),
            Target::Data { ino, data: bytes, .. } => {
                data.insert(*ino, bytes.clone());
            }
        }
    }
    entries.sort_unstable();
    for p in entries {
        match &fs.pending[p].op {
            EntryOp::Create { path, ino } => {
                names.insert(path.clone(), *ino);
            }
            EntryOp::Rename { from, to, ino } => {
                if names.get(from) == Some(ino) {
                    names.remove(from);
                }
                names.insert(to.clone(), *ino);
            }
            EntryOp::Unlink { path, ino } => {
                if names.get(path) == Some(ino) {
                    names.remove(path);
                }
            }
            EntryOp::Mkdir { path } => {
                dirs.insert(path.clone());
            }
        }
    }
    // An entry survives only if every directory above it does. Sorted order visits parents first.
    let mut reachable: BTreeSet<PathBuf> = BTreeSet::new();
    for dir in &dirs {
        if dir.parent().is_none_or(|p| is_root(p) || reachable.contains(p)) {
            reachable.insert(dir.clone());
        }
    }
    names.retain(|path, _| path.parent().is_none_or(|p| is_root(p) || reachable.contains(p)));
    Image { names, dirs: reachable, data }
}

fn apply(fs: &mut FileSystem, image: Image) {
    for (ino, inode) in fs.inodes.iter_mut().enumerate() {
        if let Some(bytes) = image.data.get(&ino) {
            inode.durable = bytes.clone();
        }
        inode.live = inode.durable.clone();
        inode.unsynced.clear();
    }
    fs.live_names = image.names.clone();
    fs.durable_names = image.names;
    fs.live_dirs = image.dirs.clone();
    fs.durable_dirs = image.dirs;
    fs.pending.clear();
}
