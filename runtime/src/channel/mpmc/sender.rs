//! The sending handle, its `Send` future and its `Closed` future.

use core::fmt;
use core::future::Future;
use core::marker::PhantomPinned;
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{ready, Context, Poll};

use crate::loom::sync::Arc;

use super::waiters::Waiter;
use super::{common_methods, Chan, SendError, TrySendError};

/// The sending half of an [`mpmc`](super) channel. Clone it for more producers; the channel
/// closes when the last clone is dropped.
pub struct Sender<T> {
    pub(super) chan: Arc<Chan<T>>,
}

impl<T> Sender<T> {
    pub(super) fn new(chan: Arc<Chan<T>>) -> Sender<T> {
        Sender { chan }
    }

    /// Sends `value` if there is room right now; never waits.
    ///
    /// ```
    /// use blitz_io::channel::mpmc::{self, TrySendError};
    ///
    /// let (tx, rx) = mpmc::bounded(1);
    /// assert!(tx.try_send('a').is_ok());
    /// assert_eq!(tx.try_send('b'), Err(TrySendError::Full('b')));
    /// drop(rx);
    /// assert_eq!(tx.try_send('c'), Err(TrySendError::Closed('c')));
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        self.chan.try_send(value)
    }

    /// Sends `value`, waiting for room while the channel is full. Fails with the value when
    /// the channel is closed.
    ///
    /// Cancel safety: dropping the future before it returned `Ready` drops the value, which was
    /// never delivered; once it returned `Ok(())` the value will be received exactly once.
    ///
    /// ```
    /// blitz_io::run(async {
    ///     let (tx, rx) = blitz_io::channel::mpmc::bounded(1);
    ///     tx.send(1).await.unwrap();
    ///     let second = blitz_io::task::spawn(async move { tx.send(2).await }); // waits
    ///     assert_eq!(rx.recv().await, Ok(1));
    ///     assert_eq!(rx.recv().await, Ok(2));
    ///     second.await.unwrap().unwrap();
    /// });
    /// ```
    pub fn send(&self, value: T) -> Send<'_, T> {
        Send {
            chan: &self.chan,
            value: Some(value),
            waiter: Waiter::new(),
            registered: false,
        }
    }

    /// Sends `value` from a plain thread, blocking while the channel is full.
    ///
    /// # Panics
    /// When called from a thread that drives a blitz-io runtime (a worker, or inside
    /// `block_on`): use `send(value).await` there.
    ///
    /// ```
    /// let (tx, rx) = blitz_io::channel::mpmc::bounded(1);
    /// let producer = std::thread::spawn(move || {
    ///     for i in 0..3 {
    ///         tx.blocking_send(i).unwrap();
    ///     }
    /// });
    /// assert_eq!((0..3).map(|_| rx.blocking_recv().unwrap()).sum::<i32>(), 3);
    /// producer.join().unwrap();
    /// ```
    #[track_caller]
    pub fn blocking_send(&self, value: T) -> Result<(), SendError<T>> {
        crate::runtime::context::assert_may_block(
            "mpmc::Sender::blocking_send",
            "use `sender.send(value).await` inside async code",
        );
        crate::runtime::park::block_on_thread(self.send(value))
    }

    /// Whether both handles belong to the same channel.
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }

    /// Completes when the channel closes: every receiver dropped, or [`close`](Self::close)
    /// called on any handle (at once if it already is). Use it to stop producing for
    /// consumers that are gone. Cancel-safe.
    ///
    /// ```
    /// # blitz_io::run(async {
    /// let (tx, rx) = blitz_io::channel::mpmc::bounded::<u32>(4);
    /// let consumer = blitz_io::task::spawn(async move {
    ///     let first = rx.recv().await;
    ///     drop(rx); // the consumer gives up after one value
    ///     first
    /// });
    /// tx.send(1).await.unwrap();
    /// tx.closed().await;
    /// assert!(tx.try_send(2).is_err());
    /// assert_eq!(consumer.await.unwrap(), Ok(1));
    /// # });
    /// ```
    pub fn closed(&self) -> Closed<'_, T> {
        Closed {
            chan: &self.chan,
            waiter: crate::util::waiters::Waiter::new(),
            registered: false,
            _pinned: PhantomPinned,
        }
    }

    common_methods!();
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Chan::<T>::add_handle(&self.chan.senders);
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan.drop_handle(&self.chan.senders);
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpmc::Sender")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Future returned by [`Sender::send`].
#[must_use = "futures do nothing unless polled"]
pub struct Send<'a, T> {
    chan: &'a Chan<T>,
    /// The value until it is delivered (or handed back in the error).
    value: Option<T>,
    waiter: Waiter,
    /// Whether `waiter` may be linked or notified: it must be unregistered before it goes.
    registered: bool,
}

impl<T> Send<'_, T> {
    fn unregister(&mut self) -> bool {
        if !self.registered {
            return false;
        }
        self.registered = false;
        // SAFETY: `waiter` was registered with this queue only, and is still alive and pinned
        // (we are inside `poll` or `drop` of the pinned future).
        unsafe {
            self.chan
                .send_waiters
                .unregister(Pin::new_unchecked(&self.waiter))
        }
    }

    fn finish(&mut self, result: Result<(), SendError<T>>) -> Poll<Result<(), SendError<T>>> {
        self.unregister();
        Poll::Ready(result)
    }

    /// Gives up a pending send (for `SendTimeout`): takes its value back and leaves the
    /// queue at once, passing on a wake it will not use, as `Drop` would.
    pub(super) fn cancel(&mut self) -> Option<T> {
        if self.unregister() {
            self.chan.send_waiters.notify_one();
        }
        self.value.take()
    }
}

impl<T> Future for Send<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `waiter` is never moved out of the pinned future; the other fields are not
        // structurally pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let coop = ready!(crate::task::poll_proceed(cx));
        let value = this.value.take().expect("`Send` polled after it completed");
        let value = match this.chan.try_send(value) {
            Ok(()) => {
                coop.made_progress();
                return this.finish(Ok(()));
            }
            Err(TrySendError::Closed(value)) => return this.finish(Err(SendError(value))),
            Err(TrySendError::Full(value)) => value,
        };
        // SAFETY: the waiter is pinned inside this future, whose `Drop` unregisters it.
        unsafe {
            this.chan
                .send_waiters
                .register(Pin::new_unchecked(&this.waiter), cx.waker());
        }
        this.registered = true;
        // Retry after registering: a slot freed meanwhile may have found no waiter to wake.
        match this.chan.try_send(value) {
            Ok(()) => {
                coop.made_progress();
                this.finish(Ok(()))
            }
            Err(TrySendError::Closed(value)) => this.finish(Err(SendError(value))),
            Err(TrySendError::Full(value)) => {
                this.value = Some(value);
                Poll::Pending
            }
        }
    }
}

impl<T> Drop for Send<'_, T> {
    fn drop(&mut self) {
        if self.unregister() {
            // Woken for a free slot we will not use: pass the wake on.
            self.chan.send_waiters.notify_one();
        }
    }
}

impl<T> fmt::Debug for Send<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpmc::Send")
            .field("waiting", &self.registered)
            .finish_non_exhaustive()
    }
}

/// Future returned by [`Sender::closed`].
#[must_use = "futures do nothing unless polled"]
pub struct Closed<'a, T> {
    chan: &'a Chan<T>,
    waiter: crate::util::waiters::Waiter,
    registered: bool,
    _pinned: PhantomPinned,
}

impl<T> Future for Closed<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let coop = ready!(crate::task::poll_proceed(cx));
        // SAFETY: the waiter node is never moved out; `Drop` unlinks it before it goes away.
        let this = unsafe { self.get_unchecked_mut() };
        if this.chan.queue.is_closed() {
            coop.made_progress();
            return Poll::Ready(());
        }
        let mut waiters = this.chan.closed_waiters.lock();
        // Re-check under the lock: the close sets its flag before it locks to wake, so it
        // either shows here or finds our node.
        if this.chan.queue.is_closed() {
            drop(waiters);
            coop.made_progress();
            return Poll::Ready(());
        }
        // SAFETY: we hold the lock that guards the list; the node is pinned inside this
        // future, whose `Drop` removes it under the same lock.
        unsafe { waiters.register(NonNull::from(&this.waiter), cx.waker()) };
        this.registered = true;
        Poll::Pending
    }
}

impl<T> Drop for Closed<'_, T> {
    fn drop(&mut self) {
        if self.registered {
            let mut waiters = self.chan.closed_waiters.lock();
            // SAFETY: we hold the lock; the node is live until this future is gone.
            unsafe { waiters.remove(NonNull::from(&self.waiter)) };
        }
    }
}

impl<T> fmt::Debug for Closed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpmc::Closed").finish_non_exhaustive()
    }
}
