//! Throughput of the engine on the tutorial workload (issue 2, item 12).
//!
//! `cargo bench --bench throughput` generates 200 files × 5,000 events (seed 42) on the real
//! disk, then times one `AvailableNow` run of the tutorial plan into a file sink with
//! `maxFilesPerTrigger` 10. Generation is not timed; the output is read back and checked after
//! the timer stops, so a broken engine cannot report a fast but wrong figure.
//!
//! For a quick run: `CRASHPOINT_BENCH_FILES=20 CRASHPOINT_BENCH_EVENTS=1000 cargo bench --bench throughput`.

use crashpoint::engine::{Engine, EngineOptions, Event, Query, Trigger};
use crashpoint::faults::FaultPlan;
use crashpoint::plan::Plan;
use crashpoint::sink::{FileSink, read_file_sink_output};
use crashpoint::source::SourceOptions;
use crashpoint::storage::DiskStorage;
use crashpoint::workload::{DEFAULT_EVENTS_PER_FILE, DEFAULT_FILES, DEFAULT_SEED, generate_devices};
use serde_json::Value;
use std::time::Instant;

fn env_or(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(text) => text.parse().unwrap_or_else(|_| panic!("{name}={text} is not a number")),
        Err(_) => default,
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument that is not ours means "not this bench".
    if std::env::args().skip(1).any(|a| !a.starts_with('-') && a != "throughput") {
        return;
    }
    let files = env_or("CRASHPOINT_BENCH_FILES", DEFAULT_FILES);
    let events = env_or("CRASHPOINT_BENCH_EVENTS", DEFAULT_EVENTS_PER_FILE);
    let storage = DiskStorage;
    let root = tempfile::tempdir().expect("a temporary directory");
    let input = root.path().join("input");
    let output = root.path().join("output");
    let checkpoint = root.path().join("checkpoint");

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

    let query = Query {
        input_dir: input,
        checkpoint_dir: checkpoint,
        source: SourceOptions { max_files_per_trigger: Some(10), ..SourceOptions::default() },
        plan: Plan::tutorial(),
    };
    let options = EngineOptions::default();
    let sink = Box::new(FileSink::new(&output, options.seed));
    let mut engine = Engine::new(&storage, query, sink, options, FaultPlan::none()).expect("the engine starts");
    let started = Instant::now();
    engine.run(Trigger::AvailableNow).expect("the run succeeds");
    let seconds = started.elapsed().as_secs_f64();

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
            Event::SinkSkipped { .. } | Event::Crashed(_) => panic!("unexpected event: {event:?}"),
            _ => {}
        }
    }
    assert_eq!(rows, stats.devices, "rows written by the sink vs devices generated");
    assert_eq!(batches, files.div_ceil(10) as u64, "batches");
    assert_eq!(committed, batches, "every batch committed");
    let written = read_file_sink_output(&storage, &output, engine.schema(), true).expect("the output reads back");
    assert_eq!(written.len() as u64, stats.devices, "rows read back from the output vs devices generated");
    let mut events_seen = std::collections::BTreeSet::new();
    for row in &written {
        let [Value::String(event), Value::String(device), Value::Number(temp), Value::String(time)] = &row[..] else {
            panic!("malformed output row {row:?}");
        };
        assert!(device.starts_with('d') && temp.is_f64() && time.ends_with('Z'), "{row:?}");
        events_seen.insert(event.clone());
    }
    assert!(events_seen.len() as u64 <= stats.events);

    println!("input:   {mb:.1} MB ({mib:.1} MiB)");
    println!("time:    {seconds:.3} s");
    println!("rate:    {:.1} MB/s ({:.1} MiB/s)", mb / seconds, mib / seconds);
    println!("rows:    {rows} ({:.0} rows/s)", rows as f64 / seconds);
    println!("batches: {batches}");
    println!("verified: {} rows read back from the file sink = devices generated", written.len());
}
