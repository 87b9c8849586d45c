//! [`Instant`]: a monotonic instant that follows the runtime's clock, paused or not.

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::time::{Duration, Instant as StdInstant};

use crate::runtime::context;

/// A point in time on the runtime's monotonic clock.
///
/// A thin wrapper over [`std::time::Instant`]: the same value, except that inside a runtime
/// whose time is paused ([`time::pause`](crate::time::pause),
/// [`Builder::start_paused`](crate::runtime::Builder::start_paused)) [`Instant::now`] reads the
/// paused clock. Adding a duration too large to represent saturates to a far-future instant
/// (decades ahead) instead of panicking, so `Instant::now() + Duration::MAX` is a valid "never".
///
/// ```
/// use blitz_io::time::Instant;
/// use std::time::Duration;
///
/// let start = Instant::now();
/// let later = start + Duration::from_millis(5);
/// assert_eq!(later - start, Duration::from_millis(5));
/// assert!(start + Duration::MAX > later);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    std: StdInstant,
}

impl Instant {
    /// The current instant of the runtime's clock (the OS clock outside a runtime).
    pub fn now() -> Instant {
        let runtime = context::map_current(|handle| handle.time().clock().now());
        Instant::from_std(runtime.unwrap_or_else(StdInstant::now))
    }

    /// Wraps a standard instant.
    pub fn from_std(std: StdInstant) -> Instant {
        Instant { std }
    }

    /// The standard instant.
    pub fn into_std(self) -> StdInstant {
        self.std
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.std.saturating_duration_since(earlier.std)
    }

    /// Time from `earlier` to `self`, or `None` if `earlier` is later.
    pub fn checked_duration_since(&self, earlier: Instant) -> Option<Duration> {
        self.std.checked_duration_since(earlier.std)
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        self.std.saturating_duration_since(earlier.std)
    }

    /// Time since `self`, by the runtime's clock.
    pub fn elapsed(&self) -> Duration {
        Instant::now().duration_since(*self)
    }

    /// `self + duration`, or `None` if unrepresentable.
    pub fn checked_add(&self, duration: Duration) -> Option<Instant> {
        self.std.checked_add(duration).map(Instant::from_std)
    }

    /// `self - duration`, or `None` if unrepresentable.
    pub fn checked_sub(&self, duration: Duration) -> Option<Instant> {
        self.std.checked_sub(duration).map(Instant::from_std)
    }
}

/// `instant + by`, saturating to a far-future instant.
pub(crate) fn saturating_add(instant: StdInstant, by: Duration) -> StdInstant {
    if let Some(sum) = instant.checked_add(by) {
        return sum;
    }
    // Roughly 30 years, then less: whatever the platform can represent.
    let mut far = Duration::from_secs(30 * 365 * 86_400);
    loop {
        if let Some(sum) = instant.checked_add(far.min(by)) {
            return sum;
        }
        far /= 2;
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    /// Saturates to a far-future instant instead of overflowing.
    fn add(self, rhs: Duration) -> Instant {
        Instant::from_std(saturating_add(self.std, rhs))
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, rhs: Duration) {
        *self = *self + rhs;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;

    fn sub(self, rhs: Duration) -> Instant {
        Instant::from_std(self.std - rhs)
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, rhs: Duration) {
        *self = *self - rhs;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;

    /// Saturates at zero, as [`Instant::duration_since`].
    fn sub(self, rhs: Instant) -> Duration {
        self.duration_since(rhs)
    }
}

impl From<StdInstant> for Instant {
    fn from(std: StdInstant) -> Instant {
        Instant::from_std(std)
    }
}

impl From<Instant> for StdInstant {
    fn from(instant: Instant) -> StdInstant {
        instant.std
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.std.fmt(f)
    }
}
