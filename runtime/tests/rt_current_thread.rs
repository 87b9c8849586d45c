//! The current-thread scheduler: tasks run on the thread inside `block_on`, only while one is,
//! and pick up where they left off in the next `block_on`.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};

use blitz_io::task;
use common::{Flag, Gate, Log};

#[test]
fn tasks_run_on_the_block_on_thread() {
    let rt = common::current();
    let caller = std::thread::current().id();
    let threads = rt.block_on(async {
        let handles: Vec<_> = (0..4)
            .map(|_| task::spawn(async { std::thread::current().id() }))
            .collect();
        let mut threads = Vec::new();
        for handle in handles {
            threads.push(handle.await.unwrap());
        }
        threads
    });
    assert!(threads.iter().all(|&thread| thread == caller));
    // From another thread, the tasks run on that thread's block_on.
    let rt = Arc::new(rt);
    let other = {
        let rt = rt.clone();
        std::thread::spawn(move || {
            let id = std::thread::current().id();
            (
                id,
                rt.block_on(async { task::spawn(async { std::thread::current().id() }).await }),
            )
        })
        .join()
        .unwrap()
    };
    assert_eq!(other.0, other.1.unwrap());
}

/// Without a thread inside `block_on`, a spawned task waits; the next `block_on` runs it.
#[test]
fn tasks_wait_for_a_block_on() {
    let rt = common::current();
    let ran = Flag::new();
    let handle = rt.spawn({
        let ran = ran.clone();
        async move { ran.set() }
    });
    // Let time pass in a way that involves other threads (a blocking-pool round trip).
    rt.spawn_blocking(|| ()).blocking_join().unwrap();
    assert!(!ran.get());
    assert!(!handle.is_finished());
    rt.block_on(handle).unwrap();
    assert!(ran.get());
}

/// `block_on` returns as soon as its own future is ready; an unfinished task resumes in the
/// next `block_on`.
#[test]
fn unfinished_tasks_resume_in_the_next_block_on() {
    let rt = common::current();
    let log = Log::new();
    // The handle is handed out of block_on on purpose, to be awaited in the next one.
    #[allow(clippy::async_yields_async)]
    let handle = rt.block_on({
        let log = log.clone();
        async move {
            let handle = task::spawn(async move {
                for step in ["step 1", "step 2", "step 3"] {
                    log.push(step);
                    task::yield_now().await;
                }
            });
            task::yield_now().await;
            handle
        }
    });
    assert!(
        !handle.is_finished(),
        "the task needs more polls than block_on gave it"
    );
    let first = log.take();
    assert!(!first.is_empty() && first.len() < 3, "{first:?}");
    rt.block_on(handle).unwrap();
    let mut all = first;
    all.extend(log.take());
    assert_eq!(all, ["step 1", "step 2", "step 3"]);
}

/// Two threads inside `block_on` at once: one drives the tasks, the other just waits for its
/// own future; both finish whichever thread got to drive.
#[test]
fn concurrent_block_on_from_two_threads() {
    let rt = Arc::new(common::current());
    let gate = Gate::new();
    let (entered_tx, entered_rx) = mpsc::channel();
    let other = {
        let (rt, gate) = (rt.clone(), gate.clone());
        std::thread::spawn(move || {
            rt.block_on(common::signal_when_pending(gate.wait(), entered_tx));
        })
    };
    entered_rx.recv().unwrap();
    let value = rt.block_on(async { task::spawn(async { 21 * 2 }).await.unwrap() });
    assert_eq!(value, 42);
    gate.open();
    other.join().unwrap();
}

/// The thread that drives the runtime leaves `block_on` while a second thread still waits in
/// its own `block_on` for a task: the waiting thread must take over driving, or that task
/// never runs again.
#[test]
fn waiting_block_on_takes_over_when_the_driver_leaves() {
    let rt = Arc::new(common::current());
    let driver_gate = Gate::new();
    let task_gate = Gate::new();
    let (entered_tx, entered_rx) = mpsc::channel();
    let driver = {
        let (rt, driver_gate) = (rt.clone(), driver_gate.clone());
        std::thread::spawn(move || {
            rt.block_on(common::signal_when_pending(driver_gate.wait(), entered_tx));
        })
    };
    entered_rx.recv().unwrap();
    // The driver holds the scheduler; this thread's block_on can only wait.
    let task = rt.spawn({
        let task_gate = task_gate.clone();
        async move {
            task_gate.wait().await;
            "ran"
        }
    });
    let (result_tx, result_rx) = mpsc::channel();
    let (waiting_tx, waiting_rx) = mpsc::channel();
    let waiter = {
        let rt = rt.clone();
        std::thread::spawn(move || {
            let output = rt.block_on(common::signal_when_pending(task, waiting_tx));
            result_tx.send(output).unwrap();
        })
    };
    // The waiter is inside block_on, waiting; the task is parked on its gate (a task spawned
    // after it has run). Then the driver leaves, and only then is the task released.
    waiting_rx.recv().unwrap();
    rt.spawn(async {}).blocking_join().unwrap();
    driver_gate.open();
    driver.join().unwrap();
    task_gate.open();
    let result = result_rx.recv_timeout(std::time::Duration::from_secs(5));
    if result.is_err() {
        // Unstick the waiter by driving the runtime from here, then report.
        rt.block_on(common::yield_until("the waiter", || waiter.is_finished()));
    }
    waiter.join().unwrap();
    let output = result.expect("the waiting block_on never took over driving the runtime");
    assert_eq!(output.unwrap(), "ran");
}

/// A task that re-queues itself forever does not starve the `block_on` future.
#[test]
fn busy_tasks_do_not_starve_the_main_future() {
    let rt = common::current();
    let stop = Flag::new();
    let rounds = Arc::new(AtomicUsize::new(0));
    let busy = rt.spawn({
        let (stop, rounds) = (stop.clone(), rounds.clone());
        async move {
            while !stop.get() && rounds.fetch_add(1, SeqCst) < 5_000_000 {
                common::self_wake_once().await;
            }
        }
    });
    rt.block_on(async {
        // Each check of the condition is one poll of the main future.
        common::yield_until("the busy task to start", || rounds.load(SeqCst) > 0).await;
        for _ in 0..10 {
            task::yield_now().await;
        }
        stop.set();
    });
    rt.block_on(busy).unwrap();
    assert!(
        rounds.load(SeqCst) < 5_000_000,
        "the main future was starved"
    );
}

/// Wakes and spawns from other threads reach a `block_on` that is parked with nothing to do.
#[test]
fn remote_wakes_and_spawns_unpark_the_driver() {
    let rt = common::current();
    let handle = rt.handle().clone();
    let gate = Gate::new();
    let (pending_tx, pending_rx) = mpsc::channel();
    let remote = std::thread::spawn({
        let gate = gate.clone();
        move || {
            pending_rx.recv().unwrap();
            let spawned = handle.spawn(async { "remote" });
            let value = spawned.blocking_join().unwrap();
            gate.open();
            value
        }
    });
    rt.block_on(common::signal_when_pending(gate.wait(), pending_tx));
    assert_eq!(remote.join().unwrap(), "remote");
    assert!(rt.metrics().remote_schedule_count() >= 1);
}

/// A task that yields during the last round of a `block_on` is still queued for the next one
/// (the yield is held in a per-`block_on` list that must be handed back with the scheduler).
#[test]
fn a_task_yielding_as_block_on_returns_runs_in_the_next_block_on() {
    let rt = blitz_io::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let steps = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let task = {
        let steps = steps.clone();
        rt.spawn(async move {
            steps.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            blitz_io::task::yield_now().await;
            steps.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        })
    };
    // Runs the task's first poll (it yields), then returns before the yield is handed back.
    rt.block_on(async {
        while steps.load(std::sync::atomic::Ordering::SeqCst) == 0 {
            blitz_io::task::yield_now().await;
        }
    });
    rt.block_on(task).unwrap();
    assert_eq!(steps.load(std::sync::atomic::Ordering::SeqCst), 2);
}
