//! A deterministic listing of a directory tree with the contents of its small text files.

use crashpoint_engine::storage::Storage;
use std::fmt::Write;
use std::path::Path;

/// Files larger than this are listed with their size only.
const SHOWN_BYTES_MAX: usize = 4096;

/// What a listing shows of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// A small text file's text, temp root replaced.
    Text(String),
    /// A large or binary file's size in bytes.
    Bytes(usize),
}

/// Every file under `root` in listing order (sorted by name, directory by directory), by its
/// path relative to `root`, with what a listing shows of it;
/// `root` in a file's text is replaced by `shown_root`, so that temp paths never reach a
/// snapshot or a page.
pub fn read_tree(storage: &dyn Storage, root: &Path, shown_root: &str) -> Vec<(String, Shown)> {
    let mut files = Vec::new();
    walk(storage, root, root, shown_root, &mut files);
    files
}

/// Renders every file under `root` (sorted), with contents for text files, and `root`
/// replaced by `shown_root` so that temp paths never reach a snapshot.
pub fn render_tree(storage: &dyn Storage, root: &Path, shown_root: &str) -> String {
    let mut out = String::new();
    for (relative, shown) in read_tree(storage, root, shown_root) {
        match shown {
            Shown::Text(text) => {
                let _ = writeln!(out, "{relative}:");
                for line in text.lines() {
                    let _ = writeln!(out, "  | {line}");
                }
            }
            Shown::Bytes(bytes) => {
                let _ = writeln!(out, "{relative}: ({bytes} bytes)");
            }
        }
    }
    if out.is_empty() {
        out.push_str("(empty)\n");
    }
    out
}

fn walk(storage: &dyn Storage, root: &Path, dir: &Path, shown_root: &str, out: &mut Vec<(String, Shown)>) {
    let Ok(entries) = storage.list(dir) else { return };
    for entry in entries {
        if entry.is_dir() {
            walk(storage, root, &entry.path, shown_root, out);
            continue;
        }
        let relative = entry.path.strip_prefix(root).unwrap_or(&entry.path).display().to_string();
        let bytes = storage.read(&entry.path).unwrap_or_default();
        let shown = match std::str::from_utf8(&bytes) {
            Ok(text) if bytes.len() <= SHOWN_BYTES_MAX => {
                Shown::Text(text.replace(&root.display().to_string(), shown_root))
            }
            _ => Shown::Bytes(bytes.len()),
        };
        out.push((relative, shown));
    }
}
