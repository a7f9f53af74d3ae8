//! What changed between two plans, in words: the output columns, and each step added, removed
//! or given other options. The engine says this when a checkpoint was written by another query,
//! so the user sees the difference instead of two fingerprints.

use super::{Plan, Step};
use std::fmt;

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Explode { column, alias } => write!(f, "explode {column} as {alias}"),
            Step::Filter { condition } => write!(f, "filter {condition}"),
            Step::Select { columns } => {
                let columns: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
                write!(f, "select {}", columns.join(", "))
            }
            Step::ProcessingTime { alias } => write!(f, "processing-time as {alias}"),
        }
    }
}

impl Step {
    /// The operation's name, as in scenario files.
    pub fn op(&self) -> &'static str {
        match self {
            Step::Explode { .. } => "explode",
            Step::Filter { .. } => "filter",
            Step::Select { .. } => "select",
            Step::ProcessingTime { .. } => "processing-time",
        }
    }
}

/// The differences from `recorded` to `current`, one sentence each; empty if they are equal.
pub fn describe_changes(recorded: &Plan, current: &Plan) -> Vec<String> {
    let mut changes = Vec::new();
    let columns = |plan: &Plan| plan.compile().map(|c| c.schema().to_vec()).unwrap_or_default();
    let (old_columns, new_columns) = (columns(recorded), columns(current));
    if old_columns != new_columns {
        changes.push(format!(
            "the output columns were ({}), now ({}){}",
            old_columns.join(", "),
            new_columns.join(", "),
            added_removed(&old_columns, &new_columns)
        ));
    }
    changes.extend(step_changes(&recorded.steps, &current.steps));
    changes
}

/// " (added x; removed y)", or "" when only the order changed.
fn added_removed(old: &[String], new: &[String]) -> String {
    let added: Vec<&str> = new.iter().filter(|c| !old.contains(c)).map(String::as_str).collect();
    let removed: Vec<&str> = old.iter().filter(|c| !new.contains(c)).map(String::as_str).collect();
    let mut parts = Vec::new();
    if !added.is_empty() {
        parts.push(format!("added {}", added.join(", ")));
    }
    if !removed.is_empty() {
        parts.push(format!("removed {}", removed.join(", ")));
    }
    if parts.is_empty() { String::new() } else { format!(": {}", parts.join("; ")) }
}

/// Aligns the steps by their longest common subsequence; an unmatched old step and an unmatched
/// new step of the same operation at the same place are one step whose options changed.
fn step_changes(old: &[Step], new: &[Step]) -> Vec<String> {
    let (n, m) = (old.len(), new.len());
    // lcs[i][j]: the longest common subsequence of old[i..] and new[j..].
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if old[i] == new[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut changes) = (0, 0, Vec::new());
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            (i, j) = (i + 1, j + 1);
        } else if i < n && j < m && old[i].op() == new[j].op() && lcs[i + 1][j + 1] == lcs[i][j] {
            changes.push(format!("step {} ({}) changed: was `{}`, now `{}`", j + 1, new[j].op(), old[i], new[j]));
            (i, j) = (i + 1, j + 1);
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            changes.push(format!("step {} was added: `{}`", j + 1, new[j]));
            j += 1;
        } else {
            changes.push(format!("step {} was removed: `{}`", i + 1, old[i]));
            i += 1;
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(mut plan: Plan, step: Step) -> Plan {
        plan.steps.push(step);
        plan
    }

    #[test]
    fn changes_are_told_in_words() {
        let filter = |c: &str| Step::Filter { condition: c.parse().unwrap() };
        let base = Plan::tutorial_without_time();
        let cases: Vec<(Plan, Plan, Vec<&str>)> = vec![
            (base.clone(), base.clone(), vec![]),
            (
                base.clone(),
                Plan::tutorial(),
                vec![
                    "the output columns were (eventId, device_id, temp), now (eventId, device_id, temp, \
                     processing_time): added processing_time",
                    "step 3 was added: `processing-time as processing_time`",
                ],
            ),
            (
                Plan::tutorial(),
                base.clone(),
                vec![
                    "the output columns were (eventId, device_id, temp, processing_time), now (eventId, \
                     device_id, temp): removed processing_time",
                    "step 3 was removed: `processing-time as processing_time`",
                ],
            ),
            (
                with(base.clone(), filter("temp > 20")),
                with(base.clone(), filter("temp > 25")),
                vec!["step 3 (filter) changed: was `filter temp > 20`, now `filter temp > 25`"],
            ),
            (
                base.clone(),
                Plan { steps: vec![base.steps[0].clone(), filter("device.temperature > 20"), base.steps[1].clone()] },
                vec!["step 2 was added: `filter device.temperature > 20`"],
            ),
        ];
        for (recorded, current, expected) in cases {
            assert_eq!(describe_changes(&recorded, &current), expected, "{recorded:?} -> {current:?}");
        }
    }

    #[test]
    fn a_select_with_other_columns_is_one_changed_step() {
        let base = Plan::tutorial_without_time();
        let mut renamed = base.clone();
        renamed.steps[1] = Step::Select { columns: vec!["eventId".parse().unwrap()] };
        let changes = describe_changes(&base, &renamed);
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert!(changes[0].ends_with("removed device_id, temp"), "{changes:?}");
        assert_eq!(
            changes[1],
            "step 2 (select) changed: was `select eventId, device.deviceId as device_id, device.temperature as \
             temp`, now `select eventId`"
        );
    }
}
