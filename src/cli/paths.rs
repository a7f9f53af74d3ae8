//! Scenario paths as users type them: files, folders (searched for `*.toml`) and globs
//! (`'scenarios/crashes/*_file.toml'`, quoted so that the shell leaves them to us).

use anyhow::{Context, bail};
use std::path::PathBuf;

/// Every scenario file named by `paths`, sorted, without duplicates; `default` when none given.
pub fn scenario_files(paths: &[PathBuf], default: &str) -> anyhow::Result<Vec<PathBuf>> {
    let paths = if paths.is_empty() { vec![PathBuf::from(default)] } else { paths.to_vec() };
    let mut named = Vec::new();
    for path in &paths {
        let text = path.to_string_lossy();
        if path.exists() || !text.contains(['*', '?', '[']) {
            if !path.exists() {
                bail!("{}: no such file or folder", path.display());
            }
            named.push(path.clone());
            continue;
        }
        let matches = glob::glob(&text).with_context(|| format!("{text}: not a valid glob pattern"))?;
        let before = named.len();
        for entry in matches {
            named.push(entry.with_context(|| format!("{text}: cannot read a match"))?);
        }
        if named.len() == before {
            bail!("{text}: no file or folder matches this pattern");
        }
    }
    let mut files = crashpoint_harness::scenario::scenario_files(&named)
        .map_err(|e| anyhow::anyhow!("cannot list {}: {e}", show(&named)))?;
    files.dedup();
    if files.is_empty() {
        bail!("no scenario files (*.toml) in {}", show(&paths));
    }
    Ok(files)
}

fn show(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}
