//! The command sink: the user's program, in any language, as the sink, over a line protocol on
//! its stdin and stdout (UTF-8, one message a line):
//!
//! ```text
//! crashpoint → program   batch <id> <n>        then n lines, one JSON object per row
//! program → crashpoint   ok                    the batch is durable
//!                        skip <reason>         the program already had this batch id
//!                        error <message>       the batch failed (the run stops)
//! crashpoint → program   read
//! program → crashpoint   one JSON object per row a reader sees, then: end
//! ```
//!
//! One process per run of the query: it starts with the query and dies with it, killed
//! (SIGKILL, its whole process group) at a crash as at the end of a run, never asked to exit,
//! so that what it acknowledged must already be durable. It is killed only once it has read
//! every line sent and all its threads sleep, so that where it stopped does not depend on the
//! scheduler. With `kill_mid_batch`, the crash point `during-sink-write` falls after the first
//! half of a batch's rows: the program dies holding a batch it has not acknowledged.
//!
//! The program keeps its state in the directory named by `CRASHPOINT_SINK_DIR` (also `{dir}` in
//! its arguments), one per world. A simulated power loss does not reach it: the protocol asks
//! the program to answer only once the batch is durable. This module must never look at the
//! checkpoint.

use crashpoint_engine::checkpoint::WriteCtx;
use crashpoint_engine::faults::CrashPoint;
use crashpoint_engine::guarantee::Guarantee;
use crashpoint_engine::json::row_to_json;
use crashpoint_engine::plan::Row;
use crashpoint_engine::sink::{Batch, ReadBack, Sink, SinkError, SinkOutcome};
use crashpoint_engine::storage::Storage;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the program may take to answer one message.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);
/// How long to wait for the program to take every line and sleep before it is killed anyway.
const IDLE_TIMEOUT: Duration = Duration::from_secs(5);
/// The lines of the program's stderr quoted in an error.
const STDERR_TAIL_LINES: usize = 10;

/// The user's program as a sink.
pub struct CommandSink {
    command: Vec<String>,
    dir: PathBuf,
    stderr_log: PathBuf,
    guarantee: Guarantee,
    kill_mid_batch: bool,
    running: Option<Running>,
}

struct Running {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl CommandSink {
    /// The program `command` (`{dir}` in an argument becomes `dir`), keeping its state in `dir`;
    /// its stderr is appended to `stderr_log`.
    pub fn new(command: &[String], dir: &Path, stderr_log: &Path, guarantee: Guarantee) -> Self {
        let dir_text = dir.display().to_string();
        Self {
            command: command.iter().map(|a| a.replace("{dir}", &dir_text)).collect(),
            dir: dir.to_path_buf(),
            stderr_log: stderr_log.to_path_buf(),
            guarantee,
            kill_mid_batch: false,
            running: None,
        }
    }

    /// Crash point `during-sink-write` kills the program after half of a batch's rows.
    pub fn with_kill_mid_batch(mut self, on: bool) -> Self {
        self.kill_mid_batch = on;
        self
    }

    fn error(&self, message: String) -> SinkError {
        let tail = std::fs::read_to_string(&self.stderr_log).unwrap_or_default();
        let lines: Vec<&str> = tail.lines().collect();
        let tail = lines[lines.len().saturating_sub(STDERR_TAIL_LINES)..].join("\n  ");
        let tail = if tail.is_empty() { String::new() } else { format!("; its stderr ends with:\n  {tail}") };
        SinkError::External { sink: format!("sink program {:?}", self.command), message: format!("{message}{tail}") }
    }

    fn spawn(&self) -> Result<Running, SinkError> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| self.error(format!("cannot make {}: {e}", self.dir.display())))?;
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.stderr_log)
            .map_err(|e| self.error(format!("cannot open {}: {e}", self.stderr_log.display())))?;
        let (program, args) = self.command.split_first().expect("a command has a program");
        let mut child = Command::new(program)
            .args(args)
            .env("CRASHPOINT_SINK_DIR", &self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            // Its own process group, so that a kill takes its children too.
            .process_group(0)
            .spawn()
            .map_err(|e| self.error(format!("cannot start it: {e}")))?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        Ok(Running { child, stdin, stdout })
    }

    fn running(&mut self) -> Result<&mut Running, SinkError> {
        if self.running.is_none() {
            self.running = Some(self.spawn()?);
        }
        Ok(self.running.as_mut().expect("just started"))
    }

    fn send(&mut self, text: &[u8]) -> Result<(), SinkError> {
        let running = self.running()?;
        let sent = running.stdin.write_all(text).and_then(|_| running.stdin.flush());
        sent.map_err(|e| self.error(format!("it stopped reading its stdin: {e}")))
    }

    /// The program's next line, without its newline.
    fn answer(&mut self, waiting_for: &str) -> Result<String, SinkError> {
        let running = self.running()?;
        let ready = running.stdout.buffer().is_empty().then(|| wait_readable(&running.stdout, ANSWER_TIMEOUT));
        if ready == Some(false) {
            return Err(self.error(format!("no answer to {waiting_for} within {} s", ANSWER_TIMEOUT.as_secs())));
        }
        let mut line = String::new();
        let read = running.stdout.read_line(&mut line);
        match read {
            Ok(0) => {
                let status = self.running.as_mut().and_then(|r| r.child.wait().ok());
                let status = status.map_or("?".to_string(), |s| s.to_string());
                Err(self.error(format!("it exited ({status}) before it answered {waiting_for}")))
            }
            Ok(_) => Ok(line.trim_end_matches(['\n', '\r']).to_string()),
            Err(e) => Err(self.error(format!("cannot read its answer to {waiting_for}: {e}"))),
        }
    }

    /// Kills the program once it is idle, and waits for it.
    fn kill(&mut self) {
        let Some(mut running) = self.running.take() else { return };
        wait_idle(running.child.id(), running.stdin.as_raw_fd());
        // SAFETY: kill(2) on the process group the child leads; no memory is involved.
        unsafe { libc::kill(-(running.child.id() as i32), libc::SIGKILL) };
        let _ = running.child.wait();
    }

    fn rows_text(schema: &[String], rows: &[Row]) -> Vec<u8> {
        let mut text = Vec::with_capacity(rows.len() * 64);
        for row in rows {
            row_to_json(schema, row, &mut text);
            text.push(b'\n');
        }
        text
    }
}

impl Drop for CommandSink {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Sink for CommandSink {
    fn kind(&self) -> &'static str {
        "command"
    }

    fn guarantee(&self) -> Guarantee {
        self.guarantee
    }

    fn open(&mut self, _storage: &dyn Storage) -> Result<(), SinkError> {
        self.running().map(|_| ())
    }

    fn add_batch(&mut self, ctx: &mut WriteCtx<'_>, batch: Batch<'_>) -> Result<SinkOutcome, SinkError> {
        let header = format!("batch {} {}\n", batch.id, batch.rows.len());
        let half = if self.kill_mid_batch { batch.rows.len() / 2 } else { batch.rows.len() };
        let (first, rest) = batch.rows.split_at(half);
        self.send(&[header.as_bytes(), &Self::rows_text(batch.schema, first)].concat())?;
        if self.kill_mid_batch
            && let Err(crash) = ctx.faults.hit(CrashPoint::DuringSinkWrite)
        {
            self.kill();
            return Err(crash.into());
        }
        self.send(&Self::rows_text(batch.schema, rest))?;
        let answer = self.answer(&format!("batch {}", batch.id))?;
        match answer.split_once(' ').unwrap_or((answer.as_str(), "")) {
            ("ok", _) => Ok(SinkOutcome::Written),
            ("skip", reason) => Ok(SinkOutcome::Skipped(format!("the program says: {reason}"))),
            ("error", message) => Err(self.error(format!("it failed batch {}: {message}", batch.id))),
            _ => Err(self.error(format!("it answered {answer:?} to batch {}; expected ok, skip or error", batch.id))),
        }
    }
}

impl ReadBack for CommandSink {
    /// Starts a fresh instance of the program, as a new reader would connect, and asks it.
    fn read_back(&self, _storage: &dyn Storage, schema: &[String]) -> Result<Vec<Row>, SinkError> {
        let mut reader = self.clone_config();
        reader.send(b"read\n")?;
        let mut rows = Vec::new();
        loop {
            let line = reader.answer("read")?;
            if line == "end" {
                break;
            }
            let object: serde_json::Map<String, Value> = serde_json::from_str(&line)
                .map_err(|e| reader.error(format!("it answered read with {line:?}, not a JSON object: {e}")))?;
            rows.push(schema.iter().map(|c| object.get(c).cloned().unwrap_or(Value::Null)).collect());
        }
        Ok(rows)
    }
}

impl CommandSink {
    fn clone_config(&self) -> CommandSink {
        CommandSink {
            command: self.command.clone(),
            dir: self.dir.clone(),
            stderr_log: self.stderr_log.clone(),
            guarantee: self.guarantee,
            kill_mid_batch: self.kill_mid_batch,
            running: None,
        }
    }
}

/// True once the program's stdout has something to read, false after `timeout`.
fn wait_readable(stdout: &BufReader<ChildStdout>, timeout: Duration) -> bool {
    let mut poll = libc::pollfd { fd: stdout.get_ref().as_raw_fd(), events: libc::POLLIN, revents: 0 };
    let timeout_ms = timeout.as_millis().min(i32::MAX as u128) as i32;
    loop {
        // SAFETY: one valid pollfd for the duration of the call.
        let ready = unsafe { libc::poll(&mut poll, 1, timeout_ms) };
        if ready >= 0 || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return ready > 0;
        }
    }
}

/// Waits until the program has read every byte sent to it and all its threads sleep: then
/// what it did with its input is done, and a kill lands at the same place every time.
fn wait_idle(pid: u32, stdin: i32) {
    let deadline = Instant::now() + IDLE_TIMEOUT;
    let mut pause = Duration::from_micros(20);
    while Instant::now() < deadline {
        if unread_bytes(stdin) == 0 && sleeping(pid) {
            return;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(2));
    }
}

/// Bytes written into the program's stdin that it has not read yet.
fn unread_bytes(fd: i32) -> i32 {
    let mut count: libc::c_int = 0;
    // SAFETY: FIONREAD writes one c_int through the pointer.
    let status = unsafe { libc::ioctl(fd, libc::FIONREAD, &mut count) };
    if status < 0 { 0 } else { count }
}

/// True if every thread of `pid` sleeps (or the process is gone); true as well where `/proc`
/// cannot say, which then leaves only the pipe to go by.
fn sleeping(pid: u32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return true };
    tasks.flatten().all(|task| {
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.trim_start().chars().next());
        !matches!(state, Some('R' | 'D'))
    })
}
