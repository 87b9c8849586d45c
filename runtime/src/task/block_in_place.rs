//! `block_in_place`: blocking on a worker thread without stalling its queue.
//!
//! The work is in the multi-thread scheduler (`worker/handoff.rs`): the worker's core moves
//! to a new thread before the closure runs. Here only the decision: hand off on a worker,
//! refuse on a current-thread runtime's loop, and run the closure with blocking allowed.

use crate::runtime::{context, scheduler};

/// Runs a blocking closure on the current thread, moving this worker's other tasks to a new
/// thread first so that they keep running meanwhile.
///
/// Called from a task on a multi-thread runtime, the worker's role (its queued tasks, the task
/// in its LIFO slot, its place among the workers) is handed to a freshly started thread before
/// `f` runs; this thread then runs only `f` and the rest of the calling task's current poll,
/// and returns to the runtime no more. Inside `f`, calls that refuse to block a worker, such as
/// [`JoinHandle::blocking_join`](crate::task::JoinHandle::blocking_join) or
/// [`Handle::block_on`](crate::runtime::Handle::block_on), are allowed.
///
/// Compared with [`spawn_blocking`](crate::task::spawn_blocking), `f` may borrow from the
/// caller and need not be `Send` or `'static`, but the calling task itself is held up until
/// `f` returns (with whatever else it was doing, such as the other branches of a `select`).
/// Outside any runtime, inside `f` (nested) and on a thread that is not polling a worker's
/// task, it just runs `f`. Dropping the runtime waits for `f` to return, like a running
/// `spawn_blocking` job; [`Runtime::shutdown_timeout`](crate::Runtime::shutdown_timeout)
/// stops waiting at its deadline.
///
/// ```
/// use blitz_io::task;
///
/// let runtime = blitz_io::runtime::Builder::new_multi_thread()
///     .worker_threads(1)
///     .build()
///     .unwrap();
/// let total = runtime.block_on(async {
///     task::spawn(async {
///         let data = vec![1u64, 2, 3];
///         // Blocks this thread; the lone worker's other tasks run on a new thread meanwhile.
///         let sum: u64 = task::block_in_place(|| data.iter().sum());
///         sum * 2
///     })
///     .await
///     .unwrap()
/// });
/// assert_eq!(total, 12);
/// ```
///
/// # Panics
/// When called on the thread of a current-thread runtime (from its `block_on` or one of its
/// tasks): there is no other thread to take over its tasks. Use
/// [`spawn_blocking`](crate::task::spawn_blocking) there instead. A panic in `f` unwinds to
/// the caller (in a task, it becomes the task's [`JoinError`](crate::task::JoinError)); the
/// handed-off worker runs on regardless.
#[track_caller]
pub fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    let on_current_thread = context::with_scheduler(|cx| match cx {
        Some(scheduler::Context::MultiThread(cx)) => {
            cx.hand_off_core();
            false
        }
        Some(scheduler::Context::CurrentThread(_)) => true,
        None => false,
    });
    if on_current_thread {
        panic!(
            "`block_in_place` cannot be called on a current-thread runtime: no other thread \
             can take over its tasks while this one blocks. Use `task::spawn_blocking` to run \
             the blocking work on the blocking pool, or build a multi-thread runtime"
        );
    }
    let _allowed = context::allow_blocking();
    f()
}
