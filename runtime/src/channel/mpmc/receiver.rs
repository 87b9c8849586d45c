//! The receiving handle, its `Recv` and `RecvMany` futures, its `poll_recv`/`poll_recv_many`
//! methods and its `Stream` impl.
//!
//! The futures embed their own waiter node. The poll methods and the `Stream` impl have no
//! pinned future to keep one in, so they share a node the handle boxes the first time one of
//! them has to wait (one allocation per receiver, not per wait); that is why they take
//! `&mut self`, and why only the waker of the latest of those calls is woken.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{ready, Context, Poll};

use futures_core::{FusedStream, Stream};

use crate::loom::sync::Arc;

use super::waiters::Waiter;
use super::{common_methods, Chan, RecvError, TryRecvError};

/// The receiving half of an [`mpmc`](super) channel. Clone it for more consumers (each value
/// goes to one of them); the channel closes when the last clone is dropped.
///
/// It is also a [`Stream`] of values that ends when the channel is closed and drained. The
/// stream (and [`poll_recv`](Self::poll_recv)) keeps its waiter node in a box allocated the
/// first time it has to wait (once per receiver, not per wait).
pub struct Receiver<T> {
    pub(super) chan: Arc<Chan<T>>,
    /// The waiter of `poll_recv`, `poll_recv_many` and `poll_next`; `Some` once one of them
    /// has had to wait.
    waiter: Option<Pin<Box<Waiter>>>,
    /// Whether `waiter` may be linked or notified.
    registered: bool,
    /// `poll_next` returned `None`.
    stream_done: bool,
}

impl<T> Receiver<T> {
    pub(super) fn new(chan: Arc<Chan<T>>) -> Receiver<T> {
        Receiver {
            chan,
            waiter: None,
            registered: false,
            stream_done: false,
        }
    }

    /// Takes a buffered value if there is one; never waits.
    ///
    /// ```
    /// use blitz_io::channel::mpmc::{self, TryRecvError};
    ///
    /// let (tx, rx) = mpmc::unbounded();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.try_send(5).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Ok(5)); // buffered values outlive the close
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.chan.try_recv()
    }

    /// Receives a value, waiting while the channel is empty. `Err(RecvError)` once the channel
    /// is closed and drained. (tokio's mpsc returns `Option<T>` here; this follows std and
    /// crossbeam.)
    ///
    /// Cancel safety: cancel-safe. A value is only ever taken in the poll that returns it, so
    /// dropping the future loses nothing; a wake it received goes to another receiver.
    ///
    /// ```
    /// blitz_io::run(async {
    ///     let (tx, rx) = blitz_io::channel::mpmc::bounded::<u8>(4);
    ///     blitz_io::task::spawn(async move { tx.send(9).await.unwrap() });
    ///     assert_eq!(rx.recv().await, Ok(9));
    ///     assert!(rx.recv().await.is_err()); // the sender is gone: closed and drained
    /// });
    /// ```
    pub fn recv(&self) -> Recv<'_, T> {
        Recv {
            chan: &self.chan,
            waiter: Waiter::new(),
            registered: false,
        }
    }

    /// Waits for at least one value, then moves up to `limit` buffered values into `buffer`;
    /// returns how many were added. Returns 0 at once when `limit` is 0, and 0 once the channel
    /// is closed and drained.
    ///
    /// Cancel safety: cancel-safe, like [`recv`](Receiver::recv).
    ///
    /// ```
    /// blitz_io::run(async {
    ///     let (tx, rx) = blitz_io::channel::mpmc::unbounded();
    ///     for i in 0..5 {
    ///         tx.try_send(i).unwrap();
    ///     }
    ///     let mut batch = Vec::new();
    ///     assert_eq!(rx.recv_many(&mut batch, 3).await, 3);
    ///     assert_eq!(batch, [0, 1, 2]);
    /// });
    /// ```
    pub fn recv_many<'a>(&'a self, buffer: &'a mut Vec<T>, limit: usize) -> RecvMany<'a, T> {
        RecvMany {
            recv: self.recv(),
            buffer,
            limit,
        }
    }

    /// Receives a value on a plain thread, blocking while the channel is empty.
    ///
    /// # Panics
    /// When called from a thread that drives a blitz-io runtime (a worker, or inside
    /// `block_on`): use `recv().await` there.
    #[track_caller]
    pub fn blocking_recv(&self) -> Result<T, RecvError> {
        crate::runtime::context::assert_may_block(
            "mpmc::Receiver::blocking_recv",
            "use `receiver.recv().await` inside async code",
        );
        crate::runtime::park::block_on_thread(self.recv())
    }

    /// Whether both handles belong to the same channel.
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }

    /// Polls for a value: `Ready(Ok(value))`, `Ready(Err(RecvError))` once the channel is
    /// closed and drained, or `Pending` with the task registered to be woken by a send or the
    /// close. For hand-written futures and poll-based adapters; in async code use
    /// [`recv`](Self::recv).
    ///
    /// The wait uses a node the receiver keeps (boxed on the first wait), shared with
    /// [`poll_recv_many`](Self::poll_recv_many) and the `Stream` impl: only the waker of the
    /// latest of those calls is woken. A wake it received but did not act on goes to another
    /// receiver when this one is dropped.
    ///
    /// After a `Pending`, the receiver keeps its place among the waiting receivers until it is
    /// polled again or dropped, and the next value sent may wake only this task. A task that
    /// stops polling it (say, a `select!` branch built on `poll_fn` that lost) should poll it
    /// again when woken or drop the receiver; otherwise a clone waiting in another task may
    /// sleep while that value sits in the channel. A dropped [`recv`](Self::recv) future
    /// does not hold on like this: it passes its wake on.
    ///
    /// ```
    /// use std::future::poll_fn;
    ///
    /// blitz_io::run(async {
    ///     let (tx, mut rx) = blitz_io::channel::mpmc::bounded::<u32>(2);
    ///     blitz_io::task::spawn(async move { tx.send(5).await });
    ///     assert_eq!(poll_fn(|cx| rx.poll_recv(cx)).await, Ok(5));
    ///     assert!(poll_fn(|cx| rx.poll_recv(cx)).await.is_err()); // the sender is gone
    /// });
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>> {
        let coop = ready!(crate::task::poll_proceed(cx));
        let result = match self.chan.try_recv() {
            Err(TryRecvError::Empty) => {
                let waiter = self.waiter.get_or_insert_with(|| Box::pin(Waiter::new()));
                // SAFETY: the waiter is boxed and pinned; `Drop` (or the next ready poll)
                // unregisters it.
                unsafe { self.chan.recv_waiters.register(waiter.as_ref(), cx.waker()) };
                self.registered = true;
                // Retry after registering: a value sent meanwhile may have found no waiter.
                match self.chan.try_recv() {
                    Err(TryRecvError::Empty) => return Poll::Pending,
                    other => other,
                }
            }
            other => other,
        };
        self.unregister();
        coop.made_progress();
        Poll::Ready(result.map_err(|_| RecvError))
    }

    /// Polls for values: once at least one is buffered, moves up to `limit` of them into
    /// `buffer` and returns `Ready(count)`; `Ready(0)` when `limit` is 0 or the channel is
    /// closed and drained. The poll-based form of [`recv_many`](Self::recv_many), waiting
    /// like [`poll_recv`](Self::poll_recv).
    ///
    /// ```
    /// use std::future::poll_fn;
    ///
    /// blitz_io::run(async {
    ///     let (tx, mut rx) = blitz_io::channel::mpmc::unbounded();
    ///     for i in 0..5 {
    ///         tx.try_send(i).unwrap();
    ///     }
    ///     let mut batch = Vec::new();
    ///     assert_eq!(poll_fn(|cx| rx.poll_recv_many(cx, &mut batch, 4)).await, 4);
    ///     assert_eq!(batch, [0, 1, 2, 3]);
    /// });
    /// ```
    pub fn poll_recv_many(
        &mut self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        match ready!(self.poll_recv(cx)) {
            Ok(first) => Poll::Ready(take_more(&self.chan, first, buffer, limit)),
            Err(RecvError) => Poll::Ready(0),
        }
    }

    common_methods!();

    fn unregister(&mut self) -> bool {
        if !self.registered {
            return false;
        }
        self.registered = false;
        let waiter = self.waiter.as_ref().expect("registered implies allocated");
        // SAFETY: the boxed waiter is pinned and alive, registered with this queue only.
        unsafe { self.chan.recv_waiters.unregister(waiter.as_ref()) }
    }
}

/// Pushes `first` and then up to `limit - 1` more buffered values into `buffer` without
/// waiting; returns how many were added.
fn take_more<T>(chan: &Chan<T>, first: T, buffer: &mut Vec<T>, limit: usize) -> usize {
    buffer.push(first);
    let mut added = 1;
    while added < limit {
        match chan.try_recv() {
            Ok(value) => {
                buffer.push(value);
                added += 1;
            }
            Err(_) => break,
        }
    }
    added
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        Chan::<T>::add_handle(&self.chan.receivers);
        Receiver::new(self.chan.clone())
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if self.unregister() {
            self.chan.recv_waiters.notify_one();
        }
        self.chan.drop_handle(&self.chan.receivers);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpmc::Receiver")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<T> Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        if this.stream_done {
            return Poll::Ready(None);
        }
        match ready!(this.poll_recv(cx)) {
            Ok(value) => Poll::Ready(Some(value)),
            Err(RecvError) => {
                this.stream_done = true;
                Poll::Ready(None)
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len(), None)
    }
}

impl<T> FusedStream for Receiver<T> {
    fn is_terminated(&self) -> bool {
        self.stream_done
    }
}

/// Future returned by [`Receiver::recv`].
#[must_use = "futures do nothing unless polled"]
pub struct Recv<'a, T> {
    chan: &'a Chan<T>,
    waiter: Waiter,
    /// Whether `waiter` may be linked or notified: it must be unregistered before it goes.
    registered: bool,
}

impl<T> Recv<'_, T> {
    fn unregister(&mut self) -> bool {
        if !self.registered {
            return false;
        }
        self.registered = false;
        // SAFETY: `waiter` was registered with this queue only, and is alive and pinned (we are
        // in `poll` or `drop` of the pinned future).
        unsafe {
            self.chan
                .recv_waiters
                .unregister(Pin::new_unchecked(&self.waiter))
        }
    }

    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>> {
        let coop = ready!(crate::task::poll_proceed(cx));
        let result = match self.chan.try_recv() {
            Err(TryRecvError::Empty) => {
                // SAFETY: the waiter is pinned inside this future (callers only reach this
                // through a pinned `Recv`), whose `Drop` unregisters it.
                unsafe {
                    self.chan
                        .recv_waiters
                        .register(Pin::new_unchecked(&self.waiter), cx.waker());
                }
                self.registered = true;
                // Retry after registering: a value sent meanwhile may have found no waiter.
                match self.chan.try_recv() {
                    Err(TryRecvError::Empty) => return Poll::Pending,
                    other => other,
                }
            }
            other => other,
        };
        self.unregister();
        coop.made_progress();
        Poll::Ready(result.map_err(|_| RecvError))
    }
}

impl<T> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `waiter` is never moved out of the pinned future.
        unsafe { self.get_unchecked_mut() }.poll_recv(cx)
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        if self.unregister() {
            // Woken for a value we will not take: pass the wake on.
            self.chan.recv_waiters.notify_one();
        }
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpmc::Recv")
            .field("waiting", &self.registered)
            .finish_non_exhaustive()
    }
}

/// Future returned by [`Receiver::recv_many`].
#[must_use = "futures do nothing unless polled"]
pub struct RecvMany<'a, T> {
    recv: Recv<'a, T>,
    buffer: &'a mut Vec<T>,
    limit: usize,
}

impl<T> Future for RecvMany<'_, T> {
    type Output = usize;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        // SAFETY: `recv` (holding the waiter) is never moved out of the pinned future.
        let this = unsafe { self.get_unchecked_mut() };
        if this.limit == 0 {
            return Poll::Ready(0);
        }
        let Ok(first) = ready!(this.recv.poll_recv(cx)) else {
            return Poll::Ready(0);
        };
        Poll::Ready(take_more(this.recv.chan, first, this.buffer, this.limit))
    }
}

impl<T> fmt::Debug for RecvMany<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpmc::RecvMany")
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}
