//! One driver per process: a whole scenario folder, or a whole test binary, pays the JVM start
//! once. Requests from many threads are served one at a time (the crash control inside the JVM
//! is global anyway). A driver that died or hung is replaced by a fresh one on the next use; a
//! driver that could not start at all is not retried, every later use gets the same reason.

use super::driver::SparkDriver;
use super::error::SparkError;
use std::sync::{Mutex, PoisonError};

enum Slot {
    Empty,
    Running(Box<SparkDriver>),
    Failed(String),
}

static SHARED: Mutex<Slot> = Mutex::new(Slot::Empty);

/// Runs `f` with the process's driver, starting it (and provisioning Spark) on first use.
pub fn with_driver<T>(f: impl FnOnce(&mut SparkDriver) -> Result<T, SparkError>) -> Result<T, SparkError> {
    let mut slot = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Slot::Failed(reason) = &*slot {
        return Err(SparkError::Unavailable { reason: reason.clone() });
    }
    if matches!(*slot, Slot::Empty) {
        match SparkDriver::start() {
            Ok(driver) => *slot = Slot::Running(Box::new(driver)),
            Err(e) => {
                *slot = Slot::Failed(e.to_string());
                return Err(e);
            }
        }
    }
    let Slot::Running(driver) = &mut *slot else { unreachable!("the slot was filled above") };
    let result = f(driver);
    if let Err(e) = &result
        && e.driver_lost()
    {
        *slot = Slot::Empty;
    }
    result
}
