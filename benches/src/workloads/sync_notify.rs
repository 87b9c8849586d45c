//! `notify`, the Zig blitz-io harness's case (`bench/rust_bench/src/main.rs`: `bench_notify`)
//! at its parameters: inside `block_on` on a current-thread runtime, 1 000 000 times: a new
//! `Notify`, `notify_one()` (stores the permit), then `notified().await` (consumes it on the
//! first poll). Construction, the permit round trip and the future's coop check per op.
//!
//! Check: all 1 000 000 awaits completed.

/// Operations per iteration (the harness's `SYNC_OPS`).
pub(crate) const OPS: usize = 1_000_000;

macro_rules! workload {
    ($run:ident, $Runtime:ty, $Notify:path, $side:literal) => {
        pub(crate) fn $run(rt: &$Runtime) {
            let done = rt.block_on(async {
                let mut done = 0usize;
                for _ in 0..OPS {
                    let notify = <$Notify>::new();
                    std::hint::black_box(&notify).notify_one();
                    notify.notified().await;
                    done += 1;
                }
                done
            });
            assert_eq!(done, OPS, "{}: notify: not every await completed", $side);
        }
    };
}

workload!(
    run_blitz,
    blitz_io::Runtime,
    blitz_io::sync::Notify,
    "blitz-io"
);
workload!(
    run_tokio,
    tokio::runtime::Runtime,
    tokio::sync::Notify,
    "tokio"
);
