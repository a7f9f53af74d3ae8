//! The programs the Spark target needs on the machine: `python3` (3.11 or newer, with `venv`),
//! and a JDK 17 or newer (`java` and `javac`). Each check says exactly what to install when the
//! program is missing or too old; none of them installs anything.

use super::error::SparkError;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The oldest Python that pyspark 4.3.0 accepts (`Requires-Python: >=3.11`).
pub const PYTHON_MIN: (u32, u32) = (3, 11);
/// The oldest Java that Spark 4 runs on.
pub const JAVA_MIN: u32 = 17;

const PYTHON_INSTALL: &str =
    "Python 3.11 or newer with venv and pip (Debian/Ubuntu: `apt-get install python3 python3-venv python3-pip`)";
const JDK_INSTALL: &str = "a JDK 17 or newer (Debian/Ubuntu: `apt-get install openjdk-17-jdk-headless`)";

/// The first executable named `name` on `$PATH`.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
}

/// A JDK's program (`java`, `javac`): from `$JAVA_HOME/bin` when set, as pyspark does, else `$PATH`.
fn jdk_program(name: &str) -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("JAVA_HOME").filter(|v| !v.is_empty()) {
        let p = PathBuf::from(home).join("bin").join(name);
        return is_executable(&p).then_some(p);
    }
    on_path(name)
}

/// `python3`, checked to be 3.11 or newer.
pub fn python3() -> Result<PathBuf, SparkError> {
    let missing = |found: String| SparkError::Missing {
        what: "python3 (3.11 or newer)".into(),
        found,
        install: PYTHON_INSTALL.into(),
    };
    let python = on_path("python3").ok_or_else(|| missing("no python3 on $PATH".into()))?;
    let out = Command::new(&python)
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .output()
        .map_err(|e| missing(format!("{} does not run: {e}", python.display())))?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    match parse_major_minor(&text) {
        Some(v) if v >= PYTHON_MIN => Ok(python),
        _ => Err(missing(format!("{} is Python {text:?}", python.display()))),
    }
}

/// `java` and `javac`, both checked to be 17 or newer.
pub fn jdk() -> Result<(PathBuf, PathBuf), SparkError> {
    Ok((jdk_tool("java")?, jdk_tool("javac")?))
}

fn jdk_tool(name: &str) -> Result<PathBuf, SparkError> {
    let missing = |found: String| SparkError::Missing {
        what: format!("{name} (Java {JAVA_MIN} or newer)"),
        found,
        install: JDK_INSTALL.into(),
    };
    let where_ = if std::env::var_os("JAVA_HOME").is_some() { "in $JAVA_HOME/bin" } else { "on $PATH" };
    let program = jdk_program(name).ok_or_else(|| missing(format!("no {name} {where_}")))?;
    let out = Command::new(&program)
        .arg("-version")
        .output()
        .map_err(|e| missing(format!("{} does not run: {e}", program.display())))?;
    // Both print their version on stderr: `openjdk version "17.0.15" …`, `javac 17.0.15`.
    let text = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    match java_major(&text) {
        Some(major) if major >= JAVA_MIN => Ok(program),
        _ => Err(missing(format!("{} says {:?}", program.display(), text.lines().next().unwrap_or("")))),
    }
}

fn parse_major_minor(text: &str) -> Option<(u32, u32)> {
    let (major, minor) = text.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// The major version in `java -version` or `javac -version` output ("1.8.0" is 8).
fn java_major(text: &str) -> Option<u32> {
    let line = text.lines().find(|l| l.contains("version") || l.starts_with("javac"))?;
    let version = match line.split_once('"') {
        Some((_, rest)) => rest.split('"').next()?,
        None => line.split_whitespace().nth(1)?,
    };
    let mut parts = version.split(['.', '-', '+', '_']);
    let first: u32 = parts.next()?.parse().ok()?;
    if first == 1 { parts.next()?.parse().ok() } else { Some(first) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_versions_are_read_from_what_the_tools_print() {
        let cases = [
            ("openjdk version \"17.0.15\" 2025-04-15\nOpenJDK Runtime Environment", Some(17)),
            ("javac 17.0.15", Some(17)),
            ("java version \"1.8.0_392\"", Some(8)),
            ("openjdk version \"21\" 2023-09-19", Some(21)),
            ("openjdk version \"11.0.2-ea\"", Some(11)),
            ("garbage", None),
        ];
        for (text, expected) in cases {
            assert_eq!(java_major(text), expected, "{text}");
        }
    }

    #[test]
    fn python_versions_compare_as_numbers() {
        assert!(parse_major_minor("3.11").unwrap() >= PYTHON_MIN);
        assert!(parse_major_minor("3.9").unwrap() < PYTHON_MIN);
        assert!(parse_major_minor("3.12").unwrap() >= PYTHON_MIN);
        assert_eq!(parse_major_minor("x"), None);
    }
}
