//! [`Sender::reserve_owned`]: a reservation that owns its sender, so the [`OwnedPermit`] is
//! `'static` and can move into a spawned task.
//!
//! The permit is the same unit of reserved room as a [`Permit`](super::Permit) (see
//! `permit.rs`); it only carries a [`Sender`] instead of borrowing one, and gives that sender
//! back when it is used or released. The waiting is `permit.rs`'s [`RoomWaiter`]. An unused
//! permit gives its room back before its sender drops, so a permit that holds the last
//! sender releases the room and then closes the channel.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{ready, Context, Poll};

use super::permit::RoomWaiter;
use super::{SendError, Sender, TrySendError};

impl<T> Sender<T> {
    /// [`try_reserve`](Self::try_reserve) that takes the sender and puts it in the permit;
    /// on failure the sender comes back in the error.
    ///
    /// ```
    /// use blitz_io::channel::mpmc::{self, TrySendError};
    ///
    /// let (tx, rx) = mpmc::bounded::<u32>(1);
    /// let permit = tx.try_reserve_owned().unwrap();
    /// let tx = permit.send(1); // the sender comes back
    /// let Err(TrySendError::Full(tx)) = tx.try_reserve_owned() else { panic!("full") };
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert!(tx.try_reserve_owned().is_ok());
    /// ```
    pub fn try_reserve_owned(self) -> Result<OwnedPermit<T>, TrySendError<Sender<T>>> {
        match self.chan.try_reserve(1) {
            Ok(()) => Ok(OwnedPermit { sender: Some(self) }),
            Err(TrySendError::Full(())) => Err(TrySendError::Full(self)),
            Err(TrySendError::Closed(())) => Err(TrySendError::Closed(self)),
        }
    }

    /// [`reserve`](Self::reserve) that takes the sender (clone it first to keep one) and puts
    /// it in the permit, so the permit is `'static`: wait for room in one task, produce the
    /// value in another. Fails, dropping the sender, when the channel is closed.
    ///
    /// Cancel safety: cancel-safe, as `reserve` (dropping the future drops the sender).
    ///
    /// ```
    /// blitz_io::run(async {
    ///     let (tx, rx) = blitz_io::channel::mpmc::bounded(1);
    ///     let permit = tx.clone().reserve_owned().await.unwrap();
    ///     let producer = blitz_io::task::spawn(async move {
    ///         permit.send("made elsewhere");
    ///     });
    ///     producer.await.unwrap();
    ///     assert_eq!(rx.recv().await, Ok("made elsewhere"));
    /// });
    /// ```
    pub fn reserve_owned(self) -> ReserveOwned<T> {
        ReserveOwned {
            sender: Some(self),
            room: RoomWaiter::new(),
        }
    }
}

/// Room for one value, holding its [`Sender`]; from [`Sender::reserve_owned`] or
/// [`Sender::try_reserve_owned`]. Send on it, or release it (or drop it) to give the room
/// back.
#[must_use = "dropping a permit gives its room back unused"]
pub struct OwnedPermit<T> {
    /// `Some` until the permit is used or released.
    sender: Option<Sender<T>>,
}

impl<T> OwnedPermit<T> {
    /// Sends `value` in the reserved room and gives the sender back. Never waits and never
    /// fails, even if the channel was closed after the permit was taken.
    pub fn send(mut self, value: T) -> Sender<T> {
        let sender = self
            .sender
            .take()
            .expect("an unused permit holds its sender");
        sender.chan.send_reserved(value);
        sender
    }

    /// Gives the room back unused and returns the sender.
    ///
    /// ```
    /// let (tx, rx) = blitz_io::channel::mpmc::bounded::<u32>(1);
    /// let permit = tx.try_reserve_owned().unwrap();
    /// let tx = permit.release();
    /// tx.try_send(5).unwrap(); // the room is free again
    /// assert_eq!(rx.try_recv(), Ok(5));
    /// ```
    pub fn release(mut self) -> Sender<T> {
        let sender = self
            .sender
            .take()
            .expect("an unused permit holds its sender");
        sender.chan.release(1);
        sender
    }
}

impl<T> Drop for OwnedPermit<T> {
    fn drop(&mut self) {
        if let Some(sender) = self.sender.take() {
            // Room first, then the sender: if it is the last one, its drop closes the
            // channel after the room is back.
            sender.chan.release(1);
        }
    }
}

impl<T> fmt::Debug for OwnedPermit<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpmc::OwnedPermit").finish_non_exhaustive()
    }
}

/// Future returned by [`Sender::reserve_owned`].
#[must_use = "futures do nothing unless polled"]
pub struct ReserveOwned<T> {
    /// `Some` until the future completes.
    sender: Option<Sender<T>>,
    room: RoomWaiter,
}

impl<T> Future for ReserveOwned<T> {
    type Output = Result<OwnedPermit<T>, SendError<()>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `room` is never moved out of the pinned future; `sender` is not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let sender = this
            .sender
            .as_ref()
            .expect("`ReserveOwned` polled after it completed");
        // SAFETY: `room` is pinned in this future and always used with this sender's channel
        // (the sender only leaves when the future completes, after `room` is unregistered);
        // this future's `Drop` cancels it.
        let reserved = ready!(unsafe { this.room.poll_reserve(&sender.chan, 1, cx) });
        let sender = this.sender.take();
        Poll::Ready(reserved.map(|()| OwnedPermit { sender }))
    }
}

impl<T> Drop for ReserveOwned<T> {
    fn drop(&mut self) {
        if let Some(sender) = &self.sender {
            self.room.cancel(&sender.chan);
        }
    }
}

impl<T> fmt::Debug for ReserveOwned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpmc::ReserveOwned")
            .field("waiting", &self.room.is_registered())
            .finish_non_exhaustive()
    }
}
