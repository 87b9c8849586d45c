//! The blocking pool's queue, threads and shutdown.

use std::collections::{HashMap, VecDeque};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};
use std::sync::Arc;
use std::thread::JoinHandle as ThreadHandle;
use std::time::{Duration, Instant};

use crate::loom::sync::{Condvar, Mutex};
use crate::runtime::builder::ThreadOptions;
use crate::runtime::{context, scheduler};
use crate::task::{self, Id, JoinHandle, Notified};
use crate::time::clock::AutoAdvanceInhibitor;

thread_local! {
    /// On a pool thread: its pool (the `Inner`'s address, only compared) and its thread id
    /// in that pool. Lets a shutdown that runs on one of the pool's own threads (a job that
    /// drops the runtime) leave that thread out of the threads it waits for and joins.
    static CURRENT_POOL_THREAD: std::cell::Cell<Option<(usize, usize)>> =
        const { std::cell::Cell::new(None) };
}

/// A queued job, and what keeps a paused clock from jumping ahead while it waits or runs:
/// the tasks waiting for it look idle to the scheduler. Released once the job has completed
/// (its handle woken) or was cancelled.
struct QueuedJob {
    task: Notified,
    inhibitor: AutoAdvanceInhibitor,
    /// Runs even when shutdown starts while it is queued (a file write that must land).
    mandatory: bool,
}

impl QueuedJob {
    /// Runs the job, then lets a paused clock jump. Only then: released when the closure
    /// returned, the clock could jump before the waiting task was woken, and a timeout around
    /// the handle fire early.
    fn run(self) {
        // A blocking job completes in its one poll, so nothing comes back to queue.
        let ran = self.task.run();
        debug_assert!(matches!(ran, task::Ran::Done));
        drop(ran);
        drop(self.inhibitor);
    }

    /// Cancels the job (its handle reports cancellation), then lets a paused clock jump.
    fn cancel(self) {
        self.task.shutdown();
        drop(self.inhibitor);
    }
}

/// Spawns jobs onto the pool; held by the scheduler handle.
#[derive(Clone)]
pub(crate) struct Spawner {
    inner: Arc<Inner>,
}

/// Owned by the runtime: shuts the pool down.
pub(crate) struct BlockingPool {
    spawner: Spawner,
}

struct Inner {
    shared: Mutex<Shared>,
    /// Idle threads wait here for jobs.
    condvar: Condvar,
    /// Shutdown waits here for threads to exit.
    exited: Condvar,
    max_threads: usize,
    keep_alive: Duration,
    threads: ThreadOptions,
}

struct Shared {
    queue: VecDeque<QueuedJob>,
    num_threads: usize,
    num_idle: usize,
    /// Notifications sent to idle threads and not yet taken up.
    num_notify: usize,
    shutdown: bool,
    next_thread_id: usize,
    handles: HashMap<usize, ThreadHandle<()>>,
}

impl BlockingPool {
    pub(crate) fn new(max_threads: usize, keep_alive: Duration, threads: ThreadOptions) -> Self {
        BlockingPool {
            spawner: Spawner {
                inner: Arc::new(Inner {
                    shared: Mutex::new(Shared {
                        queue: VecDeque::new(),
                        num_threads: 0,
                        num_idle: 0,
                        num_notify: 0,
                        shutdown: false,
                        next_thread_id: 0,
                        handles: HashMap::new(),
                    }),
                    condvar: Condvar::new(),
                    exited: Condvar::new(),
                    max_threads,
                    keep_alive,
                    threads,
                }),
            },
        }
    }

    pub(crate) fn spawner(&self) -> &Spawner {
        &self.spawner
    }

    /// Refuses new jobs, cancels queued ones except mandatory ones (the threads still run
    /// those) and waits up to `timeout` (forever with `None`) for running ones. Returns true
    /// when every thread exited.
    pub(crate) fn shutdown(&self, timeout: Option<Duration>) -> bool {
        let inner = &self.spawner.inner;
        let queued = {
            let mut shared = inner.shared.lock();
            shared.shutdown = true;
            let (mandatory, queued) = std::mem::take(&mut shared.queue)
                .into_iter()
                .partition(|job| job.mandatory);
            // A mandatory job was queued with a thread started or notified for it, and threads
            // empty the queue before they look at the shutdown flag: these still run.
            shared.queue = mandatory;
            queued
        };
        inner.condvar.notify_all();
        // Cancel outside the lock: a cancelled job's handle wakes its waiter.
        for job in queued {
            job.cancel();
        }
        // Called on one of this pool's threads (a job dropped the runtime): that thread exits
        // only after this returns, so wait for the others, and never join it.
        let own_thread = CURRENT_POOL_THREAD
            .try_with(std::cell::Cell::get)
            .ok()
            .flatten()
            .filter(|&(pool, _)| pool == Arc::as_ptr(inner) as usize)
            .map(|(_, id)| id);
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut shared = inner.shared.lock();
        if let Some(id) = own_thread {
            // Detached: it finishes its job and exits on its own.
            drop(shared.handles.remove(&id));
        }
        while shared.num_threads > usize::from(own_thread.is_some()) {
            match deadline {
                None => shared = inner.exited.wait(shared),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return false;
                    }
                    shared = inner.exited.wait_timeout(shared, deadline - now).0;
                }
            }
        }
        let handles: Vec<_> = shared.handles.drain().map(|(_, h)| h).collect();
        drop(shared);
        for handle in handles {
            // Pool threads catch job panics; a join error would be a pool bug, not worth a
            // second panic during shutdown.
            let _ = handle.join();
        }
        true
    }
}

impl Drop for BlockingPool {
    /// The runtime already shut the pool down (and waited as long as it was told to); this
    /// only covers a pool dropped without that, and never waits.
    fn drop(&mut self) {
        self.shutdown(Some(Duration::ZERO));
    }
}

impl Spawner {
    pub(crate) fn spawn<F, T>(
        &self,
        function: F,
        runtime: &scheduler::Handle,
        location: &'static Location<'static>,
    ) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.spawn_job(function, runtime, location, false)
    }

    /// As [`spawn`](Self::spawn), but once queued the job runs even if shutdown starts before
    /// a thread takes it: shutdown waits for it as for a running job. Still refused (its
    /// handle reports cancellation) when spawned after shutdown started.
    pub(crate) fn spawn_mandatory<F, T>(
        &self,
        function: F,
        runtime: &scheduler::Handle,
        location: &'static Location<'static>,
    ) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.spawn_job(function, runtime, location, true)
    }

    fn spawn_job<F, T>(
        &self,
        function: F,
        runtime: &scheduler::Handle,
        location: &'static Location<'static>,
        mandatory: bool,
    ) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let job = BlockingJob(Some(function));
        let (task, join) = task::new_blocking_task(job, Id::next(), location);
        let job = QueuedJob {
            task,
            inhibitor: AutoAdvanceInhibitor::new(runtime),
            mandatory,
        };
        if let Err(job) = self.push(job, runtime) {
            // Shut down (or no thread could be started): the job never runs and its handle
            // reports cancellation.
            job.cancel();
        }
        join
    }

    fn push(&self, job: QueuedJob, runtime: &scheduler::Handle) -> Result<(), QueuedJob> {
        let inner = &self.inner;
        let mut shared = inner.shared.lock();
        if shared.shutdown {
            return Err(job);
        }
        shared.queue.push_back(job);
        if shared.num_idle > shared.num_notify {
            shared.num_notify += 1;
            drop(shared);
            inner.condvar.notify_one();
            return Ok(());
        }
        if shared.num_threads >= inner.max_threads {
            // Every thread is busy; the job waits its turn.
            return Ok(());
        }
        // The user's name function runs here. If it panics, the job is not spawned after all:
        // take it back out (the lock kept anyone from popping it), cancel it, and let the
        // panic reach the caller. Left queued, it would run later on a thread started for
        // another job, or hold a paused clock until shutdown.
        let builder = match catch_unwind(AssertUnwindSafe(|| inner.threads.builder())) {
            Ok(builder) => builder,
            Err(payload) => {
                let job = shared.queue.pop_back().expect("the job just pushed");
                drop(shared);
                job.cancel();
                resume_unwind(payload);
            }
        };
        let id = shared.next_thread_id;
        shared.next_thread_id += 1;
        let spawner = self.clone();
        let runtime = runtime.clone();
        let options = inner.threads.clone();
        let spawned = builder.spawn(move || {
            options.run_hooked(&runtime.clone(), || spawner.run_thread(id, runtime))
        });
        match spawned {
            Ok(handle) => {
                shared.num_threads += 1;
                shared.handles.insert(id, handle);
                Ok(())
            }
            Err(_) if shared.num_threads > 0 => Ok(()),
            // No thread exists and none can be started: give the job back to be cancelled.
            Err(_) => Err(shared.queue.pop_back().expect("the job just pushed")),
        }
    }

    fn run_thread(&self, id: usize, runtime: scheduler::Handle) {
        // Jobs may use `Handle::current()` and spawn onto the runtime.
        let _current = context::set_current(&runtime);
        CURRENT_POOL_THREAD.set(Some((Arc::as_ptr(&self.inner) as usize, id)));
        drop(runtime);
        let inner = &self.inner;
        let mut shared = inner.shared.lock();
        'work: loop {
            while let Some(job) = shared.queue.pop_front() {
                drop(shared);
                job.run();
                shared = inner.shared.lock();
            }
            if shared.shutdown {
                break;
            }
            // Idle: wait for a job, at most `keep_alive` in total.
            shared.num_idle += 1;
            let deadline = Instant::now() + inner.keep_alive;
            loop {
                let now = Instant::now();
                if now < deadline {
                    shared = inner.condvar.wait_timeout(shared, deadline - now).0;
                }
                if shared.num_notify > 0 {
                    shared.num_notify -= 1;
                    shared.num_idle -= 1;
                    continue 'work;
                }
                if shared.shutdown {
                    // Back to the top: run what is queued (mandatory jobs) before exiting.
                    shared.num_idle -= 1;
                    continue 'work;
                }
                if Instant::now() >= deadline {
                    shared.num_idle -= 1;
                    if shared.queue.is_empty() {
                        // Exit for idleness: detach our own handle, nobody will join it.
                        shared.handles.remove(&id);
                        break 'work;
                    }
                    continue 'work;
                }
                // A spurious wake: keep waiting.
            }
        }
        shared.num_threads -= 1;
        drop(shared);
        // Every exit, not only the last: a shutdown running on a pool thread waits for the
        // count to reach one (itself).
        inner.exited.notify_all();
    }

    pub(crate) fn num_threads(&self) -> usize {
        self.inner.shared.lock().num_threads
    }

    pub(crate) fn num_idle_threads(&self) -> usize {
        self.inner.shared.lock().num_idle
    }

    pub(crate) fn queue_depth(&self) -> usize {
        self.inner.shared.lock().queue.len()
    }
}

/// A closure as a future that runs it on its first poll. No cooperative budget applies: it
/// runs on a pool thread, where it cannot starve other tasks.
struct BlockingJob<F>(Option<F>);

impl<F> Unpin for BlockingJob<F> {}

impl<F, T> std::future::Future for BlockingJob<F>
where
    F: FnOnce() -> T,
{
    type Output = T;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<T> {
        let function = self
            .0
            .take()
            .expect("a blocking job is polled once: it always completes");
        std::task::Poll::Ready(function())
    }
}
