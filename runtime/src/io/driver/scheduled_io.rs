//! The per-socket state the driver shares with the socket's futures.
//!
//! One atomic word holds the readiness bits the driver last saw, a "driver shut down" flag and
//! a tick that grows with every driver update. A task that tried an operation and got
//! `WouldBlock` clears the bits it had observed, but only if the tick is still the one it
//! observed: readiness reported by the driver after the task looked is never erased.
//!
//! Waiting tasks sit in two places behind one small mutex: a waker slot each for the reader and
//! the writer (the `AsyncRead`/`AsyncWrite` and owned-buffer paths, which keep no pinned node),
//! and a wake-all list of pinned nodes for the `readable()`/`writable()`/`ready()` futures. A
//! slot normally holds one task's waker; a second task waiting in the same direction at once
//! (two `read_owned` on one `&TcpStream`) is kept beside it rather than replacing it, so
//! neither loses its wake. Every wait registers first and checks the word again
//! under the lock, and the driver stores the word before it takes the lock to wake: no wake is
//! lost. Wakers are fired after the lock is released.

use std::io;
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

use crate::io::ready::{Interest, Ready};
use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::sync::Mutex;
use crate::util::waiters::{Waiter, WaiterList};
use crate::util::wake_batch::WakeBatch;

const READY_MASK: usize = 0x1f;
const SHUTDOWN: usize = 0x80;
const TICK_SHIFT: u32 = 8;

/// Readiness the driver reported, stamped with the tick it was seen at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadyEvent {
    pub(crate) ready: Ready,
    tick: usize,
}

/// Which waker slot a by-`&mut` poll uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Direction {
    pub(crate) fn interest(self) -> Interest {
        match self {
            Direction::Read => Interest::READABLE,
            Direction::Write => Interest::WRITABLE,
        }
    }
}

pub(crate) struct ScheduledIo {
    word: AtomicUsize,
    waiters: Mutex<Waiters>,
}

struct Waiters {
    reader: SlotWakers,
    writer: SlotWakers,
    list: WaiterList,
}

impl Waiters {
    fn slot(&mut self, direction: Direction) -> &mut SlotWakers {
        match direction {
            Direction::Read => &mut self.reader,
            Direction::Write => &mut self.writer,
        }
    }
}

/// One direction's slot: the latest waker registered, and the wakers of other tasks that
/// waited in the same direction before it and have not been woken yet (almost always none).
#[derive(Default)]
struct SlotWakers {
    latest: Option<Waker>,
    others: Vec<Waker>,
}

/// How many displaced wakers a slot keeps. Each is a task that polled this direction and was
/// not woken since; a caller that polls with a fresh waker every time (a future moved between
/// executors, say) would otherwise grow the list until the next event. Past the bound the
/// oldest is woken early: a spurious wake, after which its task polls and registers again.
const MAX_DISPLACED_WAKERS: usize = 32;

impl SlotWakers {
    /// Registers `new`; a different waker already registered stays, to be woken too. Returns
    /// a waker the caller must wake once the lock is released (the oldest, when the slot is
    /// full).
    #[must_use = "a waker pushed out of a full slot must be woken"]
    fn register(&mut self, new: &Waker) -> Option<Waker> {
        match &self.latest {
            Some(stored) if stored.will_wake(new) => None,
            Some(_) => {
                self.others.retain(|other| !other.will_wake(new));
                let displaced = self.latest.replace(new.clone());
                self.others.extend(displaced);
                (self.others.len() > MAX_DISPLACED_WAKERS).then(|| self.others.remove(0))
            }
            None => {
                self.latest = Some(new.clone());
                None
            }
        }
    }

    fn pop(&mut self) -> Option<Waker> {
        self.latest.take().or_else(|| self.others.pop())
    }

    fn clear(&mut self) {
        self.latest = None;
        self.others.clear();
    }
}

impl ScheduledIo {
    pub(crate) fn new() -> ScheduledIo {
        ScheduledIo {
            word: AtomicUsize::new(0),
            waiters: Mutex::new(Waiters {
                reader: SlotWakers::default(),
                writer: SlotWakers::default(),
                list: WaiterList::new(),
            }),
        }
    }

    /// Driver side: adds `ready` to the word (a new tick) and wakes whoever it concerns.
    pub(crate) fn set_readiness(&self, ready: Ready, batch: &mut WakeBatch) {
        let mut current = self.word.load(Acquire);
        loop {
            let tick = (current >> TICK_SHIFT).wrapping_add(1);
            let next = (tick << TICK_SHIFT)
                | (current & SHUTDOWN)
                | (current & READY_MASK)
                | usize::from(ready.bits());
            match self
                .word
                .compare_exchange_weak(current, next, AcqRel, Acquire)
            {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        self.wake(ready, batch);
    }

    /// Driver shut down: every wait ends with an error from now on.
    pub(crate) fn shutdown(&self, batch: &mut WakeBatch) {
        self.word.fetch_or(SHUTDOWN, AcqRel);
        self.wake(Ready::from_bits(0x1f), batch);
    }

    fn wake(&self, ready: Ready, batch: &mut WakeBatch) {
        let mut waiters = self.waiters.lock();
        let wake_reader = ready.is_readable() || ready.is_error();
        let wake_writer = ready.is_writable() || ready.is_error();
        for (wanted, direction) in [
            (wake_reader, Direction::Read),
            (wake_writer, Direction::Write),
        ] {
            if !wanted {
                continue;
            }
            while let Some(waker) = waiters.slot(direction).pop() {
                if !batch.can_push() {
                    drop(waiters);
                    batch.wake_all();
                    waiters = self.waiters.lock();
                }
                batch.push(waker);
            }
        }
        while waiters.list.take_wakers(batch) {
            drop(waiters);
            batch.wake_all();
            waiters = self.waiters.lock();
        }
    }

    /// The readiness that satisfies `interest` right now, if any.
    fn ready_now(&self, interest: Interest) -> Option<io::Result<ReadyEvent>> {
        let word = self.word.load(Acquire);
        if word & SHUTDOWN != 0 {
            return Some(Err(shut_down()));
        }
        let ready = Ready::from_bits((word & READY_MASK) as u8).intersection(interest);
        (!ready.is_empty()).then_some(Ok(ReadyEvent {
            ready,
            tick: word >> TICK_SHIFT,
        }))
    }

    /// The readiness satisfying `interest` now (`Ok(None)`: not ready), without waiting.
    pub(crate) fn try_ready(&self, interest: Interest) -> io::Result<Option<ReadyEvent>> {
        self.ready_now(interest).transpose()
    }

    /// Polls for `direction`'s readiness, keeping `cx`'s waker in that direction's slot.
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        let interest = direction.interest();
        if let Some(ready) = self.ready_now(interest) {
            return Poll::Ready(ready);
        }
        let pushed_out = self.waiters.lock().slot(direction).register(cx.waker());
        if let Some(waker) = pushed_out {
            waker.wake();
        }
        match self.ready_now(interest) {
            Some(ready) => Poll::Ready(ready),
            None => Poll::Pending,
        }
    }

    /// As `poll_ready`, for a future that owns the pinned `node`.
    ///
    /// # Safety
    /// `node` is pinned and stays alive until [`remove_waiter`](Self::remove_waiter) has been
    /// called with it, and it is never registered with another `ScheduledIo`.
    pub(crate) unsafe fn poll_ready_with_node(
        &self,
        cx: &mut Context<'_>,
        interest: Interest,
        node: NonNull<Waiter>,
    ) -> Poll<io::Result<ReadyEvent>> {
        if let Some(ready) = self.ready_now(interest) {
            return Poll::Ready(ready);
        }
        let mut waiters = self.waiters.lock();
        // SAFETY: per the contract, and we hold the lock that guards the list.
        unsafe { waiters.list.register(node, cx.waker()) };
        match self.ready_now(interest) {
            Some(ready) => Poll::Ready(ready),
            None => Poll::Pending,
        }
    }

    /// Unlinks `node` if it is linked.
    ///
    /// # Safety
    /// `node` is live and, if linked, linked in this `ScheduledIo`'s list.
    pub(crate) unsafe fn remove_waiter(&self, node: NonNull<Waiter>) {
        let mut waiters = self.waiters.lock();
        // SAFETY: per the contract, under the lock.
        unsafe { waiters.list.remove(node) };
    }

    /// Forgets the readiness in `event` (an operation returned `WouldBlock`) unless the driver
    /// reported something newer meanwhile. Closed bits stay: they are final. The error bit
    /// goes with the rest: a socket error is consumed by the operation that reports it (a
    /// connected UDP socket's ICMP error is returned by one `recv`, and the socket goes on), so
    /// an operation that found nothing proves it gone; a new error brings a new event.
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        let clearable = Ready::READABLE | Ready::WRITABLE | Ready::ERROR;
        let clear = usize::from(clearable.bits() & event.ready.bits());
        let mut current = self.word.load(Acquire);
        while current >> TICK_SHIFT == event.tick {
            match self
                .word
                .compare_exchange_weak(current, current & !clear, AcqRel, Acquire)
            {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }

    /// Drops the stored wakers (the socket is being deregistered).
    pub(crate) fn clear_wakers(&self) {
        let mut waiters = self.waiters.lock();
        waiters.reader.clear();
        waiters.writer.clear();
    }
}

pub(crate) fn shut_down() -> io::Error {
    io::Error::other("the blitz-io runtime that drives this socket has shut down")
}

impl std::fmt::Debug for ScheduledIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let word = self.word.load(Relaxed);
        f.debug_struct("ScheduledIo")
            .field("ready", &Ready::from_bits((word & READY_MASK) as u8))
            .field("shutdown", &(word & SHUTDOWN != 0))
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(blitz_loom)))]
mod tests {
    use super::{SlotWakers, MAX_DISPLACED_WAKERS};
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;
    use std::task::{Wake, Waker};

    /// A waker of its own task: counts how often any waker of the test was woken.
    struct Counted(Arc<AtomicUsize>);

    impl Wake for Counted {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    #[test]
    fn a_slot_keeps_a_bounded_number_of_wakers_and_loses_none() {
        let woken = Arc::new(AtomicUsize::new(0));
        let mut slot = SlotWakers::default();
        let total = 100;
        for _ in 0..total {
            let waker = Waker::from(Arc::new(Counted(woken.clone())));
            if let Some(pushed_out) = slot.register(&waker) {
                pushed_out.wake();
            }
        }
        assert_eq!(
            slot.others.len(),
            MAX_DISPLACED_WAKERS,
            "the slot stays bounded"
        );
        let kept = 1 + MAX_DISPLACED_WAKERS;
        assert_eq!(
            woken.load(SeqCst),
            total - kept,
            "each waker pushed out was woken"
        );
        while let Some(waker) = slot.pop() {
            waker.wake();
        }
        assert_eq!(woken.load(SeqCst), total, "every waker woken exactly once");
    }

    #[test]
    fn the_same_task_polling_again_adds_nothing() {
        let woken = Arc::new(AtomicUsize::new(0));
        let first = Waker::from(Arc::new(Counted(woken.clone())));
        let second = Waker::from(Arc::new(Counted(woken.clone())));
        let mut slot = SlotWakers::default();
        for _ in 0..10 {
            assert!(slot.register(&first).is_none());
            assert!(slot.register(&second).is_none());
        }
        assert!(slot.latest.as_ref().is_some_and(|w| w.will_wake(&second)));
        assert_eq!(
            slot.others.len(),
            1,
            "only the first task's waker is kept beside it"
        );
    }
}
