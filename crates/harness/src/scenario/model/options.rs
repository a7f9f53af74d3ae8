//! The rules of the query's source options, stated by the model itself: which values a query
//! may give `maxFilesPerTrigger`, `maxFileAge` and crashpoint's line limit, and the cause of a
//! run refused for one that breaks its rule (Spark refuses its own in the first trigger,
//! `spark/FINDINGS.md` Q8 and Q20). It must never ask the engine whether a value is valid.

use super::Cause;
use crashpoint_engine::source::SourceOptions;

/// (option, least value allowed, the value the query gives), in the order a run checks them.
fn options(source: &SourceOptions) -> [(&'static str, i64, Option<i64>); 3] {
    [
        // Spark: "must be a positive integer".
        ("maxFilesPerTrigger", 1, source.max_files_per_trigger),
        // Spark's `SeenFilesMap` requires `maxAgeMs >= 0`: 0 is a window of no width.
        ("maxFileAge", 0, source.max_file_age_ms),
        // crashpoint's own: a line of 0 bytes or fewer cannot hold a record.
        ("maxLineBytes", 1, source.max_line_bytes),
    ]
}

/// Why a run of a query with these options is refused before its first batch, if it is: the
/// first option whose value breaks its rule.
pub(super) fn refused(source: &SourceOptions) -> Option<Cause> {
    options(source).into_iter().find_map(|(option, least, value)| {
        value.filter(|v| *v < least).map(|value| Cause::BadOption { option: option.into(), value, least })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_option_is_refused_below_its_least_value_and_only_there() {
        // Goal: the model's rules, value by value at each edge. Method: each option set alone
        // to its least value (taken), one below (refused, named with its value) and far below.
        let set = |i: usize, v: i64| {
            let mut source = SourceOptions::default();
            *[&mut source.max_files_per_trigger, &mut source.max_file_age_ms, &mut source.max_line_bytes][i] = Some(v);
            source
        };
        assert_eq!(refused(&SourceOptions::default()), None);
        for (i, (option, least)) in
            [("maxFilesPerTrigger", 1), ("maxFileAge", 0), ("maxLineBytes", 1)].iter().enumerate()
        {
            assert_eq!(refused(&set(i, *least)), None, "{option} = {least}");
            assert_eq!(refused(&set(i, least + 1)), None, "{option} = {}", least + 1);
            for value in [least - 1, -7_000] {
                let want = Cause::BadOption { option: option.to_string(), value, least: *least };
                assert_eq!(refused(&set(i, value)), Some(want), "{option} = {value}");
            }
        }
    }
}
