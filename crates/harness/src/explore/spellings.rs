//! Other spellings of a generated trigger's interval, in the forms Spark 4.3's
//! `Trigger.ProcessingTime(String)` reads: a parser must read every spelling of one interval as
//! that interval (a metamorphic check: no table of expected readings can go stale).
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
