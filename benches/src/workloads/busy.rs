//! Background load for `spawn_many_remote_busy1` / `_busy2` (Tokio's
//! `rt_multi_threaded.rs`).
//!
//! - *yielders* (busy1): `2 × workers` tasks, each looping "yield, then burn 10 µs" while a
//!   flag is set. Yielding is a lower-priority notification than a spawn.
//! - *spawners* (busy2): `workers` chains, each task burning 10 µs and then spawning its
//!   successor while the flag is set. Spawning is a higher-priority notification.
//!
//! The 10 µs stall spins on `std::thread::yield_now()` until the time is up, as Tokio's does.
//! Unlike Tokio's benchmark, which leaves its background tasks to die with the runtime, every
//! background task here counts itself out when it sees the flag cleared, and
//! [`Busy::stop_and_wait`] waits for all of them, so a runtime that stopped polling its
//! background tasks is reported, and shutdown never races a spinning task.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Background, DEADLINE};

/// How long a background task burns the CPU per step (Tokio's `STALL_DUR`).
pub(crate) const STALL: Duration = Duration::from_micros(10);

/// Shared state of one background load.
#[derive(Debug)]
pub(crate) struct Busy {
    running: AtomicBool,
    finished: AtomicUsize,
    tasks: usize,
}

impl Busy {
    fn new(tasks: usize) -> Arc<Busy> {
        Arc::new(Busy {
            running: AtomicBool::new(true),
            finished: AtomicUsize::new(0),
            tasks,
        })
    }

    fn running(&self) -> bool {
        self.running.load(Ordering::Relaxed)
    }

    fn finish(&self) {
        self.finished.fetch_add(1, Ordering::Release);
    }

    pub(crate) fn request_stop(&self) {
        self.running.store(false, Ordering::Relaxed);
    }

    pub(crate) fn stop_and_wait(&self) {
        self.request_stop();
        let start = Instant::now();
        loop {
            let finished = self.finished.load(Ordering::Acquire);
            if finished == self.tasks {
                return;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "background load did not stop: {finished} of {} background tasks finished \
                 within {DEADLINE:?}",
                self.tasks
            );
            std::thread::sleep(Duration::from_micros(200));
        }
    }
}

fn stall() {
    let start = Instant::now();
    while start.elapsed() < STALL {
        std::thread::yield_now();
    }
}

macro_rules! background {
    ($yielders:ident, $spawners:ident, $Runtime:ty, $spawn:path, $yield_now:path) => {
        pub(crate) fn $yielders(rt: &$Runtime, tasks: usize) -> Background {
            let busy = Busy::new(tasks);
            for _ in 0..tasks {
                let busy = busy.clone();
                drop(rt.spawn(async move {
                    while busy.running() {
                        $yield_now().await;
                        stall();
                    }
                    busy.finish();
                }));
            }
            Background { busy: Some(busy) }
        }

        pub(crate) fn $spawners(rt: &$Runtime, chains: usize) -> Background {
            fn link(busy: Arc<Busy>) {
                drop($spawn(async move {
                    if busy.running() {
                        stall();
                        link(busy);
                    } else {
                        busy.finish();
                    }
                }));
            }
            let busy = Busy::new(chains);
            for _ in 0..chains {
                let busy = busy.clone();
                drop(rt.spawn(async move { link(busy) }));
            }
            Background { busy: Some(busy) }
        }
    };
}

background!(
    start_yielders_blitz,
    start_spawners_blitz,
    blitz_io::Runtime,
    blitz_io::task::spawn,
    blitz_io::task::yield_now
);
background!(
    start_yielders_tokio,
    start_spawners_tokio,
    tokio::runtime::Runtime,
    tokio::spawn,
    tokio::task::yield_now
);
