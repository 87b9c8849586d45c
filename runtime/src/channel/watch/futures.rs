//! The watch channel's waiting futures: [`Changed`], [`WaitFor`] and [`Closed`].
//!
//! Each embeds an intrusive [`Waiter`] node and parks it in the shared `Waiters` lists only
//! after checking the version, then checks again under the list's lock: a sender bumps the
//! version before it locks to wake, so a change is either seen by the re-check or finds the
//! node. A dropped future unlinks its node under the same lock.

use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll};

use super::{Receiver, RecvError, Ref, Sender, Shared, CLOSED};
use crate::loom::sync::atomic::Ordering::*;
use crate::util::waiters::Waiter;

/// The future of [`Receiver::changed`].
#[must_use = "futures do nothing unless polled"]
pub struct Changed<'a, T> {
    pub(super) receiver: &'a mut Receiver<T>,
    pub(super) waiter: Waiter,
    pub(super) registered: bool,
    pub(super) _pinned: PhantomPinned,
}

impl<T> Future for Changed<'_, T> {
    type Output = Result<(), RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let coop = std::task::ready!(crate::task::poll_proceed(cx));
        // SAFETY: the waiter node is never moved out; `Drop` unlinks it before it goes away.
        let this = unsafe { self.get_unchecked_mut() };
        let Receiver { shared, seen } = &mut *this.receiver;
        if let Some(result) = Receiver::check(shared, seen) {
            coop.made_progress();
            return Poll::Ready(result);
        }
        let mut waiters = shared.waiters.lock();
        // Re-check under the lock: a sender bumps the version before it takes the lock to
        // wake, so either we see its change now or it finds our node.
        if let Some(result) = Receiver::check(shared, seen) {
            drop(waiters);
            coop.made_progress();
            return Poll::Ready(result);
        }
        // SAFETY: we hold the lock that guards the list; the node is pinned inside this
        // future, whose `Drop` removes it under the same lock.
        unsafe {
            waiters
                .receivers
                .register(NonNull::from(&this.waiter), cx.waker())
        };
        this.registered = true;
        Poll::Pending
    }
}

impl<T> Drop for Changed<'_, T> {
    fn drop(&mut self) {
        if self.registered {
            let mut waiters = self.receiver.shared.waiters.lock();
            // SAFETY: we hold the lock; the node is live (we are dropping it right after).
            unsafe { waiters.receivers.remove(NonNull::from(&self.waiter)) };
        }
    }
}

impl<T> fmt::Debug for Changed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Changed").finish_non_exhaustive()
    }
}

/// The future of [`Receiver::wait_for`].
#[must_use = "futures do nothing unless polled"]
pub struct WaitFor<'a, T, F> {
    pub(super) shared: &'a Shared<T>,
    /// The receiver's `seen` version, borrowed apart from `shared` so the `Ref` this future
    /// returns can borrow the shared state for `'a`.
    pub(super) seen: &'a mut usize,
    pub(super) predicate: F,
    /// The version the predicate last rejected: a wake without a new version (or only the
    /// close) does not run it again.
    pub(super) rejected: Option<usize>,
    pub(super) waiter: Waiter,
    pub(super) registered: bool,
    pub(super) _pinned: PhantomPinned,
}

impl<'a, T, F: FnMut(&T) -> bool> Future for WaitFor<'a, T, F> {
    type Output = Result<Ref<'a, T>, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let coop = std::task::ready!(crate::task::poll_proceed(cx));
        // SAFETY: the waiter node is never moved out; `Drop` unlinks it before it goes away.
        let this = unsafe { self.get_unchecked_mut() };
        let shared: &'a Shared<T> = this.shared;
        loop {
            let version = {
                let guard = shared.read();
                // Read under the lock: a writer bumps the version under the write lock.
                let version = shared.version.load(Acquire);
                let current = version & !CLOSED;
                if this.rejected != Some(current) {
                    let has_changed = current != *this.seen;
                    *this.seen = current;
                    // The predicate runs under the read lock only (never the waiter lock), so
                    // if it panics the guard is released as the panic unwinds and the channel
                    // stays usable.
                    if (this.predicate)(&*guard) {
                        coop.made_progress();
                        return Poll::Ready(Ok(Ref { guard, has_changed }));
                    }
                    this.rejected = Some(current);
                }
                version
            };
            if version & CLOSED != 0 {
                coop.made_progress();
                return Poll::Ready(Err(RecvError(())));
            }
            let mut waiters = shared.waiters.lock();
            // Re-check under the lock, as in `Changed::poll`: a new version (or the close)
            // either shows here or finds our node.
            if shared.version.load(Acquire) != version {
                continue;
            }
            // SAFETY: we hold the lock that guards the list; the node is pinned inside this
            // future, whose `Drop` removes it under the same lock.
            unsafe {
                waiters
                    .receivers
                    .register(NonNull::from(&this.waiter), cx.waker())
            };
            this.registered = true;
            return Poll::Pending;
        }
    }
}

impl<T, F> Drop for WaitFor<'_, T, F> {
    fn drop(&mut self) {
        if self.registered {
            let mut waiters = self.shared.waiters.lock();
            // SAFETY: as in `Changed::drop`.
            unsafe { waiters.receivers.remove(NonNull::from(&self.waiter)) };
        }
    }
}

impl<T, F> fmt::Debug for WaitFor<'_, T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitFor").finish_non_exhaustive()
    }
}

/// The future of [`Sender::closed`].
#[must_use = "futures do nothing unless polled"]
pub struct Closed<'a, T> {
    pub(super) sender: &'a Sender<T>,
    pub(super) waiter: Waiter,
    pub(super) registered: bool,
    pub(super) _pinned: PhantomPinned,
}

impl<T> Future for Closed<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let coop = std::task::ready!(crate::task::poll_proceed(cx));
        // SAFETY: as in `Changed::poll`.
        let this = unsafe { self.get_unchecked_mut() };
        let shared = &this.sender.shared;
        if shared.receivers.load(Acquire) == 0 {
            coop.made_progress();
            return Poll::Ready(());
        }
        let mut waiters = shared.waiters.lock();
        if shared.receivers.load(Acquire) == 0 {
            coop.made_progress();
            return Poll::Ready(());
        }
        // SAFETY: as in `Changed::poll`.
        unsafe {
            waiters
                .sender_closed
                .register(NonNull::from(&this.waiter), cx.waker())
        };
        this.registered = true;
        Poll::Pending
    }
}

impl<T> Drop for Closed<'_, T> {
    fn drop(&mut self) {
        if self.registered {
            let mut waiters = self.sender.shared.waiters.lock();
            // SAFETY: as in `Changed::drop`.
            unsafe { waiters.sender_closed.remove(NonNull::from(&self.waiter)) };
        }
    }
}

impl<T> fmt::Debug for Closed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Closed").finish_non_exhaustive()
    }
}
