//! Throughput of the engine on the tutorial workload (issue 2, item 12).
//!
//! `cargo bench --bench throughput` generates 200 files × 5,000 events (seed 42) on the real
//! disk, then times `AvailableNow` runs of the tutorial plan into a file sink with
//! `maxFilesPerTrigger` 10, each on a fresh checkpoint and output directory. Generation is not
//! timed. After each run, untimed, the trace and the output read back through
//! `_spark_metadata` are checked against the generated devices, so a broken engine cannot
//! report a fast but wrong figure.
//!
//! Environment: `CRASHPOINT_BENCH_FILES` (200), `CRASHPOINT_BENCH_EVENTS` (events a file,
//! 5,000), `CRASHPOINT_BENCH_RUNS` (3). Quick run:
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
use std::path::Path;
use std::time::Instant;

const MAX_FILES_PER_TRIGGER: usize = 10;

fn env_or(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(text) => text.parse().unwrap_or_else(|_| panic!("{name}={text} is not a number")),
        Err(_) => default,
    }
}

/// CPU time of this thread so far (user + system), in seconds, where Linux tells it.
fn thread_cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(nanos as f64 / 1e9)
}

/// One timed run.
struct Run {
    seconds: f64,
    cpu_seconds: Option<f64>,
    rows: u64,
    batches: u64,
}

fn run_once(storage: &DiskStorage, input: &Path, dir: &Path, stats: &WorkloadStats, files: usize, plan: &Plan) -> Run {
    let output = dir.join("output");
    let query = Query {
        input_dir: input.to_path_buf(),
        checkpoint_dir: dir.join("checkpoint"),
        source: SourceOptions { max_files_per_trigger: Some(MAX_FILES_PER_TRIGGER), ..SourceOptions::default() },
        plan: plan.clone(),
    };
    let options = EngineOptions::default();
    let sink = Box::new(FileSink::new(&output, options.seed));
    let mut engine = Engine::new(storage, query, sink, options, FaultPlan::none()).expect("the engine starts");

    let cpu_before = thread_cpu_seconds();
    let started = Instant::now();
    engine.run(Trigger::AvailableNow).expect("the run succeeds");
    let seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = thread_cpu_seconds().zip(cpu_before).map(|(after, before)| after - before);

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
            Event::SinkSkipped { .. } | Event::Crashed(_) | Event::Warning(_) => panic!("unexpected: {event:?}"),
            _ => {}
        }
    }
    assert_eq!(rows, stats.devices, "rows written by the sink vs devices generated");
    assert_eq!(batches, files.div_ceil(MAX_FILES_PER_TRIGGER) as u64, "batches");
    assert_eq!(committed, batches, "every batch committed");
    let written = read_file_sink_output(storage, &output, engine.schema(), true).expect("the output reads back");
    assert_eq!(written.len() as u64, stats.devices, "rows read back from the output vs devices generated");
    let mut events_seen = std::collections::BTreeSet::new();
    for row in &written {
        let [Value::String(event), Value::String(device), Value::Number(temp), rest @ ..] = &row[..] else {
            panic!("malformed output row {row:?}");
        };
        let time_ok = match rest {
            [] => true,
            [Value::String(time)] => time.ends_with('Z'),
            _ => false,
        };
        let temp = temp.as_f64().expect("a float");
        assert!(device.starts_with('d') && (10.0..40.0).contains(&temp) && time_ok, "{row:?}");
        events_seen.insert(event.clone());
    }
    assert!(events_seen.len() as u64 <= stats.events);
    drop(written);
    storage.remove_dir_all(dir).expect("the run's directories are removed");
    Run { seconds, cpu_seconds, rows, batches }
}

// The same allocator as the `crashpoint` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // `cargo bench` passes `--bench`; a filter argument that is not ours means "not this bench".
    if std::env::args().skip(1).any(|a| !a.starts_with('-') && a != "throughput") {
        return;
    }
    let files = env_or("CRASHPOINT_BENCH_FILES", DEFAULT_FILES);
    let events = env_or("CRASHPOINT_BENCH_EVENTS", DEFAULT_EVENTS_PER_FILE);
    let runs = env_or("CRASHPOINT_BENCH_RUNS", 3).max(1);
    let storage = DiskStorage;
    let root = tempfile::tempdir().expect("a temporary directory");
    let input = root.path().join("input");

    let generated = Instant::now();
    let stats = generate_devices(&storage, &input, files, events, DEFAULT_SEED, 1_700_000_000_000)
        .expect("the workload is written");
    let generation_s = generated.elapsed().as_secs_f64();
    let mb = stats.bytes as f64 / 1e6;
    let mib = stats.bytes as f64 / (1024.0 * 1024.0);
    println!(
        "workload: {files} files x {events} events, seed {DEFAULT_SEED}: {} bytes ({mb:.1} MB, {mib:.1} MiB), \
         {} events, {} devices (generated in {generation_s:.2} s, not timed)",
        stats.bytes, stats.events, stats.devices
    );

    // Both plans, alternating run by run, so that they share the machine's moods.
    let plans = [
        ("tutorial plan (eventId, device_id, temp, processing_time)", Plan::tutorial()),
        ("Spark's reference query (eventId, device_id, temp)", Plan::tutorial_without_time()),
    ];
    let mut results: Vec<Vec<Run>> = plans.iter().map(|_| Vec::new()).collect();
    for n in 1..=runs {
        for (p, (name, plan)) in plans.iter().enumerate() {
            let dir = root.path().join(format!("run-{p}-{n}"));
            let run = run_once(&storage, &input, &dir, &stats, files, plan);
            let cpu = run.cpu_seconds.map_or(String::new(), |cpu| format!(", {cpu:.3} s on CPU"));
            println!(
                "run {n}/{runs}, {name}: {:.3} s{cpu}, {:.1} MB/s, {:.0} rows/s (verified)",
                run.seconds,
                mb / run.seconds,
                run.rows as f64 / run.seconds
            );
            results[p].push(run);
        }
    }
    for ((name, _), results) in plans.iter().zip(&mut results) {
        results.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
        let median = &results[results.len() / 2];
        let best = &results[0];
        println!("\n{name}: median of {runs} runs (best in brackets)");
        println!("input:   {mb:.1} MB ({mib:.1} MiB)");
        println!("time:    {:.3} s ({:.3} s)", median.seconds, best.seconds);
        if let Some(cpu) = median.cpu_seconds {
            println!("cpu:     {cpu:.3} s on CPU, the rest waiting (fsync, or other processes)");
        }
        println!(
            "rate:    {:.1} MB/s, {:.1} MiB/s ({:.1} MB/s)",
            mb / median.seconds,
            mib / median.seconds,
            mb / best.seconds
        );
        println!(
            "rows:    {} ({:.0} rows/s; {:.0} rows/s)",
            median.rows,
            median.rows as f64 / median.seconds,
            best.rows as f64 / best.seconds
        );
        println!("batches: {}", median.batches);
    }
}
