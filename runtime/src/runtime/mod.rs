//! The runtime: scheduler, parking, blocking pool, and the entry points that start them.
//!
//! | seed | here |
//! |---|---|
//! | `io.run(app)` | [`run`] |
//! | `Runtime.init(alloc, .{...})` | [`Runtime::new`], [`Runtime::with_config`], [`Builder`] |
//! | `rt.run(app)` | [`Runtime::block_on`] |
//! | Config `num_workers`, `max_blocking_threads`, `blocking_keep_alive_ns`, `backend` | [`Config`] |
//!
//! Two scheduler flavours share one API: the multi-thread, work-stealing scheduler (the
//! default) and the current-thread scheduler ([`Builder::new_current_thread`]). A
//! [`Runtime`] owns its threads; a [`Handle`] refers to it from anywhere.

mod blocking;
mod build_error;
mod builder;
pub(crate) mod context;
mod handle;
mod metrics;
pub(crate) mod park;
mod park_hooks;
pub(crate) mod scheduler;

#[cfg(all(test, not(blitz_loom)))]
mod shutdown_tests;
#[cfg(all(test, not(blitz_loom)))]
mod tests;

use std::fmt;
use std::future::IntoFuture;
use std::panic::Location;
use std::time::Duration;

pub use build_error::BuildError;
pub use builder::{Backend, Builder, Config, RuntimeFlavor};
pub use handle::{EnterGuard, Handle, TryCurrentError};
pub use metrics::RuntimeMetrics;

use crate::task::JoinHandle;
use blocking::BlockingPool;
use builder::{SchedulerConfig, ThreadOptions};
use scheduler::current_thread::CurrentThread;
use scheduler::multi_thread::MultiThread;

/// Runs `future` to completion on a new multi-thread runtime with the default configuration,
/// then shuts the runtime down: the seed's zero-config `io.run(app)`.
///
/// ```
/// let sum = blitz_io::run(async {
///     let a = blitz_io::task::spawn(async { 20 });
///     let b = blitz_io::task::spawn(async { 22 });
///     a.await.unwrap() + b.await.unwrap()
/// });
/// assert_eq!(sum, 42);
/// ```
///
/// # Panics
/// When the runtime cannot start (the OS refuses to create its threads), or when called on a
/// thread that already drives a runtime.
#[track_caller]
pub fn run<F: IntoFuture>(future: F) -> F::Output {
    let runtime = match Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => panic!("blitz_io::run could not start a runtime: {error}"),
    };
    runtime.block_on(future)
}

/// A blitz-io runtime: its scheduler threads, its blocking pool and (later) its drivers.
///
/// Dropping the runtime shuts it down: every task is cancelled (dropped without running
/// again; `JoinHandle`s report cancellation), queued blocking jobs are cancelled (except the
/// writes of [`fs::File`](crate::fs::File) already reported done, which still run), and the
/// drop waits for running blocking jobs to finish. Use
/// [`shutdown_timeout`](Self::shutdown_timeout) or
/// [`shutdown_background`](Self::shutdown_background) to bound that wait.
pub struct Runtime {
    flavor: Flavor,
    handle: Handle,
    blocking: BlockingPool,
    /// Set by the first shutdown, so `Drop` after `shutdown_timeout`/`shutdown_background`
    /// neither waits again nor complains about the context.
    is_shut_down: bool,
}

enum Flavor {
    MultiThread(MultiThread),
    CurrentThread(CurrentThread),
}

impl Runtime {
    /// A multi-thread runtime with the default configuration.
    pub fn new() -> Result<Runtime, BuildError> {
        Builder::new_multi_thread().build()
    }

    /// A multi-thread runtime from a plain [`Config`].
    pub fn with_config(config: Config) -> Result<Runtime, BuildError> {
        Builder::new_multi_thread().config(config).build()
    }

    /// A builder for a multi-thread runtime (see [`Builder`] for the current-thread one).
    pub fn builder() -> Builder {
        Builder::new_multi_thread()
    }

    pub(crate) fn from_parts(
        flavor: RuntimeFlavor,
        num_workers: usize,
        config: &Config,
        scheduler_config: SchedulerConfig,
        threads: ThreadOptions,
    ) -> std::io::Result<Runtime> {
        let blocking = BlockingPool::new(
            config.max_blocking_threads,
            config.blocking_keep_alive,
            threads.clone(),
        );
        let spawner = blocking.spawner().clone();
        let (flavor, inner) = match flavor {
            RuntimeFlavor::MultiThread => {
                let scheduler = MultiThread::new(num_workers, scheduler_config, &threads, spawner)?;
                let inner = scheduler::Handle::MultiThread(scheduler.handle().clone());
                (Flavor::MultiThread(scheduler), inner)
            }
            RuntimeFlavor::CurrentThread => {
                let scheduler = CurrentThread::new(scheduler_config, spawner);
                let inner = scheduler::Handle::CurrentThread(scheduler.handle().clone());
                (Flavor::CurrentThread(scheduler), inner)
            }
        };
        Ok(Runtime {
            flavor,
            handle: Handle { inner },
            blocking,
            is_shut_down: false,
        })
    }

    /// Runs `future` to completion on the calling thread, with this runtime entered, and
    /// returns its output.
    ///
    /// On the multi-thread runtime the future is polled on the calling thread while the workers
    /// run spawned tasks; on the current-thread runtime the calling thread runs the tasks too.
    ///
    /// # Panics
    /// When the calling thread already drives a runtime (it is a worker, or already inside
    /// `block_on`): `.await` the future or `spawn` it instead.
    #[track_caller]
    pub fn block_on<F: IntoFuture>(&self, future: F) -> F::Output {
        let future = future.into_future();
        let _entered = context::enter_block_on(&self.handle.inner);
        match &self.flavor {
            Flavor::MultiThread(_) => park::block_on_thread(future),
            Flavor::CurrentThread(scheduler) => scheduler.block_on(future),
        }
    }

    /// Spawns a task onto this runtime (see [`task::spawn`](crate::task::spawn)).
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: IntoFuture,
        F::IntoFuture: Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle
            .inner
            .spawn(future.into_future(), Location::caller())
    }

    /// Runs a closure on this runtime's blocking pool.
    #[track_caller]
    pub fn spawn_blocking<F, T>(&self, function: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.handle
            .inner
            .spawn_blocking(function, Location::caller())
    }

    /// A cloneable handle to this runtime.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Enters the runtime on this thread until the guard is dropped, so timers, sockets and
    /// `task::spawn` can be used outside a task.
    pub fn enter(&self) -> EnterGuard<'_> {
        self.handle.enter()
    }

    /// The runtime's counters.
    pub fn metrics(&self) -> RuntimeMetrics {
        self.handle.metrics()
    }

    /// Shuts down, waiting at most `timeout` for worker threads and running blocking jobs;
    /// whatever still runs after that is left to finish on its own, detached.
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        self.shutdown(Some(timeout));
    }

    /// Shuts down without waiting: tasks are cancelled, running blocking jobs are left to
    /// finish on their own. Use this to drop a runtime from inside an async context.
    pub fn shutdown_background(mut self) {
        self.shutdown(Some(Duration::ZERO));
    }

    fn shutdown(&mut self, timeout: Option<Duration>) {
        if std::mem::replace(&mut self.is_shut_down, true) {
            return;
        }
        let start = std::time::Instant::now();
        match &mut self.flavor {
            Flavor::MultiThread(scheduler) => {
                scheduler.shutdown(timeout);
            }
            Flavor::CurrentThread(scheduler) => scheduler.shutdown(),
        }
        let remaining = timeout.map(|t| t.saturating_sub(start.elapsed()));
        self.blocking.shutdown(remaining);
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if self.is_shut_down {
            return;
        }
        if context::is_driving() {
            // Waiting here could deadlock (a worker joining itself) or stall every task on
            // this thread; stop without waiting, then report the mistake. Not while this
            // thread unwinds (a task panicked holding the last reference): a second panic
            // would abort the process, and waiting would still join this very worker.
            self.shutdown(Some(Duration::ZERO));
            if std::thread::panicking() {
                return;
            }
            panic!(
                "a blitz-io runtime was dropped inside an asynchronous context, where waiting \
                 for its threads would block; call `Runtime::shutdown_background()` there \
                 instead, or drop the runtime outside async code"
            );
        }
        self.shutdown(None);
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("flavor", &self.handle.runtime_flavor())
            .finish_non_exhaustive()
    }
}
