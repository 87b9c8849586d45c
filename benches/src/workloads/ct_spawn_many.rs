//! Current-thread `spawn_many_local` (Tokio `rt_current_thread.rs`): on a current-thread
//! runtime, inside `block_on`, spawn 1 000 empty tasks and keep their handles, then await every
//! handle in order. All of it runs on the calling thread.
//!
//! Check: every handle returned `Ok(())` and their number is 1 000.

/// Tasks per iteration (that file's `NUM_SPAWN`).
pub(crate) const NUM_SPAWN: usize = 1_000;

macro_rules! workload {
    ($run:ident, $Runtime:ty, $spawn:path, $side:literal) => {
        pub(crate) fn $run(rt: &$Runtime) {
            let joined = rt.block_on(async {
                let mut handles = Vec::with_capacity(NUM_SPAWN);
                for _ in 0..NUM_SPAWN {
                    handles.push($spawn(async move {}));
                }
                let mut joined = 0usize;
                for handle in handles {
                    match handle.await {
                        Ok(()) => joined += 1,
                        Err(error) => panic!(
                            "{}: ct spawn_many_local: task {joined} failed: {error}",
                            $side
                        ),
                    }
                }
                joined
            });
            assert_eq!(
                joined, NUM_SPAWN,
                "{}: ct spawn_many_local: {joined} of {NUM_SPAWN} tasks joined",
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
