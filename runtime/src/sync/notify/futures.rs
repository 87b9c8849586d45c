//! The waiting futures of [`Notify`]: [`Notified`] borrows it, [`OwnedNotified`] holds an
//! `Arc` of it.
//!
//! Both are a [`Wait`] registration next to a way to reach the `Notify`; everything they do
//! (enable, poll, cancel on drop) goes through the same three functions below, so the two
//! cannot drift apart. `Wait` is structurally pinned in both; the `Notify` handle is not.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::sync::Arc;

use super::{Notify, Wait};
use crate::task::coop;

/// Future returned by [`Notify::notified`]: completes when this future is notified.
///
/// It belongs to the generation of `notify_waiters` calls in which it was created: a call made
/// after that completes it, even if it has not been polled yet. Dropping it while queued
/// unlinks it; if it had already been handed a `notify_one` (or `notify_last`), the
/// notification goes to the next waiter that call would have picked (or back into the stored
/// permit).
#[must_use = "futures do nothing unless polled"]
pub struct Notified<'a> {
    notify: &'a Notify,
    pub(super) wait: Wait,
}

/// Future returned by [`Notify::notified_owned`]: a [`Notified`] that keeps the `Notify`
/// alive through an `Arc`, so it is `'static` and can be moved into a spawned task.
///
/// It behaves exactly like [`Notified`]: same generation rule, same queue, same hand-on of an
/// unconsumed notification when dropped.
#[must_use = "futures do nothing unless polled"]
pub struct OwnedNotified {
    notify: Arc<Notify>,
    wait: Wait,
}

impl Notify {
    /// A future that completes when it is notified.
    ///
    /// The future takes part in `notify_waiters` calls made from now on, even before its first
    /// poll; it joins the `notify_one`/`notify_last` queue only when first polled (or
    /// [enabled](Notified::enable)).
    ///
    /// Cancel safety: dropping the future before it completes loses nothing — a `notify_one` it
    /// had been handed goes to the next waiter or becomes the stored permit. Recreating it does
    /// lose its place in the FIFO queue and its claim on a `notify_waiters` call made in
    /// between.
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            notify: self,
            wait: Wait::new(self),
        }
    }

    /// Like [`notified`](Notify::notified), but the future holds the `Arc` instead of a
    /// borrow, so it is `'static`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use blitz_io::sync::Notify;
    ///
    /// # blitz_io::run(async {
    /// let notify = Arc::new(Notify::new());
    /// // Created (and so counted for `notify_waiters`) here, awaited in another task.
    /// let notified = notify.clone().notified_owned();
    /// let waiter = blitz_io::task::spawn(notified);
    /// notify.notify_waiters();
    /// waiter.await.unwrap();
    /// # });
    /// ```
    pub fn notified_owned(self: Arc<Self>) -> OwnedNotified {
        let wait = Wait::new(&self);
        OwnedNotified { notify: self, wait }
    }
}

/// Shared body of both `enable` methods.
fn enable(notify: &Notify, wait: Pin<&mut Wait>) -> bool {
    notify.poll_wait(wait, None).is_ready()
}

/// Shared body of both `poll` methods: a poll of the registration inside the coop budget.
fn poll(notify: &Notify, wait: Pin<&mut Wait>, cx: &mut Context<'_>) -> Poll<()> {
    let coop = core::task::ready!(coop::poll_proceed(cx));
    let poll = notify.poll_wait(wait, Some(cx.waker()));
    if poll.is_ready() {
        coop.made_progress();
    }
    poll
}

impl Notified<'_> {
    /// Splits the pinned future into the `Notify` and the pinned registration.
    fn project(self: Pin<&mut Self>) -> (&Notify, Pin<&mut Wait>) {
        // SAFETY: structural pinning of `wait`, which is never moved out; `notify` is a plain
        // reference and not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: `wait` lives, pinned, inside the pinned `Notified`.
        (this.notify, unsafe { Pin::new_unchecked(&mut this.wait) })
    }

    /// Joins the waiter queue now, without a waker, so that a `notify_one` sent from here on
    /// reaches this future even before it is polled. Returns `true` if the future is already
    /// notified (its next poll returns `Ready`).
    ///
    /// Use it to register interest *before* checking a condition, so a notification sent in
    /// between is not missed:
    ///
    /// ```
    /// use std::pin::pin;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use blitz_io::sync::Notify;
    ///
    /// # blitz_io::run(async {
    /// let notify = Notify::new();
    /// let ready = AtomicBool::new(false);
    /// // (another task sets `ready` and then calls `notify.notify_one()`.)
    /// # ready.store(true, Ordering::SeqCst);
    /// # notify.notify_one();
    /// loop {
    ///     let mut notified = pin!(notify.notified());
    ///     notified.as_mut().enable();
    ///     if ready.load(Ordering::SeqCst) {
    ///         break;
    ///     }
    ///     notified.await;
    /// }
    /// # });
    /// ```
    pub fn enable(self: Pin<&mut Self>) -> bool {
        let (notify, wait) = self.project();
        enable(notify, wait)
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let (notify, wait) = self.project();
        poll(notify, wait, cx)
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        // SAFETY: `self` is being dropped, so `wait` is pinned until the end of this call,
        // and `cancel_wait` unlinks it before that.
        let wait = unsafe { Pin::new_unchecked(&mut self.wait) };
        self.notify.cancel_wait(wait);
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified")
            .field("notify", self.notify)
            .field("wait", &self.wait)
            .finish()
    }
}

impl OwnedNotified {
    /// Splits the pinned future into the `Notify` and the pinned registration.
    fn project(self: Pin<&mut Self>) -> (&Notify, Pin<&mut Wait>) {
        // SAFETY: structural pinning of `wait`, which is never moved out; the `Arc` is not
        // pinned (only read through).
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: `wait` lives, pinned, inside the pinned `OwnedNotified`.
        (&this.notify, unsafe { Pin::new_unchecked(&mut this.wait) })
    }

    /// Joins the waiter queue now, without a waker; returns `true` if already notified. The
    /// same as [`Notified::enable`].
    ///
    /// ```
    /// use std::pin::pin;
    /// use std::sync::Arc;
    /// use blitz_io::sync::Notify;
    ///
    /// # blitz_io::run(async {
    /// let notify = Arc::new(Notify::new());
    /// let mut notified = pin!(notify.clone().notified_owned());
    /// assert!(!notified.as_mut().enable());
    /// notify.notify_one(); // reaches the enabled future, not the permit store
    /// assert!(notified.as_mut().enable());
    /// notified.await;
    /// # });
    /// ```
    pub fn enable(self: Pin<&mut Self>) -> bool {
        let (notify, wait) = self.project();
        enable(notify, wait)
    }
}

impl Future for OwnedNotified {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let (notify, wait) = self.project();
        poll(notify, wait, cx)
    }
}

impl Drop for OwnedNotified {
    fn drop(&mut self) {
        // SAFETY: `self` is being dropped, so `wait` is pinned until the end of this call,
        // and `cancel_wait` unlinks it before that (the `Arc` field drops after this).
        let wait = unsafe { Pin::new_unchecked(&mut self.wait) };
        self.notify.cancel_wait(wait);
    }
}

impl fmt::Debug for OwnedNotified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedNotified")
            .field("notify", &*self.notify)
            .field("wait", &self.wait)
            .finish()
    }
}
