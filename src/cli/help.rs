//! The examples and exit codes that `--help` shows under each command.

/// Exit codes, as every command uses them.
macro_rules! exit_codes {
    () => {
        "Exit codes:\n  0  all passed\n  1  a check failed (a verdict, an invariant, a snapshot, a violation)\n  \
         2  bad input, a bad scenario, or usage\n  3  the disk failed at run time (EIO, ENOSPC, a read-only file system)"
    };
}

pub const MAIN: &str = concat!(
    "Examples:\n",
    "  crashpoint demo                                  the Spark checkpointing tutorial, end to end\n",
    "  crashpoint run scenarios/                        every scenario against its snapshot\n",
    "  crashpoint explore scenarios/tutorial.toml --depth 2\n",
    "\n",
    exit_codes!()
);

pub const DEMO: &str = concat!(
    "Examples:\n",
    "  crashpoint demo                  in a new temp directory, printed\n",
    "  crashpoint demo ./tutorial       in ./tutorial (new or empty; anything else is refused)\n",
    "\n",
    "Every `$` line the demo prints can be pasted into a shell to go on from the demo's state.\n\n",
    exit_codes!()
);

pub const STREAM: &str = concat!(
    "Examples:\n",
    "  crashpoint stream --input in --checkpoint cp\n",
    "      the tutorial's query: console sink, maxFilesPerTrigger 1, availableNow\n",
    "  crashpoint stream --input in --checkpoint cp --sink file --output out\n",
    "  crashpoint stream --input in --checkpoint cp --log json 2> events.jsonl\n",
    "  FAILPOINTS='after-sink-write=1*off->panic' crashpoint stream --input in --checkpoint cp\n",
    "      dies after the second batch's sink write, before its commit, as under kill -9\n",
    "\n",
    "The engine's events (batch planned, sink wrote, committed, recovered) go to stderr as they\n",
    "happen; the rows go to stdout.\n\n",
    exit_codes!()
);

pub const INSPECT: &str = concat!(
    "Examples:\n",
    "  crashpoint inspect cp\n",
    "  crashpoint inspect tests/fixtures/spark-reference/three_files/checkpoint   (Spark's own)\n",
    "\n",
    exit_codes!()
);

pub const DOCTOR: &str = concat!(
    "Examples:\n",
    "  crashpoint doctor cp             what is wrong, and what is safe to repair\n",
    "  crashpoint doctor cp --repair    delete what is safe to delete\n",
    "\n",
    exit_codes!()
);

pub const POINTS: &str = concat!("Examples:\n", "  crashpoint points\n", "\n", exit_codes!());

pub const RUN: &str = concat!(
    "Examples:\n",
    "  crashpoint run                                   every scenario under scenarios/\n",
    "  crashpoint run scenarios/crashes 'scenarios/tutorial_*.toml'\n",
    "  crashpoint run --format junit > junit.xml        for GitLab or Jenkins\n",
    "  crashpoint run --format json                     schema crashpoint-run/1 (README)\n",
    "  crashpoint run --accept                          write the new snapshots\n",
    "\n",
    "A rendering that differs from its snapshot is written beside it as <name>.snap.new, for\n",
    "`cargo insta review`.\n\n",
    exit_codes!()
);

pub const EXPLORE: &str = concat!(
    "Examples:\n",
    "  crashpoint explore scenarios/tutorial.toml --depth 2\n",
    "  crashpoint explore scenarios/tutorial_file_sink_crash_free.toml --bug file-sink-ignores-log\n",
    "  crashpoint explore scenarios/crashes 'scenarios/tutorial_*.toml'   folders and quoted globs\n",
    "  crashpoint explore scenarios/ --junit explore.xml   a testcase per explored scenario, for CI\n",
    "  crashpoint explore scenarios/tutorial.toml --bug commit-before-sink --html found.html\n",
    "      a picture of the violating schedules: timeline, traced records, the disk after each step\n",
    "\n",
    exit_codes!()
);

pub const FUZZ: &str = concat!(
    "Examples:\n",
    "  crashpoint fuzz --cases 2000 --seed 7 --power-loss\n",
    "  crashpoint fuzz --cases 500 --bug commit-before-sink --out found/\n",
    "  crashpoint fuzz --cases 300 --bug commit-before-sink --html found.html   a picture of the failure\n",
    "\n",
    "A failure is shrunk and written as a scenario file into --out, or a new temp directory.\n\n",
    exit_codes!()
);

pub const REPORT: &str = concat!(
    "Examples:\n",
    "  crashpoint report scenarios/tutorial_exp2_deleted_commit_console.toml --html exp2.html\n",
    "  crashpoint report 'scenarios/tutorial_*.toml' scenarios/crashes --html report.html\n",
    "\n",
    "One self-contained page (no network): per scenario a timeline of runs and batches with every log\n",
    "write, crashes and power losses, the records lost or duplicated traced to the batches that\n",
    "carried them, and the checkpoint after every step. The page is written whatever the verdicts:\n",
    "exit 0 once it is written.\n\n",
    exit_codes!()
);
