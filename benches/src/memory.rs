//! The "Memory" section of `BENCHMARKS.md`: what an idle task costs in heap bytes, and how big
//! the common futures and handles are, on both runtimes.
//!
//! Design:
//! - Idle tasks: on a fresh runtime of each [`Flavor`] in [`IDLE_FLAVORS`], from inside
//!   `block_on`, spawn [`IDLE_TASKS`] tasks that await `std::future::pending::<()>()` (the same
//!   future on both sides) and drop their `JoinHandle`s, then yield a few times so the workers
//!   poll them. The counting allocator ([`crate::alloc`]) is on from the first spawn to the end
//!   of the yields; bytes and allocations are divided by the task count. This includes the
//!   run-queue growth the spawns caused, which is part of what spawning an idle task costs.
//!   The runtime is then dropped (its shutdown cancels the pending tasks), outside the count.
//!   Only meaningful in a binary whose global allocator is [`crate::alloc::CountingAlloc`].
//! - Sizes: `size_of` of handles and of futures created but never polled. Futures blitz-io
//!   does not have yet are listed with Tokio's size beside "not yet".

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::alloc::{self, AllocCount};
use crate::workloads::Flavor;

/// Idle tasks spawned per measurement.
pub const IDLE_TASKS: usize = 10_000;
/// Flavours the idle-task cost is measured on.
pub const IDLE_FLAVORS: [Flavor; 2] = [Flavor::CurrentThread, Flavor::MultiThread(2)];
/// Yields after the spawns, so that the workers poll the tasks while counting is on.
const SETTLE_YIELDS: usize = 64;

/// Heap cost of idle tasks on one flavour, both sides.
#[derive(Debug, Clone, Copy)]
pub struct IdleTasks {
    /// Scheduler flavour and workers.
    pub flavor: Flavor,
    /// blitz-io's allocations over [`IDLE_TASKS`] spawns.
    pub blitz: AllocCount,
    /// Tokio's allocations over [`IDLE_TASKS`] spawns.
    pub tokio: AllocCount,
}

/// One row of the size table: a type, its size on each side (`None`: does not exist there).
#[derive(Debug, Clone)]
pub struct SizeRow {
    /// What is measured, as shown in the table.
    pub what: &'static str,
    /// `size_of` in blitz-io, or `None` when blitz-io has no such type yet.
    pub blitz: Option<usize>,
    /// `size_of` in Tokio, or `None` when this workspace's Tokio lacks it.
    pub tokio: Option<usize>,
    /// Shown in Tokio's column when `tokio` is `None` (blitz-io's missing types read "not yet").
    pub note: &'static str,
}

/// Everything the Memory section shows.
#[derive(Debug, Clone)]
pub struct Memory {
    /// Idle-task cost per flavour.
    pub idle: Vec<IdleTasks>,
    /// Sizes of handles and futures.
    pub sizes: Vec<SizeRow>,
    /// The sync primitives' own allocations.
    pub sync: Vec<crate::sync_allocs::SyncAllocs>,
}

macro_rules! idle_tasks {
    ($name:ident, $build:expr, $shutdown:expr, $spawn:path, $yield_now:path) => {
        fn $name(flavor: Flavor) -> AllocCount {
            let rt = $build(flavor);
            let ((), counted) = rt.block_on(alloc::count_async(async {
                for _ in 0..IDLE_TASKS {
                    drop($spawn(std::future::pending::<()>()));
                }
                for _ in 0..SETTLE_YIELDS {
                    $yield_now().await;
                }
            }));
            $shutdown(rt);
            counted
        }
    };
}

idle_tasks!(
    idle_blitz,
    crate::runtimes::blitz,
    drop,
    blitz_io::task::spawn,
    blitz_io::task::yield_now
);
// No drivers: the idle tasks need none, and `enable_all` would add the time driver's memory.
idle_tasks!(
    idle_tokio,
    |flavor| crate::runtimes::tokio(flavor, false),
    |rt: tokio::runtime::Runtime| rt.shutdown_timeout(std::time::Duration::from_secs(1)),
    tokio::spawn,
    tokio::task::yield_now
);

/// Sizes of handles and futures on both sides.
pub fn sizes() -> Vec<SizeRow> {
    use std::mem::{size_of, size_of_val};
    let tokio_mutex = tokio::sync::Mutex::new(());
    let (_tx, mut tokio_rx) = tokio::sync::mpsc::channel::<()>(1);
    let tokio_sleep = size_of::<tokio::time::Sleep>();
    let tokio_lock = size_of_val(&tokio_mutex.lock());
    let tokio_recv = size_of_val(&tokio_rx.recv());
    let blitz_sleep = size_of::<blitz_io::time::Sleep>();
    let (_mtx, blitz_mrx) = blitz_io::channel::mpmc::bounded::<()>(1);
    let blitz_recv = size_of_val(&blitz_mrx.recv());
    let (_btx, mut blitz_brx) = blitz_io::channel::broadcast::channel::<()>(1);
    let (_ttx, mut tokio_brx) = tokio::sync::broadcast::channel::<()>(1);
    let (_bwtx, mut blitz_wrx) = blitz_io::channel::watch::channel(());
    let (_twtx, mut tokio_wrx) = tokio::sync::watch::channel(());
    let broadcast_recv = (
        size_of_val(&blitz_brx.recv()),
        size_of_val(&tokio_brx.recv()),
    );
    let watch_changed = (
        size_of_val(&blitz_wrx.changed()),
        size_of_val(&tokio_wrx.changed()),
    );
    let (blitz_notify, tokio_notify) = (blitz_io::sync::Notify::new(), tokio::sync::Notify::new());
    let blitz_notified = size_of_val(&blitz_notify.notified());
    let tokio_notified = size_of_val(&tokio_notify.notified());
    let (blitz_barrier, tokio_barrier) = (
        blitz_io::sync::Barrier::new(2),
        tokio::sync::Barrier::new(2),
    );
    let blitz_barrier_wait = size_of_val(&blitz_barrier.wait());
    let tokio_barrier_wait = size_of_val(&tokio_barrier.wait());
    let blitz_cancelled = size_of_val(&blitz_io::sync::CancellationToken::new().cancelled());
    let blitz_mutex = blitz_io::sync::Mutex::new(());
    let blitz_lock = size_of_val(&blitz_mutex.lock());
    let (blitz_rwlock, tokio_rwlock) = (
        blitz_io::sync::RwLock::new(()),
        tokio::sync::RwLock::new(()),
    );
    let (blitz_sem, tokio_sem) = (
        blitz_io::sync::Semaphore::new(1),
        tokio::sync::Semaphore::new(1),
    );
    let blitz_write = size_of_val(&blitz_rwlock.write());
    let tokio_write = size_of_val(&tokio_rwlock.write());
    let blitz_acquire = size_of_val(&blitz_sem.acquire());
    let tokio_acquire = size_of_val(&tokio_sem.acquire());
    let row = |what, blitz, tokio| SizeRow {
        what,
        blitz: Some(blitz),
        tokio: Some(tokio),
        note: "",
    };
    vec![
        row(
            "`JoinHandle<()>`",
            size_of::<blitz_io::task::JoinHandle<()>>(),
            size_of::<tokio::task::JoinHandle<()>>(),
        ),
        row(
            "`task::yield_now()` future",
            size_of_val(&blitz_io::task::yield_now()),
            size_of_val(&tokio::task::yield_now()),
        ),
        row(
            "`task::spawn_blocking` handle (`JoinHandle<()>`)",
            size_of::<blitz_io::task::JoinHandle<()>>(),
            size_of::<tokio::task::JoinHandle<()>>(),
        ),
        row(
            "`AbortHandle`",
            size_of::<blitz_io::task::AbortHandle>(),
            size_of::<tokio::task::AbortHandle>(),
        ),
        row(
            "`JoinSet<()>`",
            size_of::<blitz_io::task::JoinSet<()>>(),
            size_of::<tokio::task::JoinSet<()>>(),
        ),
        row(
            "`broadcast::Receiver<()>::recv()` future",
            broadcast_recv.0,
            broadcast_recv.1,
        ),
        row(
            "`watch::Receiver<()>::changed()` future",
            watch_changed.0,
            watch_changed.1,
        ),
        row(
            "`Notify`",
            size_of::<blitz_io::sync::Notify>(),
            size_of::<tokio::sync::Notify>(),
        ),
        row(
            "`Notify::notified()` future",
            blitz_notified,
            tokio_notified,
        ),
        row(
            "`Barrier`",
            size_of::<blitz_io::sync::Barrier>(),
            size_of::<tokio::sync::Barrier>(),
        ),
        row(
            "`Barrier::wait()` future",
            blitz_barrier_wait,
            tokio_barrier_wait,
        ),
        row(
            "`OnceCell<u64>`",
            size_of::<blitz_io::sync::OnceCell<u64>>(),
            size_of::<tokio::sync::OnceCell<u64>>(),
        ),
        SizeRow {
            what: "`CancellationToken::cancelled()` future",
            blitz: Some(blitz_cancelled),
            tokio: None,
            note: "n/a (Tokio's token is in `tokio-util`, not a dependency here)",
        },
        row("`time::sleep` future (`Sleep`)", blitz_sleep, tokio_sleep),
        row("`Mutex<()>::lock()` future", blitz_lock, tokio_lock),
        row("`RwLock<()>::write()` future", blitz_write, tokio_write),
        row(
            "`Semaphore::acquire()` future",
            blitz_acquire,
            tokio_acquire,
        ),
        row(
            "`Mutex<()>`",
            size_of::<blitz_io::sync::Mutex<()>>(),
            size_of::<tokio::sync::Mutex<()>>(),
        ),
        SizeRow {
            what: "`recv()` future: blitz-io `mpmc::Receiver<()>`, Tokio `mpsc::Receiver<()>`",
            blitz: Some(blitz_recv),
            tokio: Some(tokio_recv),
            note: "different designs: MPMC ring vs MPSC list",
        },
        {
            let (blitz_accept, tokio_accept) = accept_sizes();
            row("`TcpListener::accept()` future", blitz_accept, tokio_accept)
        },
    ]
}

/// `size_of_val` of each side's `TcpListener::accept()` future (created, never polled), each
/// listener bound on loopback inside its own current-thread runtime.
fn accept_sizes() -> (usize, usize) {
    use std::mem::size_of_val;
    let blitz = crate::runtimes::blitz(Flavor::CurrentThread).block_on(async {
        let listener = blitz_io::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a blitz-io listener on loopback");
        let size = size_of_val(&listener.accept());
        size
    });
    let tokio = crate::runtimes::tokio(Flavor::CurrentThread, true).block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a Tokio listener on loopback");
        let size = size_of_val(&listener.accept());
        size
    });
    (blitz, tokio)
}

/// Runs the untimed memory pass: idle tasks on every flavour of [`IDLE_FLAVORS`], then sizes.
pub fn measure() -> Memory {
    let idle = IDLE_FLAVORS
        .iter()
        .map(|&flavor| IdleTasks {
            flavor,
            blitz: idle_blitz(flavor),
            tokio: idle_tokio(flavor),
        })
        .collect();
    Memory {
        idle,
        sizes: sizes(),
        sync: crate::sync_allocs::measure(),
    }
}

fn per_task(count: AllocCount) -> (f64, f64) {
    let n = IDLE_TASKS as f64;
    (count.bytes as f64 / n, count.allocs as f64 / n)
}

impl Memory {
    /// The section's markdown, starting with its `## Memory` heading.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            "## Memory\n\n\
             Untimed pass after the workloads, with the counting allocator. **Idle tasks:** from \
             inside `block_on`, spawn {IDLE_TASKS} tasks awaiting \
             `std::future::pending::<()>()` (the same future on both sides), drop their \
             `JoinHandle`s and yield {SETTLE_YIELDS} times so the workers poll them; bytes \
             requested from the allocator from the first spawn to the last yield, per task \
             (this includes run-queue growth; frees are not subtracted). Then the runtime is \
             shut down.\n\n\
             | flavour | blitz-io bytes/task | Tokio bytes/task | blitz-io allocs/task | \
             Tokio allocs/task |\n|---|---|---|---|---|\n"
        );
        for idle in &self.idle {
            let (bb, ba) = per_task(idle.blitz);
            let (tb, ta) = per_task(idle.tokio);
            let _ = writeln!(
                out,
                "| {} | {bb:.1} | {tb:.1} | {ba:.3} | {ta:.3} |",
                match idle.flavor {
                    Flavor::CurrentThread => "current-thread".to_owned(),
                    Flavor::MultiThread(n) => format!("multi-thread, {n} workers"),
                },
            );
        }
        out.push_str(
            "\n**Sizes** (`size_of`, bytes; futures created but not polled). \"not yet\": \
             blitz-io has no such future yet.\n\n| type | blitz-io | Tokio |\n|---|---|---|\n",
        );
        for row in &self.sizes {
            let blitz = row
                .blitz
                .map_or_else(|| "not yet".to_owned(), |v| v.to_string());
            let tokio = row
                .tokio
                .map_or_else(|| row.note.to_owned(), |v| v.to_string());
            let _ = writeln!(out, "| {} | {blitz} | {tokio} |", row.what);
        }
        out.push('\n');
        if !self.sync.is_empty() {
            out.push_str(&crate::sync_allocs::markdown(&self.sync));
        }
        out
    }

    /// The section as JSON, for `latest.json`.
    pub fn json(&self) -> Value {
        let idle: Vec<Value> = self
            .idle
            .iter()
            .map(|i| {
                json!({
                    "flavor": i.flavor.short(),
                    "tasks": IDLE_TASKS,
                    "blitz": { "bytes": i.blitz.bytes, "allocs": i.blitz.allocs },
                    "tokio": { "bytes": i.tokio.bytes, "allocs": i.tokio.allocs },
                })
            })
            .collect();
        let sizes: Vec<Value> = self
            .sizes
            .iter()
            .map(|r| json!({ "type": r.what, "blitz": r.blitz, "tokio": r.tokio }))
            .collect();
        let sync = crate::sync_allocs::json(&self.sync);
        json!({ "idle_tasks": idle, "sizes": sizes, "sync_allocations": sync })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_table_has_both_sides_for_every_future() {
        let memory = Memory {
            idle: vec![IdleTasks {
                flavor: Flavor::CurrentThread,
                blitz: AllocCount {
                    allocs: IDLE_TASKS as u64,
                    bytes: 128 * IDLE_TASKS as u64,
                },
                tokio: AllocCount::default(),
            }],
            sizes: sizes(),
            sync: Vec::new(),
        };
        let md = memory.markdown();
        assert!(md.starts_with("## Memory"));
        assert!(
            md.contains("| current-thread | 128.0 | 0.0 | 1.000 | 0.000 |"),
            "{md}"
        );
        assert!(md.contains("| `JoinHandle<()>` | "), "{md}");
        let sleep_row = md
            .lines()
            .find(|line| line.starts_with("| `time::sleep` future (`Sleep`) | "))
            .expect("a sleep row");
        assert!(!sleep_row.contains("not yet"), "{sleep_row}");
        assert!(memory.json()["sizes"]
            .as_array()
            .is_some_and(|a| !a.is_empty()));
    }
}
