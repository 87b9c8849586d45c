//! Task-local storage: `task_local!` keys whose value is set for the extent of a future.
//!
//! Design. Each key is a `std` thread-local `RefCell<Option<T>>` wrapped in a [`LocalKey`].
//! [`LocalKey::scope`] returns a [`TaskLocalFuture`] that owns the value while the wrapped
//! future is suspended; around every poll it swaps the value into the thread-local and swaps
//! it back out afterwards, even when the poll panics (a drop guard does the swap back). So the
//! value is visible exactly while that future runs, on whichever worker polls it, and never to
//! other tasks polled on the same thread in between, including tasks it spawned (spawned tasks
//! are never polled inline). Nested scopes of one key stack naturally: the inner swap saves the
//! outer value in the inner future and restores it after the inner poll.
//!
//! The wrapped future is also dropped with the value in place, so its destructors can read it.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Declares task-local keys: values set per task (per future, strictly) with
/// [`LocalKey::scope`] and read with [`LocalKey::with`] / [`LocalKey::get`].
///
/// ```
/// blitz_io::task_local! {
///     static REQUEST_ID: u64;
///     pub static USER: String;
/// }
///
/// # blitz_io::run(async {
/// REQUEST_ID
///     .scope(7, async {
///         blitz_io::task::yield_now().await;
///         assert_eq!(REQUEST_ID.get(), 7);
///     })
///     .await;
/// assert!(REQUEST_ID.try_with(|_| ()).is_err());
/// # });
/// ```
#[macro_export]
macro_rules! task_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty; $($rest:tt)*) => {
        $crate::__task_local_inner!($(#[$attr])* $vis $name, $t);
        $crate::task_local!($($rest)*);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty) => {
        $crate::__task_local_inner!($(#[$attr])* $vis $name, $t);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __task_local_inner {
    ($(#[$attr:meta])* $vis:vis $name:ident, $t:ty) => {
        $(#[$attr])*
        $vis static $name: $crate::task::LocalKey<$t> = {
            ::std::thread_local! {
                static __BLITZ_TASK_LOCAL: ::std::cell::RefCell<::std::option::Option<$t>> =
                    const { ::std::cell::RefCell::new(::std::option::Option::None) };
            }
            $crate::task::LocalKey::__new(__BLITZ_TASK_LOCAL)
        };
    };
}

/// A task-local key, declared with [`task_local!`](crate::task_local).
pub struct LocalKey<T: 'static> {
    inner: std::thread::LocalKey<RefCell<Option<T>>>,
}

/// The value of a task-local was read where none is set (or while the thread is exiting).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AccessError {
    _private: (),
}

impl fmt::Debug for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessError")
    }
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task-local value not set: read it inside `LocalKey::scope` or `sync_scope`")
    }
}

impl std::error::Error for AccessError {}

/// Puts the scoped value back into its holder when dropped, so a panicking poll cannot leave
/// it in the thread-local.
struct Swap<'a, T: 'static> {
    key: &'static std::thread::LocalKey<RefCell<Option<T>>>,
    slot: &'a mut Option<T>,
}

impl<T: 'static> Drop for Swap<'_, T> {
    fn drop(&mut self) {
        // The swap in succeeded on this thread, so the thread-local is still alive, and
        // nothing borrows it across the scope's end (a `with` borrow ends with its closure).
        self.key
            .with(|cell| std::mem::swap(self.slot, &mut *cell.borrow_mut()));
    }
}

impl<T: 'static> LocalKey<T> {
    #[doc(hidden)]
    pub const fn __new(inner: std::thread::LocalKey<RefCell<Option<T>>>) -> LocalKey<T> {
        LocalKey { inner }
    }

    /// Runs `f` with `slot`'s value swapped into the thread-local, and swaps it back after.
    #[track_caller]
    fn run_scoped<R>(&'static self, slot: &mut Option<T>, f: impl FnOnce() -> R) -> R {
        let swapped = self.inner.try_with(|cell| match cell.try_borrow_mut() {
            Ok(mut current) => {
                std::mem::swap(slot, &mut *current);
                true
            }
            Err(_) => false,
        });
        match swapped {
            Ok(true) => {}
            Ok(false) => panic!(
                "cannot enter a task-local scope while that task-local is borrowed by \
                 `LocalKey::with` on this thread"
            ),
            Err(_) => panic!("cannot enter a task-local scope: the thread is exiting"),
        }
        let _restore = Swap {
            key: &self.inner,
            slot,
        };
        f()
    }

    /// Wraps `future` so that this key is set to `value` whenever it is polled (and while it
    /// is dropped). The value is not visible to tasks it spawns: give it to them explicitly.
    ///
    /// ```
    /// blitz_io::task_local!(static DEPTH: u32);
    ///
    /// # blitz_io::run(async {
    /// let seen = DEPTH
    ///     .scope(1, async {
    ///         let outer = DEPTH.get();
    ///         let inner = DEPTH.scope(2, async { DEPTH.get() }).await;
    ///         (outer, inner, DEPTH.get())
    ///     })
    ///     .await;
    /// assert_eq!(seen, (1, 2, 1));
    /// # });
    /// ```
    pub fn scope<F: Future>(&'static self, value: T, future: F) -> TaskLocalFuture<T, F> {
        TaskLocalFuture {
            key: self,
            slot: Some(value),
            future: Some(future),
        }
    }

    /// Sets this key to `value` for the duration of the synchronous call `f`.
    ///
    /// ```
    /// blitz_io::task_local!(static NAME: &'static str);
    ///
    /// assert_eq!(NAME.sync_scope("sync", || NAME.get()), "sync");
    /// ```
    ///
    /// # Panics
    /// When called inside a [`with`](Self::with) closure of the same key.
    #[track_caller]
    pub fn sync_scope<F, R>(&'static self, value: T, f: F) -> R
    where
        F: FnOnce() -> R,
    {
        let mut slot = Some(value);
        self.run_scoped(&mut slot, f)
    }

    /// Calls `f` with a reference to the current value.
    ///
    /// # Panics
    /// When no value is set here (outside every `scope` / `sync_scope` of this key); use
    /// [`try_with`](Self::try_with) where that can happen.
    #[track_caller]
    pub fn with<F, R>(&'static self, f: F) -> R
    where
        F: FnOnce(&T) -> R,
    {
        match self.try_with(f) {
            Ok(result) => result,
            Err(_) => panic!(
                "task-local value not set: `LocalKey::with` must run inside `LocalKey::scope` \
                 or `sync_scope` of this key (it is not inherited by spawned tasks); use \
                 `try_with` where it may be unset"
            ),
        }
    }

    /// Calls `f` with a reference to the current value, or returns [`AccessError`] when none
    /// is set here.
    pub fn try_with<F, R>(&'static self, f: F) -> Result<R, AccessError>
    where
        F: FnOnce(&T) -> R,
    {
        let error = AccessError { _private: () };
        self.inner
            .try_with(|cell| {
                let current = cell.try_borrow().map_err(|_| error)?;
                match current.as_ref() {
                    Some(value) => Ok(f(value)),
                    None => Err(error),
                }
            })
            .unwrap_or(Err(error))
    }
}

impl<T: Clone + 'static> LocalKey<T> {
    /// A clone of the current value.
    ///
    /// # Panics
    /// When no value is set here (see [`with`](Self::with)).
    #[track_caller]
    pub fn get(&'static self) -> T {
        self.with(T::clone)
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LocalKey { .. }")
    }
}

/// The future returned by [`LocalKey::scope`].
pub struct TaskLocalFuture<T: 'static, F> {
    key: &'static LocalKey<T>,
    /// The value while the wrapped future is not being polled; during a poll it sits in the
    /// thread-local, and this holds whatever was there before (an outer scope's value).
    slot: Option<T>,
    /// Structurally pinned; `None` once it completed.
    future: Option<F>,
}

// `slot` is never pinned (it is moved in and out of the thread-local); only `future` is.
impl<T: 'static, F: Unpin> Unpin for TaskLocalFuture<T, F> {}

impl<T: 'static, F: Future> Future for TaskLocalFuture<T, F> {
    type Output = F::Output;

    #[track_caller]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is structurally pinned: it is only accessed through `Pin` below and
        // dropped in place (assigned `None`), never moved; `slot` and `key` are not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let key = this.key;
        let future = &mut this.future;
        key.run_scoped(&mut this.slot, || {
            let inner = future
                .as_mut()
                .expect("`TaskLocalFuture` polled after it completed");
            // SAFETY: `inner` lives inside a pinned `TaskLocalFuture` and is never moved (see
            // above).
            let poll = unsafe { Pin::new_unchecked(inner) }.poll(cx);
            if poll.is_ready() {
                // Dropped in place while the value is still visible to its destructors.
                *future = None;
            }
            poll
        })
    }
}

impl<T: 'static, F> Drop for TaskLocalFuture<T, F> {
    fn drop(&mut self) {
        if self.future.is_none() {
            return;
        }
        let key = self.key;
        let future = &mut self.future;
        // Drop the future in place with the value visible; if the scope cannot be entered
        // (the thread is exiting, or the key is borrowed), drop it without.
        let entered = key.inner.try_with(|cell| cell.try_borrow_mut().is_ok());
        if matches!(entered, Ok(true)) {
            key.run_scoped(&mut self.slot, || *future = None);
        }
    }
}

impl<T: 'static, F> fmt::Debug for TaskLocalFuture<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskLocalFuture")
            .field("completed", &self.future.is_none())
            .finish_non_exhaustive()
    }
}
