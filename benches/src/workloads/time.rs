//! Timer workloads (blitz-io's own, modelled on Tokio's `time_timeout.rs` and `time_now.rs`
//! benches): the cost of a timer that never fires, of one that is registered and cancelled, of
//! one that fires, and of 200 000 sleeping at once (a million: the `sleep_million` binary).
//!
//! - `timeout_ready`: inside one `block_on` on a current-thread runtime, 10 000 times
//!   `timeout(1 s, async {})`: created, polled once (the inner future wins), dropped. No timer
//!   is ever registered: this is the create+drop cost the time issue targets.
//! - `timeout_cancel`: the same with `timeout(1 s, yield_now())`: the inner future is pending
//!   once, so the timer is inserted into the wheel, and then the drop unlinks it.
//! - `timeout_cancel` on the multi-thread runtime: the same split over one task per worker,
//!   so inserts and unlinks from every worker contend for the wheel at once.
//! - `sleep_fire`: on the multi-thread runtime, 1 000 tasks each `sleep(1 ms)`; each checks it
//!   did not wake early, the last one signals the caller. Mostly the 1 ms wait itself, plus
//!   registration, firing and waking.
//! - `sleep_many`: 200 000 tasks each sleeping 10-59 ms at once (all registered before
//!   the first fires), then all fired. The allocation pass's bytes per op is the memory each
//!   concurrent sleeping task costs (task + sleep), since every one is alive at the peak.
//!
//! Check: every timeout returned `Ok`, every sleeper ran and none woke before its deadline.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use super::recv_or_fail;

/// Timeouts per iteration of `timeout_ready` and `timeout_cancel`.
pub(crate) const TIMEOUTS: usize = 10_000;
/// Sleepers per iteration of `sleep_fire`.
pub(crate) const FIRE_SLEEPS: usize = 1_000;
/// Sleepers per iteration of `sleep_many`.
pub(crate) const MANY_SLEEPS: usize = 200_000;

/// Counts sleepers out; the last one (or one that woke early) reports.
struct Countdown {
    remaining: AtomicUsize,
    early: AtomicUsize,
    done: mpsc::SyncSender<()>,
}

impl Countdown {
    fn new(count: usize) -> (Arc<Countdown>, mpsc::Receiver<()>) {
        let (done, rx) = mpsc::sync_channel(1);
        let countdown = Countdown {
            remaining: AtomicUsize::new(count),
            early: AtomicUsize::new(0),
            done,
        };
        (Arc::new(countdown), rx)
    }

    fn finish(&self, on_time: bool) {
        if !on_time {
            self.early.fetch_add(1, Relaxed);
        }
        if self.remaining.fetch_sub(1, Relaxed) == 1 {
            self.done.send(()).unwrap();
        }
    }

    fn check(&self, rx: &mpsc::Receiver<()>, side: &str, name: &str, count: usize) {
        recv_or_fail(rx, || {
            format!(
                "{side}: {name}: {} of {count} sleepers finished",
                count - self.remaining.load(Relaxed)
            )
        });
        let early = self.early.load(Relaxed);
        assert_eq!(early, 0, "{side}: {name}: {early} sleeps woke early");
    }
}

macro_rules! workload {
    ($side:literal, $Runtime:ty, $spawn:path, $time:ident, $yield_now:path) => {
        pub(crate) fn timeout_ready(rt: &$Runtime) {
            rt.block_on(async {
                for _ in 0..TIMEOUTS {
                    let result = $time::timeout(Duration::from_secs(1), async {}).await;
                    assert!(result.is_ok(), "{}: timeout_ready: a timeout fired", $side);
                }
            });
        }

        pub(crate) fn timeout_cancel(rt: &$Runtime) {
            rt.block_on(async {
                for _ in 0..TIMEOUTS {
                    let result = $time::timeout(Duration::from_secs(1), $yield_now()).await;
                    assert!(result.is_ok(), "{}: timeout_cancel: a timeout fired", $side);
                }
            });
        }

        /// `timeout_cancel` split over one task per worker, all at once: every insert and
        /// unlink takes a wheel lock (blitz-io: one wheel per worker, so the workers' timers take
        /// different locks).
        pub(crate) fn timeout_cancel_parallel(rt: &$Runtime, workers: usize) {
            rt.block_on(async {
                let handles: Vec<_> = (0..workers)
                    .map(|_| {
                        $spawn(async move {
                            for _ in 0..TIMEOUTS / workers {
                                let result =
                                    $time::timeout(Duration::from_secs(1), $yield_now()).await;
                                assert!(result.is_ok(), "{}: a timeout fired", $side);
                            }
                        })
                    })
                    .collect();
                for handle in handles {
                    handle.await.expect("timeout_cancel task");
                }
            });
        }

        pub(crate) fn sleep_fire(rt: &$Runtime) {
            let (countdown, rx) = Countdown::new(FIRE_SLEEPS);
            rt.block_on(async {
                for _ in 0..FIRE_SLEEPS {
                    let countdown = countdown.clone();
                    drop($spawn(async move {
                        let start = std::time::Instant::now();
                        $time::sleep(Duration::from_millis(1)).await;
                        countdown.finish(start.elapsed() >= Duration::from_millis(1));
                    }));
                }
            });
            countdown.check(&rx, $side, "sleep_fire", FIRE_SLEEPS);
        }

        pub(crate) fn sleep_many(rt: &$Runtime) {
            let (countdown, rx) = Countdown::new(MANY_SLEEPS);
            rt.block_on(async {
                for i in 0..MANY_SLEEPS {
                    let countdown = countdown.clone();
                    drop($spawn(async move {
                        let wait = Duration::from_millis(10 + (i % 50) as u64);
                        let start = std::time::Instant::now();
                        $time::sleep(wait).await;
                        countdown.finish(start.elapsed() >= wait);
                    }));
                }
            });
            countdown.check(&rx, $side, "sleep_many", MANY_SLEEPS);
        }
    };
}

/// The blitz-io side.
pub(crate) mod blitz {
    use super::*;
    use blitz_io::time;
    workload!(
        "blitz-io",
        blitz_io::Runtime,
        blitz_io::task::spawn,
        time,
        blitz_io::task::yield_now
    );
}

/// The Tokio side.
pub(crate) mod tokio_side {
    use super::*;
    use tokio::time;
    workload!(
        "tokio",
        tokio::runtime::Runtime,
        tokio::spawn,
        time,
        tokio::task::yield_now
    );
}
