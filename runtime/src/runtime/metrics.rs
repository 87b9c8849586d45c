//! Runtime counters, always on, read through [`RuntimeMetrics`].
//!
//! Each worker owns one cache-line-aligned block of counters. Only that worker writes them
//! (a relaxed load and store, no read-modify-write), and anyone may read them, so counting
//! costs a few uncontended stores per poll. Counters are monotonic; depths are sampled.
//!
//! Busy time is not measured per poll: a worker adds the stretch since its last stamp when
//! it parks, at its maintenance and when it stops, reusing the clock reads that the
//! multi-thread worker makes there anyway for its poll-time batches.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Counters of one worker (or of the current-thread scheduler's single thread).
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct WorkerMetrics {
    pub(crate) polls: Counter,
    pub(crate) steals: Counter,
    pub(crate) steal_operations: Counter,
    pub(crate) parks: Counter,
    pub(crate) sleeps: Counter,
    pub(crate) unparks: Counter,
    pub(crate) lifo_hits: Counter,
    pub(crate) global_queue_pops: Counter,
    pub(crate) forced_yields: Counter,
    pub(crate) overflows: Counter,
    pub(crate) local_schedules: Counter,
    pub(crate) local_queue_depth: Counter,
    /// Nanoseconds spent not parked, in the stretches flushed so far.
    pub(crate) busy_ns: Counter,
}

impl WorkerMetrics {
    /// Adds the busy stretch from `since` to `until`. Only the owning thread calls this.
    pub(crate) fn add_busy(&self, since: Instant, until: Instant) {
        let nanos = until.saturating_duration_since(since).as_nanos();
        self.busy_ns.add(u64::try_from(nanos).unwrap_or(u64::MAX));
    }
}

/// The busy clock of the current-thread driver: runs while a thread drives the scheduler and
/// is not parked, and adds each stretch to worker 0's busy time when it parks or stops
/// driving (a panic included).
pub(crate) struct BusyClock<'a> {
    metrics: &'a WorkerMetrics,
    /// When the running stretch started; `None` while parked.
    since: Cell<Option<Instant>>,
}

impl<'a> BusyClock<'a> {
    pub(crate) fn start(metrics: &'a WorkerMetrics) -> BusyClock<'a> {
        BusyClock {
            metrics,
            since: Cell::new(Some(Instant::now())),
        }
    }

    /// About to park: ends the running stretch.
    pub(crate) fn pause(&self) {
        if let Some(since) = self.since.take() {
            self.metrics.add_busy(since, Instant::now());
        }
    }

    /// Back from a park: starts a new stretch.
    pub(crate) fn resume(&self) {
        self.since.set(Some(Instant::now()));
    }
}

impl Drop for BusyClock<'_> {
    fn drop(&mut self) {
        self.pause();
    }
}

/// A counter written by one thread and read by any.
#[derive(Debug, Default)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    /// Adds one. Only the owning thread calls this, so a load and a store suffice.
    #[inline]
    pub(crate) fn incr(&self) {
        self.add(1);
    }

    #[inline]
    pub(crate) fn add(&self, n: u64) {
        self.0.store(self.0.load(Relaxed).wrapping_add(n), Relaxed);
    }

    /// Adds one from any thread.
    #[inline]
    pub(crate) fn incr_shared(&self) {
        self.0.fetch_add(1, Relaxed);
    }

    #[inline]
    pub(crate) fn set(&self, value: u64) {
        self.0.store(value, Relaxed);
    }

    pub(crate) fn get(&self) -> u64 {
        self.0.load(Relaxed)
    }
}

/// Everything a scheduler counts.
#[derive(Debug)]
pub(crate) struct SchedulerMetrics {
    pub(crate) workers: Box<[WorkerMetrics]>,
    /// Wakes and spawns that arrived from outside the scheduler's threads.
    pub(crate) remote_schedules: Counter,
}

impl SchedulerMetrics {
    pub(crate) fn new(num_workers: usize) -> SchedulerMetrics {
        SchedulerMetrics {
            workers: (0..num_workers).map(|_| WorkerMetrics::default()).collect(),
            remote_schedules: Counter::default(),
        }
    }
}

/// A view of a runtime's counters. Obtained from [`Runtime::metrics`](crate::Runtime::metrics)
/// or [`Handle::metrics`](crate::runtime::Handle::metrics); cheap to clone.
///
/// Worker indices run from `0` to [`num_workers`](Self::num_workers)` - 1`; the
/// current-thread scheduler reports one worker. Counters only grow; depths are snapshots.
///
/// ```
/// let rt = blitz_io::Runtime::builder().worker_threads(2).build().unwrap();
/// rt.block_on(async { blitz_io::task::spawn(async {}).await.unwrap() });
/// let metrics = rt.metrics();
/// let polls: u64 = (0..metrics.num_workers()).map(|i| metrics.worker_poll_count(i)).sum();
/// assert!(polls >= 1);
/// ```
#[derive(Clone)]
pub struct RuntimeMetrics {
    handle: super::scheduler::Handle,
}

impl RuntimeMetrics {
    pub(crate) fn new(handle: super::scheduler::Handle) -> RuntimeMetrics {
        RuntimeMetrics { handle }
    }

    fn metrics(&self) -> &SchedulerMetrics {
        self.handle.metrics()
    }

    fn worker(&self, worker: usize) -> &WorkerMetrics {
        let workers = &self.metrics().workers;
        workers.get(worker).unwrap_or_else(|| {
            panic!(
                "worker index {worker} is out of range: this runtime has {} workers",
                workers.len()
            )
        })
    }

    /// Number of scheduler worker threads (1 for the current-thread flavour).
    pub fn num_workers(&self) -> usize {
        self.metrics().workers.len()
    }

    /// Tasks alive in the runtime: spawned and not yet finished.
    pub fn num_alive_tasks(&self) -> usize {
        self.handle.owned().len()
    }

    /// Time `worker` spent not parked, summed over its life: running tasks, polling the
    /// drivers without blocking and looking for work. Useful with a wall-clock interval to
    /// tell how loaded a worker is.
    ///
    /// Time is added a stretch at a time, when the worker parks, at its periodic maintenance
    /// (every [`event_interval`](crate::runtime::Builder::event_interval) ticks) and when it
    /// stops, so a stretch still running shows up later. On the multi-thread scheduler the
    /// brief spin a worker makes inside its park, before sleeping, counts as parked.
    ///
    /// On the current-thread runtime worker `0` is whichever thread is driving the scheduler
    /// inside `block_on`: its busy time is the time spent in `block_on` minus the time parked
    /// there (it includes polling the `block_on` future itself). Time when no thread drives
    /// the runtime counts for nothing, and a stretch is added when the driver parks or
    /// leaves `block_on`.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let rt = blitz_io::runtime::Builder::new_current_thread().build().unwrap();
    /// let spun = rt.block_on(async {
    ///     let start = Instant::now();
    ///     while start.elapsed() < Duration::from_millis(5) {
    ///         std::hint::spin_loop();
    ///     }
    ///     start.elapsed()
    /// });
    /// assert!(rt.metrics().worker_total_busy_duration(0) >= spun);
    /// ```
    pub fn worker_total_busy_duration(&self, worker: usize) -> Duration {
        Duration::from_nanos(self.worker(worker).busy_ns.get())
    }

    /// Tasks spawned on the runtime since it was built: a count that only grows, unlike
    /// [`num_alive_tasks`](Self::num_alive_tasks). As on Tokio, it counts the async tasks
    /// (`spawn`, `Handle::spawn`, `JoinSet`, ...), not the closures given to
    /// `spawn_blocking`, which run on the blocking pool and never enter the scheduler; nor a
    /// task refused because the runtime was shutting down, nor a `block_on` future.
    ///
    /// ```
    /// let rt = blitz_io::runtime::Builder::new_current_thread().build().unwrap();
    /// rt.block_on(async {
    ///     for _ in 0..3 {
    ///         blitz_io::task::spawn(async {}).await.unwrap();
    ///     }
    ///     blitz_io::task::spawn_blocking(|| ()).await.unwrap();
    /// });
    /// let metrics = rt.metrics();
    /// assert_eq!(metrics.spawned_tasks_count(), 3);
    /// assert_eq!(metrics.num_alive_tasks(), 0);
    /// ```
    pub fn spawned_tasks_count(&self) -> u64 {
        self.handle.owned().spawned()
    }

    /// Task polls performed by `worker`.
    pub fn worker_poll_count(&self, worker: usize) -> u64 {
        self.worker(worker).polls.get()
    }

    /// Times `worker` went idle and parked (whether or not it then slept in the OS).
    pub fn worker_park_count(&self, worker: usize) -> u64 {
        self.worker(worker).parks.get()
    }

    /// Times `worker` actually slept in the OS (a park that the pre-sleep spin did not absorb).
    pub fn worker_sleep_count(&self, worker: usize) -> u64 {
        self.worker(worker).sleeps.get()
    }

    /// Times `worker` returned from a park.
    pub fn worker_unpark_count(&self, worker: usize) -> u64 {
        self.worker(worker).unparks.get()
    }

    /// Tasks `worker` stole from other workers.
    pub fn worker_steal_count(&self, worker: usize) -> u64 {
        self.worker(worker).steals.get()
    }

    /// Successful steal operations (each may move several tasks) by `worker`.
    pub fn worker_steal_operations(&self, worker: usize) -> u64 {
        self.worker(worker).steal_operations.get()
    }

    /// Tasks `worker` ran from its LIFO slot.
    pub fn worker_lifo_hit_count(&self, worker: usize) -> u64 {
        self.worker(worker).lifo_hits.get()
    }

    /// Tasks `worker` took from the global injection queue.
    pub fn worker_global_queue_pop_count(&self, worker: usize) -> u64 {
        self.worker(worker).global_queue_pops.get()
    }

    /// Yields forced on tasks of `worker` by an exhausted cooperative budget.
    pub fn worker_budget_forced_yield_count(&self, worker: usize) -> u64 {
        self.worker(worker).forced_yields.get()
    }

    /// Times `worker`'s local queue overflowed into the global queue.
    pub fn worker_overflow_count(&self, worker: usize) -> u64 {
        self.worker(worker).overflows.get()
    }

    /// Tasks scheduled by `worker` onto its own queue or LIFO slot.
    pub fn worker_local_schedule_count(&self, worker: usize) -> u64 {
        self.worker(worker).local_schedules.get()
    }

    /// Tasks in `worker`'s local queue when it last sampled it.
    pub fn worker_local_queue_depth(&self, worker: usize) -> usize {
        self.worker(worker).local_queue_depth.get() as usize
    }

    /// Wakes and spawns that came from outside the scheduler's threads.
    pub fn remote_schedule_count(&self) -> u64 {
        self.metrics().remote_schedules.get()
    }

    /// Tasks waiting in the global injection queue.
    pub fn global_queue_depth(&self) -> usize {
        match &self.handle {
            super::scheduler::Handle::MultiThread(h) => h.inject_len(),
            super::scheduler::Handle::CurrentThread(h) => h.inject_len(),
        }
    }

    /// Threads in the blocking pool, busy or idle.
    pub fn num_blocking_threads(&self) -> usize {
        self.handle.blocking_spawner().num_threads()
    }

    /// Idle threads in the blocking pool.
    pub fn num_idle_blocking_threads(&self) -> usize {
        self.handle.blocking_spawner().num_idle_threads()
    }

    /// Jobs queued in the blocking pool, not yet started.
    pub fn blocking_queue_depth(&self) -> usize {
        self.handle.blocking_spawner().queue_depth()
    }

    /// How many times the I/O driver was polled (blocking or not).
    pub fn io_driver_turn_count(&self) -> u64 {
        self.handle.io().map_or(0, |io| io.counts().0)
    }

    /// How many socket readiness events the I/O driver dispatched.
    pub fn io_driver_ready_count(&self) -> u64 {
        self.handle.io().map_or(0, |io| io.counts().1)
    }

    /// Owned-buffer operations (io_uring) whose completion never came before shutdown gave
    /// up waiting: their buffers were leaked on purpose, since the kernel may still write
    /// into them. Zero on mio.
    pub fn io_ops_leaked_count(&self) -> u64 {
        #[cfg(target_os = "linux")]
        if let Some(uring) = self.handle.io().and_then(|io| io.uring()) {
            return uring.ops.leaked() as u64;
        }
        0
    }

    /// `io_uring_enter` calls the I/O driver made: its turns (which submit what is queued
    /// and reap completions) plus the [submission-only ones](Self::io_uring_submit_enter_count).
    /// Zero on mio. Divided by the requests served, it says how well submissions batch.
    ///
    /// ```
    /// use blitz_io::runtime::{Backend, Builder};
    ///
    /// let rt = Builder::new_current_thread().backend(Backend::Auto).build().unwrap();
    /// rt.block_on(async { blitz_io::time::sleep(std::time::Duration::from_millis(1)).await });
    /// let metrics = rt.metrics();
    /// assert!(metrics.io_uring_submit_enter_count() <= metrics.io_uring_enter_count());
    /// if rt.handle().backend() == Backend::Mio {
    ///     assert_eq!(metrics.io_uring_enter_count(), 0);
    /// }
    /// ```
    pub fn io_uring_enter_count(&self) -> u64 {
        #[cfg(target_os = "linux")]
        if let Some(uring) = self.handle.io().and_then(|io| io.uring()) {
            return uring.enter_counts().0;
        }
        0
    }

    /// `io_uring_enter` calls made only to submit, outside the driver's turns: by threads
    /// that do not turn the driver (which submit each entry at once), by a worker about to
    /// park outside the driver, or because the submission queue was full. Entries pushed by
    /// the runtime's own scheduler threads normally ride on the driver's next turn instead.
    /// Zero on mio.
    pub fn io_uring_submit_enter_count(&self) -> u64 {
        #[cfg(target_os = "linux")]
        if let Some(uring) = self.handle.io().and_then(|io| io.uring()) {
            return uring.enter_counts().1;
        }
        0
    }

    /// Why `Backend::Auto` fell back from io_uring to mio, if it did.
    pub fn io_backend_fallback_reason(&self) -> Option<String> {
        self.handle
            .io()
            .and_then(|io| io.fallback_reason().map(str::to_owned))
    }

    /// Sum of [`worker_park_count`](Self::worker_park_count) over all workers.
    pub fn total_park_count(&self) -> u64 {
        self.metrics().workers.iter().map(|w| w.parks.get()).sum()
    }

    /// Sum of [`worker_poll_count`](Self::worker_poll_count) over all workers.
    pub fn total_poll_count(&self) -> u64 {
        self.metrics().workers.iter().map(|w| w.polls.get()).sum()
    }
}

impl std::fmt::Debug for RuntimeMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeMetrics")
            .field("num_workers", &self.num_workers())
            .field("num_alive_tasks", &self.num_alive_tasks())
            .field("spawned_tasks", &self.spawned_tasks_count())
            .field("total_polls", &self.total_poll_count())
            .field("total_parks", &self.total_park_count())
            .finish()
    }
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn check<T: Send + Sync>() {}
    check::<RuntimeMetrics>();
    check::<Arc<SchedulerMetrics>>();
}
