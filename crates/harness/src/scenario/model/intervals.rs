//! The compaction interval each compactible log compacts with: fixed at every start from the
//! compactions the log holds, by Spark's rule (`crate::check::derived_interval`, spark/FINDINGS.md
//! Q26e2), so that a query restarted with another `compactInterval` is judged as Spark runs it.
//! A start whose source log holds, in the range Spark reads (`getAllValidBatches`: from the
//! compaction the interval names at or below the newest batch), a batch file named for another
//! interval is refused, as Spark 4.3 refuses it (`File …/sources/0/3.compact does not exist`).
//!
//! It reads the model's own log state; it must never ask the engine which interval it took.

use super::source_log::expired_below;
use super::state::SinkState;
use super::{Model, compact_interval, min_batches_to_retain};
use crate::check::{Cause, derived_interval};

/// `N` or `N.compact`.
fn name(id: u64, compact: bool) -> String {
    if compact { format!("{id}.compact") } else { id.to_string() }
}

impl Model {
    /// A start fixes each log's interval from its compactions; a source log that Spark cannot
    /// read at that interval refuses the start.
    pub(super) fn fix_intervals(&mut self) -> Result<(), Cause> {
        let conf = compact_interval(&self.query.checkpoint);
        let sources = &self.checkpoint.sources;
        let interval = derived_interval(conf, &sources.compactions());
        if let Some(latest) = sources.latest() {
            let first = ((latest + 1) / interval * interval).saturating_sub(1);
            for id in first..=latest {
                let compact = (id + 1).is_multiple_of(interval);
                if sources.is_compaction(id) == Some(!compact) {
                    let (path, found) = (format!("sources/0/{}", name(id, compact)), name(id, !compact));
                    return Err(Cause::IntervalMismatch { path, found, interval });
                }
            }
        }
        self.source_interval = interval;
        self.fix_sink_interval(conf);
        Ok(())
    }

    /// The file sink's log: its compactions are the batches written on their interval's turn,
    /// less those the newest batch's expiry deleted.
    fn fix_sink_interval(&mut self, conf: u64) {
        let SinkState::File(log) = &self.sink else { return };
        let at = |id: u64| self.sink_intervals.at(id);
        let mut compactions: Vec<u64> = log.keys().copied().filter(|id| (id + 1).is_multiple_of(at(*id))).collect();
        let latest = log.keys().next_back().copied();
        let retain = min_batches_to_retain(&self.query.checkpoint);
        if let Some(below) = latest.and_then(|l| expired_below(l, at(l), retain)) {
            compactions.retain(|c| *c >= below);
        }
        let interval = derived_interval(conf, &compactions);
        self.sink_intervals.fix(latest.map_or(0, |l| l + 1), interval);
    }
}
