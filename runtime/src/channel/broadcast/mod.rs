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
//!
//! Each slot also counts the receivers that have yet to read its value (set to the receiver
//! count by the send, decremented by each read, and by a receiver's drop for every value it
//! left unread), which is what [`Sender::len`] reports. The waiting futures are in
//! `futures.rs`, the [`WeakSender`] in `weak.rs`.

use std::fmt;
use std::marker::PhantomPinned;

use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use crate::loom::sync::{Arc, Mutex};
use crate::util::waiters::{Waiter, WaiterList};
use crate::util::wake_batch::WakeBatch;

mod futures;
#[cfg(all(test, blitz_loom))]
mod loom_tests;
mod weak;

pub use futures::{Closed, Recv};
pub use weak::WeakSender;

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
    let shared = Shared::new(capacity, 1);
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
    /// `WeakSender`s alive: only counted, for `weak_count` (they keep nothing open).
    weak_senders: AtomicUsize,
}

struct Slot<T> {
    /// The absolute position of the value held (`u64::MAX`: never written).
    pos: u64,
    /// How many receivers have yet to read this value.
    unread: usize,
    value: Option<T>,
}

struct Tail {
    /// The position the next value gets.
    pos: u64,
    receivers: usize,
    closed: bool,
    /// `recv()` futures waiting for a value.
    waiters: WaiterList,
    /// `Sender::closed()` futures waiting for the last receiver to go.
    closed_waiters: WaiterList,
}

impl<T> Shared<T> {
    fn new(capacity: usize, receivers: usize) -> Arc<Shared<T>> {
        let slots = (0..capacity)
            .map(|_| {
                Mutex::new(Slot {
                    pos: u64::MAX,
                    unread: 0,
                    value: None,
                })
            })
            .collect();
        Arc::new(Shared {
            slots,
            capacity: capacity as u64,
            tail: Mutex::new(Tail {
                pos: 0,
                receivers,
                closed: false,
                waiters: WaiterList::new(),
                closed_waiters: WaiterList::new(),
            }),
            senders: AtomicUsize::new(1),
            weak_senders: AtomicUsize::new(0),
        })
    }

    fn slot(&self, pos: u64) -> &Mutex<Slot<T>> {
        &self.slots[(pos % self.capacity) as usize]
    }

    /// Wakes every waiting receiver; `tail` is the held tail lock, released here.
    fn wake_receivers<'a>(&'a self, tail: crate::loom::sync::MutexGuard<'a, Tail>) {
        self.wake_all(tail, |tail| &mut tail.waiters);
    }

    /// Wakes every waiter in the list `which` picks; `tail` is the held tail lock, released
    /// here.
    fn wake_all<'a>(
        &'a self,
        mut tail: crate::loom::sync::MutexGuard<'a, Tail>,
        which: impl Fn(&mut Tail) -> &mut WaiterList,
    ) {
        let mut batch = WakeBatch::new();
        loop {
            let more = which(&mut tail).take_wakers(&mut batch);
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
    /// A sender with no receiver yet: [`subscribe`](Self::subscribe) makes them, and until
    /// then [`send`](Self::send) fails. Holds the last `capacity` values, as
    /// [`channel`] does.
    ///
    /// # Panics
    /// If `capacity` is 0, as [`channel`].
    ///
    /// ```
    /// use blitz_io::channel::broadcast;
    ///
    /// let tx = broadcast::Sender::new(4);
    /// assert!(tx.send(1).is_err(), "nobody listens yet");
    /// let mut rx = tx.subscribe();
    /// tx.send(2).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(2));
    /// ```
    #[track_caller]
    pub fn new(capacity: usize) -> Sender<T> {
        assert!(
            capacity > 0,
            "broadcast::Sender::new(0): a broadcast channel needs a capacity of at least 1"
        );
        Sender {
            shared: Shared::new(capacity, 0),
        }
    }

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
            slot.unread = receivers;
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

    /// How many senders (this one and its clones) are alive.
    pub fn sender_count(&self) -> usize {
        self.shared.senders.load(Relaxed)
    }

    /// How many values are still held for some receiver: sent, not yet overwritten, and not
    /// yet read by every receiver that was alive when it was sent (a receiver that is dropped
    /// stops counting). At most the capacity.
    ///
    /// ```
    /// let (tx, mut rx1) = blitz_io::channel::broadcast::channel(8);
    /// let mut rx2 = tx.subscribe();
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// assert_eq!(tx.len(), 2);
    /// rx1.try_recv().unwrap();
    /// assert_eq!(tx.len(), 2, "rx2 has not read 1 yet");
    /// rx2.try_recv().unwrap();
    /// assert_eq!(tx.len(), 1);
    /// drop(rx1); // its unread value no longer waits for it
    /// assert_eq!(tx.len(), 1, "rx2 has not read 2 yet");
    /// drop(rx2);
    /// assert!(tx.is_empty());
    /// ```
    pub fn len(&self) -> usize {
        let tail = self.shared.tail.lock();
        let oldest = tail.pos.saturating_sub(self.shared.capacity);
        // Every receiver reads in order and counts in every value sent while it is alive, so
        // along the held window "still unread by someone" is false up to some position and
        // true from there on: find that position by bisection. The tail lock keeps sends
        // and receiver drops out; reads only turn "unread" off, oldest first.
        let (mut low, mut high) = (oldest, tail.pos);
        while low < high {
            let mid = low + (high - low) / 2;
            if self.shared.slot(mid).lock().unread == 0 {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        (tail.pos - low) as usize
    }

    /// Whether no value is held for any receiver (see [`len`](Self::len)).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether both senders belong to the same channel.
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Completes when every receiver is gone (at once if none is alive). Cancel-safe.
    ///
    /// A later [`subscribe`](Self::subscribe) opens the channel again, but does not undo a
    /// completed `closed()`.
    ///
    /// ```
    /// # blitz_io::run(async {
    /// let (tx, rx) = blitz_io::channel::broadcast::channel::<u32>(4);
    /// blitz_io::task::spawn(async move {
    ///     drop(rx);
    /// });
    /// tx.closed().await;
    /// assert_eq!(tx.receiver_count(), 0);
    /// # });
    /// ```
    pub fn closed(&self) -> Closed<'_, T> {
        Closed {
            sender: self,
            waiter: Waiter::new(),
            registered: false,
            _pinned: PhantomPinned,
        }
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
                let mut slot = self.shared.slot(self.next).lock();
                if slot.pos == self.next {
                    let value = slot.value.clone().expect("a stamped slot holds its value");
                    // Counted once the clone succeeded: a panicking clone leaves the value
                    // unread, and this receiver's drop will count it off.
                    slot.unread -= 1;
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

    /// Whether both receivers belong to the same channel.
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut tail = self.shared.tail.lock();
        // The values this receiver will never read no longer wait for it. Those before
        // `oldest` were overwritten, and their slots' new values counted it in.
        let oldest = tail.pos.saturating_sub(self.shared.capacity);
        for pos in self.next.max(oldest)..tail.pos {
            let mut slot = self.shared.slot(pos).lock();
            debug_assert_eq!(slot.pos, pos, "the tail lock keeps the window stable");
            slot.unread -= 1;
        }
        tail.receivers -= 1;
        if tail.receivers == 0 {
            self.shared.wake_all(tail, |tail| &mut tail.closed_waiters);
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}
