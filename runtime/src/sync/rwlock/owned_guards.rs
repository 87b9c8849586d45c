//! The guards of an `Arc<RwLock<T>>`: `'static`, because each holds the `Arc`.
//!
//! A guard owns its permits (one for a read guard, all of them for a write guard) and gives
//! them back in `Drop`. The read guard and the mapped write guard also hold a raw pointer to
//! the part of the data they expose (`U`, by default the whole `T`): it points into the
//! `Arc`'s allocation, which does not move and lives as long as the guard's `Arc`, and the
//! permits keep a conflicting borrow from existing. Mapping moves the `Arc` (and with it the
//! permits) into the new guard without releasing anything: the old guard is wrapped in
//! `ManuallyDrop` and its `Arc` read out once. The closure runs before that, while the old
//! guard still owns everything, so a panic in it unlocks as it unwinds.
//!
//! As elsewhere in this crate, the guards' own operations are associated functions
//! (`OwnedRwLockWriteGuard::map(guard, ..)`), so they never shadow a method of the data.

use core::fmt;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::RwLock;

/// A read guard for an `Arc<RwLock<T>>` ([`RwLock::read_owned`]): `'static`. After
/// [`map`](Self::map) it exposes a `U` inside the `T`.
///
/// ```
/// use std::sync::Arc;
/// let lock = Arc::new(blitz_io::sync::RwLock::new(1));
/// let guard = lock.clone().try_read_owned().unwrap();
/// assert!(Arc::ptr_eq(guard.rwlock(), &lock));
/// ```
#[must_use = "dropping the guard unlocks at once"]
pub struct OwnedRwLockReadGuard<T: ?Sized, U: ?Sized = T> {
    lock: Arc<RwLock<T>>,
    /// Points into `lock`'s data, which this guard has read-locked.
    data: *const U,
    /// Removes the auto traits; the impls below restate them.
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

/// An [`OwnedRwLockWriteGuard`] narrowed by [`OwnedRwLockWriteGuard::map`] to a `U` inside
/// the `T`. Still `'static`, still write-locked until dropped.
///
/// ```
/// use std::sync::Arc;
/// use blitz_io::sync::{OwnedRwLockMappedWriteGuard, OwnedRwLockWriteGuard, RwLock};
///
/// let lock = Arc::new(RwLock::new([1, 2, 3]));
/// let last = OwnedRwLockWriteGuard::map(lock.clone().try_write_owned().unwrap(), |a| &mut a[2]);
/// let mut last: OwnedRwLockMappedWriteGuard<[i32; 3], i32> = last;
/// *last = 30;
/// assert!(lock.try_read().is_err(), "still write-locked");
/// drop(last);
/// assert_eq!(*lock.try_read().unwrap(), [1, 2, 30]);
/// ```
#[must_use = "dropping the guard unlocks at once"]
pub struct OwnedRwLockMappedWriteGuard<T: ?Sized, U: ?Sized = T> {
    lock: Arc<RwLock<T>>,
    /// Points into `lock`'s data, which this guard has write-locked.
    data: *mut U,
    _marker: PhantomData<*mut T>,
}

// SAFETY: every owned guard holds an `Arc<RwLock<T>>` (which may drop the `T` on whichever
// thread lets go last, and is `Send`/`Sync` only for `T: Send + Sync`). A read guard gives
// `&U` on the thread that holds it, and sharing it shares `&U`: `U: Sync` either way.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Sync> Send for OwnedRwLockReadGuard<T, U> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Sync> Sync for OwnedRwLockReadGuard<T, U> {}
// SAFETY: as above; the write guard hands out `&mut T` where it is held and `&T` where it is
// shared, both covered by `T: Send + Sync`.
unsafe impl<T: ?Sized + Send + Sync> Send for OwnedRwLockWriteGuard<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync> Sync for OwnedRwLockWriteGuard<T> {}
// SAFETY: as above; moving a mapped write guard moves exclusive access to `U` (`U: Send`),
// sharing it shares `&U` (`U: Sync`).
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send> Send for OwnedRwLockMappedWriteGuard<T, U> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Sync> Sync for OwnedRwLockMappedWriteGuard<T, U> {}

/// Moves the `Arc` out of a guard that will never be used or dropped again.
///
/// # Safety
///
/// `lock` is the field of a guard that is not touched after this call (it is in a
/// `ManuallyDrop` the caller forgets).
unsafe fn take_lock<T: ?Sized>(lock: &Arc<RwLock<T>>) -> Arc<RwLock<T>> {
    // SAFETY: per the contract, the source is never used or dropped again, so this moves the
    // `Arc` (and the permits it stands for) rather than duplicating it.
    unsafe { core::ptr::read(lock) }
}

impl<T: ?Sized> OwnedRwLockReadGuard<T> {
    pub(in crate::sync) fn new(lock: Arc<RwLock<T>>) -> Self {
        let data: *const T = lock.c.get();
        OwnedRwLockReadGuard {
            lock,
            data,
            _marker: PhantomData,
        }
    }
}

impl<T: ?Sized, U: ?Sized> OwnedRwLockReadGuard<T, U> {
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

    /// Narrows the guard to a part of the data; the read lock is held until the new guard
    /// drops.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use blitz_io::sync::{OwnedRwLockReadGuard, RwLock};
    ///
    /// let lock = Arc::new(RwLock::new((1, String::from("one"))));
    /// let name = OwnedRwLockReadGuard::map(lock.try_read_owned().unwrap(), |p| &p.1);
    /// let name = std::thread::spawn(move || name.len()).join().unwrap(); // 'static
    /// assert_eq!(name, 3);
    /// ```
    pub fn map<V: ?Sized, F>(this: Self, f: F) -> OwnedRwLockReadGuard<T, V>
    where
        F: FnOnce(&U) -> &V,
    {
        let data: *const V = f(&this);
        Self::remap(this, data)
    }

    /// Like [`map`](Self::map), but `f` may decline (return `None`), and then the original
    /// guard comes back unchanged.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use blitz_io::sync::{OwnedRwLockReadGuard, RwLock};
    ///
    /// let lock = Arc::new(RwLock::new(vec![4, 5]));
    /// let guard = lock.try_read_owned().unwrap();
    /// let guard = OwnedRwLockReadGuard::try_map(guard, |v| v.get(7)).unwrap_err();
    /// assert_eq!(*OwnedRwLockReadGuard::try_map(guard, |v| v.last()).ok().unwrap(), 5);
    /// ```
    pub fn try_map<V: ?Sized, F>(this: Self, f: F) -> Result<OwnedRwLockReadGuard<T, V>, Self>
    where
        F: FnOnce(&U) -> Option<&V>,
    {
        match f(&this) {
            Some(data) => {
                let data: *const V = data;
                Ok(Self::remap(this, data))
            }
            None => Err(this),
        }
    }

    fn remap<V: ?Sized>(this: Self, data: *const V) -> OwnedRwLockReadGuard<T, V> {
        let this = ManuallyDrop::new(this);
        OwnedRwLockReadGuard {
            // SAFETY: `this` is forgotten and never used again.
            lock: unsafe { take_lock(&this.lock) },
            data,
            _marker: PhantomData,
        }
    }
}

impl<T: ?Sized> OwnedRwLockWriteGuard<T> {
    pub(in crate::sync) fn new(lock: Arc<RwLock<T>>) -> Self {
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
    /// associated function, like [`RwLockWriteGuard::downgrade`](super::RwLockWriteGuard::downgrade)).
    /// Readers queued behind this writer (and ahead of any other writer) may then proceed.
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
        let lock = Self::into_lock(this);
        // Keep one permit: a reader's share.
        lock.s.release(lock.max_readers as usize - 1);
        OwnedRwLockReadGuard::new(lock)
    }

    /// Downgrades to a read lock (as [`downgrade`](Self::downgrade)) narrowed to a part of
    /// the data. `f` runs while the write lock is still held.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use blitz_io::sync::{OwnedRwLockWriteGuard, RwLock};
    ///
    /// let lock = Arc::new(RwLock::new((0, "name")));
    /// let mut writer = lock.clone().try_write_owned().unwrap();
    /// writer.0 = 9;
    /// let count = OwnedRwLockWriteGuard::downgrade_map(writer, |p| &p.0);
    /// assert_eq!(*count, 9);
    /// assert!(lock.try_read().is_ok(), "readers may join");
    /// assert!(lock.try_write().is_err());
    /// ```
    pub fn downgrade_map<U: ?Sized, F>(this: Self, f: F) -> OwnedRwLockReadGuard<T, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let data: *const U = f(&this);
        Self::downgrade_to(this, data)
    }

    /// Like [`downgrade_map`](Self::downgrade_map), but `f` may decline (return `None`), and
    /// then the write guard comes back unchanged, still write-locked.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use blitz_io::sync::{OwnedRwLockWriteGuard, RwLock};
    ///
    /// let lock = Arc::new(RwLock::new(vec![1]));
    /// let writer = lock.clone().try_write_owned().unwrap();
    /// let mut writer = OwnedRwLockWriteGuard::try_downgrade_map(writer, |v| v.get(5)).unwrap_err();
    /// writer.push(2);
    /// let last = OwnedRwLockWriteGuard::try_downgrade_map(writer, |v| v.last()).ok().unwrap();
    /// assert_eq!(*last, 2);
    /// ```
    pub fn try_downgrade_map<U: ?Sized, F>(
        this: Self,
        f: F,
    ) -> Result<OwnedRwLockReadGuard<T, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        match f(&this) {
            Some(data) => {
                let data: *const U = data;
                Ok(Self::downgrade_to(this, data))
            }
            None => Err(this),
        }
    }

    /// Narrows the guard to a part of the data; the write lock is held until the new guard
    /// drops.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use blitz_io::sync::{OwnedRwLockWriteGuard, RwLock};
    ///
    /// let lock = Arc::new(RwLock::new((1, 2)));
    /// let mut second = OwnedRwLockWriteGuard::map(lock.clone().try_write_owned().unwrap(), |p| &mut p.1);
    /// *second = 5;
    /// drop(second);
    /// assert_eq!(*lock.try_read().unwrap(), (1, 5));
    /// ```
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> OwnedRwLockMappedWriteGuard<T, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data: *mut U = f(&mut this);
        Self::mapped_to(this, data)
    }

    /// Like [`map`](Self::map), but `f` may decline (return `None`), and then the original
    /// guard comes back unchanged.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use blitz_io::sync::{OwnedRwLockWriteGuard, RwLock};
    ///
    /// let lock = Arc::new(RwLock::new(vec![3]));
    /// let writer = lock.clone().try_write_owned().unwrap();
    /// let writer = OwnedRwLockWriteGuard::try_map(writer, |v| v.get_mut(1)).unwrap_err();
    /// *OwnedRwLockWriteGuard::try_map(writer, |v| v.first_mut()).ok().unwrap() = 4;
    /// assert_eq!(*lock.try_read().unwrap(), [4]);
    /// ```
    pub fn try_map<U: ?Sized, F>(
        mut this: Self,
        f: F,
    ) -> Result<OwnedRwLockMappedWriteGuard<T, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        match f(&mut this) {
            Some(data) => {
                let data: *mut U = data;
                Ok(Self::mapped_to(this, data))
            }
            None => Err(this),
        }
    }

    /// The same lock as a mapped guard over the whole data (so code that takes mapped guards
    /// can take this one too).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use blitz_io::sync::{OwnedRwLockMappedWriteGuard, OwnedRwLockWriteGuard, RwLock};
    ///
    /// let lock = Arc::new(RwLock::new(1));
    /// let mut all: OwnedRwLockMappedWriteGuard<i32> =
    ///     OwnedRwLockWriteGuard::into_mapped(lock.try_write_owned().unwrap());
    /// *all += 1;
    /// assert_eq!(*all, 2);
    /// ```
    pub fn into_mapped(this: Self) -> OwnedRwLockMappedWriteGuard<T> {
        Self::map(this, |data| data)
    }

    /// Takes the `Arc` (and the permits with it) out of the guard.
    fn into_lock(this: Self) -> Arc<RwLock<T>> {
        let this = ManuallyDrop::new(this);
        // SAFETY: `this` is forgotten and never used again.
        unsafe { take_lock(&this.lock) }
    }

    fn downgrade_to<U: ?Sized>(this: Self, data: *const U) -> OwnedRwLockReadGuard<T, U> {
        let lock = Self::into_lock(this);
        lock.s.release(lock.max_readers as usize - 1);
        OwnedRwLockReadGuard {
            lock,
            data,
            _marker: PhantomData,
        }
    }

    fn mapped_to<U: ?Sized>(this: Self, data: *mut U) -> OwnedRwLockMappedWriteGuard<T, U> {
        OwnedRwLockMappedWriteGuard {
            lock: Self::into_lock(this),
            data,
            _marker: PhantomData,
        }
    }
}

impl<T: ?Sized, U: ?Sized> OwnedRwLockMappedWriteGuard<T, U> {
    /// The lock this guard holds.
    pub fn rwlock(&self) -> &Arc<RwLock<T>> {
        &self.lock
    }

    /// Narrows the guard further.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use blitz_io::sync::{OwnedRwLockMappedWriteGuard, OwnedRwLockWriteGuard, RwLock};
    ///
    /// let lock = Arc::new(RwLock::new(((1, 2), 3)));
    /// let outer = OwnedRwLockWriteGuard::map(lock.try_write_owned().unwrap(), |t| &mut t.0);
    /// assert_eq!(*OwnedRwLockMappedWriteGuard::map(outer, |p| &mut p.1), 2);
    /// ```
    pub fn map<V: ?Sized, F>(mut this: Self, f: F) -> OwnedRwLockMappedWriteGuard<T, V>
    where
        F: FnOnce(&mut U) -> &mut V,
    {
        let data: *mut V = f(&mut this);
        Self::remap(this, data)
    }

    /// Like [`map`](Self::map), but `f` may decline (return `None`), and then the guard comes
    /// back unchanged.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use blitz_io::sync::{OwnedRwLockMappedWriteGuard, OwnedRwLockWriteGuard, RwLock};
    ///
    /// let lock = Arc::new(RwLock::new((vec![4, 5], 6)));
    /// let list = OwnedRwLockWriteGuard::map(lock.try_write_owned().unwrap(), |t| &mut t.0);
    /// let list = OwnedRwLockMappedWriteGuard::try_map(list, |v| v.get_mut(9)).unwrap_err();
    /// assert_eq!(*OwnedRwLockMappedWriteGuard::try_map(list, |v| v.last_mut()).ok().unwrap(), 5);
    /// ```
    pub fn try_map<V: ?Sized, F>(
        mut this: Self,
        f: F,
    ) -> Result<OwnedRwLockMappedWriteGuard<T, V>, Self>
    where
        F: FnOnce(&mut U) -> Option<&mut V>,
    {
        match f(&mut this) {
            Some(data) => {
                let data: *mut V = data;
                Ok(Self::remap(this, data))
            }
            None => Err(this),
        }
    }

    fn remap<V: ?Sized>(this: Self, data: *mut V) -> OwnedRwLockMappedWriteGuard<T, V> {
        let this = ManuallyDrop::new(this);
        OwnedRwLockMappedWriteGuard {
            // SAFETY: `this` is forgotten and never used again.
            lock: unsafe { take_lock(&this.lock) },
            data,
            _marker: PhantomData,
        }
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockReadGuard<T, U> {
    type Target = U;

    fn deref(&self) -> &U {
        // SAFETY: `data` points into the locked data, alive while `self.lock` is; the read
        // permit keeps any `&mut` to it from existing.
        unsafe { &*self.data }
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

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockMappedWriteGuard<T, U> {
    type Target = U;

    fn deref(&self) -> &U {
        // SAFETY: `data` points into the locked data, alive while `self.lock` is; the guard
        // holds every permit, so no `&mut` exists elsewhere.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedRwLockMappedWriteGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: as in `deref`, and `&mut self` makes this the only access.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedRwLockReadGuard<T, U> {
    fn drop(&mut self) {
        self.lock.s.release(1);
    }
}

impl<T: ?Sized> Drop for OwnedRwLockWriteGuard<T> {
    fn drop(&mut self) {
        self.lock.s.release(self.lock.max_readers as usize);
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedRwLockMappedWriteGuard<T, U> {
    fn drop(&mut self) {
        self.lock.s.release(self.lock.max_readers as usize);
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockReadGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockWriteGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockMappedWriteGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
