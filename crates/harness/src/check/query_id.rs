//! The query id a run announces: the words `start query <id>` a user reads to tell one query
//! from another, and what Spark's UI and listeners show. Every run must announce a query id of
//! Spark's shape (a UUID), and the last run that started must have announced the id the
//! checkpoint's `metadata` holds at the end: the id is the checkpoint's, kept across restarts.
//!
//! The check only reads the live log and the id it is given; it never reads or repairs the
//! checkpoint itself.

use super::words::RunWords;
use crashpoint_engine::engine::Event;

/// True if `id` has a UUID's shape: 8-4-4-4-12 hexadecimal digits.
fn is_uuid(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    lengths == [8, 4, 4, 4, 12] && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Judges the query ids the runs announced against `metadata_id`, the id in the checkpoint's
/// `metadata` at the end (`None`: no such file, or none readable). Returns the findings.
pub fn judge_query_id(runs: &[RunWords<'_>], metadata_id: Option<&str>) -> Vec<String> {
    let mut findings = Vec::new();
    let mut last = None;
    for run in runs {
        for event in run.events {
            if let Event::Started { query_id, .. } = event {
                if !is_uuid(query_id) {
                    findings.push(format!(
                        "run {}: the live log starts query '{query_id}', which is no query id (a UUID, as Spark's)",
                        run.run
                    ));
                }
                last = Some((run.run, query_id.as_str()));
            }
        }
    }
    if let (Some((run, announced)), Some(kept)) = (last, metadata_id)
        && announced != kept
    {
        findings.push(format!(
            "run {run}: the live log starts query '{announced}', but the checkpoint's metadata holds the query id \
             '{kept}': the user reads another id than the checkpoint keeps"
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crashpoint_engine::engine::Resume;

    const ID: &str = "0f8a61e2-5b1c-4e7f-9a3d-2c4b6d8e0f12";

    fn started(id: &str) -> Event {
        Event::Started { query_id: id.into(), resume: Resume::Fresh }
    }

    fn runs(events: &[Event]) -> Vec<String> {
        judge_query_id(&[RunWords { run: 1, events, error: None }], Some(ID))
    }

    #[test]
    fn the_announced_id_is_a_uuid_and_the_checkpoints() {
        // Goal: a run that announces the checkpoint's id passes; an empty id (a metadata that
        // was never written), a non-UUID or another id are findings. Method: hand-made events.
        assert_eq!(runs(&[started(ID)]), Vec::<String>::new());
        let empty = runs(&[started("")]);
        assert_eq!(empty.len(), 2, "{empty:?}");
        assert!(empty[0].contains("starts query '', which is no query id"), "{empty:?}");
        assert!(empty[1].contains("but the checkpoint's metadata holds the query id"), "{empty:?}");
        assert_eq!(runs(&[started("not-a-uuid")]).len(), 2);
        let other = "1f8a61e2-5b1c-4e7f-9a3d-2c4b6d8e0f12";
        assert_eq!(runs(&[started(other)]).len(), 1);
        assert_eq!(
            judge_query_id(&[RunWords { run: 1, events: &[started(ID)], error: None }], None),
            Vec::<String>::new()
        );
        assert_eq!(runs(&[]), Vec::<String>::new(), "no run started: nothing to compare");
    }
}
