//! The two scheduler flavours behind one handle.
//!
//! [`Handle`] is what tasks, wakers and the public `runtime::Handle` hold: an enum over the
//! flavours' shared state, so dispatch is a `match` rather than a trait object. [`Context`] is
//! the per-thread state of a running scheduler loop, reached through the thread-local context
//! when a wake or spawn happens on a scheduler thread.

pub(crate) mod current_thread;
pub(crate) mod multi_thread;

use std::future::Future;
use std::panic::Location;
use std::sync::Arc;

use crate::runtime::blocking;
use crate::runtime::metrics::SchedulerMetrics;
use crate::task::owned::OwnedTasks;
use crate::task::{self, Id, JoinHandle, Notified, RawTask, Task};

#[derive(Clone)]
pub(crate) enum Handle {
    MultiThread(Arc<multi_thread::Handle>),
    CurrentThread(Arc<current_thread::Handle>),
}

pub(crate) enum Context {
    MultiThread(multi_thread::Context),
    CurrentThread(current_thread::Context),
}

impl Handle {
    pub(crate) fn spawn<F>(
        &self,
        future: F,
        location: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let id = Id::next();
        if std::mem::size_of::<F>() > task::BOX_FUTURE_THRESHOLD {
            self.spawn_task(Box::pin(future), id, location)
        } else {
            self.spawn_task(future, id, location)
        }
    }

    fn spawn_task<F>(
        &self,
        future: F,
        id: Id,
        location: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (task, notified, join) =
            task::new_task(future, task::Scheduler::Runtime(self.clone()), id, location);
        match self.owned().bind(task) {
            Ok(()) => self.schedule(notified),
            Err(task) => {
                // The runtime is shutting down: the task never runs and its handle reports
                // cancellation.
                drop(notified);
                task.shutdown();
            }
        }
        join
    }

    pub(crate) fn spawn_blocking<F, T>(
        &self,
        function: F,
        location: &'static Location<'static>,
    ) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.blocking_spawner().spawn(function, self, location)
    }

    /// A wake: queue the task.
    pub(crate) fn schedule(&self, notified: Notified) {
        match self {
            Handle::MultiThread(h) => h.schedule_task(notified),
            Handle::CurrentThread(h) => h.schedule(notified),
        }
    }

    /// A task completed: unlink it from the owned-task list.
    pub(crate) fn release(&self, task: RawTask) -> Option<Task> {
        self.owned().remove(task)
    }

    /// The runtime's owned-task list.
    pub(crate) fn owned(&self) -> &OwnedTasks {
        match self {
            Handle::MultiThread(h) => h.owned(),
            Handle::CurrentThread(h) => h.owned(),
        }
    }

    pub(crate) fn blocking_spawner(&self) -> &blocking::Spawner {
        match self {
            Handle::MultiThread(h) => &h.blocking,
            Handle::CurrentThread(h) => &h.blocking,
        }
    }

    /// The runtime's time driver.
    pub(crate) fn time(&self) -> &crate::time::driver::Driver {
        match self {
            Handle::MultiThread(h) => &h.time,
            Handle::CurrentThread(h) => &h.time,
        }
    }

    /// The runtime's I/O driver (none under loom).
    pub(crate) fn io(&self) -> Option<&std::sync::Arc<crate::io::driver::Driver>> {
        match self {
            Handle::MultiThread(h) => h.io(),
            Handle::CurrentThread(h) => h.io(),
        }
    }

    pub(crate) fn metrics(&self) -> &SchedulerMetrics {
        match self {
            Handle::MultiThread(h) => &h.metrics,
            Handle::CurrentThread(h) => &h.metrics,
        }
    }
}

impl Context {
    /// The I/O driver this scheduler loop polls (none under loom or without I/O).
    #[cfg(target_os = "linux")] // only the io_uring backend asks (submission batching)
    pub(crate) fn io(&self) -> Option<&std::sync::Arc<crate::io::driver::Driver>> {
        match self {
            Context::MultiThread(cx) => cx.io(),
            Context::CurrentThread(cx) => cx.io(),
        }
    }

    pub(crate) fn note_forced_yield(&self) {
        match self {
            Context::MultiThread(cx) => cx.note_forced_yield(),
            Context::CurrentThread(cx) => cx.note_forced_yield(),
        }
    }
}

/// The index of the multi-thread worker running on this thread, if one is (of any runtime).
pub(crate) fn current_worker_index() -> Option<usize> {
    crate::runtime::context::with_scheduler(|cx| match cx {
        Some(Context::MultiThread(cx)) => Some(cx.index()),
        _ => None,
    })
}

/// Tasks that called `yield_now`, held back until the scheduler's next driver poll.
#[derive(Default)]
pub(crate) struct Defer {
    tasks: std::cell::RefCell<Vec<Notified>>,
}

impl Defer {
    pub(crate) fn push(&self, task: Notified) {
        self.tasks.borrow_mut().push(task);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.tasks.borrow().is_empty()
    }

    /// Hands every deferred task to `schedule`, oldest first. The buffer keeps its capacity,
    /// so a steady stream of yields allocates nothing.
    pub(crate) fn drain(&self, mut schedule: impl FnMut(Notified)) {
        let mut tasks = std::mem::take(&mut *self.tasks.borrow_mut());
        for task in tasks.drain(..) {
            schedule(task);
        }
        let mut current = self.tasks.borrow_mut();
        if current.is_empty() {
            *current = tasks;
        }
    }

    /// Drops every deferred task's queue reference (shutdown).
    pub(crate) fn clear(&self) {
        let tasks = std::mem::take(&mut *self.tasks.borrow_mut());
        drop(tasks);
    }
}
