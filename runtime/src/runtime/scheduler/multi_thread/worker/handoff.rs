//! Handing a worker's core to a new thread, for `task::block_in_place`.
//!
//! A task polled on a worker may need to block its thread. Instead of stalling the worker's
//! queue behind it, the worker gives its role away first: the [`Core`] (LIFO slot, local
//! queue, search state), the yielded tasks waiting for the next driver poll, and the worker's
//! parker move to a freshly started thread, which runs the same worker loop under the same
//! index. Remote wakes, stealers and shutdown reach the worker through the index (its
//! `Remote`), so they follow the core without knowing it moved.
//!
//! The old thread stops being a worker at once: it uninstalls its scheduler context (its
//! wakes, spawns and metrics no longer touch the core or the per-worker counters), runs the
//! closure, finishes the task's poll, then finds no core in its `Context` and leaves the
//! worker loop; whatever the poll handed back goes through the injection queue.
//!
//! Invariants: exactly one thread holds a core and parks on its parker at a time (the core
//! moves while it is out of the run loop's hands, during a task poll, so it never holds the
//! drivers' token); the new thread is counted as started before it can exit, and the old
//! one is counted until it exits, so shutdown waits for both and joins both. If the thread
//! cannot be started, the core goes back and the closure runs in place.

use std::sync::{Arc, Mutex, PoisonError};

use super::{run_core, Context, Core};
use crate::runtime::context;
use crate::runtime::park::Parker;
use crate::runtime::scheduler::{self, multi_thread::Handle, Defer};
use crate::task::{self, Notified};

/// What a replacement thread takes over; passed through a slot so that a failed spawn (which
/// drops the closure) cannot lose it.
type Role = (Box<Core>, Parker, Defer);

impl Context {
    /// If a task of this worker is being polled (the core sits in this context), hands the
    /// core to a new worker thread and leaves the worker role; returns whether it did.
    pub(crate) fn hand_off_core(&self) -> bool {
        let handle = &self.handle;
        if self.core.borrow().is_none() {
            // The run loop holds the core (a park hook, a driver callback): nothing to hand.
            return false;
        }
        // The user's name function runs here: if it panics, nothing has moved yet.
        let builder = handle.thread_options.builder();
        let mut core = self.core.borrow_mut().take().expect("checked above");
        core.lifo_enabled = false;
        let defer = Defer::default();
        self.defer.drain(|task| defer.push(task));
        let slot: Arc<Mutex<Option<Role>>> =
            Arc::new(Mutex::new(Some((core, self.parker.hand_off(), defer))));
        let index = self.index;
        let mut threads = handle.threads.lock();
        let spawned = builder.spawn({
            let slot = slot.clone();
            let handle = handle.clone();
            let options = handle.thread_options.clone();
            move || {
                let role = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
                let Some((core, parker, defer)) = role else {
                    return;
                };
                let runtime = scheduler::Handle::MultiThread(handle.clone());
                options.run_hooked(&runtime, || run_core(index, handle, core, parker, defer));
            }
        });
        match spawned {
            Ok(thread) => {
                // Counted under the same lock its exit takes, so the exit cannot come first.
                threads.started += 1;
                // Exited replacements are counted already: let their handles go, so a
                // runtime that hands off often keeps one handle per live thread.
                threads.replacements.retain(|thread| !thread.is_finished());
                threads.replacements.push(thread);
                drop(threads);
                context::leave_scheduler();
                true
            }
            Err(_) => {
                drop(threads);
                let role = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
                let (core, _parker, defer) = role.expect("a thread that failed to start ran");
                defer.drain(|task| self.defer.push(task));
                *self.core.borrow_mut() = Some(core);
                false
            }
        }
    }
}

/// Queues what a task poll handed back on a thread that gave its core away: through the
/// injection queue, like a wake from outside the runtime.
pub(super) fn requeue_after_hand_off(handle: &Handle, ran: task::Ran) {
    let task: Notified = match ran {
        task::Ran::Done => return,
        task::Ran::Requeue(task) | task::Ran::Defer(task) => task,
    };
    handle.schedule_task(task);
}
