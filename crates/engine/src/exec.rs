//! The batch executor's threads: a batch's tasks run on up to N threads, and their results come
//! back in task order, so that nothing written depends on the number of threads or on which
//! thread finished first.
//!
//! One thread runs the tasks one after the other on the caller's thread, with no thread
//! spawned: that is how scenarios and exploration run each world, so that exploration stays
//! parallel across schedules instead of within one. This module must never decide anything
//! from timing, and never hand results back out of order.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The number of threads `stream` uses by default: all the cores the process may run on.
pub fn all_cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// Runs `work(i)` for every task `i` in `0..count` on up to `threads` threads (0 counts as 1),
/// and calls `done(i, result)` on the caller's thread for `i = 0, 1, 2, …` in that order, each
/// as soon as task `i` and every task before it have finished.
///
/// With one thread, task `i + 1` starts only after `done(i, …)` returned: a caller that may
/// stop between two tasks (a crash point) stops with the later tasks not begun. With more, a
/// `done` that returns an error stops any task from starting; tasks already running finish
/// (their results are dropped), and the error is returned.
pub fn run_ordered<R: Send, E>(
    threads: usize,
    count: usize,
    work: impl Fn(usize) -> R + Sync,
    mut done: impl FnMut(usize, R) -> Result<(), E>,
) -> Result<(), E> {
    let threads = threads.clamp(1, count.max(1));
    if threads == 1 {
        for index in 0..count {
            done(index, work(index))?;
        }
        return Ok(());
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (sender, receiver) = std::sync::mpsc::channel::<(usize, R)>();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let (sender, next, stop, work) = (sender.clone(), &next, &stop, &work);
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= count || sender.send((index, work(index))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        // Results that arrived before an earlier task's: held until their turn.
        let mut waiting = BTreeMap::new();
        let mut turn = 0;
        for (index, result) in receiver {
            waiting.insert(index, result);
            while let Some(result) = waiting.remove(&turn) {
                if let Err(error) = done(turn, result) {
                    stop.store(true, Ordering::Relaxed);
                    return Err(error);
                }
                turn += 1;
            }
        }
        assert_eq!(turn, count, "every task's result was handed back");
        Ok(())
    })
}

/// Runs `work` on every item on up to `threads` threads; the results in item order.
pub fn map_ordered<T: Sync, R: Send>(threads: usize, items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let mut results = Vec::with_capacity(items.len());
    let done = |_, result| {
        results.push(result);
        Ok::<(), std::convert::Infallible>(())
    };
    match run_ordered(threads, items.len(), |index| work(&items[index]), done) {
        Ok(()) => results,
        Err(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_task_order_whatever_the_threads() {
        // Later tasks finish first (they sleep less): the order must still be the tasks'.
        for threads in [0, 1, 2, 3, 8] {
            let items: Vec<u64> = (0..20).collect();
            let out = map_ordered(threads, &items, |i| {
                std::thread::sleep(std::time::Duration::from_micros(20 * (20 - i)));
                i * 10
            });
            assert_eq!(out, (0..20).map(|i| i * 10).collect::<Vec<_>>(), "{threads} threads");
        }
    }

    #[test]
    fn one_thread_stops_before_the_next_task_begins() {
        let started = AtomicUsize::new(0);
        let result = run_ordered(
            1,
            5,
            |_| started.fetch_add(1, Ordering::SeqCst),
            |index, _| if index == 1 { Err("stop") } else { Ok(()) },
        );
        assert_eq!(result, Err("stop"));
        assert_eq!(started.load(Ordering::SeqCst), 2, "tasks 2.. never began");
    }

    #[test]
    fn an_error_stops_many_threads_too() {
        let mut seen = Vec::new();
        let result = run_ordered(
            3,
            100,
            |index| index,
            |index, value| {
                seen.push(value);
                if index == 4 { Err(index) } else { Ok(()) }
            },
        );
        assert_eq!(result, Err(4));
        assert_eq!(seen, vec![0, 1, 2, 3, 4], "handed back in order up to the error, none after");
    }

    #[test]
    fn no_tasks_is_fine() {
        assert!(map_ordered(4, &[] as &[u8], |b| *b).is_empty());
    }
}
