//! The RAII guards of [`Mutex`]: each holds the mutex's single permit and gives it back when
//! dropped, handing the lock to the next waiter if there is one.

use core::fmt;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::Mutex;
use crate::sync::semaphore::batch::Batch;

/// Exclusive access to a [`Mutex`]'s data; dropping it unlocks (handing the lock to the next
/// waiter, if any).
///
/// ```
/// let mutex = blitz_io::sync::Mutex::new(vec![1]);
/// let mut guard = mutex.try_lock().unwrap();
/// guard.push(2);
/// assert_eq!(*guard, [1, 2]);
/// ```
#[must_use = "dropping the guard unlocks the mutex at once"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    /// Send only if `T` is, Sync only if `T` is (the guard hands out `&T` and `&mut T`).
    _marker: PhantomData<&'a mut T>,
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    pub(super) fn new(mutex: &'a Mutex<T>) -> Self {
        MutexGuard {
            mutex,
            _marker: PhantomData,
        }
    }

    /// Narrows the guard to a part of the data (an associated function: call it as
    /// `MutexGuard::map(guard, ...)`). The mutex stays locked until the mapped guard drops.
    ///
    /// ```
    /// use blitz_io::sync::{Mutex, MutexGuard};
    ///
    /// let mutex = Mutex::new((1, String::from("a")));
    /// let mut name = MutexGuard::map(mutex.try_lock().unwrap(), |pair| &mut pair.1);
    /// name.push('b');
    /// drop(name);
    /// assert_eq!(mutex.try_lock().unwrap().1, "ab");
    /// ```
    pub fn map<U: ?Sized, F>(this: Self, f: F) -> MappedMutexGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let mutex = this.mutex;
        // SAFETY: `this` holds the lock, so no one else can access the data. `f` runs while
        // `this` still owns the permit: if it panics, the guard unlocks as it unwinds.
        let data = f(unsafe { &mut *mutex.c.get() });
        // The permit moves to the mapped guard.
        core::mem::forget(this);
        MappedMutexGuard { s: &mutex.s, data }
    }

    /// Like [`map`](Self::map), but `f` may decline (return `None`), and then the original
    /// guard comes back unchanged.
    ///
    /// ```
    /// use blitz_io::sync::{Mutex, MutexGuard};
    ///
    /// let mutex = Mutex::new(vec![1, 2]);
    /// let first = MutexGuard::try_map(mutex.try_lock().unwrap(), |v| v.first_mut());
    /// assert_eq!(*first.ok().unwrap(), 1);
    /// let guard = mutex.try_lock().unwrap();
    /// let tenth = MutexGuard::try_map(guard, |v| v.get_mut(9));
    /// assert_eq!(tenth.err().unwrap().len(), 2);
    /// ```
    pub fn try_map<U: ?Sized, F>(this: Self, f: F) -> Result<MappedMutexGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let mutex = this.mutex;
        // SAFETY: as in `map`: `this` holds the lock while `f` runs.
        match f(unsafe { &mut *mutex.c.get() }) {
            Some(data) => {
                core::mem::forget(this);
                Ok(MappedMutexGuard { s: &mutex.s, data })
            }
            None => Err(this),
        }
    }

    /// The mutex this guard locks.
    ///
    /// ```
    /// let mutex = blitz_io::sync::Mutex::new(());
    /// let guard = mutex.try_lock().unwrap();
    /// assert!(std::ptr::eq(blitz_io::sync::MutexGuard::mutex(&guard), &mutex));
    /// ```
    pub fn mutex(this: &Self) -> &'a Mutex<T> {
        this.mutex
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock, so no `&mut T` exists elsewhere.
        unsafe { &*self.mutex.c.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the lock, and `&mut self` makes this the only access.
        unsafe { &mut *self.mutex.c.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.mutex.s.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// A [`MutexGuard`] narrowed by [`MutexGuard::map`] to part of the data.
///
/// ```
/// use blitz_io::sync::{MappedMutexGuard, Mutex, MutexGuard};
///
/// let mutex = Mutex::new([1, 2, 3]);
/// let first = MutexGuard::map(mutex.try_lock().unwrap(), |a| &mut a[0]);
/// let first: MappedMutexGuard<'_, i32> = first;
/// assert_eq!(*first, 1);
/// ```
#[must_use = "dropping the guard unlocks the mutex at once"]
pub struct MappedMutexGuard<'a, T: ?Sized> {
    s: &'a Batch,
    data: &'a mut T,
}

impl<'a, T: ?Sized> MappedMutexGuard<'a, T> {
    /// Narrows the guard further.
    ///
    /// ```
    /// use blitz_io::sync::{MappedMutexGuard, Mutex, MutexGuard};
    ///
    /// let mutex = Mutex::new(((1, 2), 3));
    /// let outer = MutexGuard::map(mutex.try_lock().unwrap(), |t| &mut t.0);
    /// let inner = MappedMutexGuard::map(outer, |p| &mut p.1);
    /// assert_eq!(*inner, 2);
    /// ```
    pub fn map<U: ?Sized, F>(this: Self, f: F) -> MappedMutexGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data: *mut T = &mut *this.data;
        // SAFETY: `data` comes from the guard's own exclusive borrow, which is not used again
        // (the guard is forgotten below). `f` runs while `this` still owns the permit: if it
        // panics, the guard unlocks as it unwinds.
        let data = f(unsafe { &mut *data });
        let s = this.s;
        core::mem::forget(this);
        MappedMutexGuard { s, data }
    }

    /// Like [`map`](Self::map), but `f` may decline (return `None`), and then the guard comes
    /// back unchanged.
    ///
    /// ```
    /// use blitz_io::sync::{MappedMutexGuard, Mutex, MutexGuard};
    ///
    /// let mutex = Mutex::new((vec![1, 2], 3));
    /// let list = MutexGuard::map(mutex.try_lock().unwrap(), |t| &mut t.0);
    /// let list = MappedMutexGuard::try_map(list, |v| v.get_mut(5)).unwrap_err();
    /// let last = MappedMutexGuard::try_map(list, |v| v.last_mut()).ok().unwrap();
    /// assert_eq!(*last, 2);
    /// ```
    pub fn try_map<U: ?Sized, F>(this: Self, f: F) -> Result<MappedMutexGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let data: *mut T = &mut *this.data;
        // SAFETY: as in `map`; on `None` the borrow has ended and `this` is returned intact.
        match f(unsafe { &mut *data }) {
            Some(data) => {
                let s = this.s;
                core::mem::forget(this);
                Ok(MappedMutexGuard { s, data })
            }
            None => Err(this),
        }
    }
}

impl<T: ?Sized> Deref for MappedMutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.data
    }
}

impl<T: ?Sized> DerefMut for MappedMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.data
    }
}

impl<T: ?Sized> Drop for MappedMutexGuard<'_, T> {
    fn drop(&mut self) {
        self.s.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MappedMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// A guard for an `Arc<Mutex<T>>`, returned by [`Mutex::lock_owned`]: `'static`, so it can
/// move into a spawned task.
///
/// ```
/// use std::sync::Arc;
/// let mutex = Arc::new(blitz_io::sync::Mutex::new(1));
/// let guard = mutex.clone().try_lock_owned().unwrap();
/// assert!(Arc::ptr_eq(guard.mutex(), &mutex));
/// ```
#[must_use = "dropping the guard unlocks the mutex at once"]
pub struct OwnedMutexGuard<T: ?Sized> {
    mutex: Arc<Mutex<T>>,
    /// Removes the auto traits; the impls below restate them with `T`'s bounds.
    _marker: PhantomData<*mut T>,
}

// SAFETY: the guard gives `&mut T` on whichever thread holds it: moving it needs `T: Send`.
unsafe impl<T: ?Sized + Send> Send for OwnedMutexGuard<T> {}
// SAFETY: sharing the guard shares `&T`, so `T: Sync` too.
unsafe impl<T: ?Sized + Send + Sync> Sync for OwnedMutexGuard<T> {}

impl<T: ?Sized> OwnedMutexGuard<T> {
    pub(super) fn new(mutex: Arc<Mutex<T>>) -> Self {
        OwnedMutexGuard {
            mutex,
            _marker: PhantomData,
        }
    }

    /// The mutex this guard locks.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let mutex = Arc::new(blitz_io::sync::Mutex::new(()));
    /// let guard = mutex.clone().try_lock_owned().unwrap();
    /// assert_eq!(Arc::strong_count(guard.mutex()), 2);
    /// ```
    pub fn mutex(&self) -> &Arc<Mutex<T>> {
        &self.mutex
    }

    /// Narrows the guard to a part of the data (an associated function: call it as
    /// `OwnedMutexGuard::map(guard, ...)`). The result is still `'static`; the mutex stays
    /// locked until it drops.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use blitz_io::sync::{Mutex, OwnedMutexGuard};
    ///
    /// let mutex = Arc::new(Mutex::new((1, String::from("a"))));
    /// let mut name = OwnedMutexGuard::map(mutex.clone().try_lock_owned().unwrap(), |p| &mut p.1);
    /// name.push('b');
    /// drop(name);
    /// assert_eq!(mutex.try_lock().unwrap().1, "ab");
    /// ```
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> OwnedMappedMutexGuard<T, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        // `f` runs while `this` still owns the permit: if it panics, the guard unlocks as it
        // unwinds.
        let data: *mut U = f(&mut this);
        Self::into_mapped(this, data)
    }

    /// Like [`map`](Self::map), but `f` may decline (return `None`), and then the original
    /// guard comes back unchanged.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use blitz_io::sync::{Mutex, OwnedMutexGuard};
    ///
    /// let mutex = Arc::new(Mutex::new(vec![7]));
    /// let guard = mutex.clone().try_lock_owned().unwrap();
    /// let guard = OwnedMutexGuard::try_map(guard, |v| v.get_mut(3)).unwrap_err();
    /// let first = OwnedMutexGuard::try_map(guard, |v| v.first_mut()).ok().unwrap();
    /// assert_eq!(*first, 7);
    /// ```
    pub fn try_map<U: ?Sized, F>(mut this: Self, f: F) -> Result<OwnedMappedMutexGuard<T, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        match f(&mut this) {
            Some(data) => {
                let data: *mut U = data;
                Ok(Self::into_mapped(this, data))
            }
            None => Err(this),
        }
    }

    /// Moves the lock (the `Arc` and its permit) into a mapped guard over `data`.
    fn into_mapped<U: ?Sized>(this: Self, data: *mut U) -> OwnedMappedMutexGuard<T, U> {
        let this = ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again, so reading the `Arc` out moves its
        // ownership (and the permit with it) rather than duplicating it.
        let mutex = unsafe { core::ptr::read(&this.mutex) };
        OwnedMappedMutexGuard {
            mutex,
            data,
            _marker: PhantomData,
        }
    }
}

impl<T: ?Sized> Deref for OwnedMutexGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock, so no `&mut T` exists elsewhere.
        unsafe { &*self.mutex.c.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the lock, and `&mut self` makes this the only access.
        unsafe { &mut *self.mutex.c.get() }
    }
}

impl<T: ?Sized> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.mutex.s.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// An [`OwnedMutexGuard`] narrowed by [`OwnedMutexGuard::map`] to a `U` inside the `T`. Still
/// `'static`: it keeps the `Arc<Mutex<T>>` alive, and unlocks when dropped.
///
/// ```
/// use std::sync::Arc;
/// use blitz_io::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};
///
/// let mutex = Arc::new(Mutex::new([1, 2, 3]));
/// let last = OwnedMutexGuard::map(mutex.clone().try_lock_owned().unwrap(), |a| &mut a[2]);
/// let last: OwnedMappedMutexGuard<[i32; 3], i32> = last;
/// assert_eq!(*last, 3);
/// assert!(mutex.try_lock().is_err(), "still locked");
/// ```
#[must_use = "dropping the guard unlocks the mutex at once"]
pub struct OwnedMappedMutexGuard<T: ?Sized, U: ?Sized = T> {
    mutex: Arc<Mutex<T>>,
    /// Points into `mutex`'s data, which this guard has locked; valid while `mutex` lives.
    data: *mut U,
    /// Removes the auto traits; the impls below restate them.
    _marker: PhantomData<*mut T>,
}

// SAFETY: the guard gives `&mut U` on whichever thread holds it, and may drop the last
// `Arc<Mutex<T>>` (and with it the `T`) there: moving it needs both to be `Send`.
unsafe impl<T: ?Sized + Send, U: ?Sized + Send> Send for OwnedMappedMutexGuard<T, U> {}
// SAFETY: sharing the guard shares `&U`; as for `OwnedMutexGuard`, `Sync` also asks `Send`.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync for OwnedMappedMutexGuard<T, U> {}

impl<T: ?Sized, U: ?Sized> OwnedMappedMutexGuard<T, U> {
    /// Narrows the guard further.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use blitz_io::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};
    ///
    /// let mutex = Arc::new(Mutex::new(((1, 2), 3)));
    /// let outer = OwnedMutexGuard::map(mutex.try_lock_owned().unwrap(), |t| &mut t.0);
    /// let inner = OwnedMappedMutexGuard::map(outer, |p| &mut p.1);
    /// assert_eq!(*inner, 2);
    /// ```
    pub fn map<V: ?Sized, F>(mut this: Self, f: F) -> OwnedMappedMutexGuard<T, V>
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
    /// use blitz_io::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};
    ///
    /// let mutex = Arc::new(Mutex::new((vec![4, 5], 6)));
    /// let list = OwnedMutexGuard::map(mutex.try_lock_owned().unwrap(), |t| &mut t.0);
    /// let list = OwnedMappedMutexGuard::try_map(list, |v| v.get_mut(9)).unwrap_err();
    /// assert_eq!(*OwnedMappedMutexGuard::try_map(list, |v| v.last_mut()).ok().unwrap(), 5);
    /// ```
    pub fn try_map<V: ?Sized, F>(mut this: Self, f: F) -> Result<OwnedMappedMutexGuard<T, V>, Self>
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

    /// The mutex this guard locks.
    pub fn mutex(&self) -> &Arc<Mutex<T>> {
        &self.mutex
    }

    fn remap<V: ?Sized>(this: Self, data: *mut V) -> OwnedMappedMutexGuard<T, V> {
        let this = ManuallyDrop::new(this);
        // SAFETY: as in `OwnedMutexGuard::into_mapped`: `this` is never used or dropped again.
        let mutex = unsafe { core::ptr::read(&this.mutex) };
        OwnedMappedMutexGuard {
            mutex,
            data,
            _marker: PhantomData,
        }
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedMappedMutexGuard<T, U> {
    type Target = U;

    fn deref(&self) -> &U {
        // SAFETY: `data` points into the locked data, alive while `self.mutex` is; the lock
        // keeps any `&mut` elsewhere from existing.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedMappedMutexGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: as in `deref`, and `&mut self` makes this the only access.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedMappedMutexGuard<T, U> {
    fn drop(&mut self) {
        self.mutex.s.release(1);
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedMappedMutexGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
