//! The errors of the Spark target: what is missing on the machine, what went wrong while
//! provisioning, and what the driver process did (died, timed out, refused a request).

use std::path::PathBuf;

/// Everything that can go wrong between crashpoint and real Spark.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SparkError {
    /// A program the Spark target needs is not on the machine, or too old.
    #[error("the Spark target needs {what}: {found}; install {install}")]
    Missing {
        /// What is needed, e.g. "python3 (3.11 or newer)".
        what: String,
        /// What was found instead.
        found: String,
        /// What to install, with a command.
        install: String,
    },
    /// A provisioning command failed.
    #[error("provisioning Spark in {home}: `{command}` failed: {detail}")]
    Provision {
        /// The Spark home being provisioned.
        home: PathBuf,
        /// The command, as a user would type it.
        command: String,
        /// Its exit status and the tail of its output.
        detail: String,
    },
    /// An I/O error on a file of the Spark home or the driver's pipes.
    #[error("{context} {path}: {error}")]
    Io {
        /// What was being done.
        context: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause (in the message, not a `source`, so that it is printed once).
        error: std::io::Error,
    },
    /// The driver process ended (or closed its output) before answering.
    #[error("the Spark driver died while serving `{op}` ({status}); its logs are in {log_dir}\n{log_tail}")]
    DriverDied {
        /// The request it was serving.
        op: String,
        /// Its exit status, if known.
        status: String,
        /// Where its logs are.
        log_dir: PathBuf,
        /// The last lines of the driver's stderr and of Spark's log.
        log_tail: String,
    },
    /// The driver did not answer in time; it was killed.
    #[error(
        "the Spark driver did not answer `{op}` within {timeout_s} s and was killed; its logs are in {log_dir}\n{log_tail}"
    )]
    Timeout {
        /// The request.
        op: String,
        /// The time allowed.
        timeout_s: u64,
        /// Where its logs are.
        log_dir: PathBuf,
        /// The last lines of the driver's stderr and of Spark's log.
        log_tail: String,
    },
    /// The driver answered `ok: false`: the request could not be served.
    #[error("the Spark driver refused `{op}`: {message}")]
    Refused {
        /// The request.
        op: String,
        /// The driver's error message (for a Java exception: its class, message and root cause).
        message: String,
    },
    /// Spark could not be started earlier in this process; it is not retried.
    #[error("Spark could not be started earlier in this process: {reason}")]
    Unavailable {
        /// Why it could not.
        reason: String,
    },
    /// The driver answered something that is not the protocol.
    #[error("the Spark driver answered `{op}` with something that is not its protocol ({cause}): {line}")]
    Protocol {
        /// The request.
        op: String,
        /// What is wrong with it.
        cause: String,
        /// The line, cut to a few hundred characters.
        line: String,
    },
}

impl SparkError {
    /// Whether the driver is gone or unusable after this error (it must be started again).
    pub fn driver_lost(&self) -> bool {
        matches!(self, SparkError::DriverDied { .. } | SparkError::Timeout { .. } | SparkError::Protocol { .. })
    }
}

/// Shorthand for an I/O error with its context and path.
pub(crate) fn io(context: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> SparkError {
    let path = path.into();
    move |error| SparkError::Io { context, path, error }
}
