//! The workloads, each a faithful reproduction of a scheduler benchmark from Tokio's
//! repository, with Tokio's parameters, for both runtimes.
//!
//! Design:
//! - One submodule per Tokio benchmark. Its body is written once inside a `macro_rules!`
//!   and instantiated as `run_blitz` and `run_tokio`; the instantiations differ only in the
//!   runtime type and the paths of `spawn` and `yield_now`. One call performs one iteration of
//!   Tokio's `b.iter(..)` closure on a runtime the caller built (and may reuse).
//! - Where Tokio's benchmark uses `std::sync::mpsc` to signal completion, both sides use it;
//!   where it uses `tokio::sync::oneshot` inside tasks, both sides use Tokio's oneshot (it is
//!   runtime-agnostic); the `*_own_oneshot` and `chan_*` rows put blitz-io's own channels
//!   on its side.
//! - Every iteration checks its own result: the countdown reached zero, every `JoinHandle`
//!   returned `Ok`, every yielding task reported in. Waits on `std::sync::mpsc` give up after
//!   [`DEADLINE`] and panic with how much work was done, so a stuck runtime turns into a
//!   failure message rather than a silent hang.
//! - Two workloads keep the runtime busy in the background ([`Background`]); the caller starts
//!   that load once per runtime and stops it (waiting until every background task has left)
//!   before shutting the runtime down.
//!
//! Blitz-io's own workloads: `spawn_blocking_many` measures the blocking pool's per-job cost;
//! `timeout_ready`, `timeout_cancel`, `sleep_fire` and `sleep_many` the timers (see `time`). Classes follow the targets of the foundation issue: current-thread spawn,
//! `chained_spawn` and `yield_many` never park; `spawn_many_local`, `remote_busy1`,
//! `ping_pong` are multi-thread throughput; `threaded_scheduler_spawn`, `remote_idle` and
//! `remote_busy2` are park-dominated.
//!
//! The table of workloads (names, classes, parameters, origins) is in `list`.
//!
//! The `sync_*` workloads are not Tokio's: they reproduce the single-thread sync cases of the
//! Zig blitz-io harness (`bench/rust_bench/src/main.rs` there) with its parameters, against
//! `tokio::sync` in the same process.
//!
//! Deviations from Tokio's source, all applied identically to both sides: the completion
//! channel, countdown and handle vector are created per iteration instead of once per
//! benchmark (one or two extra allocations per iteration, against 1 000-10 000 tasks), and the
//! background tasks count themselves out when stopped.

mod blocking_many;
mod busy;
mod chained_spawn;
mod channel_api;
mod channel_broadcast_watch;
mod channel_mpmc;
mod channel_oneshot;
mod ct_spawn_many;
mod list;
mod ping_pong;
mod remote_spawn;
mod spawn_many_local;
mod sync_barrier;
mod sync_contended;
mod sync_notify;
mod sync_once_cell;
mod sync_try;
mod threaded_spawn;
mod time;
mod yield_many;

pub use list::all;

use std::fmt;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

/// How long a workload waits for its completion signal before declaring the runtime stuck.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// What dominates a workload's cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Work that, done right, keeps its thread busy: no thread needs to sleep per operation.
    NeverParks,
    /// Many independent tasks spread over all workers: queueing, stealing and wake-up
    /// throughput.
    MtThroughput,
    /// A chain of dependent hand-offs between threads: each step may wait for a parked thread
    /// to wake, so the OS park/unpark latency dominates.
    ParkDominated,
}

impl Class {
    /// The label used in reports.
    pub fn label(self) -> &'static str {
        match self {
            Class::NeverParks => "never parks",
            Class::MtThroughput => "MT throughput",
            Class::ParkDominated => "park-dominated",
        }
    }
}

/// Scheduler flavour and worker count, the same on both sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// The current-thread scheduler: tasks run on the thread that calls `block_on`.
    CurrentThread,
    /// The multi-thread, work-stealing scheduler with this many workers.
    MultiThread(usize),
}

impl Flavor {
    /// Short form: `ct`, `mt4`.
    pub fn short(self) -> String {
        match self {
            Flavor::CurrentThread => "ct".to_owned(),
            Flavor::MultiThread(n) => format!("mt{n}"),
        }
    }

    /// The worker column of reports: `ct` or the worker count.
    pub fn workers_label(self) -> String {
        match self {
            Flavor::CurrentThread => "ct".to_owned(),
            Flavor::MultiThread(n) => n.to_string(),
        }
    }

    fn workers(self) -> usize {
        match self {
            Flavor::CurrentThread => 1,
            Flavor::MultiThread(n) => n,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    SpawnManyLocal,
    SpawnManyRemoteIdle,
    SpawnManyRemoteBusy1,
    SpawnManyRemoteBusy2,
    PingPong,
    PingPongOwnOneshot,
    YieldMany,
    ChainedSpawn,
    CtSpawnManyLocal,
    ThreadedSchedulerSpawn,
    SpawnBlockingMany,
    BroadcastFanOut,
    WatchSendBorrow,
    SyncOnceCellGet,
    SyncOnceCellSet,
    SyncNotify,
    SyncBarrier,
    SyncMutexTry,
    SyncRwLockReadTry,
    SyncRwLockWriteTry,
    SyncSemaphoreTry,
    SyncMutexLock,
    SyncMutexContended,
    SyncRwLockContended,
    SyncSemaphoreContended,
    TimeoutReady,
    TimeoutCancel,
    SleepFire,
    SleepMany,
    ChanTrySend100k,
    ChanFillDrain100k,
    ChanRoundtripCap1,
    ChanOneshot,
    ChanMpmc4p4c,
    ChanMpmc4p4cAsyncChannel,
    ChanUncontendedBounded,
    ChanUncontendedUnbounded,
    ChanContentionBounded,
    ChanContentionBoundedFull,
    ChanContentionBoundedRecvMany,
    ChanContentionUnbounded,
    ChanRequestReply,
}

/// One benchmark workload at one flavour and worker count.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Tokio's name for the benchmark, e.g. `spawn_many_local`.
    pub name: &'static str,
    /// What dominates its cost.
    pub class: Class,
    /// Scheduler flavour and workers, the same for both runtimes.
    pub flavor: Flavor,
    /// Operations in one iteration (tasks spawned, ping-pongs, yields); per-op figures divide
    /// by this.
    pub ops_per_iter: u64,
    /// What one operation is, for reports.
    pub op: &'static str,
    /// The Tokio benchmark reproduced: file and function.
    pub origin: &'static str,
    /// Whether Tokio's benchmark builds its runtime with `enable_all()`.
    pub tokio_enable_all: bool,
    kind: Kind,
}

impl Workload {
    /// `name/flavour`, e.g. `spawn_many_local/mt4`: unique among [`all`].
    pub fn id(&self) -> String {
        format!("{}/{}", self.name, self.flavor.short())
    }

    /// A fresh blitz-io runtime for this workload.
    pub fn blitz_runtime(&self) -> blitz_io::Runtime {
        crate::runtimes::blitz(self.flavor)
    }

    /// A fresh Tokio runtime for this workload, configured as Tokio's benchmark does.
    pub fn tokio_runtime(&self) -> tokio::runtime::Runtime {
        crate::runtimes::tokio(self.flavor, self.tokio_enable_all)
    }

    /// Starts the workload's background load (if any) on a fresh blitz-io runtime.
    pub fn start_blitz(&self, rt: &blitz_io::Runtime) -> Background {
        let workers = self.flavor.workers();
        match self.kind {
            Kind::SpawnManyRemoteBusy1 => busy::start_yielders_blitz(rt, 2 * workers),
            Kind::SpawnManyRemoteBusy2 => busy::start_spawners_blitz(rt, workers),
            _ => Background::none(),
        }
    }

    /// Starts the workload's background load (if any) on a fresh Tokio runtime.
    pub fn start_tokio(&self, rt: &tokio::runtime::Runtime) -> Background {
        let workers = self.flavor.workers();
        match self.kind {
            Kind::SpawnManyRemoteBusy1 => busy::start_yielders_tokio(rt, 2 * workers),
            Kind::SpawnManyRemoteBusy2 => busy::start_spawners_tokio(rt, workers),
            _ => Background::none(),
        }
    }

    /// One iteration on blitz-io.
    ///
    /// # Panics
    /// When the runtime did less work than the workload asked for, or got stuck.
    pub fn run_blitz(&self, rt: &blitz_io::Runtime) {
        match self.kind {
            Kind::SpawnManyLocal => spawn_many_local::run_blitz(rt),
            Kind::SpawnManyRemoteIdle => remote_spawn::run_blitz(rt, remote_spawn::NUM_SPAWN),
            Kind::SpawnManyRemoteBusy1 => remote_spawn::run_blitz(rt, remote_spawn::NUM_SPAWN),
            Kind::SpawnManyRemoteBusy2 => {
                remote_spawn::run_blitz(rt, remote_spawn::NUM_SPAWN_BUSY2)
            }
            Kind::PingPong => ping_pong::run_blitz(rt),
            Kind::PingPongOwnOneshot => ping_pong::run_blitz_own_oneshot(rt),
            Kind::YieldMany => yield_many::run_blitz(rt),
            Kind::ChainedSpawn => chained_spawn::run_blitz(rt),
            Kind::CtSpawnManyLocal => ct_spawn_many::run_blitz(rt),
            Kind::ThreadedSchedulerSpawn => threaded_spawn::run_blitz(rt),
            Kind::SpawnBlockingMany => blocking_many::run_blitz(rt),
            Kind::BroadcastFanOut => channel_broadcast_watch::broadcast_blitz(rt),
            Kind::WatchSendBorrow => channel_broadcast_watch::watch_blitz(rt),
            Kind::SyncOnceCellGet => sync_once_cell::get_blitz(rt),
            Kind::SyncOnceCellSet => sync_once_cell::set_blitz(rt),
            Kind::SyncNotify => sync_notify::run_blitz(rt),
            Kind::SyncBarrier => sync_barrier::run_blitz(rt),
            Kind::SyncMutexTry => sync_try::blitz::mutex_try(rt),
            Kind::SyncRwLockReadTry => sync_try::blitz::rwlock_read_try(rt),
            Kind::SyncRwLockWriteTry => sync_try::blitz::rwlock_write_try(rt),
            Kind::SyncSemaphoreTry => sync_try::blitz::semaphore_try(rt),
            Kind::SyncMutexLock => sync_try::blitz::mutex_lock(rt),
            Kind::SyncMutexContended => sync_contended::blitz::mutex(rt),
            Kind::SyncRwLockContended => sync_contended::blitz::rwlock(rt),
            Kind::SyncSemaphoreContended => sync_contended::blitz::semaphore(rt),
            Kind::TimeoutReady => time::blitz::timeout_ready(rt),
            Kind::TimeoutCancel => match self.flavor {
                Flavor::CurrentThread => time::blitz::timeout_cancel(rt),
                Flavor::MultiThread(n) => time::blitz::timeout_cancel_parallel(rt, n),
            },
            Kind::SleepFire => time::blitz::sleep_fire(rt),
            Kind::SleepMany => time::blitz::sleep_many(rt),
            kind => run_channel_blitz(kind, rt),
        }
    }

    /// One iteration on Tokio.
    ///
    /// # Panics
    /// When the runtime did less work than the workload asked for, or got stuck.
    pub fn run_tokio(&self, rt: &tokio::runtime::Runtime) {
        match self.kind {
            Kind::SpawnManyLocal => spawn_many_local::run_tokio(rt),
            Kind::SpawnManyRemoteIdle => remote_spawn::run_tokio(rt, remote_spawn::NUM_SPAWN),
            Kind::SpawnManyRemoteBusy1 => remote_spawn::run_tokio(rt, remote_spawn::NUM_SPAWN),
            Kind::SpawnManyRemoteBusy2 => {
                remote_spawn::run_tokio(rt, remote_spawn::NUM_SPAWN_BUSY2)
            }
            Kind::PingPong | Kind::PingPongOwnOneshot => ping_pong::run_tokio(rt),
            Kind::YieldMany => yield_many::run_tokio(rt),
            Kind::ChainedSpawn => chained_spawn::run_tokio(rt),
            Kind::CtSpawnManyLocal => ct_spawn_many::run_tokio(rt),
            Kind::ThreadedSchedulerSpawn => threaded_spawn::run_tokio(rt),
            Kind::SpawnBlockingMany => blocking_many::run_tokio(rt),
            Kind::BroadcastFanOut => channel_broadcast_watch::broadcast_tokio(rt),
            Kind::WatchSendBorrow => channel_broadcast_watch::watch_tokio(rt),
            Kind::SyncOnceCellGet => sync_once_cell::get_tokio(rt),
            Kind::SyncOnceCellSet => sync_once_cell::set_tokio(rt),
            Kind::SyncNotify => sync_notify::run_tokio(rt),
            Kind::SyncBarrier => sync_barrier::run_tokio(rt),
            Kind::SyncMutexTry => sync_try::tokio_side::mutex_try(rt),
            Kind::SyncRwLockReadTry => sync_try::tokio_side::rwlock_read_try(rt),
            Kind::SyncRwLockWriteTry => sync_try::tokio_side::rwlock_write_try(rt),
            Kind::SyncSemaphoreTry => sync_try::tokio_side::semaphore_try(rt),
            Kind::SyncMutexLock => sync_try::tokio_side::mutex_lock(rt),
            Kind::SyncMutexContended => sync_contended::tokio_side::mutex(rt),
            Kind::SyncRwLockContended => sync_contended::tokio_side::rwlock(rt),
            Kind::SyncSemaphoreContended => sync_contended::tokio_side::semaphore(rt),
            Kind::TimeoutReady => time::tokio_side::timeout_ready(rt),
            Kind::TimeoutCancel => match self.flavor {
                Flavor::CurrentThread => time::tokio_side::timeout_cancel(rt),
                Flavor::MultiThread(n) => time::tokio_side::timeout_cancel_parallel(rt, n),
            },
            Kind::SleepFire => time::tokio_side::sleep_fire(rt),
            Kind::SleepMany => time::tokio_side::sleep_many(rt),
            Kind::ChanMpmc4p4cAsyncChannel => {
                channel_mpmc::async_channel_on_tokio::mpmc_4p4c(rt);
            }
            kind => run_channel_tokio(kind, rt),
        }
    }
}

macro_rules! run_channel {
    ($name:ident, $side:ident, $Runtime:ty) => {
        fn $name(kind: Kind, rt: &$Runtime) {
            use channel_mpmc::$side as m;
            use channel_oneshot::$side as o;
            match kind {
                Kind::ChanTrySend100k => m::try_send_100k(rt),
                Kind::ChanFillDrain100k => m::fill_drain_100k(rt),
                Kind::ChanRoundtripCap1 => m::roundtrip_cap1(rt),
                Kind::ChanOneshot => o::create_send_recv(rt),
                // The async-channel row's blitz-io side is the same workload.
                Kind::ChanMpmc4p4c | Kind::ChanMpmc4p4cAsyncChannel => m::mpmc_4p4c(rt),
                Kind::ChanUncontendedBounded => m::uncontended_bounded(rt),
                Kind::ChanUncontendedUnbounded => m::uncontended_unbounded(rt),
                Kind::ChanContentionBounded => m::contention_bounded(rt, 1_000_000, false),
                Kind::ChanContentionBoundedFull => m::contention_bounded(rt, 100, false),
                Kind::ChanContentionBoundedRecvMany => m::contention_bounded(rt, 1_000_000, true),
                Kind::ChanContentionUnbounded => m::contention_unbounded(rt),
                Kind::ChanRequestReply => o::request_reply(rt),
                other => unreachable!("{other:?} is not a channel workload"),
            }
        }
    };
}
run_channel!(run_channel_blitz, blitz, blitz_io::Runtime);
run_channel!(run_channel_tokio, tokio, tokio::runtime::Runtime);

/// Background load running on a runtime while a workload is measured.
///
/// [`stop`](Self::stop) it before shutting the runtime down; dropping it without `stop` only
/// asks the background tasks to finish and does not wait.
pub struct Background {
    busy: Option<Arc<busy::Busy>>,
}

impl Background {
    /// No background load.
    pub fn none() -> Background {
        Background { busy: None }
    }

    /// Asks the background tasks to finish and waits until every one of them has.
    ///
    /// # Panics
    /// When they have not all finished within [`DEADLINE`]: the runtime stopped running them.
    pub fn stop(mut self) {
        if let Some(busy) = self.busy.take() {
            busy.stop_and_wait();
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(busy) = &self.busy {
            busy.request_stop();
        }
    }
}

impl fmt::Debug for Background {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Background")
            .field("busy", &self.busy.is_some())
            .finish()
    }
}

/// Waits for a completion message, or panics after [`DEADLINE`] with `progress()` saying how
/// much work had been done.
fn recv_or_fail<T>(rx: &mpsc::Receiver<T>, progress: impl FnOnce() -> String) -> T {
    match rx.recv_timeout(DEADLINE) {
        Ok(value) => value,
        Err(error) => panic!("{} ({error:?} after {DEADLINE:?})", progress()),
    }
}
