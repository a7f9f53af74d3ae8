//! Other spellings of a generated trigger's interval, in the forms Spark 4.3's
//! `Trigger.ProcessingTime(String)` reads: a parser must read every spelling of one interval as
//! that interval (a metamorphic check: no table of expected readings can go stale). And odd and
//! bad values of options as a user writes them ([`Spelled`]): runs of their own trigger
//! intervals, and task-layout knobs at 0 and below, which the reference model reads on its own.
//!
//! Spellings are derived from the interval alone and drawn from nothing, so the check never
//! moves fuzz's draw. This module only spells; it must never judge a run.

use crashpoint_engine::engine::Trigger;

/// Spellings of `interval_ms` that Spark 4.3 reads as that interval (measured forms: an
/// `interval` prefix, compound terms, a fraction of a second, a negative term, any case).
pub fn spark_spellings(interval_ms: u64) -> Vec<String> {
    let mut spellings = vec![
        format!("interval {interval_ms} milliseconds"),
        compound(interval_ms),
        compound(interval_ms).to_uppercase(),
        format!("{}.{:03} seconds", interval_ms / 1000, interval_ms % 1000),
        format!("1 minute {} milliseconds -60 seconds", interval_ms),
    ];
    if let Some(micros) = interval_ms.checked_mul(1000) {
        spellings.push(format!("{micros} microseconds"));
    }
    spellings
}

/// Intervals a user may give a run's own `processing-time=<interval>`: odd ones Spark 4.3 reads
/// and bad ones it refuses (FINDINGS Q24a), each at one rule of the grammar (a point alone, ten
/// digits after it, months that cancel out, a negative total, ...). Which is which is the
/// reference model's to say, never this table's.
pub const ODD_INTERVALS: [&str; 30] = [
    ".",
    "-. seconds",
    "1.1234567891 seconds",
    "1 month",
    "INTERVAL 1.5 SECONDS",
    "5. minutes",
    ". seconds",
    "1 year -12 months",
    "-5 seconds",
    "1.123456789 seconds",
    "2 years",
    "5",
    "1 fortnight",
    "1 month -1 month",
    "1 second -1001 milliseconds",
    "",
    "  2 Minutes ",
    "1.5 minutes",
    "intervalx 5 seconds",
    "9223372036854775807 microseconds",
    "2234567890 days",
    "- . seconds",
    "5seconds",
    "1 second -1000 milliseconds",
    "-1 microseconds",
    "interval",
    "+5 seconds 1 week",
    "9223372036854775808 microseconds",
    "1 minute 30",
    "5 secs",
];

/// Texts a user may give a run's trigger that are no trigger at all: typos of each trigger's
/// name, another case, a space, another separator than `=`, Spark's own API names. The engine
/// refuses each when the run starts; which it refuses is the reference model's to say.
pub const NOT_TRIGGERS: [&str; 10] = [
    "avaliable-now",
    "processing-tim=5s",
    "Once",
    "processing-time =5s",
    "available_now",
    " once",
    "processingTime=5 seconds",
    "processing-time:5s",
    "continuous",
    "",
];

/// How many runs of odd intervals a case with [`Spelled::Intervals`] has, from its first on.
pub const INTERVAL_RUNS: usize = 5;

/// Task-layout knobs (their scenario keys), each with the values a user may give it that a case
/// tries in turn: 0 and below, which Spark refuses, fails on, or loses rows with, and an open
/// cost of 0, which it runs with.
pub const LAYOUT_VALUES: [(&str, [i64; 2]); 3] =
    [("max-partition-bytes", [0, -1]), ("open-cost-in-bytes", [0, -1]), ("min-partition-num", [0, -3])];

/// Options a case gives as a user may spell them, good or bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelled {
    /// Runs of their own triggers, [`INTERVAL_RUNS`] of [`ODD_INTERVALS`] from `first` on.
    Intervals {
        /// The first interval's place in the table.
        first: usize,
    },
    /// A run whose trigger is this text, no trigger at all.
    NotATrigger {
        /// The text, one of [`NOT_TRIGGERS`].
        text: &'static str,
    },
    /// The query changed to give a task-layout knob each of these values in turn, then back.
    Layout {
        /// The knob's scenario key.
        key: &'static str,
        /// Its values.
        values: [i64; 2],
    },
}

/// The spelled options of a case, from a hash of what it drew (bits a case's layout does not
/// read): odd intervals in about one case in twenty, a layout value in another one in twenty.
pub fn spelled(hash: u64) -> Option<Spelled> {
    let pick = |shift: u32, n: usize| ((hash >> shift) % n as u64) as usize;
    match pick(32, 20) {
        0 => Some(Spelled::Intervals { first: pick(40, ODD_INTERVALS.len()) }),
        1 => {
            let (key, values) = LAYOUT_VALUES[pick(40, LAYOUT_VALUES.len())];
            Some(Spelled::Layout { key, values })
        }
        _ => None,
    }
}

/// `interval_ms` in days, hours, minutes, seconds and milliseconds, largest first.
fn compound(interval_ms: u64) -> String {
    let units =
        [(86_400_000, "days"), (3_600_000, "hours"), (60_000, "minutes"), (1000, "seconds"), (1, "milliseconds")];
    let mut rest = interval_ms;
    let mut terms = Vec::new();
    for (size, name) in units {
        if rest / size > 0 {
            terms.push(format!("{} {name}", rest / size));
            rest %= size;
        }
    }
    if terms.is_empty() { "0 seconds".to_string() } else { terms.join(" ") }
}

/// An error naming the first spelling of `meant`'s interval that the engine's parser reads
/// otherwise.
pub fn read_alike(spelled: &str, meant: Trigger) -> Result<(), String> {
    read_alike_by(|text| text.parse::<Trigger>(), spelled, meant)
}

fn read_alike_by(parse: impl Fn(&str) -> Result<Trigger, String>, spelled: &str, meant: Trigger) -> Result<(), String> {
    let Trigger::ProcessingTime { interval_ms } = meant else { return Ok(()) };
    for other in spark_spellings(interval_ms) {
        let text = format!("processing-time={other}");
        match parse(&text) {
            Ok(read) if read == meant => {}
            read => {
                return Err(format!(
                    "the trigger a user writes as {text:?} is read as {read:?}, not {meant:?} as {spelled:?} is"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_interval() {
        assert_eq!(compound(0), "0 seconds");
        assert_eq!(compound(90_061_001), "1 days 1 hours 1 minutes 1 seconds 1 milliseconds");
        assert!(spark_spellings(250).contains(&"0.250 seconds".to_string()));
        assert!(spark_spellings(250).contains(&"250000 microseconds".to_string()));
    }

    #[test]
    fn every_spelling_reads_alike_on_the_engine_s_parser() {
        for interval_ms in [0, 1, 250, 5_000, 90_000, 3_600_000, 86_400_000 + 1] {
            let meant = Trigger::ProcessingTime { interval_ms };
            assert_eq!(read_alike("processing-time", meant), Ok(()), "{interval_ms}");
        }
    }

    #[test]
    fn a_parser_that_reads_one_spelling_otherwise_is_caught() {
        let meant = Trigger::ProcessingTime { interval_ms: 90_000 };
        // A parser that reads only a compound interval's first term.
        let first_term_only = |text: &str| {
            let terms: Vec<&str> = text.split_whitespace().take(2).collect();
            terms.join(" ").parse::<Trigger>()
        };
        let found = read_alike_by(first_term_only, "processing-time=90s", meant).unwrap_err();
        assert!(found.contains(r#"is read as"#) && found.ends_with(r#"as "processing-time=90s" is"#), "{found}");
        // A parser that refuses Spark's `interval` prefix.
        let no_prefix = |text: &str| match text.contains("interval ") {
            true => Err("not an interval".to_string()),
            false => text.parse::<Trigger>(),
        };
        let found = read_alike_by(no_prefix, "processing-time=90s", meant).unwrap_err();
        assert!(found.contains("is read as Err"), "{found}");
    }
}
