//! The table of workloads: every row of the report, with its name, class, flavour,
//! parameters and the benchmark it reproduces, in report order.

use super::{
    blocking_many, chained_spawn, channel_broadcast_watch, channel_mpmc, channel_oneshot,
    ct_spawn_many, ping_pong, remote_spawn, spawn_many_local, sync_barrier, sync_contended,
    sync_notify, sync_once_cell, sync_try, time, yield_many, Class, Flavor, Kind, Workload,
};

/// Every workload, in report order: the multi-thread workloads at 4 workers (Tokio's
/// parameter) and at 2 (this machine's cores), then the current-thread and 1-worker cases.
pub fn all() -> Vec<Workload> {
    let mut list = Vec::new();
    let mt = |kind, name, class, ops, op, origin, workers| Workload {
        name,
        class,
        flavor: Flavor::MultiThread(workers),
        ops_per_iter: ops,
        op,
        origin,
        tokio_enable_all: true,
        kind,
    };
    let multi = [
        (
            Kind::SpawnManyLocal,
            "spawn_many_local",
            Class::MtThroughput,
            spawn_many_local::NUM_SPAWN as u64,
            "spawned task",
            "rt_multi_threaded.rs: rt_multi_spawn_many_local",
        ),
        (
            Kind::SpawnManyRemoteIdle,
            "spawn_many_remote_idle",
            Class::ParkDominated,
            remote_spawn::NUM_SPAWN as u64,
            "spawned task",
            "rt_multi_threaded.rs: rt_multi_spawn_many_remote_idle",
        ),
        (
            Kind::SpawnManyRemoteBusy1,
            "spawn_many_remote_busy1",
            Class::MtThroughput,
            remote_spawn::NUM_SPAWN as u64,
            "spawned task",
            "rt_multi_threaded.rs: rt_multi_spawn_many_remote_busy1",
        ),
        (
            Kind::SpawnManyRemoteBusy2,
            "spawn_many_remote_busy2",
            Class::ParkDominated,
            remote_spawn::NUM_SPAWN_BUSY2 as u64,
            "spawned task",
            "rt_multi_threaded.rs: rt_multi_spawn_many_remote_busy2",
        ),
        (
            Kind::PingPong,
            "ping_pong",
            Class::MtThroughput,
            ping_pong::NUM_PINGS as u64,
            "ping-pong",
            "rt_multi_threaded.rs: rt_multi_ping_pong",
        ),
        (
            Kind::YieldMany,
            "yield_many",
            Class::NeverParks,
            (yield_many::TASKS * yield_many::NUM_YIELD) as u64,
            "yield",
            "rt_multi_threaded.rs: rt_multi_yield_many",
        ),
        (
            Kind::ChainedSpawn,
            "chained_spawn",
            Class::NeverParks,
            chained_spawn::ITER as u64,
            "chained spawn",
            "rt_multi_threaded.rs: rt_multi_chained_spawn",
        ),
        (
            Kind::SpawnBlockingMany,
            "spawn_blocking_many",
            Class::MtThroughput,
            blocking_many::JOBS as u64,
            "blocking job",
            "blitz-io's own: the blocking pool's per-job cost",
        ),
    ];
    for (kind, name, class, ops, op, origin) in multi {
        for workers in [4, 2] {
            list.push(mt(kind, name, class, ops, op, origin, workers));
        }
    }
    list.push(Workload {
        name: "spawn_many_local",
        class: Class::NeverParks,
        flavor: Flavor::CurrentThread,
        ops_per_iter: ct_spawn_many::NUM_SPAWN as u64,
        op: "spawned task",
        origin: "rt_current_thread.rs: rt_curr_spawn_many_local",
        tokio_enable_all: false,
        kind: Kind::CtSpawnManyLocal,
    });
    let sync_one_thread = [
        (Kind::SyncMutexTry, "sync_mutex_try", "try_lock + unlock"),
        (
            Kind::SyncRwLockReadTry,
            "sync_rwlock_read_try",
            "try_read + unlock",
        ),
        (
            Kind::SyncRwLockWriteTry,
            "sync_rwlock_write_try",
            "try_write + unlock",
        ),
        (
            Kind::SyncSemaphoreTry,
            "sync_semaphore_try",
            "try_acquire + release",
        ),
        (
            Kind::SyncMutexLock,
            "sync_mutex_lock",
            "lock().await + unlock",
        ),
    ];
    for (kind, name, op) in sync_one_thread {
        list.push(Workload {
            name,
            class: Class::NeverParks,
            flavor: Flavor::CurrentThread,
            ops_per_iter: sync_try::OPS as u64,
            op,
            origin: "the Zig original's sync cases (1M ops, 1 thread)",
            tokio_enable_all: false,
            kind,
        });
    }
    let sync_contended = [
        (
            Kind::SyncMutexContended,
            "sync_mutex_contended",
            (sync_contended::MUTEX_TASKS * sync_contended::MUTEX_OPS) as u64,
            "lock().await + unlock",
        ),
        (
            Kind::SyncRwLockContended,
            "sync_rwlock_contended",
            ((sync_contended::RW_READERS + sync_contended::RW_WRITERS) * sync_contended::RW_OPS)
                as u64,
            "read or write + unlock",
        ),
        (
            Kind::SyncSemaphoreContended,
            "sync_semaphore_contended",
            (sync_contended::SEM_TASKS * sync_contended::SEM_OPS) as u64,
            "acquire().await + release",
        ),
    ];
    for (kind, name, ops, op) in sync_contended {
        for workers in [4, 2] {
            list.push(Workload {
                name,
                class: Class::MtThroughput,
                flavor: Flavor::MultiThread(workers),
                ops_per_iter: ops,
                op,
                origin: "the Zig original's contended sync cases",
                tokio_enable_all: true,
                kind,
            });
        }
    }
    list.push(Workload {
        name: "threaded_scheduler_spawn",
        class: Class::ParkDominated,
        flavor: Flavor::MultiThread(1),
        ops_per_iter: 1,
        op: "spawn + join",
        origin: "spawn.rs: threaded_scheduler_spawn",
        tokio_enable_all: false,
        kind: Kind::ThreadedSchedulerSpawn,
    });
    list.push(Workload {
        name: "broadcast_fan_out",
        class: Class::NeverParks,
        flavor: Flavor::CurrentThread,
        ops_per_iter: channel_broadcast_watch::BROADCAST_VALUES as u64,
        op: "value sent to 4 receivers",
        origin: "the Zig original's channel suite: broadcast, capacity 100k, 4 receivers",
        tokio_enable_all: false,
        kind: Kind::BroadcastFanOut,
    });
    list.push(Workload {
        name: "watch_send_borrow",
        class: Class::NeverParks,
        flavor: Flavor::CurrentThread,
        ops_per_iter: channel_broadcast_watch::WATCH_ROUNDS as u64,
        op: "send + borrow",
        origin: "the Zig original's channel suite: watch send + borrow",
        tokio_enable_all: false,
        kind: Kind::WatchSendBorrow,
    });
    list.extend(sync_b());
    let timer = |kind, name, class, flavor, ops, op, origin| Workload {
        name,
        class,
        flavor,
        ops_per_iter: ops,
        op,
        origin,
        // Tokio's timers need its time driver.
        tokio_enable_all: true,
        kind,
    };
    list.extend([
        timer(
            Kind::TimeoutReady,
            "timeout_ready",
            Class::NeverParks,
            Flavor::CurrentThread,
            time::TIMEOUTS as u64,
            "timeout (create+drop)",
            "blitz-io's own (time issue): timeout create+drop without firing",
        ),
        timer(
            Kind::TimeoutCancel,
            "timeout_cancel",
            Class::NeverParks,
            Flavor::CurrentThread,
            time::TIMEOUTS as u64,
            "timeout (register+cancel)",
            "blitz-io's own (time issue): timer inserted, then dropped",
        ),
        timer(
            Kind::TimeoutCancel,
            "timeout_cancel",
            Class::MtThroughput,
            Flavor::MultiThread(2),
            time::TIMEOUTS as u64,
            "timeout (register+cancel)",
            "blitz-io's own (time issue): every worker inserts and unlinks at once",
        ),
        timer(
            Kind::SleepFire,
            "sleep_fire",
            Class::ParkDominated,
            Flavor::MultiThread(2),
            time::FIRE_SLEEPS as u64,
            "1 ms sleep",
            "blitz-io's own (time issue): sleep create+fire",
        ),
        timer(
            Kind::SleepMany,
            "sleep_many",
            Class::MtThroughput,
            Flavor::MultiThread(2),
            time::MANY_SLEEPS as u64,
            "concurrent sleep",
            "blitz-io's own (time issue): 200k concurrent sleeps (1M: the `sleep_million` binary, Timers section)",
        ),
    ]);
    channel_workloads(&mut list);
    list
}

/// The sync primitives' single-thread cases of the Zig blitz-io harness
/// (`bench/rust_bench/src/main.rs`), at its parameters: 1 000 000 ops per iteration, one
/// thread, a new primitive per op where the harness does so. The awaited cases run inside
/// `block_on` on a current-thread runtime on both sides.
fn sync_b() -> Vec<Workload> {
    let case = |kind, name, ops: usize, op, origin| Workload {
        name,
        class: Class::NeverParks,
        flavor: Flavor::CurrentThread,
        ops_per_iter: ops as u64,
        op,
        origin,
        tokio_enable_all: false,
        kind,
    };
    vec![
        case(
            Kind::SyncOnceCellGet,
            "sync_oncecell_get",
            sync_once_cell::OPS,
            "get on a set cell",
            "Zig harness rust_bench/src/main.rs: bench_oncecell_get",
        ),
        case(
            Kind::SyncOnceCellSet,
            "sync_oncecell_set",
            sync_once_cell::OPS,
            "new cell + set",
            "Zig harness rust_bench/src/main.rs: bench_oncecell_set",
        ),
        case(
            Kind::SyncNotify,
            "sync_notify",
            sync_notify::OPS,
            "new Notify + notify_one + notified().await",
            "Zig harness rust_bench/src/main.rs: bench_notify",
        ),
        case(
            Kind::SyncBarrier,
            "sync_barrier",
            sync_barrier::OPS,
            "new Barrier(1) + wait().await",
            "Zig harness rust_bench/src/main.rs: bench_barrier",
        ),
    ]
}

/// The `chan_*` rows: blitz-io's channels against Tokio's.
fn channel_workloads(list: &mut Vec<Workload>) {
    use channel_mpmc::{BIG, CONTENTION_TASKS, MPMC_MESSAGES, PER_TASK, ROUND_TRIPS};
    let mpsc = "sync_mpsc.rs";
    let rows: [(Kind, &str, Class, Flavor, usize, &str, &str); 16] = [
        (
            Kind::ChanTrySend100k,
            "chan_try_send_100k",
            Class::NeverParks,
            Flavor::CurrentThread,
            BIG,
            "try_send",
            "Zig original: send 100k into cap 100k",
        ),
        (
            Kind::ChanFillDrain100k,
            "chan_fill_drain_100k",
            Class::NeverParks,
            Flavor::CurrentThread,
            BIG,
            "try_send + try_recv",
            "Zig original: recv 100k",
        ),
        (
            Kind::ChanRoundtripCap1,
            "chan_roundtrip_cap1",
            Class::NeverParks,
            Flavor::CurrentThread,
            ROUND_TRIPS,
            "round trip",
            "Zig original: roundtrip cap 1",
        ),
        (
            Kind::ChanOneshot,
            "chan_oneshot",
            Class::NeverParks,
            Flavor::CurrentThread,
            channel_oneshot::ONESHOTS,
            "create + send + recv",
            "Zig original: oneshot create+send+recv",
        ),
        (
            Kind::ChanMpmc4p4c,
            "chan_mpmc_4p4c",
            Class::MtThroughput,
            Flavor::MultiThread(4),
            MPMC_MESSAGES,
            "message",
            "Zig original: MPMC 4+4, cap 1000 (Tokio: mpsc + shared receiver in a Mutex)",
        ),
        (
            Kind::ChanMpmc4p4cAsyncChannel,
            "chan_mpmc_4p4c_async_channel",
            Class::MtThroughput,
            Flavor::MultiThread(4),
            MPMC_MESSAGES,
            "message",
            "MPMC 4+4, cap 1000; the Tokio column is the async-channel crate on Tokio's runtime",
        ),
        (
            Kind::ChanUncontendedBounded,
            "chan_uncontended_bounded",
            Class::NeverParks,
            Flavor::MultiThread(4),
            PER_TASK,
            "send + recv",
            mpsc,
        ),
        (
            Kind::ChanUncontendedUnbounded,
            "chan_uncontended_unbounded",
            Class::NeverParks,
            Flavor::MultiThread(4),
            PER_TASK,
            "send + recv",
            mpsc,
        ),
        (
            Kind::ChanContentionBounded,
            "chan_contention_bounded",
            Class::MtThroughput,
            Flavor::MultiThread(4),
            CONTENTION_TASKS * PER_TASK,
            "message",
            mpsc,
        ),
        (
            Kind::ChanContentionBoundedFull,
            "chan_contention_bounded_full",
            Class::MtThroughput,
            Flavor::MultiThread(4),
            CONTENTION_TASKS * PER_TASK,
            "message",
            mpsc,
        ),
        (
            Kind::ChanContentionBoundedRecvMany,
            "chan_contention_bounded_recv_many",
            Class::MtThroughput,
            Flavor::MultiThread(4),
            CONTENTION_TASKS * PER_TASK,
            "message",
            mpsc,
        ),
        (
            Kind::ChanContentionUnbounded,
            "chan_contention_unbounded",
            Class::MtThroughput,
            Flavor::MultiThread(4),
            CONTENTION_TASKS * PER_TASK,
            "message",
            mpsc,
        ),
        (
            Kind::PingPongOwnOneshot,
            "ping_pong_own_oneshot",
            Class::MtThroughput,
            Flavor::MultiThread(4),
            ping_pong::NUM_PINGS,
            "ping-pong",
            "rt_multi_threaded.rs: rt_multi_ping_pong, blitz-io side on its own oneshot",
        ),
        (
            Kind::PingPongOwnOneshot,
            "ping_pong_own_oneshot",
            Class::MtThroughput,
            Flavor::MultiThread(2),
            ping_pong::NUM_PINGS,
            "ping-pong",
            "rt_multi_threaded.rs: rt_multi_ping_pong, blitz-io side on its own oneshot",
        ),
        (
            Kind::ChanRequestReply,
            "chan_request_reply",
            Class::NeverParks,
            Flavor::CurrentThread,
            channel_oneshot::REQUESTS,
            "request + reply",
            "sync_mpsc_oneshot.rs",
        ),
        (
            Kind::ChanRequestReply,
            "chan_request_reply",
            Class::ParkDominated,
            Flavor::MultiThread(1),
            channel_oneshot::REQUESTS,
            "request + reply",
            "sync_mpsc_oneshot.rs",
        ),
    ];
    for (kind, name, class, flavor, ops, op, origin) in rows {
        list.push(Workload {
            name,
            class,
            flavor,
            ops_per_iter: ops as u64,
            op,
            origin,
            tokio_enable_all: false,
            kind,
        });
    }
}
