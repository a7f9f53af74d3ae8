//! The checks: checkpoint invariants; the verdict that compares a run's sink output with the
//! oracle's (the reference model of the same workload with no faults); dead letters exactly
//! once; processing times as recorded; a run's live log against what it did; a crash-free
//! run's batches, batch times and warnings against the model's; the warnings about file
//! names Spark misreads and the subdirectories of the input against the model's lists; the words a user reads (dead letters'
//! reasons, the notices of bad lines and NULL values, the live log, the query id) against the
//! model's causes and the checkpoint; the query id in `metadata`, kept from the checkpoint's
//! creation on; how each run resumes and where each batch comes from, against the model's
//! prediction from the checkpoint the run found; the live log's other facts (a sink's skip and
//! its reason, the free warnings, the end of a trigger) against the model's prediction from
//! what the run found; the compactible logs compacted at the query's interval; the hits of every crash point against the documented contract; and the file
//! sink's part files, file by file.
//!
//! Checks only read. They must never repair what they find, and every finding is explained in
//! words a Spark user understands.

mod agreement;
mod cause;
mod compactions;
mod crash_points;
mod dead_letters;
mod expiry;
mod history;
mod intervals;
mod invariants;
mod line_cause;
mod live;
mod notices;
mod origins;
mod parts;
mod query_id;
mod sink_log;
pub mod spark_log;
mod times;
mod trace;
mod unread_dirs;
mod verdict;
mod words;

pub use agreement::{PlannedBatch, judge_agreement, judge_skipped_uncommitted};
pub use cause::{Cause, IntervalFault, LogFault, Place, newer_log_version};
pub use compactions::compactions_where_spark_puts_them;
pub use crash_points::{RunHits, judge_crash_points};
pub use dead_letters::{BadLine, judge_dead_letters};
pub use expiry::{LogKnobs, check_compactible_logs};
pub use history::{RanBatch, check_batch_files, check_committed_files};
pub use intervals::{Intervals, derived_interval};
pub use invariants::{ByHand, SinkView, check_invariants};
pub use line_cause::{JsonKind, KeptText, LineAt, LineCause, LineFacts, NullAt, Versions};
pub use live::{Call, HeldAtStart, PredictedLive, judge_live};
pub use notices::{Misread, judge_misread_notices, judge_too_old_notices};
pub use origins::{LogsAtStart, Origin, PredictedBatch, PredictedRun, judge_origins, planned_files};
pub use parts::{BatchParts, json_lines_rows, judge_part_files};
pub use query_id::{QueryIdRun, check_query_id, is_spark_uuid, read_query_id};
pub use sink_log::{SPARK_LOCAL_BLOCK_SIZE, sink_log_matches_its_files};
pub use times::{judge_batch_times, judge_times};
pub use trace::{RunTrace, check_skipped_warned, check_trace, uncommitted_below_latest};
pub use unread_dirs::{Unread, judge_unread_dirs};
pub use verdict::{Emission, EmissionOutcome, Verdict, judge, judge_with_minimum, row_key};
pub use words::{DeadLetter, RunWords, judge_words, names_line};
