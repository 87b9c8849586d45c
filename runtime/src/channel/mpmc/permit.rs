//! Reserving room before producing the value: [`Sender::reserve`]'s `Reserve` future and the
//! [`Permit`] it yields.
//!
//! A permit is capacity counted against the channel (see `ring.rs`: values plus permits never
//! exceed `cap`), not a position in it, so a permit held for a long time delays no other
//! value. Sending on it only moves that unit from "reserved" to "buffered", which is why
//! [`Permit::send`] can neither fail nor wait. Dropping it gives the unit back and wakes one
//! waiting sender. `Reserve` waits on the same queue as `Send` and follows the same rules: it
//! re-checks after linking its waiter, and a woken `Reserve` that is dropped passes the wake on.
//! That waiting logic is [`RoomWaiter`], shared with the owned variant (`permit_owned.rs`).

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
        self.chan.try_reserve(1)?;
        Ok(Permit::new(&self.chan))
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
            room: RoomWaiter::new(),
        }
    }
}

/// Room for one value in an [`mpmc`](super) channel, from [`Sender::reserve`] or
/// [`Sender::try_reserve`]. Send on it, or drop it to give the room back.
#[must_use = "dropping a permit gives its room back unused"]
pub struct Permit<'a, T> {
    chan: &'a Chan<T>,
}

impl<'a, T> Permit<'a, T> {
    /// A permit for one unit of room the caller reserved in `chan`.
    pub(super) fn new(chan: &'a Chan<T>) -> Permit<'a, T> {
        Permit { chan }
    }

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
        self.chan.release(1);
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
    room: RoomWaiter,
}

impl<'a, T> Future for Reserve<'a, T> {
    type Output = Result<Permit<'a, T>, SendError<()>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `room` is never moved out of the pinned future; `chan` is not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: `room` is pinned in this future, always used with `this.chan`, and this
        // future's `Drop` cancels it.
        let reserved = ready!(unsafe { this.room.poll_reserve(this.chan, 1, cx) });
        Poll::Ready(reserved.map(|()| Permit { chan: this.chan }))
    }
}

impl<T> Drop for Reserve<'_, T> {
    fn drop(&mut self) {
        self.room.cancel(self.chan);
    }
}

impl<T> fmt::Debug for Reserve<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpmc::Reserve")
            .field("waiting", &self.room.is_registered())
            .finish_non_exhaustive()
    }
}

/// Waiting for room in the sender queue: the part of a reservation future that `Reserve` and
/// `ReserveOwned` share. Its owner pins it, always passes the same channel, and calls
/// [`cancel`](Self::cancel) from its `Drop`.
pub(super) struct RoomWaiter {
    waiter: Waiter,
    /// Whether `waiter` may be linked or notified: it must be unregistered before it goes.
    registered: bool,
}

impl RoomWaiter {
    pub(super) fn new() -> RoomWaiter {
        RoomWaiter {
            waiter: Waiter::new(),
            registered: false,
        }
    }

    pub(super) fn is_registered(&self) -> bool {
        self.registered
    }

    fn unregister<T>(&mut self, chan: &Chan<T>) -> bool {
        if !self.registered {
            return false;
        }
        self.registered = false;
        // SAFETY: `waiter` was registered with this queue only (the owner always passes the
        // same channel), and is still alive and pinned (the owner is pinned and has not been
        // dropped yet).
        unsafe {
            chan.send_waiters
                .unregister(Pin::new_unchecked(&self.waiter))
        }
    }

    /// Reserves room for `n` values in `chan` (all at once, `n` at most the queue's
    /// `max_reservation`), waiting for it: `Ok(())` holds `n` units of room for the caller to
    /// wrap in permits.
    ///
    /// A wait for `n > 1` units is woken, like any other, when one unit comes free; if that
    /// is not enough it re-links at the front of the queue (keeping its place), so the units
    /// that came free meanwhile wait for it rather than for whoever queued behind it. Once it
    /// has its units it passes one wake on, in case room beyond its `n` came free while the
    /// wakes for it were going to this waiter; at worst that wake is spurious (the woken
    /// waiter re-checks and re-links at the front).
    ///
    /// # Safety
    ///
    /// `self` is pinned (it does not move until dropped), every call passes the same `chan`,
    /// and the owner calls [`cancel`](Self::cancel) before dropping it.
    pub(super) unsafe fn poll_reserve<T>(
        &mut self,
        chan: &Chan<T>,
        n: usize,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), SendError<()>>> {
        let coop = ready!(crate::task::poll_proceed(cx));
        let waited = self.registered;
        let mut done = Self::finish(chan.try_reserve(n));
        if done.is_none() {
            // SAFETY: the waiter is pinned (caller), and unregistered by `cancel` before it
            // goes.
            unsafe {
                chan.send_waiters
                    .register(Pin::new_unchecked(&self.waiter), cx.waker());
            }
            self.registered = true;
            // Retry after registering: room freed meanwhile may have found no waiter to wake.
            done = Self::finish(chan.try_reserve(n));
        }
        match done {
            None => Poll::Pending,
            Some(result) => {
                self.unregister(chan);
                if result.is_ok() {
                    coop.made_progress();
                    if n > 1 && waited {
                        chan.send_waiters.notify_one();
                    }
                }
                Poll::Ready(result)
            }
        }
    }

    fn finish(result: Result<(), TrySendError<()>>) -> Option<Result<(), SendError<()>>> {
        match result {
            Ok(()) => Some(Ok(())),
            Err(TrySendError::Closed(())) => Some(Err(SendError(()))),
            Err(TrySendError::Full(())) => None,
        }
    }

    /// Leaves the queue if still in it; a wake received but not acted on goes to the next
    /// waiting sender.
    pub(super) fn cancel<T>(&mut self, chan: &Chan<T>) {
        if self.unregister(chan) {
            // Woken for room we will not take: pass the wake on.
            chan.send_waiters.notify_one();
        }
    }
}
