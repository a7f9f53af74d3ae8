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

/// Parses `5s`, `500ms`, `2m`, `0`, and Spark's spelled-out units in any case (`10 seconds`,
/// `1 Minute`, `2 days`), in ms. Spark's compound intervals (`1 minute 30 seconds`) are not read.
fn parse_interval_ms(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let digits_end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(digits_end);
    let value: u64 = digits.parse().map_err(|_| format!("'{text}' is not an interval; write e.g. 5s, 500ms or 2m"))?;
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "" if value == 0 => 1,
        "ms" | "millisecond" | "milliseconds" => 1,
        "s" | "second" | "seconds" => 1000,
        "m" | "min" | "minute" | "minutes" => 60_000,
        "h" | "hour" | "hours" => 3_600_000,
        "d" | "day" | "days" => 86_400_000,
        _ => {
            return Err(format!(
                "'{text}': the unit must be ms, s, m, h or d, or spelled out as in Spark (e.g. 5s, or 5 seconds)"
            ));
        }
    };
    value.checked_mul(scale).ok_or_else(|| format!("'{text}' is too long an interval"))
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
