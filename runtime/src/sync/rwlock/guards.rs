//! The RAII guards of [`RwLock`]: a read guard gives one permit back, a write guard all of its
//! permits; mapped guards keep the permits and narrow the data they expose.

use core::fmt;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::RwLock;
use crate::sync::semaphore::batch::Batch;

/// Shared access to an [`RwLock`]'s data; dropping it releases the read lock.
///
/// ```
/// let lock = blitz_io::sync::RwLock::new((1, 2));
/// let reader = lock.try_read().unwrap();
/// assert_eq!(reader.0, 1);
/// ```
#[must_use = "dropping the guard unlocks at once"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    s: &'a Batch,
    data: &'a T,
}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    pub(super) fn new(s: &'a Batch, data: &'a T) -> Self {
        RwLockReadGuard { s, data }
    }

    /// Narrows the guard to a part of the data (call it as `RwLockReadGuard::map(guard, ..)`);
    /// the read lock is held until the new guard drops.
    ///
    /// ```
    /// use blitz_io::sync::{RwLock, RwLockReadGuard};
    /// let lock = RwLock::new((1, "one"));
    /// let name = RwLockReadGuard::map(lock.try_read().unwrap(), |pair| &pair.1);
    /// assert_eq!(*name, "one");
    /// ```
    pub fn map<U: ?Sized, F>(this: Self, f: F) -> RwLockReadGuard<'a, U>
    where
        F: FnOnce(&T) -> &U,
    {
        // `f` runs while `this` still holds the permit: if it panics, the guard unlocks.
        let data = f(this.data);
        let this = ManuallyDrop::new(this);
        RwLockReadGuard { s: this.s, data }
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.data
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.s.release(1);
    }
}

/// Exclusive access to an [`RwLock`]'s data; dropping it releases the write lock.
///
/// ```
/// let lock = blitz_io::sync::RwLock::new(1);
/// let mut writer = lock.try_write().unwrap();
/// *writer += 1;
/// assert_eq!(*writer, 2);
/// ```
#[must_use = "dropping the guard unlocks at once"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    s: &'a Batch,
    permits: u32,
    data: &'a mut T,
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    pub(super) fn new(s: &'a Batch, permits: u32, data: &'a mut T) -> Self {
        RwLockWriteGuard { s, permits, data }
    }

    /// Applies `f` to the data while the guard still owns its permits (a panic in `f`
    /// unlocks as it unwinds), then takes the guard apart without releasing them.
    fn map_parts<U: ?Sized>(
        this: Self,
        f: impl FnOnce(&mut T) -> &mut U,
    ) -> (&'a Batch, u32, &'a mut U) {
        let data: *mut T = &mut *this.data;
        // SAFETY: `data` comes from the guard's own exclusive borrow, which is not used again
        // (the guard is forgotten below), so the result may live as long as that borrow.
        let data = f(unsafe { &mut *data });
        let this = ManuallyDrop::new(this);
        (this.s, this.permits, data)
    }

    /// Narrows the guard to a part of the data; the write lock is held until the new guard
    /// drops.
    ///
    /// ```
    /// use blitz_io::sync::{RwLock, RwLockWriteGuard};
    /// let lock = RwLock::new((1, 2));
    /// let mut second = RwLockWriteGuard::map(lock.try_write().unwrap(), |p| &mut p.1);
    /// *second = 5;
    /// drop(second);
    /// assert_eq!(*lock.try_read().unwrap(), (1, 5));
    /// ```
    pub fn map<U: ?Sized, F>(this: Self, f: F) -> RwLockMappedWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let (s, permits, data) = Self::map_parts(this, f);
        RwLockMappedWriteGuard { s, permits, data }
    }

    /// Turns the write lock into a read lock without letting another writer in between.
    /// Waiters queued behind this writer that only want to read may then proceed.
    ///
    /// ```
    /// use blitz_io::sync::{RwLock, RwLockWriteGuard};
    /// let lock = RwLock::new(1);
    /// let mut writer = lock.try_write().unwrap();
    /// *writer = 2;
    /// let reader = RwLockWriteGuard::downgrade(writer);
    /// assert_eq!(*lock.try_read().unwrap(), *reader);
    /// ```
    pub fn downgrade(this: Self) -> RwLockReadGuard<'a, T> {
        let (s, permits, data) = Self::map_parts(this, |data| data);
        s.release(permits as usize - 1);
        RwLockReadGuard { s, data }
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.data
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.data
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.s.release(self.permits as usize);
    }
}

/// A [`RwLockWriteGuard`] narrowed by [`RwLockWriteGuard::map`].
///
/// ```
/// use blitz_io::sync::{RwLock, RwLockMappedWriteGuard, RwLockWriteGuard};
/// let lock = RwLock::new([0u8; 4]);
/// let mut last: RwLockMappedWriteGuard<'_, u8> =
///     RwLockWriteGuard::map(lock.try_write().unwrap(), |a| &mut a[3]);
/// *last = 9;
/// ```
#[must_use = "dropping the guard unlocks at once"]
pub struct RwLockMappedWriteGuard<'a, T: ?Sized> {
    s: &'a Batch,
    permits: u32,
    data: &'a mut T,
}

impl<'a, T: ?Sized> RwLockMappedWriteGuard<'a, T> {
    /// Narrows the guard further.
    ///
    /// ```
    /// use blitz_io::sync::{RwLock, RwLockMappedWriteGuard, RwLockWriteGuard};
    /// let lock = RwLock::new(((1, 2), 3));
    /// let outer = RwLockWriteGuard::map(lock.try_write().unwrap(), |t| &mut t.0);
    /// assert_eq!(*RwLockMappedWriteGuard::map(outer, |p| &mut p.0), 1);
    /// ```
    pub fn map<U: ?Sized, F>(this: Self, f: F) -> RwLockMappedWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data: *mut T = &mut *this.data;
        // SAFETY: as in `RwLockWriteGuard::map_parts`: the guard's own exclusive borrow, not
        // used again; `f` runs while the guard still owns the permits.
        let data = f(unsafe { &mut *data });
        let this = ManuallyDrop::new(this);
        RwLockMappedWriteGuard {
            s: this.s,
            permits: this.permits,
            data,
        }
    }
}

impl<T: ?Sized> Deref for RwLockMappedWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.data
    }
}

impl<T: ?Sized> DerefMut for RwLockMappedWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.data
    }
}

impl<T: ?Sized> Drop for RwLockMappedWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.s.release(self.permits as usize);
    }
}

/// A read guard for an `Arc<RwLock<T>>` ([`RwLock::read_owned`]): `'static`.
///
/// ```
/// use std::sync::Arc;
/// let lock = Arc::new(blitz_io::sync::RwLock::new(1));
/// let guard = lock.clone().try_read_owned().unwrap();
/// assert!(Arc::ptr_eq(guard.rwlock(), &lock));
/// ```
#[must_use = "dropping the guard unlocks at once"]
pub struct OwnedRwLockReadGuard<T: ?Sized> {
    lock: Arc<RwLock<T>>,
    _marker: PhantomData<*const T>,
}

/// A write guard for an `Arc<RwLock<T>>` ([`RwLock::write_owned`]): `'static`.
///
/// ```
/// use std::sync::Arc;
/// let lock = Arc::new(blitz_io::sync::RwLock::new(1));
/// let mut guard = lock.clone().try_write_owned().unwrap();
/// *guard = 2;
/// assert!(Arc::ptr_eq(guard.rwlock(), &lock));
/// ```
#[must_use = "dropping the guard unlocks at once"]
pub struct OwnedRwLockWriteGuard<T: ?Sized> {
    lock: Arc<RwLock<T>>,
    _marker: PhantomData<*mut T>,
}

// SAFETY: the owned guards hold an `Arc<RwLock<T>>` and give `&T` (and, for the write guard,
// `&mut T`) on whichever thread holds them; like the `Arc`, they need `T: Send + Sync`.
unsafe impl<T: ?Sized + Send + Sync> Send for OwnedRwLockReadGuard<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync> Sync for OwnedRwLockReadGuard<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync> Send for OwnedRwLockWriteGuard<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync> Sync for OwnedRwLockWriteGuard<T> {}

impl<T: ?Sized> OwnedRwLockReadGuard<T> {
    pub(super) fn new(lock: Arc<RwLock<T>>) -> Self {
        OwnedRwLockReadGuard {
            lock,
            _marker: PhantomData,
        }
    }

    /// The lock this guard holds.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let lock = Arc::new(blitz_io::sync::RwLock::new(()));
    /// let guard = lock.clone().try_read_owned().unwrap();
    /// assert_eq!(Arc::strong_count(guard.rwlock()), 2);
    /// ```
    pub fn rwlock(&self) -> &Arc<RwLock<T>> {
        &self.lock
    }
}

impl<T: ?Sized> OwnedRwLockWriteGuard<T> {
    pub(super) fn new(lock: Arc<RwLock<T>>) -> Self {
        OwnedRwLockWriteGuard {
            lock,
            _marker: PhantomData,
        }
    }

    /// The lock this guard holds.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let lock = Arc::new(blitz_io::sync::RwLock::new(()));
    /// let guard = lock.clone().try_write_owned().unwrap();
    /// assert_eq!(Arc::strong_count(guard.rwlock()), 2);
    /// ```
    pub fn rwlock(&self) -> &Arc<RwLock<T>> {
        &self.lock
    }

    /// Turns the write lock into a read lock without letting a writer in between (an
    /// associated function, like [`RwLockWriteGuard::downgrade`]). Readers queued behind this
    /// writer (and ahead of any other writer) may then proceed.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use blitz_io::sync::{OwnedRwLockWriteGuard, RwLock};
    ///
    /// let lock = Arc::new(RwLock::new(1));
    /// let mut writer = lock.clone().try_write_owned().unwrap();
    /// *writer = 2;
    /// let reader = OwnedRwLockWriteGuard::downgrade(writer);
    /// assert_eq!(*lock.try_read().unwrap(), *reader);
    /// assert!(lock.try_write().is_err());
    /// ```
    pub fn downgrade(this: Self) -> OwnedRwLockReadGuard<T> {
        let this = ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again, so reading the `Arc` out moves its
        // ownership (and the permits with it) rather than duplicating it.
        let lock = unsafe { core::ptr::read(&this.lock) };
        // Keep one permit: a reader's share.
        lock.s.release(lock.max_readers as usize - 1);
        OwnedRwLockReadGuard::new(lock)
    }
}

impl<T: ?Sized> Deref for OwnedRwLockReadGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.lock.data()
    }
}

impl<T: ?Sized> Deref for OwnedRwLockWriteGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds every permit, so no `&mut T` exists elsewhere.
        unsafe { &*self.lock.c.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedRwLockWriteGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds every permit, and `&mut self` makes this the only access.
        unsafe { &mut *self.lock.c.get() }
    }
}

impl<T: ?Sized> Drop for OwnedRwLockReadGuard<T> {
    fn drop(&mut self) {
        self.lock.s.release(1);
    }
}

impl<T: ?Sized> Drop for OwnedRwLockWriteGuard<T> {
    fn drop(&mut self) {
        self.lock.s.release(self.lock.max_readers as usize);
    }
}

macro_rules! debug_guard {
    ($($name:ident$(<$lt:lifetime>)?),*) => {$(
        impl<T: ?Sized + fmt::Debug> fmt::Debug for $name<$($lt,)? T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&**self, f)
            }
        }
    )*};
}
debug_guard!(
    RwLockReadGuard<'_>,
    RwLockWriteGuard<'_>,
    RwLockMappedWriteGuard<'_>,
    OwnedRwLockReadGuard,
    OwnedRwLockWriteGuard
);
