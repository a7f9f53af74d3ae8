//! A scenario's query and crash points, translated into the driver's run requests.
//!
//! Pure translation: no I/O. Where the engine has something Spark has no equivalent for (a
//! crash point without a hook, power loss, a seeded bug), it says so: it never drops it silently.

use crate::scenario::{QuerySpec, SinkKind};
use crate::spark::{CrashAt, CrashLog, CrashWhen, PlanStep, SinkSpec, SourceSpec, TriggerSpec};
use crashpoint_engine::engine::Trigger;
use crashpoint_engine::faults::CrashPoint;
use crashpoint_engine::plan::Step;
use crashpoint_engine::source::{BadRecordMode, InputFormat};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Where the engine's crash point `point` strikes on Spark, for a query writing to `sink`; `Err`
/// with the reason when Spark has no hook for it.
pub fn crash_at(point: CrashPoint, hit: u32, sink: SinkKind) -> Result<CrashAt, String> {
    let (log, when) = match point {
        CrashPoint::BeforeSourceLogWrite => (CrashLog::Sources, CrashWhen::Before),
        CrashPoint::BeforeOffsetsWrite => (CrashLog::Offsets, CrashWhen::Before),
        CrashPoint::AfterOffsetsWrite => (CrashLog::Offsets, CrashWhen::After),
        // The file sink: part files written, `_spark_metadata/N` not. The other sinks have
        // written the whole batch when the engine's point strikes: Spark's commit is next.
        CrashPoint::DuringSinkWrite if sink == SinkKind::File => (CrashLog::Sink, CrashWhen::Before),
        CrashPoint::DuringSinkWrite => (CrashLog::Commits, CrashWhen::Before),
        CrashPoint::AfterSinkWrite => (CrashLog::Commits, CrashWhen::Before),
        CrashPoint::AfterCommitWrite => (CrashLog::Commits, CrashWhen::After),
        CrashPoint::DuringLogWrite => (CrashLog::Any, CrashWhen::During),
        other => return Err(format!("the crash point {other} has no hook in Spark")),
    };
    Ok(CrashAt { log, when, hit })
}

/// The crash points a Spark run can reach, with the hits the driver counted in one run (the
/// engine's numbering: the k-th hit of the point in this run).
pub fn hits_of(hits: &BTreeMap<String, u32>, sink: SinkKind) -> BTreeMap<CrashPoint, u32> {
    let count = |log: &str| hits.get(log).copied().unwrap_or(0);
    let mut out = BTreeMap::new();
    let mut put = |point: CrashPoint, n: u32| {
        if n > 0 {
            out.insert(point, n);
        }
    };
    put(CrashPoint::BeforeSourceLogWrite, count("sources"));
    put(CrashPoint::BeforeOffsetsWrite, count("offsets"));
    put(CrashPoint::AfterOffsetsWrite, count("offsets"));
    put(CrashPoint::DuringSinkWrite, if sink == SinkKind::File { count("sink") } else { count("commits") });
    put(CrashPoint::AfterSinkWrite, count("commits"));
    put(CrashPoint::AfterCommitWrite, count("commits"));
    put(CrashPoint::DuringLogWrite, hits.values().sum());
    out
}

/// The driver's plan for the query's plan.
pub fn plan(query: &QuerySpec) -> Vec<PlanStep> {
    let steps = query.plan.plan().steps;
    steps
        .iter()
        .map(|step| match step {
            Step::Explode { column, alias } => PlanStep::Explode { column: column.clone(), alias: alias.clone() },
            Step::Filter { condition } => PlanStep::Filter { condition: condition.to_string() },
            Step::Select { columns } => PlanStep::Select { columns: columns.iter().map(|c| c.to_string()).collect() },
            Step::ProcessingTime { alias } => PlanStep::ProcessingTime { alias: alias.clone() },
        })
        .collect()
}

/// The driver's source options. The engine's `on-modified` policy has no Spark equivalent
/// (Spark ignores new content at a seen path): it is left out.
pub fn source(query: &QuerySpec) -> SourceSpec {
    let options = &query.source;
    SourceSpec {
        max_files_per_trigger: options.max_files_per_trigger,
        format: Some(match options.format {
            InputFormat::JsonLines => "json-lines".into(),
            InputFormat::WholeFile => "whole-file".into(),
        }),
        mode: Some(match options.mode {
            BadRecordMode::Permissive => "permissive".into(),
            BadRecordMode::Failfast => "failfast".into(),
        }),
        // Spark's own default is the same 7 days: only a changed window is passed.
        options: options
            .max_file_age_ms
            .map(|ms| BTreeMap::from([("maxFileAge".to_string(), format!("{ms}ms"))]))
            .unwrap_or_default(),
    }
}

/// Spark's confs for the query's checkpoint knobs the scenario gives (none for one it leaves to
/// Spark's default) and for the task layout's knobs the query sets (`spark.sql.files.*`).
pub fn conf(query: &QuerySpec) -> BTreeMap<String, Value> {
    let mut conf = BTreeMap::new();
    let source = &query.source;
    for (key, value) in [
        ("spark.sql.files.maxPartitionBytes", source.max_partition_bytes),
        ("spark.sql.files.openCostInBytes", source.open_cost_in_bytes),
        ("spark.sql.files.minPartitionNum", source.min_partition_num),
    ] {
        if let Some(value) = value {
            conf.insert(key.into(), Value::from(value));
        }
    }
    let knobs = &query.checkpoint;
    if let Some(interval) = knobs.compact_interval {
        conf.insert("spark.sql.streaming.fileSource.log.compactInterval".into(), Value::from(interval));
        conf.insert("spark.sql.streaming.fileSink.log.compactInterval".into(), Value::from(interval));
    }
    if let Some(retain) = knobs.min_batches_to_retain {
        conf.insert("spark.sql.streaming.minBatchesToRetain".into(), Value::from(retain));
    }
    if !knobs.is_default() {
        // Spark deletes expired log files only once they are `cleanupDelay` old (10 minutes of
        // wall clock); the engine has no wall clock and deletes as if the delay had passed.
        conf.insert("spark.sql.streaming.fileSource.log.cleanupDelay".into(), Value::from(0));
        conf.insert("spark.sql.streaming.fileSink.log.cleanupDelay".into(), Value::from(0));
    }
    conf
}

/// The trigger.
pub fn trigger(trigger: Trigger) -> TriggerSpec {
    match trigger {
        Trigger::AvailableNow => TriggerSpec::AvailableNow,
        Trigger::Once => TriggerSpec::Once,
        // The driver runs everything available at this interval, then stops the query.
        Trigger::ProcessingTime { interval_ms } => TriggerSpec::ProcessingTimeMs(interval_ms),
    }
}

/// The sink, writing under `root` (`output/`, `table.jsonl`); `memory` names the memory table.
/// `Err` with the reason for a sink that has no counterpart in the driver.
pub fn sink(kind: SinkKind, root: &Path, memory: &str) -> Result<SinkSpec, String> {
    Ok(match kind {
        SinkKind::Console => {
            // Every row, untruncated, so that what it printed can be read back exactly.
            let options = BTreeMap::from([
                ("numRows".to_string(), Value::from(1_000_000)),
                ("truncate".to_string(), Value::from(false)),
            ]);
            SinkSpec::Console { options }
        }
        SinkKind::File => SinkSpec::File { path: root.join("output") },
        SinkKind::Memory => SinkSpec::Memory { name: memory.to_string() },
        SinkKind::ForeachBatch | SinkKind::ForeachBatchIdempotent => SinkSpec::ForeachBatch {
            table: root.join("table.jsonl"),
            idempotent: kind == SinkKind::ForeachBatchIdempotent,
            fail: None,
        },
        other => return Err(format!("the {} sink has no counterpart in the Spark driver", other.name())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_crash_point_maps_to_a_driver_position_or_says_why_not() {
        #[rustfmt::skip]
        let cases = [
            (CrashPoint::BeforeSourceLogWrite, SinkKind::File, Some((CrashLog::Sources, CrashWhen::Before))),
            (CrashPoint::BeforeOffsetsWrite, SinkKind::File, Some((CrashLog::Offsets, CrashWhen::Before))),
            (CrashPoint::AfterOffsetsWrite, SinkKind::Console, Some((CrashLog::Offsets, CrashWhen::After))),
            (CrashPoint::DuringSinkWrite, SinkKind::File, Some((CrashLog::Sink, CrashWhen::Before))),
            (CrashPoint::DuringSinkWrite, SinkKind::Console, Some((CrashLog::Commits, CrashWhen::Before))),
            (CrashPoint::AfterSinkWrite, SinkKind::File, Some((CrashLog::Commits, CrashWhen::Before))),
            (CrashPoint::AfterCommitWrite, SinkKind::File, Some((CrashLog::Commits, CrashWhen::After))),
            (CrashPoint::DuringLogWrite, SinkKind::File, Some((CrashLog::Any, CrashWhen::During))),
            (CrashPoint::BeforeLogDirSync, SinkKind::File, None),
        ];
        for (point, sink, expected) in cases {
            let got = crash_at(point, 2, sink).ok().map(|c| (c.log, c.when));
            assert_eq!(got, expected, "{point} on {sink:?}");
        }
        assert!(crash_at(CrashPoint::BeforeLogDirSync, 1, SinkKind::File).unwrap_err().contains("no hook in Spark"));
    }

    #[test]
    fn the_task_layout_knobs_go_to_sparks_conf_only_when_set() {
        // Goal: the Spark target runs with the query's spark.sql.files.* values (FINDINGS Q23),
        // and with Spark's own defaults otherwise. Method: a query with none, then with each.
        let text = "[query]\nsink = \"file\"\n";
        let mut query = crate::scenario::Scenario::parse(Path::new("s.toml"), text).unwrap().query;
        assert!(conf(&query).keys().all(|k| !k.starts_with("spark.sql.files.")));
        query.source.max_partition_bytes = Some(64);
        query.source.open_cost_in_bytes = Some(16);
        query.source.min_partition_num = Some(3);
        let conf = conf(&query);
        assert_eq!(conf["spark.sql.files.maxPartitionBytes"], Value::from(64));
        assert_eq!(conf["spark.sql.files.openCostInBytes"], Value::from(16));
        assert_eq!(conf["spark.sql.files.minPartitionNum"], Value::from(3));
    }
}
