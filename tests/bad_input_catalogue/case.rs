//! One row of the catalogue and the small world it runs in: an input directory, a checkpoint
//! and a file-sink output under a temp directory, and the built binary.

use crashpoint_engine::plan::Plan;
use crashpoint_engine::sink::read_file_sink_output;
use crashpoint_engine::storage::{DiskStorage, Storage};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// The first input file's modification time; the n-th file is n seconds later.
pub const T0_MS: i64 = 1_790_000_000_000;

/// One input line in the tutorial's shape with one device: one output row `<event>/x`.
pub fn line(event: &str) -> String {
    format!(r#"{{"eventId": "{event}", "data": {{"devices": [{{"deviceId": "x", "temperature": 1.5}}]}}}}"#)
}

/// The standard run's arguments: file sink, one file a batch, no processing time.
const STANDARD: [&str; 12] = [
    "stream",
    "--input",
    "{in}",
    "--checkpoint",
    "{cp}",
    "--sink",
    "file",
    "--output",
    "{out}",
    "--no-processing-time",
    "--max-files-per-trigger",
    "1",
];

/// A console run on its own checkpoint `cp-console` (a row that uses it is restarted with it).
pub const CONSOLE: [&str; 8] =
    ["stream", "--input", "{in}", "--checkpoint", "{root}/cp-console", "--sink", "console", "--no-processing-time"];

/// How the user gets going again after the run under test.
pub enum Fix {
    /// Nothing: a plain restart goes on.
    Nothing,
    /// A `crashpoint` command, which must exit 0 (placeholders `{in}`, `{cp}`, `{out}`).
    Run(&'static [&'static str]),
    /// A step by hand, described in words, then done by the test.
    Hand(&'static str, fn(&Case)),
}

impl Fix {
    /// The way forward in words, for the table.
    pub fn describe(&self) -> String {
        match self {
            Fix::Nothing => "restart".into(),
            Fix::Run(args) => format!("`crashpoint {}`, restart", args.join(" ")),
            Fix::Hand(words, _) => format!("{words}, restart"),
        }
    }
}

/// One kind of bad input.
pub struct Row {
    /// The family: input bytes, file system, checkpoint, sink log, usage, disk.
    pub family: &'static str,
    /// What is wrong, in a few words.
    pub kind: &'static str,
    /// Builds the state: input files, earlier runs, tampering.
    pub arrange: fn(&Case),
    /// The run that meets the bad state.
    pub act: fn(&Case) -> Output,
    /// Its exit code.
    pub code: i32,
    /// What its stderr must say (the file, the line, what to do); placeholders as in [`Fix`].
    pub says: &'static [&'static str],
    /// The way forward, taken literally.
    pub fix: Fix,
    /// Every good record a reader must see exactly once at the end (`event/device`).
    pub good: &'static [&'static str],
    /// Every bad line that must be in a dead-letter file at the end (`file name:line`).
    pub dead: &'static [&'static str],
    /// The outcome, in words, for the table.
    pub outcome: &'static str,
}

/// A temp directory with `in/`, `cp/` and `out/`.
pub struct Case {
    _temp: tempfile::TempDir,
    pub root: PathBuf,
}

impl Case {
    fn new() -> Self {
        let temp = tempfile::tempdir().expect("a temp dir");
        let root = temp.path().canonicalize().expect("the temp dir resolves");
        std::fs::create_dir_all(root.join("in")).expect("in/");
        Case { _temp: temp, root }
    }

    pub fn input(&self) -> PathBuf {
        self.root.join("in")
    }

    pub fn cp(&self) -> PathBuf {
        self.root.join("cp")
    }

    pub fn out(&self) -> PathBuf {
        self.root.join("out")
    }

    /// Replaces `{in}`, `{cp}`, `{out}` and `{root}`.
    pub fn fill(&self, text: &str) -> String {
        text.replace("{in}", &self.input().display().to_string())
            .replace("{cp}", &self.cp().display().to_string())
            .replace("{out}", &self.out().display().to_string())
            .replace("{root}", &self.root.display().to_string())
    }

    /// Writes an input file with the n-th modification time.
    pub fn drop(&self, name: &str, bytes: &[u8], n: i64) -> PathBuf {
        let path = self.input().join(name);
        std::fs::write(&path, bytes).expect("write an input file");
        DiskStorage.set_mtime(&path, T0_MS + n * 1000).expect("set its mtime");
        path
    }

    /// The two good files of [`BASE`].
    pub fn base(&self) {
        let devices = r#"[{"deviceId": "d1", "temperature": 21.5}, {"deviceId": "d2", "temperature": 19.0}]"#;
        self.drop("g1.json", format!("{{\"eventId\": \"e1\", \"data\": {{\"devices\": {devices}}}}}\n").as_bytes(), 0);
        let device = r#"[{"deviceId": "d3", "temperature": 30.0}]"#;
        self.drop("g2.json", format!("{{\"eventId\": \"e2\", \"data\": {{\"devices\": {device}}}}}\n").as_bytes(), 1);
    }

    /// `crashpoint` with these arguments (placeholders filled), killed after 60 s: a run that
    /// blocks (on a FIFO, say) fails its row instead of hanging the suite.
    pub fn crashpoint(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.crashpoint_into(args, env, None)
    }

    /// As [`Case::crashpoint`], with stdout going into `stdout` (a file, `/dev/full`) if given.
    pub fn crashpoint_into(&self, args: &[&str], env: &[(&str, &str)], stdout: Option<std::fs::File>) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_crashpoint"));
        command.current_dir(&self.root).args(args.iter().map(|a| self.fill(a))).env_remove("FAILPOINTS");
        command.envs(env.iter().copied()).stdin(Stdio::null());
        // A run killed by a fail point aborts: no backtrace to collect.
        command.env_remove("RUST_BACKTRACE");
        wait_at_most(command, stdout, Duration::from_secs(60))
    }

    /// The standard run: file sink, one file a batch, no processing time; `extra` appended.
    pub fn stream(&self, extra: &[&str]) -> Output {
        self.crashpoint(&[&STANDARD[..], extra].concat(), &[])
    }

    /// The standard run, killed by a fail point (`FAILPOINTS` syntax).
    pub fn stream_crashing(&self, failpoints: &str) -> Output {
        let output = self.crashpoint(&STANDARD, &[("FAILPOINTS", failpoints)]);
        assert_eq!(
            output.status.code(),
            None,
            "the fail point {failpoints} must kill the run: {}",
            text(&output.stderr)
        );
        output
    }

    /// The standard run, which must succeed: part of a row's arrangement.
    pub fn stream_ok(&self) {
        let output = self.stream(&[]);
        assert!(output.status.success(), "arranging: the run failed: {}", text(&output.stderr));
    }

    /// The plain restart after a row's fix: the standard run, or for a row that ran the
    /// console sink on `cp-console`, the same console run printing into `console-last.txt`.
    fn restart(&self) -> Output {
        if !self.root.join("cp-console").exists() {
            return self.stream(&[]);
        }
        let file = std::fs::File::create(self.root.join("console-last.txt")).expect("a console file");
        self.crashpoint_into(&CONSOLE, &[], Some(file))
    }

    /// What a reader of the output sees through `_spark_metadata`, plus what a console printed
    /// into `console-*.txt` files under the root: `event/device`, sorted.
    pub fn seen(&self) -> Vec<String> {
        let mut rows = Vec::new();
        if self.out().join("_spark_metadata").exists() {
            let schema = Plan::tutorial_without_time().compile().expect("the plan compiles").schema().to_vec();
            let out = read_file_sink_output(&DiskStorage, &self.out(), &schema, true).expect("the output reads");
            rows.extend(out.iter().map(|r| format!("{}/{}", show(&r[0]), show(&r[1]))));
        }
        for entry in std::fs::read_dir(&self.root).expect("the root lists").flatten() {
            if entry.file_name().to_string_lossy().starts_with("console-") {
                rows.extend(console_rows(&std::fs::read_to_string(entry.path()).expect("console text")));
            }
        }
        rows.sort();
        rows
    }

    /// Every dead-letter record as `file name:line`, sorted.
    pub fn dead_letters(&self) -> Vec<String> {
        let dir = self.cp().join("dead-letters");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            for line in std::fs::read_to_string(entry.path()).expect("a dead-letter file").lines() {
                let record: serde_json::Value = serde_json::from_str(line).expect("a dead-letter record");
                let file =
                    record["file"].as_str().unwrap_or_default().rsplit('/').next().unwrap_or_default().to_string();
                out.push(format!("{file}:{}", record["line"]));
            }
        }
        out.sort();
        out
    }

    /// Runs a row end to end; panics with what went wrong.
    pub fn run(row: &Row) {
        let case = Case::new();
        (row.arrange)(&case);
        let output = (row.act)(&case);
        let stderr = text(&output.stderr);
        let said = format!("{}{stderr}", text(&output.stdout));
        assert_eq!(output.status.code(), Some(row.code), "exit code; it said:\n{said}");
        for fragment in row.says {
            let fragment = case.fill(fragment);
            assert!(said.contains(&fragment), "the run does not say '{fragment}':\n{said}");
        }
        assert_each_cause_once(&stderr);
        match &row.fix {
            Fix::Nothing => {}
            Fix::Run(args) => {
                let fixed = case.crashpoint(args, &[]);
                let said = format!("{}{}", text(&fixed.stdout), text(&fixed.stderr));
                assert!(fixed.status.success(), "the fix {args:?} failed:\n{said}");
            }
            Fix::Hand(_, step) => step(&case),
        }
        let last = case.restart();
        assert!(last.status.success(), "the restart after the fix failed:\n{}", text(&last.stderr));
        assert_exactly_once(&case.seen(), row.good);
        assert_eq!(case.dead_letters(), row.dead.to_vec(), "dead letters");
    }
}

/// Each good record once, and nothing else.
fn assert_exactly_once(seen: &[String], good: &[&str]) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for row in seen {
        *counts.entry(row.as_str()).or_default() += 1;
    }
    let mut expected: Vec<&str> = good.to_vec();
    expected.sort();
    let wrong: Vec<String> = counts.iter().filter(|(_, n)| **n != 1).map(|(r, n)| format!("{r} x{n}")).collect();
    assert!(wrong.is_empty(), "records not seen exactly once: {wrong:?}");
    let seen: Vec<&str> = counts.keys().copied().collect();
    assert_eq!(seen, expected, "the records a reader sees");
}

/// No cause is printed twice on the error line: no OS error twice, no clause twice.
fn assert_each_cause_once(stderr: &str) {
    for line in stderr.lines().filter(|l| l.starts_with("error:")) {
        for code in 1..200 {
            let os = format!("(os error {code})");
            assert!(line.matches(&os).count() <= 1, "{os} printed twice: {line}");
        }
        let clauses: Vec<&str> = line.split([':', ';']).map(str::trim).filter(|c| c.len() >= 16).collect();
        for (i, clause) in clauses.iter().enumerate() {
            assert!(!clauses[i + 1..].contains(clause), "'{clause}' printed twice: {line}");
        }
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn show(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The `event/device` of each row of Spark's `show()` tables.
fn console_rows(text: &str) -> Vec<String> {
    let mut rows = Vec::new();
    for line in text.lines().filter(|l| l.starts_with('|') && !l.contains("eventId")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() > 3 {
            rows.push(format!("{}/{}", cells[1], cells[2]));
        }
    }
    rows
}

fn wait_at_most(mut command: Command, stdout: Option<std::fs::File>, limit: Duration) -> Output {
    command.stdout(stdout.map_or_else(Stdio::piped, Stdio::from));
    let child = command.stderr(Stdio::piped()).spawn().expect("the binary starts");
    let pid = child.id() as i32;
    let (done, result) = std::sync::mpsc::channel();
    // The pipes are drained while the child runs, so that a chatty child never blocks on them.
    std::thread::spawn(move || done.send(child.wait_with_output()));
    match result.recv_timeout(limit) {
        Ok(output) => output.expect("its output"),
        Err(_) => {
            // SAFETY: a signal to the child this function started, which has not been reaped.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            let output = result.recv().expect("the waiter ends").expect("its output");
            panic!("the run did not end within {limit:?} (blocked?): {}", text(&output.stderr));
        }
    }
}
