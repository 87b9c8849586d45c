//! The part of a `LocalSet` that other threads reach: its run queue and owned-task list.
//!
//! Every local task's header holds an `Arc<Shared>` (its `Scheduler::Local`), so a waker or
//! an `AbortHandle` on any thread can queue the task. The queue, the closed flag and the set's
//! waker sit under one lock: a push either lands before `close` (and the set runs it or its
//! drain drops it) or sees the flag and drops its entry itself, and the waker taken by a push
//! is the one the set registered before it last looked at the queue.
//!
//! Nothing here polls or drops a future: running is done by the set's own poll, on its
//! thread, through [`Shared::pop`].

use std::collections::VecDeque;
use std::future::Future;
use std::panic::Location;
use std::sync::Arc;
use std::task::Waker;

use crate::loom::sync::Mutex;
use crate::task::owned::OwnedTasks;
use crate::task::{Id, JoinHandle, Notified, Scheduler};

pub(crate) struct Shared {
    inner: Mutex<Inner>,
    pub(crate) owned: OwnedTasks,
}

struct Inner {
    queue: VecDeque<Notified>,
    closed: bool,
    /// The waker of whoever polls the set, taken (and fired) by the next push.
    waker: Option<Waker>,
}

impl Shared {
    pub(crate) fn new() -> Arc<Shared> {
        Arc::new(Shared {
            inner: Mutex::new(Inner {
                queue: VecDeque::new(),
                closed: false,
                waker: None,
            }),
            owned: OwnedTasks::new(1),
        })
    }

    /// Spawns `future` as a task of this set and queues it.
    ///
    /// # Safety
    /// Called on the set's thread, and the set polls its tasks and drops them (at close) only
    /// on that thread: the contract of
    /// [`RawTask::allocate_unsend`](crate::task::RawTask::allocate_unsend).
    pub(crate) unsafe fn spawn<F>(
        self: &Arc<Self>,
        future: F,
        location: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        // Large futures are boxed before they move into the task, as `spawn` does.
        if std::mem::size_of::<F>() > crate::task::BOX_FUTURE_THRESHOLD {
            // SAFETY: forwarded from the caller; the box is polled and dropped with the task.
            unsafe { self.spawn_task(Box::pin(future), location) }
        } else {
            // SAFETY: forwarded from the caller.
            unsafe { self.spawn_task(future, location) }
        }
    }

    /// # Safety
    /// As [`spawn`](Self::spawn).
    unsafe fn spawn_task<F>(
        self: &Arc<Self>,
        future: F,
        location: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let scheduler = Scheduler::Local(self.clone());
        // SAFETY: forwarded from the caller.
        let (task, notified, join) =
            unsafe { crate::task::new_task_unsend(future, scheduler, Id::next(), location) };
        match self.owned.bind(task) {
            Ok(()) => self.schedule(notified),
            Err(task) => {
                // The set is being dropped: the task never runs, and its future is dropped
                // right here, on the set's thread.
                drop(notified);
                task.shutdown();
            }
        }
        join
    }

    /// Queues a woken task (from any thread) and wakes the set; drops the entry once the set
    /// is closed.
    pub(crate) fn schedule(&self, notified: Notified) {
        let waker = {
            let mut inner = self.inner.lock();
            if inner.closed {
                drop(inner);
                // The task was already shut down by the set (its owned-list reference is only
                // given up after its future was dropped), so this only drops a reference.
                drop(notified);
                return;
            }
            inner.queue.push_back(notified);
            inner.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Queues tasks that the set's own poll handed back (no wake: the poll decides).
    pub(crate) fn requeue(&self, tasks: impl IntoIterator<Item = Notified>) {
        let mut inner = self.inner.lock();
        // The set's poll runs only while the set is borrowed, so before its drop closes it.
        debug_assert!(!inner.closed, "a closed LocalSet was polled");
        inner.queue.extend(tasks);
    }

    pub(crate) fn pop(&self) -> Option<Notified> {
        self.inner.lock().queue.pop_front()
    }

    pub(crate) fn has_queued(&self) -> bool {
        !self.inner.lock().queue.is_empty()
    }

    /// Registers the waker of the set's current poller.
    pub(crate) fn register(&self, waker: &Waker) {
        let mut inner = self.inner.lock();
        if !inner.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
            inner.waker = Some(waker.clone());
        }
    }

    /// Closes the set: refuses further entries, cancels every task (dropping its future on
    /// the calling thread, which must be the set's) and drops the entries queued before the
    /// close. Afterwards the set holds no task reference.
    pub(crate) fn close(&self) {
        self.inner.lock().closed = true;
        self.owned.close_and_shutdown_all(0);
        let (queue, waker) = {
            let mut inner = self.inner.lock();
            (std::mem::take(&mut inner.queue), inner.waker.take())
        };
        // Outside the lock: dropping an entry may free its task (whose header holds an `Arc`
        // of this struct, but never the last one while `&self` is alive).
        drop(queue);
        drop(waker);
    }
}
