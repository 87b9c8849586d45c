//! Per-thread runtime context: which runtime this thread is in, whether it drives one, the
//! running task's budget, and the scheduler-local state reached by wakes and spawns.
//!
//! Two `thread_local!`s: `CONTEXT` holds the entered runtime's handle (it needs a destructor),
//! and `HOT` holds the plain `Copy` cells read on every poll (budget, current task, yield
//! request, scheduler pointer, driving flag). `HOT` has a `const` initialiser and no
//! destructor, so an access is a bare thread-local load with no "already destroyed?" check;
//! the coop budget alone is read and written several times per task poll. The scheduler
//! pointer is set for the extent of a worker's (or `block_on`'s) run loop; the pointee lives on
//! that loop's stack, which outlives every use through the pointer.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::ptr::NonNull;

use super::scheduler;
use crate::task::raw::Header;
use crate::task::Budget;

pub(crate) const NO_RUNTIME_MESSAGE: &str = "there is no blitz-io runtime on this thread: \
     call this from inside a task or `block_on`, enter a runtime first with \
     `Runtime::enter()` / `Handle::enter()`, or spawn through a `runtime::Handle`";

struct Context {
    /// The runtime entered on this thread (by `enter`, `block_on` or a worker).
    handle: RefCell<Option<scheduler::Handle>>,
    /// How many `SetCurrentGuard`s are alive on this thread: each guard records the depth it
    /// made, so one dropped out of order is caught instead of restoring the wrong runtime.
    depth: Cell<usize>,
}

/// The per-poll state: `Copy` cells only, so the thread-local needs no destructor.
struct Hot {
    /// The scheduler loop running on this thread, if any.
    scheduler: Cell<Option<NonNull<scheduler::Context>>>,
    /// True while this thread drives a runtime: blocking here would stall its tasks.
    driving: Cell<bool>,
    budget: Cell<Budget>,
    current_task: Cell<Option<NonNull<Header>>>,
    /// Set by `yield_now` during a task poll: the task must wait for the scheduler's next
    /// driver poll before it runs again.
    yield_requested: Cell<YieldRequest>,
}

/// What `yield_now` asked of the runner of the current task poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum YieldRequest {
    /// Nothing.
    None,
    /// The task woke itself through a waker and asks to be deferred.
    Woken,
    /// The task yielded with its own waker in hand and skipped the wake: the runner marks it
    /// notified while leaving `RUNNING`, which saves the wake's atomic operation. Once made in
    /// a poll this request stays, whatever else yields later in that poll.
    Own,
}

thread_local! {
    static CONTEXT: Context = const {
        Context {
            handle: RefCell::new(None),
            depth: Cell::new(0),
        }
    };

    static HOT: Hot = const {
        Hot {
            scheduler: Cell::new(None),
            driving: Cell::new(false),
            budget: Cell::new(Budget::unconstrained()),
            current_task: Cell::new(None),
            yield_requested: Cell::new(YieldRequest::None),
        }
    };
}

/// A clone of the current runtime's handle, if any (one reference-count increment).
pub(crate) fn current_handle() -> Option<scheduler::Handle> {
    CONTEXT
        .try_with(|cx| cx.handle.borrow().clone())
        .ok()
        .flatten()
}

/// `f` applied to a borrow of the current runtime's handle, without cloning it; `None` outside
/// a runtime (or once the thread-local is gone). `f` must not enter or leave a runtime (it
/// runs with the context borrowed).
#[inline]
pub(crate) fn map_current<R>(f: impl FnOnce(&scheduler::Handle) -> R) -> Option<R> {
    CONTEXT
        .try_with(|cx| cx.handle.borrow().as_ref().map(f))
        .ok()
        .flatten()
}

/// Calls `f` with the current runtime's handle, if any.
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&scheduler::Handle>) -> R) -> R {
    match CONTEXT.try_with(|cx| {
        let handle = cx.handle.borrow();
        // Clone out so `f` may re-enter the context (spawning from a spawn, say).
        handle.clone()
    }) {
        Ok(handle) => f(handle.as_ref()),
        Err(_) => f(None),
    }
}

/// `!Send` (the guard restores *this* thread's context) but `Sync` (a shared reference to it
/// can do nothing), like a `MutexGuard`.
type NotSendMarker = PhantomData<std::sync::MutexGuard<'static, ()>>;

/// Restores the previously entered runtime when dropped.
pub(crate) struct SetCurrentGuard {
    previous: Option<scheduler::Handle>,
    /// The context's depth while this guard is the innermost one.
    depth: usize,
    _not_send: NotSendMarker,
}

pub(crate) fn set_current(handle: &scheduler::Handle) -> SetCurrentGuard {
    let (previous, depth) = CONTEXT.with(|cx| {
        let depth = cx.depth.get() + 1;
        cx.depth.set(depth);
        (cx.handle.replace(Some(handle.clone())), depth)
    });
    SetCurrentGuard {
        previous,
        depth,
        _not_send: PhantomData,
    }
}

impl Drop for SetCurrentGuard {
    /// # Panics
    /// When an inner guard is still alive: restoring this guard's previous runtime would
    /// leave the thread in the wrong one (or in one after every guard is gone). As on Tokio,
    /// the context is then left to the inner guards.
    fn drop(&mut self) {
        let previous = self.previous.take();
        let in_order = CONTEXT
            .try_with(|cx| {
                if cx.depth.get() != self.depth {
                    return false;
                }
                cx.depth.set(self.depth - 1);
                *cx.handle.borrow_mut() = previous;
                true
            })
            .unwrap_or(true);
        if !in_order && !std::thread::panicking() {
            panic!(
                "`EnterGuard`s dropped out of order: the guards returned by \
                 `Runtime::enter()` / `Handle::enter()` must be dropped in the reverse order \
                 they were created"
            );
        }
    }
}

/// Marks this thread as driving a runtime for the guard's lifetime.
pub(crate) struct DrivingGuard {
    _not_send: PhantomData<*const ()>,
}

/// # Panics
/// When this thread already drives a runtime: `block_on` inside a runtime would deadlock it.
#[track_caller]
pub(crate) fn enter_driving() -> DrivingGuard {
    let already = HOT.with(|cx| cx.driving.replace(true));
    if already {
        panic!(
            "cannot start a blitz-io runtime from within a runtime: this thread is already \
             driving one (it is a worker, or inside `block_on`). Use `.await` on the future, \
             or `spawn` it, instead of calling `block_on` here"
        );
    }
    DrivingGuard {
        _not_send: PhantomData,
    }
}

impl Drop for DrivingGuard {
    fn drop(&mut self) {
        let _ = HOT.try_with(|cx| cx.driving.set(false));
    }
}

/// What `Runtime::block_on` and `Handle::block_on` hold while they run: the thread marked as
/// driving, and the runtime entered. Fields drop in order: the runtime is left first.
pub(crate) struct BlockOnGuard {
    _current: SetCurrentGuard,
    _driving: DrivingGuard,
}

/// Enters `handle`'s runtime for a `block_on` on this thread.
///
/// # Panics
/// When this thread already drives a runtime (see [`enter_driving`]); nothing is entered then.
#[track_caller]
pub(crate) fn enter_block_on(handle: &scheduler::Handle) -> BlockOnGuard {
    let driving = enter_driving();
    BlockOnGuard {
        _current: set_current(handle),
        _driving: driving,
    }
}

pub(crate) fn is_driving() -> bool {
    HOT.try_with(|cx| cx.driving.get()).unwrap_or(false)
}

/// # Panics
/// When this thread drives a runtime, with a message naming `what` and the `fix`.
#[track_caller]
pub(crate) fn assert_may_block(what: &str, fix: &str) {
    if is_driving() {
        panic!(
            "`{what}` would block a thread that drives a blitz-io runtime (a worker, or inside \
             `block_on`), stalling every task on it; {fix}"
        );
    }
}

/// Lets this thread block until dropped (`block_in_place`): it stops counting as driving a
/// runtime, so `assert_may_block` and `block_on` accept it; the flag is restored on drop.
pub(crate) struct BlockingAllowed {
    was_driving: bool,
    _not_send: PhantomData<*const ()>,
}

pub(crate) fn allow_blocking() -> BlockingAllowed {
    let was_driving = HOT
        .try_with(|cx| cx.driving.replace(false))
        .unwrap_or(false);
    BlockingAllowed {
        was_driving,
        _not_send: PhantomData,
    }
}

impl Drop for BlockingAllowed {
    fn drop(&mut self) {
        let _ = HOT.try_with(|cx| cx.driving.set(self.was_driving));
    }
}

/// Uninstalls the scheduler loop from this thread until the enclosing [`set_scheduler`]
/// returns: a worker that handed its core to another thread is no longer that worker, so
/// wakes, spawns and metrics made here must not reach its queue or its counters.
pub(crate) fn leave_scheduler() {
    let _ = HOT.try_with(|cx| cx.scheduler.set(None));
}

/// Runs `f` with `scheduler` installed as this thread's scheduler loop.
pub(crate) fn set_scheduler<R>(scheduler: &scheduler::Context, f: impl FnOnce() -> R) -> R {
    struct Reset(Option<NonNull<scheduler::Context>>);
    impl Drop for Reset {
        fn drop(&mut self) {
            let _ = HOT.try_with(|cx| cx.scheduler.set(self.0));
        }
    }
    let previous = HOT.with(|cx| cx.scheduler.replace(Some(NonNull::from(scheduler))));
    let _reset = Reset(previous);
    f()
}

/// Calls `f` with the scheduler loop running on this thread, if any.
#[inline]
pub(crate) fn with_scheduler<R>(f: impl FnOnce(Option<&scheduler::Context>) -> R) -> R {
    let ptr = HOT.try_with(|cx| cx.scheduler.get()).ok().flatten();
    // SAFETY: the pointer is installed by `set_scheduler` for the extent of a call that borrows
    // the pointee, and reset before that borrow ends; it is only read on this thread.
    f(ptr.map(|p| unsafe { p.as_ref() }))
}

pub(crate) fn budget() -> Budget {
    HOT.try_with(|cx| cx.budget.get())
        .unwrap_or(Budget::unconstrained())
}

pub(crate) fn set_budget(budget: Budget) {
    let _ = HOT.try_with(|cx| cx.budget.set(budget));
}

pub(crate) fn replace_budget(budget: Budget) -> Budget {
    HOT.try_with(|cx| cx.budget.replace(budget))
        .unwrap_or(Budget::unconstrained())
}

/// Counts a yield forced by an exhausted budget on the worker running here.
pub(crate) fn note_forced_yield() {
    with_scheduler(|cx| {
        if let Some(cx) = cx {
            cx.note_forced_yield();
        }
    });
}

/// Marks the current task poll as a yield whose wake went through a waker (see `yield_now`).
pub(crate) fn request_yield() {
    let _ = HOT.try_with(|cx| {
        if cx.yield_requested.get() == YieldRequest::None {
            cx.yield_requested.set(YieldRequest::Woken);
        }
    });
}

/// If `waker` is the waker of the task being polled on this thread, records a yield that the
/// runner completes by marking the task notified itself, and returns true; the caller then
/// must not wake. Otherwise (another executor, `block_on`, a combinator's own waker) returns
/// false and the caller wakes as usual.
pub(crate) fn request_own_yield(waker: &std::task::Waker) -> bool {
    HOT.try_with(|cx| {
        let Some(task) = cx.current_task.get() else {
            return false;
        };
        if !crate::task::waker::is_waker_of(waker, task) {
            return false;
        }
        cx.yield_requested.set(YieldRequest::Own);
        true
    })
    .unwrap_or(false)
}

/// What the task poll that just ended asked for; clears the request.
pub(crate) fn take_yield_request() -> YieldRequest {
    HOT.try_with(|cx| cx.yield_requested.replace(YieldRequest::None))
        .unwrap_or(YieldRequest::None)
}

/// Puts back a yield request taken with [`take_yield_request`]: a `LocalSet` polls its tasks
/// inside the poll of an outer task and must not lose that task's request.
pub(crate) fn restore_yield_request(request: YieldRequest) {
    let _ = HOT.try_with(|cx| cx.yield_requested.set(request));
}

/// Marks the task being polled on this thread.
pub(crate) struct CurrentTask {
    previous: Option<NonNull<Header>>,
}

impl CurrentTask {
    /// Also clears a yield request left by code that ran outside a task poll.
    pub(crate) fn enter(header: &Header) -> CurrentTask {
        let previous = HOT
            .try_with(|cx| {
                cx.yield_requested.set(YieldRequest::None);
                cx.current_task.replace(Some(NonNull::from(header)))
            })
            .ok()
            .flatten();
        CurrentTask { previous }
    }
}

impl Drop for CurrentTask {
    fn drop(&mut self) {
        let _ = HOT.try_with(|cx| cx.current_task.set(self.previous));
    }
}

/// Runs `f` on the header of the task being polled on this thread, if any.
pub(crate) fn with_current_task<R>(f: impl FnOnce(&Header) -> R) -> Option<R> {
    let ptr = HOT.try_with(|cx| cx.current_task.get()).ok().flatten()?;
    // SAFETY: the pointer is set only while that task is being polled on this thread, and the
    // poll holds a reference to it.
    Some(f(unsafe { ptr.as_ref() }))
}

/// The id of the task being polled on this thread.
pub(crate) fn current_task_id() -> Option<crate::task::Id> {
    let ptr = HOT.try_with(|cx| cx.current_task.get()).ok().flatten()?;
    // SAFETY: the pointer is set only while that task is being polled on this thread, and the
    // poll holds a reference to it.
    Some(unsafe { ptr.as_ref() }.id)
}
