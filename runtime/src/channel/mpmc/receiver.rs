//! The receiving handle, its `Recv` and `RecvMany` futures and its `Stream` impl.

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
/// stream keeps its waiter node in a box allocated the first time it has to wait (once per
/// receiver, not per wait).
pub struct Receiver<T> {
    pub(super) chan: Arc<Chan<T>>,
    /// The `Stream` impl's waiter; `Some` once `poll_next` has had to wait.
    stream: Option<Pin<Box<Waiter>>>,
    /// Whether `stream` may be linked or notified.
    stream_registered: bool,
    /// `poll_next` returned `None`.
    stream_done: bool,
}

impl<T> Receiver<T> {
    pub(super) fn new(chan: Arc<Chan<T>>) -> Receiver<T> {
        Receiver {
            chan,
            stream: None,
            stream_registered: false,
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

    common_methods!();

    fn unregister_stream(&mut self) -> bool {
        if !self.stream_registered {
            return false;
        }
        self.stream_registered = false;
        let waiter = self.stream.as_ref().expect("registered implies allocated");
        // SAFETY: the boxed waiter is pinned and alive, registered with this queue only.
        unsafe { self.chan.recv_waiters.unregister(waiter.as_ref()) }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        Chan::<T>::add_handle(&self.chan.receivers);
        Receiver::new(self.chan.clone())
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if self.unregister_stream() {
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
        let coop = ready!(crate::task::poll_proceed(cx));
        let result = match this.chan.try_recv() {
            Err(TryRecvError::Empty) => {
                let waiter = this.stream.get_or_insert_with(|| Box::pin(Waiter::new()));
                // SAFETY: the waiter is boxed and pinned; `Drop` (or the next ready poll)
                // unregisters it.
                unsafe { this.chan.recv_waiters.register(waiter.as_ref(), cx.waker()) };
                this.stream_registered = true;
                match this.chan.try_recv() {
                    Err(TryRecvError::Empty) => return Poll::Pending,
                    other => other,
                }
            }
            other => other,
        };
        this.unregister_stream();
        coop.made_progress();
        match result {
            Ok(value) => Poll::Ready(Some(value)),
            Err(_) => {
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
        this.buffer.push(first);
        let mut added = 1;
        while added < this.limit {
            match this.recv.chan.try_recv() {
                Ok(value) => {
                    this.buffer.push(value);
                    added += 1;
                }
                Err(_) => break,
            }
        }
        Poll::Ready(added)
    }
}

impl<T> fmt::Debug for RecvMany<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpmc::RecvMany")
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}
