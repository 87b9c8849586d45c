//! `yield_many` (Tokio `rt_multi_threaded.rs`): from outside the runtime, spawn 200 tasks
//! that each yield 1 000 times and then report on a `std::sync::mpsc::sync_channel(200)`; the
//! calling thread waits for all 200 reports with blocking `recv`s (no `block_on`).
//!
//! Check: 200 reports arrived and their yield counts add up to 200 × 1 000.

use std::sync::mpsc;

use super::recv_or_fail;

/// Yields per task (Tokio's `NUM_YIELD`).
pub(crate) const NUM_YIELD: usize = 1_000;
/// Tasks per iteration (Tokio's `TASKS`).
pub(crate) const TASKS: usize = 200;

macro_rules! workload {
    ($run:ident, $Runtime:ty, $yield_now:path, $side:literal) => {
        pub(crate) fn $run(rt: &$Runtime) {
            let (tx, rx) = mpsc::sync_channel::<usize>(TASKS);
            for _ in 0..TASKS {
                let tx = tx.clone();
                drop(rt.spawn(async move {
                    let mut yields = 0;
                    for _ in 0..NUM_YIELD {
                        $yield_now().await;
                        yields += 1;
                    }
                    tx.send(yields).unwrap();
                }));
            }
            let mut total = 0;
            for reported in 0..TASKS {
                total += recv_or_fail(&rx, || {
                    format!(
                        "{}: yield_many: {reported} of {TASKS} tasks finished",
                        $side
                    )
                });
            }
            assert_eq!(
                total,
                TASKS * NUM_YIELD,
                "{}: yield_many: wrong number of yields",
                $side
            );
        }
    };
}

workload!(
    run_blitz,
    blitz_io::Runtime,
    blitz_io::task::yield_now,
    "blitz-io"
);
workload!(
    run_tokio,
    tokio::runtime::Runtime,
    tokio::task::yield_now,
    "tokio"
);
