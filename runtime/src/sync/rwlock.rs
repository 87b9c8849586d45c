//! A fair, write-preferring async reader-writer lock on the batch-semaphore core.
//!
//! The lock is a semaphore of `max_readers` permits: a reader takes one, a writer takes all of
//! them. Because the core queue is FIFO and a queued request collects released permits while
//! keeping its place, a waiting writer blocks every reader that arrives after it (write
//! preference without writer starvation or reader starvation), and a writer that has collected
//! some permits simply waits for the last earlier reader to leave. All paths are the
//! semaphore's: one compare-and-swap for an uncontended read or write lock and for its release.

mod guards;
mod owned_guards;

use core::cell::UnsafeCell;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{ready, Context, Poll};
use std::sync::Arc;

pub use guards::{RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard};
pub use owned_guards::{OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard};

use super::mutex::TryLockError;
use super::semaphore::batch::{self, const_unless_loom, Batch};

/// The most concurrent readers a lock allows: `u32::MAX >> 3` (also the default).
const MAX_READS: u32 = u32::MAX >> 3;

/// An async reader-writer lock that owns the `T` it protects.
///
/// Any number of readers (up to the lock's maximum, [`RwLock::MAX_READERS`] unless set with
/// [`with_max_readers`](Self::with_max_readers)) or one writer hold it at a time. Waiters are
/// served in arrival order, and a waiting writer holds back the readers that come after it, so
/// neither side starves. Construction is `const` and allocates nothing; so does waiting. `T`
/// may be unsized.
///
/// ```
/// use blitz_io::sync::RwLock;
///
/// # blitz_io::run(async {
/// let lock = RwLock::new(5);
/// {
///     let a = lock.read().await;
///     let b = lock.read().await; // many readers at once
///     assert_eq!(*a + *b, 10);
/// }
/// *lock.write().await += 1; // one writer
/// assert_eq!(*lock.read().await, 6);
/// # });
/// ```
pub struct RwLock<T: ?Sized> {
    max_readers: u32,
    s: Batch,
    c: UnsafeCell<T>,
}

// SAFETY: a writer gets `&mut T` on whatever thread it runs on, so the lock may move or be
// shared across threads only if `T: Send`; readers on several threads share `&T`, so sharing
// also needs `T: Sync`.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

impl<T> RwLock<T> {
    /// The largest (and default) number of concurrent readers: `u32::MAX >> 3`.
    pub const MAX_READERS: u32 = MAX_READS;

    const_unless_loom! {
        /// An unlocked lock holding `value`, allowing [`RwLock::MAX_READERS`] readers.
        /// `const`, and allocates nothing.
        ///
        /// ```
        /// static CONFIG: blitz_io::sync::RwLock<u8> = blitz_io::sync::RwLock::new(3);
        /// assert_eq!(*CONFIG.try_read().unwrap(), 3);
        /// ```
        pub fn new(value: T) -> RwLock<T> {
            RwLock { max_readers: MAX_READS, s: Batch::new(MAX_READS as usize), c: UnsafeCell::new(value) }
        }
    }

    const_unless_loom! {
        /// The same as [`new`](Self::new), under Tokio's name for the `const` constructor.
        ///
        /// ```
        /// static CONFIG: blitz_io::sync::RwLock<u8> = blitz_io::sync::RwLock::const_new(3);
        /// assert!(CONFIG.try_write().is_ok());
        /// ```
        pub fn const_new(value: T) -> RwLock<T> {
            RwLock { max_readers: MAX_READS, s: Batch::new(MAX_READS as usize), c: UnsafeCell::new(value) }
        }
    }

    const_unless_loom! {
        /// A lock allowing at most `max_readers` readers at once (a writer waits for all of
        /// them). `const`, and allocates nothing.
        ///
        /// # Panics
        ///
        /// If `max_readers` is 0 or exceeds [`RwLock::MAX_READERS`].
        ///
        /// ```
        /// let lock = blitz_io::sync::RwLock::with_max_readers(0, 2);
        /// let _a = lock.try_read().unwrap();
        /// let _b = lock.try_read().unwrap();
        /// assert!(lock.try_read().is_err());
        /// ```
        #[track_caller]
        pub fn with_max_readers(value: T, max_readers: u32) -> RwLock<T> {
            assert!(
                max_readers != 0 && max_readers <= MAX_READS,
                "RwLock::with_max_readers: max_readers must be between 1 and RwLock::MAX_READERS (u32::MAX >> 3)"
            );
            RwLock { max_readers, s: Batch::new(max_readers as usize), c: UnsafeCell::new(value) }
        }
    }

    /// Consumes the lock and returns the data.
    ///
    /// ```
    /// assert_eq!(blitz_io::sync::RwLock::new(4).into_inner(), 4);
    /// ```
    pub fn into_inner(self) -> T {
        self.c.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Read-locks now if no writer holds or waits for the lock.
    ///
    /// ```
    /// let lock = blitz_io::sync::RwLock::new(1);
    /// let reader = lock.try_read().unwrap();
    /// assert!(lock.try_write().is_err());
    /// assert_eq!(*reader, 1);
    /// ```
    #[inline]
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        match self.s.try_acquire(1) {
            Ok(()) => Ok(RwLockReadGuard::new(&self.s, self.data())),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// Write-locks now if nobody holds or waits for the lock.
    ///
    /// ```
    /// let lock = blitz_io::sync::RwLock::new(1);
    /// *lock.try_write().unwrap() = 2;
    /// assert_eq!(*lock.try_read().unwrap(), 2);
    /// ```
    #[inline]
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        match self.s.try_acquire(self.max_readers) {
            Ok(()) => Ok(self.write_guard()),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// Waits for shared access, FIFO behind earlier waiters (so behind a waiting writer).
    /// The future takes part in the cooperative budget.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future leaves the queue and passes on anything it had been handed; it is
    /// *not* cancel-safe in Tokio's sense (a new `read()` waits at the back of the queue).
    ///
    /// ```
    /// # blitz_io::run(async {
    /// let lock = blitz_io::sync::RwLock::new(vec![1, 2]);
    /// assert_eq!(lock.read().await.len(), 2);
    /// # });
    /// ```
    pub fn read(&self) -> RwLockRead<'_, T> {
        RwLockRead {
            acquire: batch::Acquire::new(&self.s, 1),
            lock: self,
        }
    }

    /// Waits for exclusive access, FIFO behind earlier waiters; readers arriving later wait
    /// behind it. The future takes part in the cooperative budget.
    ///
    /// # Cancel safety
    ///
    /// As for [`read`](Self::read): not cancel-safe; the read permits it had collected are
    /// passed on when it is dropped, so waiting readers behind it proceed.
    ///
    /// ```
    /// # blitz_io::run(async {
    /// let lock = blitz_io::sync::RwLock::new(0);
    /// *lock.write().await = 9;
    /// assert_eq!(*lock.read().await, 9);
    /// # });
    /// ```
    pub fn write(&self) -> RwLockWrite<'_, T> {
        RwLockWrite {
            acquire: batch::Acquire::new(&self.s, self.max_readers),
            lock: self,
        }
    }

    /// [`read`](Self::read) from a plain thread, parking it until the lock is granted.
    ///
    /// # Panics
    ///
    /// On a thread that drives a blitz-io runtime; use `read().await` there.
    ///
    /// ```
    /// let lock = blitz_io::sync::RwLock::new(1);
    /// assert_eq!(*lock.blocking_read(), 1);
    /// ```
    #[track_caller]
    pub fn blocking_read(&self) -> RwLockReadGuard<'_, T> {
        crate::runtime::context::assert_may_block(
            "RwLock::blocking_read",
            "use `lock.read().await` inside async code",
        );
        crate::runtime::park::block_on_thread(self.read())
    }

    /// [`write`](Self::write) from a plain thread, parking it until the lock is granted.
    ///
    /// # Panics
    ///
    /// On a thread that drives a blitz-io runtime; use `write().await` there.
    ///
    /// ```
    /// let lock = blitz_io::sync::RwLock::new(1);
    /// *lock.blocking_write() += 1;
    /// assert_eq!(*lock.blocking_read(), 2);
    /// ```
    #[track_caller]
    pub fn blocking_write(&self) -> RwLockWriteGuard<'_, T> {
        crate::runtime::context::assert_may_block(
            "RwLock::blocking_write",
            "use `lock.write().await` inside async code",
        );
        crate::runtime::park::block_on_thread(self.write())
    }

    /// [`read`](Self::read) for a shared lock: the guard keeps the `Arc`, so it is `'static`.
    ///
    /// # Cancel safety
    ///
    /// As for [`read`](Self::read).
    ///
    /// ```
    /// # blitz_io::run(async {
    /// use std::sync::Arc;
    /// let lock = Arc::new(blitz_io::sync::RwLock::new(1));
    /// let guard = lock.clone().read_owned().await;
    /// assert_eq!(blitz_io::task::spawn(async move { *guard }).await.unwrap(), 1);
    /// # });
    /// ```
    pub fn read_owned(self: Arc<Self>) -> RwLockReadOwned<T> {
        RwLockReadOwned {
            acquire: batch::Acquire::new(self.static_batch(), 1),
            lock: self,
        }
    }

    /// [`write`](Self::write) for a shared lock: the guard keeps the `Arc`, so it is `'static`.
    ///
    /// # Cancel safety
    ///
    /// As for [`write`](Self::write).
    ///
    /// ```
    /// # blitz_io::run(async {
    /// use std::sync::Arc;
    /// let lock = Arc::new(blitz_io::sync::RwLock::new(1));
    /// let mut guard = lock.clone().write_owned().await;
    /// blitz_io::task::spawn(async move { *guard = 2 }).await.unwrap();
    /// assert_eq!(*lock.read().await, 2);
    /// # });
    /// ```
    pub fn write_owned(self: Arc<Self>) -> RwLockWriteOwned<T> {
        RwLockWriteOwned {
            acquire: batch::Acquire::new(self.static_batch(), self.max_readers),
            lock: self,
        }
    }

    /// [`try_read`](Self::try_read) for a shared lock.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let lock = Arc::new(blitz_io::sync::RwLock::new(1));
    /// assert_eq!(*lock.try_read_owned().unwrap(), 1);
    /// ```
    pub fn try_read_owned(self: Arc<Self>) -> Result<OwnedRwLockReadGuard<T>, TryLockError> {
        match self.s.try_acquire(1) {
            Ok(()) => Ok(OwnedRwLockReadGuard::new(self)),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// [`try_write`](Self::try_write) for a shared lock.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let lock = Arc::new(blitz_io::sync::RwLock::new(1));
    /// *lock.clone().try_write_owned().unwrap() = 2;
    /// assert_eq!(*lock.try_read().unwrap(), 2);
    /// ```
    pub fn try_write_owned(self: Arc<Self>) -> Result<OwnedRwLockWriteGuard<T>, TryLockError> {
        match self.s.try_acquire(self.max_readers) {
            Ok(()) => Ok(OwnedRwLockWriteGuard::new(self)),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// The data, through an exclusive borrow of the lock (no locking needed).
    ///
    /// ```
    /// let mut lock = blitz_io::sync::RwLock::new(1);
    /// *lock.get_mut() = 3;
    /// assert_eq!(lock.into_inner(), 3);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.c.get_mut()
    }

    fn data(&self) -> &T {
        // SAFETY: only called while the caller holds a read permit (or more), so no writer
        // has `&mut T`.
        unsafe { &*self.c.get() }
    }

    fn write_guard(&self) -> RwLockWriteGuard<'_, T> {
        // SAFETY: only called while the caller holds every permit, so this is the only access.
        let data = unsafe { &mut *self.c.get() };
        RwLockWriteGuard::new(&self.s, self.max_readers, data)
    }

    fn static_batch(self: &Arc<Self>) -> &'static Batch {
        // SAFETY: only used for futures that store the `Arc` beside the reference and drop
        // the reference's user first, so the lock outlives every use and never moves.
        unsafe { &*core::ptr::addr_of!((*Arc::as_ptr(self)).s) }
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> Self {
        RwLock::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.field("max_readers", &self.max_readers).finish()
    }
}

/// Polls a core acquire that is structurally pinned inside `future`, mapping success.
macro_rules! poll_lock {
    ($future:ident, $cx:ident, |$this:ident| $ready:expr) => {{
        // SAFETY: `acquire` is structurally pinned: it is never moved out of the future.
        let $this = unsafe { $future.get_unchecked_mut() };
        // SAFETY: as above.
        let acquire = unsafe { Pin::new_unchecked(&mut $this.acquire) };
        match ready!(acquire.poll_acquire($cx)) {
            Ok(()) => Poll::Ready($ready),
            Err(_) => unreachable!("a lock's semaphore is never closed"),
        }
    }};
}

/// Future returned by [`RwLock::read`].
#[must_use = "futures do nothing unless polled"]
pub struct RwLockRead<'a, T: ?Sized> {
    acquire: batch::Acquire<'a>,
    lock: &'a RwLock<T>,
}

impl<'a, T: ?Sized> Future for RwLockRead<'a, T> {
    type Output = RwLockReadGuard<'a, T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        poll_lock!(self, cx, |this| RwLockReadGuard::new(
            &this.lock.s,
            this.lock.data()
        ))
    }
}

/// Future returned by [`RwLock::write`].
#[must_use = "futures do nothing unless polled"]
pub struct RwLockWrite<'a, T: ?Sized> {
    acquire: batch::Acquire<'a>,
    lock: &'a RwLock<T>,
}

impl<'a, T: ?Sized> Future for RwLockWrite<'a, T> {
    type Output = RwLockWriteGuard<'a, T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        poll_lock!(self, cx, |this| this.lock.write_guard())
    }
}

/// Future returned by [`RwLock::read_owned`].
#[must_use = "futures do nothing unless polled"]
pub struct RwLockReadOwned<T: ?Sized> {
    // Declared first so it is dropped before the `Arc` it borrows from.
    acquire: batch::Acquire<'static>,
    lock: Arc<RwLock<T>>,
}

impl<T: ?Sized> Future for RwLockReadOwned<T> {
    type Output = OwnedRwLockReadGuard<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        poll_lock!(self, cx, |this| OwnedRwLockReadGuard::new(
            this.lock.clone()
        ))
    }
}

/// Future returned by [`RwLock::write_owned`].
#[must_use = "futures do nothing unless polled"]
pub struct RwLockWriteOwned<T: ?Sized> {
    // Declared first so it is dropped before the `Arc` it borrows from.
    acquire: batch::Acquire<'static>,
    lock: Arc<RwLock<T>>,
}

impl<T: ?Sized> Future for RwLockWriteOwned<T> {
    type Output = OwnedRwLockWriteGuard<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        poll_lock!(self, cx, |this| OwnedRwLockWriteGuard::new(
            this.lock.clone()
        ))
    }
}

macro_rules! debug_future {
    ($($name:ident$(<$lt:lifetime>)?),*) => {$(
        impl<T: ?Sized> fmt::Debug for $name<$($lt,)? T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).field("acquire", &self.acquire).finish()
            }
        }
    )*};
}
debug_future!(
    RwLockRead<'_>,
    RwLockWrite<'_>,
    RwLockReadOwned,
    RwLockWriteOwned
);
