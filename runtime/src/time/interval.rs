//! [`Interval`]: ticks at a fixed period, with a choice of how to catch up after a delay.
//!
//! The interval keeps the *scheduled* instant of its next tick. When a tick is taken late by
//! at least a whole period (the task was busy, the machine suspended), the missed ticks are
//! handled by the [`MissedTickBehavior`]. Under the hood it is one boxed [`Sleep`] reset for
//! each tick: one allocation per interval, none per tick.

use std::future::{poll_fn, Future as _};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use super::sleep::{sleep_until, Sleep};
use super::Instant;

/// An interval whose first tick completes at once, then every `period`.
///
/// # Panics
/// When `period` is zero, or outside a blitz-io runtime.
///
/// ```
/// use std::time::Duration;
/// use blitz_io::time;
///
/// blitz_io::run(async {
///     let mut interval = time::interval(Duration::from_millis(2));
///     let first = interval.tick().await; // immediately
///     let second = interval.tick().await; // 2 ms later
///     assert_eq!(second - first, Duration::from_millis(2));
/// });
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// An interval whose first tick completes at `start`, then every `period`.
///
/// # Panics
/// When `period` is zero, or outside a blitz-io runtime.
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "`time::interval` needs a period greater than zero"
    );
    Interval {
        delay: Box::pin(sleep_until(start)),
        period,
        missed_tick_behavior: MissedTickBehavior::default(),
    }
}

/// What an [`Interval`] does with ticks it missed by a period or more.
///
/// ```
/// use std::time::Duration;
/// use blitz_io::time::{self, MissedTickBehavior};
///
/// blitz_io::run(async {
///     let mut interval = time::interval(Duration::from_millis(1));
///     interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
///     interval.tick().await;
/// });
/// ```
///
/// With a 10 ms period, ticks due at 10, 20, 30, ... and the task busy until 35:
/// - `Burst` fires the ticks of 10, 20, 30 back to back, then 40, 50, ...;
/// - `Delay` fires one tick at 35, then 45, 55, ... (the schedule shifts);
/// - `Skip` fires one tick at 35, then 40, 50, ... (the schedule is kept).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum MissedTickBehavior {
    /// Fire every missed tick as soon as possible, then carry on with the original schedule.
    #[default]
    Burst,
    /// Fire once now, then one period after each tick actually taken.
    Delay,
    /// Fire once now, then at the next tick of the original schedule.
    Skip,
}

impl MissedTickBehavior {
    /// The tick after one scheduled at `scheduled` and taken at `now`.
    fn next(self, scheduled: Instant, now: Instant, period: Duration) -> Instant {
        let late = now.duration_since(scheduled);
        if late < period {
            return scheduled + period;
        }
        match self {
            MissedTickBehavior::Burst => scheduled + period,
            MissedTickBehavior::Delay => now + period,
            MissedTickBehavior::Skip => {
                // The first tick of the schedule after `now`: `now + period - late % period`
                // (as Tokio's), not a count of periods, which can exceed `u32::MAX`.
                let into_period = late.as_nanos() % period.as_nanos();
                // Below `period`, so it fits a `Duration`.
                let into_period = Duration::new(
                    (into_period / 1_000_000_000) as u64,
                    (into_period % 1_000_000_000) as u32,
                );
                now + (period - into_period)
            }
        }
    }
}

/// Ticks of [`interval`] / [`interval_at`].
///
/// ```
/// use std::time::Duration;
/// use blitz_io::time;
///
/// let rt = blitz_io::runtime::Builder::new_current_thread().start_paused(true).build().unwrap();
/// rt.block_on(async {
///     let mut heartbeat = time::interval(Duration::from_secs(30));
///     let first = heartbeat.tick().await;
///     let second = heartbeat.tick().await; // the paused clock jumps straight there
///     assert_eq!(second - first, heartbeat.period());
/// });
/// ```
#[derive(Debug)]
pub struct Interval {
    delay: Pin<Box<Sleep>>,
    period: Duration,
    missed_tick_behavior: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick and returns the instant it was scheduled for.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick (for hand-written futures). Stores `cx`'s waker when pending.
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        ready!(self.delay.as_mut().poll(cx));
        let scheduled = self.delay.deadline();
        let now = Instant::now();
        let next = self.missed_tick_behavior.next(scheduled, now, self.period);
        self.delay.as_mut().reset(next);
        Poll::Ready(scheduled)
    }

    /// Restarts the schedule: the next tick is one period from now.
    pub fn reset(&mut self) {
        self.reset_at(Instant::now() + self.period);
    }

    /// Restarts the schedule with a tick due now: the next `tick` completes at once, the one
    /// after a period later.
    pub fn reset_immediately(&mut self) {
        self.reset_at(Instant::now());
    }

    /// Restarts the schedule with the next tick `after` from now (then every period).
    pub fn reset_after(&mut self, after: Duration) {
        self.reset_at(Instant::now() + after);
    }

    /// Restarts the schedule with the next tick at `deadline` (then every period). A deadline
    /// in the past is a late tick: it completes at once and the missed-tick behaviour
    /// applies to the ones after it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use blitz_io::time::{self, Instant};
    ///
    /// let rt = blitz_io::runtime::Builder::new_current_thread().start_paused(true).build().unwrap();
    /// rt.block_on(async {
    ///     let mut interval = time::interval(Duration::from_secs(10));
    ///     interval.tick().await;
    ///     let soon = Instant::now() + Duration::from_secs(1);
    ///     interval.reset_at(soon);
    ///     assert_eq!(interval.tick().await, soon);
    ///     assert_eq!(interval.tick().await, soon + Duration::from_secs(10));
    /// });
    /// ```
    pub fn reset_at(&mut self, deadline: Instant) {
        self.delay.as_mut().reset(deadline);
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// How missed ticks are handled.
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Changes how missed ticks are handled.
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }
}
