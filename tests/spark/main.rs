//! Every test that needs real Spark 4.3, in one test binary sharing one driver (one JVM start for
//! the whole binary). Spark is provisioned on first use (a venv with pyspark from the package
//! registry, in `<target>/crashpoint-spark`); a machine without Java 17 or python3 fails these
//! tests with what to install, never skips them.

// The engine's test helpers, shared with the end-to-end tests.
#[path = "../../crates/engine/tests/common/mod.rs"]
mod common;
mod differential;
mod driver;
mod faithful;
mod interop;
mod twin;
