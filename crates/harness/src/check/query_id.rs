//! Invariant 7: the query's id. Spark writes the checkpoint's `metadata` once, when the
//! checkpoint is created, as `{"id":"<uuid>"}` (a random, version-4 UUID in lower case, no
//! newline: `tests/fixtures/spark-reference/`), and a query keeps that id across restarts:
//! listeners, the UI and the logs know the query by it. So after every run that started,
//! `metadata` holds one well-formed id in Spark's form, the run's live log announced that id,
//! and it is the id the checkpoint got when it was created; a new checkpoint (the old one
//! deleted) gets an id no earlier checkpoint had.
//!
//! It judges each run as it ends, so that a run that crashed before it announced its start is
//! not blamed for the id it never said (its `metadata` is judged at the next run that starts).
//! It reads only the file's bytes it is given and the live log: it must never ask the engine
//! what the id should be.

use crashpoint_engine::engine::Event;

/// What one run left and said about the query id, and what the checkpoint had before it.
#[derive(Debug, Clone, Copy)]
pub struct QueryIdRun<'a> {
    /// The bytes of `metadata` after the run; `None` if there is no such file.
    pub metadata: Option<&'a [u8]>,
    /// The events the run announced, in order.
    pub events: &'a [Event],
    /// The id this checkpoint got when it was created, if a run has seen it since.
    pub created: Option<&'a str>,
    /// The ids of the checkpoints deleted before this one was created.
    pub earlier: &'a [String],
}

/// The id of `metadata`'s bytes, if they are exactly Spark's form; otherwise what is wrong.
pub fn read_query_id(bytes: &[u8]) -> Result<&str, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "metadata is not UTF-8".to_string())?;
    let id = text
        .strip_prefix(r#"{"id":""#)
        .and_then(|rest| rest.strip_suffix(r#""}"#))
        .ok_or_else(|| format!("metadata holds {text:?}, not Spark's {{\"id\":\"<uuid>\"}}"))?;
    if !is_spark_uuid(id) {
        return Err(format!(
            "metadata's id {id:?} is not a random UUID as Spark writes one (8-4-4-4-12 lower-case hex, version 4)"
        ));
    }
    Ok(id)
}

/// True if `id` is a version-4 UUID in lower case, as `java.util.UUID.randomUUID().toString()`.
pub fn is_spark_uuid(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    let lengths_ok = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12]);
    let hex = id.chars().all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c));
    lengths_ok && hex && groups[2].starts_with('4') && groups[3].starts_with(['8', '9', 'a', 'b'])
}

/// Checks a run that announced its start; a run that stopped before it (a crash or an error
/// while it opened the checkpoint) may have left no `metadata`, and is not judged here.
/// Returns the violations, in words, and the id the checkpoint now has, if any.
pub fn check_query_id(run: &QueryIdRun<'_>) -> (Vec<String>, Option<String>) {
    let Some(announced) = run.events.iter().find_map(|e| match e {
        Event::Started { query_id, .. } => Some(query_id.as_str()),
        _ => None,
    }) else {
        return (Vec::new(), run.created.map(str::to_string));
    };
    let Some(bytes) = run.metadata else {
        return (
            vec![format!("the run started as query {announced:?}, but the checkpoint has no metadata file")],
            None,
        );
    };
    let id = match read_query_id(bytes) {
        Ok(id) => id,
        Err(why) => return (vec![why], None),
    };
    let mut violations = Vec::new();
    if announced != id {
        violations.push(format!("the run announced query {announced:?}, but metadata holds {id:?}"));
    }
    match run.created {
        Some(created) if created != id => violations.push(format!(
            "metadata's id changed from {created:?} to {id:?}: a restart must keep the id the checkpoint was created with"
        )),
        None if run.earlier.iter().any(|old| old == id) => violations.push(format!(
            "the new checkpoint has the id {id:?} of a checkpoint deleted before it: a new checkpoint is a new query"
        )),
        _ => {}
    }
    (violations, Some(id.to_string()))
}

#[cfg(test)]
mod kept_tests {
    use super::*;
    use crashpoint_engine::engine::Resume;

    const SPARK: &str = r#"{"id":"a084e67d-95e7-4511-8a18-643564beb5a2"}"#;
    const ID: &str = "a084e67d-95e7-4511-8a18-643564beb5a2";
    const OTHER: &str = "9a061dd7-4851-4673-8c92-41865399731b";

    fn started(id: &str) -> Vec<Event> {
        vec![Event::Started { query_id: id.to_string(), resume: Resume::Fresh }]
    }

    fn run<'a>(metadata: Option<&'a [u8]>, events: &'a [Event], created: Option<&'a str>) -> QueryIdRun<'a> {
        QueryIdRun { metadata, events, created, earlier: &[] }
    }

    #[test]
    fn spark_s_own_metadata_files_are_well_formed() {
        // Goal: the form is Spark's, read off its reference checkpoints.
        for text in [SPARK, r#"{"id":"9a061dd7-4851-4673-8c92-41865399731b"}"#] {
            assert!(read_query_id(text.as_bytes()).is_ok(), "{text}");
        }
        for (text, why) in [
            (r#"{"id":""}"#, "not a random UUID"),
            ("", "not Spark's"),
            (r#"{"id":"A084E67D-95E7-4511-8A18-643564BEB5A2"}"#, "lower-case"),
            (r#"{"id":"a084e67d-95e7-1511-8a18-643564beb5a2"}"#, "version 4"),
            (r#"{"id":"a084e67d-95e7-4511-7a18-643564beb5a2"}"#, "version 4"),
            (r#"{"id":"a084e67d95e745118a18643564beb5a2"}"#, "8-4-4-4-12"),
            ("{\"id\":\"a084e67d-95e7-4511-8a18-643564beb5a2\"}\n", "not Spark's"),
            (r#"{"id": "a084e67d-95e7-4511-8a18-643564beb5a2"}"#, "not Spark's"),
        ] {
            let err = read_query_id(text.as_bytes()).unwrap_err();
            assert!(err.contains(why), "{text:?}: {err}");
        }
    }

    #[test]
    fn a_run_keeps_the_id_it_announced_and_the_checkpoint_was_created_with() {
        let events = started(ID);
        let (found, id) = check_query_id(&run(Some(SPARK.as_bytes()), &events, None));
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(id.as_deref(), Some(ID));
        let (found, _) = check_query_id(&run(Some(SPARK.as_bytes()), &events, Some(ID)));
        assert!(found.is_empty(), "{found:?}");
        // A run that never started is not judged, and the checkpoint keeps the id it had.
        let (found, id) = check_query_id(&run(None, &[], Some(ID)));
        assert!(found.is_empty() && id.as_deref() == Some(ID));
    }

    #[test]
    fn an_empty_a_missing_or_a_changed_id_is_caught() {
        // Goal: each wrong checkpoint, hand-made, is a violation: the engine writing an empty id
        // (or none at all), announcing another id than the file's, a restart that changes the id,
        // and a new checkpoint that reuses a deleted one's id.
        let (found, _) = check_query_id(&run(None, &started(""), None));
        assert!(found[0].contains("has no metadata file"), "{found:?}");
        let (found, _) = check_query_id(&run(Some(br#"{"id":""}"#), &started(""), None));
        assert!(found[0].contains("is not a random UUID"), "{found:?}");
        let (found, _) = check_query_id(&run(Some(SPARK.as_bytes()), &started(OTHER), None));
        assert!(found[0].contains("announced query"), "{found:?}");
        let (found, _) = check_query_id(&run(Some(SPARK.as_bytes()), &started(ID), Some(OTHER)));
        assert!(found[0].contains("changed from"), "{found:?}");
        let (earlier, events) = ([ID.to_string()], started(ID));
        let new = QueryIdRun { earlier: &earlier, ..run(Some(SPARK.as_bytes()), &events, None) };
        assert!(check_query_id(&new).0[0].contains("of a checkpoint deleted before it"));
    }
}
