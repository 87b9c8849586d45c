//! Channel workloads, each written once in a macro over the vocabulary of `channel_api` and
//! instantiated for blitz-io (`channel::mpmc`) and Tokio (`tokio::sync::mpsc`).
//!
//! - The Zig original's channel cases: `try_send` 100k values into a channel of capacity 100k;
//!   fill then drain 100k with `try_send`/`try_recv`; a round trip through two capacity-1
//!   channels between two tasks; 4 producers and 4 consumers on a capacity-1000 channel with
//!   10k messages on 4 workers (Tokio: one mpsc receiver shared behind a `tokio::sync::Mutex`,
//!   its closest equivalent).
//! - Tokio's `benches/sync_mpsc.rs` cases: `uncontended_{bounded,unbounded}` (one task sends
//!   1 000 then receives them) and `contention_{bounded,bounded_full,unbounded,
//!   bounded_recv_many}` (5 tasks send 1 000 each while the `block_on` future receives).
//!
//! blitz-io allocates a bounded ring's slots up front (16 bytes per slot for a `usize`) where
//! Tokio allocates blocks of 32 lazily, so the capacity-100k and capacity-1M cases include that
//! allocation and initialisation in every iteration on the blitz-io side.
//!
//! Every iteration checks the count of values and their sum.

/// Values per iteration of the 100k cases.
pub(crate) const BIG: usize = 100_000;
/// Round trips per iteration of `chan_roundtrip_cap1`.
pub(crate) const ROUND_TRIPS: usize = 10_000;
/// Messages per iteration of `mpmc_4p4c`.
pub(crate) const MPMC_MESSAGES: usize = 10_000;
/// Tokio's `sync_mpsc.rs`: tasks and values per task in the contention cases, values in the
/// uncontended ones.
pub(crate) const CONTENTION_TASKS: usize = 5;
pub(crate) const PER_TASK: usize = 1_000;

fn sum_to(n: usize) -> usize {
    n * (n - 1) / 2
}

/// `mpmc_4p4c` on its own, so the async-channel row can instantiate just this workload.
macro_rules! mpmc_4p4c {
    ($side:literal, $Runtime:ty) => {
        pub(crate) fn mpmc_4p4c(rt: &$Runtime) {
            let (count, sum) = rt.block_on(async {
                let (tx, rx) = c::bounded::<usize>(1000);
                let rx = std::sync::Arc::new(c::share(rx));
                let per = MPMC_MESSAGES / 4;
                let producers: Vec<_> = (0..4)
                    .map(|p| {
                        let tx = tx.clone();
                        c::spawn(async move {
                            for i in 0..per {
                                c::send(&tx, p * per + i).await;
                            }
                        })
                    })
                    .collect();
                drop(tx);
                let consumers: Vec<_> = (0..4)
                    .map(|_| {
                        let rx = rx.clone();
                        c::spawn(async move {
                            let (mut count, mut sum) = (0usize, 0usize);
                            while let Some(value) = c::recv_shared(&rx).await {
                                count += 1;
                                sum += value;
                            }
                            (count, sum)
                        })
                    })
                    .collect();
                for producer in producers {
                    producer.await.unwrap();
                }
                let (mut count, mut sum) = (0, 0);
                for consumer in consumers {
                    let (c, s) = consumer.await.unwrap();
                    count += c;
                    sum += s;
                }
                (count, sum)
            });
            assert_eq!(count, MPMC_MESSAGES, "{}: mpmc_4p4c count", $side);
            assert_eq!(sum, sum_to(MPMC_MESSAGES), "{}: mpmc_4p4c sum", $side);
        }
    };
}

macro_rules! workloads {
    ($side:literal, $Runtime:ty) => {
        pub(crate) fn try_send_100k(rt: &$Runtime) {
            rt.block_on(async {
                let (tx, rx) = c::bounded::<usize>(BIG);
                for i in 0..BIG {
                    assert!(c::try_send(&tx, i), "{}: try_send {i} failed", $side);
                }
                drop(rx);
            });
        }

        pub(crate) fn fill_drain_100k(rt: &$Runtime) {
            let sum = rt.block_on(async {
                let (tx, mut rx) = c::bounded::<usize>(BIG);
                for i in 0..BIG {
                    assert!(c::try_send(&tx, i), "{}: try_send {i} failed", $side);
                }
                let mut sum = 0;
                while let Some(value) = c::try_recv(&mut rx) {
                    sum += value;
                }
                sum
            });
            assert_eq!(sum, sum_to(BIG), "{}: fill_drain_100k lost values", $side);
        }

        pub(crate) fn roundtrip_cap1(rt: &$Runtime) {
            let sum = rt.block_on(async {
                let (ping_tx, mut ping_rx) = c::bounded::<usize>(1);
                let (pong_tx, mut pong_rx) = c::bounded::<usize>(1);
                let echo = c::spawn(async move {
                    while let Some(value) = c::recv(&mut ping_rx).await {
                        c::send(&pong_tx, value).await;
                    }
                });
                let mut sum = 0;
                for i in 0..ROUND_TRIPS {
                    c::send(&ping_tx, i).await;
                    sum += c::recv(&mut pong_rx).await.expect("the echo task answers");
                }
                drop(ping_tx);
                echo.await.unwrap();
                sum
            });
            assert_eq!(sum, sum_to(ROUND_TRIPS), "{}: roundtrip_cap1", $side);
        }

        mpmc_4p4c!($side, $Runtime);

        pub(crate) fn uncontended_bounded(rt: &$Runtime) {
            let sum = rt.block_on(async {
                let (tx, mut rx) = c::bounded::<usize>(1_000_000);
                for i in 0..PER_TASK {
                    c::send(&tx, i).await;
                }
                let mut sum = 0;
                for _ in 0..PER_TASK {
                    sum += c::recv(&mut rx).await.unwrap();
                }
                sum
            });
            assert_eq!(sum, sum_to(PER_TASK), "{}: uncontended_bounded", $side);
        }

        pub(crate) fn uncontended_unbounded(rt: &$Runtime) {
            let sum = rt.block_on(async {
                let (tx, mut rx) = c::unbounded::<usize>();
                for i in 0..PER_TASK {
                    c::usend(&tx, i);
                }
                let mut sum = 0;
                for _ in 0..PER_TASK {
                    sum += c::urecv(&mut rx).await.unwrap();
                }
                sum
            });
            assert_eq!(sum, sum_to(PER_TASK), "{}: uncontended_unbounded", $side);
        }

        /// `cap`: Tokio's 1 000 000 (`contention_bounded`) or 100 (`contention_bounded_full`);
        /// `many`: receive with `recv_many(.., PER_TASK)` instead of `recv`.
        pub(crate) fn contention_bounded(rt: &$Runtime, cap: usize, many: bool) {
            let sum = rt.block_on(async {
                let (tx, mut rx) = c::bounded::<usize>(cap);
                for _ in 0..CONTENTION_TASKS {
                    let tx = tx.clone();
                    drop(c::spawn(async move {
                        for i in 0..PER_TASK {
                            c::send(&tx, i).await;
                        }
                    }));
                }
                drop(tx);
                let (mut sum, mut count) = (0, 0);
                let mut buffer = Vec::with_capacity(PER_TASK);
                while count < CONTENTION_TASKS * PER_TASK {
                    if many {
                        buffer.clear();
                        count += c::recv_many(&mut rx, &mut buffer, PER_TASK).await;
                        sum += buffer.iter().sum::<usize>();
                    } else {
                        sum += c::recv(&mut rx).await.unwrap();
                        count += 1;
                    }
                }
                sum
            });
            assert_eq!(
                sum,
                CONTENTION_TASKS * sum_to(PER_TASK),
                "{}: contention",
                $side
            );
        }

        pub(crate) fn contention_unbounded(rt: &$Runtime) {
            let sum = rt.block_on(async {
                let (tx, mut rx) = c::unbounded::<usize>();
                for _ in 0..CONTENTION_TASKS {
                    let tx = tx.clone();
                    drop(c::spawn(async move {
                        for i in 0..PER_TASK {
                            c::usend(&tx, i);
                        }
                    }));
                }
                drop(tx);
                let mut sum = 0;
                for _ in 0..CONTENTION_TASKS * PER_TASK {
                    sum += c::urecv(&mut rx).await.unwrap();
                }
                sum
            });
            let expected = CONTENTION_TASKS * sum_to(PER_TASK);
            assert_eq!(sum, expected, "{}: contention_unbounded", $side);
        }
    };
}

pub(crate) mod blitz {
    use super::super::channel_api::blitz as c;
    use super::*;
    workloads!("blitz-io", blitz_io::Runtime);
}

pub(crate) mod tokio {
    use super::super::channel_api::tokio as c;
    use super::*;
    workloads!("tokio", ::tokio::runtime::Runtime);
}

/// `mpmc_4p4c` with the `async-channel` crate on Tokio's runtime: a real MPMC channel on the
/// other side, beside Tokio's own mpsc-behind-a-mutex.
pub(crate) mod async_channel_on_tokio {
    use super::super::channel_api::async_chan as c;
    use super::*;
    mpmc_4p4c!("async-channel", ::tokio::runtime::Runtime);
}
