//! A channel for exactly one value.
//!
//! Design: one shared cell per channel (its only allocation, `oneshot/cell.rs`) holds a state
//! word, the value slot and one waker slot for each side. The state word has seven bits:
//!
//! - `SENT`: the value is in the slot and belongs to the receiver from now on;
//! - `RX_CLOSED`: the receiver closed or was dropped; a send fails from then on;
//! - `TX_DROPPED`: the sender was dropped without sending;
//! - `RX_WAKER` / `TX_WAKER`: the receiver's (sender's) waker slot holds a waker that the
//!   other side may read. Each waker slot is written only by its own side, and only while its
//!   bit is clear; the other side reads it only after seeing the bit set together with the
//!   event it wakes for, and no longer writes it after that event. A set bit also means the
//!   slot holds a waker to drop with the cell (the slots are `MaybeUninit`, so creating a
//!   channel writes only the state word and the value's tag);
//! - `TX_GONE` / `RX_GONE`: that side will never touch the cell again. These two bits are the
//!   cell's reference count: whoever sets the second one frees it. A side that sees the other's
//!   bit already set (with an acquire load) frees it without a read-modify-write.
//!
//! The sender writes the value, then sets `SENT` with a compare-and-swap that fails if
//! `RX_CLOSED` is set, in which case the value was never published and goes back to the
//! caller. So the value always has exactly one owner and is never lost or dropped twice. When
//! no receiver waker is registered, the same compare-and-swap also sets `TX_GONE`, so a
//! create–send–receive costs one read-modify-write in all (an `Arc` would add three: a clone
//! and two decrements); otherwise the sender wakes the receiver first and lets go after.
//!
//! ```
//! use blitz_io::channel::oneshot;
//!
//! blitz_io::run(async {
//!     let (tx, rx) = oneshot::channel();
//!     blitz_io::task::spawn(async move { tx.send(6 * 7).unwrap() });
//!     assert_eq!(rx.await, Ok(42));
//! });
//! ```

use core::fmt;
use core::future::Future;
use core::marker::PhantomData;
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{ready, Context, Poll};

use futures_core::future::FusedFuture;

use crate::loom::sync::atomic::Ordering::{AcqRel, Acquire};

mod cell;

use cell::{free, release, Cell};
use cell::{RX_CLOSED, RX_GONE, RX_WAKER, SENT, TX_DROPPED, TX_GONE, TX_WAKER};

/// Creates a oneshot channel: one allocation, none afterwards.
///
/// ```
/// let (tx, mut rx) = blitz_io::channel::oneshot::channel::<&str>();
/// assert!(rx.try_recv().is_err());
/// tx.send("hi").unwrap();
/// assert_eq!(rx.try_recv(), Ok("hi"));
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let cell = Cell::allocate();
    (
        Sender {
            cell: Some(cell),
            _owns: PhantomData,
        },
        Receiver {
            cell: Some(cell),
            _owns: PhantomData,
        },
    )
}

/// Sends the channel's one value. Created by [`channel`].
pub struct Sender<T> {
    /// `None` once `send` has run (and the sender let go of the cell).
    cell: Option<NonNull<Cell<T>>>,
    /// The cell may hold a `T` that this handle drops (boxed: the handle stays `Unpin`).
    _owns: PhantomData<Box<T>>,
}

// SAFETY: the handle is a share of the cell, which moves the value from the sender's thread to
// the receiver's (hence `T: Send`); the state word arbitrates every access to the slots, as
// the module doc describes. Nothing hands out `&T`, so `T: Sync` is not needed, and `&Sender`
// only reads the state word.
unsafe impl<T: Send> Send for Sender<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Sender<T> {}

impl<T> Sender<T> {
    fn cell(&self) -> Option<&Cell<T>> {
        // SAFETY: while `cell` is `Some`, this side has not let go, so the cell is live.
        self.cell.map(|cell| unsafe { &*cell.as_ptr() })
    }
}

impl<T> Sender<T> {
    /// Sends `value`, or hands it back if the receiver has closed or was dropped. Never waits.
    ///
    /// ```
    /// let (tx, rx) = blitz_io::channel::oneshot::channel();
    /// drop(rx);
    /// assert_eq!(tx.send(3), Err(3));
    /// ```
    pub fn send(mut self, value: T) -> Result<(), T> {
        let ptr = self.cell.take().expect("a Sender is only consumed by send");
        // SAFETY: the sender has not let go yet, so the cell is live until `release` below
        // (or until the compare-and-swap that sets `TX_GONE`, after which we stop using it).
        let cell = unsafe { ptr.as_ref() };
        let mut state = cell.state.load(Acquire);
        if state & RX_CLOSED != 0 {
            // SAFETY: we never touch the cell again.
            unsafe { release(ptr, TX_GONE, RX_GONE) };
            return Err(value);
        }
        // SAFETY: the slot is the sender's until `SENT` is set, and only one `send` runs.
        cell.value.with_mut(|v| unsafe { *v = Some(value) });
        loop {
            if state & RX_CLOSED != 0 {
                // SAFETY: `SENT` was never set, so the slot is still ours.
                let value = cell.value.with_mut(|v| unsafe { (*v).take() });
                // SAFETY: we never touch the cell again.
                unsafe { release(ptr, TX_GONE, RX_GONE) };
                return Err(value.expect("the value written above"));
            }
            // With no receiver waker to wake, let go of the cell in the same step.
            let next = if state & RX_WAKER == 0 {
                state | SENT | TX_GONE
            } else {
                state | SENT
            };
            match cell
                .state
                .compare_exchange_weak(state, next, AcqRel, Acquire)
            {
                Ok(_) => break,
                Err(actual) => state = actual,
            }
        }
        if state & RX_WAKER != 0 {
            cell.wake(&cell.rx_waker, state, RX_WAKER);
            // SAFETY: that was our last use of the cell.
            unsafe { release(ptr, TX_GONE, RX_GONE) };
        }
        Ok(())
    }

    /// Whether the receiver has closed or was dropped: a `send` would fail.
    pub fn is_closed(&self) -> bool {
        self.cell()
            .is_none_or(|c| c.state.load(Acquire) & RX_CLOSED != 0)
    }

    /// Waits until the receiver closes or is dropped: useful to stop computing a value nobody
    /// will receive.
    ///
    /// Cancel safety: cancel-safe; dropping the future loses nothing.
    ///
    /// ```
    /// blitz_io::run(async {
    ///     let (mut tx, rx) = blitz_io::channel::oneshot::channel::<u8>();
    ///     blitz_io::task::spawn(async move { drop(rx) });
    ///     tx.closed().await;
    ///     assert!(tx.is_closed());
    /// });
    /// ```
    pub fn closed(&mut self) -> Closed<'_, T> {
        Closed { sender: self }
    }

    /// `Closed`'s poll, also usable from hand-written futures.
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let coop = ready!(crate::task::poll_proceed(cx));
        let Some(cell) = self.cell() else {
            return Poll::Ready(());
        };
        match cell.register(&cell.tx_waker, TX_WAKER, RX_CLOSED, cx.waker()) {
            Some(_) => {
                coop.made_progress();
                Poll::Ready(())
            }
            None => Poll::Pending,
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if let Some(cell) = self.cell() {
            let state = cell.state.fetch_or(TX_DROPPED, AcqRel);
            if state & RX_CLOSED == 0 {
                cell.wake(&cell.rx_waker, state, RX_WAKER);
            }
            let ptr = self.cell.take().expect("checked above");
            // SAFETY: that was the sender's last use of the cell.
            unsafe { release(ptr, TX_GONE, RX_GONE) };
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Sender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Future returned by [`Sender::closed`].
#[must_use = "futures do nothing unless polled"]
pub struct Closed<'a, T> {
    sender: &'a mut Sender<T>,
}

impl<T> Future for Closed<'_, T> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.sender.poll_closed(cx)
    }
}

impl<T> fmt::Debug for Closed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Closed").finish_non_exhaustive()
    }
}

/// Receives the channel's one value: `.await` it (it is a future), or call
/// [`try_recv`](Receiver::try_recv) or [`blocking_recv`](Receiver::blocking_recv).
///
/// Awaiting it is cancel-safe: a receiver dropped before the value arrived loses nothing the
/// sender still holds (its `send` then fails and hands the value back), and a value that did
/// arrive is dropped with the channel.
pub struct Receiver<T> {
    /// `None` once the value (or the error) was returned (and the receiver let go of the
    /// cell).
    cell: Option<NonNull<Cell<T>>>,
    /// The cell may hold a `T` that this handle drops (boxed: the handle stays `Unpin`).
    _owns: PhantomData<Box<T>>,
}

// SAFETY: as for `Sender`: the value moves to the receiver's thread (`T: Send`), the state word
// arbitrates the slots, and `&Receiver` gives no access to the value.
unsafe impl<T: Send> Send for Receiver<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Receiver<T> {}

impl<T> Receiver<T> {
    /// Takes the value if it has been sent.
    ///
    /// `Err(Empty)` while the sender may still send; `Err(Closed)` once it was dropped without
    /// sending, after `close()` with nothing sent, or after the value was already taken.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let Some(cell) = self.cell() else {
            return Err(TryRecvError::Closed);
        };
        let state = cell.state.load(Acquire);
        if state & (SENT | TX_DROPPED | RX_CLOSED) == 0 {
            return Err(TryRecvError::Empty);
        }
        self.finish(state).ok_or(TryRecvError::Closed)
    }

    /// Whether the receiver has nothing to give: no value has been sent, or it was already
    /// taken (also `true` once the receiver is [terminated](Self::is_terminated)). `false`
    /// exactly when a sent value is waiting, even after [`close`](Self::close) or once the
    /// sender is gone, since that value can still be received. Never waits.
    ///
    /// ```
    /// let (tx, mut rx) = blitz_io::channel::oneshot::channel();
    /// assert!(rx.is_empty());
    /// tx.send(7).unwrap();
    /// assert!(!rx.is_empty());
    /// assert_eq!(rx.try_recv(), Ok(7));
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.cell()
            .is_none_or(|cell| cell.state.load(Acquire) & SENT == 0)
    }

    /// Whether the receiver has already produced its result: it returned `Ready` when
    /// awaited, or `try_recv` returned the value or `Closed` for good. A terminated receiver
    /// must not be polled again (that panics); `try_recv` keeps returning `Closed`. The same
    /// as its [`FusedFuture::is_terminated`].
    ///
    /// ```
    /// use std::future::Future;
    /// use std::pin::Pin;
    /// use std::task::{Context, Poll, Waker};
    ///
    /// let (tx, mut rx) = blitz_io::channel::oneshot::channel();
    /// tx.send("done").unwrap();
    /// assert!(!rx.is_terminated(), "the value is still to be received");
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert_eq!(Pin::new(&mut rx).poll(&mut cx), Poll::Ready(Ok("done")));
    /// assert!(rx.is_terminated()); // polling again would panic
    /// ```
    pub fn is_terminated(&self) -> bool {
        self.cell.is_none()
    }

    /// Closes the channel without dropping the receiver: a later `send` fails, a value sent
    /// before this call can still be received.
    ///
    /// ```
    /// let (tx, mut rx) = blitz_io::channel::oneshot::channel::<u8>();
    /// rx.close();
    /// assert!(tx.is_closed());
    /// assert_eq!(tx.send(1), Err(1));
    /// assert!(rx.try_recv().is_err());
    /// ```
    pub fn close(&mut self) {
        if let Some(cell) = self.cell() {
            let state = cell.state.fetch_or(RX_CLOSED, AcqRel);
            if state & (SENT | TX_DROPPED | RX_CLOSED) == 0 {
                cell.wake(&cell.tx_waker, state, TX_WAKER);
            }
        }
    }

    /// Blocks the calling thread until the value arrives or the sender is dropped.
    ///
    /// # Panics
    /// When called from a thread that drives a blitz-io runtime (a worker, or inside
    /// `block_on`): use `.await` there.
    ///
    /// ```
    /// let (tx, rx) = blitz_io::channel::oneshot::channel();
    /// std::thread::spawn(move || tx.send(5).unwrap());
    /// assert_eq!(rx.blocking_recv(), Ok(5));
    /// ```
    #[track_caller]
    pub fn blocking_recv(self) -> Result<T, RecvError> {
        crate::runtime::context::assert_may_block(
            "oneshot::Receiver::blocking_recv",
            "use `receiver.await` inside async code",
        );
        crate::runtime::park::block_on_thread(self)
    }

    fn cell(&self) -> Option<&Cell<T>> {
        // SAFETY: while `cell` is `Some`, this side has not let go, so the cell is live.
        self.cell.map(|cell| unsafe { &*cell.as_ptr() })
    }

    /// Ends the receiver's use of the cell, given a `state` (acquired) with `SENT`,
    /// `TX_DROPPED` or `RX_CLOSED` set: takes the value if it was sent, and lets go.
    fn finish(&mut self, state: usize) -> Option<T> {
        let ptr = self.cell.take().expect("checked by the caller");
        let value = (state & SENT != 0).then(|| {
            // SAFETY: `SENT` is set, so the slot is the receiver's; the cell is live until we
            // let go below, and taking `cell` out of `self` means it is read once.
            let value = unsafe { ptr.as_ref() }
                .value
                .with_mut(|v| unsafe { (*v).take() });
            value.expect("SENT is set only after the value was written")
        });
        if state & TX_GONE != 0 {
            // SAFETY: the sender let go before `state` was read (acquire), so we are the last
            // side and never touch the cell again.
            unsafe { free(ptr) };
        } else {
            // SAFETY: we never touch the cell again.
            unsafe { release(ptr, RX_GONE | RX_CLOSED, TX_GONE) };
        }
        value
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let coop = ready!(crate::task::poll_proceed(cx));
        let Some(cell) = self.cell() else {
            panic!("oneshot::Receiver polled after it returned its result");
        };
        let done = SENT | TX_DROPPED | RX_CLOSED;
        let Some(state) = cell.register(&cell.rx_waker, RX_WAKER, done, cx.waker()) else {
            return Poll::Pending;
        };
        coop.made_progress();
        Poll::Ready(self.finish(state).ok_or(RecvError(())))
    }
}

impl<T> FusedFuture for Receiver<T> {
    fn is_terminated(&self) -> bool {
        Receiver::is_terminated(self)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.close();
        if let Some(ptr) = self.cell.take() {
            // SAFETY: that was the receiver's last use of the cell.
            unsafe { release(ptr, RX_GONE, TX_GONE) };
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Receiver")
            .field("terminated", &self.is_terminated())
            .finish_non_exhaustive()
    }
}

/// The sender was dropped without sending (or the receiver closed first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvError(());

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the oneshot sender was dropped without sending a value")
    }
}

impl std::error::Error for RecvError {}

/// Why [`Receiver::try_recv`] returned no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing sent yet; the sender may still send.
    Empty,
    /// Nothing will arrive: the sender was dropped, the receiver closed, or the value was
    /// already taken.
    Closed,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryRecvError::Empty => "no value sent on the oneshot channel yet",
            TryRecvError::Closed => "the oneshot channel is closed",
        })
    }
}

impl std::error::Error for TryRecvError {}

#[cfg(all(test, blitz_loom))]
mod loom_tests;
