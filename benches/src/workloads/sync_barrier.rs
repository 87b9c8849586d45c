//! `barrier`, the Zig blitz-io harness's case (`bench/rust_bench/src/main.rs`: `bench_barrier`)
//! at its parameters: inside `block_on` on a current-thread runtime, 1 000 000 times a new
//! `Barrier::new(1)` and one `wait().await`, which completes on its first poll as the round's
//! leader. Construction, one round and the future's coop check per op.
//!
//! Check: all 1 000 000 waits completed, each as its round's leader.

/// Operations per iteration (the harness's `SYNC_OPS`).
pub(crate) const OPS: usize = 1_000_000;

macro_rules! workload {
    ($run:ident, $Runtime:ty, $Barrier:path, $side:literal) => {
        pub(crate) fn $run(rt: &$Runtime) {
            let leaders = rt.block_on(async {
                let mut leaders = 0usize;
                for _ in 0..OPS {
                    let barrier = <$Barrier>::new(std::hint::black_box(1));
                    if barrier.wait().await.is_leader() {
                        leaders += 1;
                    }
                }
                leaders
            });
            assert_eq!(leaders, OPS, "{}: barrier: a wait did not lead", $side);
        }
    };
}

workload!(
    run_blitz,
    blitz_io::Runtime,
    blitz_io::sync::Barrier,
    "blitz-io"
);
workload!(
    run_tokio,
    tokio::runtime::Runtime,
    tokio::sync::Barrier,
    "tokio"
);
