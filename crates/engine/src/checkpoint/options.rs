//! Spark's knobs of the checkpoint's logs, as the user wrote them (unset stays unset), Spark's
//! defaults for those left out, and the rule each value must keep; and the error of a query
//! option refused for its value, which the source's options share.
//!
//! This module must never write: a value its rule refuses is refused before anything is.

use super::compactible::COMPACT_INTERVAL;
use serde::{Deserialize, Serialize};
use std::num::NonZeroU64;

/// Spark's default `minBatchesToRetain`: offsets and commits older than this many batches are
/// purged.
pub const MIN_BATCHES_TO_RETAIN: u64 = 100;

/// Spark's knobs of the checkpoint's logs, each as given (`None`: Spark's default applies);
/// small values let a short scenario reach compaction and purge. [`Self::validate`] holds a
/// given value to its rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CheckpointOptions {
    /// Every this many batches, the source log and the file sink's log write a compaction
    /// (`spark.sql.streaming.fileSource.log.compactInterval` and `fileSink.log.compactInterval`,
    /// [`COMPACT_INTERVAL`] when not set). Must be 1 or more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compact_interval: Option<i64>,
    /// Offsets and commits of the last this many batches are kept, older ones purged
    /// (`spark.sql.streaming.minBatchesToRetain`, [`MIN_BATCHES_TO_RETAIN`] when not set). Must
    /// be 1 or more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_batches_to_retain: Option<i64>,
}

/// An option of the query with a value its rule refuses: the query cannot start. Spark refuses
/// its own the same way: a source option or `compactInterval` in the first trigger,
/// `minBatchesToRetain` when the conf is set, each before any batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid value '{value}' for option '{option}' ({key}): it must be {rule}. Nothing was read or written: \
     fix the value and run again"
)]
pub struct OptionRefused {
    /// The option's name as Spark spells it (`maxFilesPerTrigger`), or crashpoint's own.
    pub option: &'static str,
    /// The key of a scenario file or the flag of `crashpoint stream`, without dashes before it.
    pub key: &'static str,
    /// The value given.
    pub value: i64,
    /// The rule, in words: what the value must be.
    pub rule: &'static str,
}

fn default_compact_interval() -> NonZeroU64 {
    NonZeroU64::new(COMPACT_INTERVAL).expect("Spark's default is positive")
}

fn default_min_batches_to_retain() -> NonZeroU64 {
    NonZeroU64::new(MIN_BATCHES_TO_RETAIN).expect("Spark's default is positive")
}

/// A given value as a positive count; `None` for a value its rule refuses.
fn positive(value: i64) -> Option<NonZeroU64> {
    u64::try_from(value).ok().and_then(NonZeroU64::new)
}

impl CheckpointOptions {
    /// Both knobs given.
    pub fn given(compact_interval: u64, min_batches_to_retain: u64) -> Self {
        let signed = |n: u64| Some(i64::try_from(n).unwrap_or(i64::MAX));
        Self { compact_interval: signed(compact_interval), min_batches_to_retain: signed(min_batches_to_retain) }
    }

    /// True when no knob is given: Spark's defaults apply.
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    // The accessors below read knobs [`Self::validate`] has taken: the engine refuses a query
    // before it writes anything otherwise, so a refused value never reaches a log. They give
    // Spark's default for a refused value rather than panic.

    /// The compaction interval: the one given, or Spark's default.
    pub fn compact_interval(&self) -> NonZeroU64 {
        self.compact_interval.and_then(positive).unwrap_or_else(default_compact_interval)
    }

    /// The batches retained: the number given, or Spark's default.
    pub fn min_batches_to_retain(&self) -> NonZeroU64 {
        self.min_batches_to_retain.and_then(positive).unwrap_or_else(default_min_batches_to_retain)
    }

    /// Checks each given knob against its rule (1 or more, as Spark requires): the first one
    /// refused, with its name, value and rule, in the order Spark meets them (the conf
    /// `minBatchesToRetain` when it is set, `compactInterval` when the query starts).
    pub fn validate(&self) -> Result<(), OptionRefused> {
        let knobs = [
            (
                "minBatchesToRetain",
                "min-batches-to-retain",
                self.min_batches_to_retain,
                "a positive integer (1 or more), as Spark's spark.sql.streaming.minBatchesToRetain; leave it out for \
                 Spark's default of 100",
            ),
            (
                "compactInterval",
                "compact-interval",
                self.compact_interval,
                "a positive integer (1 or more), as Spark's spark.sql.streaming.fileSource.log.compactInterval and \
                 fileSink.log.compactInterval; leave it out for Spark's default of 10",
            ),
        ];
        for (option, key, value, rule) in knobs {
            if let Some(value) = value.filter(|v| positive(*v).is_none()) {
                return Err(OptionRefused { option, key, value, rule });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_knobs_take_sparks_defaults_and_given_ones_are_kept() {
        // Goal: the defaults apply only where nothing was given. Method: unset, then given.
        let unset = CheckpointOptions::default();
        assert!(unset.is_default());
        assert_eq!((unset.compact_interval().get(), unset.min_batches_to_retain().get()), (10, 100));
        let given = CheckpointOptions::given(3, 2);
        assert!(!given.is_default());
        assert_eq!((given.compact_interval().get(), given.min_batches_to_retain().get()), (3, 2));
        assert!(!CheckpointOptions::given(10, 100).is_default(), "written as Spark's default, still written");
    }

    #[test]
    fn each_knob_is_refused_below_1_naming_option_value_and_rule() {
        // Goal: Spark's rule (positive) at its edge, for each knob alone. Method: 1 is taken;
        // 0 and a negative are refused, and the words name the option, the key and the value.
        let with = |i: usize, v: i64| {
            let mut knobs = CheckpointOptions::default();
            *[&mut knobs.compact_interval, &mut knobs.min_batches_to_retain][i] = Some(v);
            knobs
        };
        let cases = [("compactInterval", "compact-interval"), ("minBatchesToRetain", "min-batches-to-retain")];
        for (i, (option, key)) in cases.into_iter().enumerate() {
            assert_eq!(with(i, 1).validate(), Ok(()), "{option} 1");
            for value in [0, -1, i64::MIN] {
                let refused = with(i, value).validate().expect_err(option);
                assert_eq!((refused.option, refused.key, refused.value), (option, key, value));
                let words = refused.to_string();
                assert!(words.contains(&format!("'{value}'")) && words.contains("1 or more"), "{words}");
            }
        }
        let both = CheckpointOptions { compact_interval: Some(0), min_batches_to_retain: Some(0) };
        assert_eq!(both.validate().map_err(|e| e.option), Err("minBatchesToRetain"), "Spark's order");
    }
}
