//! Invariant 9: the live log's last facts that no other check holds to a prediction are true.
//! Each run's events are held to the reference model's prediction from what the run found at its
//! start (the checkpoint and the sink, read by the oracle's own readers), so this holds with
//! crashes, power losses and tampering too:
//! - a batch the sink already holds is said skipped, for the reason the model knows (a file
//!   sink: the batch is in `_spark_metadata`, whose latest batch it names; a table: the batch is
//!   in it; either way its input was not read), and a batch it does not hold is not;
//! - the warning that the latest offsets file records no plan fingerprint (written by Spark) is
//!   given exactly when that file lacks one, and no other free warning is given;
//! - `Idle` ("no new files: stop") ends a trigger exactly when the trigger protocol says: an
//!   `available-now` trigger that ends without an error, always, once, as its last word; a
//!   `once` trigger, exactly when it planned no batch; a `processing-time` trigger (driven one
//!   micro-batch at a time) or a trigger that stopped, never; and never while the model knows a
//!   batch is due (a re-run, or source-log entries no batch took);
//! - a notice that a seen file was written again names a file the source log took with another
//!   time than the input has for it now, and a batch that took it so; once a run.
//!
//! Not judged here: that every file written again is noticed (a run that lists nothing, or
//! whose window forgot the file, says nothing of it); whether a listing found new files at all
//! (what a run's listings find under crashes is the crash-free model's, `agreement.rs`); the
//! reasons of the user's own sinks (SQLite, a program), which are their words, not the
//! engine's. It reads, never repairs; the prediction is the model's, never the engine's.

use crashpoint_engine::engine::{Event, Trigger};
use crashpoint_engine::source::SourceNotice;
use std::collections::{BTreeMap, BTreeSet};

/// What a sink held when the run started, as the oracle reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeldAtStart {
    /// A file sink: the latest batch of `_spark_metadata` (`None`: empty or absent). It holds
    /// every batch up to it.
    SinkLog(Option<u64>),
    /// A table keyed by batch id (the memory sink): the ids it holds.
    Table(BTreeSet<u64>),
    /// A sink that keeps no record, or whose reasons are its own: skips are not judged.
    Unjudged,
}

/// What the model predicts of a run's free facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PredictedLive {
    /// What the sink held at the start.
    pub held: HeldAtStart,
    /// `Some(N)`: `offsets/N`, the latest, records no plan fingerprint, and a started run must
    /// warn of it; `None`: no free warning.
    pub unplanned_offsets: Option<u64>,
    /// A batch is due before any new file: the run's first trigger must plan one.
    pub batch_due: bool,
    /// The files the source log took (at the run's start, or in it) whose time is not the one
    /// the input has for them now, each with the source-log batches that took it at another
    /// time: the only files a run may say were written again, naming one of those batches.
    pub modified: BTreeMap<String, BTreeSet<u64>>,
}

impl PredictedLive {
    /// The words the sink's reason for skipping batch `id` must hold; `None` if the sink must
    /// not skip it (`Some(empty)`: not judged).
    fn skip_words(&self, id: u64) -> Option<Vec<String>> {
        let batch = format!("batch {id}");
        let unread = "its input was not read".to_string();
        match &self.held {
            HeldAtStart::SinkLog(Some(latest)) if id <= *latest => {
                Some(vec![batch, "_spark_metadata".into(), format!("latest {latest}"), unread])
            }
            HeldAtStart::Table(ids) if ids.contains(&id) => Some(vec![batch, "already in the table".into(), unread]),
            HeldAtStart::Unjudged => Some(Vec::new()),
            _ => None,
        }
    }
}

/// One trigger of a run: its events, and whether it ended without an error (or crash).
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// The trigger.
    pub trigger: Trigger,
    /// The events it gave (the run's start with the first), in order.
    pub events: &'a [Event],
    /// True if it ended without an error.
    pub ok: bool,
}

/// Holds a run's triggers' events to `predicted`. Returns the findings, in words.
pub fn judge_live(calls: &[Call<'_>], predicted: &PredictedLive) -> Vec<String> {
    let mut findings = Vec::new();
    for (index, call) in calls.iter().enumerate() {
        findings.extend(call.events.iter().filter_map(|event| sink_finding(event, predicted)));
        findings.extend(idle_findings(call, index == 0 && predicted.batch_due));
    }
    let all: Vec<&Event> = calls.iter().flat_map(|c| c.events).collect();
    findings.extend(modified_findings(&all, &predicted.modified));
    if all.iter().any(|e| matches!(e, Event::Started { .. })) {
        findings.extend(warning_findings(&all, predicted.unplanned_offsets));
    }
    findings
}

fn sink_finding(event: &Event, predicted: &PredictedLive) -> Option<String> {
    match event {
        Event::SinkSkipped { id, reason } => match predicted.skip_words(*id) {
            None => Some(format!(
                "the live log says the sink skipped batch {id} ('{reason}'), but at the run's start the sink did not \
                 hold it{}",
                held_words(&predicted.held)
            )),
            Some(words) => {
                let missing: Vec<String> = words.into_iter().filter(|w| !reason.contains(w.as_str())).collect();
                (!missing.is_empty()).then(|| {
                    format!(
                        "the sink skipped batch {id} for the reason '{reason}', which does not say {}{}",
                        missing.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(", "),
                        held_words(&predicted.held)
                    )
                })
            }
        },
        Event::SinkWrote { id, .. } if predicted.skip_words(*id).is_some_and(|w| !w.is_empty()) => Some(format!(
            "the live log says the sink wrote batch {id}, but at the run's start the sink already held it{}: it \
             must skip it",
            held_words(&predicted.held)
        )),
        _ => None,
    }
}

fn held_words(held: &HeldAtStart) -> String {
    match held {
        HeldAtStart::SinkLog(Some(latest)) => format!(" (_spark_metadata's latest batch was {latest})"),
        HeldAtStart::SinkLog(None) => " (_spark_metadata held no batch)".into(),
        HeldAtStart::Table(ids) => format!(" (the table held batches {ids:?})"),
        HeldAtStart::Unjudged => String::new(),
    }
}

/// `Idle` where the trigger protocol puts it, and nowhere else.
fn idle_findings(call: &Call<'_>, batch_due: bool) -> Vec<String> {
    let idles: Vec<usize> =
        call.events.iter().enumerate().filter(|(_, e)| **e == Event::Idle).map(|(i, _)| i).collect();
    let planned = call.events.iter().any(|e| matches!(e, Event::BatchPlanned { .. }));
    let trigger = call.trigger;
    let want = match trigger {
        _ if !call.ok => false,
        Trigger::AvailableNow => true,
        Trigger::Once => !planned,
        Trigger::ProcessingTime { .. } => false,
    };
    let mut findings = Vec::new();
    match (want, idles.as_slice()) {
        (false, []) => {}
        (true, [at]) if *at + 1 == call.events.len() => {}
        (true, []) => findings.push(format!(
            "the {trigger} trigger ended{} without saying 'no new files: stop'",
            if planned { " after its batches" } else { " with no batch" }
        )),
        (true, _) => findings.push(format!(
            "the {trigger} trigger says 'no new files: stop' {} time(s), not once as its last word",
            idles.len()
        )),
        (false, _) => findings.push(format!(
            "the {trigger} trigger says 'no new files: stop', but {}",
            match trigger {
                _ if !call.ok => "it stopped with an error: its error is its last word".to_string(),
                Trigger::Once => "it planned a batch, its one batch".to_string(),
                _ => "a processing-time run is driven one micro-batch at a time and never says it".to_string(),
            }
        )),
    }
    let first_plan = call.events.iter().position(|e| matches!(e, Event::BatchPlanned { .. }));
    let idle_before_batch = idles.first().is_some_and(|at| first_plan.is_none_or(|p| p > *at));
    if batch_due && idle_before_batch {
        findings.push(format!(
            "the {trigger} trigger says 'no new files: stop' before any batch, but the checkpoint the run found has \
             a batch due (a re-run, or source-log entries no batch took)"
        ));
    }
    findings
}

/// Each notice of a seen file written again names a file the source log took at another time
/// than the input's, and a batch that took it so; once a run (the source remembers it).
fn modified_findings(events: &[&Event], modified: &BTreeMap<String, BTreeSet<u64>>) -> Vec<String> {
    let mut said = BTreeSet::new();
    let mut findings = Vec::new();
    for event in events {
        let Event::SourceNotice(SourceNotice::ModifiedAfterProcessing { path, batch_id }) = event else { continue };
        let name = crashpoint_engine::uri::file_name_of(path);
        match modified.get(path) {
            None => findings.push(format!(
                "the run says {name} was written again after batch {batch_id} took it, but the source log took no \
                 version of it with another time than the input's"
            )),
            Some(batches) if !batches.contains(batch_id) => findings.push(format!(
                "the run says {name} was written again after batch {batch_id} took it, but the source log says \
                 {batches:?} took it with another time than the input's"
            )),
            Some(_) => {}
        }
        if !said.insert(path) {
            findings.push(format!("the run says {name} was written again twice: the source tells it once a run"));
        }
    }
    findings
}

/// Every free warning of a started run: exactly the predicted one.
fn warning_findings(events: &[&Event], unplanned: Option<u64>) -> Vec<String> {
    let warnings: Vec<&String> =
        events.iter().filter_map(|e| if let Event::Warning(w) = e { Some(w) } else { None }).collect();
    let says = |w: &String, id: u64| w.contains(&format!("offsets/{id} ")) && w.contains("no plan fingerprint");
    let mut findings: Vec<String> = warnings
        .iter()
        .filter(|w| !unplanned.is_some_and(|id| says(w, id)))
        .map(|w| match unplanned {
            Some(id) => format!("the run warns '{w}', but the one warning due is that offsets/{id} records no plan fingerprint"),
            None => format!("the run warns '{w}', but the model knows of nothing to warn of (the latest offsets file records the plan)"),
        })
        .collect();
    if let Some(id) = unplanned
        && warnings.iter().filter(|w| says(w, id)).count() != 1
    {
        findings.push(format!(
            "the latest offsets file, offsets/{id}, records no plan fingerprint (written by Spark): the run must warn \
             of it once, and warned {} time(s)",
            warnings.iter().filter(|w| says(w, id)).count()
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crashpoint_engine::checkpoint::SourceRange;

    fn planned(id: u64) -> Event {
        let sources = SourceRange { after: id.checked_sub(1), through: Some(id) };
        Event::BatchPlanned { id, files: vec![], origin: "new files", sources }
    }

    fn predicted(held: HeldAtStart) -> PredictedLive {
        PredictedLive { held, unplanned_offsets: None, batch_due: false, modified: BTreeMap::new() }
    }

    fn judge(trigger: Trigger, events: &[Event], ok: bool, predicted: &PredictedLive) -> Vec<String> {
        judge_live(&[Call { trigger, events, ok }], predicted)
    }

    const NOW: Trigger = Trigger::AvailableNow;

    #[test]
    fn a_skip_must_give_the_reason_the_model_knows() {
        // Goal: a batch in _spark_metadata is said skipped for that reason, naming its latest
        // batch, and a batch not in it is never said skipped. Method: the sink log held batch
        // 1 at the start; skips with the engine's reason, a wrong one, and of batch 2.
        let held = predicted(HeldAtStart::SinkLog(Some(1)));
        let reason = "batch 1 is already in _spark_metadata (latest 1); its input was not read";
        let skip = |id, reason: &str| Event::SinkSkipped { id, reason: reason.into() };
        assert!(judge(NOW, &[skip(1, reason), Event::Idle], true, &held).is_empty());
        let found = judge(NOW, &[skip(1, "batch 1 is already in the table"), Event::Idle], true, &held);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("which does not say '_spark_metadata', 'latest 1', 'its input was not read'"));
        let found =
            judge(NOW, &[skip(2, "batch 2 is already in _spark_metadata (latest 2)"), Event::Idle], true, &held);
        assert!(found[0].contains("skipped batch 2"), "{found:?}");
        let found = judge(NOW, &[Event::SinkWrote { id: 0, rows: 1 }, Event::Idle], true, &held);
        assert!(found[0].contains("the sink wrote batch 0, but at the run's start the sink already held it"));
        let table = predicted(HeldAtStart::Table(BTreeSet::from([3])));
        let said = skip(3, "batch 3 is already in the table; its input was not read");
        assert!(judge(NOW, &[said, Event::Idle], true, &table).is_empty());
    }

    #[test]
    fn idle_ends_a_trigger_exactly_where_the_protocol_puts_it() {
        // Goal: available-now ends with one Idle; once says it only with no batch; a stopped or
        // processing-time trigger never; and never before a batch that is due. Method:
        // hand-made triggers, each right and wrong.
        let none = predicted(HeldAtStart::Unjudged);
        assert!(judge(NOW, &[planned(0), Event::Idle], true, &none).is_empty());
        assert!(judge(NOW, &[planned(0)], true, &none)[0].contains("ended after its batches without saying"));
        assert!(judge(NOW, &[Event::Idle, planned(0)], true, &none)[0].contains("not once as its last word"));
        assert!(judge(NOW, &[planned(0), Event::Idle], false, &none)[0].contains("it stopped with an error"));
        assert!(judge(Trigger::Once, &[planned(0)], true, &none).is_empty());
        assert!(judge(Trigger::Once, &[Event::Idle], true, &none).is_empty());
        assert!(judge(Trigger::Once, &[planned(0), Event::Idle], true, &none)[0].contains("its one batch"));
        let time = Trigger::ProcessingTime { interval_ms: 0 };
        assert!(judge(time, &[planned(0), Event::Idle], true, &none)[0].contains("one micro-batch at a time"));
        let due = PredictedLive { batch_due: true, ..none };
        let found = judge(Trigger::Once, &[Event::Idle], true, &due);
        assert!(found[0].contains("before any batch, but the checkpoint the run found has a batch due"), "{found:?}");
    }

    #[test]
    fn a_started_run_warns_of_an_offsets_file_without_a_plan_and_of_nothing_else() {
        let started =
            Event::Started { query_id: "q".into(), resume: crashpoint_engine::engine::Resume::Continue { next: 3 } };
        let warning = Event::Warning("offsets/2 records no plan fingerprint (written by Spark?): …".into());
        let spark = PredictedLive { unplanned_offsets: Some(2), ..predicted(HeldAtStart::Unjudged) };
        assert!(judge(NOW, &[warning.clone(), started.clone(), Event::Idle], true, &spark).is_empty());
        let found = judge(NOW, &[started.clone(), Event::Idle], true, &spark);
        assert!(found[0].contains(
            "offsets/2, records no plan fingerprint (written by Spark): the run must warn of it once, and warned 0"
        ));
        let found = judge(NOW, &[warning.clone(), started, Event::Idle], true, &predicted(HeldAtStart::Unjudged));
        assert!(found[0].contains("the model knows of nothing to warn of"), "{found:?}");
        assert!(judge(NOW, &[warning], false, &predicted(HeldAtStart::Unjudged)).is_empty(), "no start, not judged");
    }

    #[test]
    fn a_file_said_written_again_is_one_the_source_log_took_at_another_time() {
        // Goal: the notice names a file the source log took with another time than the input
        // has, and a batch that took it so; once a run. Method: b.json taken by batch 1 at
        // another time; notices of it, of another batch, of a.json, and twice.
        let notice = |name: &str, batch_id| {
            let path = format!("file:///in/{name}");
            Event::SourceNotice(SourceNotice::ModifiedAfterProcessing { path, batch_id })
        };
        let modified = BTreeMap::from([("file:///in/b.json".to_string(), BTreeSet::from([1]))]);
        let facts = PredictedLive { modified, ..predicted(HeldAtStart::Unjudged) };
        assert!(judge(NOW, &[notice("b.json", 1), Event::Idle], true, &facts).is_empty());
        let found = judge(NOW, &[notice("b.json", 2), Event::Idle], true, &facts);
        assert!(found[0].contains("b.json was written again after batch 2 took it, but the source log says {1}"));
        let found = judge(NOW, &[notice("a.json", 0), Event::Idle], true, &facts);
        assert!(found[0].contains("but the source log took no version of it with another time"), "{found:?}");
        let found = judge(NOW, &[notice("b.json", 1), notice("b.json", 1), Event::Idle], true, &facts);
        assert_eq!(found, ["the run says b.json was written again twice: the source tells it once a run"]);
    }
}
