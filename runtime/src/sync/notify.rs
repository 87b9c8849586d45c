//! `Notify`: wake one task or every waiting task, with no data attached.
//!
//! Design:
//! - One state word holds the *mode* in its low two bits (`EMPTY`: no waiter and no permit;
//!   `WAITING`: the waiter list is not empty; `NOTIFIED`: one stored permit) and, above them, a
//!   counter of `notify_waiters` calls (the *generation*). `notify_one` stores the permit and a
//!   `Notified` takes it with one compare-exchange each, without the lock; `WAITING` is only
//!   entered or left under the lock, so while it holds, nothing changes the word without it.
//! - Waiters are intrusive nodes embedded in the pinned `Notified`/`OwnedNotified` futures
//!   (`futures`), queued in arrival order in [`LinkedList`] behind a mutex. A notifier pops a
//!   node (`notify_one` the front, `notify_last` the back), takes its waker, marks the node
//!   with what it was handed (`ONE`: a `notify_one`, `LAST`: a `notify_last`, `ALL`: a
//!   `notify_waiters`) and wakes after unlocking (through a [`WakeBatch`]). A node's waker slot
//!   is only touched under the lock; its mark is an atomic the owner may read without it.
//! - Every node records the generation it registered in. `notify_waiters` bumps the generation
//!   and then pops every node of an older one; when its wake batch is full it unlocks, wakes,
//!   relocks and goes on, so nodes of an older generation may still be queued for a moment. Any
//!   notifier that meets such a *stale* node at the front finishes the job (marks it `ALL`)
//!   before it looks further, so a `notify_one` is never spent on a task that was already
//!   woken. A `Notified` compares the generation it was created in with the current one, which
//!   is how a future created before a `notify_waiters` call completes even if it was never
//!   polled.
//! - A dropped `Notified` that was handed a `notify_one` (`notify_last`) but never returned
//!   `Ready` passes it on to the then-oldest (newest) waiter, or stores it as the permit: a
//!   single notification is never lost, and its mark keeps which end it was meant for.
//!
//! The waiting half (`Wait`, `Notify::poll_wait`, `Notify::cancel_wait`) is crate-visible so
//! that other futures (the cancellation token's) can embed a registration without borrowing a
//! `Notify` for their whole life.

mod futures;

use core::fmt;
use core::pin::Pin;
use core::task::{Poll, Waker};

pub use futures::{Notified, OwnedNotified};

use super::waiter::{Waiter, WaiterList, WAITING as UNMARKED};
use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::sync::{Mutex, MutexGuard};
use crate::util::linked_list::LinkedList;
use crate::util::wake_batch::WakeBatch;

/// Mode bits of the state word.
const MODE: usize = 0b11;
/// No waiter, no permit.
const EMPTY: usize = 0;
/// At least one waiter is queued.
const WAITING: usize = 1;
/// One permit is stored.
const NOTIFIED: usize = 2;
/// One `notify_waiters` call, in the state word.
const GENERATION_UNIT: usize = MODE + 1;

fn generation(state: usize) -> usize {
    state / GENERATION_UNIT
}

fn with_mode(state: usize, mode: usize) -> usize {
    (state & !MODE) | mode
}

/// What a popped node was handed (its mark). Handed a `notify_one`: passed on (to the oldest
/// waiter) if the owner never consumes it.
const MARKED_ONE: u8 = 1;
/// Woken by a `notify_waiters`.
const MARKED_ALL: u8 = 2;
/// Handed a `notify_last`: passed on (to the newest waiter) if the owner never consumes it.
const MARKED_LAST: u8 = 3;

/// Which waiter a single notification goes to. A node records it in its mark, so that a
/// notification its owner drops unconsumed is passed on by the same rule.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pick {
    /// The longest-waiting task (`notify_one`): the front of the queue.
    Oldest,
    /// The most recently queued task (`notify_last`): the back of the queue.
    Newest,
}

impl Pick {
    fn mark(self) -> u8 {
        match self {
            Pick::Oldest => MARKED_ONE,
            Pick::Newest => MARKED_LAST,
        }
    }
}

/// Notifies a single task, or every waiting task, to wake up.
///
/// `notify_one` wakes the longest-waiting task (`notify_last` the most recent one), or, when
/// none waits, stores a single permit that the next [`notified()`](Notify::notified) (or
/// [`notified_owned()`](Notify::notified_owned)) future consumes at once (permits never add up
/// beyond one). [`notify_waiters`](Notify::notify_waiters) wakes every task waiting at that
/// moment and stores nothing. `new` is `const` and nothing allocates: each waiting future holds
/// its own queue node.
///
/// ```
/// use std::sync::Arc;
/// use blitz_io::sync::Notify;
///
/// # blitz_io::run(async {
/// let notify = Arc::new(Notify::new());
/// let waiter = blitz_io::task::spawn({
///     let notify = notify.clone();
///     async move {
///         notify.notified().await;
///         "woken"
///     }
/// });
/// notify.notify_one();
/// assert_eq!(waiter.await.unwrap(), "woken");
/// # });
/// ```
pub struct Notify {
    state: AtomicUsize,
    waiters: Mutex<WaiterList>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Not registered yet.
    Init,
    /// Linked in the queue (or just popped, with a mark).
    Waiting,
    /// Completed.
    Done,
}

/// A registration with a [`Notify`]: everything of a [`Notified`] but the reference.
///
/// Must be pinned before [`Notify::poll_wait`] and cancelled with [`Notify::cancel_wait`] (on
/// the same `Notify`) before it is dropped.
pub(crate) struct Wait {
    waiter: Waiter,
    phase: Phase,
}

impl Wait {
    /// A registration in `notify`'s current generation.
    pub(crate) fn new(notify: &Notify) -> Wait {
        Wait {
            waiter: Waiter::new(generation(notify.state.load(SeqCst))),
            phase: Phase::Init,
        }
    }
}

impl Notify {
    /// A `Notify` with no waiter and no stored permit. Allocates nothing.
    ///
    /// ```
    /// static READY: blitz_io::sync::Notify = blitz_io::sync::Notify::new();
    /// READY.notify_one();
    /// # blitz_io::run(READY.notified());
    /// ```
    #[cfg(not(blitz_loom))]
    pub const fn new() -> Notify {
        Notify {
            state: AtomicUsize::new(EMPTY),
            waiters: Mutex::new(LinkedList::new()),
        }
    }

    /// A `Notify` with no waiter and no stored permit. (Not `const` under loom.)
    #[cfg(blitz_loom)]
    pub fn new() -> Notify {
        Notify {
            state: AtomicUsize::new(EMPTY),
            waiters: Mutex::new(LinkedList::new()),
        }
    }

    /// Wakes the task that has waited longest, or stores one permit if no task waits.
    ///
    /// A stored permit is consumed by the next `notified()` future; storing a permit while one
    /// is stored does nothing. Wakes happen after the internal lock is released.
    ///
    /// ```
    /// # blitz_io::run(async {
    /// let notify = blitz_io::sync::Notify::new();
    /// notify.notify_one();
    /// notify.notify_one(); // still one permit
    /// notify.notified().await; // consumes it at once
    /// # });
    /// ```
    pub fn notify_one(&self) {
        self.notify(Pick::Oldest);
    }

    /// Wakes the task that started waiting most recently, or stores one permit if no task
    /// waits.
    ///
    /// The same as [`notify_one`](Notify::notify_one) except for which waiter is chosen: the
    /// newest instead of the oldest. If the chosen future is dropped without consuming the
    /// notification, it goes to the then-newest waiter (or into the stored permit).
    ///
    /// ```
    /// use std::pin::pin;
    /// use blitz_io::sync::Notify;
    ///
    /// # blitz_io::run(async {
    /// let notify = Notify::new();
    /// let mut older = pin!(notify.notified());
    /// let mut newer = pin!(notify.notified());
    /// older.as_mut().enable(); // queued first
    /// newer.as_mut().enable();
    /// notify.notify_last();
    /// assert!(newer.as_mut().enable(), "the newest waiter was notified");
    /// assert!(!older.as_mut().enable());
    /// # });
    /// ```
    pub fn notify_last(&self) {
        self.notify(Pick::Newest);
    }

    /// One notification: stores the permit without the lock when nobody waits, else hands it
    /// to the waiter `pick` names.
    fn notify(&self, pick: Pick) {
        let mut state = self.state.load(SeqCst);
        while state & MODE != WAITING {
            match self
                .state
                .compare_exchange(state, with_mode(state, NOTIFIED), SeqCst, SeqCst)
            {
                Ok(_) => return,
                Err(actual) => state = actual,
            }
        }
        self.hand_one(self.waiters.lock(), pick);
    }

    /// Wakes every task waiting right now, and every `notified()` future created before this
    /// call; stores no permit.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use blitz_io::sync::Notify;
    ///
    /// # blitz_io::run(async {
    /// let notify = Arc::new(Notify::new());
    /// let first = notify.notified();
    /// let second = notify.notified();
    /// notify.notify_waiters(); // both were created before the call
    /// first.await;
    /// second.await;
    /// # });
    /// ```
    pub fn notify_waiters(&self) {
        let mut waiters = self.waiters.lock();
        self.state.fetch_add(GENERATION_UNIT, SeqCst);
        let mut batch = WakeBatch::new();
        loop {
            let state = self.state.load(SeqCst);
            if !self.front_is_stale(&waiters, state) {
                break;
            }
            if !batch.can_push() {
                drop(waiters);
                batch.wake_all();
                waiters = self.waiters.lock();
                continue;
            }
            if let Some(waker) = self.pop(&mut waiters, state, MARKED_ALL, Pick::Oldest) {
                batch.push(waker);
            }
        }
        drop(waiters);
        batch.wake_all();
    }

    /// Whether the front node belongs to an older generation than `state`'s (lock held).
    fn front_is_stale(&self, waiters: &WaiterList, state: usize) -> bool {
        // SAFETY: the front node is linked in our queue, whose lock we hold.
        waiters
            .front()
            .is_some_and(|node| unsafe { Waiter::generation_of(node) } != generation(state))
    }

    /// Pops the front (`Oldest`) or back (`Newest`) node (there is one: the mode is
    /// `WAITING`), marks it and returns its waker. Leaves the mode `EMPTY` if the queue is now
    /// empty. Lock held.
    fn pop(&self, waiters: &mut WaiterList, state: usize, mark: u8, end: Pick) -> Option<Waker> {
        let node = match end {
            Pick::Oldest => waiters.pop_front(),
            Pick::Newest => waiters.pop_back(),
        };
        let node = node.expect("WAITING with an empty queue");
        if waiters.is_empty() {
            // While WAITING, nothing changes the word without the lock: a plain store is exact.
            self.state.store(with_mode(state, EMPTY), SeqCst);
        }
        // SAFETY: just popped from our queue; we still hold its lock.
        unsafe { Waiter::release(node, mark) }
    }

    /// Hands one notification to the oldest or newest waiter (per `pick`) of the current
    /// generation, finishing the job of an in-flight `notify_waiters` on stale ones first, or
    /// stores the permit; then wakes.
    ///
    /// Nodes are queued under the lock with the generation current at that moment, and the
    /// generation only grows under the lock, so the queue is sorted by generation: stale nodes
    /// are all at the front. Once the front is not stale, neither is any other node, and the
    /// back node is as good a pick as the front one.
    fn hand_one<'a>(&'a self, mut waiters: MutexGuard<'a, WaiterList>, pick: Pick) {
        let mut batch = WakeBatch::new();
        loop {
            let state = self.state.load(SeqCst);
            if state & MODE != WAITING {
                // Nobody waits: store the permit. Lock-free paths may race on the word.
                if self
                    .state
                    .compare_exchange(state, with_mode(state, NOTIFIED), SeqCst, SeqCst)
                    .is_ok()
                {
                    break;
                }
                continue;
            }
            if !batch.can_push() {
                drop(waiters);
                batch.wake_all();
                waiters = self.waiters.lock();
                continue;
            }
            let stale = self.front_is_stale(&waiters, state);
            let (mark, end) = if stale {
                (MARKED_ALL, Pick::Oldest)
            } else {
                (pick.mark(), pick)
            };
            if let Some(waker) = self.pop(&mut waiters, state, mark, end) {
                batch.push(waker);
            }
            if !stale {
                break;
            }
        }
        drop(waiters);
        batch.wake_all();
    }

    /// Polls a registration: `Ready` once it has been notified. With `waker: None` it only
    /// registers (or completes) without leaving a waker.
    pub(crate) fn poll_wait(&self, wait: Pin<&mut Wait>, waker: Option<&Waker>) -> Poll<()> {
        // SAFETY: the node is never moved out of `wait`; we only update fields in place.
        let wait = unsafe { wait.get_unchecked_mut() };
        match wait.phase {
            Phase::Done => Poll::Ready(()),
            Phase::Init => self.register(wait, waker),
            Phase::Waiting => {
                if wait.waiter.mark() != UNMARKED {
                    wait.phase = Phase::Done;
                    return Poll::Ready(());
                }
                let mut waiters = self.waiters.lock();
                let state = self.state.load(SeqCst);
                if wait.waiter.mark() != UNMARKED {
                    wait.phase = Phase::Done;
                    return Poll::Ready(());
                }
                if generation(state) != wait.waiter.generation() {
                    // A `notify_waiters` in flight owes us a wake: take it now.
                    self.unlink(&mut waiters, &wait.waiter);
                    wait.phase = Phase::Done;
                    return Poll::Ready(());
                }
                if let Some(waker) = waker {
                    // SAFETY: the node is linked in our queue and we hold its lock.
                    unsafe { wait.waiter.set_waker(waker) };
                }
                Poll::Pending
            }
        }
    }

    fn register(&self, wait: &mut Wait, waker: Option<&Waker>) -> Poll<()> {
        let done = |wait: &mut Wait| {
            wait.phase = Phase::Done;
            Poll::Ready(())
        };
        // Fast path: take a stored permit of our own generation with one compare-exchange.
        let permit = wait.waiter.generation().wrapping_mul(GENERATION_UNIT) | NOTIFIED;
        match self
            .state
            .compare_exchange(permit, with_mode(permit, EMPTY), SeqCst, SeqCst)
        {
            Ok(_) => return done(wait),
            Err(state) if generation(state) != wait.waiter.generation() => return done(wait),
            Err(_) => {}
        }
        let mut waiters = self.waiters.lock();
        let mut state = self.state.load(SeqCst);
        loop {
            if generation(state) != wait.waiter.generation() {
                return done(wait);
            }
            let next = match state & MODE {
                NOTIFIED => with_mode(state, EMPTY),
                EMPTY => with_mode(state, WAITING),
                _ => break,
            };
            match self.state.compare_exchange(state, next, SeqCst, SeqCst) {
                Ok(_) if next & MODE == EMPTY => return done(wait),
                Ok(_) => break,
                Err(actual) => state = actual,
            }
        }
        if let Some(waker) = waker {
            // SAFETY: the node is not linked yet; nobody else can reach it.
            unsafe { wait.waiter.set_waker(waker) };
        }
        waiters.push_back(wait.waiter.handle());
        wait.phase = Phase::Waiting;
        Poll::Pending
    }

    /// Takes a still-queued node out (lock held), restoring `EMPTY` if it was the last.
    fn unlink(&self, waiters: &mut WaiterList, waiter: &Waiter) {
        // SAFETY: a `Wait` is only ever linked in the queue of the `Notify` it is polled with
        // (this one), whose lock the caller holds.
        unsafe { waiter.unlink_from(waiters) };
        if waiters.is_empty() {
            let state = self.state.load(SeqCst);
            if state & MODE == WAITING {
                self.state.store(with_mode(state, EMPTY), SeqCst);
            }
        }
    }

    /// Withdraws a registration that will not be polled again (its owner is dropping it).
    /// A `notify_one` it was handed but never consumed is handed on.
    pub(crate) fn cancel_wait(&self, wait: Pin<&mut Wait>) {
        // SAFETY: nothing is moved out of `wait`.
        let wait = unsafe { wait.get_unchecked_mut() };
        if wait.phase != Phase::Waiting {
            return;
        }
        wait.phase = Phase::Done;
        let mut waiters = self.waiters.lock();
        match wait.waiter.mark() {
            UNMARKED => self.unlink(&mut waiters, &wait.waiter),
            MARKED_ONE => self.hand_one(waiters, Pick::Oldest),
            MARKED_LAST => self.hand_one(waiters, Pick::Newest),
            _ => {}
        }
    }
}

impl Default for Notify {
    fn default() -> Notify {
        Notify::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.load(SeqCst);
        let mode = match state & MODE {
            EMPTY => "empty",
            WAITING => "waiting",
            _ => "notified",
        };
        f.debug_struct("Notify")
            .field("mode", &mode)
            .field("notify_waiters_calls", &generation(state))
            .finish()
    }
}

impl fmt::Debug for Wait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait").field("phase", &self.phase).finish()
    }
}

#[cfg(all(test, not(blitz_loom)))]
#[path = "notify_tests.rs"]
mod tests;

#[cfg(all(test, blitz_loom))]
#[path = "notify_loom.rs"]
mod loom_tests;
