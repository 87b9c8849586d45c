//! One worker thread of the multi-thread scheduler: its run loop, stealing and parking.
//!
//! The worker's [`Core`] is plain data owned by its thread. While a task is polled the core
//! sits in the thread's [`Context`] so that wakes and spawns made by the task can reach the
//! LIFO slot and the local queue; the run loop takes it back between polls.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Instant;

use super::queue::{Local, LOCAL_QUEUE_CAPACITY};
use super::Handle;
use crate::runtime::context;
use crate::runtime::metrics::WorkerMetrics;
use crate::runtime::park::Parker;
use crate::runtime::scheduler::{self, Defer};
use crate::task::{self, Notified};
use crate::util::rand::{self, FastRand};

/// LIFO polls allowed in a row before LIFO scheduling pauses until the next queued task.
const MAX_LIFO_POLLS_PER_TICK: usize = 3;

mod batch;
mod handoff;
mod park;

use batch::Batch;

pub(crate) struct Context {
    index: usize,
    handle: Arc<Handle>,
    core: RefCell<Option<Box<Core>>>,
    parker: Parker,
    pub(crate) defer: Defer,
}

pub(crate) struct Core {
    lifo_slot: Option<Notified>,
    /// True only while a task of this worker is being polled (and its LIFO run has not hit
    /// the cap): wakes and spawns then go to the LIFO slot.
    lifo_enabled: bool,
    run_queue: Local,
    /// Ticks left until the next maintenance (counted down: no division on the hot path).
    until_maintenance: u32,
    /// Ticks left until the next look at the injection queue before the local one.
    until_global_check: u32,
    is_searching: bool,
    /// True while this worker parks with its core set aside. Tasks that the drivers it turns
    /// wake land on its queue then without notifying anyone (the notified worker would be this
    /// one, still registered as parked); it wakes a sleeper for them once it is back.
    is_parked: bool,
    is_shutdown: bool,
    rand: FastRand,
    global_queue_interval: u32,
    batch: Batch,
    /// When the current busy stretch (time not parked) started; it moves with the core, so a
    /// core handed to a new thread keeps counting. See [`WorkerMetrics::add_busy`].
    busy_since: Instant,
}

pub(super) fn run(index: usize, handle: Arc<Handle>, run_queue: Local, parker: Parker) {
    let global_queue_interval = handle.config.global_queue_interval.unwrap_or(61);
    let core = Box::new(Core {
        lifo_slot: None,
        lifo_enabled: false,
        run_queue,
        until_maintenance: handle.config.event_interval,
        until_global_check: global_queue_interval,
        is_searching: false,
        is_parked: false,
        is_shutdown: false,
        rand: FastRand::new(rand::seed()),
        global_queue_interval,
        batch: Batch::new(global_queue_interval),
        busy_since: Instant::now(),
    });
    run_core(index, handle, core, parker, Defer::default());
}

/// Runs the worker loop with `core` on this thread until shutdown, or until a task polled
/// here hands the core to another thread (`block_in_place`, see [`handoff`]).
fn run_core(index: usize, handle: Arc<Handle>, core: Box<Core>, parker: Parker, defer: Defer) {
    /// Counts this thread's exit last, even if the loop unwinds (a scheduler bug): shutdown
    /// waits for the count before it joins.
    struct Exit(Arc<Handle>);
    impl Drop for Exit {
        fn drop(&mut self) {
            self.0.worker_exited();
        }
    }
    let _exit = Exit(handle.clone());
    let scheduler_handle = scheduler::Handle::MultiThread(handle.clone());
    let _current = context::set_current(&scheduler_handle);
    let _driving = context::enter_driving();
    let cx = scheduler::Context::MultiThread(Context {
        index,
        handle,
        core: RefCell::new(None),
        parker,
        defer,
    });
    context::set_scheduler(&cx, || {
        let scheduler::Context::MultiThread(cx) = &cx else {
            unreachable!()
        };
        if let Some(core) = cx.run(core) {
            cx.shutdown(core);
        }
    });
}

/// Queues `task` on the current worker if this thread is one of `handle`'s workers.
pub(super) fn try_schedule_local(handle: &Handle, task: Notified) -> Result<(), Notified> {
    context::with_scheduler(|cx| {
        let Some(scheduler::Context::MultiThread(cx)) = cx else {
            return Err(task);
        };
        if !std::ptr::eq(Arc::as_ptr(&cx.handle), handle) {
            return Err(task);
        }
        let mut core = cx.core.borrow_mut();
        match core.as_mut() {
            Some(core) => {
                cx.schedule_local(core, task);
                Ok(())
            }
            // The run loop holds the core (maintenance, shutdown): go through the injector.
            None => Err(task),
        }
    })
}

impl Context {
    fn metrics(&self) -> &WorkerMetrics {
        &self.handle.metrics.workers[self.index]
    }

    /// This worker's index in its runtime.
    pub(crate) fn index(&self) -> usize {
        self.index
    }

    pub(crate) fn note_forced_yield(&self) {
        self.metrics().forced_yields.incr();
    }

    #[cfg(target_os = "linux")]
    pub(crate) fn io(&self) -> Option<&Arc<crate::io::driver::Driver>> {
        self.handle.io()
    }

    /// The worker loop; `None` when a task handed the core off (this thread is done).
    fn run(&self, mut core: Box<Core>) -> Option<Box<Core>> {
        core.batch.start();
        while !core.is_shutdown {
            core.until_maintenance -= 1;
            if core.until_maintenance == 0 {
                core.until_maintenance = self.handle.config.event_interval;
                core = self.maintenance(core);
            }
            if let Some(task) = core.next_task(self) {
                core = self.run_task(task, core)?;
                continue;
            }
            if let Some(task) = core.steal_work(self) {
                core = self.run_task(task, core)?;
                continue;
            }
            if !self.defer.is_empty() {
                core = self.park_yield(core);
                continue;
            }
            if let Some(task) = self.search_briefly(&mut core) {
                core = self.run_task(task, core)?;
                continue;
            }
            // A task the park hook spawned or woke went to the injection queue (the core is
            // not where `schedule` looks for it): run it rather than park on it, after turning
            // the drivers as the park would have.
            let hooks = &self.handle.config.park_hooks;
            core = hooks.around(
                core,
                |_| !self.handle.inject.is_empty(),
                |c| self.park(c),
                |c| self.park_yield(c),
            );
        }
        Some(core)
    }

    /// Runs `task` and the LIFO run after it; `None` when the poll handed the core to another
    /// thread (`block_in_place`).
    fn run_task(&self, task: Notified, mut core: Box<Core>) -> Option<Box<Core>> {
        if core.is_searching {
            core.is_searching = false;
            if self.handle.idle.transition_worker_from_searching() {
                // The last searcher found work; there may be more, so keep one searching.
                self.handle.notify_parked();
            }
        }
        let metrics = self.metrics();
        metrics.polls.incr();
        core.batch.polls += 1;
        core.lifo_enabled = !self.handle.config.disable_lifo_slot;
        *self.core.borrow_mut() = Some(core);
        task::budget(|| {
            let mut ran = task.run();
            let mut lifo_polls = 0;
            loop {
                let Some(mut core) = self.core.borrow_mut().take() else {
                    handoff::requeue_after_hand_off(&self.handle, ran);
                    return None;
                };
                self.requeue(&mut core, ran);
                let Some(next) = core.lifo_slot.take() else {
                    core.lifo_enabled = false;
                    return Some(core);
                };
                if !task::has_budget_remaining() {
                    core.lifo_enabled = false;
                    self.push_local(&mut core, next);
                    return Some(core);
                }
                lifo_polls += 1;
                if lifo_polls >= MAX_LIFO_POLLS_PER_TICK {
                    core.lifo_enabled = false;
                }
                metrics.lifo_hits.incr();
                metrics.polls.incr();
                *self.core.borrow_mut() = Some(core);
                ran = next.run();
            }
        })
    }

    /// Queues a task that its own poll handed back: behind everything runnable, or (after a
    /// `yield_now`) in the defer list until the next driver poll.
    fn requeue(&self, core: &mut Core, ran: task::Ran) {
        match ran {
            task::Ran::Done => {}
            task::Ran::Requeue(task) => {
                self.push_local(core, task);
                self.handle.notify_parked();
            }
            task::Ran::Defer(task) => self.defer.push(task),
        }
    }

    /// Pushes to the back of this worker's queue, counting an overflow into the global queue.
    fn push_local(&self, core: &mut Core, task: Notified) {
        if core.run_queue.push_back(task, &self.handle.inject) {
            self.metrics().overflows.incr();
        }
    }

    fn take_core(&self) -> Box<Core> {
        self.core
            .borrow_mut()
            .take()
            .expect("worker core missing after a poll")
    }

    fn schedule_local(&self, core: &mut Core, task: Notified) {
        self.metrics().local_schedules.incr();
        let task = if !core.lifo_enabled {
            Some(task)
        } else {
            core.lifo_slot.replace(task)
        };
        // One task waiting behind the running one (in the LIFO slot, or queued with the slot
        // empty) is run by this worker as soon as the current poll returns: waking a sleeper
        // for it only makes that worker search, find nothing (or steal the one task and bounce
        // the chain between workers) and park again. A second waiting task, queued or in the
        // slot, is parallel work and wakes a sleeper: if the running task then holds this
        // thread, the other one is not stuck behind it.
        let should_notify = match task {
            Some(task) => {
                let alone = core.run_queue.is_empty() && core.lifo_slot.is_none();
                self.push_local(core, task);
                !alone
            }
            None => false,
        };
        if should_notify && !core.is_parked {
            // A worker registered as parked could pick itself here and wake nobody else.
            debug_assert!(
                !self.handle.idle.is_parked(self.index),
                "a parked worker notified"
            );
            self.handle.notify_parked();
        }
    }

    /// Every `event_interval` ticks: drivers, deferred wakes, shutdown, adaptive interval.
    fn maintenance(&self, mut core: Box<Core>) -> Box<Core> {
        let now = Instant::now();
        core.end_batch(now, &self.handle);
        let metrics = self.metrics();
        // Still busy: flush the stretch so far, so a worker that never parks shows its time.
        metrics.add_busy(core.busy_since, now);
        core.busy_since = now;
        metrics.local_queue_depth.set(core.run_queue.len() as u64);
        core = self.park_yield(core);
        core.is_shutdown = self.handle.is_shutdown();
        core.batch.start();
        core
    }

    /// Polls the drivers without blocking, then queues the tasks that yielded.
    fn park_yield(&self, core: Box<Core>) -> Box<Core> {
        // Due timers and ready sockets wake their tasks onto this worker's queue (the core is
        // put back where `schedule_local` finds it), not through the injection queue and its
        // lock; a second task queued wakes a sleeper as usual. The I/O poll does nothing if
        // another thread is turning the driver, or if no socket is registered.
        *self.core.borrow_mut() = Some(core);
        self.handle.time.process();
        if let Some(io) = self.handle.io() {
            io.poll_now();
        }
        let mut core = self.take_core();
        let mut moved = 0usize;
        self.defer.drain(|task| {
            moved += 1;
            self.push_local(&mut core, task);
        });
        // One notification for the whole batch: another worker may take half of it.
        if moved > 1 {
            self.handle.notify_parked();
        }
        core
    }

    /// Cancels every task of the runtime (each worker helps) and drops queued references.
    fn shutdown(&self, core: Box<Core>) {
        self.metrics().add_busy(core.busy_since, Instant::now());
        *self.core.borrow_mut() = Some(core);
        self.handle.owned.close_and_shutdown_all(self.index);
        let mut core = self.take_core();
        drop(core.lifo_slot.take());
        while let Some(task) = core.run_queue.pop() {
            drop(task);
        }
        // Yielded tasks were cancelled with the rest; release their queue references.
        self.defer.clear();
        self.handle.inject.close();
    }
}

impl Core {
    fn has_tasks(&self) -> bool {
        self.lifo_slot.is_some() || !self.run_queue.is_empty()
    }

    /// Ends a batch of polls: retunes the global-queue interval and keeps the countdown to the
    /// next global check within it.
    fn end_batch(&mut self, now: Instant, handle: &Handle) {
        self.batch.end(now, handle, &mut self.global_queue_interval);
        self.until_global_check = self.until_global_check.min(self.global_queue_interval);
    }

    fn next_task(&mut self, cx: &Context) -> Option<Notified> {
        self.until_global_check -= 1;
        if self.until_global_check == 0 {
            self.until_global_check = self.global_queue_interval;
            if let Some(task) = self.pull_global(cx) {
                return Some(task);
            }
        }
        if let Some(task) = self.lifo_slot.take() {
            return Some(task);
        }
        if let Some(task) = self.run_queue.pop() {
            return Some(task);
        }
        self.pull_global(cx)
    }

    /// Takes this worker's share of the injection queue's backlog (its length over the number
    /// of workers, plus one): returns the oldest task and moves the rest of the share to the
    /// back of the local queue, never filling it past half so the share cannot overflow back.
    ///
    /// Used both when the local queue is empty and on the periodic global check. Taking one
    /// task per check instead rations a backlog to one task per `global_queue_interval` ticks
    /// for as long as local work keeps coming (a spawn chain, timers and I/O, which wake
    /// through this queue while a worker holds its core), however long the backlog is.
    fn pull_global(&mut self, cx: &Context) -> Option<Notified> {
        let inject = &cx.handle.inject;
        if inject.is_empty() {
            return None;
        }
        let before = self.run_queue.len();
        let room = (LOCAL_QUEUE_CAPACITY / 2).saturating_sub(before);
        let share = inject.len() / cx.handle.remotes.len() + 1;
        let task = inject.pop_batch_into(&self.run_queue, share.min(room).max(1))?;
        // Thieves may take from the local queue meanwhile: the count is a lower bound.
        let moved = self.run_queue.len().saturating_sub(before);
        cx.metrics().global_queue_pops.add(1 + moved as u64);
        Some(task)
    }

    fn steal_work(&mut self, cx: &Context) -> Option<Notified> {
        if !self.is_searching {
            if !cx.handle.idle.transition_worker_to_searching() {
                return None;
            }
            self.is_searching = true;
        }
        let remotes = &cx.handle.remotes;
        let num = remotes.len();
        let start = self.rand.below(num as u32) as usize;
        for offset in 0..num {
            let victim = (start + offset) % num;
            if victim == cx.index {
                continue;
            }
            if let Some(task) = remotes[victim].steal.steal_into(&self.run_queue) {
                let metrics = cx.metrics();
                metrics.steal_operations.incr();
                metrics.steals.add(1 + self.run_queue.len() as u64);
                return Some(task);
            }
        }
        self.pull_global(cx)
    }
}
