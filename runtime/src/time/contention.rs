//! The wheel-layout experiment behind `docs/decisions.md` ("One timer wheel per worker"): the
//! issue asks to measure per-worker wheels, each behind its own lock, against one shared
//! wheel. This runs the part of a timer's life that takes the wheel lock, a timeout
//! that registers and is then dropped (`schedule` + `unregister`), on `threads` threads
//! against `wheels` real time drivers. Thread `i` uses driver `i % wheels`; with
//! `remote_every = k > 0`, every `k`-th timer uses the next thread's driver instead, as a sleep
//! whose task was stolen must unlink from the wheel that holds it. Built only with the
//! `bench-internals` feature, for `benches/src/bin/wheel_contention.rs`.

use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use super::driver::Driver;
use super::wheel::entry::TimerEntry;

/// Runs the experiment; returns the wall time from the first thread's start to the last
/// thread's end (each thread reads the clock itself: the caller may be descheduled after the
/// start barrier, so its own clock reads could miss part of the run).
///
/// # Panics
/// If `threads` or `wheels` is zero.
pub fn run(threads: usize, wheels: usize, ops: usize, remote_every: usize) -> Duration {
    assert!(
        threads > 0 && wheels > 0,
        "threads and wheels must be positive"
    );
    let drivers: Arc<Vec<Driver>> = Arc::new((0..wheels).map(|_| Driver::new(false, 1)).collect());
    let start = Arc::new(Barrier::new(threads + 1));
    let workers: Vec<_> = (0..threads)
        .map(|i| {
            let (drivers, start) = (drivers.clone(), start.clone());
            std::thread::spawn(move || {
                let own = i % drivers.len();
                let remote = (i + 1) % drivers.len();
                let mut entry: Pin<Box<TimerEntry>> = Box::pin(TimerEntry::new());
                // SAFETY: a pointer to the pinned entry, which outlives every use below.
                let ptr = NonNull::from(unsafe { Pin::get_unchecked_mut(entry.as_mut()) });
                start.wait();
                let began = Instant::now();
                for op in 0..ops {
                    let driver = if remote_every > 0 && op % remote_every == 0 {
                        &drivers[remote]
                    } else {
                        &drivers[own]
                    };
                    // 100 ms out, as a typical timeout that is cancelled before it fires.
                    let when = driver.now_tick() + 100;
                    // SAFETY: the entry is pinned and live, belongs to this driver for this
                    // round only (it is unregistered before the next round picks a driver),
                    // and nothing polls it concurrently.
                    unsafe {
                        driver.schedule(ptr, when, 0);
                        driver.unregister(ptr, 0);
                    }
                }
                let ended = Instant::now();
                drop(entry);
                (began, ended)
            })
        })
        .collect();
    start.wait();
    let spans: Vec<(Instant, Instant)> = workers
        .into_iter()
        .map(|worker| worker.join().expect("a contention thread panicked"))
        .collect();
    let first = spans
        .iter()
        .map(|span| span.0)
        .min()
        .expect("at least one thread");
    let last = spans
        .iter()
        .map(|span| span.1)
        .max()
        .expect("at least one thread");
    let elapsed = last.duration_since(first);
    assert!(
        drivers.iter().all(Driver::wheel_is_empty),
        "a cancelled timer was left in a wheel"
    );
    elapsed
}

#[cfg(test)]
mod tests {
    /// Every layout runs to completion and leaves every wheel empty (checked inside `run`);
    /// small enough for the valgrind job.
    #[test]
    fn every_layout_cancels_everything_it_registers() {
        for (threads, wheels, remote_every) in [(1, 1, 0), (2, 1, 0), (2, 2, 0), (3, 3, 2)] {
            super::run(threads, wheels, 200, remote_every);
        }
    }
}
