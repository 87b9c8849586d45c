//! Configuring a runtime: the plain [`Config`] of the seed and the chainable [`Builder`].
//!
//! Every setting is checked in [`Builder::build`]; a bad value comes back as a [`BuildError`]
//! naming the field, never as a panic.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::park_hooks::ParkHooks;
use super::scheduler::multi_thread::MAX_WORKERS;
use super::{BuildError, Runtime};

/// Which I/O backend the runtime uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// io_uring where the kernel supports every operation used, otherwise mio. The environment
    /// variable `BLITZ_IO_BACKEND=io_uring|mio` overrides this choice.
    #[default]
    Auto,
    /// Completion-based I/O through io_uring (Linux).
    IoUring,
    /// Readiness-based I/O through mio: epoll, kqueue or IOCP.
    Mio,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Auto => "auto",
            Backend::IoUring => "io_uring",
            Backend::Mio => "mio",
        })
    }
}

/// The seed's runtime configuration, as plain data.
///
/// ```
/// use blitz_io::runtime::Config;
/// use std::time::Duration;
///
/// let rt = blitz_io::Runtime::with_config(Config {
///     num_workers: 2,
///     max_blocking_threads: 16,
///     blocking_keep_alive: Duration::from_secs(30),
///     ..Config::default()
/// })
/// .expect("a valid configuration");
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Scheduler worker threads; `0` means one per available CPU.
    pub num_workers: usize,
    /// The most threads the blocking pool may start (default 512).
    pub max_blocking_threads: usize,
    /// How long an idle blocking-pool thread lingers before it exits (default 10 s).
    pub blocking_keep_alive: Duration,
    /// The I/O backend (default [`Backend::Auto`]).
    pub backend: Backend,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            num_workers: 0,
            max_blocking_threads: 512,
            blocking_keep_alive: Duration::from_secs(10),
            backend: Backend::Auto,
        }
    }
}

/// The scheduler flavour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuntimeFlavor {
    /// Work-stealing across worker threads.
    MultiThread,
    /// Everything on the thread that calls `block_on`.
    CurrentThread,
}

pub(super) type Hook = Arc<dyn Fn() + Send + Sync>;
type NameFn = Arc<dyn Fn() -> String + Send + Sync>;

/// How runtime threads (workers and blocking-pool threads) are started.
#[derive(Clone)]
pub(crate) struct ThreadOptions {
    name: NameFn,
    stack_size: Option<usize>,
    on_start: Option<Hook>,
    on_stop: Option<Hook>,
}

impl ThreadOptions {
    pub(crate) fn builder(&self) -> std::thread::Builder {
        let builder = std::thread::Builder::new().name((self.name)());
        match self.stack_size {
            Some(size) => builder.stack_size(size),
            None => builder,
        }
    }

    /// Runs `body` between the start and stop hooks.
    ///
    /// A panicking start hook does not take the thread's work with it: the runtime already
    /// counts this thread (a worker that tasks are handed to, a pool thread that queued jobs
    /// and shutdown wait for), so skipping `body` would hang them. The body and the stop hook
    /// run anyway, and the hook's panic (reported by the panic hook when it happened) is
    /// resumed as the thread exits.
    ///
    /// The hooks and the body run with `runtime` entered, so a hook can use
    /// `Handle::current()`, as on Tokio.
    pub(crate) fn run_hooked(&self, runtime: &super::scheduler::Handle, body: impl FnOnce()) {
        let _current = super::context::set_current(runtime);
        let start_panic = self.on_start.as_ref().and_then(|hook| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook())).err()
        });
        body();
        if let Some(hook) = &self.on_stop {
            hook();
        }
        if let Some(payload) = start_panic {
            std::panic::resume_unwind(payload);
        }
    }
}

/// Scheduler tuning shared by both flavours.
#[derive(Clone, Debug)]
pub(crate) struct SchedulerConfig {
    /// Ticks between driver polls and maintenance.
    pub(crate) event_interval: u32,
    /// Ticks between global-queue checks; `None` adapts it (multi-thread) or uses 31
    /// (current-thread).
    pub(crate) global_queue_interval: Option<u32>,
    pub(crate) disable_lifo_slot: bool,
    /// The time driver's clock starts paused.
    pub(crate) start_paused: bool,
    /// The I/O driver (none under loom, whose models cannot block in the OS).
    pub(crate) io: Option<Arc<crate::io::driver::Driver>>,
    pub(crate) park_hooks: ParkHooks,
}

/// Builds a [`Runtime`] with custom settings.
///
/// ```
/// let rt = blitz_io::runtime::Builder::new_multi_thread()
///     .worker_threads(2)
///     .thread_name("my-worker")
///     .build()
///     .expect("valid settings");
/// assert_eq!(rt.block_on(async { 21 * 2 }), 42);
/// ```
pub struct Builder {
    flavor: RuntimeFlavor,
    config: Config,
    thread_name: NameFn,
    thread_stack_size: Option<usize>,
    on_thread_start: Option<Hook>,
    on_thread_stop: Option<Hook>,
    park_hooks: ParkHooks,
    event_interval: u32,
    global_queue_interval: Option<u32>,
    disable_lifo_slot: bool,
    start_paused: bool,
    max_io_events_per_tick: usize,
}

impl Builder {
    /// A builder for the multi-thread, work-stealing scheduler.
    pub fn new_multi_thread() -> Builder {
        Builder::new(RuntimeFlavor::MultiThread)
    }

    /// A builder for the current-thread scheduler.
    pub fn new_current_thread() -> Builder {
        Builder::new(RuntimeFlavor::CurrentThread)
    }

    fn new(flavor: RuntimeFlavor) -> Builder {
        Builder {
            flavor,
            config: Config::default(),
            thread_name: Arc::new(|| "blitz-io-worker".to_owned()),
            thread_stack_size: None,
            on_thread_start: None,
            on_thread_stop: None,
            park_hooks: ParkHooks::default(),
            event_interval: 61,
            global_queue_interval: None,
            disable_lifo_slot: false,
            start_paused: false,
            max_io_events_per_tick: crate::io::driver::DEFAULT_EVENTS_PER_TICK,
        }
    }

    /// Applies every field of a [`Config`].
    pub fn config(mut self, config: Config) -> Builder {
        self.config = config;
        self
    }

    /// Worker threads of the multi-thread scheduler; `0` (the default) means one per CPU. A
    /// current-thread builder ignores it.
    pub fn worker_threads(mut self, workers: usize) -> Builder {
        self.config.num_workers = workers;
        self
    }

    /// The most threads the blocking pool may start (default 512).
    pub fn max_blocking_threads(mut self, threads: usize) -> Builder {
        self.config.max_blocking_threads = threads;
        self
    }

    /// How long an idle blocking-pool thread lingers (default 10 s).
    pub fn thread_keep_alive(mut self, keep_alive: Duration) -> Builder {
        self.config.blocking_keep_alive = keep_alive;
        self
    }

    /// Kept for code written against Tokio's builder: does nothing, because every blitz-io
    /// runtime already has its I/O and time drivers (a runtime without them saves nothing
    /// worth a mode: the drivers cost no thread and no syscall until a socket or timer
    /// exists). The same holds for [`enable_io`](Self::enable_io) and
    /// [`enable_time`](Self::enable_time).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let rt = blitz_io::runtime::Builder::new_multi_thread()
    ///     .enable_all()
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async { blitz_io::time::sleep(Duration::from_millis(1)).await });
    /// ```
    pub fn enable_all(self) -> Builder {
        self
    }

    /// Does nothing: the I/O driver is always on (see [`enable_all`](Self::enable_all)).
    pub fn enable_io(self) -> Builder {
        self
    }

    /// Does nothing: the time driver is always on (see [`enable_all`](Self::enable_all)).
    pub fn enable_time(self) -> Builder {
        self
    }

    /// The I/O backend (default [`Backend::Auto`]).
    pub fn backend(mut self, backend: Backend) -> Builder {
        self.config.backend = backend;
        self
    }

    /// The name of every thread the runtime starts.
    pub fn thread_name(mut self, name: impl Into<String>) -> Builder {
        let name = name.into();
        self.thread_name = Arc::new(move || name.clone());
        self
    }

    /// A function that names each thread the runtime starts.
    ///
    /// It runs on the thread that starts the new one: in [`build`](Self::build) for the
    /// workers, in `spawn_blocking` for blocking-pool threads. If it panics, that call passes
    /// the panic on and leaves nothing behind: `build` stops the workers it already started,
    /// `spawn_blocking` does not spawn the job.
    pub fn thread_name_fn(mut self, name: impl Fn() -> String + Send + Sync + 'static) -> Builder {
        self.thread_name = Arc::new(name);
        self
    }

    /// Stack size of every thread the runtime starts.
    pub fn thread_stack_size(mut self, bytes: usize) -> Builder {
        self.thread_stack_size = Some(bytes);
        self
    }

    /// Runs on each runtime thread as it starts.
    pub fn on_thread_start(mut self, hook: impl Fn() + Send + Sync + 'static) -> Builder {
        self.on_thread_start = Some(Arc::new(hook));
        self
    }

    /// Runs on each runtime thread just before it exits.
    pub fn on_thread_stop(mut self, hook: impl Fn() + Send + Sync + 'static) -> Builder {
        self.on_thread_stop = Some(Arc::new(hook));
        self
    }

    /// Runs on a worker thread each time it runs out of tasks and is about to park (wait for
    /// new work, a timer or a socket). On a current-thread runtime it runs on the thread
    /// driving `block_on` when that parks. Blocking-pool threads never run it.
    ///
    /// The hook runs with the runtime entered, so it may spawn; a task it spawns or wakes is
    /// run before the worker parks (the worker then skips the park, and still runs
    /// [`on_thread_unpark`](Self::on_thread_unpark)). Keep it short: it runs on every park.
    /// A panic in it is reported by the panic hook and otherwise ignored; the worker goes on.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let parks = Arc::new(AtomicUsize::new(0));
    /// let counter = parks.clone();
    /// let rt = blitz_io::runtime::Builder::new_current_thread()
    ///     .on_thread_park(move || {
    ///         counter.fetch_add(1, Ordering::Relaxed);
    ///     })
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async {
    ///     // Nothing else to run: the driving thread parks until the timer fires.
    ///     blitz_io::time::sleep(std::time::Duration::from_millis(1)).await;
    /// });
    /// assert!(parks.load(Ordering::Relaxed) >= 1);
    /// ```
    pub fn on_thread_park(mut self, hook: impl Fn() + Send + Sync + 'static) -> Builder {
        self.park_hooks.before_park = Some(Arc::new(hook));
        self
    }

    /// Runs on a worker thread each time it returns from a park, before it looks for tasks:
    /// the counterpart of [`on_thread_park`](Self::on_thread_park), and called exactly once
    /// after each call of that hook. The same rules apply (workers and the current-thread
    /// driver only, runtime entered, panics ignored).
    pub fn on_thread_unpark(mut self, hook: impl Fn() + Send + Sync + 'static) -> Builder {
        self.park_hooks.after_unpark = Some(Arc::new(hook));
        self
    }

    /// Scheduler ticks between driver polls (default 61).
    pub fn event_interval(mut self, ticks: u32) -> Builder {
        self.event_interval = ticks;
        self
    }

    /// Fixes the ticks between global-queue checks (default: adaptive on the multi-thread
    /// scheduler, 31 on the current-thread one).
    pub fn global_queue_interval(mut self, ticks: u32) -> Builder {
        self.global_queue_interval = Some(ticks);
        self
    }

    /// The most readiness events the I/O driver takes from the OS in one turn (default 1024,
    /// as on Tokio); more wait for the next turn. A smaller value bounds how long one turn
    /// spends waking tasks, at the cost of more turns (syscalls) under heavy I/O. Must be at
    /// least 1: `build` returns [`BuildError::ZeroMaxIoEventsPerTick`] for 0.
    ///
    /// ```
    /// use blitz_io::runtime::{BuildError, Builder};
    ///
    /// let rt = Builder::new_multi_thread().max_io_events_per_tick(256).build();
    /// assert!(rt.is_ok());
    /// let zero = Builder::new_multi_thread().max_io_events_per_tick(0).build();
    /// assert!(matches!(zero, Err(BuildError::ZeroMaxIoEventsPerTick)));
    /// ```
    pub fn max_io_events_per_tick(mut self, events: usize) -> Builder {
        self.max_io_events_per_tick = events;
        self
    }

    /// Turns off the LIFO slot: spawned and woken tasks always go to the back of the queue.
    pub fn disable_lifo_slot(mut self) -> Builder {
        self.disable_lifo_slot = true;
        self
    }

    /// Starts the runtime with its clock paused (see [`time::pause`](crate::time::pause)):
    /// time moves only through [`time::advance`](crate::time::advance) and auto-advance to
    /// the next timer when every task is idle. Current-thread runtimes only; `build` returns
    /// [`BuildError::StartPausedMultiThread`] otherwise.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = blitz_io::runtime::Builder::new_current_thread()
    ///     .start_paused(true)
    ///     .build()
    ///     .unwrap();
    /// let slept = rt.block_on(async {
    ///     let start = blitz_io::time::Instant::now();
    ///     blitz_io::time::sleep(Duration::from_secs(60)).await;
    ///     start.elapsed()
    /// });
    /// assert_eq!(slept, Duration::from_secs(60));
    /// ```
    pub fn start_paused(mut self, paused: bool) -> Builder {
        self.start_paused = paused;
        self
    }

    /// Checks the settings and starts the runtime.
    pub fn build(self) -> Result<Runtime, BuildError> {
        let config = &self.config;
        if config.max_blocking_threads == 0 {
            return Err(BuildError::ZeroBlockingThreads);
        }
        // Only the multi-thread scheduler has workers; the current-thread one ignores the
        // count, as on Tokio.
        if self.flavor == RuntimeFlavor::MultiThread && config.num_workers > MAX_WORKERS {
            return Err(BuildError::TooManyWorkers {
                requested: config.num_workers,
                max: MAX_WORKERS,
            });
        }
        if self.event_interval == 0 {
            return Err(BuildError::ZeroEventInterval);
        }
        if self.global_queue_interval == Some(0) {
            return Err(BuildError::ZeroGlobalQueueInterval);
        }
        if self.max_io_events_per_tick == 0 {
            return Err(BuildError::ZeroMaxIoEventsPerTick);
        }
        if self.start_paused && self.flavor == RuntimeFlavor::MultiThread {
            return Err(BuildError::StartPausedMultiThread);
        }
        let io = if cfg!(blitz_loom) {
            None
        } else {
            let events = self.max_io_events_per_tick;
            Some(Arc::new(crate::io::driver::Driver::new(
                config.backend,
                events,
            )?))
        };
        let num_workers = match config.num_workers {
            0 => std::thread::available_parallelism()
                .map_or(1, usize::from)
                .min(MAX_WORKERS),
            n => n,
        };
        let threads = ThreadOptions {
            name: self.thread_name.clone(),
            stack_size: self.thread_stack_size,
            on_start: self.on_thread_start.clone(),
            on_stop: self.on_thread_stop.clone(),
        };
        let scheduler = SchedulerConfig {
            event_interval: self.event_interval,
            global_queue_interval: self.global_queue_interval,
            disable_lifo_slot: self.disable_lifo_slot,
            start_paused: self.start_paused,
            io,
            park_hooks: self.park_hooks,
        };
        Runtime::from_parts(self.flavor, num_workers, config, scheduler, threads)
            .map_err(BuildError::ThreadSpawn)
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("flavor", &self.flavor)
            .field("config", &self.config)
            .field("thread_stack_size", &self.thread_stack_size)
            .field("event_interval", &self.event_interval)
            .field("global_queue_interval", &self.global_queue_interval)
            .field("disable_lifo_slot", &self.disable_lifo_slot)
            .field("start_paused", &self.start_paused)
            .field("max_io_events_per_tick", &self.max_io_events_per_tick)
            .finish_non_exhaustive()
    }
}
