//! The current-thread scheduler: every task runs on the thread that calls `block_on`.
//!
//! Tasks scheduled from that thread go to a plain local `VecDeque`; tasks scheduled from other
//! threads (wakes from the blocking pool, spawns through a `Handle`) go to a mutex-guarded
//! injection queue and unpark the driving thread. `block_on` alternates between the main
//! future (when its waker fired) and up to `event_interval` queued tasks, checking the
//! injection queue first every `global_queue_interval` ticks, and parks in the time driver
//! (until the next timer, or at once to the next one on a paused clock) when nothing is
//! runnable; between batches it fires due timers. Only one thread drives the scheduler at a time; a second concurrent `block_on`
//! just waits for its own future while the first thread runs the tasks.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll, Wake, Waker};

use crate::loom::sync::atomic::{AtomicBool, Ordering::*};
use crate::loom::sync::Mutex;
use crate::runtime::blocking;
use crate::runtime::builder::SchedulerConfig;
use crate::runtime::context;
use crate::runtime::metrics::{BusyClock, SchedulerMetrics, WorkerMetrics};
use crate::runtime::park::{Parked, Parker, Unparker, WakingParker};
use crate::runtime::scheduler::{self, Defer};
use crate::task::owned::OwnedTasks;
use crate::task::{self, Notified};
use crate::time;

/// State shared by the driving thread and every handle.
pub(crate) struct Handle {
    inject: Mutex<Option<VecDeque<Notified>>>,
    owned: OwnedTasks,
    /// Set when the main future's waker fires.
    woken: AtomicBool,
    unparker: Unparker,
    config: SchedulerConfig,
    pub(crate) blocking: blocking::Spawner,
    pub(crate) metrics: SchedulerMetrics,
    pub(crate) time: time::driver::Driver,
}

/// The part only the driving thread touches; parked here between `block_on` calls.
pub(crate) struct Core {
    tasks: VecDeque<Notified>,
    tick: u32,
    parker: Parker,
}

pub(crate) struct Context {
    handle: Arc<Handle>,
    core: RefCell<Option<Box<Core>>>,
    pub(crate) defer: Defer,
}

/// The runtime's ownership of the scheduler.
pub(crate) struct CurrentThread {
    handle: Arc<Handle>,
    core: Mutex<Option<Box<Core>>>,
    /// Threads in `block_on` waiting for the core; unparked when it is handed back.
    waiters: Mutex<Vec<Unparker>>,
}

impl CurrentThread {
    pub(crate) fn new(config: SchedulerConfig, blocking: blocking::Spawner) -> CurrentThread {
        let parker = Parker::new();
        let handle = Arc::new(Handle {
            inject: Mutex::new(Some(VecDeque::new())),
            owned: OwnedTasks::new(1),
            woken: AtomicBool::new(false),
            unparker: parker.unparker(),
            time: time::driver::Driver::new(config.start_paused, 1),
            config,
            blocking,
            metrics: SchedulerMetrics::new(1),
        });
        let core = Box::new(Core {
            tasks: VecDeque::with_capacity(64),
            tick: 0,
            parker,
        });
        CurrentThread {
            handle,
            core: Mutex::new(Some(core)),
            waiters: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn handle(&self) -> &Arc<Handle> {
        &self.handle
    }

    /// Drives the scheduler until `future` completes. When another thread is driving, this
    /// one polls only its own future and waits, either for that future's wake or for the
    /// scheduler to be handed back, and then takes over driving.
    pub(crate) fn block_on<F: Future>(&self, future: F) -> F::Output {
        let mut future = pin!(future);
        let mut waiting: Option<WakingParker> = None;
        loop {
            let core = self.core.lock().take();
            if let Some(core) = core {
                return self.drive(core, future.as_mut());
            }
            let WakingParker { parker, waker } = waiting.get_or_insert_with(WakingParker::new);
            // Register before the last look at the core: a driver leaving after that look
            // finds us in the list and unparks us.
            let mut waiters = self.waiters.lock();
            if !waiters.iter().any(|w| w.is_for(parker)) {
                waiters.push(parker.unparker());
            }
            drop(waiters);
            let polled = task::budget(|| future.as_mut().poll(&mut TaskContext::from_waker(waker)));
            if let Poll::Ready(output) = polled {
                return output;
            }
            if self.core.lock().is_none() {
                parker.park();
            }
        }
    }

    fn drive<F: Future>(&self, core: Box<Core>, future: Pin<&mut F>) -> F::Output {
        let cx = scheduler::Context::CurrentThread(Context {
            handle: self.handle.clone(),
            core: RefCell::new(None),
            defer: Defer::default(),
        });
        let scheduler::Context::CurrentThread(inner) = &cx else {
            unreachable!()
        };
        // Hand the core back (and wake threads waiting for it) even if the future panics.
        struct ReturnCore<'a> {
            cx: &'a Context,
            owner: &'a CurrentThread,
        }
        impl Drop for ReturnCore<'_> {
            fn drop(&mut self) {
                if let Some(mut core) = self.cx.core.borrow_mut().take() {
                    // Tasks that yielded during the last round must not be lost with this
                    // context: they wait in the core's queue for the next driver.
                    self.cx.defer.drain(|task| core.tasks.push_back(task));
                    *self.owner.core.lock() = Some(core);
                }
                // io_uring entries pushed by the last polls wait for this thread's next driver
                // poll, and it stops driving here: submit them.
                if let Some(io) = self.cx.handle.io() {
                    io.flush_submissions();
                }
                let waiters = std::mem::take(&mut *self.owner.waiters.lock());
                for waiter in waiters {
                    waiter.unpark();
                }
            }
        }
        let _return_core = ReturnCore {
            cx: inner,
            owner: self,
        };
        *inner.core.borrow_mut() = Some(core);
        context::set_scheduler(&cx, || inner.run(future))
    }

    /// Cancels every task and drops every queued reference.
    pub(crate) fn shutdown(&self) {
        let handle = &self.handle;
        handle.owned.close_and_shutdown_all(0);
        let core = self.core.lock().take();
        if let Some(mut core) = core {
            core.tasks.clear();
        }
        let inject = handle.inject.lock().take();
        drop(inject);
        if let Some(io) = handle.io() {
            io.shutdown();
        }
    }
}

impl Context {
    fn run<F: Future>(&self, mut future: Pin<&mut F>) -> F::Output {
        let handle = &self.handle;
        let waker = Waker::from(handle.clone());
        let mut task_cx = TaskContext::from_waker(&waker);
        handle.woken.store(true, Release);
        let metrics = &handle.metrics.workers[0];
        // Worker 0's busy time is this thread's time in here, less its parks.
        let busy = BusyClock::start(metrics);
        // Task polls (and rounds) since the I/O driver was last polled without blocking.
        let mut since_io_poll = 0u32;
        loop {
            if handle.woken.swap(false, AcqRel) {
                if let Poll::Ready(output) = task::budget(|| future.as_mut().poll(&mut task_cx)) {
                    return output;
                }
            }
            let mut idle = false;
            // Up to a batch of tasks per round even when the main future is already woken
            // again: a main future that keeps yielding must not starve the tasks.
            for _ in 0..handle.config.event_interval {
                let Some(task) = self.next_task() else {
                    idle = true;
                    break;
                };
                metrics.polls.incr();
                since_io_poll += 1;
                match task::budget(|| task.run()) {
                    task::Ran::Done => {}
                    task::Ran::Requeue(task) => self.push_local(task),
                    task::Ran::Defer(task) => self.defer.push(task),
                }
            }
            if idle && self.defer.is_empty() && !handle.woken.load(Acquire) {
                // The park hook may spawn (onto the local queue) or wake the main future:
                // then run those instead of parking on them, after firing the due timers and
                // polling the I/O driver as a park would have.
                let has_work = |_: &()| {
                    handle.woken.load(Acquire)
                        || self
                            .core
                            .borrow()
                            .as_ref()
                            .is_some_and(|c| !c.tasks.is_empty())
                };
                handle.config.park_hooks.around(
                    (),
                    has_work,
                    |()| self.park(metrics, &busy),
                    |()| {
                        handle.time.process();
                        if let Some(io) = handle.io() {
                            io.poll_now();
                        }
                    },
                );
            } else {
                // Fire the timers that are due, then the tasks that yielded go to the back of
                // the queue. The I/O driver costs a syscall, so it is polled when tasks yielded
                // (they wait for a driver poll) or once per `event_interval` polls, not after
                // every round: a ping-pong between the main future and a task would otherwise
                // pay one per message.
                handle.time.process();
                since_io_poll += 1;
                if since_io_poll >= handle.config.event_interval || !self.defer.is_empty() {
                    since_io_poll = 0;
                    if let Some(io) = handle.io() {
                        io.poll_now();
                    }
                }
                let mut core = self.core.borrow_mut();
                let core = core.as_mut().expect("current-thread core missing");
                self.defer.drain(|task| core.tasks.push_back(task));
            }
        }
    }

    fn next_task(&self) -> Option<Notified> {
        let mut core = self.core.borrow_mut();
        let core = core.as_mut().expect("current-thread core missing");
        core.tick = core.tick.wrapping_add(1);
        let interval = self.handle.config.global_queue_interval.unwrap_or(31);
        if core.tick.is_multiple_of(interval) {
            if let Some(task) = self.handle.pop_remote() {
                self.handle.metrics.workers[0].global_queue_pops.incr();
                return Some(task);
            }
        }
        if let Some(task) = core.tasks.pop_front() {
            return Some(task);
        }
        let task = self.handle.pop_remote()?;
        self.handle.metrics.workers[0].global_queue_pops.incr();
        Some(task)
    }

    fn push_local(&self, task: Notified) {
        let mut core = self.core.borrow_mut();
        core.as_mut()
            .expect("current-thread core missing")
            .tasks
            .push_back(task);
    }

    fn park(&self, metrics: &WorkerMetrics, busy: &BusyClock<'_>) {
        busy.pause();
        metrics.parks.incr();
        let core = self
            .core
            .borrow_mut()
            .take()
            .expect("current-thread core missing");
        // Wakes that arrive while parked (from other threads, or from timers fired by the
        // time driver here) go through the injection queue: the core is out of reach.
        if self.handle.time.park(&core.parker, true, self.handle.io()) == Parked::Slept {
            metrics.sleeps.incr();
        }
        metrics.unparks.incr();
        busy.resume();
        *self.core.borrow_mut() = Some(core);
    }

    pub(crate) fn note_forced_yield(&self) {
        self.handle.metrics.workers[0].forced_yields.incr();
    }

    #[cfg(target_os = "linux")]
    pub(crate) fn io(&self) -> Option<&Arc<crate::io::driver::Driver>> {
        self.handle.io()
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
        self.inject.lock().as_ref().map_or(0, VecDeque::len)
    }

    fn pop_remote(&self) -> Option<Notified> {
        self.inject.lock().as_mut()?.pop_front()
    }

    /// Queues a runnable task: locally on the driving thread, otherwise remotely.
    pub(crate) fn schedule(&self, task: Notified) {
        let task = context::with_scheduler(|cx| {
            if let Some(scheduler::Context::CurrentThread(cx)) = cx {
                if std::ptr::eq(Arc::as_ptr(&cx.handle), self) {
                    if let Some(core) = cx.core.borrow_mut().as_mut() {
                        self.metrics.workers[0].local_schedules.incr();
                        core.tasks.push_back(task);
                        return None;
                    }
                }
            }
            Some(task)
        });
        let Some(task) = task else { return };
        self.metrics.remote_schedules.incr_shared();
        let mut inject = self.inject.lock();
        match inject.as_mut() {
            Some(queue) => {
                queue.push_back(task);
                drop(inject);
                self.unparker.unpark();
            }
            // Shut down: the task was cancelled; release the reference outside the lock.
            None => {
                drop(inject);
                drop(task);
            }
        }
    }
}

impl Wake for Handle {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Release);
        self.unparker.unpark();
    }
}
