//! The time driver: one timer wheel per worker, each behind its own lock, advanced by the
//! schedulers' park path.
//!
//! A timer joins the wheel of the worker that first polls it (its `Sleep` records which) and
//! stays there: resets and the drop, on whatever thread, take that wheel's lock, so the entry
//! (which lives inside the future) is unlinked before it is gone. Registering and cancelling
//! timers on different workers therefore take different locks; measured with
//! `benches/src/bin/wheel_contention.rs`, one shared wheel cost ~300 ns of CPU per timer with
//! two threads at it, per-worker wheels ~56 ns (see `docs/decisions.md`). Each wheel keeps an
//! atomic copy of a lower bound of its earliest deadline, so "is anything due?" is a clock
//! read and a load per wheel, with no lock.
//!
//! Who advances the wheels: any scheduler thread fires whatever is due in any wheel
//! ([`Driver::process`], on a busy worker's maintenance interval), and the one thread holding
//! the "timer token" parks through [`Driver::park`] until the earliest deadline of all wheels.
//! A timer registered with an earlier deadline than the one that thread sleeps to unparks it:
//! the parker publishes "computing" before it reads the wheels and its deadline after, and a
//! registration reads that word after it linked its entry, so one of the two sees the other.
//! Due entries are fired under their wheel's lock into a [`WakeBatch`]; the wakers run after
//! it is released.

use core::ptr::NonNull;
use std::time::{Duration, Instant as StdInstant};

use super::clock::Clock;
use super::wheel::entry::TimerEntry;
use super::wheel::Wheel;
use crate::loom::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use crate::loom::sync::Mutex;
use crate::runtime::park::{Parked, Parker, Unparker};
use crate::util::cache_padded::CachePadded;
use crate::util::wake_batch::WakeBatch;

/// Deadlines are kept below this tick so arithmetic on them never overflows.
const MAX_TICK: u64 = u64::MAX / 4;

/// How often a paused clock whose auto-advance is held off looks again.
const INHIBITED_RECHECK: Duration = Duration::from_millis(1);

/// `parked_until` when no thread is parked for the wheels: no registration unparks anyone.
const NOBODY_PARKED: u64 = 0;

pub(crate) struct Driver {
    clock: Clock,
    /// The instant of tick 0.
    base: StdInstant,
    /// One wheel per worker (one for the current-thread scheduler).
    shards: Box<[CachePadded<Shard>]>,
    /// The tick the thread parked for the wheels sleeps until: `NOBODY_PARKED`, a tick, or
    /// `u64::MAX` (until unparked, or: it is reading the wheels, so every new timer must wake
    /// it).
    parked_until: AtomicU64,
    /// How to wake the thread parked for the wheels (read only to wake it).
    parked: Mutex<Option<Unparker>>,
    /// Held by the one scheduler thread that parks with the wheels' timeout.
    token: TimerToken,
}

/// One wheel and the lower bound of its earliest deadline (`u64::MAX`: empty).
struct Shard {
    wheel: Mutex<Wheel>,
    next_wake: AtomicU64,
}

/// The right to park with the wheels' timeout (and inside the I/O driver): one holder at a
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

impl Driver {
    /// A driver with `shards` wheels (at least one).
    pub(crate) fn new(start_paused: bool, shards: usize) -> Driver {
        let clock = Clock::new(start_paused);
        let base = clock.now();
        Driver {
            clock,
            base,
            shards: (0..shards.max(1))
                .map(|_| {
                    CachePadded(Shard {
                        wheel: Mutex::new(Wheel::new()),
                        next_wake: AtomicU64::new(u64::MAX),
                    })
                })
                .collect(),
            parked_until: AtomicU64::new(NOBODY_PARKED),
            parked: Mutex::new(None),
            token: TimerToken::new(),
        }
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The wheel a timer first polled on this thread joins: the current worker's, any wheel
    /// elsewhere (all are correct; only contention differs).
    pub(crate) fn local_shard(&self) -> u32 {
        let worker = crate::runtime::scheduler::current_worker_index().unwrap_or(0);
        (worker % self.shards.len()) as u32
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

    fn shard(&self, shard: u32) -> &Shard {
        &self.shards[shard as usize]
    }

    /// (Re)schedules `entry` to fire at tick `when` in wheel `shard`: unlinks it if linked,
    /// clears its fired flag, and links it again, or fires it at once if `when` is already due.
    ///
    /// # Safety
    /// `entry` is pinned, stays live until [`Driver::unregister`] returns, belongs to this
    /// driver's wheel `shard` only (the same `shard` on every call for it), and its future is
    /// not being polled concurrently (the caller has it `&mut`).
    pub(crate) unsafe fn schedule(&self, entry: NonNull<TimerEntry>, when: u64, shard: u32) {
        let shard = self.shard(shard);
        let mut wheel = shard.wheel.lock();
        // SAFETY: per the contract, and we hold the wheel's lock.
        let linked = unsafe {
            wheel.remove(entry);
            entry.as_ref().state.reset();
            TimerEntry::set_when(entry, when);
            wheel.insert(entry)
        };
        if !linked {
            // SAFETY: live, and we hold the wheel's lock.
            let waker = unsafe { entry.as_ref().state.fire() };
            drop(wheel);
            if let Some(waker) = waker {
                waker.wake();
            }
            return;
        }
        if when < shard.next_wake.load(Relaxed) {
            shard.next_wake.store(when, SeqCst);
        }
        drop(wheel);
        self.unpark_if_earlier(when);
    }

    /// The registration side of the park handshake, once the entry is linked: a parked
    /// thread that read this wheel before the link has published its deadline, or
    /// "computing", by now (see the module doc).
    fn unpark_if_earlier(&self, when: u64) {
        if when < self.parked_until.load(SeqCst) {
            if let Some(unparker) = &*self.parked.lock() {
                unparker.unpark();
            }
        }
    }

    /// The parking side of the handshake: publishes "computing", reads every wheel, then
    /// publishes the deadline it will sleep to, which it returns. A timer linked after this
    /// thread read its wheel sees one of the two published words and unparks it.
    pub(super) fn publish_park(&self, parker: &Parker) -> Option<u64> {
        *self.parked.lock() = Some(parker.unparker());
        self.parked_until.store(u64::MAX, SeqCst);
        let next = self.next_expiration();
        self.parked_until.store(next.unwrap_or(u64::MAX), SeqCst);
        next
    }

    /// Unlinks `entry` from wheel `shard` if it is linked. After this returns the driver no
    /// longer touches it.
    ///
    /// # Safety
    /// `entry` is live and belongs to this driver's wheel `shard` (or was never scheduled).
    pub(crate) unsafe fn unregister(&self, entry: NonNull<TimerEntry>, shard: u32) {
        let mut wheel = self.shard(shard).wheel.lock();
        // SAFETY: live per the caller, and we hold the wheel's lock; taking the lock also
        // waits out a `fire` in progress on this entry.
        unsafe { wheel.remove(entry) };
    }

    /// Fires every timer that is due, in every wheel (cheap when none is: with no timer at all
    /// it does not even read the clock, which busy workers would otherwise do on every
    /// maintenance and every yield round).
    pub(crate) fn process(&self) {
        let mut now = None;
        for shard in self.shards.iter() {
            let next = shard.next_wake.load(Acquire);
            if next == u64::MAX {
                continue;
            }
            let now = *now.get_or_insert_with(|| self.now_tick());
            if now >= next {
                self.process_shard(shard, now);
            }
        }
    }

    /// Whether no timer is linked in any wheel (checked under the locks).
    #[cfg(feature = "bench-internals")]
    pub(crate) fn wheel_is_empty(&self) -> bool {
        self.next_expiration().is_none()
    }

    /// Whether any timer is registered (a lower bound: a cancelled timer may count until its
    /// wheel is next processed).
    pub(crate) fn has_timers(&self) -> bool {
        self.shards
            .iter()
            .any(|shard| shard.next_wake.load(Acquire) != u64::MAX)
    }

    /// Advances every wheel to `now` and fires what is due, waking in batches outside the
    /// locks.
    pub(crate) fn process_at(&self, now: u64) {
        for shard in self.shards.iter() {
            self.process_shard(shard, now);
        }
    }

    fn process_shard(&self, shard: &Shard, now: u64) {
        let mut batch = WakeBatch::new();
        loop {
            let mut wheel = shard.wheel.lock();
            let mut finished = true;
            while let Some(entry) = wheel.poll(now) {
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
                let next = wheel.next_expiration().unwrap_or(u64::MAX);
                shard.next_wake.store(next, Release);
            }
            drop(wheel);
            batch.wake_all();
            if finished {
                return;
            }
        }
    }

    /// The earliest deadline of all wheels, read under each wheel's lock (each wheel's atomic
    /// lower bound is refreshed on the way).
    fn next_expiration(&self) -> Option<u64> {
        let mut earliest: Option<u64> = None;
        for shard in self.shards.iter() {
            let wheel = shard.wheel.lock();
            let next = wheel.next_expiration();
            shard.next_wake.store(next.unwrap_or(u64::MAX), Release);
            drop(wheel);
            earliest = match (earliest, next) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        earliest
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
        if self.clock.is_paused() {
            let next = self.next_expiration();
            // Inhibitors first: a blocking job releases its inhibitor only after waking the
            // task that waits for it, so seeing none left means that wake is visible below.
            let inhibited = self.clock.is_auto_advance_inhibited();
            if parker.is_notified() {
                return park_for(Some(Duration::ZERO), false);
            }
            if inhibited {
                let parked = park_for(Some(INHIBITED_RECHECK), false);
                self.process();
                return parked;
            }
            if let Some(tick) = next {
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
        let next = self.publish_park(parker);
        let timeout = next.map(|tick| {
            self.instant_of(tick)
                .saturating_duration_since(self.clock.now())
        });
        let parked = park_for(timeout, spin);
        self.parked_until.store(NOBODY_PARKED, SeqCst);
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

    /// Claims the right to park with the wheels' timeout; false if another thread has it.
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

    /// A thread parked for the wheels until a far deadline (in one wheel) is woken by a nearer
    /// timer registered afterwards in another wheel (deterministic: the test waits until the
    /// park is recorded).
    #[test]
    fn an_earlier_timer_unparks_the_thread_parked_for_the_wheel() {
        let driver = Arc::new(Driver::new(false, 2));
        let far = pin!(TimerEntry::new());
        let near = pin!(TimerEntry::new());
        let far = NonNull::from(&*far);
        let near = NonNull::from(&*near);
        // SAFETY: both entries are pinned on this stack frame and unregistered before it ends;
        // the parking thread never touches them.
        unsafe { driver.schedule(far, driver.now_tick() + 3_600_000, 0) };
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
        // Wait until the park has published its (far) deadline.
        loop {
            let until = driver
                .parked_until
                .load(std::sync::atomic::Ordering::SeqCst);
            if until != super::NOBODY_PARKED && until != u64::MAX {
                break;
            }
            std::thread::yield_now();
        }
        // SAFETY: as above.
        unsafe { driver.schedule(near, driver.now_tick() + 5, 1) };
        let parked_for = parked_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the parked thread was not woken by the earlier timer");
        assert!(parked_for < Duration::from_secs(5), "{parked_for:?}");
        parking.join().unwrap();
        // SAFETY: as above.
        unsafe {
            driver.unregister(far, 0);
            driver.unregister(near, 1);
        }
    }
}
