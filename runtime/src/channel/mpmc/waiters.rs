//! Queues of waiting senders or receivers: intrusive nodes embedded in the waiting futures.
//!
//! A future that finds the ring full (or empty) links its [`Waiter`] node into the channel's
//! queue under a small mutex, bumps `count`, issues a `SeqCst` fence and tries the ring again.
//! The waker side does its ring operation, whose claim is a `SeqCst` read-modify-write of
//! `head` or `tail`, and then reads `count` with a `SeqCst` load, no fence: if that load
//! misses the waiter, it came before the waiter's fence in the single `SeqCst` order, so the
//! waiter's re-check sees the claim. A claim may still be in flight (the value or the freed
//! slot not yet stored), so the ring waits for in-flight claims instead of reporting
//! empty or full (`ring.rs`); the unbounded queue publishes under its mutex, which orders the
//! same way. Either the re-check sees the change or the waker sees the waiter: no lost
//! wake-up, and the fast path, with nobody waiting, is one plain load (on x86) and no lock.
//!
//! Waking a waiter unlinks it and marks it `Notified`; it never hands a value over, so a woken
//! receiver takes its value from the ring like anyone else. A notified future that is dropped
//! before it acted passes the notification on to the next waiter. A notified future that finds
//! the ring taken again re-links at the front, keeping its place.

use core::marker::PhantomPinned;
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::Waker;

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{fence, AtomicUsize, Ordering};
use crate::loom::sync::Mutex;
use crate::util::linked_list::{Link, LinkedList, Pointers};
use crate::util::wake_batch::{register_waker, WakeBatch};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    /// Not linked, not notified.
    Idle,
    /// Linked in the queue.
    Queued,
    /// Unlinked by a wake that this waiter has not acted on yet.
    Notified,
}

/// The node a waiting future embeds. `waker` and `state` are only accessed under the lock of
/// the queue the node belongs to.
pub(super) struct Waiter {
    pointers: Pointers<Waiter>,
    waker: UnsafeCell<Option<Waker>>,
    state: UnsafeCell<State>,
    _pinned: PhantomPinned,
}

impl Waiter {
    pub(super) fn new() -> Waiter {
        Waiter {
            pointers: Pointers::new(),
            waker: UnsafeCell::new(None),
            state: UnsafeCell::new(State::Idle),
            _pinned: PhantomPinned,
        }
    }
}

// SAFETY: a shared `&Waiter` gives access to nothing without the owning queue's lock (its
// `waker` and `state` are read and written only under it, its links only by the list).
unsafe impl Sync for Waiter {}

impl core::fmt::Debug for Waiter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Waiter").finish_non_exhaustive()
    }
}

/// A linked waiter, as the list holds it.
struct WaiterRef(NonNull<Waiter>);

// SAFETY: a `WaiterRef` is only dereferenced under the queue's lock, and a waiter's future
// unlinks it (under that lock) before the node is freed, so the pointer may travel between
// threads with the list.
unsafe impl Send for WaiterRef {}

struct WaiterLink;

// SAFETY: `pointers` projects to the node's own field; a node is pinned inside its future,
// linked in at most one queue, and unlinked by the future's `Drop` before it goes away;
// `from_raw` rebuilds the plain pointer that `push_*` stored.
unsafe impl Link for WaiterLink {
    type Handle = WaiterRef;
    type Target = Waiter;

    fn as_raw(handle: &WaiterRef) -> NonNull<Waiter> {
        handle.0
    }

    unsafe fn from_raw(ptr: NonNull<Waiter>) -> WaiterRef {
        WaiterRef(ptr)
    }

    unsafe fn pointers(target: NonNull<Waiter>) -> NonNull<Pointers<Waiter>> {
        // SAFETY: the caller promises `target` is live; the projection stays inside it.
        unsafe { NonNull::new_unchecked(&raw mut (*target.as_ptr()).pointers) }
    }
}

/// One queue of waiters (a channel has one for senders and one for receivers).
pub(super) struct Waiters {
    list: Mutex<LinkedList<WaiterLink>>,
    /// Linked waiters; written under the lock, read without it by the fast path.
    pub(super) count: AtomicUsize,
}

impl Waiters {
    pub(super) fn new() -> Waiters {
        Waiters {
            list: Mutex::new(LinkedList::new()),
            count: AtomicUsize::new(0),
        }
    }

    /// Links `waiter` (or refreshes its waker if already linked). The caller then retries its
    /// operation once before returning `Pending`.
    ///
    /// # Safety
    ///
    /// `waiter` stays pinned and alive until [`Waiters::unregister`] has been called for it on
    /// this queue, and is never registered with another queue meanwhile.
    pub(super) unsafe fn register(&self, waiter: Pin<&Waiter>, waker: &Waker) {
        let ptr = NonNull::from(&*waiter);
        let mut list = self.list.lock();
        // SAFETY: we hold the lock, which guards `state` and `waker`.
        let state = waiter.state.with(|s| unsafe { *s });
        // SAFETY: as above.
        waiter
            .waker
            .with_mut(|w| register_waker(unsafe { &mut *w }, waker));
        if state != State::Queued {
            match state {
                State::Notified => list.push_front(WaiterRef(ptr)),
                _ => list.push_back(WaiterRef(ptr)),
            }
            // SAFETY: under the lock.
            waiter.state.with_mut(|s| unsafe { *s = State::Queued });
            self.count.fetch_add(1, Ordering::Relaxed);
        }
        drop(list);
        fence(Ordering::SeqCst);
    }

    /// Unlinks `waiter` if it is linked; returns whether it had been notified without acting
    /// on it (a dropping future then calls [`Waiters::notify_one`] to pass the wake on).
    ///
    /// # Safety
    ///
    /// `waiter` is alive and was only ever registered with this queue.
    pub(super) unsafe fn unregister(&self, waiter: Pin<&Waiter>) -> bool {
        let ptr = NonNull::from(&*waiter);
        let mut list = self.list.lock();
        // SAFETY: under the lock.
        let state = waiter.state.with(|s| unsafe { *s });
        if state == State::Queued {
            // SAFETY: the node is alive and linked in this list (state `Queued` under the lock).
            let removed = unsafe { list.remove(ptr) };
            debug_assert!(removed.is_some());
            self.count.fetch_sub(1, Ordering::Relaxed);
        }
        // SAFETY: under the lock.
        waiter.state.with_mut(|s| unsafe { *s = State::Idle });
        state == State::Notified
    }

    /// Wakes the longest-waiting waiter, if any. Call after the queue operation it waits for,
    /// which must include a `SeqCst` read-modify-write (see the module doc).
    #[inline]
    pub(super) fn notify_one(&self) {
        if self.load_count() == 0 {
            return;
        }
        self.notify_one_slow();
    }

    /// Wakes up to `n` of the longest-waiting waiters, one per unit of room that came free at
    /// once (a released batch of permits). Stops as soon as nobody waits.
    pub(super) fn notify_many(&self, n: usize) {
        for _ in 0..n {
            if self.load_count() == 0 {
                return;
            }
            self.notify_one_slow();
        }
    }

    /// The waker side's `SeqCst` load of `count`. loom regards `SeqCst` loads as `Acquire`
    /// (its README lists this as unsupported and a source of false alarms) but models
    /// `SeqCst` fences, so under loom the load is preceded by a fence, which orders at least
    /// as strongly.
    #[inline]
    fn load_count(&self) -> usize {
        #[cfg(blitz_loom)]
        fence(Ordering::SeqCst);
        self.count.load(Ordering::SeqCst)
    }

    #[cold]
    fn notify_one_slow(&self) {
        let mut list = self.list.lock();
        let waker = list.pop_front().and_then(|waiter| {
            self.count.fetch_sub(1, Ordering::Relaxed);
            // SAFETY: the waiter was linked, so its future has not unregistered it and it is
            // alive; we hold the lock that guards `state` and `waker`.
            unsafe { Self::mark_notified(waiter.0) }
        });
        drop(list);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Wakes every waiter (on close).
    pub(super) fn notify_all(&self) {
        let mut batch = WakeBatch::new();
        loop {
            let mut list = self.list.lock();
            while batch.can_push() {
                let Some(waiter) = list.pop_front() else {
                    break;
                };
                self.count.fetch_sub(1, Ordering::Relaxed);
                // SAFETY: as in `notify_one_slow`.
                if let Some(waker) = unsafe { Self::mark_notified(waiter.0) } {
                    batch.push(waker);
                }
            }
            let done = list.is_empty();
            drop(list);
            batch.wake_all();
            if done {
                return;
            }
        }
    }

    /// # Safety
    ///
    /// `waiter` was just unlinked, is alive, and the caller holds the queue's lock.
    unsafe fn mark_notified(waiter: NonNull<Waiter>) -> Option<Waker> {
        // SAFETY: per the contract.
        let waiter = unsafe { waiter.as_ref() };
        // SAFETY: under the lock.
        waiter.state.with_mut(|s| unsafe { *s = State::Notified });
        // SAFETY: under the lock.
        waiter.waker.with_mut(|w| unsafe { (*w).take() })
    }
}
