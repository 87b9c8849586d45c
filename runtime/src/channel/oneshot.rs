//! A channel for exactly one value.
//!
//! Design: one shared cell per channel (its only allocation) holds a state word, the value slot
//! and one waker slot for each side. The state word has five bits:
//!
//! - `SENT`: the value is in the slot and belongs to the receiver from now on;
//! - `RX_CLOSED`: the receiver closed or was dropped; a send fails from then on;
//! - `TX_DROPPED`: the sender was dropped without sending;
//! - `RX_WAKER` / `TX_WAKER`: the receiver's (sender's) waker slot holds a waker that the
//!   other side may read. Each waker slot is written only by its own side, and only while its
//!   bit is clear; the other side reads it only after seeing the bit set together with the
//!   event it wakes for, and no longer writes it after that event.
//!
//! The sender writes the value, then sets `SENT` with a compare-and-swap that fails if
//! `RX_CLOSED` is set, in which case the value was never published and goes back to the
//! caller. So the value always has exactly one owner and is never lost or dropped twice.
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
use core::pin::Pin;
use core::task::{ready, Context, Poll, Waker};

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::AcqRel, Ordering::Acquire};
use crate::loom::sync::Arc;

const SENT: usize = 1;
const RX_CLOSED: usize = 1 << 1;
const TX_DROPPED: usize = 1 << 2;
const RX_WAKER: usize = 1 << 3;
const TX_WAKER: usize = 1 << 4;

/// Creates a oneshot channel: one allocation, none afterwards.
///
/// ```
/// let (tx, mut rx) = blitz_io::channel::oneshot::channel::<&str>();
/// assert!(rx.try_recv().is_err());
/// tx.send("hi").unwrap();
/// assert_eq!(rx.try_recv(), Ok("hi"));
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let cell = Arc::new(Cell {
        state: AtomicUsize::new(0),
        value: UnsafeCell::new(None),
        rx_waker: UnsafeCell::new(None),
        tx_waker: UnsafeCell::new(None),
    });
    (
        Sender {
            cell: Some(cell.clone()),
        },
        Receiver { cell: Some(cell) },
    )
}

struct Cell<T> {
    state: AtomicUsize,
    value: UnsafeCell<Option<T>>,
    rx_waker: UnsafeCell<Option<Waker>>,
    tx_waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the value moves from the sender's thread to the receiver's (hence `T: Send`); the
// slots are handed over through the state word as the module doc describes, so no two threads
// access a slot at once. Nothing hands out `&T`, so `T: Sync` is not needed.
unsafe impl<T: Send> Send for Cell<T> {}
// SAFETY: as above: shared access is arbitrated by the state word.
unsafe impl<T: Send> Sync for Cell<T> {}

impl<T> Cell<T> {
    /// Stores `waker` in the slot guarded by `bit` unless `done` is already set in the state;
    /// returns the state in which `done` was found set, or `None` once the waker is published.
    fn register(
        &self,
        slot: &UnsafeCell<Option<Waker>>,
        bit: usize,
        done: usize,
        waker: &Waker,
    ) -> Option<usize> {
        let state = self.state.load(Acquire);
        if state & done != 0 {
            return Some(state);
        }
        if state & bit != 0 {
            // SAFETY: the slot is published (`bit` set) and the other side does not write it;
            // reading it concurrently with the other side's read is fine.
            let same = slot.with(|w| unsafe { (*w).as_ref() }.is_some_and(|w| w.will_wake(waker)));
            if same {
                return None;
            }
            // Take the slot back before replacing the waker.
            let state = self.state.fetch_and(!bit, AcqRel);
            if state & done != 0 {
                return Some(state);
            }
        }
        // SAFETY: `bit` is clear, so the slot is ours: the other side reads it only while the
        // bit is set.
        slot.with_mut(|w| unsafe { *w = Some(waker.clone()) });
        let state = self.state.fetch_or(bit, AcqRel);
        if state & done != 0 {
            return Some(state);
        }
        None
    }

    /// Wakes the waker in `slot`, published with `bit` in `state`.
    fn wake(&self, slot: &UnsafeCell<Option<Waker>>, state: usize, bit: usize) {
        if state & bit != 0 {
            // SAFETY: the owner published the slot (`bit` set) before the event we just
            // recorded, and no longer writes it now that the event is visible.
            slot.with(|w| unsafe { (*w).as_ref() }.map(Waker::wake_by_ref));
        }
    }
}

/// Sends the channel's one value. Created by [`channel`].
pub struct Sender<T> {
    /// `None` once `send` has run.
    cell: Option<Arc<Cell<T>>>,
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
        let cell = self.cell.take().expect("a Sender is only consumed by send");
        let mut state = cell.state.load(Acquire);
        if state & RX_CLOSED != 0 {
            return Err(value);
        }
        // SAFETY: the slot is the sender's until `SENT` is set, and only one `send` runs.
        cell.value.with_mut(|v| unsafe { *v = Some(value) });
        loop {
            if state & RX_CLOSED != 0 {
                // SAFETY: `SENT` was never set, so the slot is still ours.
                let value = cell.value.with_mut(|v| unsafe { (*v).take() });
                return Err(value.expect("the value written above"));
            }
            match cell
                .state
                .compare_exchange_weak(state, state | SENT, AcqRel, Acquire)
            {
                Ok(_) => break,
                Err(actual) => state = actual,
            }
        }
        cell.wake(&cell.rx_waker, state, RX_WAKER);
        Ok(())
    }

    /// Whether the receiver has closed or was dropped: a `send` would fail.
    pub fn is_closed(&self) -> bool {
        self.cell
            .as_ref()
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
        let Some(cell) = &self.cell else {
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
        if let Some(cell) = &self.cell {
            let state = cell.state.fetch_or(TX_DROPPED, AcqRel);
            if state & RX_CLOSED == 0 {
                cell.wake(&cell.rx_waker, state, RX_WAKER);
            }
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
    /// `None` once the value (or the error) was returned.
    cell: Option<Arc<Cell<T>>>,
}

impl<T> Receiver<T> {
    /// Takes the value if it has been sent.
    ///
    /// `Err(Empty)` while the sender may still send; `Err(Closed)` once it was dropped without
    /// sending, after `close()` with nothing sent, or after the value was already taken.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let Some(cell) = &self.cell else {
            return Err(TryRecvError::Closed);
        };
        let state = cell.state.load(Acquire);
        if state & SENT != 0 {
            Ok(self.take_value())
        } else if state & (TX_DROPPED | RX_CLOSED) != 0 {
            self.cell = None;
            Err(TryRecvError::Closed)
        } else {
            Err(TryRecvError::Empty)
        }
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
        if let Some(cell) = &self.cell {
            let state = cell.state.fetch_or(RX_CLOSED, AcqRel);
            if state & (SENT | TX_DROPPED) == 0 {
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

    fn take_value(&mut self) -> T {
        let cell = self.cell.take().expect("checked by the caller");
        // SAFETY: `SENT` is set, so the slot is the receiver's, and taking `cell` out of `self`
        // means it is read once.
        let value = cell.value.with_mut(|v| unsafe { (*v).take() });
        value.expect("SENT is set only after the value was written")
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let coop = ready!(crate::task::poll_proceed(cx));
        let Some(cell) = &self.cell else {
            panic!("oneshot::Receiver polled after it returned its result");
        };
        let done = SENT | TX_DROPPED | RX_CLOSED;
        let Some(state) = cell.register(&cell.rx_waker, RX_WAKER, done, cx.waker()) else {
            return Poll::Pending;
        };
        coop.made_progress();
        if state & SENT != 0 {
            Poll::Ready(Ok(self.take_value()))
        } else {
            self.cell = None;
            Poll::Ready(Err(RecvError(())))
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.close();
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Receiver").finish_non_exhaustive()
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
