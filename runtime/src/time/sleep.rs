//! [`Sleep`]: the timer future, with its wheel entry inside it.
//!
//! Creating a `Sleep` clones the runtime handle and takes the time: `sleep(d)` only stamps the
//! CPU's counter where it can ([`tsc`](super::tsc)), and the first poll turns the stamp into
//! the deadline with the clock read it needs anyway; `sleep_until` knows its deadline. Its
//! wheel entry stays uninitialised until the first poll that finds the deadline ahead, which
//! writes the entry and inserts it (under the driver lock). A `Sleep` that was never inserted
//! (never polled, or already due at its first poll) drops with one flag test and the handle's
//! reference-count decrement; the unlink path is out of line.

use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant as StdInstant};

use super::clock::RelativeStart;
use super::tsc::Stamp;
use super::wheel::entry::TimerEntry;
use super::Instant;
use crate::runtime::{context, scheduler};
use crate::task::coop;

/// Waits until `duration` has elapsed. A zero duration completes on the first poll;
/// `Duration::MAX` waits (practically) forever.
///
/// The deadline is rounded up to the next millisecond of the runtime's timer: the future
/// never completes early, and usually within a millisecond or so after its deadline.
/// Equivalent to `sleep_until(Instant::now() + duration)`, except that it may record a CPU
/// counter stamp instead of reading the clock (see the [module docs](super)).
///
/// # Panics
/// Outside a blitz-io runtime (the timer needs the runtime's time driver); enter one first with
/// `Runtime::enter()`.
///
/// ```
/// use std::time::Duration;
/// use blitz_io::time::{self, Instant};
///
/// blitz_io::run(async {
///     let start = Instant::now();
///     time::sleep(Duration::from_millis(10)).await;
///     assert!(start.elapsed() >= Duration::from_millis(10));
/// });
/// ```
#[inline(always)]
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    // The time is taken through the borrowed handle before the clone's reference-count
    // increment, so a clock read's ordering fence does not wait for that locked instruction.
    let current = context::map_current(|handle| {
        let deadline = match handle.time().clock().start_of_relative_timer() {
            RelativeStart::Stamp(created) => Deadline::After { created, duration },
            RelativeStart::Now(now) => Deadline::At(Instant::from_std(now) + duration),
        };
        (handle.clone(), deadline)
    });
    let Some((handle, deadline)) = current else {
        no_runtime()
    };
    Sleep::new(handle, deadline)
}

/// Waits until `deadline`. A deadline in the past completes on the first poll.
///
/// # Panics
/// Outside a blitz-io runtime, like [`sleep`].
///
/// ```
/// use std::time::Duration;
/// use blitz_io::time::{self, Instant};
///
/// blitz_io::run(async {
///     let deadline = Instant::now() + Duration::from_millis(5);
///     time::sleep_until(deadline).await;
///     assert!(Instant::now() >= deadline);
/// });
/// ```
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(current_handle(), Deadline::At(deadline))
}

#[inline]
#[track_caller]
fn current_handle() -> scheduler::Handle {
    match context::current_handle() {
        Some(handle) => handle,
        None => no_runtime(),
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn no_runtime() -> ! {
    panic!(
        "timers need a blitz-io runtime: {}",
        context::NO_RUNTIME_MESSAGE
    )
}

/// Future returned by [`sleep`] and [`sleep_until`]; completes at its deadline.
///
/// It embeds its timer entry, so it is `!Unpin`: pin it (`std::pin::pin!`, `Box::pin`) to poll
/// it by hand or to call [`reset`](Sleep::reset).
///
/// ```
/// use std::pin::pin;
/// use std::time::Duration;
/// use blitz_io::time::{self, Instant};
///
/// blitz_io::run(async {
///     let mut sleep = pin!(time::sleep(Duration::from_secs(3600)));
///     // Something happened: wait 1 ms from now instead.
///     sleep.as_mut().reset(Instant::now() + Duration::from_millis(1));
///     sleep.as_mut().await;
///     assert!(sleep.is_elapsed());
/// });
/// ```
#[must_use = "futures do nothing unless polled"]
// `repr(C)`: word-aligned fields in a fixed order. With the default layout the small fields
// were packed between the words, and moving a fresh `Sleep` into its parent future was copied
// in 16-byte pieces that straddled a field the drop reads, so that read waited on a failed
// store-to-load forward (perf: most of the gap to Tokio in `timeout_ready`).
#[repr(C)]
pub struct Sleep {
    /// Initialised by the first insertion into the wheel (`registered`), as Tokio defers its
    /// entry's set-up too: a timer that never waits never writes or drops one.
    entry: MaybeUninit<TimerEntry>,
    handle: scheduler::Handle,
    deadline: Deadline,
    /// Whether `entry` is initialised and may be linked in the wheel (it was scheduled at
    /// least once). Never cleared: the drop unlinks and drops the entry.
    registered: bool,
    /// The driver's wheel the entry joined at its first insertion (the polling worker's), and
    /// stays in for resets and the drop. Meaningful once `registered`.
    shard: u32,
    _pinned: PhantomPinned,
}

/// When a [`Sleep`] completes.
#[derive(Clone, Copy, Debug)]
enum Deadline {
    At(Instant),
    /// `duration` after the moment `created` was stamped; replaced by `At` at the first poll.
    After {
        created: Stamp,
        duration: Duration,
    },
}

impl Deadline {
    /// The deadline, and the clock read it was compared with if one was needed.
    fn resolve(self) -> (Instant, Option<StdInstant>) {
        match self {
            Deadline::At(deadline) => (deadline, None),
            Deadline::After { created, duration } => {
                let (created, now) = created.resolve();
                (Instant::from_std(created) + duration, Some(now))
            }
        }
    }
}

impl Sleep {
    #[inline(always)]
    fn new(handle: scheduler::Handle, deadline: Deadline) -> Sleep {
        Sleep {
            handle,
            deadline,
            registered: false,
            shard: 0,
            entry: MaybeUninit::uninit(),
            _pinned: PhantomPinned,
        }
    }

    /// The instant this sleep completes at.
    ///
    /// For `sleep(d)` not yet polled this is worked out from a counter stamp on each call, and
    /// may come out a little later (never earlier) than `d` after the call (see the crate's
    /// `time` docs); the first poll fixes it.
    pub fn deadline(&self) -> Instant {
        self.deadline.resolve().0
    }

    /// Whether the deadline has passed (the timer fired, or the clock is past it).
    pub fn is_elapsed(&self) -> bool {
        // SAFETY: the entry is live once `registered` (see `entry`).
        let fired = self.registered && unsafe { self.entry().as_ref() }.state.is_fired();
        fired || {
            let (deadline, now) = self.deadline_and_now();
            deadline.into_std() <= now
        }
    }

    /// The deadline and the runtime clock's current instant, with one clock read: resolving a
    /// stamped deadline reads the OS clock, which is the runtime's clock unless it was paused
    /// or offset since the stamp.
    fn deadline_and_now(&self) -> (Instant, StdInstant) {
        let clock = self.handle.time().clock();
        let (deadline, os_now) = self.deadline.resolve();
        let now = match os_now {
            Some(os_now) => clock.now_after_os_read(os_now),
            None => clock.now(),
        };
        (deadline, now)
    }

    /// Moves the deadline, earlier or later, whether or not the sleep already completed; it
    /// can then be awaited again. A task waiting on it is woken at the new deadline.
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        // SAFETY: nothing is moved out: only plain fields are written and the entry is used
        // through a pointer while it stays in place.
        let this = unsafe { self.get_unchecked_mut() };
        this.deadline = Deadline::At(deadline);
        if this.registered {
            let driver = this.handle.time();
            let when = driver.tick_at_or_after(deadline.into_std());
            // SAFETY: the entry is initialised (`registered`) and pinned in this future, which
            // we hold exclusively, and it is unregistered before the future's memory goes away
            // (Drop).
            unsafe { driver.schedule(this.entry(), when, this.shard) };
        }
    }

    /// The entry, for the driver and the state word. Only once `registered` is set.
    fn entry(&self) -> NonNull<TimerEntry> {
        debug_assert!(self.registered);
        // SAFETY: `registered` says the entry was written; it is dropped only by `unregister`,
        // after which the `Sleep` is gone. A pointer from a shared reference, as the driver
        // writes only the entry's interior-mutable fields.
        NonNull::from(unsafe { self.entry.assume_init_ref() })
    }

    fn poll_elapsed(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: as in `reset`.
        let this = unsafe { self.get_unchecked_mut() };
        if !this.registered {
            let (deadline, now) = this.deadline_and_now();
            this.deadline = Deadline::At(deadline);
            let deadline = deadline.into_std();
            if deadline <= now {
                return Poll::Ready(());
            }
            let driver = this.handle.time();
            let when = driver.tick_at_or_after(deadline);
            // The first insertion: set the entry up in place (it is uninitialised, so nothing
            // pinned is moved or leaked by the write).
            this.entry.write(TimerEntry::new());
            this.registered = true;
            this.shard = driver.local_shard();
            // SAFETY: as in `reset`.
            unsafe { driver.schedule(this.entry(), when, this.shard) };
        }
        // SAFETY: the entry is live (`entry`), and only its atomic state word and the waker
        // slot it guards are touched.
        unsafe { this.entry().as_ref() }
            .state
            .poll_fired(cx.waker())
    }

    /// Unlinks the entry from the wheel and drops it (with the waker it holds). Out of line, so
    /// that dropping a timer that never waited stays a flag test with no register spills.
    #[inline(never)]
    fn unregister(&mut self) {
        let entry = self.entry();
        // SAFETY: the entry is initialised (`registered`) and still in place (this is its
        // future's drop); afterwards the driver never touches it again.
        unsafe { self.handle.time().unregister(entry, self.shard) };
        // SAFETY: initialised, unlinked above, and never used again.
        unsafe { self.entry.assume_init_drop() };
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let restore = ready!(coop::poll_proceed(cx));
        let polled = self.poll_elapsed(cx);
        if polled.is_ready() {
            restore.made_progress();
        }
        polled
    }
}

impl Drop for Sleep {
    #[inline]
    fn drop(&mut self) {
        if self.registered {
            self.unregister();
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline())
            .field("registered", &self.registered)
            .finish_non_exhaustive()
    }
}

/// Polls `sleep` with the task's budget lifted (for [`Timeout`](super::Timeout)).
pub(crate) fn poll_without_budget(sleep: Pin<&mut Sleep>, cx: &mut Context<'_>) -> Poll<()> {
    coop::without_budget(|| sleep.poll_elapsed(cx))
}
