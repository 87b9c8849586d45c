//! The batch semaphore core under `Semaphore`, `Mutex` and `RwLock`.
//!
//! **State word.** `state` holds `permits << 2 | WAITERS | CLOSED`. While `WAITERS` is clear the
//! queue is empty and both acquiring and releasing are one compare-and-swap on the word: the
//! uncontended paths never touch the lock. `WAITERS` is set and cleared only under the lock,
//! and while it is set the word holds **zero** permits: every permit that becomes available is
//! handed, under the lock, to the queue's front waiter. That is what makes the queue FIFO: a
//! newcomer can never see a permit a queued waiter is owed, and a large request at the front
//! keeps what it has collected while later small ones wait behind it.
//!
//! **Waiters.** An [`Acquire`] future embeds its [`Waiter`] node; the queue is the crate's
//! intrusive `LinkedList` behind one mutex, so waiting allocates nothing. A waiter's `remaining`
//! count (permits still owed) is written under the lock and read by its owner without it: the
//! releaser that satisfies a waiter first unlinks it and takes its waker, and only then stores
//! `remaining = 0`, its last touch of the node, so an owner that reads zero owns the node again.
//! Wakers are collected in a `WakeBatch` and fired after the lock is released.
//!
//! **Cancellation.** Dropping a queued `Acquire` unlinks the node and releases whatever permits
//! it had been handed, which flow on to the next waiters: nothing leaks, no wake is lost.
//! **Close** sets `CLOSED`, empties the queue and wakes everyone; their futures return the
//! permits they collected and report the error.

use core::fmt;
use core::marker::PhantomPinned;
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{Context, Poll, Waker};

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::sync::{Mutex, MutexGuard};
use crate::task::coop;
use crate::util::linked_list::{Link, LinkedList, Pointers};
use crate::util::wake_batch::{register_waker, WakeBatch};

/// The most permits a semaphore can hold: `usize::MAX >> 3`.
pub(crate) const MAX_PERMITS: usize = usize::MAX >> 3;

const CLOSED: usize = 0b01;
const WAITERS: usize = 0b10;
const SHIFT: u32 = 2;

/// Defines `fn`s that are `const` in normal builds; under loom (whose cells and atomics register
/// with the model at construction) they are plain `fn`s.
macro_rules! const_unless_loom {
    ($(#[$meta:meta])* $vis:vis fn $($rest:tt)*) => {
        #[cfg(not(blitz_loom))]
        $(#[$meta])* $vis const fn $($rest)*
        #[cfg(blitz_loom)]
        $(#[$meta])* $vis fn $($rest)*
    };
}
pub(crate) use const_unless_loom;

/// The semaphore core: the state word and the FIFO queue of waiters.
pub(crate) struct Batch {
    state: AtomicUsize,
    waiters: Mutex<LinkedList<WaiterLink>>,
}

/// The semaphore was closed; returned to waiters and later acquirers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Closed;

/// Why an immediate acquire failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TryAcquire {
    Closed,
    NoPermits,
}

impl Batch {
    const_unless_loom! {
        /// A semaphore with `permits` permits.
        ///
        /// # Panics
        ///
        /// If `permits` exceeds [`MAX_PERMITS`].
        pub(crate) fn new(permits: usize) -> Batch {
            assert!(permits <= MAX_PERMITS, "a semaphore holds at most MAX_PERMITS (usize::MAX >> 3) permits");
            Batch {
                state: AtomicUsize::new(permits << SHIFT),
                waiters: Mutex::new(LinkedList::new()),
            }
        }
    }

    /// Permits not held by anyone (zero while anyone waits).
    pub(crate) fn available_permits(&self) -> usize {
        self.state.load(Acquire) >> SHIFT
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.state.load(Acquire) & CLOSED != 0
    }

    /// Takes `n` permits now, without queueing. Never takes a permit a waiter is owed.
    #[inline]
    pub(crate) fn try_acquire(&self, n: u32) -> Result<(), TryAcquire> {
        let n = n as usize;
        let mut current = self.state.load(Acquire);
        loop {
            if current & CLOSED != 0 {
                return Err(TryAcquire::Closed);
            }
            // With WAITERS set the word holds no permits, so this also refuses to barge.
            if current >> SHIFT < n {
                return Err(TryAcquire::NoPermits);
            }
            let next = current - (n << SHIFT);
            match self
                .state
                .compare_exchange_weak(current, next, AcqRel, Acquire)
            {
                Ok(_) => return Ok(()),
                Err(actual) => current = actual,
            }
        }
    }

    /// Returns `n` permits, handing them to queued waiters first.
    ///
    /// # Panics
    ///
    /// If the semaphore would then hold more than [`MAX_PERMITS`].
    #[inline]
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let mut current = self.state.load(Acquire);
        while current & WAITERS == 0 {
            let next = add_to_word(current, n);
            match self
                .state
                .compare_exchange_weak(current, next, AcqRel, Acquire)
            {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
        self.release_slow(n);
    }

    #[cold]
    fn release_slow(&self, n: usize) {
        if n > MAX_PERMITS {
            // Refuse before handing anything out: the waiters can never absorb more than the
            // maximum, so the leftover would overflow the word once they are served.
            too_many_permits(0, n);
        }
        let waiters = self.waiters.lock();
        self.release_locked(n, waiters);
    }

    /// Hands `n` permits to the queue front to back (whole requests leave the queue and their
    /// wakers are fired after unlocking); what nobody waits for goes back to the word.
    fn release_locked<'a>(
        &'a self,
        mut n: usize,
        mut waiters: MutexGuard<'a, LinkedList<WaiterLink>>,
    ) {
        let mut wakes = WakeBatch::new();
        loop {
            let closed = self.state.load(Acquire) & CLOSED != 0;
            let front = if closed { None } else { waiters.front() };
            let Some(front) = front else {
                // Nobody waits (any more), or a close is emptying the queue and no waiter may
                // be granted anything: the leftover goes to the word, and WAITERS clears unless
                // `close` is still draining (it clears the flag itself).
                let mut current = self.state.load(Acquire);
                loop {
                    let mut next = add_to_word(current, n);
                    if waiters.is_empty() {
                        next &= !WAITERS;
                    }
                    match self
                        .state
                        .compare_exchange_weak(current, next, AcqRel, Acquire)
                    {
                        Ok(_) => break,
                        Err(actual) => current = actual,
                    }
                }
                break;
            };
            // SAFETY: `front` is linked in the queue we hold locked, so its owner has not
            // freed it (an owner frees a queued node only after unlinking it under this lock).
            let waiter = unsafe { front.as_ref() };
            let owed = waiter.remaining.load(Relaxed);
            if n < owed {
                // A partial hand-off: the waiter keeps what it got and stays at the front.
                waiter.remaining.store(owed - n, Release);
                break;
            }
            if !wakes.can_push() {
                // The batch is full: fire it without the lock, then carry on.
                drop(waiters);
                wakes.wake_all();
                waiters = self.waiters.lock();
                continue;
            }
            n -= owed;
            waiters.pop_front();
            // SAFETY: the waiter was just unlinked under the lock; its owner touches the waker
            // slot only under this lock, and waits for `remaining == 0` before reusing the node.
            if let Some(waker) = waiter.waker.with_mut(|slot| unsafe { (*slot).take() }) {
                wakes.push(waker);
            }
            // The last touch of the node: from here its owner may free it.
            waiter.remaining.store(0, Release);
            if n == 0 && !waiters.is_empty() {
                break;
            }
            // Otherwise go round: with permits left, the next waiter is served; with an empty
            // queue, WAITERS is cleared so the next release takes the lock-free path again.
        }
        drop(waiters);
        wakes.wake_all();
    }

    /// Removes up to `n` available permits for good; returns how many.
    pub(crate) fn forget_permits(&self, n: usize) -> usize {
        let mut current = self.state.load(Acquire);
        loop {
            let taken = n.min(current >> SHIFT);
            if taken == 0 {
                return 0;
            }
            let next = current - (taken << SHIFT);
            match self
                .state
                .compare_exchange_weak(current, next, AcqRel, Acquire)
            {
                Ok(_) => return taken,
                Err(actual) => current = actual,
            }
        }
    }

    /// Closes the semaphore: later acquires fail, and every waiter is woken to fail too.
    pub(crate) fn close(&self) {
        let mut wakes = WakeBatch::new();
        let mut waiters = self.waiters.lock();
        self.state.fetch_or(CLOSED, AcqRel);
        loop {
            while wakes.can_push() {
                let Some(node) = waiters.pop_front() else {
                    break;
                };
                // SAFETY: just unlinked under the lock, so the node is alive; its owner sees
                // `remaining != 0`, so it locks before looking again.
                let slot = unsafe { &node.0.as_ref().waker };
                // SAFETY: the waker slot is only touched under the lock, which we hold.
                if let Some(waker) = slot.with_mut(|slot| unsafe { (*slot).take() }) {
                    wakes.push(waker);
                }
            }
            if waiters.is_empty() {
                self.state.fetch_and(!WAITERS, AcqRel);
                break;
            }
            drop(waiters);
            wakes.wake_all();
            waiters = self.waiters.lock();
        }
        drop(waiters);
        wakes.wake_all();
    }
}

/// `current` with `n` more permits.
#[inline]
fn add_to_word(current: usize, n: usize) -> usize {
    let permits = current >> SHIFT;
    if n > MAX_PERMITS - permits {
        too_many_permits(permits, n);
    }
    current + (n << SHIFT)
}

#[cold]
#[track_caller]
fn too_many_permits(held: usize, added: usize) -> ! {
    panic!(
        "a semaphore holds at most MAX_PERMITS (usize::MAX >> 3 = {MAX_PERMITS}) permits: \
         adding {added} to {held} would exceed it"
    )
}

impl fmt::Debug for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.load(Relaxed);
        f.debug_struct("Semaphore")
            .field("permits", &(state >> SHIFT))
            .field("closed", &(state & CLOSED != 0))
            .field("waiters", &(state & WAITERS != 0))
            .finish()
    }
}

/// The node an [`Acquire`] future links into the queue.
pub(crate) struct Waiter {
    pointers: Pointers<Waiter>,
    /// Permits still owed. Written under the lock; read by the owner without it.
    remaining: AtomicUsize,
    /// Only read or written under the queue's lock.
    waker: UnsafeCell<Option<Waker>>,
    _pinned: PhantomPinned,
}

// SAFETY: the waker slot and the links are only accessed under the queue's lock, and
// `remaining` is atomic, so sharing a `&Waiter` between threads is sound.
unsafe impl Sync for Waiter {}

/// A queued waiter, as the list owns it: a plain pointer into the owner's pinned future.
pub(crate) struct WaiterPtr(NonNull<Waiter>);

// SAFETY: a `WaiterPtr` is only dereferenced under the queue's lock, and owners unlink their
// node under that lock before freeing it.
unsafe impl Send for WaiterPtr {}

pub(crate) struct WaiterLink;

// SAFETY: `pointers` projects to the waiter's own field; a waiter lives in a pinned `Acquire`
// that unlinks it before it is dropped, and is in at most one queue; `from_raw` rebuilds the
// plain pointer `push_back` forgot.
unsafe impl Link for WaiterLink {
    type Handle = WaiterPtr;
    type Target = Waiter;

    fn as_raw(handle: &WaiterPtr) -> NonNull<Waiter> {
        handle.0
    }

    unsafe fn from_raw(ptr: NonNull<Waiter>) -> WaiterPtr {
        WaiterPtr(ptr)
    }

    unsafe fn pointers(target: NonNull<Waiter>) -> NonNull<Pointers<Waiter>> {
        // SAFETY: the caller promises `target` is live; the projection stays inside it.
        unsafe { NonNull::new_unchecked(&raw mut (*target.as_ptr()).pointers) }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Not polled yet.
    Idle,
    /// The node is (or was, until a release or close took it out) in the queue.
    Queued,
    /// The output was returned; the permits belong to the caller.
    Done,
}

/// The future core of every acquire: `n` permits from `sem`, FIFO.
pub(crate) struct Acquire<'a> {
    sem: &'a Batch,
    node: Waiter,
    requested: u32,
    phase: Phase,
}

impl<'a> Acquire<'a> {
    pub(crate) fn new(sem: &'a Batch, requested: u32) -> Acquire<'a> {
        // Reachable only where `usize` has 32 bits: such a request could never be served.
        assert!(
            requested as usize <= MAX_PERMITS,
            "acquire_many({requested}) asks for more than Semaphore::MAX_PERMITS \
             ({MAX_PERMITS}), which no semaphore can hold: ask for fewer permits"
        );
        Acquire {
            sem,
            node: Waiter {
                pointers: Pointers::new(),
                remaining: AtomicUsize::new(requested as usize),
                waker: UnsafeCell::new(None),
                _pinned: PhantomPinned,
            },
            requested,
            phase: Phase::Idle,
        }
    }

    pub(crate) fn requested(&self) -> u32 {
        self.requested
    }

    /// Polls for the permits; `Ok` means all `requested` now belong to the caller.
    ///
    /// # Panics
    ///
    /// If polled again after it returned `Ready`.
    pub(crate) fn poll_acquire(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Closed>> {
        let coop = core::task::ready!(coop::poll_proceed(cx));
        // SAFETY: nothing below moves the node out of the pinned future; only plain fields
        // are written and the node is used in place.
        let this = unsafe { self.get_unchecked_mut() };
        let result = match this.phase {
            Phase::Idle => this.start(cx),
            Phase::Queued => this.check(cx),
            Phase::Done => panic!("an acquire future was polled after it completed"),
        };
        if result.is_ready() {
            this.phase = Phase::Done;
            coop.made_progress();
        }
        result
    }

    /// The first poll: the fast path, else queue up with whatever is available now.
    fn start(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        match self.sem.try_acquire(self.requested) {
            Ok(()) => return Poll::Ready(Ok(())),
            Err(TryAcquire::Closed) => return Poll::Ready(Err(Closed)),
            Err(TryAcquire::NoPermits) => {}
        }
        let mut waiters = self.sem.waiters.lock();
        let needed = self.requested as usize;
        let mut current = self.sem.state.load(Acquire);
        let taken = loop {
            if current & CLOSED != 0 {
                return Poll::Ready(Err(Closed));
            }
            let available = current >> SHIFT;
            let (taken, next) = if current & WAITERS == 0 && available >= needed {
                (needed, current - (needed << SHIFT))
            } else {
                // Collect what is there and queue for the rest; from now on releases come
                // through the lock. (With WAITERS already set, `available` is zero.)
                (available, (current & CLOSED) | WAITERS)
            };
            match self
                .sem
                .state
                .compare_exchange(current, next, AcqRel, Acquire)
            {
                Ok(_) => break taken,
                Err(actual) => current = actual,
            }
        };
        if taken == needed {
            return Poll::Ready(Ok(()));
        }
        self.node.remaining.store(needed - taken, Relaxed);
        // SAFETY: the node is not linked yet, and from now on its slot is only touched under
        // the lock, which we hold.
        self.node
            .waker
            .with_mut(|slot| unsafe { *slot = Some(cx.waker().clone()) });
        waiters.push_back(WaiterPtr(NonNull::from(&self.node)));
        self.phase = Phase::Queued;
        Poll::Pending
    }

    /// A later poll: done once nothing is owed; failed if the semaphore closed meanwhile.
    fn check(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        if self.node.remaining.load(Acquire) == 0 {
            return Poll::Ready(Ok(()));
        }
        let mut waiters = self.sem.waiters.lock();
        if self.node.remaining.load(Acquire) == 0 {
            return Poll::Ready(Ok(()));
        }
        if self.sem.state.load(Acquire) & CLOSED != 0 {
            let handed = self.unlink(&mut waiters);
            self.phase = Phase::Done;
            self.sem.release_locked(handed, waiters);
            return Poll::Ready(Err(Closed));
        }
        // SAFETY: the waker slot is only touched under the lock, which we hold.
        self.node
            .waker
            .with_mut(|slot| register_waker(unsafe { &mut *slot }, cx.waker()));
        Poll::Pending
    }

    /// Takes the node out of the queue if it is still there; returns the permits it was
    /// handed so far.
    fn unlink(&self, waiters: &mut LinkedList<WaiterLink>) -> usize {
        // SAFETY: the node is alive (it is ours) and it can only be linked in this queue.
        unsafe { waiters.remove(NonNull::from(&self.node)) };
        self.requested as usize - self.node.remaining.load(Acquire)
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if self.phase != Phase::Queued {
            return;
        }
        if self.node.remaining.load(Acquire) == 0 {
            // Handed everything but never told: pass all of it on.
            self.sem.release(self.requested as usize);
            return;
        }
        let mut waiters = self.sem.waiters.lock();
        let handed = self.unlink(&mut waiters);
        self.sem.release_locked(handed, waiters);
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("requested", &self.requested)
            .field("phase", &self.phase)
            .finish_non_exhaustive()
    }
}
