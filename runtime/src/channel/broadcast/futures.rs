//! The broadcast channel's waiting futures: [`Recv`] and [`Closed`].
//!
//! Both embed an intrusive [`Waiter`] node and link it into a list inside the tail lock, after
//! checking their condition under that same lock: a send (or the last receiver's drop) changes
//! the state under the lock before it wakes the list, so no wake-up is lost. A dropped future
//! unlinks its node under the lock.

use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll};

use super::{Receiver, RecvError, Sender, TryRecvError};
use crate::util::waiters::Waiter;

/// The future of [`Receiver::recv`].
#[must_use = "futures do nothing unless polled"]
pub struct Recv<'a, T> {
    pub(super) receiver: &'a mut Receiver<T>,
    pub(super) waiter: Waiter,
    pub(super) registered: bool,
    pub(super) _pinned: PhantomPinned,
}

impl<T: Clone> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let coop = std::task::ready!(crate::task::poll_proceed(cx));
        // SAFETY: the waiter node is never moved out; `Drop` unlinks it before it goes away.
        let this = unsafe { self.get_unchecked_mut() };
        loop {
            let result = match this.receiver.try_recv() {
                Ok(value) => Ok(value),
                Err(TryRecvError::Lagged(missed)) => Err(RecvError::Lagged(missed)),
                Err(TryRecvError::Closed) => Err(RecvError::Closed),
                Err(TryRecvError::Empty) => {
                    let mut tail = this.receiver.shared.tail.lock();
                    // Re-check under the lock: a send bumps the position under it, so either
                    // it happened (read it) or it will find our node.
                    if this.receiver.next < tail.pos || tail.closed {
                        continue;
                    }
                    // SAFETY: we hold the lock that guards the list; the node is pinned in
                    // this future, whose `Drop` removes it under the same lock.
                    unsafe {
                        tail.waiters
                            .register(NonNull::from(&this.waiter), cx.waker())
                    };
                    this.registered = true;
                    return Poll::Pending;
                }
            };
            coop.made_progress();
            return Poll::Ready(result);
        }
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        if self.registered {
            let mut tail = self.receiver.shared.tail.lock();
            // SAFETY: we hold the lock; the node is live until this future is gone.
            unsafe { tail.waiters.remove(NonNull::from(&self.waiter)) };
        }
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv").finish_non_exhaustive()
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
        // SAFETY: the waiter node is never moved out; `Drop` unlinks it before it goes away.
        let this = unsafe { self.get_unchecked_mut() };
        let mut tail = this.sender.shared.tail.lock();
        // Checked under the lock the last receiver's drop takes to wake this list.
        if tail.receivers == 0 {
            drop(tail);
            coop.made_progress();
            return Poll::Ready(());
        }
        // SAFETY: we hold the lock that guards the list; the node is pinned in this future,
        // whose `Drop` removes it under the same lock.
        unsafe {
            tail.closed_waiters
                .register(NonNull::from(&this.waiter), cx.waker())
        };
        this.registered = true;
        Poll::Pending
    }
}

impl<T> Drop for Closed<'_, T> {
    fn drop(&mut self) {
        if self.registered {
            let mut tail = self.sender.shared.tail.lock();
            // SAFETY: we hold the lock; the node is live until this future is gone.
            unsafe { tail.closed_waiters.remove(NonNull::from(&self.waiter)) };
        }
    }
}

impl<T> fmt::Debug for Closed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Closed").finish_non_exhaustive()
    }
}
