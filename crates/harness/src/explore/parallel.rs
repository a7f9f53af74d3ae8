//! Running independent jobs on all cores with results in job order, so that the outcome never
//! depends on the thread count. Workers share one atomic counter and nothing else.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs `job(i)` for every `i` in `0..count` on `threads` threads; results come back in order.
/// `progress` is called once per finished job.
pub fn run_indexed<T: Send>(
    count: usize,
    threads: usize,
    job: impl Fn(usize) -> T + Sync,
    progress: impl Fn() + Sync,
) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<T>>> = (0..count).map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, count.max(1)) {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= count {
                        break;
                    }
                    let result = job(index);
                    // Each slot is written by exactly one worker: the lock is never contended.
                    *slots[index].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
                    progress();
                }
            });
        }
    });
    slots.into_iter().map(|slot| slot.into_inner().unwrap_or_else(|e| e.into_inner()).expect("every job ran")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_do_not_depend_on_the_thread_count() {
        let one = run_indexed(100, 1, |i| i * i, || {});
        let four = run_indexed(100, 4, |i| i * i, || {});
        assert_eq!(one, four);
        assert_eq!(one[7], 49);
        assert!(run_indexed(0, 4, |i| i, || {}).is_empty());
    }
}
