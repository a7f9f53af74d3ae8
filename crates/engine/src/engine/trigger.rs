//! Triggers: when batches run and how much each one reads, as Spark 4.3 runs them
//! (`spark/FINDINGS.md`, Q3).
//!
//! - `available-now`: the files present when the run starts are fixed; they are read in batches
//!   of `maxFilesPerTrigger`, then the run stops. A file that arrives during the run waits for
//!   the next run.
//! - `once`: one batch with everything available; `maxFilesPerTrigger` is ignored.
//! - `processing-time=<interval>`: micro-batches, each re-listing the input and reading at most
//!   `maxFilesPerTrigger` files, one every interval (back to back with 0). The engine reads no
//!   clock, so its `run` stops at the first trigger that finds no new data; `crashpoint stream`
//!   keeps triggering on the wall clock until it is stopped.
//!
//! This module only names and parses triggers; it must never wait or read a clock.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// When batches run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Trigger {
    /// The files available at start, in batches of `maxFilesPerTrigger`, then stop.
    #[default]
    AvailableNow,
    /// One batch with everything available, whatever `maxFilesPerTrigger` says, then stop.
    Once,
    /// Spark's default: a micro-batch every interval, each re-listing the input.
    ProcessingTime {
        /// Time from one trigger's start to the next; 0 runs batches back to back.
        interval_ms: u64,
    },
}

impl Trigger {
    /// The limit on new files per batch under this trigger: none for `once`.
    pub fn max_files(self, max_files_per_trigger: Option<usize>) -> Option<usize> {
        match self {
            Trigger::Once => None,
            Trigger::AvailableNow | Trigger::ProcessingTime { .. } => max_files_per_trigger,
        }
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trigger::AvailableNow => write!(f, "available-now"),
            Trigger::Once => write!(f, "once"),
            Trigger::ProcessingTime { interval_ms: 0 } => write!(f, "processing-time"),
            Trigger::ProcessingTime { interval_ms } if interval_ms % 1000 == 0 => {
                write!(f, "processing-time={}s", interval_ms / 1000)
            }
            Trigger::ProcessingTime { interval_ms } => write!(f, "processing-time={interval_ms}ms"),
        }
    }
}

/// Parses an interval in ms: the engine's short forms (`5s`, `500ms`, `2m`, `1h`, `1d`, `0`) and
/// everything Spark 4.3's `Trigger.ProcessingTime(String)` reads (`10 seconds`, `interval 1
/// minute 30 seconds`, `1.5 seconds`), as Spark reads it.
fn parse_interval_ms(text: &str) -> Result<u64, String> {
    let text = text.trim_matches(java_space);
    let digits_end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(digits_end);
    let unit = unit.trim_matches(java_space);
    if digits.is_empty() || !unit.chars().all(|c| c.is_ascii_alphabetic()) {
        return spark_interval_ms(text);
    }
    let value: u64 = digits.parse().map_err(|_| format!("'{text}' is too long an interval"))?;
    let scale = match unit.to_ascii_lowercase().as_str() {
        "" if value == 0 => 1,
        "ms" => 1,
        "s" => 1000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        // A unit Spark spells out is read by Spark's rules, its limits included.
        _ => return spark_interval_ms(text),
    };
    value.checked_mul(scale).ok_or_else(|| format!("'{text}' is too long an interval"))
}

/// An interval as Spark's `IntervalUtils.stringToInterval` reads it for a trigger (measured on
/// Spark 4.3, `spark/FINDINGS.md` Q24a): an optional `interval` prefix, then one or more signed
/// terms `<number> <unit>`. Months (a year is 12) are summed apart and refused unless they cancel;
/// days (a week is 7) are a 32-bit count, the rest 64-bit microseconds, every step checked as
/// Spark's exact arithmetic checks it; a negative total is refused (`-1 microseconds` too), a
/// positive one cut to whole ms.
fn spark_interval_ms(text: &str) -> Result<u64, String> {
    let lower = text.to_ascii_lowercase();
    let body = match lower.strip_prefix("interval") {
        None => lower.as_str(),
        Some(rest) if rest.is_empty() || rest.starts_with(java_space) => rest,
        Some(_) => return Err(format!("'{text}' is not an interval: only 'interval' may come before the first term")),
    };
    let mut words = body.split(java_space).filter(|w| !w.is_empty()).peekable();
    if words.peek().is_none() {
        return Err(format!("'{text}' is not an interval; write e.g. 5s, 500ms, 2m or 1 minute 30 seconds"));
    }
    let mut total = Total::default();
    while let Some(word) = words.next() {
        let (negative, number) = match word {
            "-" | "+" => (Some(word == "-"), words.next().unwrap_or_default()),
            _ => match word.strip_prefix('-') {
                Some(number) => (Some(true), number),
                None => (word.strip_prefix('+').map(|_| false), word.strip_prefix('+').unwrap_or(word)),
            },
        };
        let value = number_value(number, negative.is_some()).map_err(|why| format!("'{text}': {why}"))?;
        let Some(unit) = words.next() else {
            return Err(format!("'{text}': '{number}' has no unit; write e.g. {number} seconds"));
        };
        let value = if negative == Some(true) { (-value.0, -value.1, value.2) } else { value };
        total.add(value, number, unit).map_err(|why| format!("'{text}': {why}"))?;
    }
    if total.months != 0 {
        return Err(format!("'{text}': a trigger's interval cannot be in months or years"));
    }
    let too_long = || format!("'{text}' is too long an interval");
    let micros = i64::from(total.days).checked_mul(86_400_000_000).and_then(|d| d.checked_add(total.micros));
    // Negative by a single microsecond is refused; a positive total is cut to whole ms.
    let micros = u64::try_from(micros.ok_or_else(too_long)?)
        .map_err(|_| format!("'{text}' is negative: a trigger's interval must not be"))?;
    Ok(micros / 1000)
}

/// Whitespace as Spark's interval reader sees it (Java's `Character.isWhitespace` on a byte).
fn java_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0B' | '\x0C' | '\x1C'..='\x1F')
}

/// A term's number: (its whole part, its fraction in microseconds, whether it has a point).
/// `signed`: a sign came before it, after which Spark reads a point alone (`-.`) as 0.
fn number_value(number: &str, signed: bool) -> Result<(i64, i64, bool), String> {
    let (whole, fraction) = number.split_once('.').map_or((number, None), |(w, f)| (w, Some(f)));
    let digits = |s: &str, limit: usize| s.len() <= limit && s.chars().all(|c| c.is_ascii_digit());
    let point_alone = whole.is_empty() && fraction.is_none_or(str::is_empty);
    if (point_alone && !(signed && fraction.is_some()))
        || !digits(whole, usize::MAX)
        || !digits(fraction.unwrap_or_default(), 9)
    {
        return Err(format!("'{number}' is not a number (Spark reads at most 9 digits after the point)"));
    }
    let whole = if whole.is_empty() { Ok(0) } else { whole.parse::<i64>() };
    let whole = whole.map_err(|_| format!("'{number}' is too long an interval"))?;
    let fraction_micros = format!("{:0<6}", fraction.unwrap_or_default())[..6].parse().unwrap_or(0);
    Ok((whole, fraction_micros, fraction.is_some()))
}

/// A Spark interval's sum so far, in Spark's three fields.
#[derive(Default)]
struct Total {
    months: i32,
    days: i32,
    micros: i64,
}

impl Total {
    /// Adds one term, `value` being (whole, fraction in microseconds, has a point), signed.
    fn add(&mut self, (whole, fraction, point): (i64, i64, bool), number: &str, unit: &str) -> Result<(), String> {
        let micros_per = match unit {
            "microsecond" | "microseconds" => Some(1),
            "millisecond" | "milliseconds" => Some(1_000),
            "second" | "seconds" => Some(1_000_000),
            "minute" | "minutes" => Some(60_000_000),
            "hour" | "hours" => Some(3_600_000_000),
            "day" | "days" | "week" | "weeks" | "month" | "months" | "year" | "years" => None,
            _ => {
                return Err(format!(
                    "'{unit}' is not a unit; Spark's are microseconds, milliseconds, seconds, minutes, hours, days \
                     and weeks"
                ));
            }
        };
        if point && micros_per != Some(1_000_000) {
            return Err(format!("only seconds may have a fraction, not {unit} ('{number}')"));
        }
        let too_long = || format!("'{number} {unit}' is too long an interval");
        let int = |n: i64| i32::try_from(n).map_err(|_| too_long());
        match (micros_per, unit.trim_end_matches('s')) {
            (Some(per), _) => {
                let term = whole.checked_mul(per).and_then(|t| t.checked_add(fraction)).ok_or_else(too_long)?;
                self.micros = self.micros.checked_add(term).ok_or_else(too_long)?;
            }
            (None, "day") => self.days = self.days.checked_add(int(whole)?).ok_or_else(too_long)?,
            (None, "week") => self.days = int(sum(self.days, whole.checked_mul(7)).ok_or_else(too_long)?)?,
            (None, "month") => self.months = self.months.checked_add(int(whole)?).ok_or_else(too_long)?,
            (None, _) => {
                self.months = int(sum(self.months, whole.checked_mul(12)).ok_or_else(too_long)?)?;
            }
        }
        Ok(())
    }
}

/// A 32-bit field plus a term, in 64 bits (Spark's `Math.toIntExact(Math.addExact(...))`).
fn sum(field: i32, term: Option<i64>) -> Option<i64> {
    term.and_then(|t| i64::from(field).checked_add(t))
}

impl FromStr for Trigger {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "available-now" => Ok(Trigger::AvailableNow),
            "once" => Ok(Trigger::Once),
            "processing-time" => Ok(Trigger::ProcessingTime { interval_ms: 0 }),
            _ => match s.strip_prefix("processing-time=") {
                Some(interval) => Ok(Trigger::ProcessingTime { interval_ms: parse_interval_ms(interval)? }),
                None => Err(format!(
                    "'{s}' is not a trigger; allowed: available-now, once, processing-time or processing-time=<interval> \
                     (e.g. processing-time=5s)"
                )),
            },
        }
    }
}

impl Serialize for Trigger {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Trigger {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_cases() {
        let cases = [
            ("available-now", Trigger::AvailableNow, "available-now"),
            ("once", Trigger::Once, "once"),
            ("processing-time", Trigger::ProcessingTime { interval_ms: 0 }, "processing-time"),
            ("processing-time=0", Trigger::ProcessingTime { interval_ms: 0 }, "processing-time"),
            ("processing-time=5s", Trigger::ProcessingTime { interval_ms: 5000 }, "processing-time=5s"),
            ("processing-time=250ms", Trigger::ProcessingTime { interval_ms: 250 }, "processing-time=250ms"),
            ("processing-time=2m", Trigger::ProcessingTime { interval_ms: 120_000 }, "processing-time=120s"),
            ("processing-time=10 seconds", Trigger::ProcessingTime { interval_ms: 10_000 }, "processing-time=10s"),
            ("processing-time=1 minute", Trigger::ProcessingTime { interval_ms: 60_000 }, "processing-time=60s"),
            ("processing-time=1 hour", Trigger::ProcessingTime { interval_ms: 3_600_000 }, "processing-time=3600s"),
            ("processing-time=5 milliseconds", Trigger::ProcessingTime { interval_ms: 5 }, "processing-time=5ms"),
            ("processing-time=10 SECONDS", Trigger::ProcessingTime { interval_ms: 10_000 }, "processing-time=10s"),
            ("processing-time=1 day", Trigger::ProcessingTime { interval_ms: 86_400_000 }, "processing-time=86400s"),
        ];
        for (text, trigger, shown) in cases {
            assert_eq!(text.parse::<Trigger>(), Ok(trigger), "{text}");
            assert_eq!(trigger.to_string(), shown);
        }
    }

    /// Spark 4.3's own readings: `ProcessingTimeTrigger.apply(text).intervalMs()` in pyspark's
    /// JVM, 2026-11-27 (a refusal is `None`; the last six rows after a review read Spark's source).
    const SPARK_READS: &[(&str, Option<u64>)] = &[
        ("1 minute 30 seconds", Some(90_000)),
        ("interval 1 minute 30 seconds", Some(90_000)),
        ("INTERVAL 2 seconds", Some(2_000)),
        ("interval  5 seconds", Some(5_000)),
        ("500 milliseconds", Some(500)),
        ("1.5 seconds", Some(1_500)),
        ("0.001 seconds", Some(1)),
        ("1.0000005 seconds", Some(1_000)),
        ("1 hour 1 second", Some(3_601_000)),
        ("1 week", Some(604_800_000)),
        ("2 WEEKS", Some(1_209_600_000)),
        ("0 seconds", Some(0)),
        ("  3 seconds  ", Some(3_000)),
        ("1 MINUTE 2 SECOND", Some(62_000)),
        ("5 microseconds", Some(0)),
        ("1500 microseconds", Some(1)),
        ("999 microseconds 1 millisecond", Some(1)),
        ("1 day 1 hour", Some(90_000_000)),
        ("1 day -1 hour", Some(82_800_000)),
        ("2 minutes -30 seconds", Some(90_000)),
        ("2 minutes\t30 seconds", Some(150_000)),
        ("10 second 5 second", Some(15_000)),
        ("+5 seconds", Some(5_000)),
        ("01 seconds", Some(1_000)),
        (".5 seconds", Some(500)),
        ("5. seconds", Some(5_000)),
        ("-.5 seconds 1 second", Some(500)),
        ("1.000000001 seconds", Some(1_000)),
        ("1.0000000001 seconds", None),
        ("+-5 seconds 10 seconds", None),
        ("-5 seconds", None),
        ("- 5 seconds", None),
        ("1 month", None),
        ("1 year", None),
        ("1.5 minutes", None),
        ("0.5 milliseconds", None),
        ("1 minute, 30 seconds", None),
        ("1 minute 30", None),
        ("1 nanosecond", None),
        ("1e3 seconds", None),
        ("1_000 seconds", None),
        ("intervalx 5 seconds", None),
        ("5 seconds interval", None),
        ("interval", None),
        ("", None),
        // Q24a (spark/experiments/q24a_option_spellings.py): where the engine read otherwise before.
        ("-. seconds", Some(0)),
        ("+. seconds", Some(0)),
        ("- . seconds", Some(0)),
        ("1 month -1 month", Some(0)),
        ("1 year -12 months", Some(0)),
        ("1234567890123456789 microseconds", Some(1_234_567_890_123_456)),
        ("9223372036854775807 microseconds", Some(9_223_372_036_854_775)),
        ("106751991 days", Some(9_223_372_022_400_000)),
        ("5. minutes", None),
        ("-. minutes", None),
        ("2234567890 days", None),
        ("400000000 weeks", None),
        ("5seconds", None),
        // Q24a: where it read alike already.
        ("1.123456789 seconds", Some(1_123)),
        ("5 SeCoNdS", Some(5_000)),
        ("\t5 seconds\n", Some(5_000)),
        ("-1 second 1 second", Some(0)),
        ("1 second -1000 milliseconds", Some(0)),
        ("9223372036854 seconds", Some(9_223_372_036_854_000)),
        ("1 second -1001 milliseconds", None),
        ("-999 microseconds", None),
        ("-1 microseconds", None),
        ("1 millisecond -1999 microseconds", None),
        ("1 month -30 days", None),
        ("2147483647 days", None),
        ("106751992 days", None),
        ("9223372036854775808 microseconds", None),
        ("999999999999999999 seconds", None),
        ("0.0000000001 seconds", None),
        ("1.5 hours", None),
        ("1.5 microseconds", None),
        ("5.0 minutes", None),
        (".", None),
        (". seconds", None),
        ("1..5 seconds", None),
        ("- seconds", None),
        ("--5 seconds", None),
        ("5 secs", None),
        ("5 secondss", None),
        ("5 seconds5", None),
        ("5 5 seconds", None),
        ("5 seconds 5", None),
        ("1 decade", None),
        ("5 nanoseconds", None),
        ("interval interval 5 seconds", None),
        ("5 seconds,", None),
        ("5,000 seconds", None),
        ("0x10 seconds", None),
        ("\u{661} seconds", None),
    ];

    #[test]
    fn intervals_read_as_spark_reads_them() {
        for (text, spark) in SPARK_READS {
            let read = parse_interval_ms(text).ok();
            assert_eq!(read, *spark, "{text:?}: the engine reads {read:?}, Spark 4.3 {spark:?}");
        }
    }

    #[test]
    fn the_engine_s_short_forms_still_read() {
        let cases = [("5s", 5_000), ("500ms", 500), ("2m", 120_000), ("1h", 3_600_000), ("1d", 86_400_000), ("0", 0)];
        for (text, ms) in cases {
            assert_eq!(parse_interval_ms(text), Ok(ms), "{text}");
        }
    }

    #[test]
    fn a_compound_interval_is_a_trigger() {
        let cases = [
            ("processing-time=1 minute 30 seconds", 90_000, "processing-time=90s"),
            ("processing-time=interval 1.5 seconds", 1_500, "processing-time=1500ms"),
        ];
        for (text, interval_ms, shown) in cases {
            let trigger = Trigger::ProcessingTime { interval_ms };
            assert_eq!(text.parse::<Trigger>(), Ok(trigger), "{text}");
            assert_eq!(trigger.to_string(), shown);
            assert_eq!(shown.parse::<Trigger>(), Ok(trigger), "{shown} reads back");
        }
    }

    #[test]
    fn trigger_fail_cases() {
        for text in [
            "",
            "now",
            "processing-time=",
            "processing-time=5",
            "processing-time=5x",
            "processing-time=-1s",
            "processing-time=5 secs",
            "processing-time=1 month",
            "processing-time=1.5 minutes",
        ] {
            assert!(text.parse::<Trigger>().is_err(), "{text}");
        }
    }

    #[test]
    fn once_ignores_max_files_per_trigger() {
        assert_eq!(Trigger::Once.max_files(Some(1)), None);
        assert_eq!(Trigger::AvailableNow.max_files(Some(1)), Some(1));
        assert_eq!(Trigger::ProcessingTime { interval_ms: 0 }.max_files(Some(2)), Some(2));
    }
}
