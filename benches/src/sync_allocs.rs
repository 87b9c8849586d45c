//! The sync primitives' allocations, apart from task spawns: part of the Memory section.
//!
//! Design: with the counting allocator on, (a) construct each primitive [`CONSTRUCTIONS`]
//! times, and (b) run [`WAITS`] contended waits polled by hand: a holder holds the primitive,
//! a waiting future is polled once (it queues its node), the holder releases (handing the
//! permits over and waking the waiter) and the future is polled again to take them. The waker
//! is `Waker::noop()`, so waking costs nothing on either side and every allocation counted is
//! the primitive's own. Contended rows of the workload table also count the spawns of their
//! tasks; this pass is what isolates the primitives.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use serde_json::{json, Value};

use crate::alloc::{self, AllocCount};

/// Constructions counted per primitive.
pub const CONSTRUCTIONS: usize = 1_000;
/// Contended waits counted per primitive.
pub const WAITS: usize = 1_000;

/// One primitive's allocations on both sides.
#[derive(Debug, Clone, Copy)]
pub struct SyncAllocs {
    /// What is measured, as shown in the table.
    pub what: &'static str,
    /// blitz-io: (construction, contended waits).
    pub blitz: (AllocCount, AllocCount),
    /// Tokio: (construction, contended waits).
    pub tokio: (AllocCount, AllocCount),
}

/// Polls `future` once with the no-op waker, expecting `Pending`.
fn poll_pending<F: Future>(future: std::pin::Pin<&mut F>) {
    let mut cx = Context::from_waker(Waker::noop());
    assert!(future.poll(&mut cx).is_pending(), "the wait did not queue");
}

/// Polls `future` once with the no-op waker, expecting its output.
fn poll_ready<F: Future>(future: std::pin::Pin<&mut F>) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    match future.poll(&mut cx) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the released permits did not reach the waiter"),
    }
}

macro_rules! side {
    ($name:ident, $sync:path) => {
        fn $name() -> [(AllocCount, AllocCount); 3] {
            use $sync as sync;
            let mutex = (
                alloc::count(|| {
                    for i in 0..CONSTRUCTIONS {
                        std::hint::black_box(sync::Mutex::new(i));
                    }
                })
                .1,
                alloc::count(|| {
                    let mutex = sync::Mutex::new(0usize);
                    for _ in 0..WAITS {
                        let held = mutex.try_lock().unwrap();
                        let mut waiting = pin!(mutex.lock());
                        poll_pending(waiting.as_mut());
                        drop(held);
                        *poll_ready(waiting.as_mut()) += 1;
                    }
                    assert_eq!(*mutex.try_lock().unwrap(), WAITS);
                })
                .1,
            );
            let rwlock = (
                alloc::count(|| {
                    for i in 0..CONSTRUCTIONS {
                        std::hint::black_box(sync::RwLock::new(i));
                    }
                })
                .1,
                alloc::count(|| {
                    let lock = sync::RwLock::new(0usize);
                    for _ in 0..WAITS {
                        let reader = lock.try_read().unwrap();
                        let mut writer = pin!(lock.write());
                        poll_pending(writer.as_mut());
                        drop(reader);
                        *poll_ready(writer.as_mut()) += 1;
                    }
                    assert_eq!(*lock.try_read().unwrap(), WAITS);
                })
                .1,
            );
            let semaphore = (
                alloc::count(|| {
                    for i in 0..CONSTRUCTIONS {
                        std::hint::black_box(sync::Semaphore::new(i));
                    }
                })
                .1,
                alloc::count(|| {
                    let sem = sync::Semaphore::new(2);
                    for _ in 0..WAITS {
                        let held = sem.try_acquire().unwrap();
                        let mut waiting = pin!(sem.acquire_many(2));
                        poll_pending(waiting.as_mut());
                        drop(held);
                        drop(poll_ready(waiting.as_mut()).unwrap());
                    }
                    assert_eq!(sem.available_permits(), 2);
                })
                .1,
            );
            [mutex, rwlock, semaphore]
        }
    };
}

side!(blitz, blitz_io::sync);
side!(tokio_side, tokio::sync);

/// Runs the pass. Only meaningful when the counting allocator is the global allocator.
pub fn measure() -> Vec<SyncAllocs> {
    let names = [
        "`Mutex` (waiting `lock()`)",
        "`RwLock` (`write()` waiting for a reader)",
        "`Semaphore` (`acquire_many(2)` waiting)",
    ];
    let (b, t) = (blitz(), tokio_side());
    names
        .into_iter()
        .zip(b.into_iter().zip(t))
        .map(|(what, (blitz, tokio))| SyncAllocs { what, blitz, tokio })
        .collect()
}

fn per(count: AllocCount, n: usize) -> String {
    format!(
        "{} ({} B)",
        count.allocs as f64 / n as f64,
        count.bytes as f64 / n as f64
    )
}

/// The table's markdown (a sub-part of the Memory section).
pub fn markdown(rows: &[SyncAllocs]) -> String {
    let mut out = format!(
        "**Sync allocations** (allocations per construction over {CONSTRUCTIONS}, and per \
         contended wait over {WAITS} waits polled by hand with a no-op waker; task spawns \
         are not involved — the contended workload rows above also count their spawns).\n\n\
         | primitive | blitz-io per construction | Tokio per construction | blitz-io per \
         contended wait | Tokio per contended wait |\n|---|---|---|---|---|\n"
    );
    for row in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            row.what,
            per(row.blitz.0, CONSTRUCTIONS),
            per(row.tokio.0, CONSTRUCTIONS),
            per(row.blitz.1, WAITS),
            per(row.tokio.1, WAITS),
        ));
    }
    out.push('\n');
    out
}

/// The rows as JSON, for `latest.json`.
pub fn json(rows: &[SyncAllocs]) -> Value {
    let side = |(c, w): (AllocCount, AllocCount)| {
        json!({ "construction": { "allocs": c.allocs, "bytes": c.bytes },
                "contended_wait": { "allocs": w.allocs, "bytes": w.bytes } })
    };
    Value::Array(
        rows.iter()
            .map(|r| json!({ "primitive": r.what, "blitz": side(r.blitz), "tokio": side(r.tokio) }))
            .collect(),
    )
}
