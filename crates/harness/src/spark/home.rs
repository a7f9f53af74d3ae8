//! Where the Spark target keeps its virtual environment, the driver's sources and compiled
//! classes: the Spark home.
//!
//! `$CRASHPOINT_SPARK_HOME` if set; else `<cargo target dir>/crashpoint-spark` when the running
//! executable was built by cargo (found from the executable's path, or `$CARGO_TARGET_DIR`); else
//! the user's cache directory. It never picks a directory inside the source tree.

use std::path::{Path, PathBuf};

/// The environment variable that names the Spark home.
pub const HOME_VAR: &str = "CRASHPOINT_SPARK_HOME";

/// The Spark home for this process, by the rules in the module docs.
pub fn spark_home() -> PathBuf {
    if let Some(home) = std::env::var_os(HOME_VAR).filter(|v| !v.is_empty()) {
        return PathBuf::from(home);
    }
    let exe = std::env::current_exe().ok();
    if let Some(target) = exe.as_deref().and_then(cargo_target_dir) {
        return target.join("crashpoint-spark");
    }
    user_cache_dir().join("crashpoint").join("spark")
}

/// The cargo target directory the executable was built in, if it was.
///
/// `$CARGO_TARGET_DIR` when the executable lies under it; otherwise the nearest ancestor that
/// cargo marks as its own (`CACHEDIR.TAG` beside `.rustc_info.json`).
fn cargo_target_dir(exe: &Path) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from) {
        let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
        if exe.starts_with(&dir) {
            return Some(dir);
        }
    }
    exe.ancestors()
        .skip(1)
        .find(|dir| dir.join("CACHEDIR.TAG").is_file() && dir.join(".rustc_info.json").is_file())
        .map(Path::to_path_buf)
}

fn user_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(home) => PathBuf::from(home).join(".cache"),
        None => std::env::temp_dir(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cargo_built_executable_finds_its_target_dir() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::create_dir_all(target.join("debug/deps")).unwrap();
        std::fs::write(target.join("CACHEDIR.TAG"), "Signature: 8a477f597d28d172789f06886806bc55").unwrap();
        std::fs::write(target.join(".rustc_info.json"), "{}").unwrap();
        let exe = target.join("debug/deps/spark-0123");
        assert_eq!(cargo_target_dir(&exe).as_deref(), Some(target.as_path()));
        assert_eq!(cargo_target_dir(&dir.path().join("bin/crashpoint")), None);
    }
}
