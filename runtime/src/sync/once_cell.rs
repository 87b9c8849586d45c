//! `OnceCell`: a value set at most once, possibly by an async initialiser.
//!
//! Design: one state byte says `UNINIT`, `INITIALIZING` (one caller holds the right to write
//! the value) or `READY` (the value is written and never changes until `take`/drop), plus a
//! `QUEUED` bit meaning "some future waits in the queue". Reading a ready cell is one acquire
//! load; `set` on an empty cell is one compare-exchange, a write and one swap — the lock is
//! taken only when the swap shows `QUEUED`.
//!
//! Callers of `get_or_init` that find another initialiser at work queue an intrusive node
//! (embedded in their pinned future) and sleep. The initialiser holds an `InitGuard`: writing
//! the value publishes it, while dropping the guard unwritten (the closure failed, panicked or
//! its future was cancelled) puts the cell back to `UNINIT`. Either way every queued waiter is
//! woken after the lock is released, and each retries: on `READY` it returns the value, on
//! `UNINIT` the first to win the compare-exchange becomes the next initialiser and the rest
//! queue again. Failures are rare, so this simple broadcast is preferred over handing the turn
//! to one waiter (which would need hand-off on drop).

use core::fmt;
use core::future::Future;
use core::mem::{self, MaybeUninit};
use core::pin::Pin;
use core::task::{Context, Poll};

use super::waiter::{Waiter, WaiterList, WAITING};
use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicU8, Ordering::*};
use crate::loom::sync::Mutex;
use crate::task::coop;
use crate::util::linked_list::LinkedList;
use crate::util::wake_batch::WakeBatch;

const MODE: u8 = 0b011;
const UNINIT: u8 = 0;
const INITIALIZING: u8 = 1;
const READY: u8 = 2;
/// Set (under the lock) while the waiter queue may be non-empty.
const QUEUED: u8 = 0b100;
/// The mark of a queued node woken by a state change.
const WOKEN: u8 = 1;

/// A thread-safe cell written at most once, with an async, run-once initialiser.
///
/// `get` on a set cell is one atomic load. [`get_or_init`](OnceCell::get_or_init) runs its
/// initialiser in exactly one caller at a time: concurrent callers wait (without allocating)
/// for it to finish, and if it fails or is cancelled, one of them runs its own. `new` is
/// `const`, so a cell can be a `static`.
///
/// ```
/// use blitz_io::sync::OnceCell;
///
/// static CONFIG: OnceCell<String> = OnceCell::new();
///
/// # blitz_io::run(async {
/// let config = CONFIG.get_or_init(|| async { "loaded".to_owned() }).await;
/// assert_eq!(config, "loaded");
/// assert_eq!(CONFIG.get().map(String::as_str), Some("loaded"));
/// # });
/// ```
pub struct OnceCell<T> {
    state: AtomicU8,
    value: UnsafeCell<MaybeUninit<T>>,
    waiters: Mutex<WaiterList>,
}

// SAFETY: the value is only written by the holder of the `INITIALIZING` state (or through
// `&mut`), and only read after an acquire load sees `READY`, so sharing the cell shares `&T`
// (needs `T: Sync`) and lets any thread set it (needs `T: Send`). The queue is `Send + Sync`
// on its own (see `waiter`).
unsafe impl<T: Send + Sync> Sync for OnceCell<T> {}
// SAFETY: sending the cell sends the value (needs `T: Send`); the queue is `Send`.
unsafe impl<T: Send> Send for OnceCell<T> {}

/// Why [`OnceCell::set`] refused a value (which it hands back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetError<T> {
    /// The cell already holds a value.
    AlreadyInitializedError(T),
    /// Another caller is initialising the cell right now (`set` never waits for it).
    InitializingError(T),
}

impl<T> SetError<T> {
    /// Whether the cell was already set.
    pub fn is_already_init_err(&self) -> bool {
        matches!(self, SetError::AlreadyInitializedError(_))
    }

    /// Whether another caller was initialising the cell.
    pub fn is_initializing_err(&self) -> bool {
        matches!(self, SetError::InitializingError(_))
    }

    /// The value that was not stored.
    pub fn into_value(self) -> T {
        match self {
            SetError::AlreadyInitializedError(value) | SetError::InitializingError(value) => value,
        }
    }
}

impl<T> fmt::Display for SetError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SetError::AlreadyInitializedError(_) => "the cell is already initialised",
            SetError::InitializingError(_) => "the cell is being initialised",
        })
    }
}

impl<T: fmt::Debug> std::error::Error for SetError<T> {}

impl<T> OnceCell<T> {
    /// An empty cell. Allocates nothing.
    #[cfg(not(blitz_loom))]
    pub const fn new() -> OnceCell<T> {
        OnceCell {
            state: AtomicU8::new(UNINIT),
            value: UnsafeCell::new(MaybeUninit::uninit()),
            waiters: Mutex::new(LinkedList::new()),
        }
    }

    /// An empty cell. (Not `const` under loom.)
    #[cfg(blitz_loom)]
    pub fn new() -> OnceCell<T> {
        OnceCell {
            state: AtomicU8::new(UNINIT),
            value: UnsafeCell::new(MaybeUninit::uninit()),
            waiters: Mutex::new(LinkedList::new()),
        }
    }

    /// A cell holding `value` if it is `Some`, empty otherwise.
    ///
    /// ```
    /// let cell = blitz_io::sync::OnceCell::new_with(Some(7));
    /// assert_eq!(cell.get(), Some(&7));
    /// ```
    pub fn new_with(value: Option<T>) -> OnceCell<T> {
        let cell = OnceCell::new();
        if let Some(value) = value {
            cell.value.with_mut(|slot| {
                // SAFETY: the cell is ours alone; the slot is uninitialised.
                unsafe { (*slot).write(value) };
            });
            cell.state.store(READY, Release);
        }
        cell
    }

    /// Whether the cell holds a value.
    pub fn initialized(&self) -> bool {
        // `QUEUED` is only ever set beside `INITIALIZING`, so a ready cell reads exactly `READY`.
        self.state.load(Acquire) == READY
    }

    /// The value, if the cell holds one. Never waits.
    ///
    /// ```
    /// let cell = blitz_io::sync::OnceCell::new();
    /// assert_eq!(cell.get(), None);
    /// cell.set(1).unwrap();
    /// assert_eq!(cell.get(), Some(&1));
    /// ```
    pub fn get(&self) -> Option<&T> {
        if self.initialized() {
            // SAFETY: `READY` was seen with acquire: the value is written and stays until
            // `&mut self` access.
            Some(unsafe { self.value_unchecked() })
        } else {
            None
        }
    }

    /// The value, mutably, if the cell holds one.
    pub fn get_mut(&mut self) -> Option<&mut T> {
        if self.initialized() {
            // SAFETY: `READY`, and `&mut self` excludes every other access.
            Some(
                self.value
                    .with_mut(|slot| unsafe { (*slot).assume_init_mut() }),
            )
        } else {
            None
        }
    }

    /// Stores `value` if the cell is empty and nobody is initialising it; otherwise hands it
    /// back in a [`SetError`] saying which. Never waits.
    ///
    /// ```
    /// use blitz_io::sync::{OnceCell, SetError};
    ///
    /// let cell = OnceCell::new();
    /// assert_eq!(cell.set(1), Ok(()));
    /// assert_eq!(cell.set(2), Err(SetError::AlreadyInitializedError(2)));
    /// ```
    pub fn set(&self, value: T) -> Result<(), SetError<T>> {
        match self
            .state
            .compare_exchange(UNINIT, INITIALIZING, Acquire, Acquire)
        {
            Ok(_) => {
                InitGuard { cell: self }.finish(value);
                Ok(())
            }
            Err(state) if state & MODE == READY => Err(SetError::AlreadyInitializedError(value)),
            Err(_) => Err(SetError::InitializingError(value)),
        }
    }

    /// The value, initialising it with `f().await` first if the cell is empty.
    ///
    /// Concurrent callers run one initialiser at a time; the others wait for its result. If the
    /// initialising caller's future is dropped (or `f` panics), the cell stays empty and a
    /// waiting caller runs its own `f`.
    ///
    /// Cancel safety: dropping the future while it waits for another initialiser is a no-op;
    /// dropping it while its own `f` runs drops that work and leaves the cell empty for the
    /// next caller.
    ///
    /// ```
    /// # blitz_io::run(async {
    /// let cell = blitz_io::sync::OnceCell::new();
    /// assert_eq!(*cell.get_or_init(|| async { 1 }).await, 1);
    /// assert_eq!(*cell.get_or_init(|| async { 2 }).await, 1, "set once");
    /// # });
    /// ```
    pub async fn get_or_init<F, Fut>(&self, f: F) -> &T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        if let Some(value) = self.get() {
            return value;
        }
        match self.init_turn().await {
            None => self.get().expect("the cell is READY"),
            Some(guard) => guard.finish(f().await),
        }
    }

    /// Like [`get_or_init`](OnceCell::get_or_init) with a fallible initialiser: on `Err` the
    /// error is returned, the cell stays empty and the next caller (or a waiting one) tries
    /// again.
    ///
    /// Cancel safety: as for `get_or_init`.
    ///
    /// ```
    /// # blitz_io::run(async {
    /// let cell = blitz_io::sync::OnceCell::new();
    /// let failed = cell.get_or_try_init(|| async { Err("not yet") }).await;
    /// assert_eq!(failed, Err("not yet"));
    /// let value = cell.get_or_try_init(|| async { Ok::<_, &str>(5) }).await;
    /// assert_eq!(value, Ok(&5));
    /// # });
    /// ```
    pub async fn get_or_try_init<E, F, Fut>(&self, f: F) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(value) = self.get() {
            return Ok(value);
        }
        match self.init_turn().await {
            None => Ok(self.get().expect("the cell is READY")),
            // On `Err` the guard drops unwritten: the cell goes back to empty.
            Some(guard) => f().await.map(|value| guard.finish(value)),
        }
    }

    /// Takes the value out, leaving the cell empty.
    ///
    /// ```
    /// let mut cell = blitz_io::sync::OnceCell::new_with(Some("x"));
    /// assert_eq!(cell.take(), Some("x"));
    /// assert!(!cell.initialized());
    /// ```
    pub fn take(&mut self) -> Option<T> {
        if !self.initialized() {
            return None;
        }
        self.state.store(UNINIT, Relaxed);
        // SAFETY: the cell was `READY` and `&mut self` excludes every other access; the state
        // now says `UNINIT`, so the value is read out exactly once.
        Some(
            self.value
                .with_mut(|slot| unsafe { (*slot).assume_init_read() }),
        )
    }

    /// The value, consuming the cell.
    pub fn into_inner(mut self) -> Option<T> {
        self.take()
    }

    /// A future resolving to `None` once the cell is `READY`, or to the right to initialise it.
    fn init_turn(&self) -> InitTurn<'_, T> {
        InitTurn {
            cell: self,
            waiter: Waiter::new(0),
            queued: false,
        }
    }

    /// # Safety
    ///
    /// The cell is `READY` (seen with acquire ordering).
    unsafe fn value_unchecked(&self) -> &T {
        // SAFETY: per the caller, the value is initialised and not written any more.
        self.value.with(|slot| unsafe { (*slot).assume_init_ref() })
    }

    /// Leaves `INITIALIZING` for `to` and wakes every queued waiter (after unlocking).
    fn leave_initializing(&self, to: u8) {
        if self.state.swap(to, AcqRel) & QUEUED == 0 {
            return;
        }
        let mut batch = WakeBatch::new();
        let mut waiters = self.waiters.lock();
        while !waiters.is_empty() {
            if !batch.can_push() {
                drop(waiters);
                batch.wake_all();
                waiters = self.waiters.lock();
                continue;
            }
            let node = waiters.pop_front().expect("the front node");
            // SAFETY: just popped from our queue; we still hold its lock.
            if let Some(waker) = unsafe { Waiter::release(node, WOKEN) } {
                batch.push(waker);
            }
        }
        drop(waiters);
        batch.wake_all();
    }
}

/// The right to write the value, held by the single initialiser.
struct InitGuard<'a, T> {
    cell: &'a OnceCell<T>,
}

impl<'a, T> InitGuard<'a, T> {
    fn finish(self, value: T) -> &'a T {
        let cell = self.cell;
        mem::forget(self);
        cell.value.with_mut(|slot| {
            // SAFETY: holding `INITIALIZING` makes us the only writer, and no reader looks
            // before `READY` is published below.
            unsafe { (*slot).write(value) };
        });
        cell.leave_initializing(READY);
        // SAFETY: just published `READY` from this thread.
        unsafe { cell.value_unchecked() }
    }
}

impl<T> Drop for InitGuard<'_, T> {
    fn drop(&mut self) {
        // The initialiser failed, panicked or was cancelled: let someone else try.
        self.cell.leave_initializing(UNINIT);
    }
}

/// Waits until the cell is `READY` (`None`) or hands out the right to initialise it.
struct InitTurn<'a, T> {
    cell: &'a OnceCell<T>,
    waiter: Waiter,
    queued: bool,
}

impl<'a, T> Future for InitTurn<'a, T> {
    type Output = Option<InitGuard<'a, T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let coop = core::task::ready!(coop::poll_proceed(cx));
        // SAFETY: the node is never moved out; fields are updated in place.
        let this = unsafe { self.get_unchecked_mut() };
        let cell = this.cell;
        if this.queued {
            if this.waiter.mark() == WAITING {
                let _waiters = cell.waiters.lock();
                if this.waiter.mark() == WAITING {
                    // SAFETY: the node is linked in our queue and we hold its lock.
                    unsafe { this.waiter.set_waker(cx.waker()) };
                    return Poll::Pending;
                }
            }
            // Woken and unlinked: look at the state again, queueing anew if need be.
            this.queued = false;
            this.waiter.reset();
        }
        loop {
            let state = cell.state.load(Acquire);
            let ready = match state & MODE {
                READY => Some(None),
                UNINIT => cell
                    .state
                    .compare_exchange(state, INITIALIZING, Acquire, Acquire)
                    .is_ok()
                    .then(|| Some(InitGuard { cell })),
                _ => None,
            };
            if let Some(output) = ready {
                coop.made_progress();
                return Poll::Ready(output);
            }
            if state & MODE != INITIALIZING {
                continue;
            }
            // Someone initialises: queue, unless the state moved on meanwhile.
            let mut waiters = cell.waiters.lock();
            if cell
                .state
                .compare_exchange(state, INITIALIZING | QUEUED, Relaxed, Relaxed)
                .is_err()
            {
                continue;
            }
            // SAFETY: the node is not linked; nobody else can reach it.
            unsafe { this.waiter.set_waker(cx.waker()) };
            waiters.push_back(this.waiter.handle());
            this.queued = true;
            return Poll::Pending;
        }
    }
}

impl<T> Drop for InitTurn<'_, T> {
    fn drop(&mut self) {
        if !self.queued || self.waiter.mark() != WAITING {
            return;
        }
        let mut waiters = self.cell.waiters.lock();
        // SAFETY: the node is linked in this cell's queue (or, popped meanwhile, in none) and
        // we hold the queue's lock.
        unsafe { self.waiter.unlink_from(&mut waiters) };
    }
}

impl<T> Drop for OnceCell<T> {
    fn drop(&mut self) {
        drop(self.take());
    }
}

impl<T> Default for OnceCell<T> {
    fn default() -> OnceCell<T> {
        OnceCell::new()
    }
}

impl<T> From<T> for OnceCell<T> {
    fn from(value: T) -> OnceCell<T> {
        OnceCell::new_with(Some(value))
    }
}

impl<T: Clone> Clone for OnceCell<T> {
    fn clone(&self) -> OnceCell<T> {
        OnceCell::new_with(self.get().cloned())
    }
}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceCell")
            .field("value", &self.get())
            .finish()
    }
}

#[cfg(all(test, not(blitz_loom)))]
#[path = "once_cell_tests.rs"]
mod tests;

#[cfg(all(test, blitz_loom))]
#[path = "once_cell_loom.rs"]
mod loom_tests;
