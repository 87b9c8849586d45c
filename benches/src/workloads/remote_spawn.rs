//! `spawn_many_remote_idle`, `spawn_many_remote_busy1` and `spawn_many_remote_busy2` (Tokio
//! `rt_multi_threaded.rs`): from outside the runtime, spawn `n` empty tasks through the
//! runtime handle and keep their `JoinHandle`s, then `block_on` a future that awaits every
//! handle in order. `idle` and `busy1` use n = 10 000; `busy2` uses n = 1 000. The busy
//! variants run the same iteration while the background load of [`super::busy`] keeps the
//! workers occupied.
//!
//! Check: every handle returned `Ok(())` and their number is `n`.

/// Tasks spawned per iteration by `idle` and `busy1` (Tokio's `NUM_SPAWN`).
pub(crate) const NUM_SPAWN: usize = 10_000;
/// Tasks spawned per iteration by `busy2` (Tokio's local `NUM_SPAWN` there).
pub(crate) const NUM_SPAWN_BUSY2: usize = 1_000;

macro_rules! workload {
    ($run:ident, $Runtime:ty, $side:literal) => {
        pub(crate) fn $run(rt: &$Runtime, n: usize) {
            let handle = rt.handle();
            let mut handles = Vec::with_capacity(n);
            for _ in 0..n {
                handles.push(handle.spawn(async {}));
            }
            let joined = rt.block_on(async move {
                let mut joined = 0usize;
                for handle in handles {
                    match handle.await {
                        Ok(()) => joined += 1,
                        Err(error) => panic!(
                            "{}: spawn_many_remote: task {joined} failed: {error}",
                            $side
                        ),
                    }
                }
                joined
            });
            assert_eq!(
                joined, n,
                "{}: spawn_many_remote: {joined} of {n} tasks joined",
                $side
            );
        }
    };
}

workload!(run_blitz, blitz_io::Runtime, "blitz-io");
workload!(run_tokio, tokio::runtime::Runtime, "tokio");
