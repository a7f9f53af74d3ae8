//! Snapshot files in insta's `.snap` format, so that `cargo insta review` and `crashpoint run`
//! share them: a small YAML header between `---` lines, then the rendering.

use std::path::{Path, PathBuf};

/// Every scenario file (`*.toml`) under the given files and folders, sorted.
pub fn scenario_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                collect(&path, files)?;
            } else if path.extension().is_some_and(|e| e == "toml") {
                files.push(path);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            collect(path, &mut files)?;
        } else {
            files.push(path.clone());
        }
    }
    files.sort();
    Ok(files)
}

/// Where a scenario's snapshot lives: `snapshots/` beside the `scenarios/` folder the file is
/// in, named after its path below it (`regressions/x.toml` → `regressions__x.snap`). However the
/// path is spelled (`tutorial.toml` from inside `scenarios/`), the file's real place decides.
pub fn snapshot_path(scenario: &Path) -> PathBuf {
    let components = |path: &Path| -> Vec<String> {
        path.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect()
    };
    let mut scenario = scenario.to_path_buf();
    let mut parts = components(&scenario);
    if !parts.iter().any(|c| c == "scenarios")
        && let Ok(real) = std::fs::canonicalize(&scenario)
    {
        parts = components(&real);
        scenario = real;
    }
    let Some(at) = parts.iter().rposition(|c| c == "scenarios") else {
        return scenario.with_extension("snap");
    };
    let components = parts;
    let base: PathBuf = components[..at].iter().collect();
    let name = components[at + 1..].join("__");
    let name = name.strip_suffix(".toml").unwrap_or(&name);
    base.join("snapshots").join(format!("{name}.snap"))
}

/// The snapshot's name, as insta is told it.
pub fn snapshot_name(scenario: &Path) -> String {
    snapshot_path(scenario).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

/// A whole `.snap` file for `body`.
pub fn snapshot_file_text(scenario: &Path, body: &str) -> String {
    let real = std::fs::canonicalize(scenario).unwrap_or_else(|_| scenario.to_path_buf());
    let input = real.display().to_string();
    let input = input.rfind("scenarios/").map_or(input.clone(), |at| input[at..].to_string());
    format!("---\nsource: tests/scenarios.rs\nexpression: rendered\ninput_file: {input}\n---\n{}\n", body.trim_end())
}

/// The body of a `.snap` file (what follows its header).
pub fn read_snapshot_body(text: &str) -> String {
    let mut lines = text.split_inclusive('\n');
    let mut consumed = 0;
    if lines.next().is_some_and(|l| l.trim_end() == "---") {
        consumed += 4;
        for line in lines.by_ref() {
            consumed += line.len();
            if line.trim_end() == "---" {
                return text[consumed..].to_string();
            }
        }
    }
    text.to_string()
}

/// How a rendering compares with its snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotCheck {
    /// Same content.
    Matches,
    /// No snapshot yet.
    Missing,
    /// Different: a unified diff, old to new.
    Differs(String),
}

/// Compares `rendered` with the snapshot file at `path`.
pub fn compare_snapshot(path: &Path, rendered: &str) -> SnapshotCheck {
    let Ok(text) = std::fs::read_to_string(path) else { return SnapshotCheck::Missing };
    let old = read_snapshot_body(&text);
    let (old, new) = (old.trim_end(), rendered.trim_end());
    if old == new {
        return SnapshotCheck::Matches;
    }
    let diff = similar::TextDiff::from_lines(old, new);
    let text = diff.unified_diff().context_radius(3).header("snapshot", "this run").to_string();
    SnapshotCheck::Differs(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_paths() {
        let cases = [
            ("/w/scenarios/a.toml", "/w/snapshots/a.snap"),
            ("scenarios/regressions/b.toml", "snapshots/regressions__b.snap"),
            ("/tmp/c.toml", "/tmp/c.snap"),
        ];
        for (scenario, expected) in cases {
            assert_eq!(snapshot_path(Path::new(scenario)), PathBuf::from(expected));
        }
    }

    #[test]
    fn a_path_spelled_without_its_scenarios_folder_finds_the_snapshot() {
        // `run tutorial.toml` from inside scenarios/ (tested end to end in tests/cli_reports.rs),
        // or a path through a symlink: the file's real place decides. Method: a symlink.
        let root = tempfile::tempdir().unwrap();
        let real_root = root.path().canonicalize().unwrap();
        std::fs::create_dir_all(real_root.join("scenarios/sub")).unwrap();
        std::fs::write(real_root.join("scenarios/sub/a.toml"), "").unwrap();
        std::os::unix::fs::symlink(real_root.join("scenarios/sub"), real_root.join("link")).unwrap();
        assert_eq!(snapshot_path(&real_root.join("link/a.toml")), real_root.join("snapshots/sub__a.snap"));
        let text = snapshot_file_text(&real_root.join("link/a.toml"), "body");
        assert!(text.contains("input_file: scenarios/sub/a.toml\n"), "{text}");
    }

    #[test]
    fn body_round_trips() {
        let text = snapshot_file_text(Path::new("/w/scenarios/a.toml"), "line 1\n---\nline 3\n");
        assert!(text.contains("input_file: scenarios/a.toml"));
        assert_eq!(read_snapshot_body(&text).trim_end(), "line 1\n---\nline 3");
    }
}
