//! A multi-producer, multi-consumer channel where every receiver sees every value (`T: Clone`).
//!
//! Design: a ring of `capacity` slots, each behind its own small lock, plus a tail lock that
//! orders senders and holds the receiver count and the waiter list. A send locks the tail,
//! writes the next slot and stamps it with its absolute position, bumps the tail and wakes
//! every waiting receiver after unlocking. A receiver keeps the absolute position it reads next
//! and only locks the slot at that position: a stamp equal to the position is a value to
//! clone; otherwise the tail tells it apart — caught up (empty or closed) or overtaken (lagged:
//! it learns exactly how many values it missed and jumps to the oldest one still held).
//! Positions are `u64`, so they never wrap in practice. Values stay in the ring until
//! overwritten (or the channel is dropped). Nothing allocates after `channel()`.

use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll};

use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::sync::{Arc, Mutex};
use crate::util::waiters::{Waiter, WaiterList};
use crate::util::wake_batch::WakeBatch;

/// Creates a broadcast channel that holds the last `capacity` values for slow receivers.
///
/// # Panics
/// If `capacity` is 0: a broadcast channel needs room for at least one value (use
/// [`watch`](super::watch) to share only the latest value).
///
/// ```
/// # blitz_io::run(async {
/// let (tx, mut rx1) = blitz_io::channel::broadcast::channel(16);
/// let mut rx2 = tx.subscribe();
/// assert_eq!(tx.send("hello").unwrap(), 2); // two receivers got it
/// assert_eq!(rx1.recv().await.unwrap(), "hello");
/// assert_eq!(rx2.recv().await.unwrap(), "hello");
/// # });
/// ```
#[track_caller]
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "broadcast::channel(0): a broadcast channel needs a capacity of at least 1"
    );
    let slots = (0..capacity)
        .map(|_| {
            Mutex::new(Slot {
                pos: u64::MAX,
                value: None,
            })
        })
        .collect();
    let shared = Arc::new(Shared {
        slots,
        capacity: capacity as u64,
        tail: Mutex::new(Tail {
            pos: 0,
            receivers: 1,
            closed: false,
            waiters: WaiterList::new(),
        }),
        senders: AtomicUsize::new(1),
    });
    let receiver = Receiver {
        shared: shared.clone(),
        next: 0,
    };
    (Sender { shared }, receiver)
}

struct Shared<T> {
    slots: Box<[Mutex<Slot<T>>]>,
    capacity: u64,
    tail: Mutex<Tail>,
    senders: AtomicUsize,
}

struct Slot<T> {
    /// The absolute position of the value held (`u64::MAX`: never written).
    pos: u64,
    value: Option<T>,
}

struct Tail {
    /// The position the next value gets.
    pos: u64,
    receivers: usize,
    closed: bool,
    /// `recv()` futures waiting for a value.
    waiters: WaiterList,
}

impl<T> Shared<T> {
    fn slot(&self, pos: u64) -> &Mutex<Slot<T>> {
        &self.slots[(pos % self.capacity) as usize]
    }

    /// Wakes every waiting receiver; `tail` is the held tail lock, released here.
    fn wake_receivers<'a>(&'a self, mut tail: crate::loom::sync::MutexGuard<'a, Tail>) {
        let mut batch = WakeBatch::new();
        loop {
            let more = tail.waiters.take_wakers(&mut batch);
            drop(tail);
            batch.wake_all();
            if !more {
                return;
            }
            tail = self.tail.lock();
        }
    }
}

/// The error of [`Sender::send`]: no receiver is alive. Holds the value that was not sent.
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sending on a broadcast channel with no receiver")
    }
}

impl<T> std::error::Error for SendError<T> {}

/// The error of [`Receiver::recv`].
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum RecvError {
    /// Every sender is gone and this receiver has read every value it will get.
    Closed,
    /// The receiver fell behind: this many values were overwritten before it read them. The
    /// next `recv` returns the oldest value still held.
    Lagged(u64),
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Closed => f.write_str("the broadcast channel is closed"),
            RecvError::Lagged(n) => write!(f, "the receiver lagged behind by {n} values"),
        }
    }
}

impl std::error::Error for RecvError {}

/// The error of [`Receiver::try_recv`].
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum TryRecvError {
    /// No value is waiting.
    Empty,
    /// Every sender is gone and every value was read.
    Closed,
    /// As [`RecvError::Lagged`].
    Lagged(u64),
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("the broadcast channel is empty"),
            TryRecvError::Closed => f.write_str("the broadcast channel is closed"),
            TryRecvError::Lagged(n) => write!(f, "the receiver lagged behind by {n} values"),
        }
    }
}

impl std::error::Error for TryRecvError {}

/// Sends values to every receiver. Cloneable; the channel closes when the last is dropped.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Sends `value` to every current receiver and returns how many there are; errors (handing
    /// the value back) when there is none. Never waits: a full ring overwrites its oldest
    /// value, and receivers that had not read it see [`RecvError::Lagged`].
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let mut tail = self.shared.tail.lock();
        if tail.receivers == 0 {
            return Err(SendError(value));
        }
        let receivers = tail.receivers;
        let pos = tail.pos;
        let overwritten = {
            let mut slot = self.shared.slot(pos).lock();
            slot.pos = pos;
            slot.value.replace(value)
        };
        tail.pos += 1;
        self.shared.wake_receivers(tail);
        // Dropped outside every lock: `T::drop` may run arbitrary code.
        drop(overwritten);
        Ok(receivers)
    }

    /// A new receiver that gets every value sent from now on.
    pub fn subscribe(&self) -> Receiver<T> {
        let mut tail = self.shared.tail.lock();
        tail.receivers += 1;
        Receiver {
            shared: self.shared.clone(),
            next: tail.pos,
        }
    }

    /// How many receivers are alive.
    pub fn receiver_count(&self) -> usize {
        self.shared.tail.lock().receivers
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.senders.fetch_add(1, Relaxed);
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if self.shared.senders.fetch_sub(1, AcqRel) == 1 {
            let mut tail = self.shared.tail.lock();
            tail.closed = true;
            self.shared.wake_receivers(tail);
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("capacity", &self.shared.capacity)
            .finish_non_exhaustive()
    }
}

/// Receives every value sent after it subscribed (not `Clone`: see [`Receiver::resubscribe`]).
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The absolute position of the next value to read.
    next: u64,
}

impl<T: Clone> Receiver<T> {
    /// Takes the next value if one is waiting.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        loop {
            {
                let slot = self.shared.slot(self.next).lock();
                if slot.pos == self.next {
                    let value = slot.value.clone().expect("a stamped slot holds its value");
                    drop(slot);
                    self.next += 1;
                    return Ok(value);
                }
            }
            let tail = self.shared.tail.lock();
            if self.next >= tail.pos {
                return Err(if tail.closed {
                    TryRecvError::Closed
                } else {
                    TryRecvError::Empty
                });
            }
            let oldest = tail.pos.saturating_sub(self.shared.capacity);
            if self.next < oldest {
                let missed = oldest - self.next;
                self.next = oldest;
                return Err(TryRecvError::Lagged(missed));
            }
            // The value was written between the slot check and the tail lock: read it.
        }
    }

    /// Waits for the next value. Errors with [`RecvError::Lagged`] (once) when values were
    /// missed, and with [`RecvError::Closed`] when every sender is gone and everything was read.
    ///
    /// Cancel-safe: dropping the future before it completes loses no value.
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv {
            receiver: self,
            waiter: Waiter::new(),
            registered: false,
            _pinned: PhantomPinned,
        }
    }

    /// [`recv`](Self::recv) for plain threads.
    ///
    /// # Panics
    /// When called from a thread that drives a runtime (use `.recv().await` there).
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Result<T, RecvError> {
        crate::runtime::context::assert_may_block(
            "broadcast::Receiver::blocking_recv",
            "use `receiver.recv().await` inside async code",
        );
        crate::runtime::park::block_on_thread(self.recv())
    }
}

impl<T> Receiver<T> {
    /// A new receiver of the same channel that starts at the newest position (it does not see
    /// the values this one has not read yet).
    pub fn resubscribe(&self) -> Receiver<T> {
        let mut tail = self.shared.tail.lock();
        tail.receivers += 1;
        Receiver {
            shared: self.shared.clone(),
            next: tail.pos,
        }
    }

    /// How many values this receiver has not read yet (at most the capacity, which is what it
    /// can still get).
    pub fn len(&self) -> usize {
        let tail = self.shared.tail.lock();
        tail.pos.saturating_sub(self.next).min(self.shared.capacity) as usize
    }

    /// Whether no value is waiting for this receiver.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether every sender is gone (values may still be waiting).
    pub fn is_closed(&self) -> bool {
        self.shared.tail.lock().closed
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.shared.tail.lock().receivers -= 1;
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

/// The future of [`Receiver::recv`].
#[must_use = "futures do nothing unless polled"]
pub struct Recv<'a, T> {
    receiver: &'a mut Receiver<T>,
    waiter: Waiter,
    registered: bool,
    _pinned: PhantomPinned,
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

#[cfg(all(test, blitz_loom))]
mod loom_tests {
    use super::*;
    use loom::thread;

    /// Two sends into a one-slot ring race a waiting receiver: it gets the first value or
    /// learns it lagged by exactly one, then gets the second, then sees the close; never a
    /// lost wake-up (loom reports a receiver parked forever as a deadlock).
    #[test]
    fn recv_races_sends_and_close() {
        loom::model(|| {
            let (tx, mut rx) = channel(1);
            let sender = thread::spawn(move || {
                tx.send(1).unwrap();
                tx.send(2).unwrap();
            });
            match loom::future::block_on(rx.recv()) {
                Ok(1) => assert_eq!(loom::future::block_on(rx.recv()), Ok(2)),
                Err(RecvError::Lagged(1)) => {
                    assert_eq!(loom::future::block_on(rx.recv()), Ok(2))
                }
                other => panic!("unexpected {other:?}"),
            }
            assert_eq!(loom::future::block_on(rx.recv()), Err(RecvError::Closed));
            sender.join().unwrap();
        });
    }
}
