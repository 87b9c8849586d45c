//! An async mutex holding its data: a one-permit FIFO semaphore plus an `UnsafeCell`.
//!
//! Locking is `try_acquire(1)` on the batch-semaphore core (one compare-and-swap when free) and
//! unlocking is `release(1)` (one compare-and-swap when nobody waits). When tasks wait, unlock
//! hands the permit directly to the front waiter under the core's lock, so the lock goes to
//! waiters in arrival order and a running task cannot barge in ahead of them. Only RAII guards
//! unlock: there is no way to release a lock one does not hold.

mod guards;

use core::cell::UnsafeCell as StdUnsafeCell;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{ready, Context, Poll};
use std::sync::Arc;

pub use guards::{MappedMutexGuard, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard};

use super::semaphore::batch::{self, const_unless_loom, Batch};

/// An async mutual-exclusion lock that owns the `T` it protects.
///
/// Waiters get the lock in arrival order (FIFO, with direct hand-off from the unlocking task).
/// Construction is `const` and allocates nothing; so does waiting. `T` may be unsized
/// (`Arc<Mutex<[u8]>>`, `Box<Mutex<dyn Trait>>`). Hold the guard across
/// `.await` points freely; for short critical sections with no `.await` inside, a blocking
/// mutex (`std::sync::Mutex`) is usually cheaper.
///
/// ```
/// use std::sync::Arc;
/// use blitz_io::sync::Mutex;
///
/// blitz_io::run(async {
///     let count = Arc::new(Mutex::new(0u32));
///     let mut tasks = Vec::new();
///     for _ in 0..4 {
///         let count = count.clone();
///         tasks.push(blitz_io::task::spawn(async move {
///             for _ in 0..100 {
///                 *count.lock().await += 1;
///             }
///         }));
///     }
///     for task in tasks {
///         task.await.unwrap();
///     }
///     assert_eq!(*count.lock().await, 400);
/// });
/// ```
pub struct Mutex<T: ?Sized> {
    s: Batch,
    c: StdUnsafeCell<T>,
}

// SAFETY: the mutex hands out `&mut T` to one guard at a time, possibly on another thread,
// so sending or sharing it is sound exactly when `T` may move between threads.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as above: shared access only ever yields exclusive access to `T` through one guard.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

/// The mutex was locked: returned by [`Mutex::try_lock`] and the `RwLock` `try_` methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TryLockError(pub(crate) ());

impl<T> Mutex<T> {
    const_unless_loom! {
        /// An unlocked mutex holding `value`. `const`, and allocates nothing.
        ///
        /// ```
        /// use blitz_io::sync::Mutex;
        ///
        /// static NAMES: Mutex<Vec<String>> = Mutex::new(Vec::new());
        /// NAMES.try_lock().unwrap().push("ada".into());
        /// ```
        pub fn new(value: T) -> Mutex<T> {
            Mutex { s: Batch::new(1), c: StdUnsafeCell::new(value) }
        }
    }

    const_unless_loom! {
        /// The same as [`new`](Self::new), under Tokio's name for the `const` constructor.
        ///
        /// ```
        /// static FLAG: blitz_io::sync::Mutex<bool> = blitz_io::sync::Mutex::const_new(false);
        /// assert!(!*FLAG.try_lock().unwrap());
        /// ```
        pub fn const_new(value: T) -> Mutex<T> {
            Mutex { s: Batch::new(1), c: StdUnsafeCell::new(value) }
        }
    }

    /// Consumes the mutex and returns the data.
    ///
    /// ```
    /// assert_eq!(blitz_io::sync::Mutex::new("x").into_inner(), "x");
    /// ```
    pub fn into_inner(self) -> T {
        self.c.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks the mutex if it is free and nobody waits for it.
    ///
    /// ```
    /// let mutex = blitz_io::sync::Mutex::new(1);
    /// let guard = mutex.try_lock().unwrap();
    /// assert!(mutex.try_lock().is_err());
    /// drop(guard);
    /// assert!(mutex.try_lock().is_ok());
    /// ```
    #[inline]
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        match self.s.try_acquire(1) {
            Ok(()) => Ok(MutexGuard::new(self)),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// Waits for the lock, FIFO behind earlier waiters. The future takes part in the
    /// cooperative budget.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future leaves the queue (if the lock had already been handed to it, it is
    /// passed on to the next waiter, so it never stays locked). It is *not* cancel-safe in
    /// Tokio's sense: a new `lock()` waits at the back of the queue again.
    ///
    /// ```
    /// # blitz_io::run(async {
    /// let mutex = blitz_io::sync::Mutex::new(String::from("a"));
    /// mutex.lock().await.push('b');
    /// assert_eq!(*mutex.lock().await, "ab");
    /// # });
    /// ```
    pub fn lock(&self) -> Lock<'_, T> {
        Lock {
            acquire: batch::Acquire::new(&self.s, 1),
            mutex: self,
        }
    }

    /// Locks from a plain (non-async) thread, parking it until the lock is handed over.
    ///
    /// # Panics
    ///
    /// When called on a thread that drives a blitz-io runtime (a worker, or inside
    /// `block_on`): blocking there would stall its tasks. Use `lock().await` in async code.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let mutex = Arc::new(blitz_io::sync::Mutex::new(1));
    /// let other = mutex.clone();
    /// std::thread::spawn(move || *other.blocking_lock() += 1).join().unwrap();
    /// assert_eq!(*mutex.blocking_lock(), 2);
    /// ```
    #[track_caller]
    pub fn blocking_lock(&self) -> MutexGuard<'_, T> {
        crate::runtime::context::assert_may_block(
            "Mutex::blocking_lock",
            "use `mutex.lock().await` inside async code",
        );
        crate::runtime::park::block_on_thread(self.lock())
    }

    /// [`lock`](Self::lock) for a shared mutex: the guard keeps the `Arc`, so it is `'static`.
    ///
    /// # Cancel safety
    ///
    /// As for [`lock`](Self::lock): not cancel-safe, the lock never leaks.
    ///
    /// ```
    /// # blitz_io::run(async {
    /// use std::sync::Arc;
    /// let mutex = Arc::new(blitz_io::sync::Mutex::new(0));
    /// let mut guard = mutex.clone().lock_owned().await;
    /// blitz_io::task::spawn(async move { *guard = 7 }).await.unwrap();
    /// assert_eq!(*mutex.lock().await, 7);
    /// # });
    /// ```
    pub fn lock_owned(self: Arc<Self>) -> LockOwned<T> {
        // SAFETY: the reference points into the `Arc` stored beside it in the future, which
        // keeps the mutex alive and in place; `acquire` is declared, so dropped, first.
        let s: &'static Batch = unsafe { &*core::ptr::addr_of!((*Arc::as_ptr(&self)).s) };
        LockOwned {
            acquire: batch::Acquire::new(s, 1),
            mutex: self,
        }
    }

    /// [`blocking_lock`](Self::blocking_lock) for a shared mutex: the guard keeps the `Arc`.
    ///
    /// # Panics
    ///
    /// On a thread that drives a blitz-io runtime; use `lock_owned().await` there.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let mutex = Arc::new(blitz_io::sync::Mutex::new(1));
    /// let mut guard = mutex.clone().blocking_lock_owned();
    /// std::thread::spawn(move || *guard += 1).join().unwrap();
    /// assert_eq!(*mutex.blocking_lock(), 2);
    /// ```
    #[track_caller]
    pub fn blocking_lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        crate::runtime::context::assert_may_block(
            "Mutex::blocking_lock_owned",
            "use `mutex.lock_owned().await` inside async code",
        );
        crate::runtime::park::block_on_thread(self.lock_owned())
    }

    /// [`try_lock`](Self::try_lock) for a shared mutex.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let mutex = Arc::new(blitz_io::sync::Mutex::new(0));
    /// let guard = mutex.clone().try_lock_owned().unwrap();
    /// assert!(mutex.clone().try_lock_owned().is_err());
    /// drop(guard);
    /// ```
    pub fn try_lock_owned(self: Arc<Self>) -> Result<OwnedMutexGuard<T>, TryLockError> {
        match self.s.try_acquire(1) {
            Ok(()) => Ok(OwnedMutexGuard::new(self)),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// The data, through an exclusive borrow of the mutex (no locking needed).
    ///
    /// ```
    /// let mut mutex = blitz_io::sync::Mutex::new(1);
    /// *mutex.get_mut() = 2;
    /// assert_eq!(mutex.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.c.get_mut()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

/// Future returned by [`Mutex::lock`].
#[must_use = "futures do nothing unless polled"]
pub struct Lock<'a, T: ?Sized> {
    acquire: batch::Acquire<'a>,
    mutex: &'a Mutex<T>,
}

impl<'a, T: ?Sized> Future for Lock<'a, T> {
    type Output = MutexGuard<'a, T>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<MutexGuard<'a, T>> {
        // SAFETY: `acquire` is structurally pinned: it is never moved out of this future.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as above.
        let acquire = unsafe { Pin::new_unchecked(&mut this.acquire) };
        match ready!(acquire.poll_acquire(cx)) {
            Ok(()) => Poll::Ready(MutexGuard::new(this.mutex)),
            Err(_) => unreachable!("a mutex's semaphore is never closed"),
        }
    }
}

impl<T: ?Sized> fmt::Debug for Lock<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock")
            .field("acquire", &self.acquire)
            .finish()
    }
}

/// Future returned by [`Mutex::lock_owned`].
#[must_use = "futures do nothing unless polled"]
pub struct LockOwned<T: ?Sized> {
    // Declared first so it is dropped before the `Arc` it borrows from.
    acquire: batch::Acquire<'static>,
    mutex: Arc<Mutex<T>>,
}

impl<T: ?Sized> Future for LockOwned<T> {
    type Output = OwnedMutexGuard<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<OwnedMutexGuard<T>> {
        // SAFETY: `acquire` is structurally pinned: it is never moved out of this future.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as above.
        let acquire = unsafe { Pin::new_unchecked(&mut this.acquire) };
        match ready!(acquire.poll_acquire(cx)) {
            Ok(()) => Poll::Ready(OwnedMutexGuard::new(this.mutex.clone())),
            Err(_) => unreachable!("a mutex's semaphore is never closed"),
        }
    }
}

impl<T: ?Sized> fmt::Debug for LockOwned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockOwned")
            .field("acquire", &self.acquire)
            .finish()
    }
}

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the lock is held (or waited for) by someone else")
    }
}

impl std::error::Error for TryLockError {}
