//! A single-value channel that keeps only the latest value: senders overwrite it, receivers
//! borrow it and wait for it to change.
//!
//! Design: the value sits behind a reader-writer lock, so a borrow is a consistent snapshot
//! (never a torn read) and many receivers read at once. A version counter (bumped by two per
//! change, low bit = closed) is what receivers compare against the version they last saw, so
//! "has it changed?" is one atomic load. Waiting receivers park on intrusive nodes embedded in
//! their `changed()` and `wait_for()` futures (`util::waiters`, futures in `futures.rs`); a
//! change wakes them all after the lock is released. Nothing allocates after `channel()` (one
//! allocation for the shared state).

use std::fmt;
use std::marker::PhantomPinned;
use std::ops::Deref;

use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use crate::util::waiters::{Waiter, WaiterList};
use crate::util::wake_batch::WakeBatch;

mod futures;
#[cfg(all(test, blitz_loom))]
mod loom_tests;

pub use futures::{Changed, Closed, WaitFor};

const CLOSED: usize = 1;
const VERSION_STEP: usize = 2;

/// Creates a watch channel holding `init`.
///
/// ```
/// # blitz_io::run(async {
/// let (tx, mut rx) = blitz_io::channel::watch::channel("idle");
/// blitz_io::task::spawn(async move {
///     tx.send("busy").unwrap();
/// });
/// rx.changed().await.unwrap();
/// assert_eq!(*rx.borrow_and_update(), "busy");
/// # });
/// ```
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let shared = Shared::new(init, 1);
    let receiver = Receiver {
        shared: shared.clone(),
        seen: 0,
    };
    (Sender { shared }, receiver)
}

struct Shared<T> {
    value: RwLock<T>,
    /// Bumped by `VERSION_STEP` per change; `CLOSED` once every sender is gone.
    version: AtomicUsize,
    waiters: Mutex<Waiters>,
    receivers: AtomicUsize,
    senders: AtomicUsize,
}

struct Waiters {
    /// `Receiver::changed` futures.
    receivers: WaiterList,
    /// `Sender::closed` futures.
    sender_closed: WaiterList,
}

impl<T> Shared<T> {
    fn new(init: T, receivers: usize) -> Arc<Shared<T>> {
        Arc::new(Shared {
            value: RwLock::new(init),
            version: AtomicUsize::new(0),
            waiters: Mutex::new(Waiters {
                receivers: WaiterList::new(),
                sender_closed: WaiterList::new(),
            }),
            receivers: AtomicUsize::new(receivers),
            senders: AtomicUsize::new(1),
        })
    }

    fn read(&self) -> RwLockReadGuard<'_, T> {
        self.value.read()
    }

    fn wake(&self, which: impl Fn(&mut Waiters) -> &mut WaiterList) {
        let mut batch = WakeBatch::new();
        loop {
            let more = which(&mut self.waiters.lock()).take_wakers(&mut batch);
            batch.wake_all();
            if !more {
                break;
            }
        }
    }
}

/// The error of [`Sender::send`]: no receiver is left. Holds the value that was not sent.
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sending on a watch channel with no receiver")
    }
}

impl<T> std::error::Error for SendError<T> {}

/// The error of [`Receiver::changed`] and [`Receiver::has_changed`]: every sender is gone.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct RecvError(());

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the watch channel's senders are gone")
    }
}

impl std::error::Error for RecvError {}

/// A borrowed snapshot of the value; it holds a read lock, so keep it short (senders wait).
pub struct Ref<'a, T> {
    guard: RwLockReadGuard<'a, T>,
    has_changed: bool,
}

impl<T> Ref<'_, T> {
    /// Whether this value had not been seen by the receiver that borrowed it (always `false`
    /// for a sender's borrow).
    pub fn has_changed(&self) -> bool {
        self.has_changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

/// Writes the value. Cloneable; the channel closes when the last sender is dropped.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// A sender holding `init` with no receiver yet: [`subscribe`](Self::subscribe) makes
    /// them. Until then [`send`](Self::send) fails; [`send_replace`](Self::send_replace) and
    /// [`send_modify`](Self::send_modify) still update the value a receiver will first see.
    ///
    /// ```
    /// use blitz_io::channel::watch;
    ///
    /// let tx = watch::Sender::new(0);
    /// assert!(tx.send(1).is_err(), "nobody listens yet");
    /// tx.send_replace(2);
    /// let rx = tx.subscribe();
    /// assert_eq!(*rx.borrow(), 2);
    /// ```
    pub fn new(init: T) -> Sender<T> {
        Sender {
            shared: Shared::new(init, 0),
        }
    }

    /// Replaces the value and notifies the receivers; errors (handing the value back) when
    /// there is no receiver.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.shared.receivers.load(Acquire) == 0 {
            return Err(SendError(value));
        }
        self.send_replace(value);
        Ok(())
    }

    /// Replaces the value whether or not anyone listens, notifies, and returns the old value.
    pub fn send_replace(&self, value: T) -> T {
        let mut old = Some(value);
        self.send_modify(|current| old = Some(std::mem::replace(current, old.take().unwrap())));
        old.expect("send_modify ran the closure")
    }

    /// Modifies the value in place and notifies the receivers.
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        self.send_if_modified(|value| {
            modify(value);
            true
        });
    }

    /// Runs `modify` on the value; notifies the receivers only if it returns `true` (it must
    /// return `true` whenever it changed the value). Returns what `modify` returned.
    pub fn send_if_modified(&self, modify: impl FnOnce(&mut T) -> bool) -> bool {
        {
            let mut value = self.shared.value.write();
            if !modify(&mut value) {
                return false;
            }
            // Under the write lock, so a reader that sees the new version sees the new value.
            self.shared.version.fetch_add(VERSION_STEP, Release);
        }
        self.shared.wake(|waiters| &mut waiters.receivers);
        true
    }

    /// A snapshot of the current value.
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            guard: self.shared.read(),
            has_changed: false,
        }
    }

    /// A new receiver that has seen the current value.
    pub fn subscribe(&self) -> Receiver<T> {
        self.shared.receivers.fetch_add(1, Relaxed);
        Receiver {
            shared: self.shared.clone(),
            seen: self.shared.version.load(Acquire) & !CLOSED,
        }
    }

    /// How many receivers are alive.
    pub fn receiver_count(&self) -> usize {
        self.shared.receivers.load(Relaxed)
    }

    /// How many senders (this one and its clones) are alive.
    pub fn sender_count(&self) -> usize {
        self.shared.senders.load(Relaxed)
    }

    /// Whether every receiver is gone.
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }

    /// Completes when every receiver is gone. Cancel-safe.
    pub fn closed(&self) -> Closed<'_, T> {
        Closed {
            sender: self,
            waiter: Waiter::new(),
            registered: false,
            _pinned: PhantomPinned,
        }
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.senders.fetch_add(1, Relaxed);
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if self.shared.senders.fetch_sub(1, AcqRel) == 1 {
            self.shared.version.fetch_or(CLOSED, Release);
            self.shared.wake(|waiters| &mut waiters.receivers);
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("value", &*self.borrow())
            .finish()
    }
}

/// Reads the value and waits for changes. Cloneable (a clone has seen what the original saw).
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The version (without the closed bit) of the value this receiver last marked as seen.
    seen: usize,
}

impl<T> Receiver<T> {
    /// A snapshot of the current value, without marking it seen.
    pub fn borrow(&self) -> Ref<'_, T> {
        let guard = self.shared.read();
        let version = self.shared.version.load(Acquire) & !CLOSED;
        Ref {
            guard,
            has_changed: version != self.seen,
        }
    }

    /// A snapshot of the current value, marking it seen.
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let guard = self.shared.read();
        // Read under the lock: a writer bumps the version under the write lock.
        let version = self.shared.version.load(Acquire) & !CLOSED;
        let has_changed = version != self.seen;
        self.seen = version;
        Ref { guard, has_changed }
    }

    /// Whether the value changed since this receiver last marked it seen; an error once every
    /// sender is gone.
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        let version = self.shared.version.load(Acquire);
        if version & CLOSED != 0 {
            return Err(RecvError(()));
        }
        Ok(version != self.seen)
    }

    /// Marks the current value as not seen, so the next `changed()` completes at once.
    pub fn mark_changed(&mut self) {
        self.seen = self.seen.wrapping_sub(VERSION_STEP);
    }

    /// Marks the current value as seen.
    pub fn mark_unchanged(&mut self) {
        self.seen = self.shared.version.load(Acquire) & !CLOSED;
    }

    /// Waits until the value changes from the one this receiver last saw, and marks the new
    /// one seen. Errors once every sender is gone (after any change not seen yet is reported).
    ///
    /// Cancel-safe: dropping the future loses nothing; the change stays unseen.
    pub fn changed(&mut self) -> Changed<'_, T> {
        Changed {
            receiver: self,
            waiter: Waiter::new(),
            registered: false,
            _pinned: PhantomPinned,
        }
    }

    /// Waits until the value satisfies `predicate` and returns it, borrowed and marked seen.
    ///
    /// The current value is checked first, so this completes at once if it already matches;
    /// after that `predicate` runs once per new value (values overwritten before this receiver
    /// looked are skipped, as with [`changed`](Self::changed)). Errors once every sender is
    /// gone and the last value does not match. The returned [`Ref`] holds a read lock: keep it
    /// short. `predicate` runs under that lock too, so it must not send on this channel; if it
    /// panics, the panic goes to the caller and the channel stays usable.
    ///
    /// Cancel-safe: dropping the future loses nothing (values it looked at stay marked seen).
    ///
    /// ```
    /// # blitz_io::run(async {
    /// let (tx, mut rx) = blitz_io::channel::watch::channel(0);
    /// blitz_io::task::spawn(async move {
    ///     for progress in 1..=100 {
    ///         tx.send(progress).unwrap();
    ///     }
    /// });
    /// let done = rx.wait_for(|progress| *progress == 100).await.unwrap();
    /// assert_eq!(*done, 100);
    /// # });
    /// ```
    pub fn wait_for<F: FnMut(&T) -> bool>(&mut self, predicate: F) -> WaitFor<'_, T, F> {
        let Receiver { shared, seen } = self;
        WaitFor {
            shared,
            seen,
            predicate,
            rejected: None,
            waiter: Waiter::new(),
            registered: false,
            _pinned: PhantomPinned,
        }
    }

    /// Whether both receivers belong to the same channel.
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// `Some(Ok(()))` when changed (marking it seen), `Some(Err)` when closed, `None` if
    /// neither.
    fn check(shared: &Shared<T>, seen: &mut usize) -> Option<Result<(), RecvError>> {
        let version = shared.version.load(Acquire);
        if version & !CLOSED != *seen {
            *seen = version & !CLOSED;
            return Some(Ok(()));
        }
        if version & CLOSED != 0 {
            return Some(Err(RecvError(())));
        }
        None
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.shared.receivers.fetch_add(1, Relaxed);
        Receiver {
            shared: self.shared.clone(),
            seen: self.seen,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if self.shared.receivers.fetch_sub(1, AcqRel) == 1 {
            self.shared.wake(|waiters| &mut waiters.sender_closed);
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("value", &*self.borrow())
            .finish()
    }
}
