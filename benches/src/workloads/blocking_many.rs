//! `spawn_blocking_many` (no Tokio counterpart in its benches; added to measure the blocking
//! pool): from inside `block_on`, hand 1 000 trivial closures to the blocking pool and await
//! every handle. Each job is queued under the pool's one mutex and run by a pool thread, so
//! the figure is the pool's per-job overhead: queue lock, thread wake-ups and the hand-back.
//!
//! Check: every handle returned its job's index, and the sum matches.

/// Jobs per iteration.
pub(crate) const JOBS: usize = 1_000;

macro_rules! workload {
    ($run:ident, $Runtime:ty, $spawn_blocking:path, $side:literal) => {
        pub(crate) fn $run(rt: &$Runtime) {
            let sum = rt.block_on(async {
                let handles: Vec<_> = (0..JOBS).map(|i| $spawn_blocking(move || i)).collect();
                let mut sum = 0usize;
                for handle in handles {
                    sum += handle.await.expect("a blocking job does not panic");
                }
                sum
            });
            assert_eq!(
                sum,
                JOBS * (JOBS - 1) / 2,
                "{}: spawn_blocking_many: wrong sum of job results",
                $side
            );
        }
    };
}

workload!(
    run_blitz,
    blitz_io::Runtime,
    blitz_io::task::spawn_blocking,
    "blitz-io"
);
workload!(
    run_tokio,
    tokio::runtime::Runtime,
    tokio::task::spawn_blocking,
    "tokio"
);
