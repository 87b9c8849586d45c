//! `Handle`: a cloneable reference to a runtime, usable from any thread.

use std::fmt;
use std::future::IntoFuture;
use std::marker::PhantomData;
use std::panic::Location;

use super::builder::{Backend, RuntimeFlavor};
use super::context::{self, SetCurrentGuard};
use super::metrics::RuntimeMetrics;
use super::scheduler;
use crate::task::{Dump, JoinHandle, TaskDump};

/// A reference to a runtime: spawn onto it from any thread, or enter it so that code which
/// looks up "the current runtime" (`task::spawn`, timers, sockets) finds it.
///
/// A handle does not keep the runtime running: once the [`Runtime`](crate::Runtime) is
/// dropped, tasks spawned through a handle are cancelled at once.
///
/// ```
/// let rt = blitz_io::Runtime::new().unwrap();
/// let handle = rt.handle().clone();
/// let from_thread = std::thread::spawn(move || handle.spawn(async { 7 }).blocking_join())
///     .join()
///     .unwrap();
/// assert_eq!(from_thread.unwrap(), 7);
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) inner: scheduler::Handle,
}

/// The thread is not inside a runtime: returned by [`Handle::try_current`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TryCurrentError(());

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(context::NO_RUNTIME_MESSAGE)
    }
}

impl std::error::Error for TryCurrentError {}

/// Keeps a runtime entered on this thread; dropping it restores the previous one.
///
/// Returned by [`Runtime::enter`](crate::Runtime::enter) and [`Handle::enter`]. Guards must be
/// dropped in the reverse order they were created.
#[must_use = "the runtime is only entered while the guard is alive"]
pub struct EnterGuard<'a> {
    _guard: SetCurrentGuard,
    _handle: PhantomData<&'a Handle>,
}

impl Handle {
    /// The handle of the runtime this thread is in.
    ///
    /// # Panics
    /// Outside a runtime; see [`try_current`](Self::try_current) for a fallible version.
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Ok(handle) => handle,
            Err(error) => panic!("{error}"),
        }
    }

    /// The handle of the runtime this thread is in, or an error outside any runtime.
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        context::with_current(|handle| match handle {
            Some(handle) => Ok(Handle {
                inner: handle.clone(),
            }),
            None => Err(TryCurrentError(())),
        })
    }

    /// Enters the runtime on this thread until the guard is dropped.
    pub fn enter(&self) -> EnterGuard<'_> {
        EnterGuard {
            _guard: context::set_current(&self.inner),
            _handle: PhantomData,
        }
    }

    /// Runs `future` to completion on this thread with the runtime entered, and returns its
    /// output: [`Runtime::block_on`](crate::Runtime::block_on) for code that only has a
    /// handle (a plain thread, a blocking job).
    ///
    /// This thread only waits for `future`; it runs no other task. On a multi-thread runtime
    /// the workers run spawned tasks and the drivers, so this behaves as `Runtime::block_on`.
    /// On a current-thread runtime tasks, timers and sockets make progress only while some
    /// thread is in `Runtime::block_on` (as with Tokio's `Handle::block_on`).
    ///
    /// # Panics
    /// On a thread that already drives a runtime (a worker, or inside `block_on`): `.await`
    /// the future or `spawn` it there instead.
    ///
    /// ```
    /// let runtime = blitz_io::Runtime::new().unwrap();
    /// let handle = runtime.handle().clone();
    /// let answer = std::thread::spawn(move || {
    ///     handle.block_on(async { blitz_io::spawn(async { 6 * 7 }).await.unwrap() })
    /// })
    /// .join()
    /// .unwrap();
    /// assert_eq!(answer, 42);
    /// ```
    #[track_caller]
    pub fn block_on<F: IntoFuture>(&self, future: F) -> F::Output {
        let future = future.into_future();
        let _entered = context::enter_block_on(&self.inner);
        super::park::block_on_thread(future)
    }

    /// Spawns a task onto this runtime (see [`task::spawn`](crate::task::spawn)).
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: IntoFuture,
        F::IntoFuture: Send + 'static,
        F::Output: Send + 'static,
    {
        self.inner.spawn(future.into_future(), Location::caller())
    }

    /// Runs a closure on this runtime's blocking pool (see
    /// [`task::spawn_blocking`](crate::task::spawn_blocking)).
    #[track_caller]
    pub fn spawn_blocking<F, T>(&self, function: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.inner.spawn_blocking(function, Location::caller())
    }

    /// A snapshot of the runtime's live tasks: id, spawn location, state, the future's type
    /// and, for tasks running a [`Machine`](crate::machine::Machine), the current step.
    ///
    /// It only reads atomics while walking the task list, so it never waits for a task, even
    /// one blocked in the middle of its `poll`. Tasks of the blocking pool are not listed.
    ///
    /// ```
    /// let runtime = blitz_io::Runtime::new().unwrap();
    /// let parked = runtime.spawn(std::future::pending::<()>());
    /// let dump = runtime.handle().dump();
    /// assert!(dump.tasks().iter().any(|task| task.id() == parked.id()));
    /// println!("{dump}");
    /// ```
    pub fn dump(&self) -> Dump {
        let mut tasks = Vec::with_capacity(self.inner.owned().len());
        self.inner
            .owned()
            .for_each(|header| tasks.push(TaskDump::read(header)));
        Dump::new(tasks)
    }

    /// The runtime's counters.
    pub fn metrics(&self) -> RuntimeMetrics {
        RuntimeMetrics::new(self.inner.clone())
    }

    /// Which scheduler the runtime uses.
    pub fn runtime_flavor(&self) -> RuntimeFlavor {
        self.runtime_flavor_inner()
    }

    /// The I/O backend this runtime uses: [`Backend::IoUring`] or [`Backend::Mio`], never
    /// `Auto` (which resolves when the runtime is built).
    ///
    /// ```
    /// use blitz_io::runtime::{Backend, Builder};
    ///
    /// let rt = Builder::new_current_thread().backend(Backend::Mio).build().unwrap();
    /// assert_eq!(rt.handle().backend(), Backend::Mio);
    /// assert_eq!(rt.handle().backend_fallback_reason(), None);
    /// ```
    pub fn backend(&self) -> Backend {
        self.inner.io().map_or(Backend::Mio, |io| io.backend())
    }

    /// Why `Backend::Auto` did not get io_uring (the kernel, seccomp, a sysctl, a resource
    /// limit), or `None` when it did or a backend was forced.
    pub fn backend_fallback_reason(&self) -> Option<&str> {
        self.inner.io().and_then(|io| io.fallback_reason())
    }

    fn runtime_flavor_inner(&self) -> RuntimeFlavor {
        match self.inner {
            scheduler::Handle::MultiThread(_) => RuntimeFlavor::MultiThread,
            scheduler::Handle::CurrentThread(_) => RuntimeFlavor::CurrentThread,
        }
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("flavor", &self.runtime_flavor())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}
