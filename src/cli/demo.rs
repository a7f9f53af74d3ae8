//! `crashpoint demo`: the Spark checkpointing tutorial, end to end, on real directories.
//!
//! It runs the tutorial's query exactly (console sink, maxFilesPerTrigger 1, availableNow) and
//! every experiment: re-drop a file, delete a commit (with the console sink, then the file
//! sink), rename a file, delete the checkpoint; it shows the checkpoint after each step and
//! checks that each experiment did what the tutorial says. Each step is printed as the shell
//! command a user would type, and the query runs through `stream`'s own code from that very
//! command line, so every printed command can be pasted to go on from the demo's state. It
//! never deletes or overwrites what it did not create: a directory that is not empty is refused.

use super::Command;
use super::stream::execute;
use anyhow::{Context, bail};
use clap::Parser;
use crashpoint_engine::storage::DiskStorage;
use crashpoint_harness::report::inspect;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// A new or empty directory for the demo's input, checkpoints and output (default: a new
    /// temp directory). It is kept, so that the printed commands can be run again.
    dir: Option<PathBuf>,
}

const DEVICE_01: [&str; 1] = [
    r#"{"eventId": "e1", "data": {"devices": [{"deviceId": "d1", "temperature": 21.5}, {"deviceId": "d2", "temperature": 19.0}]}}"#,
];
const DEVICE_02: [&str; 2] = [
    r#"{"eventId": "e2", "data": {"devices": [{"deviceId": "d3", "temperature": 30.0}]}}"#,
    r#"{"eventId": "e3", "data": {"devices": []}}"#,
];

struct Demo {
    root: PathBuf,
}

impl Demo {
    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    fn step(&self, title: &str) {
        println!("\n==================== {title} ====================");
    }

    /// Writes an input file as the printed `printf` command would.
    fn drop_file(&self, name: &str, lines: &[&str]) -> anyhow::Result<()> {
        let path = self.path("input").join(name);
        let mut words = vec!["printf".to_string(), "%s\\n".to_string()];
        words.extend(lines.iter().map(|l| l.to_string()));
        println!("$ {} > {}", shell(&words), shell(&[path.display().to_string()]));
        std::fs::write(&path, lines.iter().map(|l| format!("{l}\n")).collect::<String>())
            .with_context(|| format!("writing {}", path.display()))
    }

    /// Prints a `crashpoint stream` command line, and runs exactly it; returns the events.
    fn stream(&self, checkpoint: &str, file_sink: bool) -> anyhow::Result<Vec<String>> {
        let mut words = vec!["crashpoint".to_string(), "stream".into(), "--input".into()];
        words.push(self.path("input").display().to_string());
        words.extend(["--checkpoint".to_string(), self.path(checkpoint).display().to_string()]);
        if file_sink {
            words.extend(["--sink", "file", "--output"].map(String::from));
            words.push(self.path("output").display().to_string());
        }
        println!("$ {}", shell(&words));
        let Command::Stream(args) = super::Cli::try_parse_from(&words)?.command else {
            unreachable!("the demo builds a stream command line")
        };
        let ran = execute(&args, |event| println!("  [engine] {event}"))?;
        Ok(ran.events.iter().map(|e| e.to_string()).collect())
    }

    fn show_checkpoint(&self, checkpoint: &str) {
        println!("$ crashpoint inspect {}", shell(&[self.path(checkpoint).display().to_string()]));
        let inspected = inspect(&DiskStorage, &self.path(checkpoint), None);
        print!("{}", inspected.map_or_else(|e| format!("{e}\n"), |i| i.to_string()));
    }

    /// Deletes `checkpoint/commits/N` and its `.N.crc` sidecar, as the tutorial says to (Spark
    /// 4.3 fails on a sidecar without its file).
    fn delete_commit(&self, checkpoint: &str, id: u64) -> anyhow::Result<()> {
        let commit = self.path(checkpoint).join(format!("commits/{id}"));
        let crc = self.path(checkpoint).join(format!("commits/.{id}.crc"));
        println!("$ rm -f {}", shell(&[commit.display().to_string(), crc.display().to_string()]));
        std::fs::remove_file(&commit).with_context(|| format!("deleting {}", commit.display()))?;
        let _ = std::fs::remove_file(crc);
        Ok(())
    }
}

/// The demo's directory: `dir` if it is new or empty, else an error; a new temp one if none.
fn demo_root(dir: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let Some(dir) = dir else {
        let temp =
            tempfile::Builder::new().prefix("crashpoint-demo-").tempdir().context("creating a temp directory")?;
        return Ok(temp.keep());
    };
    if let Ok(mut entries) = std::fs::read_dir(&dir)
        && entries.next().is_some()
    {
        bail!(
            "{}: the directory is not empty; the demo writes input/, checkpoint/ and output/ there and never \
             touches files it did not create. Name a new or empty directory (e.g. {}), or leave it out for a \
             new temp directory",
            dir.display(),
            dir.join("crashpoint-demo").display()
        );
    }
    super::stream::absolute(&dir, true)
}

pub fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let demo = Demo { root: demo_root(args.dir)? };
    std::fs::create_dir_all(demo.path("input"))?;
    println!("crashpoint demo in {}", demo.root.display());
    println!(
        "The tutorial's query: console sink, maxFilesPerTrigger 1, availableNow, columns eventId, device_id, temp."
    );
    println!("Every `$` line is a command you can paste into a shell to go on from where the demo is.");

    demo.step("1. first run: device_01 arrives");
    demo.drop_file("device_01.json", &DEVICE_01)?;
    let events = demo.stream("checkpoint", false)?;
    expect(&events, "batch 0 (new files): device_01.json", "the first run processes device_01 in batch 0")?;
    demo.show_checkpoint("checkpoint");

    demo.step("2. experiment 1: re-drop device_01 (same path): ignored");
    demo.drop_file("device_01.json", &DEVICE_01)?;
    let events = demo.stream("checkpoint", false)?;
    expect_not(&events, "batch 1 (", "a re-dropped file is not processed again")?;

    demo.step("3. device_02 arrives: batch 1");
    demo.drop_file("device_02.json", &DEVICE_02)?;
    let events = demo.stream("checkpoint", false)?;
    expect(&events, "batch 1 (new files): device_02.json", "device_02 lands in batch 1")?;
    demo.show_checkpoint("checkpoint");

    demo.step("4. experiment 2: delete commits/1: batch 1 re-runs");
    demo.delete_commit("checkpoint", 1)?;
    demo.show_checkpoint("checkpoint");
    let events = demo.stream("checkpoint", false)?;
    expect(&events, "batch 1 (re-run): device_02.json", "deleting commits/1 re-runs batch 1 with its recorded file")?;
    println!("(the console sink keeps no log: batch 1 printed twice; it is at-least-once)");

    demo.step("5. experiment 2 with the file sink: the re-run writes nothing");
    let events = demo.stream("checkpoint-file-sink", true)?;
    expect(&events, "batch 1 (new files): device_02.json", "the file sink's query takes one file per batch")?;
    demo.delete_commit("checkpoint-file-sink", 1)?;
    let events = demo.stream("checkpoint-file-sink", true)?;
    expect(&events, "batch 1: sink skipped it", "the file sink skips a batch already in _spark_metadata")?;
    demo.show_checkpoint("checkpoint-file-sink");

    demo.step("6. experiment 3: rename device_01 -> device_01_v2: reprocessed");
    let (from, to) = (demo.path("input/device_01.json"), demo.path("input/device_01_v2.json"));
    println!("$ mv {}", shell(&[from.display().to_string(), to.display().to_string()]));
    std::fs::rename(&from, &to).with_context(|| format!("renaming {}", from.display()))?;
    let events = demo.stream("checkpoint", false)?;
    expect(&events, "batch 2 (new files): device_01_v2.json", "a renamed file is new to the source")?;
    demo.show_checkpoint("checkpoint");

    demo.step("7. experiment 4: delete the checkpoint: everything is reprocessed");
    println!("$ rm -r {}", shell(&[demo.path("checkpoint").display().to_string()]));
    std::fs::remove_dir_all(demo.path("checkpoint"))?;
    let events = demo.stream("checkpoint", false)?;
    expect(&events, "(new files): device_02.json", "a new checkpoint reprocesses device_02")?;
    expect(&events, "(new files): device_01_v2.json", "and device_01_v2")?;
    expect(&events, "batch 1 (new files): ", "one file per batch (maxFilesPerTrigger 1): batches 0 and 1")?;
    demo.show_checkpoint("checkpoint");
    println!("\ndemo done: every experiment behaved as the tutorial says (each was checked).");
    println!(
        "The demo's files stay in {0}: go on with the commands above, or remove them: rm -r {0}",
        demo.root.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Words as a shell reads them: single-quoted where a character would mean something else.
fn shell(words: &[String]) -> String {
    let plain = |w: &String| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || "_./=:@%+-,".contains(c));
    let quoted: Vec<String> =
        words.iter().map(|w| if plain(w) { w.clone() } else { format!("'{}'", w.replace('\'', r"'\''")) }).collect();
    quoted.join(" ")
}

/// Fails the demo unless the engine did what the tutorial says.
fn expect(events: &[String], wanted: &str, claim: &str) -> anyhow::Result<()> {
    if events.iter().any(|e| e.contains(wanted)) {
        println!("  ok: {claim}");
        Ok(())
    } else {
        bail!("the demo expected that {claim}, but the engine did:\n  {}", events.join("\n  "))
    }
}

/// Fails the demo if the engine did something the tutorial says it must not.
fn expect_not(events: &[String], unwanted: &str, claim: &str) -> anyhow::Result<()> {
    if events.iter().any(|e| e.contains(unwanted)) {
        bail!("the demo expected that {claim}, but the engine did:\n  {}", events.join("\n  "))
    }
    println!("  ok: {claim}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quotes_only_what_needs_it() {
        let cases = [
            (vec!["crashpoint", "stream", "--input", "/tmp/a b/input"], "crashpoint stream --input '/tmp/a b/input'"),
            (vec!["printf", "%s\\n", r#"{"a": 1}"#], r#"printf '%s\n' '{"a": 1}'"#),
            (vec!["it's"], r"'it'\''s'"),
        ];
        for (words, expected) in cases {
            let words: Vec<String> = words.into_iter().map(String::from).collect();
            assert_eq!(shell(&words), expected);
        }
    }
}
