//! What a sink promises across restarts: the contract that a sink declares and that the checks
//! hold it to.
//!
//! Shared vocabulary at the bottom of the crate, so that sinks and checks both reach it without
//! depending on each other. It must never know about any particular sink.

/// What a sink promises across restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Guarantee {
    /// A re-run batch is never visible twice.
    ExactlyOnce,
    /// A re-run batch may be visible twice, but nothing is lost.
    AtLeastOnce,
}

impl std::fmt::Display for Guarantee {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Guarantee::ExactlyOnce => "exactly-once",
            Guarantee::AtLeastOnce => "at-least-once",
        })
    }
}
