//! `ping_pong` (Tokio `rt_multi_threaded.rs`): inside `block_on`, spawn one task that spawns
//! 1 000 "ping" tasks. Each ping creates two `tokio::sync::oneshot` channels, spawns a "pong"
//! task that awaits the first and answers on the second, sends on the first, awaits the
//! answer, then decrements a shared countdown; the task that brings it to zero signals the
//! `block_on` future through a `std::sync::mpsc::sync_channel(1000)`. Tokio's oneshot is used on
//! both sides (it needs no Tokio runtime).
//!
//! An extra row, `ping_pong_own_oneshot`, runs the same body with blitz-io's own
//! `channel::oneshot` on the blitz-io side (Tokio's side is unchanged).
//!
//! Check: the signal arrived and the countdown is exactly zero (all 1 000 round trips
//! completed).

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{mpsc, Arc};

use super::recv_or_fail;

/// Ping-pongs per iteration (Tokio's `NUM_PINGS`).
pub(crate) const NUM_PINGS: usize = 1_000;

macro_rules! workload {
    ($run:ident, $Runtime:ty, $spawn:path, $channel:path, $side:literal) => {
        pub(crate) fn $run(rt: &$Runtime) {
            let (done_tx, done_rx) = mpsc::sync_channel::<()>(1000);
            let rem = Arc::new(AtomicUsize::new(NUM_PINGS));
            let pings_rem = rem.clone();
            rt.block_on(async move {
                drop($spawn(async move {
                    for _ in 0..NUM_PINGS {
                        let rem = pings_rem.clone();
                        let done_tx = done_tx.clone();
                        drop($spawn(async move {
                            let (tx1, rx1) = $channel();
                            let (tx2, rx2) = $channel();
                            drop($spawn(async move {
                                rx1.await.unwrap();
                                tx2.send(()).unwrap();
                            }));
                            tx1.send(()).unwrap();
                            rx2.await.unwrap();
                            if rem.fetch_sub(1, Relaxed) == 1 {
                                done_tx.send(()).unwrap();
                            }
                        }));
                    }
                }));
                recv_or_fail(&done_rx, || {
                    format!(
                        "{}: ping_pong: {} of {NUM_PINGS} ping-pongs completed",
                        $side,
                        NUM_PINGS - rem.load(Relaxed)
                    )
                });
                let left = rem.load(Relaxed);
                assert_eq!(left, 0, "{}: ping_pong: {left} ping-pongs missing", $side);
            });
        }
    };
}

workload!(
    run_blitz,
    blitz_io::Runtime,
    blitz_io::task::spawn,
    tokio::sync::oneshot::channel,
    "blitz-io"
);
workload!(
    run_blitz_own_oneshot,
    blitz_io::Runtime,
    blitz_io::task::spawn,
    blitz_io::channel::oneshot::channel,
    "blitz-io"
);
workload!(
    run_tokio,
    tokio::runtime::Runtime,
    tokio::spawn,
    tokio::sync::oneshot::channel,
    "tokio"
);
