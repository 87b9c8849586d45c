//! The RAII guards of [`Mutex`]: each holds the mutex's single permit and gives it back when
//! dropped, handing the lock to the next waiter if there is one.

use core::fmt;
use core::marker::PhantomData;
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
