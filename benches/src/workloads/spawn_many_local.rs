//! `spawn_many_local` (Tokio `rt_multi_threaded.rs`): from inside `block_on`, spawn 10 000
//! tasks that each decrement a shared countdown; the task that brings it to zero signals the
//! `block_on` future through a `std::sync::mpsc::sync_channel(1000)`, which waits for it with a
//! blocking `recv`. `block_on` does not run on a worker, so every spawn enters the scheduler
//! from outside and the workers have to be woken to run the tasks.
//!
//! Check: the signal arrived and the countdown is exactly zero (each task decrements once, so
//! every one of the 10 000 tasks ran).

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{mpsc, Arc};

use super::recv_or_fail;

/// Tasks spawned per iteration (Tokio's `NUM_SPAWN`).
pub(crate) const NUM_SPAWN: usize = 10_000;

macro_rules! workload {
    ($run:ident, $Runtime:ty, $spawn:path, $side:literal) => {
        pub(crate) fn $run(rt: &$Runtime) {
            let (tx, rx) = mpsc::sync_channel::<()>(1000);
            let rem = Arc::new(AtomicUsize::new(NUM_SPAWN));
            rt.block_on(async {
                for _ in 0..NUM_SPAWN {
                    let tx = tx.clone();
                    let rem = rem.clone();
                    drop($spawn(async move {
                        if rem.fetch_sub(1, Relaxed) == 1 {
                            tx.send(()).unwrap();
                        }
                    }));
                }
                recv_or_fail(&rx, || {
                    format!(
                        "{}: spawn_many_local: {} of {NUM_SPAWN} tasks ran",
                        $side,
                        NUM_SPAWN - rem.load(Relaxed)
                    )
                });
            });
            let left = rem.load(Relaxed);
            assert_eq!(
                left, 0,
                "{}: spawn_many_local: {left} tasks did not run",
                $side
            );
        }
    };
}

workload!(
    run_blitz,
    blitz_io::Runtime,
    blitz_io::task::spawn,
    "blitz-io"
);
workload!(run_tokio, tokio::runtime::Runtime, tokio::spawn, "tokio");
