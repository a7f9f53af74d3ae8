//! A picture of every run: one self-contained HTML page (inline CSS and script, nothing fetched
//! from the network) that shows, for each scenario or explored schedule, a timeline of its runs
//! and batches with every log write as a mark, the crashes and power losses where they struck,
//! the records a reader sees too often or never traced to the hand-overs that carried them, and
//! the checkpoint after every step, expandable.
//!
//! The page is a pure function of what it shows: no clock, no temp path, everything sorted, so
//! the same scenarios give the same bytes. It runs a scenario exactly as `run` and `explore` do,
//! only recording more; it must never change a verdict.

mod page;
mod record;
mod timeline;
mod tree;

pub use page::{Page, render_page};
pub use record::{Frame, Picture, picture};
