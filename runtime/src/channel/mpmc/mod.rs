//! Multi-producer, multi-consumer channels: [`bounded`] and [`unbounded`].
//!
//! Both [`Sender`] and [`Receiver`] are cloneable; each value goes to exactly one receiver.
//! The bounded channel is a lock-free ring of `cap` slots with per-slot sequence numbers
//! (Vyukov's bounded MPMC queue, see `ring.rs`), allocated once at construction; the unbounded
//! channel stores values in blocks of 32 allocated as needed (`segments.rs`). Senders that find
//! the ring full and receivers that find it empty park on intrusive waiter nodes embedded in
//! their futures (`waiters.rs`): no allocation per wait, and the path where a slot is available
//! takes no lock.
//!
//! A [`Selector`] receives from many receivers of one type at once (`selector.rs`). A
//! [`WeakSender`] refers to the channel without keeping it open (`weak.rs`), and
//! [`Sender::send_timeout`] gives the value back if no room comes in time (`send_timeout.rs`).
//!
//! The channel closes when every sender or every receiver is dropped, or on
//! [`Sender::close`]/[`Receiver::close`]. After that sends fail, and receivers still get every
//! value buffered before the close, then [`RecvError`]. `recv()` returns `Result<T, RecvError>`
//! like std's and crossbeam's channels (tokio's mpsc returns `Option<T>`).
//!
//! # Cancellation
//!
//! - A dropped [`send`](Sender::send) future either delivered its value (it returned `Ready`
//!   and the value will be received exactly once) or did not (the value is dropped with the
//!   future and never received): a value enters the channel only in the poll that returns
//!   `Ready`. A sender that had to wait delivers its value when it is woken and finds room.
//! - A dropped [`recv`](Receiver::recv) future never loses a value: values are never handed to
//!   a waiter; a woken receiver takes its value from the channel itself.
//! - A waiter that was woken but dropped before acting passes the wake to the next waiter.
//! - When the value must not be lost, wait for room with [`reserve`](Sender::reserve) (which
//!   is cancel-safe) and only then produce the value: [`Permit::send`] cannot fail or wait.
//!   A permit counts against the capacity (values plus permits never exceed `cap`) but holds
//!   no position, so it delays no other value; dropping it unused gives the room back and
//!   wakes a waiting sender. A permit taken before a close still sends, and receivers see the
//!   end only once every permit is used or dropped (as with Tokio's `Permit`).
//!   [`reserve_owned`](Sender::reserve_owned) does the same with a `'static`
//!   [`OwnedPermit`] that carries its sender, and [`reserve_many`](Sender::reserve_many)
//!   reserves room for several values at once, all or none (`permit_many.rs`).
//!
//! ```
//! use blitz_io::channel::mpmc;
//!
//! blitz_io::run(async {
//!     let (tx, rx) = mpmc::bounded(8);
//!     for id in 0..3u64 {
//!         let tx = tx.clone();
//!         blitz_io::task::spawn(async move {
//!             for i in 0..10 {
//!                 tx.send(id * 100 + i).await.unwrap();
//!             }
//!         });
//!     }
//!     drop(tx); // the channel closes once the producers' clones are gone
//!     let mut total = 0;
//!     while let Ok(value) = rx.recv().await {
//!         total += value;
//!     }
//!     assert_eq!(total, 3 * 45 + 100 * 10 + 200 * 10);
//! });
//! ```

mod error;
mod permit;
mod permit_many;
mod permit_owned;
mod queue;
mod receiver;
mod ring;
mod segments;
mod selector;
mod send_timeout;
mod sender;
mod waiters;
mod weak;

#[cfg(all(test, blitz_loom))]
mod loom_tests;
#[cfg(all(test, not(blitz_loom)))]
mod tests;

pub use error::{RecvError, SendError, SendTimeoutError, TryRecvError, TrySendError};
pub use permit::{Permit, Reserve};
pub use permit_many::{PermitIterator, ReserveMany};
pub use permit_owned::{OwnedPermit, ReserveOwned};
pub use receiver::{Receiver, Recv, RecvMany};
pub use selector::{SelectRecv, Selector};
pub use send_timeout::SendTimeout;
pub use sender::{Closed, Send, Sender};
pub use weak::WeakSender;

use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::loom::sync::{Arc, Mutex};
use crate::util::waiters::WaiterList;
use crate::util::wake_batch::WakeBatch;

use queue::{Pop, Push, Queue, Reservation};
use waiters::Waiters;

/// Creates a channel that buffers up to `cap` values; `send` waits while it is full.
///
/// The ring of `cap` slots is allocated here, once: memory and construction time grow with
/// `cap` (use [`unbounded`] for a large, usually-empty buffer).
///
/// # Panics
///
/// If `cap == 0`. There is no rendezvous mode: use `bounded(1)` for the smallest buffer. Also
/// if `cap` is too large to name positions with room for a lap count (2^38 or more on 64-bit
/// targets; the ring's stamps wrap around, so there is no limit on the number of messages).
///
/// ```
/// let (tx, rx) = blitz_io::channel::mpmc::bounded(1);
/// tx.try_send(1).unwrap();
/// assert!(tx.try_send(2).is_err()); // full
/// assert_eq!(rx.try_recv(), Ok(1));
/// ```
#[track_caller]
pub fn bounded<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        cap > 0,
        "mpmc::bounded(0): a channel needs room for at least one value; \
         use mpmc::bounded(1) for the smallest buffer"
    );
    new(Queue::Bounded(ring::Ring::new(cap)))
}

/// Creates a channel with no capacity limit: `send` never waits. Memory grows with the
/// backlog, in blocks of 32 values.
///
/// ```
/// let (tx, rx) = blitz_io::channel::mpmc::unbounded();
/// for i in 0..100 {
///     tx.try_send(i).unwrap();
/// }
/// assert_eq!(rx.len(), 100);
/// assert_eq!(rx.try_recv(), Ok(0));
/// ```
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    new(Queue::Unbounded(segments::Segments::new()))
}

fn new<T>(queue: Queue<T>) -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(Chan {
        queue,
        senders: AtomicUsize::new(1),
        weak_senders: AtomicUsize::new(0),
        receivers: AtomicUsize::new(1),
        send_waiters: Waiters::new(),
        recv_waiters: Waiters::new(),
        closed_waiters: Mutex::new(WaiterList::new()),
    });
    (Sender::new(chan.clone()), Receiver::new(chan))
}

/// The state every handle shares.
pub(crate) struct Chan<T> {
    queue: Queue<T>,
    senders: AtomicUsize,
    /// `WeakSender`s alive: only counted, for `weak_count` (they keep nothing open).
    weak_senders: AtomicUsize,
    receivers: AtomicUsize,
    /// Senders (and reservations) waiting for a free slot (bounded only).
    send_waiters: Waiters,
    /// Receivers waiting for a value.
    recv_waiters: Waiters,
    /// `Sender::closed` futures, woken once by the close. A plain wake-all list behind its
    /// own lock: it is touched only by those futures and the close, never by a send or a
    /// receive.
    closed_waiters: Mutex<WaiterList>,
}

impl<T> Chan<T> {
    #[inline]
    fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        match self.queue.push(value) {
            Push::Done => {
                self.recv_waiters.notify_one();
                Ok(())
            }
            Push::Full(value) => Err(TrySendError::Full(value)),
            Push::Closed(value) => Err(TrySendError::Closed(value)),
        }
    }

    /// Reserves room for `n` values at once (`n` at most `queue.max_reservation()`).
    #[inline]
    fn try_reserve(&self, n: usize) -> Result<(), TrySendError<()>> {
        match self.queue.reserve(n) {
            Reservation::Done => Ok(()),
            Reservation::Full => Err(TrySendError::Full(())),
            Reservation::Closed => Err(TrySendError::Closed(())),
        }
    }

    /// Sends on a permit taken by [`Chan::try_reserve`].
    #[inline]
    fn send_reserved(&self, value: T) {
        let closed_and_last = self.queue.send_reserved(value);
        if let Queue::Bounded(_) = self.queue {
            // The room is unchanged, but the permit count went down: a `reserve` may be waiting
            // only because that count was at its limit (`ring::MAX_PERMITS`) while the ring had
            // room. (With nobody waiting this is one load, as on every other send.)
            self.send_waiters.notify_one();
        }
        if closed_and_last {
            // Closed, and that was the last permit: receivers waiting past the buffered
            // values must now see the end.
            self.recv_waiters.notify_all();
        } else {
            self.recv_waiters.notify_one();
        }
    }

    /// Returns the room of `n` unused permits.
    fn release(&self, n: usize) {
        let last = self.queue.release(n);
        if let Queue::Bounded(_) = self.queue {
            self.send_waiters.notify_many(n);
        }
        if last {
            self.recv_waiters.notify_all();
        }
    }

    #[inline]
    fn try_recv(&self) -> Result<T, TryRecvError> {
        match self.queue.pop() {
            Pop::Value(value) => {
                if let Queue::Bounded(_) = self.queue {
                    self.send_waiters.notify_one();
                }
                Ok(value)
            }
            Pop::Empty => Err(TryRecvError::Empty),
            Pop::Closed => Err(TryRecvError::Closed),
        }
    }

    fn close(&self) {
        if self.queue.close() {
            self.send_waiters.notify_all();
            self.recv_waiters.notify_all();
            let mut batch = WakeBatch::new();
            while {
                let more = self.closed_waiters.lock().take_wakers(&mut batch);
                batch.wake_all();
                more
            } {}
        }
    }

    /// How many `Sender`s there are (a snapshot).
    fn sender_count(&self) -> usize {
        self.senders.load(Ordering::Relaxed)
    }

    /// How many `WeakSender`s there are (a snapshot).
    fn weak_sender_count(&self) -> usize {
        self.weak_senders.load(Ordering::Relaxed)
    }

    fn add_handle(count: &AtomicUsize) {
        count.fetch_add(1, Ordering::Relaxed);
    }

    /// Drops one handle from `count`; the last one closes the channel.
    fn drop_handle(&self, count: &AtomicUsize) {
        if count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.close();
        }
    }
}

// The methods shared by both handles.
macro_rules! common_methods {
    () => {
        /// Closes the channel: sends fail from now on, receivers still get what is buffered.
        /// Wakes every waiting sender and receiver.
        pub fn close(&self) {
            self.chan.close();
        }

        /// Whether the channel is closed (explicitly, or because every sender or every
        /// receiver was dropped).
        pub fn is_closed(&self) -> bool {
            self.chan.queue.is_closed()
        }

        /// How many values are buffered right now.
        pub fn len(&self) -> usize {
            self.chan.queue.len()
        }

        /// Whether no value is buffered right now.
        pub fn is_empty(&self) -> bool {
            self.len() == 0
        }

        /// The bounded channel's capacity, fixed at creation (as crossbeam's `capacity`);
        /// `None` for an unbounded channel.
        ///
        /// Porting from Tokio: Tokio's `capacity()` is the room free *right now*; here that
        /// is `capacity() - len()` (less any permits out). The fixed bound is also available
        /// under Tokio's name for it, [`max_capacity`](Self::max_capacity).
        pub fn capacity(&self) -> Option<usize> {
            self.chan.queue.capacity()
        }

        /// The bound the channel was created with (`None` for an unbounded channel): the
        /// most values it can buffer, whatever it holds now. The same number as
        /// [`capacity`](Self::capacity), under Tokio's name for it. (Tokio's `capacity()` is
        /// different: the room free right now.)
        ///
        /// ```
        /// use blitz_io::channel::mpmc;
        ///
        /// let (tx, rx) = mpmc::bounded::<u8>(4);
        /// tx.try_send(1).unwrap();
        /// assert_eq!(tx.max_capacity(), Some(4)); // unchanged by what is buffered
        /// assert_eq!(rx.max_capacity(), Some(4));
        /// assert_eq!(mpmc::unbounded::<u8>().0.max_capacity(), None);
        /// ```
        pub fn max_capacity(&self) -> Option<usize> {
            self.chan.queue.capacity()
        }
    };
}
use common_methods;
