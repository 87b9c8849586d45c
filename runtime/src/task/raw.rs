//! The task allocation and the reference types that point into it.
//!
//! A task is one heap allocation, a `#[repr(C)]` [`Cell<F>`]: a non-generic [`Header`] first,
//! then the stage (the future, later its output). Everything the scheduler touches lives in the
//! header, so queues, wakers and the owned-task list hold a plain `NonNull<Header>` and reach the
//! generic code through the header's [`Vtable`].
//!
//! Reference types, each holding one count in the state word:
//! - [`Task`]: the owned-task list's reference (it can shut the task down);
//! - [`Notified`]: a reference sitting in a run queue (it can run the task);
//! - `JoinHandle` and `Waker` (in their own modules).

use std::future::Future;
use std::panic::Location;
use std::ptr::NonNull;
use std::task::Waker;

use super::harness;
use super::state::State;
use super::{Id, JoinError};
use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::AtomicPtr;
use crate::runtime::scheduler;
use crate::util::linked_list::{self, Pointers};

/// Where a task's wakes go.
pub(crate) enum Scheduler {
    /// A task of a runtime's scheduler: wakes re-queue it there, completion removes it from
    /// that runtime's owned-task list.
    Runtime(scheduler::Handle),
    /// A blocking-pool job: polled exactly once, never re-queued, in no owned-task list.
    Blocking,
    /// A task of a [`LocalSet`](super::LocalSet): wakes (from any thread) push it on the set's
    /// queue, completion removes it from the set's owned-task list. Its future may be `!Send`:
    /// see `local/mod.rs` for why it is still only ever touched on the set's thread.
    Local(std::sync::Arc<super::local::Shared>),
    /// A bare queue for the loom models of the task lifecycle.
    #[cfg(all(test, blitz_loom))]
    Loom(std::sync::Arc<super::loom_tests::Queue>),
}

impl Scheduler {
    /// A wake: queue the task.
    pub(crate) fn schedule(&self, notified: Notified) {
        match self {
            Scheduler::Runtime(handle) => handle.schedule(notified),
            // A blocking job is queued from birth until it runs once; a wake cannot make it
            // runnable again, so the extra entry is simply released.
            Scheduler::Blocking => drop(notified),
            Scheduler::Local(shared) => shared.schedule(notified),
            #[cfg(all(test, blitz_loom))]
            Scheduler::Loom(queue) => queue.push(notified),
        }
    }

    /// The task completed: take it out of the owned-task list, if it is in one.
    pub(crate) fn release(&self, task: RawTask) -> Option<Task> {
        match self {
            Scheduler::Runtime(handle) => handle.release(task),
            Scheduler::Blocking => None,
            Scheduler::Local(shared) => shared.owned.remove(task),
            #[cfg(all(test, blitz_loom))]
            Scheduler::Loom(queue) => queue.owned.remove(task),
        }
    }
}

/// The non-generic part of every task.
#[repr(C)]
pub(crate) struct Header {
    pub(crate) state: State,
    pub(crate) vtable: &'static Vtable,
    pub(crate) id: Id,
    pub(crate) scheduler: Scheduler,
    /// Link in the owned-task list.
    pub(crate) owned: Pointers<Header>,
    /// The `JoinHandle`'s waker; who may touch it is decided by `JOIN_WAKER` in the state word.
    pub(crate) join_waker: UnsafeCell<Option<Waker>>,
    pub(crate) spawned_at: &'static Location<'static>,
    /// The current step of the state machine this task is polling, for the task dump: a
    /// pointer to a `&'static str` (null: none published). Written by `machine::Machine`
    /// through the worker's current-task pointer, read by `Handle::dump`.
    pub(crate) step: AtomicPtr<&'static str>,
}

/// What a poll left for the runner to do, before the runner turns it into a [`Ran`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PollOutcome {
    /// Nothing: the task completed, went idle, or the entry was stale.
    Done,
    /// The task woke itself during the poll; the queue's reference is handed back.
    Requeue,
    /// As `Requeue`, for a `yield_now`: run it only after the next driver poll.
    Defer,
}

/// What the runner of a queue entry must do next.
#[derive(Debug)]
#[must_use = "a task handed back by `run` must be queued again, or it is never polled"]
pub(crate) enum Ran {
    /// Nothing.
    Done,
    /// Queue the task at the back of the run queue (it woke itself while running).
    Requeue(Notified),
    /// Queue the task after the next driver poll (it called `yield_now`).
    Defer(Notified),
}

/// The functions that know the future's type.
pub(crate) struct Vtable {
    pub(crate) poll: unsafe fn(NonNull<Header>) -> PollOutcome,
    pub(crate) shutdown: unsafe fn(NonNull<Header>),
    pub(crate) dealloc: unsafe fn(NonNull<Header>),
    pub(crate) try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    pub(crate) drop_join_handle: unsafe fn(NonNull<Header>),
    pub(crate) type_name: fn() -> &'static str,
}

/// What the task holds: the future until it finishes, then its result until the handle reads it.
pub(crate) enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, JoinError>),
    Consumed,
}

#[repr(C)]
pub(crate) struct Cell<F: Future> {
    pub(crate) header: Header,
    pub(crate) stage: UnsafeCell<Stage<F>>,
}

/// An unowned pointer to a task; the reference types below manage the count.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawTask {
    ptr: NonNull<Header>,
}

impl RawTask {
    /// Allocates a task holding `future`, with `refs` references counted in its state.
    pub(crate) fn allocate<F>(
        future: F,
        scheduler: Scheduler,
        id: Id,
        refs: usize,
        spawned_at: &'static Location<'static>,
    ) -> RawTask
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        // SAFETY: the future and its output are `Send`, so any thread may poll or drop them.
        unsafe { Self::allocate_unsend(future, scheduler, id, refs, spawned_at) }
    }

    /// As [`allocate`](Self::allocate), for a future or output that may be `!Send`.
    ///
    /// # Safety
    /// The caller ensures the future and its output are polled and dropped only on the thread
    /// that calls this (a `LocalSet`'s thread: `scheduler` is `Scheduler::Local`), except an
    /// output that is `Send` and read through a `JoinHandle` (which is `Send` only then).
    pub(crate) unsafe fn allocate_unsend<F>(
        future: F,
        scheduler: Scheduler,
        id: Id,
        refs: usize,
        spawned_at: &'static Location<'static>,
    ) -> RawTask
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let cell = Box::new(Cell {
            header: Header {
                state: State::new(refs),
                vtable: harness::vtable::<F>(),
                id,
                scheduler,
                owned: Pointers::new(),
                join_waker: UnsafeCell::new(None),
                spawned_at,
                step: AtomicPtr::new(std::ptr::null_mut()),
            },
            stage: UnsafeCell::new(Stage::Running(future)),
        });
        let ptr = NonNull::from(Box::leak(cell)).cast::<Header>();
        RawTask { ptr }
    }

    pub(crate) fn from_raw(ptr: NonNull<Header>) -> RawTask {
        RawTask { ptr }
    }

    pub(crate) fn as_ptr(self) -> NonNull<Header> {
        self.ptr
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: every RawTask is created from a live allocation and used only while one of
        // the reference types keeps the count above zero.
        unsafe { self.ptr.as_ref() }
    }

    pub(crate) fn id(&self) -> Id {
        self.header().id
    }

    /// # Safety
    /// The caller gives up one reference obtained from a `Notified`; with `Requeue` or `Defer`
    /// the reference comes back to the caller.
    pub(crate) unsafe fn poll(self) -> PollOutcome {
        let poll = self.header().vtable.poll;
        // SAFETY: forwarded from the caller; the vtable matches the allocation's future type.
        unsafe { poll(self.ptr) }
    }

    /// # Safety
    /// The caller gives up one reference obtained from a `Task`.
    pub(crate) unsafe fn shutdown(self) {
        let shutdown = self.header().vtable.shutdown;
        // SAFETY: forwarded from the caller; the vtable matches the allocation's future type.
        unsafe { shutdown(self.ptr) }
    }

    /// # Safety
    /// The reference count reached zero: nobody else can touch the task.
    pub(crate) unsafe fn dealloc(self) {
        let dealloc = self.header().vtable.dealloc;
        // SAFETY: forwarded from the caller.
        unsafe { dealloc(self.ptr) }
    }

    /// Drops one reference, freeing the task if it was the last.
    pub(crate) fn drop_reference(self) {
        if self.header().state.ref_dec() {
            // SAFETY: that was the last reference.
            unsafe { self.dealloc() }
        }
    }
}

// SAFETY: a task's future and output are `Send` (required at spawn), or the task belongs to a
// `LocalSet` and its stage is only touched on the set's thread (the contract of
// `allocate_unsend`, argued in `local/mod.rs`); the header's shared fields are atomics or
// guarded by the state-word protocol.
unsafe impl Send for RawTask {}
// SAFETY: as above; `&RawTask` only exposes the header.
unsafe impl Sync for RawTask {}

/// The owned-task list's reference.
pub(crate) struct Task {
    raw: RawTask,
}

impl Task {
    /// # Safety
    /// `raw` carries one reference the new `Task` takes over.
    pub(crate) unsafe fn from_raw(raw: RawTask) -> Task {
        Task { raw }
    }

    pub(crate) fn raw(&self) -> RawTask {
        self.raw
    }

    /// Cancels the task unless it is running (then its runner cancels it after the poll).
    pub(crate) fn shutdown(self) {
        let raw = self.raw;
        std::mem::forget(self);
        // SAFETY: the Task's reference is handed to shutdown.
        unsafe { raw.shutdown() }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        self.raw.drop_reference();
    }
}

/// A run queue's reference: the task was woken (or just spawned) and waits to be polled.
pub(crate) struct Notified {
    raw: RawTask,
}

impl Notified {
    /// # Safety
    /// `raw` carries one reference the new `Notified` takes over, and the state word has
    /// `NOTIFIED` set on its behalf.
    pub(crate) unsafe fn from_raw(raw: RawTask) -> Notified {
        Notified { raw }
    }

    #[cfg_attr(not(all(test, blitz_loom)), allow(dead_code))] // Read by the loom models.
    pub(crate) fn id(&self) -> Id {
        self.raw.id()
    }

    /// Cancels the task instead of running it (a queued blocking job at shutdown).
    pub(crate) fn shutdown(self) {
        let raw = self.raw;
        std::mem::forget(self);
        // SAFETY: the Notified's reference is handed to shutdown.
        unsafe { raw.shutdown() }
    }

    /// Polls the task (or cancels it, or only drops the reference, as the state word says).
    /// A task that woke itself during the poll comes back to the caller, who queues it: the
    /// caller is the scheduler loop that holds the queues, so no dispatch or thread-local
    /// lookup is needed to find them.
    pub(crate) fn run(self) -> Ran {
        let raw = self.raw;
        std::mem::forget(self);
        // SAFETY: the Notified's reference is handed to poll, and handed back with
        // Requeue/Defer (transition_to_idle kept it and NOTIFIED for the queue).
        match unsafe { raw.poll() } {
            PollOutcome::Done => Ran::Done,
            PollOutcome::Requeue => Ran::Requeue(Notified { raw }),
            PollOutcome::Defer => Ran::Defer(Notified { raw }),
        }
    }
}

impl Drop for Notified {
    fn drop(&mut self) {
        self.raw.drop_reference();
    }
}

impl std::fmt::Debug for Notified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notified")
            .field("id", &self.raw.id())
            .finish()
    }
}

impl std::fmt::Debug for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Task").field("id", &self.raw.id()).finish()
    }
}

/// Links tasks into the owned-task list through `Header::owned`.
pub(crate) struct OwnedLink;

// SAFETY: `pointers` returns the `owned` field of a live header; a task is in at most one owned
// list (its runtime's, in the shard its id selects) and task allocations never move.
unsafe impl linked_list::Link for OwnedLink {
    type Handle = Task;
    type Target = Header;

    fn as_raw(handle: &Task) -> NonNull<Header> {
        handle.raw.ptr
    }

    unsafe fn from_raw(ptr: NonNull<Header>) -> Task {
        Task {
            raw: RawTask::from_raw(ptr),
        }
    }

    unsafe fn pointers(target: NonNull<Header>) -> NonNull<Pointers<Header>> {
        // SAFETY: the caller guarantees `target` is live; addr_of_mut avoids creating a
        // reference to the whole header.
        unsafe { NonNull::new_unchecked(std::ptr::addr_of_mut!((*target.as_ptr()).owned)) }
    }
}
