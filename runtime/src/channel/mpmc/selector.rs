//! [`Selector`]: receive from whichever of many [`Receiver`]s of one type has a value.
//!
//! The selector borrows its receivers and owns one waiter node per receiver, boxed once when
//! the receiver is added, so a `recv()` allocates nothing. A poll tries every receiver with
//! `try_recv`, starting one further along each time (rotation, so no receiver starves the
//! others); it takes a value only in the poll that returns it, so nothing is ever consumed and
//! then dropped. When all are empty it links each receiver's waiter into that channel's
//! queue and tries once more (the same check-after-link as `Recv`). Finishing or being dropped
//! unlinks every waiter; a waiter that was woken for a channel the selector did not take from
//! passes the wake on to that channel's next receiver, exactly as a dropped `Recv` does.
//!
//! The registration flag lives in the selector, not in the future: the waiters belong to the
//! selector, so even a leaked (`mem::forget`) future cannot leave them linked once the
//! selector is dropped.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{ready, Context, Poll};

use super::waiters::Waiter;
use super::{Receiver, RecvError, TryRecvError};

/// Receives from many [`Receiver`]s of the same type: the first one with a value wins.
///
/// Each [`recv`](Selector::recv) starts from the receiver after the one the previous call
/// started from, so a busy receiver cannot starve the others. A receiver that is closed and
/// drained is skipped; once all of them are, `recv` returns [`RecvError`]. The selector never
/// takes a value it does not return.
///
/// Adding a receiver allocates its waiter node once; receiving allocates nothing.
///
/// ```
/// use blitz_io::channel::mpmc::{self, Selector};
///
/// blitz_io::run(async {
///     let (jobs_tx, jobs) = mpmc::unbounded();
///     let (urgent_tx, urgent) = mpmc::bounded(4);
///     let mut selector = Selector::new();
///     let jobs_index = selector.add(&jobs);
///     let urgent_index = selector.add(&urgent);
///
///     blitz_io::task::spawn(async move {
///         urgent_tx.send("fire").await.unwrap();
///         jobs_tx.send("dishes").await.unwrap();
///     });
///     let mut got = Vec::new();
///     while let Ok((index, job)) = selector.recv().await {
///         got.push((index, job));
///     }
///     got.sort();
///     assert_eq!(got, [(jobs_index, "dishes"), (urgent_index, "fire")]);
/// });
/// ```
pub struct Selector<'a, T> {
    receivers: Vec<&'a Receiver<T>>,
    /// `waiters[i]` waits on `receivers[i]`'s channel only.
    waiters: Vec<Pin<Box<Waiter>>>,
    /// Whether any waiter may be linked or notified.
    registered: bool,
    /// Where the next poll starts.
    next_start: usize,
}

impl<'a, T> Selector<'a, T> {
    /// An empty selector; add receivers with [`add`](Selector::add).
    pub fn new() -> Selector<'a, T> {
        Selector {
            receivers: Vec::new(),
            waiters: Vec::new(),
            registered: false,
            next_start: 0,
        }
    }

    /// Adds `receiver` and returns its index, which [`recv`](Selector::recv) and
    /// [`try_recv`](Selector::try_recv) report with its values. Indexes count up from 0.
    ///
    /// ```
    /// let (_tx, rx) = blitz_io::channel::mpmc::bounded::<u8>(1);
    /// let mut selector = blitz_io::channel::mpmc::Selector::new();
    /// assert_eq!(selector.add(&rx), 0);
    /// assert_eq!(selector.add(&rx), 1); // the same receiver twice is allowed
    /// ```
    pub fn add(&mut self, receiver: &'a Receiver<T>) -> usize {
        self.receivers.push(receiver);
        self.waiters.push(Box::pin(Waiter::new()));
        self.receivers.len() - 1
    }

    /// How many receivers were added.
    pub fn len(&self) -> usize {
        self.receivers.len()
    }

    /// Whether no receiver was added.
    pub fn is_empty(&self) -> bool {
        self.receivers.is_empty()
    }

    /// Takes a value from the first receiver (rotating the starting point) that has one;
    /// never waits. [`TryRecvError::Closed`] when every receiver is closed and drained (or
    /// none was added).
    ///
    /// ```
    /// use blitz_io::channel::mpmc::{self, Selector, TryRecvError};
    ///
    /// let (tx_a, a) = mpmc::bounded(2);
    /// let (tx_b, b) = mpmc::bounded(2);
    /// let mut selector: Selector<'_, char> = [&a, &b].into_iter().collect();
    /// assert_eq!(selector.try_recv(), Err(TryRecvError::Empty));
    /// tx_b.try_send('b').unwrap();
    /// assert_eq!(selector.try_recv(), Ok((1, 'b')));
    /// drop((tx_a, tx_b));
    /// assert_eq!(selector.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<(usize, T), TryRecvError> {
        let start = self.rotate();
        self.try_each(start)
    }

    /// Receives a value from whichever receiver has one first, with its index; waits while all
    /// are empty. `Err(RecvError)` once every receiver is closed and drained.
    ///
    /// Cancel safety: cancel-safe. A value is only taken in the poll that returns it, and a
    /// wake the selector received but did not use goes to another receiver of that channel.
    pub fn recv(&mut self) -> SelectRecv<'_, 'a, T> {
        SelectRecv { selector: self }
    }

    fn rotate(&mut self) -> usize {
        let start = self.next_start;
        self.next_start = if start + 1 >= self.receivers.len() {
            0
        } else {
            start + 1
        };
        start
    }

    /// One `try_recv` on each receiver from `start` on, stopping at the first value.
    fn try_each(&self, start: usize) -> Result<(usize, T), TryRecvError> {
        let n = self.receivers.len();
        let mut closed = 0;
        for k in 0..n {
            let index = if start + k >= n {
                start + k - n
            } else {
                start + k
            };
            match self.receivers[index].chan.try_recv() {
                Ok(value) => return Ok((index, value)),
                Err(TryRecvError::Closed) => closed += 1,
                Err(TryRecvError::Empty) => {}
            }
        }
        if closed == n {
            Err(TryRecvError::Closed)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<(usize, T), RecvError>> {
        let coop = ready!(crate::task::poll_proceed(cx));
        let start = self.rotate();
        let mut result = self.try_each(start);
        if matches!(result, Err(TryRecvError::Empty)) {
            // Every channel, closed or not: a closed one may still get a permit's value.
            for (receiver, waiter) in self.receivers.iter().zip(&self.waiters) {
                // SAFETY: the waiter is boxed and pinned, owned by this selector, and only
                // ever registered with this receiver's channel; it is unregistered when the
                // receive finishes or is dropped, or when the selector is.
                unsafe {
                    receiver
                        .chan
                        .recv_waiters
                        .register(waiter.as_ref(), cx.waker())
                };
            }
            self.registered = true;
            // Retry after registering: a value sent meanwhile may have found no waiter.
            result = self.try_each(start);
            if matches!(result, Err(TryRecvError::Empty)) {
                return Poll::Pending;
            }
        }
        self.unregister_all(result.as_ref().ok().map(|(index, _)| *index));
        coop.made_progress();
        Poll::Ready(result.map_err(|_| RecvError))
    }

    /// Unlinks every waiter; a waiter woken for a channel other than `took_from`'s passes its
    /// wake on.
    fn unregister_all(&mut self, took_from: Option<usize>) {
        if !core::mem::take(&mut self.registered) {
            return;
        }
        for (index, (receiver, waiter)) in self.receivers.iter().zip(&self.waiters).enumerate() {
            let waiters = &receiver.chan.recv_waiters;
            // SAFETY: the waiter is alive (owned by this selector) and only ever registered
            // with this channel's queue.
            let notified = unsafe { waiters.unregister(waiter.as_ref()) };
            if notified && took_from != Some(index) {
                waiters.notify_one();
            }
        }
    }
}

impl<T> Default for Selector<'_, T> {
    fn default() -> Self {
        Selector::new()
    }
}

impl<'a, T> FromIterator<&'a Receiver<T>> for Selector<'a, T> {
    fn from_iter<I: IntoIterator<Item = &'a Receiver<T>>>(receivers: I) -> Self {
        let mut selector = Selector::new();
        for receiver in receivers {
            selector.add(receiver);
        }
        selector
    }
}

impl<T> Drop for Selector<'_, T> {
    fn drop(&mut self) {
        self.unregister_all(None);
    }
}

impl<T> fmt::Debug for Selector<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpmc::Selector")
            .field("receivers", &self.receivers.len())
            .field("waiting", &self.registered)
            .finish()
    }
}

/// Future returned by [`Selector::recv`].
#[must_use = "futures do nothing unless polled"]
pub struct SelectRecv<'s, 'a, T> {
    selector: &'s mut Selector<'a, T>,
}

impl<T> Future for SelectRecv<'_, '_, T> {
    type Output = Result<(usize, T), RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut().selector.poll_recv(cx)
    }
}

impl<T> Drop for SelectRecv<'_, '_, T> {
    fn drop(&mut self) {
        self.selector.unregister_all(None);
    }
}

impl<T> fmt::Debug for SelectRecv<'_, '_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpmc::SelectRecv")
            .field("waiting", &self.selector.registered)
            .finish()
    }
}
