//! `SparkDriver`: one long-lived pyspark driver process (`spark/driver.py`), spoken to in JSON
//! lines over its stdin and stdout, with a timeout on every answer.
//!
//! It starts the driver in its own process group, so that a hung driver is killed with its JVM.
//! It never interprets what Spark did: it only carries typed requests and responses.

use super::error::{SparkError, io};
use super::protocol::{
    FileSinkRows, Hello, PROTOCOL_VERSION, ReadFileSinkRequest, Request, RunRequest, RunResponse, SqlRequest, SqlRows,
};
use super::provision::{Provisioned, provision, tail};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

/// How long the driver may take to start Spark and answer `hello` (javac included).
const START_TIMEOUT: Duration = Duration::from_secs(300);
/// How long a request other than `run` may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(180);
/// A run's own timeout is enforced by the driver; this is added for stopping the query.
const RUN_GRACE: Duration = Duration::from_secs(60);
/// Log directories of earlier drivers kept in `<home>/logs`.
const LOG_DIRS_KEPT: usize = 20;

/// A running driver.
pub struct SparkDriver {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<std::io::Result<String>>,
    log_dir: PathBuf,
    next_id: u64,
    hello: Hello,
}

impl SparkDriver {
    /// Provisions Spark if needed, starts a driver and waits until Spark is up.
    pub fn start() -> Result<SparkDriver, SparkError> {
        let provisioned = provision()?;
        let log_dir = new_log_dir(&provisioned.home)?;
        let (child, stdin, lines) = spawn(&provisioned, &log_dir)?;
        let placeholder = Hello {
            protocol: PROTOCOL_VERSION,
            spark: String::new(),
            java: String::new(),
            python: String::new(),
            jvm_start_ms: 0,
            log_dir: log_dir.clone(),
        };
        let mut driver = SparkDriver { child, stdin: Some(stdin), lines, log_dir, next_id: 1, hello: placeholder };
        let hello: Hello = driver.request(&Request::Hello, START_TIMEOUT)?;
        if hello.protocol != PROTOCOL_VERSION {
            return Err(SparkError::Protocol {
                op: "hello".into(),
                cause: format!("protocol {} where {PROTOCOL_VERSION} is spoken", hello.protocol),
                line: String::new(),
            });
        }
        driver.hello = hello;
        Ok(driver)
    }

    /// Versions and the JVM's start time.
    pub fn hello(&self) -> &Hello {
        &self.hello
    }

    /// Where the driver's stderr, the JVM's stdout (the console sink) and Spark's log go.
    pub fn log_dir(&self) -> &Path {
        &self.log_dir
    }

    /// One streaming query. A query that fails or crashes is an `Ok` response with its outcome.
    pub fn run(&mut self, run: RunRequest) -> Result<RunResponse, SparkError> {
        let timeout = Duration::from_millis(run.timeout_ms) + RUN_GRACE;
        self.request(&Request::Run(Box::new(run)), timeout)
    }

    /// What a reader of the file sink at `path` sees (only files in `_spark_metadata`).
    pub fn read_file_sink(&mut self, path: &Path, schema: Option<&str>) -> Result<FileSinkRows, SparkError> {
        let req = ReadFileSinkRequest { path: path.to_path_buf(), schema: schema.map(str::to_string) };
        self.request(&Request::ReadFileSink(req), REQUEST_TIMEOUT)
    }

    /// A batch SQL query.
    pub fn sql(&mut self, query: &str) -> Result<SqlRows, SparkError> {
        self.request(&Request::Sql(SqlRequest { query: query.to_string() }), REQUEST_TIMEOUT)
    }

    /// Sends one request and reads its answer, typed.
    fn request<T: DeserializeOwned>(&mut self, req: &Request, timeout: Duration) -> Result<T, SparkError> {
        let op = req.op();
        let id = self.next_id;
        self.next_id += 1;
        let mut line = serde_json::to_value(req).expect("a request is JSON");
        line["id"] = Value::from(id);
        let text = line.to_string() + "\n";
        let stdin = self.stdin.as_mut().expect("stdin is open until drop");
        if stdin.write_all(text.as_bytes()).and_then(|()| stdin.flush()).is_err() {
            return Err(self.died(op));
        }
        let answer = match self.lines.recv_timeout(timeout) {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) | Err(RecvTimeoutError::Disconnected) => return Err(self.died(op)),
            Err(RecvTimeoutError::Timeout) => {
                self.kill();
                return Err(SparkError::Timeout {
                    op: op.into(),
                    timeout_s: timeout.as_secs(),
                    log_dir: self.log_dir.clone(),
                    log_tail: log_tail(&self.log_dir),
                });
            }
        };
        parse_answer(op, id, &answer)
    }

    fn died(&mut self, op: &str) -> SparkError {
        // Give the process a moment to exit so that its status is known.
        let mut status = "still running, its output closed".to_string();
        for _ in 0..20 {
            if let Ok(Some(s)) = self.child.try_wait() {
                status = s.to_string();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill();
        SparkError::DriverDied {
            op: op.into(),
            status,
            log_dir: self.log_dir.clone(),
            log_tail: log_tail(&self.log_dir),
        }
    }

    fn kill(&mut self) {
        // The driver leads its own process group (see `spawn`): this ends its JVM too.
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: kill(2) with a negative pid signals that process group; no memory is involved.
            unsafe { libc::kill(-pid, libc::SIGKILL) };
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for SparkDriver {
    fn drop(&mut self) {
        // Closing stdin is the driver's signal to stop Spark and exit; wait a little, then kill.
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(b"{\"op\":\"shutdown\"}\n");
        }
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.kill();
    }
}

type Spawned = (Child, ChildStdin, Receiver<std::io::Result<String>>);

fn spawn(p: &Provisioned, log_dir: &Path) -> Result<Spawned, SparkError> {
    let stderr_path = log_dir.join("driver-stderr.log");
    let stderr = std::fs::File::create(&stderr_path).map_err(io("creating", &stderr_path))?;
    let mut command = Command::new(&p.python);
    command
        .arg(p.driver_py())
        .arg("--java-src")
        .arg(p.java_src())
        .arg("--classes")
        .arg(p.classes())
        .arg("--log-dir")
        .arg(log_dir)
        .env("PYSPARK_PYTHON", &p.python)
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr);
    if std::env::var_os("SPARK_LOCAL_IP").is_none() {
        // No network here but loopback; it also spares Spark a reverse lookup of the host name.
        command.env("SPARK_LOCAL_IP", "127.0.0.1");
    }
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn().map_err(io("starting the Spark driver", p.driver_py()))?;
    let stdin = child.stdin.take().expect("piped");
    let stdout = child.stdout.take().expect("piped");
    let (send, lines) = channel();
    std::thread::Builder::new()
        .name("spark-driver-stdout".into())
        .spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let end = line.is_err();
                if send.send(line).is_err() || end {
                    break;
                }
            }
        })
        .map_err(io("starting the driver's reader thread for", log_dir))?;
    Ok((child, stdin, lines))
}

/// The answer line of request `id`, typed, or the driver's refusal.
fn parse_answer<T: DeserializeOwned>(op: &str, id: u64, line: &str) -> Result<T, SparkError> {
    let protocol =
        |cause: String| SparkError::Protocol { op: op.into(), cause, line: line.chars().take(400).collect() };
    let mut map: Map<String, Value> =
        serde_json::from_str(line).map_err(|e| protocol(format!("not a JSON object: {e}")))?;
    if map.get("id") != Some(&Value::from(id)) {
        return Err(protocol(format!("the answer is not to request {id}")));
    }
    if map.get("ok") != Some(&Value::Bool(true)) {
        let error = map.remove("error").unwrap_or(Value::Null);
        let message = match serde_json::from_value::<super::protocol::JavaError>(error.clone()) {
            Ok(e) if e.chain.len() > 1 => {
                format!("{} (root cause: {})", e.message.clone().unwrap_or_default(), e.root())
            }
            Ok(e) => e.message.unwrap_or_default(),
            Err(_) => error.to_string(),
        };
        return Err(SparkError::Refused { op: op.into(), message });
    }
    serde_json::from_value(Value::Object(map)).map_err(|e| protocol(format!("unexpected fields: {e}")))
}

fn new_log_dir(home: &Path) -> Result<PathBuf, SparkError> {
    let logs = home.join("logs");
    std::fs::create_dir_all(&logs).map_err(io("creating", &logs))?;
    prune_log_dirs(&logs);
    let dir = tempfile::Builder::new()
        .prefix(&format!("driver-{}-", std::process::id()))
        .tempdir_in(&logs)
        .map_err(io("creating a log directory in", &logs))?;
    Ok(dir.keep())
}

/// Keeps the newest log directories of earlier drivers, so that `<home>/logs` does not grow.
fn prune_log_dirs(logs: &Path) {
    let Ok(entries) = std::fs::read_dir(logs) else { return };
    let mut dirs: Vec<(std::time::SystemTime, PathBuf)> =
        entries.flatten().filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path()))).collect();
    dirs.sort();
    let excess = dirs.len().saturating_sub(LOG_DIRS_KEPT);
    for (_, dir) in dirs.into_iter().take(excess) {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The last lines of the driver's stderr and of Spark's log.
fn log_tail(log_dir: &Path) -> String {
    let mut out = String::new();
    for name in ["driver-stderr.log", "jvm-stderr.log"] {
        let text = std::fs::read(log_dir.join(name)).unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        if !text.trim().is_empty() {
            out += &format!("--- the end of {name} ---\n{}\n", tail(&text, 25));
        }
    }
    if out.is_empty() { "(its logs are empty)".into() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_checked_and_refusals_carry_the_driver_s_message() {
        let ok: Result<super::super::protocol::SqlRows, _> =
            parse_answer("sql", 3, r#"{"ok": true, "op": "sql", "id": 3, "columns": ["t"], "rows": [{"t": 1}]}"#);
        assert_eq!(ok.unwrap().columns, ["t"]);
        let wrong_id: Result<SqlRows, _> =
            parse_answer("sql", 4, r#"{"ok": true, "id": 3, "columns": [], "rows": []}"#);
        assert!(matches!(wrong_id, Err(SparkError::Protocol { .. })));
        let refused: Result<SqlRows, _> = parse_answer(
            "run",
            5,
            r#"{"ok": false, "id": 5, "error": {"class": "request", "message": "bad plan", "chain": []}}"#,
        );
        let message = refused.unwrap_err().to_string();
        assert!(message.contains("refused `run`: bad plan"), "{message}");
        let garbage: Result<SqlRows, _> = parse_answer("sql", 6, "Traceback (most recent call last):");
        assert!(matches!(garbage, Err(SparkError::Protocol { .. })));
    }
}
