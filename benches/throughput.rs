//! Throughput of the engine at the two-core limit (issue 12, item 2).
//!
//! `cargo bench --bench throughput` generates 200 files × 5,000 events (seed 42) on the real
//! disk, then, round after round in one process, times three things on the same files:
//!
//! - the engine on 1 thread and on 2 threads (`EngineOptions::threads`): Spark's reference
//!   query (`eventId, device_id, temp`), a `FileSink`, `maxFilesPerTrigger` 10, `AvailableNow`,
//!   each run on a fresh checkpoint and output directory, with every fsync of the protocol;
//! - the bare loop, the physical reference on one core: read each file, parse each line with
//!   `serde_json::Value`, explode `data.devices`, write the three columns as JSON lines, one
//!   output file per 10 input files, written and fsynced (no checkpoint, no log).
//!
//! Generation is not timed. After each engine run (untimed), the trace and the output read back
//! through `_spark_metadata` are checked against the generated devices, so that a broken engine
//! cannot report a fast but wrong figure; the bare loop's row count is checked too. The load
//! average (`/proc/loadavg`) is printed before and after: figures are only worth comparing from
//! a quiet machine.
//!
//! Environment: `CRASHPOINT_BENCH_FILES` (200), `CRASHPOINT_BENCH_EVENTS` (events a file,
//! 5,000), `CRASHPOINT_BENCH_RUNS` (rounds, 5), `CRASHPOINT_BENCH_THREADS` (`1,2`),
//! `CRASHPOINT_BENCH_INPUT` (a directory to generate the workload into and keep, e.g. to run
//! Spark on the same files; reused if it holds the workload already), `CRASHPOINT_BENCH_SPARK_S`
//! (Spark's streaming time on this workload, to print the ratio). Quick run:
//! `CRASHPOINT_BENCH_FILES=20 CRASHPOINT_BENCH_RUNS=1 cargo bench --bench throughput`.

use crashpoint_engine::engine::{Engine, EngineOptions, Event, Query, Trigger};
use crashpoint_engine::faults::FaultPlan;
use crashpoint_engine::plan::Plan;
use crashpoint_engine::sink::{FileSink, read_file_sink_output};
use crashpoint_engine::source::SourceOptions;
use crashpoint_engine::storage::{DiskStorage, Storage};
use crashpoint_harness::workload::{
    DEFAULT_EVENTS_PER_FILE, DEFAULT_FILES, DEFAULT_SEED, WorkloadStats, generate_devices,
};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

const MAX_FILES_PER_TRIGGER: usize = 10;

fn env_or(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(text) => text.parse().unwrap_or_else(|_| panic!("{name}={text} is not a number")),
        Err(_) => default,
    }
}

/// CPU time of the whole process so far (user + system, every thread), in seconds.
fn process_cpu_seconds() -> f64 {
    // SAFETY: getrusage fills the struct it is given; RUSAGE_SELF is always valid.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(|_| "unknown".into(), |l| l.trim().to_string())
}

/// One timed run.
struct Run {
    seconds: f64,
    cpu_seconds: f64,
    rows: u64,
}

fn timed(work: impl FnOnce() -> u64) -> Run {
    let cpu_before = process_cpu_seconds();
    let started = Instant::now();
    let rows = work();
    Run { seconds: started.elapsed().as_secs_f64(), cpu_seconds: process_cpu_seconds() - cpu_before, rows }
}

fn engine_run(
    storage: &DiskStorage,
    input: &Path,
    dir: &Path,
    stats: &WorkloadStats,
    files: usize,
    threads: usize,
) -> Run {
    let output = dir.join("output");
    let query = Query {
        input_dir: input.to_path_buf(),
        checkpoint_dir: dir.join("checkpoint"),
        source: SourceOptions { max_files_per_trigger: Some(MAX_FILES_PER_TRIGGER as i64), ..SourceOptions::default() },
        plan: Plan::tutorial_without_time(),
    };
    let options = EngineOptions { threads, ..EngineOptions::default() };
    let sink = Box::new(FileSink::new(&output, options.seed));
    let mut engine = Engine::new(storage, query, sink, options, FaultPlan::none()).expect("the engine starts");
    let mut run = timed(|| {
        engine.run(Trigger::AvailableNow).expect("the run succeeds");
        0
    });

    // Verification, untimed: the trace, then the output as a reader sees it.
    let (mut rows, mut batches, mut committed) = (0u64, 0u64, 0u64);
    for event in engine.events() {
        match event {
            Event::SinkWrote { rows: n, .. } => {
                rows += *n as u64;
                batches += 1;
            }
            Event::Committed { .. } => committed += 1,
            Event::BadRecords { count, .. } => panic!("{count} bad records in a generated workload"),
            Event::SinkSkipped { .. }
            | Event::Crashed(_)
            | Event::Warning(_)
            | Event::SourceNotice(_)
            | Event::SkippedUncommitted { .. } => {
                panic!("unexpected: {event:?}")
            }
            _ => {}
        }
    }
    assert_eq!(rows, stats.devices, "rows written by the sink vs devices generated");
    assert_eq!(batches, files.div_ceil(MAX_FILES_PER_TRIGGER) as u64, "batches");
    assert_eq!(committed, batches, "every batch committed");
    let written = read_file_sink_output(storage, &output, engine.schema(), true).expect("the output reads back");
    assert_eq!(written.len() as u64, stats.devices, "rows read back from the output vs devices generated");
    for row in &written {
        let [Value::String(_), Value::String(device), Value::Number(temp)] = &row[..] else {
            panic!("malformed output row {row:?}");
        };
        let temp = temp.as_f64().expect("a float");
        assert!(device.starts_with('d') && (10.0..40.0).contains(&temp), "{row:?}");
    }
    drop(written);
    storage.remove_dir_all(dir).expect("the run's directories are removed");
    run.rows = rows;
    run
}

/// The bare loop: what one core does with no engine at all. Returns the rows written.
fn bare_loop(inputs: &[PathBuf], out: &Path) -> u64 {
    std::fs::create_dir_all(out).unwrap();
    let mut rows = 0;
    for (index, batch) in inputs.chunks(MAX_FILES_PER_TRIGGER).enumerate() {
        let mut bytes = Vec::new();
        for path in batch {
            let text = std::fs::read(path).unwrap();
            for line in text.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                let record: Value = serde_json::from_slice(line).unwrap();
                let Some(devices) = record["data"]["devices"].as_array() else { continue };
                for device in devices {
                    bytes.extend_from_slice(b"{\"eventId\":");
                    serde_json::to_writer(&mut bytes, &record["eventId"]).unwrap();
                    bytes.extend_from_slice(b",\"device_id\":");
                    serde_json::to_writer(&mut bytes, &device["deviceId"]).unwrap();
                    bytes.extend_from_slice(b",\"temp\":");
                    serde_json::to_writer(&mut bytes, &device["temperature"]).unwrap();
                    bytes.extend_from_slice(b"}\n");
                    rows += 1;
                }
            }
        }
        let mut file = std::fs::File::create(out.join(format!("part-{index:05}.json"))).unwrap();
        file.write_all(&bytes).unwrap();
        file.sync_all().unwrap();
    }
    rows
}

// The same allocator as the `crashpoint` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The workload in `dir`: generated there, or reused when a previous run left it complete.
fn workload(storage: &DiskStorage, dir: &Path, files: usize, events: usize) -> WorkloadStats {
    let marker = dir.join(format!(".crashpoint-bench-{files}x{events}-{DEFAULT_SEED}.json"));
    if let Ok(text) = std::fs::read_to_string(&marker) {
        let v: Value = serde_json::from_str(&text).expect("the marker is JSON");
        let n = |k: &str| v[k].as_u64().expect("a count");
        return WorkloadStats { files, bytes: n("bytes"), events: n("events"), devices: n("devices") };
    }
    let stats = generate_devices(storage, dir, files, events, DEFAULT_SEED, 1_700_000_000_000)
        .expect("the workload is written");
    let marker_text = serde_json::json!({"bytes": stats.bytes, "events": stats.events, "devices": stats.devices});
    std::fs::write(&marker, marker_text.to_string()).expect("the marker is written");
    stats
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument that is not ours means "not this bench".
    if std::env::args().skip(1).any(|a| !a.starts_with('-') && a != "throughput") {
        return;
    }
    let files = env_or("CRASHPOINT_BENCH_FILES", DEFAULT_FILES);
    let events = env_or("CRASHPOINT_BENCH_EVENTS", DEFAULT_EVENTS_PER_FILE);
    let runs = env_or("CRASHPOINT_BENCH_RUNS", 5).max(1);
    let threads: Vec<usize> = std::env::var("CRASHPOINT_BENCH_THREADS")
        .unwrap_or_else(|_| "1,2".into())
        .split(',')
        .map(|t| t.trim().parse().expect("CRASHPOINT_BENCH_THREADS is a list of numbers"))
        .collect();
    let spark_s: Option<f64> = std::env::var("CRASHPOINT_BENCH_SPARK_S").ok().map(|s| s.parse().expect("seconds"));
    let storage = DiskStorage;
    let root = tempfile::tempdir().expect("a temporary directory");
    let input = std::env::var_os("CRASHPOINT_BENCH_INPUT").map_or_else(|| root.path().join("input"), PathBuf::from);

    let generated = Instant::now();
    let stats = workload(&storage, &input, files, events);
    let generation_s = generated.elapsed().as_secs_f64();
    let mb = stats.bytes as f64 / 1e6;
    println!(
        "workload: {files} files x {events} events, seed {DEFAULT_SEED} in {}: {} bytes ({mb:.1} MB), {} events, {} \
         devices (ready in {generation_s:.2} s, not timed)",
        input.display(),
        stats.bytes,
        stats.events,
        stats.devices
    );
    let mut inputs: Vec<PathBuf> = storage
        .list(&input)
        .expect("the input lists")
        .into_iter()
        .filter(|e| e.name.ends_with(".json") && !e.name.starts_with('.'))
        .map(|e| e.path)
        .collect();
    inputs.sort();
    println!("load average before: {}", load_average());

    // Every system, round by round, so that all share the machine's moods.
    let mut names: Vec<String> = threads.iter().map(|t| format!("engine, {t} thread(s)")).collect();
    names.push("bare serde_json loop, 1 thread".into());
    let mut results: Vec<Vec<Run>> = names.iter().map(|_| Vec::new()).collect();
    for n in 1..=runs {
        for (k, name) in names.iter().enumerate() {
            let dir = root.path().join(format!("run-{k}-{n}"));
            let run = match threads.get(k) {
                Some(&t) => engine_run(&storage, &input, &dir, &stats, files, t),
                None => {
                    let run = timed(|| bare_loop(&inputs, &dir));
                    assert_eq!(run.rows, stats.devices, "the bare loop's rows vs devices generated");
                    storage.remove_dir_all(&dir).expect("the bare loop's output is removed");
                    run
                }
            };
            println!(
                "round {n}/{runs}, {name}: {:.3} s, {:.3} s on CPU, {:.1} MB/s (verified)",
                run.seconds,
                run.cpu_seconds,
                mb / run.seconds
            );
            results[k].push(run);
        }
    }
    println!("load average after: {}", load_average());
    println!("\nmedians of {runs} rounds (best in brackets), {mb:.1} MB, {} rows:", stats.devices);
    for (name, results) in names.iter().zip(&mut results) {
        results.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
        let (median, best) = (&results[results.len() / 2], &results[0]);
        let spark = spark_s.map_or(String::new(), |s| format!(", {:.1}x Spark's {s} s", s / median.seconds));
        println!(
            "{name:32} {:.3} s ({:.3} s), {:.3} s on CPU, {:.1} MB/s, {:.0} rows/s{spark}",
            median.seconds,
            best.seconds,
            median.cpu_seconds,
            mb / median.seconds,
            median.rows as f64 / median.seconds
        );
    }
}
