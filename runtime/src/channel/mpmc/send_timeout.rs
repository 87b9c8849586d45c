//! [`Sender::send_timeout`]: a [`Send`] raced against a timer, which gives the value back if
//! the timer wins.
//!
//! It is [`time::timeout`](crate::time::timeout) around the `Send` future, plus one step: a
//! `Send` that is still pending holds its value, so on timeout the value is taken back out of
//! it (the `Send` is not moved; only its unpinned value slot and its waiter's registration
//! are touched) and returned in the error. The `Send` leaves the sender queue right then,
//! passing on a wake it received, so a timed-out future that is kept around holds up no one.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::time::Duration;

use super::{Send, SendError, SendTimeoutError, Sender};
use crate::time::Timeout;

impl<T> Sender<T> {
    /// Sends `value`, waiting at most `timeout` for room. On timeout, or when the channel is
    /// closed, the value comes back in the error.
    ///
    /// Cancel safety: as [`send`](Self::send): dropping the future before it completed drops
    /// the value undelivered.
    ///
    /// # Panics
    /// Outside a blitz-io runtime (the timer needs its time driver), like
    /// [`time::sleep`](crate::time::sleep()).
    ///
    /// ```
    /// use std::time::Duration;
    /// use blitz_io::channel::mpmc::{self, SendTimeoutError};
    ///
    /// blitz_io::run(async {
    ///     let (tx, rx) = mpmc::bounded(1);
    ///     tx.send_timeout(1, Duration::from_millis(10)).await.unwrap();
    ///     // Full, and nobody receives: the value comes back.
    ///     let late = tx.send_timeout(2, Duration::from_millis(10)).await;
    ///     assert_eq!(late, Err(SendTimeoutError::Timeout(2)));
    ///     assert_eq!(rx.recv().await, Ok(1));
    /// });
    /// ```
    #[track_caller]
    pub fn send_timeout(&self, value: T, timeout: Duration) -> SendTimeout<'_, T> {
        SendTimeout {
            inner: crate::time::timeout(timeout, self.send(value)),
        }
    }
}

/// Future returned by [`Sender::send_timeout`].
#[must_use = "futures do nothing unless polled"]
pub struct SendTimeout<'a, T> {
    inner: Timeout<Send<'a, T>>,
}

impl<T> Future for SendTimeout<'_, T> {
    type Output = Result<(), SendTimeoutError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `inner` is structurally pinned: it is never moved out, and `SendTimeout` has
        // no `Drop` impl nor an `Unpin` impl that would allow moving it.
        let mut inner = unsafe { self.map_unchecked_mut(|this| &mut this.inner) };
        // `Send` and `Timeout` both take part in the cooperative budget.
        Poll::Ready(match core::task::ready!(inner.as_mut().poll(cx)) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(SendError(value))) => Err(SendTimeoutError::Closed(value)),
            Err(_elapsed) => {
                // SAFETY: neither the `Timeout` nor the `Send` moves: `cancel` takes the
                // value (not structurally pinned) and unlinks the pinned waiter in place.
                let send = unsafe { inner.get_unchecked_mut() }.get_mut();
                let value = send.cancel().expect("a pending send still holds its value");
                Err(SendTimeoutError::Timeout(value))
            }
        })
    }
}

impl<T> fmt::Debug for SendTimeout<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpmc::SendTimeout")
            .field("deadline", &self.inner.deadline())
            .finish_non_exhaustive()
    }
}
