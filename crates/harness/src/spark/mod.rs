//! Real Apache Spark 4.3 as crashpoint's second target: provisioning (a venv with pyspark from
//! the package registry, the driver's files embedded in the binary, the crash-injecting Java
//! classes compiled on first use) and the client of the long-lived pyspark driver (`driver.py`,
//! its line protocol in `spark/PROTOCOL.md`).
//!
//! This module only starts Spark and carries requests; what a scenario means on Spark, and the
//! verdicts, live elsewhere. It must never install anything but into the Spark home, and never
//! silently skip: a missing Java or Python is an error that says what to install.
//!
//! ```no_run
//! use crashpoint_harness::spark::{RunRequest, SinkSpec, with_driver};
//! let rows = with_driver(|spark| {
//!     spark.run(RunRequest::new("/t/in", "/t/cp", SinkSpec::File { path: "/t/out".into() }))?;
//!     spark.read_file_sink("/t/out".as_ref(), None)
//! })?;
//! # Ok::<(), crashpoint_harness::spark::SparkError>(())
//! ```

mod driver;
mod embedded;
mod error;
mod home;
pub mod protocol;
mod provision;
mod shared;
mod tools;

pub use driver::SparkDriver;
pub use error::SparkError;
pub use home::{HOME_VAR, spark_home};
pub use protocol::{
    CrashAt, CrashLog, CrashWhen, FileSinkRows, ForeachFail, Hello, JavaError, Outcome, PlanStep, RunRequest,
    RunResponse, SinkSpec, SourceSpec, Struck, TriggerSpec,
};
pub use provision::{PYSPARK_VERSION, PYTHON_VAR, Provisioned, provision};
pub use shared::with_driver;
