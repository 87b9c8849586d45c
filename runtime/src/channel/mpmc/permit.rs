//! Reserving room before producing the value: [`Sender::reserve`]'s `Reserve` future and the
//! [`Permit`] it yields.
//!
//! A permit is capacity counted against the channel (see `ring.rs`: values plus permits never
//! exceed `cap`), not a position in it, so a permit held for a long time delays no other
//! value. Sending on it only moves that unit from "reserved" to "buffered", which is why
//! [`Permit::send`] can neither fail nor wait. Dropping it gives the unit back and wakes one
//! waiting sender. `Reserve` waits on the same queue as `Send` and follows the same rules: it
//! re-checks after linking its waiter, and a woken `Reserve` that is dropped passes the wake on.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{ready, Context, Poll};

use super::waiters::Waiter;
use super::{Chan, SendError, Sender, TrySendError};

impl<T> Sender<T> {
    /// Reserves room for one value if there is some right now; never waits.
    ///
    /// ```
    /// use blitz_io::channel::mpmc::{self, TrySendError};
    ///
    /// let (tx, rx) = mpmc::bounded::<u32>(1);
    /// let permit = tx.try_reserve().unwrap();
    /// assert_eq!(tx.try_send(1), Err(TrySendError::Full(1))); // the permit holds the slot
    /// permit.send(2);
    /// assert_eq!(rx.try_recv(), Ok(2));
    /// ```
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        self.chan.try_reserve()?;
        Ok(Permit { chan: &self.chan })
    }

    /// Waits for room for one value and reserves it: the returned [`Permit`] sends without
    /// waiting and without failing. Fails when the channel is closed.
    ///
    /// Use it when the value must not be lost: `send(value).await` that is cancelled drops
    /// its value, while a cancelled `reserve()` has not consumed anything yet — produce (or
    /// take) the value only once you hold the permit.
    ///
    /// Cancel safety: cancel-safe. Dropping the future before it returned loses no value and
    /// holds no room; a wake it received goes to another waiting sender.
    ///
    /// A permit taken before the channel closes may still send: receivers see the channel as
    /// closed only once every permit has been used or dropped, then every value sent on one.
    /// An unbounded channel's `reserve()` succeeds at once unless it is closed. At most
    /// 65 535 permits (63 on 32-bit targets) can be out at once on a bounded channel.
    ///
    /// ```
    /// use std::collections::VecDeque;
    ///
    /// blitz_io::run(async {
    ///     let (tx, rx) = blitz_io::channel::mpmc::bounded(1);
    ///     let mut outbox = VecDeque::from([1, 2, 3]);
    ///     let consumer = blitz_io::task::spawn(async move {
    ///         let mut got = Vec::new();
    ///         while let Ok(value) = rx.recv().await {
    ///             got.push(value);
    ///         }
    ///         got
    ///     });
    ///     // Take a value out of the outbox only once there is room for it: if this loop is
    ///     // cancelled while waiting, nothing has left the outbox.
    ///     while !outbox.is_empty() {
    ///         let permit = tx.reserve().await.unwrap();
    ///         permit.send(outbox.pop_front().unwrap());
    ///     }
    ///     drop(tx);
    ///     assert_eq!(consumer.await.unwrap(), [1, 2, 3]);
    /// });
    /// ```
    pub fn reserve(&self) -> Reserve<'_, T> {
        Reserve {
            chan: &self.chan,
            waiter: Waiter::new(),
            registered: false,
        }
    }
}

/// Room for one value in an [`mpmc`](super) channel, from [`Sender::reserve`] or
/// [`Sender::try_reserve`]. Send on it, or drop it to give the room back.
#[must_use = "dropping a permit gives its room back unused"]
pub struct Permit<'a, T> {
    chan: &'a Chan<T>,
}

impl<T> Permit<'_, T> {
    /// Sends `value` in the reserved room. Never waits and never fails, even if the channel
    /// was closed after the permit was taken.
    ///
    /// ```
    /// let (tx, rx) = blitz_io::channel::mpmc::bounded(4);
    /// let permit = tx.try_reserve().unwrap();
    /// rx.close();
    /// permit.send("still delivered");
    /// assert_eq!(rx.try_recv(), Ok("still delivered"));
    /// assert!(rx.try_recv().is_err()); // now closed and drained
    /// ```
    pub fn send(self, value: T) {
        let chan = self.chan;
        core::mem::forget(self);
        chan.send_reserved(value);
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        self.chan.release();
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpmc::Permit").finish_non_exhaustive()
    }
}

/// Future returned by [`Sender::reserve`].
#[must_use = "futures do nothing unless polled"]
pub struct Reserve<'a, T> {
    chan: &'a Chan<T>,
    waiter: Waiter,
    /// Whether `waiter` may be linked or notified: it must be unregistered before it goes.
    registered: bool,
}

impl<'a, T> Reserve<'a, T> {
    fn unregister(&mut self) -> bool {
        if !self.registered {
            return false;
        }
        self.registered = false;
        // SAFETY: `waiter` was registered with this queue only, and is still alive and pinned
        // (we are inside `poll` or `drop` of the pinned future).
        unsafe {
            self.chan
                .send_waiters
                .unregister(Pin::new_unchecked(&self.waiter))
        }
    }

    fn finish(
        &mut self,
        result: Result<(), TrySendError<()>>,
    ) -> Option<Result<Permit<'a, T>, SendError<()>>> {
        match result {
            Ok(()) => Some(Ok(Permit { chan: self.chan })),
            Err(TrySendError::Closed(())) => Some(Err(SendError(()))),
            Err(TrySendError::Full(())) => None,
        }
    }
}

impl<'a, T> Future for Reserve<'a, T> {
    type Output = Result<Permit<'a, T>, SendError<()>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `waiter` is never moved out of the pinned future; the other fields are not
        // structurally pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let coop = ready!(crate::task::poll_proceed(cx));
        let mut done = this.finish(this.chan.try_reserve());
        if done.is_none() {
            // SAFETY: the waiter is pinned inside this future, whose `Drop` unregisters it.
            unsafe {
                this.chan
                    .send_waiters
                    .register(Pin::new_unchecked(&this.waiter), cx.waker());
            }
            this.registered = true;
            // Retry after registering: room freed meanwhile may have found no waiter to wake.
            done = this.finish(this.chan.try_reserve());
        }
        match done {
            None => Poll::Pending,
            Some(result) => {
                this.unregister();
                if result.is_ok() {
                    coop.made_progress();
                }
                Poll::Ready(result)
            }
        }
    }
}

impl<T> Drop for Reserve<'_, T> {
    fn drop(&mut self) {
        if self.unregister() {
            // Woken for room we will not take: pass the wake on.
            self.chan.send_waiters.notify_one();
        }
    }
}

impl<T> fmt::Debug for Reserve<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpmc::Reserve")
            .field("waiting", &self.registered)
            .finish_non_exhaustive()
    }
}
