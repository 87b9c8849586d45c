//! Time: sleeping, timeouts, intervals, and a clock that tests can pause.
//!
//! | seed | here |
//! |---|---|
//! | `task.sleep(d)` | [`sleep`] (also [`task::sleep`](crate::task::sleep)), [`sleep_until`] |
//! | — | [`timeout`], [`timeout_at`] → `Result<T, `[`Elapsed`](error::Elapsed)`>` |
//! | — | [`interval`], [`interval_at`], [`MissedTickBehavior`] |
//! | — | [`pause`], [`resume`], [`advance`], [`Builder::start_paused`](crate::runtime::Builder::start_paused) |
//!
//! Every runtime owns one time driver: a hierarchical timing wheel (6 levels of 64 slots, one
//! tick per millisecond, absolute ticks everywhere) per worker, each behind its own lock. A
//! [`Sleep`] embeds its wheel entry, so creating, firing and dropping a timer allocates
//! nothing; it joins the polling worker's wheel on its first pending poll and leaves it when
//! dropped, on whatever thread. Scheduler threads
//! that run out of work park until the next deadline; busy ones fire due timers on their
//! maintenance interval. A timer completes at its deadline rounded up to the next millisecond
//! of the driver's clock, never before. `sleep(d)` and `timeout(d, f)` count from their call;
//! on x86-64 Linux, where the kernel keeps time with the CPU's invariant counter, they record
//! that counter instead of reading the clock, and their first poll works the deadline out,
//! erring late by at most about a thousandth of the time until that poll. Most timeouts never
//! wait, and for them this saves the clock read.
//!
//! Timer futures need a runtime: creating one outside a runtime context panics, naming
//! `Runtime::enter` as the fix. They take part in the cooperative budget like every leaf
//! future of the crate.
//!
//! ## Paused time
//!
//! On a current-thread runtime the clock can be paused ([`pause`], or
//! [`Builder::start_paused`](crate::runtime::Builder::start_paused)): [`Instant::now`] then
//! stands still, [`advance`] moves it, and whenever every task is idle the scheduler jumps the
//! clock straight to the next timer (auto-advance), so a test of an hour-long timeout runs in
//! microseconds and is deterministic. Auto-advance waits while a `spawn_blocking` job runs:
//! the clock cannot see what that job is waiting for. Work outside the runtime that a task
//! waits on (a real socket's peer, a plain thread) is invisible too: while such a task is idle
//! the clock may jump ahead, firing its timeouts early in real time.
//!
//! ```
//! use std::time::Duration;
//! use blitz_io::time::{self, Instant};
//!
//! let rt = blitz_io::runtime::Builder::new_current_thread()
//!     .start_paused(true)
//!     .build()
//!     .unwrap();
//! rt.block_on(async {
//!     let start = Instant::now();
//!     time::sleep(Duration::from_secs(24 * 3600)).await; // returns at once: nothing else to do
//!     assert_eq!(start.elapsed(), Duration::from_secs(24 * 3600));
//! });
//! ```

pub(crate) mod clock;
#[cfg(feature = "bench-internals")]
pub(crate) mod contention;
pub(crate) mod driver;
pub mod error;
pub(crate) mod instant;
mod interval;
mod sleep;
mod timeout;
pub(crate) mod tsc;
pub(crate) mod wheel;

#[cfg(all(test, blitz_loom))]
mod loom_tests;

use std::time::Duration;

pub use instant::Instant;
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use sleep::{sleep, sleep_until, Sleep};
pub use timeout::{timeout, timeout_at, Timeout};

use crate::runtime::{context, scheduler, RuntimeFlavor};

#[track_caller]
fn current_runtime(what: &str) -> scheduler::Handle {
    let handle = context::with_current(|handle| handle.cloned());
    match handle {
        Some(handle @ scheduler::Handle::CurrentThread(_)) => handle,
        Some(_) => panic!(
            "`time::{what}` needs a current-thread runtime: paused time is only supported there \
             ({:?} runtimes run timers on several threads)",
            RuntimeFlavor::MultiThread
        ),
        None => panic!("`time::{what}`: {}", context::NO_RUNTIME_MESSAGE),
    }
}

/// Pauses the runtime's clock: [`Instant::now`] stands still until [`advance`] moves it or
/// the scheduler auto-advances to the next timer when every task is idle.
///
/// The clock stops at the timer's next millisecond tick (less than 1 ms ahead), so that
/// `sleep(d)` followed by `advance(d)` completes for any whole number of milliseconds `d`.
///
/// # Panics
/// Outside a current-thread runtime, or when time is already paused.
///
/// ```
/// use std::time::Duration;
/// use blitz_io::time::{self, Instant};
///
/// let rt = blitz_io::runtime::Builder::new_current_thread().build().unwrap();
/// rt.block_on(async {
///     time::pause();
///     let start = Instant::now();
///     time::advance(Duration::from_secs(5)).await;
///     assert_eq!(start.elapsed(), Duration::from_secs(5));
///     time::resume();
/// });
/// ```
#[track_caller]
pub fn pause() {
    current_runtime("pause").time().pause();
}

/// Resumes a paused clock; it runs on from where it stood.
///
/// # Panics
/// Outside a current-thread runtime, or when time is not paused.
///
/// ```
/// use blitz_io::time;
///
/// let rt = blitz_io::runtime::Builder::new_current_thread().start_paused(true).build().unwrap();
/// rt.block_on(async {
///     time::resume();
///     time::sleep(std::time::Duration::from_millis(1)).await; // on the real clock
/// });
/// ```
#[track_caller]
pub fn resume() {
    current_runtime("resume").time().clock().resume();
}

/// Moves a paused clock forward by `duration`, fires the timers that became due, and yields
/// once so the tasks they woke can run.
///
/// # Panics
/// Outside a current-thread runtime, or when time is not paused.
///
/// ```
/// use std::time::Duration;
/// use blitz_io::{task, time};
///
/// let rt = blitz_io::runtime::Builder::new_current_thread().start_paused(true).build().unwrap();
/// rt.block_on(async {
///     let reminder = task::spawn(time::sleep(Duration::from_secs(60)));
///     task::yield_now().await; // let it start sleeping
///     time::advance(Duration::from_secs(60)).await;
///     assert!(reminder.is_finished());
/// });
/// ```
#[track_caller]
pub fn advance(duration: Duration) -> impl std::future::Future<Output = ()> {
    let handle = current_runtime("advance");
    let driver = handle.time();
    let now = driver.clock().advance(duration);
    driver.process_at(driver.tick_now_floor(now));
    crate::task::yield_now()
}
