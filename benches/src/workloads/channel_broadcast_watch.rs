//! The Zig original's broadcast and watch cases, on a current-thread runtime, same code on
//! both sides:
//! - `broadcast_fan_out`: a channel of capacity 100 000 with 4 receivers; send 100 000 values,
//!   then every receiver reads all of them with `recv().await`. Check: each receiver's count
//!   and sum.
//! - `watch_send_borrow`: 100 000 rounds of `send(i)` then `borrow_and_update()` on one
//!   receiver. Check: every borrow sees the value just sent.

/// Values per `broadcast_fan_out` iteration (the Zig case's capacity and count).
pub(crate) const BROADCAST_VALUES: usize = 100_000;
/// Receivers in `broadcast_fan_out`.
pub(crate) const BROADCAST_RECEIVERS: usize = 4;
/// Rounds per `watch_send_borrow` iteration.
pub(crate) const WATCH_ROUNDS: usize = 100_000;

macro_rules! workload {
    ($broadcast:ident, $watch:ident, $Runtime:ty, $channel:ident, $side:literal) => {
        pub(crate) fn $broadcast(rt: &$Runtime) {
            rt.block_on(async {
                let (tx, rx) = $channel::broadcast::channel::<u64>(BROADCAST_VALUES);
                let mut receivers: Vec<_> =
                    (1..BROADCAST_RECEIVERS).map(|_| tx.subscribe()).collect();
                receivers.push(rx);
                for value in 0..BROADCAST_VALUES as u64 {
                    tx.send(value).unwrap();
                }
                for rx in &mut receivers {
                    let mut sum = 0;
                    for _ in 0..BROADCAST_VALUES {
                        sum += rx.recv().await.unwrap();
                    }
                    let n = BROADCAST_VALUES as u64;
                    assert_eq!(sum, n * (n - 1) / 2, "{}: broadcast sum", $side);
                }
            });
        }

        pub(crate) fn $watch(rt: &$Runtime) {
            rt.block_on(async {
                let (tx, mut rx) = $channel::watch::channel(0usize);
                for i in 1..=WATCH_ROUNDS {
                    tx.send(i).unwrap();
                    assert_eq!(*rx.borrow_and_update(), i, "{}: watch borrow", $side);
                }
            });
        }
    };
}

mod blitz_channels {
    pub(crate) use blitz_io::channel::{broadcast, watch};
}
mod tokio_channels {
    pub(crate) use tokio::sync::{broadcast, watch};
}

workload!(
    broadcast_blitz,
    watch_blitz,
    blitz_io::Runtime,
    blitz_channels,
    "blitz-io"
);
workload!(
    broadcast_tokio,
    watch_tokio,
    tokio::runtime::Runtime,
    tokio_channels,
    "tokio"
);
