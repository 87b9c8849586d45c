//! `LocalSet`: a group of tasks that may be `!Send`, all run on the thread that owns the set.
//!
//! A local task is an ordinary task allocation (same state word, harness, `JoinHandle`) whose
//! header names `Scheduler::Local`: a wake pushes it on the set's queue (`shared.rs`) and wakes
//! whoever polls the set, and completion unlinks it from the set's own owned-task list. The
//! set is polled as a future, [`LocalSet::run_until`] or the set itself, by some outer task or
//! `block_on`; each poll runs up to [`TASKS_PER_TICK`] queued tasks, each under a fresh coop
//! budget, then wakes itself and yields if work is left, so the outer runtime keeps its turn.
//!
//! # Thread confinement
//! The futures and outputs of local tasks need not be `Send`, yet their allocation is shared
//! with wakers and abort handles that travel anywhere. What keeps that sound is one invariant:
//! **a local task's future is polled and dropped only on the set's thread**, and so is an
//! output that is not `Send`. Every path that touches a task's stage:
//! - *poll* (which also drops a finished or cancelled future, and an output nobody waits for):
//!   only in the set's own poll, which needs `&LocalSet`; `LocalSet` is `!Send` and `!Sync`,
//!   so that is always the thread that created it.
//! - *abort* (`JoinHandle::abort`, `AbortHandle::abort`, from any thread): only marks the task
//!   cancelled and queues it; the cancellation, which drops the future, happens in the set's
//!   poll. An abort that finds the set closed drops only a reference (below).
//! - *drop of the set*: `Drop for LocalSet`, on its thread, closes the queue, shuts every task
//!   of its owned list down (dropping the futures there and then) and drops the queued entries.
//!   A task can never be running at that moment: polls happen only while the set is borrowed.
//! - *the last reference* (a waker, queue entry or abort handle dropped on another thread):
//!   the owned list holds a reference until the task completes, and completing drops the
//!   future first, so a foreign thread can only free a stage that is already empty
//!   (`Consumed`) or holds a result waiting for the `JoinHandle` (which holds a reference
//!   itself, so it is not the last).
//! - *the output*: taken or dropped by the `JoinHandle`, which is `Send` only when the output
//!   is, or dropped by the completer (the set's poll) when the handle is gone.
//! - *spawning after close* (a future's drop that calls `spawn_local`): the set's list refuses
//!   the task and it is shut down on the spot, still on the set's thread.

mod shared;

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

pub(crate) use shared::Shared;

use crate::runtime::context;
use crate::task::{self, JoinHandle, Ran};
use crate::Runtime;

/// Tasks run per poll of the set before it yields to its poller (the workers' batch size).
const TASKS_PER_TICK: usize = 61;

thread_local! {
    /// The set being polled (or entered) on this thread, for [`spawn_local`].
    static CURRENT: Cell<Option<Arc<Shared>>> = const { Cell::new(None) };
}

const NO_LOCAL_SET_MESSAGE: &str = "`task::spawn_local` called outside a `LocalSet`: run the \
     code inside `LocalSet::run_until` or `LocalSet::block_on`, or spawn with \
     `LocalSet::spawn_local`";

/// A set of tasks that run on the current thread, so they may hold `!Send` values such as
/// `Rc` or `RefCell` across `.await`.
///
/// Tasks spawned with [`spawn_local`](Self::spawn_local) (or the free [`spawn_local`] from
/// inside the set) only make progress while the set is polled: through
/// [`run_until`](Self::run_until), [`block_on`](Self::block_on), or by awaiting the set
/// itself, which completes once every task on it has finished. Their wakers may be sent
/// anywhere. Dropping the set cancels the tasks still on it: their futures are dropped on
/// this thread and their handles report a cancelled [`JoinError`](super::JoinError).
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use blitz_io::task::{self, LocalSet};
///
/// let rt = blitz_io::runtime::Builder::new_current_thread().build().unwrap();
/// let local = LocalSet::new();
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let total = local.block_on(&rt, {
///     let log = log.clone();
///     async move {
///         let pushed = task::spawn_local({
///             let log = log.clone();
///             async move {
///                 task::yield_now().await; // the Rc is held across an await
///                 log.borrow_mut().push("from a local task");
///                 log.borrow().len()
///             }
///         });
///         pushed.await.unwrap()
///     }
/// });
/// assert_eq!(total, 1);
/// assert_eq!(*log.borrow(), ["from a local task"]);
/// ```
pub struct LocalSet {
    shared: Arc<Shared>,
    /// `!Send` and `!Sync`: the set's tasks run, and are dropped, only where it lives.
    _not_send: PhantomData<*const ()>,
}

impl LocalSet {
    /// An empty set.
    pub fn new() -> LocalSet {
        LocalSet {
            shared: Shared::new(),
            _not_send: PhantomData,
        }
    }

    /// Spawns a `!Send` future on this set and returns its [`JoinHandle`]. The task runs
    /// only while the set is polled.
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let location = Location::caller();
        // SAFETY: `self` is `!Send`, so this is the set's thread, and the set polls and drops
        // its tasks only there (module docs).
        unsafe { self.shared.spawn(future, location) }
    }

    /// Polls `future` to completion while running this set's tasks whenever it waits; returns
    /// its output. Tasks still on the set afterwards stay there for the next poll of the set.
    pub fn run_until<F: Future>(&self, future: F) -> RunUntil<'_, F> {
        RunUntil { set: self, future }
    }

    /// Runs `future` on `rt`'s thread-blocking entry point, with this set's tasks alongside:
    /// `rt.block_on(self.run_until(future))`.
    ///
    /// # Panics
    /// As [`Runtime::block_on`] (inside another runtime's context, for instance).
    #[track_caller]
    pub fn block_on<F: Future>(&self, rt: &Runtime, future: F) -> F::Output {
        rt.block_on(self.run_until(future))
    }

    /// Makes this set the target of [`spawn_local`] on this thread until the guard is dropped
    /// (the tasks still run only when the set is polled).
    pub fn enter(&self) -> LocalEnterGuard {
        LocalEnterGuard {
            _enter: Enter::new(&self.shared),
        }
    }

    /// Runs one batch of queued tasks; true when work is left for another poll.
    fn tick(&self) -> bool {
        // A local task's poll clears the thread's yield request, which may be the outer
        // task's (a set polled inside another set's task).
        let outer_yield = context::take_yield_request();
        let mut deferred = Vec::new();
        for _ in 0..TASKS_PER_TICK {
            let Some(task) = self.shared.pop() else { break };
            match task::budget(|| task.run()) {
                Ran::Done => {}
                Ran::Requeue(task) => self.shared.requeue([task]),
                // Not again in this batch: it waits for the poller's next turn.
                Ran::Defer(task) => deferred.push(task),
            }
        }
        let more = !deferred.is_empty() || self.shared.has_queued();
        if !deferred.is_empty() {
            self.shared.requeue(deferred);
        }
        context::restore_yield_request(outer_yield);
        more
    }
}

impl Default for LocalSet {
    fn default() -> LocalSet {
        LocalSet::new()
    }
}

impl fmt::Debug for LocalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSet")
            .field("tasks", &self.shared.owned.len())
            .finish()
    }
}

/// Completes once every task spawned on the set has finished, running them meanwhile.
impl Future for LocalSet {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let _enter = Enter::new(&self.shared);
        self.shared.register(cx.waker());
        if self.tick() {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        // Tasks complete only in `tick`, on this thread; an idle one woken from elsewhere
        // wakes the waker registered above.
        if self.shared.owned.len() == 0 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for LocalSet {
    fn drop(&mut self) {
        // A dropped future that spawns locally reaches this (closed) set, not an outer one.
        let _enter = Enter::new(&self.shared);
        self.shared.close();
    }
}

/// The future of [`LocalSet::run_until`].
#[must_use = "futures do nothing unless polled"]
pub struct RunUntil<'a, F> {
    set: &'a LocalSet,
    future: F,
}

impl<F: Future> Future for RunUntil<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: structural pinning of `future`; `RunUntil` never moves it, and `set` is a
        // plain reference that is only read.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as above.
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        let set = this.set;
        let _enter = Enter::new(&set.shared);
        set.shared.register(cx.waker());
        if let Poll::Ready(output) = future.poll(cx) {
            return Poll::Ready(output);
        }
        if set.tick() {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

impl<F> fmt::Debug for RunUntil<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunUntil").finish_non_exhaustive()
    }
}

/// Returned by [`LocalSet::enter`]: [`spawn_local`] targets that set until it is dropped.
#[must_use = "the set is entered only while the guard lives"]
pub struct LocalEnterGuard {
    _enter: Enter,
}

impl fmt::Debug for LocalEnterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalEnterGuard").finish_non_exhaustive()
    }
}

/// Sets [`CURRENT`] and puts the previous value back on drop, unwinding included.
struct Enter {
    previous: Option<Arc<Shared>>,
    _not_send: PhantomData<*const ()>,
}

impl Enter {
    fn new(shared: &Arc<Shared>) -> Enter {
        let previous = CURRENT
            .try_with(|current| current.replace(Some(shared.clone())))
            .ok()
            .flatten();
        Enter {
            previous,
            _not_send: PhantomData,
        }
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let replaced = CURRENT.try_with(|current| current.replace(previous));
        // Dropped outside the thread-local's borrow.
        drop(replaced);
    }
}

/// Spawns a `!Send` future on the [`LocalSet`] running (or entered) on this thread and
/// returns its [`JoinHandle`].
///
/// ```
/// use std::rc::Rc;
/// use blitz_io::task::{self, LocalSet};
///
/// let rt = blitz_io::runtime::Builder::new_current_thread().build().unwrap();
/// let answer = LocalSet::new().block_on(&rt, async {
///     let shared = Rc::new(21);
///     task::spawn_local(async move { *shared * 2 }).await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
///
/// # Panics
/// When no `LocalSet` is running on this thread: call it from inside
/// [`LocalSet::run_until`] / [`LocalSet::block_on`] (or a task of the set), after
/// [`LocalSet::enter`], or use [`LocalSet::spawn_local`].
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let location = Location::caller();
    let current = CURRENT
        .try_with(|current| {
            let shared = current.take();
            current.set(shared.clone());
            shared
        })
        .ok()
        .flatten();
    let Some(shared) = current else {
        panic!("{NO_LOCAL_SET_MESSAGE}");
    };
    // SAFETY: `CURRENT` holds a set only while that set is polled, entered or dropped on this
    // thread, which is therefore its thread (module docs).
    unsafe { shared.spawn(future, location) }
}
