//! `threaded_scheduler_spawn` (Tokio `spawn.rs`): on a multi-thread runtime with one worker,
//! `block_on` a future that spawns one task and awaits it. The task computes `1 + 1`, yields
//! once, and returns the value through `black_box`. Each iteration is a round trip: the
//! `block_on` thread hands the task to the worker and waits to be woken by its completion.
//!
//! Check: the join returned `Ok(2)`.

use std::hint::black_box;

macro_rules! workload {
    ($run:ident, $Runtime:ty, $spawn:path, $yield_now:path, $side:literal) => {
        pub(crate) fn $run(rt: &$Runtime) {
            async fn work() -> usize {
                let val = 1 + 1;
                $yield_now().await;
                black_box(val)
            }
            rt.block_on(async {
                let handle = $spawn(work());
                match handle.await {
                    Ok(2) => {}
                    other => panic!("{}: threaded_scheduler_spawn: got {other:?}", $side),
                }
            });
        }
    };
}

workload!(
    run_blitz,
    blitz_io::Runtime,
    blitz_io::task::spawn,
    blitz_io::task::yield_now,
    "blitz-io"
);
workload!(
    run_tokio,
    tokio::runtime::Runtime,
    tokio::spawn,
    tokio::task::yield_now,
    "tokio"
);
