//! The runtime's clock: the OS monotonic clock, or a paused one that moves only when told.
//!
//! Unpaused, `now` is `std::time::Instant::now()` moved by an offset: the time `advance` added,
//! less the real time spent paused, as of the last `resume` (so a resumed clock runs on from
//! where it stood, as Tokio's does). Paused, `now` is a frozen instant that [`time::advance`]
//! moves forward and the scheduler moves straight to the next timer's deadline when every task
//! is idle (auto-advance). Auto-advance is held off while work the clock cannot see runs: each
//! `spawn_blocking` job holds an inhibitor from its spawn until it has run (or was cancelled).
//! (With an I/O driver, a task waiting on a socket counts as idle, so a paused clock skips
//! ahead of a peer that answers in real time.)
//!
//! [`time::advance`]: crate::time::advance

use std::time::{Duration, Instant as StdInstant};

use super::tsc::{self, Stamp};
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use crate::loom::sync::Mutex;
use crate::runtime::scheduler;

/// How `sleep(d)` records when it was called.
pub(crate) enum RelativeStart {
    /// A counter stamp, resolved by the first poll.
    Stamp(Stamp),
    /// The runtime clock's instant.
    Now(StdInstant),
}

pub(crate) struct Clock {
    /// Fast path: false while the clock is the plain OS clock (not paused, no offset). Read
    /// `Relaxed`: `false` publishes nothing (the reader then touches no other field), and
    /// `true` sends the reader to `state`, whose mutex orders what it reads. Written only with
    /// `state` locked, so it always agrees with `state` as of the writer's unlock.
    adjusted: AtomicBool,
    state: Mutex<State>,
    /// Running jobs that hold off auto-advance.
    inhibitors: AtomicUsize,
}

struct State {
    /// `Some(now)` while paused.
    frozen: Option<StdInstant>,
    /// Added to the OS clock while not paused.
    offset: Duration,
    /// Subtracted from the OS clock while not paused (the clock was paused for longer, in
    /// real time, than it was advanced). At most one of `offset` and `behind` is non-zero.
    behind: Duration,
}

impl Clock {
    pub(crate) fn new(start_paused: bool) -> Clock {
        tsc::init();
        let frozen = start_paused.then(StdInstant::now);
        Clock {
            adjusted: AtomicBool::new(start_paused),
            state: Mutex::new(State {
                frozen,
                offset: Duration::ZERO,
                behind: Duration::ZERO,
            }),
            inhibitors: AtomicUsize::new(0),
        }
    }

    /// The current instant: one relaxed load and one OS clock read, unless the clock was ever
    /// paused or advanced (then under the state lock).
    #[inline]
    pub(crate) fn now(&self) -> StdInstant {
        if !self.adjusted.load(Relaxed) {
            return StdInstant::now();
        }
        self.adjusted_now()
    }

    /// The start of `sleep(d)`: a counter stamp while this is the plain OS clock and stamps
    /// are available, otherwise the current instant.
    #[inline(always)]
    pub(crate) fn start_of_relative_timer(&self) -> RelativeStart {
        if !self.adjusted.load(Relaxed) {
            if let Some(stamp) = tsc::stamp() {
                return RelativeStart::Stamp(stamp);
            }
            let now = StdInstant::now();
            tsc::observe(now);
            return RelativeStart::Now(now);
        }
        RelativeStart::Now(self.adjusted_now())
    }

    /// The current instant, given an OS clock read just taken.
    #[inline]
    pub(crate) fn now_after_os_read(&self, os_now: StdInstant) -> StdInstant {
        if !self.adjusted.load(Relaxed) {
            return os_now;
        }
        self.adjusted_now()
    }

    #[cold]
    #[inline(never)]
    fn adjusted_now(&self) -> StdInstant {
        let state = self.state.lock();
        match state.frozen {
            Some(frozen) => frozen,
            None => state.running_now(),
        }
    }

    pub(crate) fn is_paused(&self) -> bool {
        self.adjusted.load(Relaxed) && self.state.lock().frozen.is_some()
    }

    /// # Panics
    /// When already paused.
    #[track_caller]
    pub(crate) fn pause(&self) {
        let mut state = self.state.lock();
        assert!(state.frozen.is_none(), "time is already paused");
        state.frozen = Some(state.running_now());
        self.adjusted.store(true, Release);
    }

    /// # Panics
    /// When not paused.
    #[track_caller]
    pub(crate) fn resume(&self) {
        let mut state = self.state.lock();
        let frozen = state.frozen.take().expect("time is not paused");
        // Continue from the frozen instant: real time that passed while paused is not
        // counted (as in Tokio), so the clock may now run behind the OS clock.
        let os_now = StdInstant::now();
        state.offset = frozen.saturating_duration_since(os_now);
        state.behind = os_now.saturating_duration_since(frozen);
        self.adjusted
            .store(!(state.offset.is_zero() && state.behind.is_zero()), Release);
    }

    /// Moves a paused clock forward by `by`.
    ///
    /// # Panics
    /// When not paused.
    #[track_caller]
    pub(crate) fn advance(&self, by: Duration) -> StdInstant {
        let mut state = self.state.lock();
        let frozen = state
            .frozen
            .as_mut()
            .expect("time is not paused: call `time::pause()` before `time::advance`");
        *frozen = crate::time::instant::saturating_add(*frozen, by);
        *frozen
    }

    /// Moves a paused clock to `to`, if that is later (auto-advance). False when not paused.
    pub(crate) fn advance_to(&self, to: StdInstant) -> bool {
        let mut state = self.state.lock();
        match state.frozen.as_mut() {
            Some(frozen) => {
                *frozen = (*frozen).max(to);
                true
            }
            None => false,
        }
    }

    pub(crate) fn is_auto_advance_inhibited(&self) -> bool {
        self.inhibitors.load(SeqCst) != 0
    }
}

impl State {
    /// The clock while not paused: the OS clock moved by `offset` or `behind`.
    fn running_now(&self) -> StdInstant {
        let now = StdInstant::now() + self.offset;
        // `behind` is real time that passed after an OS clock read, so `now` is past it.
        now.checked_sub(self.behind).unwrap_or(now)
    }
}

/// Holds off auto-advance of a runtime's clock while alive (a queued or running blocking job).
pub(crate) struct AutoAdvanceInhibitor(scheduler::Handle);

impl AutoAdvanceInhibitor {
    pub(crate) fn new(runtime: &scheduler::Handle) -> AutoAdvanceInhibitor {
        runtime.time().clock().inhibitors.fetch_add(1, SeqCst);
        AutoAdvanceInhibitor(runtime.clone())
    }
}

impl Drop for AutoAdvanceInhibitor {
    fn drop(&mut self) {
        self.0.time().clock().inhibitors.fetch_sub(1, SeqCst);
    }
}
