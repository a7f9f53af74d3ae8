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

/// Parses an interval in ms: the engine's short forms (`5s`, `500ms`, `2m`, `1h`, `1d`, `0`, a
/// spelled-out unit such as `10 seconds`) and everything Spark 4.3's
/// `Trigger.ProcessingTime(String)` reads (`interval 1 minute 30 seconds`, `1.5 seconds`).
fn parse_interval_ms(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let digits_end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(digits_end);
    let unit = unit.trim();
    if digits.is_empty() || !unit.chars().all(|c| c.is_ascii_alphabetic()) {
        return spark_interval_ms(text);
    }
    let value: u64 = digits.parse().map_err(|_| format!("'{text}' is too long an interval"))?;
    let scale = match unit.to_ascii_lowercase().as_str() {
        "" if value == 0 => 1,
        "ms" | "millisecond" | "milliseconds" => 1,
        "s" | "second" | "seconds" => 1000,
        "m" | "min" | "minute" | "minutes" => 60_000,
        "h" | "hour" | "hours" => 3_600_000,
        "d" | "day" | "days" => 86_400_000,
        _ => return spark_interval_ms(text),
    };
    value.checked_mul(scale).ok_or_else(|| format!("'{text}' is too long an interval"))
}

/// An interval as Spark's `IntervalUtils.stringToInterval` reads it for a trigger (measured on
/// Spark 4.3, see the tests): an optional `interval` prefix, then one or more signed terms
/// `<number> <unit>`, summed in microseconds and cut down to whole ms. Only seconds take a
/// fraction; months and years are refused, as is a negative total.
fn spark_interval_ms(text: &str) -> Result<u64, String> {
    let lower = text.to_ascii_lowercase();
    let body = match lower.strip_prefix("interval") {
        None => lower.as_str(),
        Some(rest) if rest.is_empty() || rest.starts_with(char::is_whitespace) => rest,
        Some(_) => return Err(format!("'{text}' is not an interval: only 'interval' may come before the first term")),
    };
    let mut words = body.split_whitespace().peekable();
    if words.peek().is_none() {
        return Err(format!("'{text}' is not an interval; write e.g. 5s, 500ms, 2m or 1 minute 30 seconds"));
    }
    let mut micros: i128 = 0;
    while let Some(word) = words.next() {
        let (negative, number) = match word {
            "-" | "+" => (word == "-", words.next().unwrap_or_default()),
            _ => match word.strip_prefix('-') {
                Some(number) => (true, number),
                None => (false, word.strip_prefix('+').unwrap_or(word)),
            },
        };
        let Some(unit) = words.next() else {
            return Err(format!("'{text}': '{number}' has no unit; write e.g. {number} seconds"));
        };
        let term = term_micros(number, unit).map_err(|why| format!("'{text}': {why}"))?;
        micros += if negative { -term } else { term };
    }
    if micros < 0 {
        return Err(format!("'{text}' is negative: a trigger's interval must not be"));
    }
    u64::try_from(micros / 1000).map_err(|_| format!("'{text}' is too long an interval"))
}

/// One term of a Spark interval, `<number> <unit>`, in microseconds.
fn term_micros(number: &str, unit: &str) -> Result<i128, String> {
    const LIMIT_DIGITS: usize = 18;
    let per_unit: i128 = match unit {
        "microsecond" | "microseconds" => 1,
        "millisecond" | "milliseconds" => 1_000,
        "second" | "seconds" => 1_000_000,
        "minute" | "minutes" => 60_000_000,
        "hour" | "hours" => 3_600_000_000,
        "day" | "days" => 86_400_000_000,
        "week" | "weeks" => 604_800_000_000,
        "month" | "months" | "year" | "years" => return Err("a trigger's interval cannot be in months or years".into()),
        _ => {
            return Err(format!(
                "'{unit}' is not a unit; Spark's are microseconds, milliseconds, seconds, minutes, hours, days and weeks"
            ));
        }
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str, limit: usize| s.len() <= limit && s.chars().all(|c| c.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits(whole, LIMIT_DIGITS) || !digits(fraction, 9) {
        return Err(format!("'{number}' is not a number (Spark reads at most 9 digits after the point)"));
    }
    if !fraction.is_empty() && per_unit != 1_000_000 {
        return Err(format!("'{number} {unit}': only seconds may have a fraction"));
    }
    let fraction_micros: i128 = format!("{fraction:0<6}")[..6].parse().unwrap_or(0);
    let whole: i128 =
        if whole.is_empty() { 0 } else { whole.parse().map_err(|_| format!("'{number}' is not a number"))? };
    Ok(whole * per_unit + fraction_micros)
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
