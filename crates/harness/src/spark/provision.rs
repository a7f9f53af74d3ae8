//! Provisioning on first use: a virtual environment with pyspark 4.3.0 from the package
//! registry, and the driver's files with their compiled Java classes, in the Spark home.
//!
//! Safe under concurrency: everything happens under an exclusive file lock on `<home>/.lock`, so
//! parallel tests and two processes provision once. Safe under interruption: the venv is trusted
//! only when its stamp file exists, written last; a driver directory appears only by the rename of
//! a complete one. It never deletes anything outside the Spark home.

use super::embedded::{self, DRIVER_PY, FILES, JAVA_SRC};
use super::error::{SparkError, io};
use super::home::spark_home;
use super::tools;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The pyspark release the Spark target runs.
pub const PYSPARK_VERSION: &str = "4.3.0";
/// An existing Python with pyspark 4.3.0 to use instead of the provisioned venv.
pub const PYTHON_VAR: &str = "CRASHPOINT_SPARK_PYTHON";

const STAMP: &str = ".crashpoint-ready";

/// What the driver needs to start: a Python with pyspark, and the driver's files.
#[derive(Debug, Clone)]
pub struct Provisioned {
    /// The Spark home.
    pub home: PathBuf,
    /// The Python interpreter that has pyspark.
    pub python: PathBuf,
    /// The directory holding `driver.py`, `java/` and `classes/`.
    pub driver_dir: PathBuf,
}

impl Provisioned {
    /// `driver.py`.
    pub fn driver_py(&self) -> PathBuf {
        self.driver_dir.join(DRIVER_PY)
    }
    /// The Java sources.
    pub fn java_src(&self) -> PathBuf {
        self.driver_dir.join(JAVA_SRC)
    }
    /// The compiled classes.
    pub fn classes(&self) -> PathBuf {
        self.driver_dir.join("classes")
    }
}

/// Provisions the Spark home (see the module docs) and returns what the driver needs. Progress
/// goes to stderr; a provisioned home costs a lock and a few file checks.
pub fn provision() -> Result<Provisioned, SparkError> {
    let home = spark_home();
    std::fs::create_dir_all(&home).map_err(io("creating the Spark home", &home))?;
    let lock_path = home.join(".lock");
    let lock = File::create(&lock_path).map_err(io("creating the lock", &lock_path))?;
    lock.lock().map_err(io("locking", &lock_path))?;
    let python = match std::env::var_os(PYTHON_VAR).filter(|v| !v.is_empty()) {
        Some(python) => checked_python(&home, PathBuf::from(python))?,
        None => venv_python(&home)?,
    };
    let driver_dir = driver_dir(&home, &python)?;
    drop(lock);
    Ok(Provisioned { home, python, driver_dir })
}

fn venv_python(home: &Path) -> Result<PathBuf, SparkError> {
    let venv = home.join("venv");
    let python = venv.join("bin").join("python");
    if venv.join(STAMP).is_file() && python.is_file() {
        return Ok(python);
    }
    let system_python = tools::python3()?;
    tools::jdk()?;
    eprintln!(
        "crashpoint: provisioning Spark: pyspark {PYSPARK_VERSION} into {} (first use only: about 455 MB to download, 1-2 min)",
        venv.display()
    );
    if venv.exists() {
        // A venv without its stamp is an interrupted install: never trust it.
        std::fs::remove_dir_all(&venv).map_err(io("removing the unfinished venv", &venv))?;
    }
    let mut create = Command::new(&system_python);
    create.arg("-m").arg("venv").arg(&venv);
    run(home, create, "Debian/Ubuntu need `apt-get install python3-venv` for `python3 -m venv`")?;
    let mut pip = Command::new(&python);
    pip.args(["-m", "pip", "install", "--progress-bar", "off"]).arg(format!("pyspark=={PYSPARK_VERSION}"));
    run(home, pip, "the package registry must be reachable")?;
    let python = checked_python(home, python)?;
    let stamp = venv.join(STAMP);
    std::fs::write(&stamp, format!("pyspark=={PYSPARK_VERSION}\n")).map_err(io("writing the stamp", &stamp))?;
    eprintln!("crashpoint: Spark is provisioned in {}", venv.display());
    Ok(python)
}

/// `python`, checked to import pyspark 4.3.0.
fn checked_python(home: &Path, python: PathBuf) -> Result<PathBuf, SparkError> {
    let version = python_output(home, &python, "import pyspark; print(pyspark.__version__)")?;
    if version != PYSPARK_VERSION {
        return Err(SparkError::Missing {
            what: format!("pyspark {PYSPARK_VERSION} in {}", python.display()),
            found: format!("pyspark {version}"),
            install: format!(
                "it with `{} -m pip install pyspark=={PYSPARK_VERSION}`, or unset ${PYTHON_VAR}",
                python.display()
            ),
        });
    }
    Ok(python)
}

fn python_output(home: &Path, python: &Path, code: &str) -> Result<String, SparkError> {
    let out = Command::new(python).args(["-c", code]).output().map_err(io("running", python))?;
    if !out.status.success() {
        return Err(SparkError::Provision {
            home: home.to_path_buf(),
            command: format!("{} -c {code:?}", python.display()),
            detail: format!("{}: {}", out.status, tail(&String::from_utf8_lossy(&out.stderr), 10)),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The driver directory for the embedded files, written and compiled if it is not there yet.
fn driver_dir(home: &Path, python: &Path) -> Result<PathBuf, SparkError> {
    let dir = home.join(format!("driver-{}", embedded::content_hash()));
    if dir.is_dir() {
        return Ok(dir);
    }
    let (_, javac) = tools::jdk()?;
    let building = home.join(format!("driver-{}.building", embedded::content_hash()));
    if building.exists() {
        std::fs::remove_dir_all(&building).map_err(io("removing an unfinished driver directory", &building))?;
    }
    for file in FILES {
        let path = building.join(file.path);
        std::fs::create_dir_all(path.parent().expect("a relative path with a parent"))
            .map_err(io("creating", &path))?;
        std::fs::write(&path, file.text).map_err(io("writing", &path))?;
    }
    let jars = python_output(
        home,
        python,
        "import os, pyspark; print(os.path.join(os.path.dirname(pyspark.__file__), 'jars'))",
    )?;
    let mut compile = Command::new(javac);
    compile.args(["--release", "17", "-nowarn", "-d"]).arg(building.join("classes"));
    compile.arg("-cp").arg(Path::new(&jars).join("*"));
    for file in FILES.iter().filter(|f| f.path.ends_with(".java")) {
        compile.arg(building.join(file.path));
    }
    run(home, compile, "the Java sources must compile against pyspark's jars")?;
    std::fs::rename(&building, &dir).map_err(io("renaming the driver directory into place", &dir))?;
    Ok(dir)
}

/// Runs a provisioning command with its output on our stderr (the user sees the progress).
fn run(home: &Path, mut command: Command, hint: &str) -> Result<(), SparkError> {
    let shown = format!("{command:?}").replace('"', "");
    let _ = writeln!(std::io::stderr(), "crashpoint: {shown}");
    let status = command.stdin(Stdio::null()).stdout(std::io::stderr()).status().map_err(|e| {
        SparkError::Provision { home: home.to_path_buf(), command: shown.clone(), detail: e.to_string() }
    })?;
    if !status.success() {
        return Err(SparkError::Provision {
            home: home.to_path_buf(),
            command: shown,
            detail: format!("{status} (its output is above; {hint})"),
        });
    }
    Ok(())
}

/// The last `lines` lines of `text`.
pub(crate) fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
