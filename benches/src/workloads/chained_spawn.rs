//! `chained_spawn` (Tokio `rt_multi_threaded.rs`): inside `block_on`, spawn a task that
//! spawns a task that spawns ... 1 000 deep; the last link signals the `block_on` future
//! through a `std::sync::mpsc::sync_channel(1000)`. Each link is spawned from a worker, so it
//! is the scheduler's local (LIFO) path; only the first spawn and the final signal cross
//! threads.
//!
//! Check: the signal arrived, carrying the depth reached, which must be 1 000.

use std::sync::mpsc;

use super::recv_or_fail;

/// Depth of the chain (Tokio's `ITER`).
pub(crate) const ITER: usize = 1_000;

macro_rules! workload {
    ($run:ident, $Runtime:ty, $spawn:path, $side:literal) => {
        pub(crate) fn $run(rt: &$Runtime) {
            fn link(done_tx: mpsc::SyncSender<usize>, n: usize) {
                if n == 0 {
                    done_tx.send(ITER).unwrap();
                } else {
                    drop($spawn(async move { link(done_tx, n - 1) }));
                }
            }
            let (done_tx, done_rx) = mpsc::sync_channel::<usize>(1000);
            let depth = rt.block_on(async move {
                drop($spawn(async move { link(done_tx, ITER) }));
                recv_or_fail(&done_rx, || {
                    format!("{}: chained_spawn: the chain never finished", $side)
                })
            });
            assert_eq!(depth, ITER, "{}: chained_spawn: wrong depth", $side);
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
