//! The RAII guards of a borrowed [`RwLock`]: a read guard gives one permit
//! back, a write guard all of its permits; mapped guards keep the permits and narrow the data
//! they expose. The `Arc` guards are in `owned_guards.rs`.
//!
//! Mapping takes the old guard apart without releasing anything (it goes into a
//! `ManuallyDrop` after the closure ran, so a panic in the closure still unlocks), and a
//! `try_` variant whose closure declines hands the old guard back untouched. Downgrading keeps
//! one of a writer's permits, a reader's share, and releases the rest, so no writer can get in
//! between. All of these are associated functions (`RwLockWriteGuard::map(guard, ..)`) so they
//! never shadow a method of the data.

use core::fmt;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};

#[cfg(doc)]
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

    /// Like [`map`](Self::map), but `f` may decline (return `None`), and then the original
    /// guard comes back unchanged.
    ///
    /// ```
    /// use blitz_io::sync::{RwLock, RwLockReadGuard};
    /// let lock = RwLock::new(vec![1, 2]);
    /// let guard = RwLockReadGuard::try_map(lock.try_read().unwrap(), |v| v.get(5)).unwrap_err();
    /// assert_eq!(*RwLockReadGuard::try_map(guard, |v| v.last()).ok().unwrap(), 2);
    /// ```
    pub fn try_map<U: ?Sized, F>(this: Self, f: F) -> Result<RwLockReadGuard<'a, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        match f(this.data) {
            Some(data) => {
                let this = ManuallyDrop::new(this);
                Ok(RwLockReadGuard { s: this.s, data })
            }
            None => Err(this),
        }
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
    /// `Send` only if `T` is also `Sync` (as Tokio's): [`downgrade`](Self::downgrade) turns
    /// the guard into a read guard while other threads may take read guards too.
    _downgrade: PhantomData<&'a T>,
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    pub(super) fn new(s: &'a Batch, permits: u32, data: &'a mut T) -> Self {
        RwLockWriteGuard {
            s,
            permits,
            data,
            _downgrade: PhantomData,
        }
    }

    /// Takes the guard apart without releasing its permits: they move into the [`Held`],
    /// which releases them if it is dropped (say, by a panicking closure's unwinding).
    fn into_parts(this: Self) -> (Held<'a>, &'a mut T) {
        let this = ManuallyDrop::new(this);
        // SAFETY: `this` is forgotten and never used again, so this moves the borrow out
        // rather than duplicating it.
        let data = unsafe { core::ptr::read(&this.data) };
        (Held::new(this.s, this.permits), data)
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
        let (held, data) = Self::into_parts(this);
        let data = f(data);
        held.into_mapped(data)
    }

    /// Like [`map`](Self::map), but `f` may decline (return `None`), and then the original
    /// guard comes back unchanged.
    ///
    /// ```
    /// use blitz_io::sync::{RwLock, RwLockWriteGuard};
    /// let lock = RwLock::new(vec![1]);
    /// let writer = RwLockWriteGuard::try_map(lock.try_write().unwrap(), |v| v.get_mut(3));
    /// let writer = writer.unwrap_err();
    /// *RwLockWriteGuard::try_map(writer, |v| v.first_mut()).ok().unwrap() = 7;
    /// assert_eq!(*lock.try_read().unwrap(), [7]);
    /// ```
    pub fn try_map<U: ?Sized, F>(this: Self, f: F) -> Result<RwLockMappedWriteGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let (held, data) = Self::into_parts(this);
        let raw: *mut T = data;
        // SAFETY: `raw` is the guard's whole borrow. `f` gets it for the call only (its
        // signature cannot keep it past the call unless it returns it); on `None` nothing
        // derived from it is left, and the borrow goes back into a guard.
        match f(unsafe { &mut *raw }) {
            Some(data) => Ok(held.into_mapped(data)),
            // SAFETY: as above: the only other reference made from `raw` is gone.
            None => Err(held.into_write(unsafe { &mut *raw })),
        }
    }

    /// The same lock as a mapped guard over the whole data (so code that takes mapped guards
    /// can take this one too).
    ///
    /// ```
    /// use blitz_io::sync::{RwLock, RwLockMappedWriteGuard, RwLockWriteGuard};
    /// let lock = RwLock::new(1);
    /// let mut all: RwLockMappedWriteGuard<'_, i32> =
    ///     RwLockWriteGuard::into_mapped(lock.try_write().unwrap());
    /// *all += 1;
    /// assert_eq!(*all, 2);
    /// ```
    pub fn into_mapped(this: Self) -> RwLockMappedWriteGuard<'a, T> {
        let (held, data) = Self::into_parts(this);
        held.into_mapped(data)
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
        let (held, data) = Self::into_parts(this);
        held.into_read(data)
    }

    /// Downgrades to a read lock (as [`downgrade`](Self::downgrade)) narrowed to a part of
    /// the data. `f` runs while the write lock is still held.
    ///
    /// ```
    /// use blitz_io::sync::{RwLock, RwLockWriteGuard};
    /// let lock = RwLock::new((0, "name"));
    /// let mut writer = lock.try_write().unwrap();
    /// writer.0 = 9;
    /// let count = RwLockWriteGuard::downgrade_map(writer, |p| &p.0);
    /// assert_eq!(*count, 9);
    /// assert!(lock.try_read().is_ok(), "readers may join");
    /// assert!(lock.try_write().is_err());
    /// ```
    pub fn downgrade_map<U: ?Sized, F>(this: Self, f: F) -> RwLockReadGuard<'a, U>
    where
        F: FnOnce(&T) -> &U,
    {
        let (held, data) = Self::into_parts(this);
        let data = f(data);
        held.into_read(data)
    }

    /// Like [`downgrade_map`](Self::downgrade_map), but `f` may decline (return `None`), and
    /// then the write guard comes back unchanged, still write-locked.
    ///
    /// ```
    /// use blitz_io::sync::{RwLock, RwLockWriteGuard};
    /// let lock = RwLock::new(vec![1]);
    /// let writer = lock.try_write().unwrap();
    /// let mut writer = RwLockWriteGuard::try_downgrade_map(writer, |v| v.get(5)).unwrap_err();
    /// writer.push(2);
    /// let last = RwLockWriteGuard::try_downgrade_map(writer, |v| v.last()).ok().unwrap();
    /// assert_eq!(*last, 2);
    /// ```
    pub fn try_downgrade_map<U: ?Sized, F>(this: Self, f: F) -> Result<RwLockReadGuard<'a, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        let (held, data) = Self::into_parts(this);
        let raw: *mut T = data;
        // SAFETY: as in `try_map`, with a shared borrow for `f`.
        match f(unsafe { &*raw }) {
            Some(data) => Ok(held.into_read(data)),
            // SAFETY: as in `try_map`.
            None => Err(held.into_write(unsafe { &mut *raw })),
        }
    }
}

/// A write lock's permits between two guards: while a guard is rebuilt (and the closure that
/// narrows it runs), this owns them, and releases them if dropped instead of handed on.
struct Held<'a> {
    s: &'a Batch,
    permits: u32,
}

impl<'a> Held<'a> {
    fn new(s: &'a Batch, permits: u32) -> Held<'a> {
        Held { s, permits }
    }

    /// Hands the permits on (nothing is released).
    fn keep(self) -> (&'a Batch, u32) {
        let this = ManuallyDrop::new(self);
        (this.s, this.permits)
    }

    fn into_write<T: ?Sized>(self, data: &'a mut T) -> RwLockWriteGuard<'a, T> {
        let (s, permits) = self.keep();
        RwLockWriteGuard {
            s,
            permits,
            data,
            _downgrade: PhantomData,
        }
    }

    fn into_mapped<U: ?Sized>(self, data: &'a mut U) -> RwLockMappedWriteGuard<'a, U> {
        let (s, permits) = self.keep();
        RwLockMappedWriteGuard { s, permits, data }
    }

    /// Keeps one permit, a reader's share, and releases the rest: no writer can get in
    /// between.
    fn into_read<U: ?Sized>(self, data: &'a U) -> RwLockReadGuard<'a, U> {
        let (s, permits) = self.keep();
        s.release(permits as usize - 1);
        RwLockReadGuard { s, data }
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.s.release(self.permits as usize);
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
    /// Takes the guard apart without releasing its permits (see `RwLockWriteGuard`'s).
    fn into_parts(this: Self) -> (Held<'a>, &'a mut T) {
        let this = ManuallyDrop::new(this);
        // SAFETY: `this` is forgotten and never used again, so this moves the borrow out
        // rather than duplicating it.
        let data = unsafe { core::ptr::read(&this.data) };
        (Held::new(this.s, this.permits), data)
    }

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
        let (held, data) = Self::into_parts(this);
        let data = f(data);
        held.into_mapped(data)
    }

    /// Like [`map`](Self::map), but `f` may decline (return `None`), and then the guard comes
    /// back unchanged.
    ///
    /// ```
    /// use blitz_io::sync::{RwLock, RwLockMappedWriteGuard, RwLockWriteGuard};
    /// let lock = RwLock::new((vec![4, 5], 6));
    /// let list = RwLockWriteGuard::map(lock.try_write().unwrap(), |t| &mut t.0);
    /// let list = RwLockMappedWriteGuard::try_map(list, |v| v.get_mut(9)).unwrap_err();
    /// assert_eq!(*RwLockMappedWriteGuard::try_map(list, |v| v.last_mut()).ok().unwrap(), 5);
    /// ```
    pub fn try_map<U: ?Sized, F>(this: Self, f: F) -> Result<RwLockMappedWriteGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let (held, data) = Self::into_parts(this);
        let raw: *mut T = data;
        // SAFETY: as in `RwLockWriteGuard::try_map`.
        match f(unsafe { &mut *raw }) {
            Some(data) => Ok(held.into_mapped(data)),
            // SAFETY: as in `RwLockWriteGuard::try_map`.
            None => Err(held.into_mapped(unsafe { &mut *raw })),
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
    RwLockMappedWriteGuard<'_>
);
