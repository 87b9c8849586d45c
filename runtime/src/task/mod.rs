//! Tasks: futures scheduled on the runtime, the unit of concurrency.
//!
//! | seed | here |
//! |---|---|
//! | `task.spawn(fn, args)` | [`spawn_fn`] (a plain closure run as a single-poll task), or `#[blitz_io::task]` on the function |
//! | `task.spawnFuture(f)` | [`spawn`] (any `Future + Send + 'static`, `async` blocks included) |
//! | `task.spawnBlocking(fn, args)` | [`spawn_blocking`] (runs on the blocking pool); [`block_in_place`] blocks in the task itself, its worker's queue handed to a new thread |
//! | `JoinHandle.blockingJoin()` | [`JoinHandle::blocking_join`], or `.await` the handle |
//! | — (Tokio users expect it) | [`LocalSet`] and [`spawn_local`] for `!Send` futures, run on the set's thread |
//! | `joinAll`, `race`, `select` | [`join_all`], [`race`] (first wins, the rest aborted), [`select`] (first wins, the rest handed back); [`JoinAll`] for tuples; [`JoinSet`] |
//!
//! A task is one allocation: a header (state word, vtable pointer, id, owned-list link, join
//! waker, spawn location) followed by the future and later its output. Its state word (see
//! `state.rs`) packs the lifecycle flags with the reference count held by the owned-task list,
//! the `JoinHandle`, run-queue entries and wakers. A panic while polling or dropping a task's
//! future is caught and handed to the `JoinHandle` as a [`JoinError`]; the worker carries on.
//!
//! ```
//! use blitz_io::task;
//!
//! blitz_io::run(async {
//!     let squares: Vec<_> = (0..4u64).map(|i| task::spawn(async move { i * i })).collect();
//!     let mut total = 0;
//!     for handle in squares {
//!         total += handle.await.unwrap();
//!     }
//!     let hashed = task::spawn_blocking(move || total * 10).await.unwrap();
//!     assert_eq!(hashed, 140);
//! });
//! ```

//! `#[blitz_io::task]` (feature `macros`) makes a plain function return a nameable future that
//! holds its arguments and runs its body on the first poll; `#[blitz_io::task(blocking)]` runs
//! the body on the blocking pool instead. The attribute's documentation shows the expansion.
//!
//! ```
//! # #[cfg(feature = "macros")] {
//! #[blitz_io::task]
//! fn add(a: u32, b: u32) -> u32 {
//!     a + b
//! }
//!
//! #[blitz_io::task(blocking)]
//! fn checksum(data: Vec<u8>) -> u32 {
//!     data.iter().map(|&b| u32::from(b)).sum()
//! }
//!
//! blitz_io::run(async {
//!     let future: Add = add(40, 2); // the body has not run yet
//!     assert_eq!(blitz_io::task::spawn(future).await.unwrap(), 42);
//!     assert_eq!(checksum(vec![1, 2, 3]).await, 6);
//! });
//! # }
//! ```

mod abort;
mod block_in_place;
mod combine;
pub(crate) mod coop;
pub(crate) mod dump;
mod error;
mod harness;
mod id;
mod join;
mod join_set;
pub(crate) mod local;
pub(crate) mod owned;
pub(crate) mod raw;
pub(crate) mod state;
mod task_local;
pub(crate) mod waker;
mod yield_now;

#[cfg(all(test, blitz_loom))]
pub(crate) mod loom_tests;

use std::future::{Future, IntoFuture};
use std::panic::Location;

/// The seed's `task.sleep(d)`: the same function as [`time::sleep`](crate::time::sleep).
pub use crate::time::sleep;
pub use abort::AbortHandle;
pub use block_in_place::block_in_place;
pub use combine::{join_all, race, select, JoinAll, JoinTuple};
pub(crate) use coop::{budget, has_budget_remaining, poll_proceed, Budget};
pub use coop::{consume_budget, unconstrained, Unconstrained};
pub use dump::{Dump, TaskDump, TaskState};
pub use error::JoinError;
pub use id::{id, try_id, Id};
pub use join::JoinHandle;
pub use join_set::JoinSet;
pub use local::{spawn_local, LocalEnterGuard, LocalSet, RunUntil};
pub(crate) use raw::{Notified, Ran, RawTask, Scheduler, Task};
pub use task_local::{AccessError, LocalKey, TaskLocalFuture};
pub use yield_now::{yield_now, YieldNow};

use crate::runtime::context;

/// Futures larger than this are boxed before they are spawned, so the task allocation (and any
/// copy made while spawning) stays small. Tokio uses the same threshold in release builds.
pub(crate) const BOX_FUTURE_THRESHOLD: usize = if cfg!(debug_assertions) {
    2048
} else {
    16 * 1024
};

/// Spawns a future as a new task on the current runtime and returns its [`JoinHandle`].
///
/// The task starts running in the background right away, on any worker; the caller is never
/// made to poll it inline. Dropping the handle detaches the task.
///
/// # Panics
/// When called outside a runtime. Call it from a task, from inside `block_on`, or after
/// [`Runtime::enter`](crate::Runtime::enter) / [`Handle::enter`](crate::runtime::Handle::enter),
/// or spawn through a [`Handle`](crate::runtime::Handle).
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: IntoFuture,
    F::IntoFuture: Send + 'static,
    F::Output: Send + 'static,
{
    let location = Location::caller();
    let future = future.into_future();
    context::with_current(|handle| match handle {
        Some(handle) => handle.spawn(future, location),
        None => panic!("{}", context::NO_RUNTIME_MESSAGE),
    })
}

/// Spawns a plain function as a task that runs it once, on its first poll: the seed's
/// `spawn(fn, args)`, with the arguments captured by the closure.
///
/// The closure runs on a runtime worker, so it must not block; use [`spawn_blocking`] for
/// that.
///
/// ```
/// # blitz_io::run(async {
/// fn add(a: u32, b: u32) -> u32 { a + b }
/// let handle = blitz_io::task::spawn_fn(move || add(40, 2));
/// assert_eq!(handle.await.unwrap(), 42);
/// # });
/// ```
///
/// # Panics
/// When called outside a runtime (see [`spawn`]).
#[track_caller]
pub fn spawn_fn<F, T>(function: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let location = Location::caller();
    let future = crate::future::lazy(move |_cx| function());
    context::with_current(|handle| match handle {
        Some(handle) => handle.spawn(future, location),
        None => panic!("{}", context::NO_RUNTIME_MESSAGE),
    })
}

/// Runs a blocking or CPU-heavy closure on the runtime's blocking pool.
///
/// The pool starts threads on demand, up to `max_blocking_threads`, and lets idle ones exit
/// after `blocking_keep_alive`. Jobs beyond the cap wait in a queue. A job that has started
/// cannot be interrupted: [`JoinHandle::abort`] only stops one that has not started, and
/// runtime shutdown cancels queued jobs (their handles report cancellation) while running ones
/// finish on their own.
///
/// # Panics
/// When called outside a runtime (see [`spawn`]), or when the runtime's
/// [`thread_name_fn`](crate::runtime::Builder::thread_name_fn) panics while a pool thread is
/// started for this job (the job is then not spawned).
#[track_caller]
pub fn spawn_blocking<F, T>(function: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let location = Location::caller();
    context::with_current(|handle| match handle {
        Some(handle) => handle.spawn_blocking(function, location),
        None => panic!("{}", context::NO_RUNTIME_MESSAGE),
    })
}

/// As [`spawn_blocking`], but the job runs even if runtime shutdown starts while it waits in
/// the pool's queue (shutdown waits for it like a running job). For work whose loss would be
/// silent, such as a file write that was already reported done.
#[track_caller]
pub(crate) fn spawn_mandatory_blocking<F, T>(function: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let location = Location::caller();
    context::with_current(|handle| match handle {
        Some(handle) => handle
            .blocking_spawner()
            .spawn_mandatory(function, handle, location),
        None => panic!("{}", context::NO_RUNTIME_MESSAGE),
    })
}

/// Allocates a runtime task: the owned-list `Task`, the first queue entry and the handle.
pub(crate) fn new_task<F>(
    future: F,
    scheduler: Scheduler,
    id: Id,
    location: &'static Location<'static>,
) -> (Task, Notified, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // SAFETY: the future and its output are `Send`, so any thread may poll or drop them.
    unsafe { new_task_unsend(future, scheduler, id, location) }
}

/// As [`new_task`], for a future or output that may be `!Send` (a `LocalSet`'s task).
///
/// # Safety
/// The contract of [`RawTask::allocate_unsend`].
pub(crate) unsafe fn new_task_unsend<F>(
    future: F,
    scheduler: Scheduler,
    id: Id,
    location: &'static Location<'static>,
) -> (Task, Notified, JoinHandle<F::Output>)
where
    F: Future + 'static,
    F::Output: 'static,
{
    // SAFETY: forwarded from the caller.
    let raw = unsafe { RawTask::allocate_unsend(future, scheduler, id, 3, location) };
    // SAFETY: `allocate_unsend` counted three references and set NOTIFIED and JOIN_INTEREST;
    // each of the three values below takes one.
    unsafe {
        (
            Task::from_raw(raw),
            Notified::from_raw(raw),
            JoinHandle::new(raw),
        )
    }
}

/// Allocates a blocking-pool job: its queue entry and its handle.
pub(crate) fn new_blocking_task<F>(
    future: F,
    id: Id,
    location: &'static Location<'static>,
) -> (Notified, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let raw = RawTask::allocate(future, Scheduler::Blocking, id, 2, location);
    // SAFETY: `allocate` counted two references and set NOTIFIED and JOIN_INTEREST.
    unsafe { (Notified::from_raw(raw), JoinHandle::new(raw)) }
}
