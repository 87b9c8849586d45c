//! The time driver: one shared wheel per runtime, advanced by the schedulers' park path.
//!
//! The wheel sits behind one mutex, next to an atomic copy of its earliest deadline so that
//! a busy worker's periodic check ("is anything due?") is a clock read and a load, with no
//! lock. Timer futures take the lock to insert themselves on their first poll, to reset and,
//! if they were ever inserted, to drop: a `Sleep` dropped on any thread unlinks itself
//! synchronously, so the entry (which lives inside the future) is never reached after it is
//! gone.
//!
//! Who advances the wheel: a scheduler thread that runs out of work parks through
//! [`Driver::park`], which sleeps until the next deadline (one thread at a time holds the
//! "timer token" on the multi-thread scheduler; the others park without a timeout); busy
//! workers call [`Driver::process`] on their maintenance interval. A timer registered with an
//! earlier deadline than the one the parked thread sleeps to unparks it. Due entries are
//! fired under the lock into a [`WakeBatch`]; the wakers run after it is released.
//!
//! The per-worker alternative (a wheel per worker, each behind its own lock, with remote
//! cancels taking the owner's lock) is recorded in `docs/decisions.md`.

use core::ptr::NonNull;
use std::time::{Duration, Instant as StdInstant};

use super::clock::Clock;
use super::wheel::entry::TimerEntry;
use super::wheel::Wheel;
use crate::loom::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use crate::loom::sync::Mutex;
use crate::runtime::park::{Parked, Parker, Unparker};
use crate::util::wake_batch::WakeBatch;

/// Deadlines are kept below this tick so arithmetic on them never overflows.
const MAX_TICK: u64 = u64::MAX / 4;

/// How often a paused clock whose auto-advance is held off looks again.
const INHIBITED_RECHECK: Duration = Duration::from_millis(1);

pub(crate) struct Driver {
    clock: Clock,
    /// The instant of tick 0.
    base: StdInstant,
    inner: Mutex<Inner>,
    /// A lower bound of the earliest deadline in the wheel (`u64::MAX`: empty).
    next_wake: AtomicU64,
    /// Held by the one scheduler thread that parks with the wheel's timeout.
    token: TimerToken,
}

/// The right to park with the wheel's timeout (and inside the I/O driver): one holder at a
/// time. Its own type so that the scheduler's loom model of the watcher races the real
/// orderings.
pub(crate) struct TimerToken(AtomicBool);

impl TimerToken {
    pub(crate) fn new() -> TimerToken {
        TimerToken(AtomicBool::new(false))
    }

    /// Claims the token; false if another thread has it.
    pub(crate) fn try_acquire(&self) -> bool {
        !self.0.load(Relaxed) && !self.0.swap(true, Acquire)
    }

    pub(crate) fn release(&self) {
        self.0.store(false, Release);
    }
}

struct Inner {
    wheel: Wheel,
    /// The thread parked for the wheel, and the tick it sleeps until.
    parked: Option<(Unparker, u64)>,
}

impl Driver {
    pub(crate) fn new(start_paused: bool) -> Driver {
        let clock = Clock::new(start_paused);
        let base = clock.now();
        Driver {
            clock,
            base,
            inner: Mutex::new(Inner {
                wheel: Wheel::new(),
                parked: None,
            }),
            next_wake: AtomicU64::new(u64::MAX),
            token: TimerToken::new(),
        }
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The first tick at or after `deadline` (rounded up to the next millisecond).
    pub(crate) fn tick_at_or_after(&self, deadline: StdInstant) -> u64 {
        let since = deadline.saturating_duration_since(self.base);
        let ms = since.as_millis() + u128::from(!since.subsec_nanos().is_multiple_of(1_000_000));
        ms.min(u128::from(MAX_TICK)) as u64
    }

    /// The tick the clock is in now (rounded down).
    pub(crate) fn now_tick(&self) -> u64 {
        self.tick_now_floor(self.clock.now())
    }

    /// The tick `now` falls in (rounded down).
    pub(crate) fn tick_now_floor(&self, now: StdInstant) -> u64 {
        let since = now.saturating_duration_since(self.base);
        since.as_millis().min(u128::from(MAX_TICK)) as u64
    }

    fn instant_of(&self, tick: u64) -> StdInstant {
        super::instant::saturating_add(self.base, Duration::from_millis(tick))
    }

    /// (Re)schedules `entry` to fire at tick `when`: unlinks it if linked, clears its fired
    /// flag, and links it again, or fires it at once if `when` is already due.
    ///
    /// # Safety
    /// `entry` is pinned, stays live until [`Driver::unregister`] returns, belongs to this
    /// driver only, and its future is not being polled concurrently (the caller has it `&mut`).
    pub(crate) unsafe fn schedule(&self, entry: NonNull<TimerEntry>, when: u64) {
        let mut inner = self.inner.lock();
        // SAFETY: per the contract, and we hold the wheel lock.
        let linked = unsafe {
            inner.wheel.remove(entry);
            entry.as_ref().state.reset();
            TimerEntry::set_when(entry, when);
            inner.wheel.insert(entry)
        };
        if !linked {
            // SAFETY: live, and we hold the wheel lock.
            let waker = unsafe { entry.as_ref().state.fire() };
            drop(inner);
            if let Some(waker) = waker {
                waker.wake();
            }
            return;
        }
        if when < self.next_wake.load(Relaxed) {
            self.next_wake.store(when, Release);
        }
        if let Some((unparker, until)) = &inner.parked {
            if when < *until {
                unparker.unpark();
                inner.parked = None;
            }
        }
    }

    /// Unlinks `entry` if it is linked. After this returns the driver no longer touches it.
    ///
    /// # Safety
    /// `entry` is live and belongs to this driver (or was never scheduled).
    pub(crate) unsafe fn unregister(&self, entry: NonNull<TimerEntry>) {
        let mut inner = self.inner.lock();
        // SAFETY: live per the caller, and we hold the wheel lock; taking the lock also waits
        // out a `fire` in progress on this entry.
        unsafe { inner.wheel.remove(entry) };
    }

    /// Fires every timer that is due, if any is (cheap when none is: with no timer at all it
    /// does not even read the clock, which busy workers would otherwise do on every
    /// maintenance and every yield round).
    pub(crate) fn process(&self) {
        let next = self.next_wake.load(Acquire);
        if next == u64::MAX {
            return;
        }
        let now = self.now_tick();
        if now >= next {
            self.process_at(now);
        }
    }

    /// Whether any timer is registered.
    /// Whether no timer is linked in the wheel (checked under the lock).
    #[cfg(feature = "bench-internals")]
    pub(crate) fn wheel_is_empty(&self) -> bool {
        self.inner.lock().wheel.next_expiration().is_none()
    }

    pub(crate) fn has_timers(&self) -> bool {
        self.next_wake.load(Acquire) != u64::MAX
    }

    /// Advances the wheel to `now` and fires what is due, waking in batches outside the lock.
    pub(crate) fn process_at(&self, now: u64) {
        let mut batch = WakeBatch::new();
        loop {
            let mut inner = self.inner.lock();
            let mut finished = true;
            while let Some(entry) = inner.wheel.poll(now) {
                // SAFETY: the wheel hands out live entries (their futures unregister under
                // this lock before going away), and we hold the lock.
                if let Some(waker) = unsafe { entry.as_ref().state.fire() } {
                    batch.push(waker);
                    if !batch.can_push() {
                        finished = false;
                        break;
                    }
                }
            }
            if finished {
                let next = inner.wheel.next_expiration().unwrap_or(u64::MAX);
                self.next_wake.store(next, Release);
            }
            drop(inner);
            batch.wake_all();
            if finished {
                return;
            }
        }
    }

    /// Parks the calling scheduler thread until the next timer is due (or it is unparked),
    /// then fires what is due. On a paused clock with nothing else to do, jumps the clock to
    /// the next deadline instead of sleeping (auto-advance).
    ///
    /// Due timers are fired only *after* the park: a wake fired before it could queue a task
    /// on the parking worker itself, which would then sleep on it. An overdue timer just makes
    /// the timeout zero.
    ///
    /// With an I/O driver, the thread sleeps inside it (I/O events end the sleep too). On a
    /// paused clock, I/O that is ready right now is dispatched before the clock may jump: a
    /// socket with data wins over a timer. Auto-advance does not wait for sockets that are
    /// still silent, though (it cannot tell a reply that is on its way from one that never
    /// comes), so tests mixing paused time and real sockets should await the socket first.
    pub(crate) fn park(
        &self,
        parker: &Parker,
        spin: bool,
        io: Option<&std::sync::Arc<crate::io::driver::Driver>>,
    ) -> Parked {
        let park_for = |timeout: Option<Duration>, spin: bool| match io {
            Some(io) => parker.park_in_io(timeout, spin, io),
            None => parker.park_for(timeout, spin),
        };
        let mut inner = self.inner.lock();
        let next = inner.wheel.next_expiration();
        if self.clock.is_paused() {
            if parker.is_notified() {
                drop(inner);
                return park_for(Some(Duration::ZERO), false);
            }
            if self.clock.is_auto_advance_inhibited() {
                drop(inner);
                let parked = park_for(Some(INHIBITED_RECHECK), false);
                self.process();
                return parked;
            }
            if let Some(tick) = next {
                drop(inner);
                if let Some(io) = io {
                    let before = io.counts().1;
                    io.turn(Some(Duration::ZERO));
                    if io.counts().1 != before || parker.is_notified() {
                        return Parked::WithoutSleeping;
                    }
                }
                self.clock.advance_to(self.instant_of(tick));
                self.process_at(tick);
                return Parked::WithoutSleeping;
            }
        }
        let timeout = next.map(|tick| {
            self.instant_of(tick)
                .saturating_duration_since(self.clock.now())
        });
        inner.parked = Some((parker.unparker(), next.unwrap_or(u64::MAX)));
        drop(inner);
        let parked = park_for(timeout, spin);
        self.inner.lock().parked = None;
        self.process();
        parked
    }

    /// Pauses the clock on a tick edge, so whole-millisecond sleeps end exactly on ticks.
    #[track_caller]
    pub(crate) fn pause(&self) {
        self.clock.pause();
        let now = self.clock.now();
        self.clock
            .advance_to(self.instant_of(self.tick_at_or_after(now)));
    }

    /// Claims the right to park with the wheel's timeout; false if another thread has it.
    pub(crate) fn try_acquire_token(&self) -> bool {
        self.token.try_acquire()
    }

    pub(crate) fn release_token(&self) {
        self.token.release();
    }
}

#[cfg(all(test, not(blitz_loom)))]
mod tests {
    use std::pin::pin;
    use std::ptr::NonNull;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use super::Driver;
    use crate::runtime::park::Parker;
    use crate::time::wheel::entry::TimerEntry;

    /// A thread parked for the wheel until a far deadline is woken by a nearer timer
    /// registered afterwards (deterministic: the test waits until the park is recorded).
    #[test]
    fn an_earlier_timer_unparks_the_thread_parked_for_the_wheel() {
        let driver = Arc::new(Driver::new(false));
        let far = pin!(TimerEntry::new());
        let near = pin!(TimerEntry::new());
        let far = NonNull::from(&*far);
        let near = NonNull::from(&*near);
        // SAFETY: both entries are pinned on this stack frame and unregistered before it ends;
        // the parking thread never touches them.
        unsafe { driver.schedule(far, driver.now_tick() + 3_600_000) };
        let (parked_tx, parked_rx) = std::sync::mpsc::channel();
        let parking = {
            let driver = driver.clone();
            std::thread::spawn(move || {
                let parker = Parker::new();
                let start = Instant::now();
                driver.park(&parker, false, None);
                let _ = parked_tx.send(start.elapsed());
            })
        };
        while driver.inner.lock().parked.is_none() {
            std::thread::yield_now();
        }
        // SAFETY: as above.
        unsafe { driver.schedule(near, driver.now_tick() + 5) };
        let parked_for = parked_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the parked thread was not woken by the earlier timer");
        assert!(parked_for < Duration::from_secs(5), "{parked_for:?}");
        parking.join().unwrap();
        // SAFETY: as above.
        unsafe {
            driver.unregister(far);
            driver.unregister(near);
        }
    }
}
