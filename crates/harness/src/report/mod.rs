//! Rendering for people: what is in a checkpoint (`inspect`), and listings used by snapshots.
//!
//! Everything rendered here is sorted and free of wall-clock time. It must never change what
//! it renders.

mod inspect;
mod listing;

pub use inspect::{BatchView, Inspection, inspect};
pub use listing::{Shown, read_tree, render_tree};
