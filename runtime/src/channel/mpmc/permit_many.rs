//! Reserving room for several values at once: [`Sender::reserve_many`], its `ReserveMany`
//! future and the [`PermitIterator`] it yields.
//!
//! A reservation of `n` is `n` units of the same permit count a single [`Permit`] uses
//! (`permit.rs`), taken in one step: the ring adds `n` to the count in `tail` with one
//! compare-and-swap when `n` more fit, the unbounded queue adds it under its lock, so the
//! reservation is all or nothing and never holds part of its room while it waits (two large
//! reservations cannot each hold half the channel and wait on each other). The iterator hands
//! the units out one `Permit` at a time; whatever it still holds when dropped goes back in one
//! step, waking up to that many waiting senders.
//!
//! The waiting is `permit.rs`'s `RoomWaiter`, asked for `n` units: it waits in the same FIFO
//! queue as every sender, and at the front it holds the queue until `n` units are free at
//! once. The fast path of `send`, `try_send` and `recv` is untouched: a batch is only a
//! different amount in the same compare-and-swap that `reserve` does.

use core::fmt;
use core::future::Future;
use core::iter::FusedIterator;
use core::pin::Pin;
use core::task::{ready, Context, Poll};

use super::permit::RoomWaiter;
use super::{Chan, Permit, SendError, Sender, TrySendError};

impl<T> Sender<T> {
    /// Reserves room for `n` values if it is there right now, all or none; never waits.
    ///
    /// Fails with `Full` when fewer than `n` values fit now, and also (as Tokio does) when `n`
    /// is more than one reservation can ever get: the capacity, or the permit limit described
    /// at [`reserve`](Self::reserve). `n == 0` gives an empty iterator unless the channel is
    /// closed.
    ///
    /// ```
    /// use blitz_io::channel::mpmc::{self, TrySendError};
    ///
    /// let (tx, rx) = mpmc::bounded::<u32>(3);
    /// tx.try_send(0).unwrap();
    /// assert_eq!(tx.try_reserve_many(3).unwrap_err(), TrySendError::Full(()));
    /// let permits = tx.try_reserve_many(2).unwrap(); // the rest of the room
    /// assert!(tx.try_send(9).is_err());
    /// for (permit, value) in permits.zip([1, 2]) {
    ///     permit.send(value);
    /// }
    /// assert_eq!([rx.try_recv(), rx.try_recv(), rx.try_recv()], [Ok(0), Ok(1), Ok(2)]);
    /// ```
    pub fn try_reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, TrySendError<()>> {
        if n > self.chan.queue.max_reservation() {
            return if self.is_closed() {
                Err(TrySendError::Closed(()))
            } else {
                Err(TrySendError::Full(()))
            };
        }
        self.chan.try_reserve(n)?;
        Ok(PermitIterator {
            chan: &self.chan,
            left: n,
        })
    }

    /// Waits until `n` values fit at once and reserves room for all of them; the
    /// [`PermitIterator`] yields `n` [`Permit`]s. Fails when the channel is closed.
    ///
    /// The reservation is all or nothing: while it waits it holds no room, and it completes
    /// only when `n` units are free at the same moment. It waits in the same FIFO queue as
    /// `send` and `reserve`, so at the front of that queue it keeps the senders behind it
    /// waiting until it has its `n` (as Tokio's does); senders that do not have to wait
    /// (`try_send`, or a `send` that finds room) are not held back, so under a steady stream
    /// of them a large `n` may wait long. `n == 0` completes at once unless the channel is
    /// closed. On an unbounded channel it succeeds at once unless closed.
    ///
    /// Cancel safety: cancel-safe, like [`reserve`](Self::reserve).
    ///
    /// # Panics
    ///
    /// If `n` is more than a bounded channel can ever reserve at once (its capacity, or the
    /// permit limit described at [`reserve`](Self::reserve)): such a call could only wait
    /// forever. Ask for at most [`max_capacity`](Self::max_capacity) (and the permit limit), or use
    /// [`try_reserve_many`](Self::try_reserve_many), which reports `Full` instead. (Tokio
    /// returns `Err(SendError)` here, which in this crate means "closed".)
    ///
    /// ```
    /// blitz_io::run(async {
    ///     let (tx, rx) = blitz_io::channel::mpmc::bounded(4);
    ///     let batch = ["a", "b", "c"];
    ///     // Either the whole batch goes in, in order, or none of it does.
    ///     let permits = tx.reserve_many(batch.len()).await.unwrap();
    ///     for (permit, item) in permits.zip(batch) {
    ///         permit.send(item);
    ///     }
    ///     assert_eq!(rx.len(), 3);
    ///     assert_eq!(rx.recv().await, Ok("a"));
    /// });
    /// ```
    #[track_caller]
    pub fn reserve_many(&self, n: usize) -> ReserveMany<'_, T> {
        let max = self.chan.queue.max_reservation();
        assert!(
            n <= max,
            "mpmc::Sender::reserve_many({n}): at most {max} values can be reserved at once on \
             this channel, so this would wait forever; reserve fewer, or use try_reserve_many"
        );
        ReserveMany {
            chan: &self.chan,
            n,
            room: RoomWaiter::new(),
        }
    }
}

/// Room for several values, from [`Sender::reserve_many`] or [`Sender::try_reserve_many`]:
/// an iterator of single [`Permit`]s. Dropping it gives the room of the permits it has not
/// yielded back.
#[must_use = "dropping the iterator gives its room back unused"]
pub struct PermitIterator<'a, T> {
    chan: &'a Chan<T>,
    /// Units of room still held, one per permit not yet yielded.
    left: usize,
}

impl<'a, T> Iterator for PermitIterator<'a, T> {
    type Item = Permit<'a, T>;

    fn next(&mut self) -> Option<Permit<'a, T>> {
        self.left = self.left.checked_sub(1)?;
        Some(Permit::new(self.chan))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<T> ExactSizeIterator for PermitIterator<'_, T> {}

impl<T> FusedIterator for PermitIterator<'_, T> {}

impl<T> Drop for PermitIterator<'_, T> {
    fn drop(&mut self) {
        if self.left > 0 {
            self.chan.release(self.left);
        }
    }
}

impl<T> fmt::Debug for PermitIterator<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpmc::PermitIterator")
            .field("left", &self.left)
            .finish_non_exhaustive()
    }
}

/// Future returned by [`Sender::reserve_many`].
#[must_use = "futures do nothing unless polled"]
pub struct ReserveMany<'a, T> {
    chan: &'a Chan<T>,
    n: usize,
    room: RoomWaiter,
}

impl<'a, T> Future for ReserveMany<'a, T> {
    type Output = Result<PermitIterator<'a, T>, SendError<()>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `room` is never moved out of the pinned future; `chan` and `n` are not
        // pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: `room` is pinned in this future, always used with `this.chan`, and this
        // future's `Drop` cancels it. `n` was checked against the queue's limit.
        let reserved = ready!(unsafe { this.room.poll_reserve(this.chan, this.n, cx) });
        Poll::Ready(reserved.map(|()| PermitIterator {
            chan: this.chan,
            left: this.n,
        }))
    }
}

impl<T> Drop for ReserveMany<'_, T> {
    fn drop(&mut self) {
        self.room.cancel(self.chan);
    }
}

impl<T> fmt::Debug for ReserveMany<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpmc::ReserveMany")
            .field("n", &self.n)
            .field("waiting", &self.room.is_registered())
            .finish_non_exhaustive()
    }
}
