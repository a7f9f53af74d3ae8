//! `crashpoint demo`: the tutorial, end to end, on real directories.
//!
//! It generates the device files, runs the query, and walks through the experiments: re-drop a
//! file, delete a commit, rename a file, delete the checkpoint, showing the checkpoint each time.

use anyhow::Context;
use crashpoint_engine::engine::{Engine, EngineOptions, Query, Trigger};
use crashpoint_engine::faults::FaultPlan;
use crashpoint_engine::plan::Plan;
use crashpoint_engine::sink::{ConsoleSink, FileSink, Sink, read_file_sink_output, render_table};
use crashpoint_engine::source::SourceOptions;
use crashpoint_engine::storage::{DiskStorage, Storage};
use crashpoint_harness::report::inspect;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where to put the demo's input, checkpoints and output (default: a temp directory).
    dir: Option<PathBuf>,
}

const DEVICE_01: &str = r#"{"eventId": "e1", "data": {"devices": [{"deviceId": "d1", "temperature": 21.5}, {"deviceId": "d2", "temperature": 19.0}]}}"#;
const DEVICE_02: &str = "{\"eventId\": \"e2\", \"data\": {\"devices\": [{\"deviceId\": \"d3\", \"temperature\": 30.0}]}}\n\
                         {\"eventId\": \"e3\", \"data\": {\"devices\": []}}";

struct Demo {
    root: PathBuf,
    input: PathBuf,
    clock_ms: i64,
}

impl Demo {
    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Drops a file with an explicit modification time, so arrival order is the same every time.
    fn drop_file(&mut self, name: &str, text: &str) -> anyhow::Result<()> {
        let path = self.input.join(name);
        std::fs::write(&path, format!("{text}\n")).with_context(|| format!("writing {}", path.display()))?;
        self.clock_ms += 1000;
        DiskStorage.set_mtime(&path, self.clock_ms)?;
        println!("$ drop {}", path.display());
        Ok(())
    }

    fn run(&self, checkpoint: &str, sink: Box<dyn Sink>) -> anyhow::Result<Vec<String>> {
        self.run_with(checkpoint, sink, SourceOptions::default())
    }

    /// Runs the query and returns what the engine did, one line per event.
    fn run_with(&self, checkpoint: &str, sink: Box<dyn Sink>, source: SourceOptions) -> anyhow::Result<Vec<String>> {
        let query = Query {
            input_dir: self.input.clone(),
            checkpoint_dir: self.path(checkpoint),
            source,
            plan: Plan::tutorial_without_time(),
        };
        let mut engine = Engine::new(&DiskStorage, query, sink, EngineOptions::default(), FaultPlan::none())?;
        println!("$ crashpoint stream --input input --checkpoint {checkpoint}");
        let result = engine.run(Trigger::AvailableNow);
        for event in engine.events() {
            println!("  [engine] {event}");
        }
        result?;
        Ok(engine.events().iter().map(|e| e.to_string()).collect())
    }

    fn console(&self) -> Box<dyn Sink> {
        Box::new(ConsoleSink::new(Box::new(std::io::stdout())))
    }

    fn show_checkpoint(&self, checkpoint: &str) {
        println!("\n-- what is in {checkpoint}/ now (crashpoint inspect) --");
        let text =
            inspect(&DiskStorage, &self.path(checkpoint), None).map_or_else(|e| e.to_string(), |i| i.to_string());
        print!("{}", text.replace(&self.root.display().to_string(), "<demo>"));
    }

    fn step(&self, title: &str) {
        println!("\n==================== {title} ====================");
    }
}

pub fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let temp;
    let root = match args.dir {
        Some(dir) => super::stream::absolute(&dir, true)?,
        None => {
            temp = tempfile::tempdir().context("creating a temp directory")?;
            temp.path().canonicalize()?
        }
    };
    for leftover in ["input", "checkpoint", "checkpoint-file-sink", "output"] {
        let _ = std::fs::remove_dir_all(root.join(leftover));
    }
    let input = root.join("input");
    std::fs::create_dir_all(&input)?;
    let mut demo = Demo { root, input, clock_ms: 1_790_000_000_000 };
    println!("crashpoint demo in {}", demo.root.display());

    demo.step("1. first run: device_01 arrives");
    demo.drop_file("device_01.json", DEVICE_01)?;
    let events = demo.run("checkpoint", demo.console())?;
    expect(&events, "batch 0 (new files): device_01.json", "the first run processes device_01 in batch 0")?;
    demo.show_checkpoint("checkpoint");

    demo.step("2. experiment 1: re-drop device_01 (same path): ignored");
    demo.drop_file("device_01.json", DEVICE_01)?;
    let events = demo.run("checkpoint", demo.console())?;
    expect_not(&events, "batch 1 (", "a re-dropped file is not processed again")?;
    demo.show_checkpoint("checkpoint");

    demo.step("3. device_02 arrives: batch 1");
    demo.drop_file("device_02.json", DEVICE_02)?;
    let events = demo.run("checkpoint", demo.console())?;
    expect(&events, "batch 1 (new files): device_02.json", "device_02 lands in batch 1")?;
    demo.show_checkpoint("checkpoint");

    demo.step("4. experiment 2: delete commits/1: batch 1 re-runs");
    remove(&demo.path("checkpoint/commits/1"))?;
    demo.show_checkpoint("checkpoint");
    let events = demo.run("checkpoint", demo.console())?;
    expect(&events, "batch 1 (re-run): device_02.json", "deleting commits/1 re-runs batch 1 with its recorded file")?;
    println!("(the console sink keeps no log: batch 1 printed twice; it is at-least-once)");

    demo.step("5. experiment 2 with the file sink: the re-run writes nothing");
    let output = demo.path("output");
    let file_sink = || Box::new(FileSink::new(&output, 0)) as Box<dyn Sink>;
    let one_file = SourceOptions { max_files_per_trigger: Some(1), ..SourceOptions::default() };
    demo.run_with("checkpoint-file-sink", file_sink(), one_file.clone())?;
    remove(&demo.path("checkpoint-file-sink/commits/1"))?;
    let events = demo.run_with("checkpoint-file-sink", file_sink(), one_file)?;
    expect(&events, "batch 1: sink skipped it", "the file sink skips a batch already in _spark_metadata")?;
    demo.show_checkpoint("checkpoint-file-sink");
    let schema = Plan::tutorial_without_time().compile()?.schema().to_vec();
    let rows = read_file_sink_output(&DiskStorage, &output, &schema, true)?;
    println!("output/ as a reader sees it (files listed in _spark_metadata):\n{}", render_table(&schema, &rows));

    demo.step("6. rename device_01 -> device_01_v2: reprocessed");
    std::fs::rename(demo.input.join("device_01.json"), demo.input.join("device_01_v2.json"))?;
    let events = demo.run("checkpoint", demo.console())?;
    expect(&events, "batch 2 (new files): device_01_v2.json", "a renamed file is new to the source")?;
    demo.show_checkpoint("checkpoint");

    demo.step("7. delete the checkpoint: everything is reprocessed");
    std::fs::remove_dir_all(demo.path("checkpoint"))?;
    let events = demo.run("checkpoint", demo.console())?;
    expect(
        &events,
        "batch 0 (new files): device_01_v2.json, device_02.json",
        "a new checkpoint reprocesses everything",
    )?;
    demo.show_checkpoint("checkpoint");
    println!("\ndemo done: every experiment behaved as the tutorial says (each was checked).");
    Ok(ExitCode::SUCCESS)
}

fn remove(path: &Path) -> anyhow::Result<()> {
    std::fs::remove_file(path).with_context(|| format!("deleting {}", path.display()))?;
    let crc = path.with_file_name(format!(".{}.crc", path.file_name().unwrap_or_default().to_string_lossy()));
    let _ = std::fs::remove_file(crc);
    println!("$ rm {}", path.display());
    Ok(())
}

/// Fails the demo unless the engine did what the tutorial says.
fn expect(events: &[String], wanted: &str, claim: &str) -> anyhow::Result<()> {
    if events.iter().any(|e| e.contains(wanted)) {
        println!("  ok: {claim}");
        Ok(())
    } else {
        anyhow::bail!("the demo expected that {claim}, but the engine did: {events:#?}")
    }
}

/// Fails the demo if the engine did something the tutorial says it must not.
fn expect_not(events: &[String], unwanted: &str, claim: &str) -> anyhow::Result<()> {
    if events.iter().any(|e| e.contains(unwanted)) {
        anyhow::bail!("the demo expected that {claim}, but the engine did: {events:#?}")
    }
    println!("  ok: {claim}");
    Ok(())
}
