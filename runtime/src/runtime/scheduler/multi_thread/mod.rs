//! The multi-thread, work-stealing scheduler.
//!
//! Each worker thread owns a [`worker::Core`]: a LIFO slot, a bounded local queue and its
//! search state. Shared by all workers: the global injection queue, the stealing ends of every
//! local queue, the idle set (who sleeps, who searches) and the owned-task list.
//!
//! Where a task goes when it becomes runnable:
//! - spawned or woken *by the running task* on a worker: that worker's LIFO slot (the previous
//!   occupant moves to the back of the local queue), so a child or a message recipient runs
//!   next while its data is still in cache; at most 3 LIFO polls in a row, within the budget of
//!   the poll that started them;
//! - a task that woke itself during its poll, or a deferred `yield_now`: the back of the local
//!   queue;
//! - a task queued locally wakes a sleeping worker only if it is not alone in the queue: a lone
//!   task runs on this worker as soon as the current poll returns (like the LIFO slot), and
//!   waking a sleeper for it made that worker search, find nothing and park again, or steal it
//!   and bounce a spawn chain between workers (`chained_spawn`: 0.17 parks per task before,
//!   0.002 after);
//! - from any other thread: the injection queue, then one sleeping worker is woken if nobody is
//!   already searching.
//!
//! Every `global_queue_interval` ticks (adaptive: about 200 µs worth of polls, clamped to
//! [2, 127]) a worker looks at the injection queue first; otherwise it takes the LIFO slot,
//! then its queue, then the injection queue. Either way it takes its share of the injection
//! queue's backlog (length / workers + 1, at most half a local queue): it runs the oldest task
//! and queues the rest locally. With nothing local it steals half of a random victim's queue,
//! and only then parks. Every `event_interval` ticks it does maintenance
//! (due timers fired, yielded tasks re-queued, shutdown check).
//!
//! `task::block_in_place` moves a worker's core to a new thread while the old one blocks
//! (`worker/handoff.rs`); shutdown then waits for, and joins, both threads.
//!
//! Timers: one parked worker at a time holds the time driver's token and sleeps until the next
//! deadline (a timer registered with an earlier one unparks it); the others sleep without a
//! timeout. Timers it fires wake their tasks onto its own queue, so it leaves the park loop.

mod idle;
pub(crate) mod queue;
mod watch;
mod worker;

#[cfg(all(test, blitz_loom))]
mod loom_tests;

use std::sync::Arc;
use std::thread::JoinHandle as ThreadHandle;
use std::time::{Duration, Instant};

use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use crate::loom::sync::{Condvar, Mutex};
use crate::runtime::blocking;
use crate::runtime::builder::{SchedulerConfig, ThreadOptions};
use crate::runtime::metrics::SchedulerMetrics;
use crate::runtime::park::{Parker, Unparker};
use crate::task::owned::OwnedTasks;
use crate::task::Notified;

pub(crate) use idle::MAX_WORKERS;
pub(crate) use worker::Context;

/// State shared by every worker and every handle of one multi-thread runtime.
pub(crate) struct Handle {
    remotes: Box<[Remote]>,
    inject: queue::Inject,
    idle: idle::Idle,
    owned: OwnedTasks,
    shutdown: AtomicBool,
    config: SchedulerConfig,
    /// How worker threads are named and hooked; `block_in_place` starts more of them.
    thread_options: ThreadOptions,
    threads: Mutex<Threads>,
    /// Signalled at every worker thread exit (shutdown waits for the last).
    exited_condvar: Condvar,
    /// Workers spinning before they sleep, and how many may at once (one per two CPUs): with
    /// more workers than CPUs, extra spinners would take CPU time from workers with tasks.
    spinners: AtomicUsize,
    max_spinners: usize,
    /// The idle worker watching over the drivers while their holder runs tasks.
    watch: watch::Watch,
    /// CPUs available to the process (`available_parallelism`).
    cpus: usize,
    pub(crate) blocking: blocking::Spawner,
    pub(crate) metrics: SchedulerMetrics,
    pub(crate) time: crate::time::driver::Driver,
}

/// Every worker thread the runtime started: the original ones, and those that took over a
/// core handed off by `block_in_place` (their handles are kept here). A thread that handed
/// its core off still counts until it exits, so shutdown waits for the blocking closure.
struct Threads {
    started: usize,
    exited: usize,
    replacements: Vec<ThreadHandle<()>>,
}

/// What other threads can reach of a worker.
struct Remote {
    steal: queue::Steal,
    unpark: Unparker,
}

/// The runtime's ownership of the worker threads.
pub(crate) struct MultiThread {
    handle: Arc<Handle>,
    threads: Vec<ThreadHandle<()>>,
}

impl MultiThread {
    pub(crate) fn new(
        num_workers: usize,
        config: SchedulerConfig,
        threads: &ThreadOptions,
        blocking: blocking::Spawner,
    ) -> std::io::Result<MultiThread> {
        let mut locals = Vec::with_capacity(num_workers);
        let mut remotes = Vec::with_capacity(num_workers);
        for _ in 0..num_workers {
            let (local, steal) = queue::local();
            let parker = Parker::new();
            remotes.push(Remote {
                steal,
                unpark: parker.unparker(),
            });
            locals.push((local, parker));
        }
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let handle = Arc::new(Handle {
            remotes: remotes.into_boxed_slice(),
            inject: queue::Inject::new(),
            idle: idle::Idle::new(num_workers),
            owned: OwnedTasks::new(num_workers * 4),
            shutdown: AtomicBool::new(false),
            time: crate::time::driver::Driver::new(config.start_paused, num_workers),
            config,
            thread_options: threads.clone(),
            threads: Mutex::new(Threads {
                started: 0,
                exited: 0,
                replacements: Vec::new(),
            }),
            exited_condvar: Condvar::new(),
            spinners: AtomicUsize::new(0),
            watch: watch::Watch::new(),
            max_spinners: (cpus / 2).max(1),
            cpus,
            blocking,
            metrics: SchedulerMetrics::new(num_workers),
        });
        let mut spawned = MultiThread {
            handle: handle.clone(),
            threads: Vec::with_capacity(num_workers),
        };
        for (index, (local, parker)) in locals.into_iter().enumerate() {
            let handle = handle.clone();
            let options = threads.clone();
            let builder = threads.builder();
            // Counted before it starts, so its exit can never come first.
            spawned.handle.threads.lock().started += 1;
            let thread = builder.spawn(move || {
                let runtime = crate::runtime::scheduler::Handle::MultiThread(handle.clone());
                options.run_hooked(&runtime, || worker::run(index, handle, local, parker));
            });
            match thread {
                Ok(thread) => spawned.threads.push(thread),
                Err(error) => {
                    spawned.handle.threads.lock().started -= 1;
                    // Dropping `spawned` shuts down the workers already started.
                    return Err(error);
                }
            }
        }
        Ok(spawned)
    }

    pub(crate) fn handle(&self) -> &Arc<Handle> {
        &self.handle
    }

    /// Stops the workers and waits up to `timeout` (forever with `None`) for every worker
    /// thread to exit, including the threads that took over a core from `block_in_place` and
    /// the ones still running its closure after handing their core off. Returns true when
    /// every one exited.
    pub(crate) fn shutdown(&mut self, timeout: Option<Duration>) -> bool {
        self.handle.shutdown();
        // Cancel from here too, so shutdown does not depend on every worker getting back to
        // its loop: idle and queued tasks are cancelled now, running ones when their current
        // poll returns (they see CANCELLED). No task starts a new poll after this.
        self.handle.owned.close_and_shutdown_all(0);
        // Dropping the runtime from a `block_in_place` closure runs on one of its worker
        // threads (one that gave its core away): it cannot wait for itself, nor join itself.
        let me = std::thread::current().id();
        let is_me = |thread: &ThreadHandle<()>| thread.thread().id() == me;
        let own = !crate::runtime::context::is_driving()
            && (self.threads.iter().any(is_me)
                || self.handle.threads.lock().replacements.iter().any(is_me));
        let all_exited = self.handle.wait_exited(own, timeout);
        let replacements = std::mem::take(&mut self.handle.threads.lock().replacements);
        if all_exited {
            // This thread, if it is one, is detached: it exits once its task's poll is over.
            let others = self.threads.drain(..).chain(replacements);
            for thread in others.filter(|thread| !is_me(thread)) {
                // A worker never unwinds (task panics are caught), but don't turn a bug there
                // into a second panic during shutdown.
                let _ = thread.join();
            }
            // Workers already did this; repeat in case none was alive to do it.
            self.handle.owned.close_and_shutdown_all(0);
            self.handle.inject.close();
            // Every task is gone: sockets still alive (held outside the runtime) see errors,
            // owned-buffer ops still in flight are cancelled and reaped.
            if let Some(io) = self.handle.io() {
                io.shutdown();
            }
        } else {
            // Detach the stragglers: they finish their current poll, then clean up.
            self.threads.clear();
            drop(replacements);
        }
        all_exited
    }
}

impl Drop for MultiThread {
    fn drop(&mut self) {
        if !self.threads.is_empty() {
            self.shutdown(None);
        }
    }
}

impl Handle {
    pub(crate) fn owned(&self) -> &OwnedTasks {
        &self.owned
    }

    pub(crate) fn io(&self) -> Option<&Arc<crate::io::driver::Driver>> {
        self.config.io.as_ref()
    }

    pub(crate) fn inject_len(&self) -> usize {
        self.inject.len()
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(Acquire)
    }

    /// Queues a runnable task: locally when called on one of this runtime's workers (the LIFO
    /// slot while a task is being polled), otherwise through the injection queue.
    pub(crate) fn schedule_task(&self, task: Notified) {
        let task = match worker::try_schedule_local(self, task) {
            Ok(()) => return,
            Err(task) => task,
        };
        self.metrics.remote_schedules.incr_shared();
        self.inject.push(task);
        self.notify_parked();
    }

    /// Wakes one parked worker if nobody is searching for work already.
    pub(super) fn notify_parked(&self) {
        if let Some(index) = self.idle.worker_to_notify() {
            self.remotes[index].unpark.unpark();
        }
    }

    /// Wakes a worker if any queue holds work (the last searcher's re-check before parking).
    fn notify_if_work_pending(&self) {
        if self.has_queued_work() {
            self.notify_parked();
        }
    }

    /// Whether the injection queue or any worker's stealable queue holds a task.
    fn has_queued_work(&self) -> bool {
        !self.inject.is_empty() || self.remotes.iter().any(|remote| !remote.steal.is_empty())
    }

    /// Claims a spinning slot; false when enough workers spin already, or when the workers
    /// still running (plus the spinners) already occupy every CPU: a spin then only takes CPU
    /// time from a worker with tasks (4 workers on 2 CPUs). `caller_unparked`: the caller is
    /// a worker still counted as unparked (a searcher), so it does not count against itself.
    fn try_start_spinning(&self, caller_unparked: bool) -> bool {
        let mut current = self.spinners.load(Relaxed);
        let others_running = self.idle.num_unparked() - usize::from(caller_unparked);
        if others_running + current >= self.cpus {
            return false;
        }
        while current < self.max_spinners {
            match self
                .spinners
                .compare_exchange_weak(current, current + 1, Relaxed, Relaxed)
            {
                Ok(_) => return true,
                Err(actual) => current = actual,
            }
        }
        false
    }

    fn stop_spinning(&self) {
        self.spinners.fetch_sub(1, Relaxed);
    }

    fn shutdown(&self) {
        if self.shutdown.swap(true, AcqRel) {
            return;
        }
        for remote in self.remotes.iter() {
            remote.unpark.unpark();
        }
    }

    fn worker_exited(&self) {
        self.threads.lock().exited += 1;
        self.exited_condvar.notify_all();
    }

    /// Waits up to `timeout` (forever with `None`) for every started worker thread to exit
    /// but this one when `own` (this thread is one of them).
    fn wait_exited(&self, own: bool, timeout: Option<Duration>) -> bool {
        let deadline = timeout.map(|timeout| Instant::now() + timeout);
        let mut threads = self.threads.lock();
        while threads.exited + usize::from(own) < threads.started {
            threads = match deadline {
                None => self.exited_condvar.wait(threads),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return false;
                    }
                    self.exited_condvar.wait_timeout(threads, deadline - now).0
                }
            };
        }
        true
    }
}

#[cfg(all(test, not(blitz_loom)))]
mod tests {
    use std::time::{Duration, Instant};

    use crate::runtime::{scheduler, Builder};

    /// Searchers and parking workers both take spinning slots; a slot that was not given back
    /// would turn spinning off for good. After bursts of remote spawns (each wakes a worker that
    /// searches, spins and parks), every slot comes back once the workers are idle.
    #[test]
    fn spinning_slots_are_all_given_back_when_the_workers_go_idle() {
        let rt = Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        for _ in 0..200 {
            let handles: Vec<_> = (0..8).map(|_| rt.spawn(async {})).collect();
            rt.block_on(async {
                for handle in handles {
                    handle.await.unwrap();
                }
            });
        }
        let scheduler::Handle::MultiThread(handle) = &rt.handle().inner else {
            panic!("built a multi-thread runtime");
        };
        // Wait for conditions, not for a time: first both workers parked, then any spin that
        // is still running over (a spin lasts microseconds; the bound only stops a hang).
        let deadline = Instant::now() + Duration::from_secs(10);
        while handle.idle.num_parked() != 2 {
            assert!(Instant::now() < deadline, "the workers never went idle");
            std::thread::yield_now();
        }
        while handle.spinners.load(std::sync::atomic::Ordering::Relaxed) != 0 {
            assert!(
                Instant::now() < deadline,
                "a spinning slot was never given back"
            );
            std::thread::yield_now();
        }
    }
}
