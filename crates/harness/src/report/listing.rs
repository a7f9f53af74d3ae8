//! A deterministic listing of a directory tree with the contents of its small text files.

use crashpoint_engine::storage::Storage;
use std::fmt::Write;
use std::path::Path;

/// Files larger than this are listed with their size only.
const SHOWN_BYTES_MAX: usize = 4096;

/// Renders every file under `root` (sorted), with contents for text files, and `root`
/// replaced by `shown_root` so that temp paths never reach a snapshot.
pub fn render_tree(storage: &dyn Storage, root: &Path, shown_root: &str) -> String {
    let mut out = String::new();
    walk(storage, root, root, shown_root, &mut out);
    if out.is_empty() {
        out.push_str("(empty)\n");
    }
    out
}

fn walk(storage: &dyn Storage, root: &Path, dir: &Path, shown_root: &str, out: &mut String) {
    let Ok(entries) = storage.list(dir) else { return };
    for entry in entries {
        if entry.is_dir() {
            walk(storage, root, &entry.path, shown_root, out);
            continue;
        }
        let relative = entry.path.strip_prefix(root).unwrap_or(&entry.path).display().to_string();
        let bytes = storage.read(&entry.path).unwrap_or_default();
        match std::str::from_utf8(&bytes) {
            Ok(text) if bytes.len() <= SHOWN_BYTES_MAX => {
                let text = text.replace(&root.display().to_string(), shown_root);
                let _ = writeln!(out, "{relative}:");
                for line in text.lines() {
                    let _ = writeln!(out, "  | {line}");
                }
            }
            _ => {
                let _ = writeln!(out, "{relative}: ({} bytes)", bytes.len());
            }
        }
    }
}
