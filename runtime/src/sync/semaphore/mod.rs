//! A counting semaphore with FIFO-fair batch acquires.
//!
//! [`Semaphore`] is a thin public face over the `batch` core (shared with [`Mutex`] and
//! [`RwLock`]): an atomic permit count that uncontended acquires and releases update with one
//! compare-and-swap, and a FIFO queue of waiter nodes embedded in the waiting futures, so a
//! contended wait allocates nothing. A request for many permits collects them as they are
//! released and keeps its place at the front: later small requests wait behind it instead of
//! starving it. Permits are RAII values ([`SemaphorePermit`], [`OwnedSemaphorePermit`]) that
//! give their permits back when dropped, unless [`forget`](SemaphorePermit::forget)ten.
//!
//! [`Mutex`]: crate::sync::Mutex
//! [`RwLock`]: crate::sync::RwLock

pub(crate) mod batch;
#[cfg(all(test, blitz_loom))]
mod loom_tests;
mod permit;
#[cfg(all(test, not(blitz_loom)))]
mod tests;

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{ready, Context, Poll};
use std::sync::Arc;

use batch::{const_unless_loom, Batch, TryAcquire};
pub use permit::{OwnedSemaphorePermit, SemaphorePermit};

/// A counting semaphore: a pool of permits that tasks acquire and give back.
///
/// Waiters are served strictly in arrival order. A task asking for many permits at once
/// ([`acquire_many`](Self::acquire_many)) is not overtaken by later, smaller requests: it
/// collects released permits until it has them all. [`try_acquire`](Self::try_acquire) never
/// takes a permit ahead of a waiter either. Constructing a semaphore allocates nothing, and
/// neither does waiting for one.
///
/// Permit counts are `usize` and at most [`Semaphore::MAX_PERMITS`]; a single request asks for
/// at most `u32::MAX` permits.
///
/// ```
/// use std::sync::Arc;
/// use blitz_io::sync::Semaphore;
///
/// blitz_io::run(async {
///     // At most two downloads at a time.
///     let limit = Arc::new(Semaphore::new(2));
///     let mut tasks = Vec::new();
///     for i in 0..5u32 {
///         let limit = limit.clone();
///         tasks.push(blitz_io::task::spawn(async move {
///             let _permit = limit.acquire().await.unwrap();
///             i * 10 // the rate-limited work
///         }));
///     }
///     let mut total = 0;
///     for task in tasks {
///         total += task.await.unwrap();
///     }
///     assert_eq!(total, 100);
///     assert_eq!(limit.available_permits(), 2);
/// });
/// ```
pub struct Semaphore {
    ll: Batch,
}

/// The semaphore was closed: returned by [`Semaphore::acquire`] and its kin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcquireError(());

/// Why [`Semaphore::try_acquire`] and its kin failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryAcquireError {
    /// The semaphore was closed.
    Closed,
    /// Not enough permits are available right now (or waiters are queued ahead of the caller).
    NoPermits,
}

impl Semaphore {
    /// The most permits a semaphore can hold: `usize::MAX >> 3`. Exceeding it, through
    /// [`new`](Self::new) or [`add_permits`](Self::add_permits), panics.
    pub const MAX_PERMITS: usize = batch::MAX_PERMITS;

    const_unless_loom! {
        /// A semaphore holding `permits` permits. `const`, and allocates nothing.
        ///
        /// # Panics
        ///
        /// If `permits` exceeds [`Semaphore::MAX_PERMITS`].
        ///
        /// ```
        /// use blitz_io::sync::Semaphore;
        ///
        /// static LIMIT: Semaphore = Semaphore::new(3);
        /// assert_eq!(LIMIT.available_permits(), 3);
        /// ```
        pub fn new(permits: usize) -> Semaphore {
            Semaphore { ll: Batch::new(permits) }
        }
    }

    const_unless_loom! {
        /// The same as [`new`](Self::new), under Tokio's name for the `const` constructor.
        ///
        /// ```
        /// use blitz_io::sync::Semaphore;
        ///
        /// static LIMIT: Semaphore = Semaphore::const_new(1);
        /// assert!(LIMIT.try_acquire().is_ok());
        /// ```
        pub fn const_new(permits: usize) -> Semaphore {
            Semaphore { ll: Batch::new(permits) }
        }
    }

    /// Permits that can be acquired right now. While tasks wait this is zero: released permits
    /// go straight to the waiters.
    ///
    /// ```
    /// let sem = blitz_io::sync::Semaphore::new(4);
    /// let _two = sem.try_acquire_many(2).unwrap();
    /// assert_eq!(sem.available_permits(), 2);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.ll.available_permits()
    }

    /// Adds `n` permits, handing them to waiters first (front of the queue first).
    ///
    /// # Panics
    ///
    /// If the semaphore would then hold more than [`Semaphore::MAX_PERMITS`] permits.
    ///
    /// ```
    /// let sem = blitz_io::sync::Semaphore::new(0);
    /// sem.add_permits(2);
    /// assert_eq!(sem.available_permits(), 2);
    /// ```
    #[track_caller]
    pub fn add_permits(&self, n: usize) {
        self.ll.release(n);
    }

    /// Removes up to `n` available permits for good and returns how many were removed.
    /// Permits held by someone are untouched.
    ///
    /// ```
    /// let sem = blitz_io::sync::Semaphore::new(5);
    /// assert_eq!(sem.forget_permits(3), 3);
    /// assert_eq!(sem.forget_permits(9), 2);
    /// assert_eq!(sem.available_permits(), 0);
    /// ```
    pub fn forget_permits(&self, n: usize) -> usize {
        self.ll.forget_permits(n)
    }

    /// Waits for one permit. See [`acquire_many`](Self::acquire_many).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future gives up its place in the queue (and passes on any permit it had
    /// been handed, so nothing leaks). It is therefore *not* cancel-safe in Tokio's sense: a
    /// new `acquire` starts again at the back of the queue.
    ///
    /// ```
    /// # blitz_io::run(async {
    /// let sem = blitz_io::sync::Semaphore::new(1);
    /// let permit = sem.acquire().await.unwrap();
    /// assert_eq!(permit.num_permits(), 1);
    /// # });
    /// ```
    pub fn acquire(&self) -> Acquire<'_> {
        self.acquire_many(1)
    }

    /// Waits until `n` permits can be taken together, FIFO behind earlier waiters, and returns
    /// them as one permit value; fails if the semaphore is (or gets) closed.
    ///
    /// Permits are collected as they are released, so a large request keeps its place at the
    /// front of the queue. The future takes part in the cooperative budget.
    ///
    /// # Cancel safety
    ///
    /// Not cancel-safe in Tokio's sense (see [`acquire`](Self::acquire)); dropping it returns
    /// any permits collected so far to the semaphore.
    ///
    /// # Panics
    ///
    /// If `n` exceeds [`Semaphore::MAX_PERMITS`] (possible only on 32-bit targets).
    ///
    /// ```
    /// # blitz_io::run(async {
    /// let sem = blitz_io::sync::Semaphore::new(5);
    /// let three = sem.acquire_many(3).await.unwrap();
    /// assert_eq!(sem.available_permits(), 2);
    /// drop(three);
    /// assert_eq!(sem.available_permits(), 5);
    /// # });
    /// ```
    pub fn acquire_many(&self, n: u32) -> Acquire<'_> {
        Acquire {
            inner: batch::Acquire::new(&self.ll, n),
            sem: self,
        }
    }

    /// Takes one permit if one is available now and nobody is queued ahead.
    ///
    /// ```
    /// use blitz_io::sync::{Semaphore, TryAcquireError};
    ///
    /// let sem = Semaphore::new(1);
    /// let permit = sem.try_acquire().unwrap();
    /// assert_eq!(sem.try_acquire().err(), Some(TryAcquireError::NoPermits));
    /// drop(permit);
    /// sem.close();
    /// assert_eq!(sem.try_acquire().err(), Some(TryAcquireError::Closed));
    /// ```
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if they are available now and nobody is queued ahead.
    ///
    /// ```
    /// let sem = blitz_io::sync::Semaphore::new(3);
    /// assert!(sem.try_acquire_many(4).is_err());
    /// assert_eq!(sem.try_acquire_many(3).unwrap().num_permits(), 3);
    /// ```
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.ll.try_acquire(n).map_err(TryAcquireError::from)?;
        Ok(SemaphorePermit::new(self, n as usize))
    }

    /// [`acquire`](Self::acquire) for a shared semaphore: the permit keeps the `Arc`.
    ///
    /// # Cancel safety
    ///
    /// As for [`acquire`](Self::acquire): not cancel-safe, nothing leaks.
    ///
    /// ```
    /// # blitz_io::run(async {
    /// use std::sync::Arc;
    /// let sem = Arc::new(blitz_io::sync::Semaphore::new(1));
    /// let permit = sem.clone().acquire_owned().await.unwrap();
    /// let task = blitz_io::task::spawn(async move {
    ///     drop(permit); // released from another task
    /// });
    /// task.await.unwrap();
    /// assert_eq!(sem.available_permits(), 1);
    /// # });
    /// ```
    pub fn acquire_owned(self: Arc<Self>) -> AcquireOwned {
        self.acquire_many_owned(1)
    }

    /// [`acquire_many`](Self::acquire_many) for a shared semaphore.
    ///
    /// # Cancel safety
    ///
    /// As for [`acquire`](Self::acquire): not cancel-safe, nothing leaks.
    ///
    /// ```
    /// # blitz_io::run(async {
    /// use std::sync::Arc;
    /// let sem = Arc::new(blitz_io::sync::Semaphore::new(4));
    /// let permit = sem.clone().acquire_many_owned(4).await.unwrap();
    /// assert_eq!(permit.num_permits(), 4);
    /// # });
    /// ```
    pub fn acquire_many_owned(self: Arc<Self>, n: u32) -> AcquireOwned {
        // SAFETY: the reference points into the `Arc` stored beside it in the future, which
        // keeps the semaphore alive (and in place) for as long as the future exists; the
        // future's `inner` field is dropped before its `sem` field.
        let ll: &'static Batch = unsafe { &*core::ptr::addr_of!((*Arc::as_ptr(&self)).ll) };
        AcquireOwned {
            inner: batch::Acquire::new(ll, n),
            sem: self,
        }
    }

    /// [`try_acquire`](Self::try_acquire) for a shared semaphore.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(blitz_io::sync::Semaphore::new(1));
    /// let permit = sem.clone().try_acquire_owned().unwrap();
    /// assert!(sem.clone().try_acquire_owned().is_err());
    /// drop(permit);
    /// ```
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_many_owned(1)
    }

    /// [`try_acquire_many`](Self::try_acquire_many) for a shared semaphore.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(blitz_io::sync::Semaphore::new(2));
    /// assert_eq!(sem.clone().try_acquire_many_owned(2).unwrap().num_permits(), 2);
    /// ```
    pub fn try_acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.ll.try_acquire(n).map_err(TryAcquireError::from)?;
        Ok(OwnedSemaphorePermit::new(self, n as usize))
    }

    /// Closes the semaphore: every waiting acquire fails with [`AcquireError`], and so does
    /// every later one. Permits already held stay valid and can still be given back.
    ///
    /// ```
    /// # blitz_io::run(async {
    /// let sem = blitz_io::sync::Semaphore::new(0);
    /// sem.close();
    /// assert!(sem.is_closed());
    /// assert!(sem.acquire().await.is_err());
    /// # });
    /// ```
    pub fn close(&self) {
        self.ll.close();
    }

    /// Whether [`close`](Self::close) was called.
    ///
    /// ```
    /// let sem = blitz_io::sync::Semaphore::new(1);
    /// assert!(!sem.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.ll.is_closed()
    }

    pub(crate) fn release(&self, n: usize) {
        self.ll.release(n);
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.ll, f)
    }
}

/// Future returned by [`Semaphore::acquire`] and [`Semaphore::acquire_many`].
#[must_use = "futures do nothing unless polled"]
pub struct Acquire<'a> {
    inner: batch::Acquire<'a>,
    sem: &'a Semaphore,
}

impl<'a> Future for Acquire<'a> {
    type Output = Result<SemaphorePermit<'a>, AcquireError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `inner` is structurally pinned: it is never moved out of this future.
        let this = unsafe { self.get_unchecked_mut() };
        let requested = this.inner.requested() as usize;
        // SAFETY: as above; `this` stays pinned.
        let inner = unsafe { Pin::new_unchecked(&mut this.inner) };
        ready!(inner.poll_acquire(cx)).map_err(|_| AcquireError(()))?;
        Poll::Ready(Ok(SemaphorePermit::new(this.sem, requested)))
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

/// Future returned by [`Semaphore::acquire_owned`] and [`Semaphore::acquire_many_owned`].
#[must_use = "futures do nothing unless polled"]
pub struct AcquireOwned {
    // Field order matters: `inner` borrows from the semaphore `sem` keeps alive, so it is
    // declared (and dropped) first.
    inner: batch::Acquire<'static>,
    sem: Arc<Semaphore>,
}

impl Future for AcquireOwned {
    type Output = Result<OwnedSemaphorePermit, AcquireError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `inner` is structurally pinned: it is never moved out of this future.
        let this = unsafe { self.get_unchecked_mut() };
        let requested = this.inner.requested() as usize;
        // SAFETY: as above; `this` stays pinned.
        let inner = unsafe { Pin::new_unchecked(&mut this.inner) };
        ready!(inner.poll_acquire(cx)).map_err(|_| AcquireError(()))?;
        // The future keeps its own reference: `inner` points into this semaphore until dropped.
        Poll::Ready(Ok(OwnedSemaphorePermit::new(this.sem.clone(), requested)))
    }
}

impl fmt::Debug for AcquireOwned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

impl From<TryAcquire> for TryAcquireError {
    fn from(error: TryAcquire) -> Self {
        match error {
            TryAcquire::Closed => TryAcquireError::Closed,
            TryAcquire::NoPermits => TryAcquireError::NoPermits,
        }
    }
}

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the semaphore is closed")
    }
}

impl std::error::Error for AcquireError {}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryAcquireError::Closed => f.write_str("the semaphore is closed"),
            TryAcquireError::NoPermits => f.write_str("no permits available"),
        }
    }
}

impl std::error::Error for TryAcquireError {}
