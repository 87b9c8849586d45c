//! `task::block_in_place`: the worker's queue keeps running on another thread while the
//! closure blocks, blocking calls are allowed inside it, panics reach the task, shutdown waits
//! for (or gives up on) the closure, and current-thread runtimes refuse it.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use blitz_io::channel::oneshot;
use blitz_io::runtime::Handle;
use blitz_io::task::{self, block_in_place};
use common::{DropCounter, Gate};

/// Bounds a wait that only a bug would make long: a failure instead of a hung test.
const BUG_BOUND: Duration = Duration::from_secs(20);

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// With one worker, a task queued behind the blocking one can only run if the worker's core
/// moved to another thread: the closure waits for that task's message.
#[test]
fn the_workers_queued_tasks_run_while_the_closure_blocks() {
    let rt = common::multi(1);
    let (caller_before, caller_after, sibling) = rt.block_on(async {
        task::spawn(async {
            let (tx, rx) = mpsc::channel();
            // Spawned from the worker: queued on its own LIFO slot, behind this poll.
            let sibling = task::spawn(async move {
                tx.send(std::thread::current().id()).unwrap();
            });
            let before = std::thread::current().id();
            let sibling_thread = block_in_place(|| rx.recv_timeout(BUG_BOUND))
                .expect("the queued task never ran while the closure blocked");
            let after = std::thread::current().id();
            sibling.await.unwrap();
            (before, after, sibling_thread)
        })
        .await
        .unwrap()
    });
    assert_eq!(
        caller_before, caller_after,
        "the task continues on its thread"
    );
    assert_ne!(sibling, caller_before, "the queue moved to another thread");
}

#[test]
fn outside_a_runtime_it_just_runs_the_closure() {
    let mut value = 1;
    let result = block_in_place(|| {
        value += 1;
        value * 10
    });
    assert_eq!((result, value), (20, 2));
}

/// In `Runtime::block_on` on a multi-thread runtime the thread is no worker: the closure runs
/// in place, and blocking calls are allowed in it.
#[test]
fn in_multi_thread_block_on_it_runs_in_place_and_may_block() {
    let rt = common::multi(1);
    let value = rt.block_on(async {
        let (tx, rx) = oneshot::channel();
        drop(task::spawn(async move { tx.send(5).unwrap() }));
        block_in_place(|| rx.blocking_recv().unwrap())
    });
    assert_eq!(value, 5);
}

#[test]
fn a_current_thread_runtime_refuses_it_naming_spawn_blocking() {
    let rt = common::current();
    let error = rt
        .block_on(async { task::spawn(async { block_in_place(|| 1) }).await })
        .expect_err("block_in_place on a current-thread runtime panics");
    let message = panic_message(&*error.into_panic());
    assert!(message.contains("spawn_blocking"), "{message}");

    let payload = catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async { block_in_place(|| 1) })
    }))
    .expect_err("also from block_on's own future");
    let message = panic_message(&*payload);
    assert!(message.contains("spawn_blocking"), "{message}");
}

#[test]
fn nested_calls_just_run_the_closure() {
    let rt = common::multi(1);
    let value = rt.block_on(async {
        task::spawn(async {
            let (tx, rx) = mpsc::channel();
            let sibling = task::spawn(async move { tx.send(3).unwrap() });
            let value = block_in_place(|| {
                // Blocking stays allowed in the inner call, and the queue has moved already.
                block_in_place(|| rx.recv_timeout(BUG_BOUND).unwrap()) * 2
            });
            sibling.await.unwrap();
            value
        })
        .await
        .unwrap()
    });
    assert_eq!(value, 6);
}

#[test]
fn blocking_calls_and_block_on_are_allowed_inside() {
    let rt = common::multi(1);
    let total = rt.block_on(async {
        task::spawn(async {
            let handle = Handle::current();
            let (tx, rx) = oneshot::channel();
            let sender = task::spawn(async move { tx.send(1).unwrap() });
            let joined = task::spawn(async { 10 });
            block_in_place(move || {
                let received = rx.blocking_recv().unwrap();
                let spawned = joined.blocking_join().unwrap();
                let blocked_on = handle.block_on(async { task::spawn(async { 100 }).await });
                sender.blocking_join().unwrap();
                received + spawned + blocked_on.unwrap()
            })
        })
        .await
        .unwrap()
    });
    assert_eq!(total, 111);
}

#[test]
fn a_panic_in_the_closure_is_the_tasks_panic_and_the_runtime_carries_on() {
    let rt = common::multi(1);
    rt.block_on(async {
        let (tx, rx) = mpsc::channel::<()>();
        let sibling_ran = Arc::new(AtomicBool::new(false));
        let flag = sibling_ran.clone();
        let failed = task::spawn(async move {
            drop(task::spawn(async move {
                flag.store(true, Ordering::SeqCst);
                drop(tx);
            }));
            block_in_place(|| {
                // Disconnected once the sibling ran (on the core's new thread).
                let _ = rx.recv_timeout(BUG_BOUND);
                panic!("boom in block_in_place");
            })
        })
        .await
        .expect_err("the closure panicked");
        assert!(failed.is_panic());
        assert_eq!(
            panic_message(&*failed.into_panic()),
            "boom in block_in_place"
        );
        assert!(sibling_ran.load(Ordering::SeqCst));
        // The core was not lost: the lone worker still runs tasks, spawned from here and
        // from within tasks.
        let handles: Vec<_> = (0..20u32)
            .map(|i| task::spawn(async move { task::spawn(async move { i }).await.unwrap() }))
            .collect();
        let mut sum = 0;
        for handle in handles {
            sum += handle.await.unwrap();
        }
        assert_eq!(sum, 190);
    });
}

/// Each hand-off starts a thread; every one is accounted for and joined on drop, and the
/// chain of hand-offs (a new worker thread handing off again) keeps every task running,
/// including yields, timers and spawns made after `f` returns.
#[test]
fn many_hand_offs_complete_and_the_runtime_drops_cleanly() {
    let rt = common::multi(2);
    let ran = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let handles: Vec<_> = (0..40)
            .map(|i| {
                let ran = ran.clone();
                task::spawn(async move {
                    task::yield_now().await;
                    let value = block_in_place(|| i * 2);
                    // The rest of the poll runs on a thread that is no worker any more.
                    task::yield_now().await;
                    task::sleep(Duration::from_millis(1)).await;
                    task::spawn(async {}).await.unwrap();
                    ran.fetch_add(1, Ordering::SeqCst);
                    value
                })
            })
            .collect();
        for (i, handle) in handles.into_iter().enumerate() {
            assert_eq!(handle.await.unwrap(), i * 2);
        }
    });
    assert_eq!(ran.load(Ordering::SeqCst), 40);
    drop(rt);
}

/// Dropping the runtime waits for a closure still blocking, and drops every task once.
#[test]
fn dropping_the_runtime_waits_for_the_closure() {
    let rt = common::multi(1);
    let drops = DropCounter::new();
    let finished = Arc::new(AtomicBool::new(false));
    let (entered_tx, entered_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    // A sibling idle on the worker: shutdown drops it, which releases the closure.
    let gate = Gate::new();
    let sibling_guard = drops.guard();
    let sibling_gate = gate.clone();
    drop(rt.spawn(async move {
        let _guard = sibling_guard;
        let _release = release_tx;
        sibling_gate.wait().await;
    }));
    let guard = drops.guard();
    let done = finished.clone();
    drop(rt.spawn(async move {
        let _guard = guard;
        block_in_place(|| {
            entered_tx.send(()).unwrap();
            // Disconnected when shutdown drops the sibling.
            let _ = release_rx.recv();
            // Widen the window in which a drop that did not wait would return first.
            std::thread::sleep(Duration::from_millis(50));
            done.store(true, Ordering::SeqCst);
        });
        // Cancelled by now: this task is dropped when its poll returns.
        Gate::new().wait().await;
    }));
    entered_rx.recv_timeout(BUG_BOUND).unwrap();
    drop(rt);
    assert!(
        finished.load(Ordering::SeqCst),
        "drop returned before the closure"
    );
    assert_eq!(drops.get(), 2, "each task dropped exactly once");
    assert!(!gate.is_open());
}

/// `shutdown_timeout` gives up on a closure that keeps blocking, and the tasks that were
/// queued on the handed-off worker are still dropped.
#[test]
fn shutdown_timeout_returns_while_the_closure_blocks() {
    let rt = common::multi(1);
    let drops = DropCounter::new();
    let (entered_tx, entered_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel();
    let sibling_guard = drops.guard();
    drop(rt.spawn(async move {
        let _guard = sibling_guard;
        Gate::new().wait().await;
    }));
    let guard = drops.guard();
    drop(rt.spawn(async move {
        let _guard = guard;
        block_in_place(|| {
            entered_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        });
        done_tx.send(()).unwrap();
    }));
    entered_rx.recv_timeout(BUG_BOUND).unwrap();
    let start = Instant::now();
    rt.shutdown_timeout(Duration::from_millis(100));
    assert!(
        start.elapsed() < BUG_BOUND,
        "shutdown_timeout waited for the closure"
    );
    assert_eq!(
        drops.get(),
        1,
        "the idle sibling is dropped, the blocked task not yet"
    );
    release_tx.send(()).unwrap();
    // The task finishes its poll on its own thread, then is dropped.
    done_rx.recv_timeout(BUG_BOUND).unwrap();
    let deadline = Instant::now() + BUG_BOUND;
    while drops.get() != 2 {
        assert!(
            Instant::now() < deadline,
            "the blocked task was never dropped"
        );
        std::thread::yield_now();
    }
}

/// A closure may drop the runtime it blocks: the shutdown does not wait for (or join) the
/// very thread it runs on, which exits once its task's poll is over.
#[test]
fn the_closure_may_drop_its_own_runtime() {
    let rt = common::multi(1);
    let (rt_tx, rt_rx) = mpsc::channel::<blitz_io::Runtime>();
    let (done_tx, done_rx) = mpsc::channel();
    let drops = DropCounter::new();
    let guard = drops.guard();
    drop(rt.spawn(async move {
        let _guard = guard;
        block_in_place(move || {
            let rt = rt_rx.recv().unwrap();
            drop(rt);
            done_tx.send(()).unwrap();
        });
    }));
    rt_tx.send(rt).unwrap();
    done_rx
        .recv_timeout(BUG_BOUND)
        .expect("the runtime's drop waited for the thread it ran on");
    let deadline = Instant::now() + BUG_BOUND;
    while drops.get() != 1 {
        assert!(Instant::now() < deadline, "the task was never dropped");
        std::thread::yield_now();
    }
}
