//! `JoinHandle::abort`: of an idle, a running and a queued task, after completion, and twice.

mod common;

use std::sync::{mpsc, Arc};

use blitz_io::{task, Runtime};
use common::{DropCounter, Flag, Gate};

fn flavours() -> [(&'static str, Runtime); 3] {
    [
        ("current", common::current()),
        ("multi-1", common::multi(1)),
        ("multi-2", common::multi(2)),
    ]
}

/// A task parked on a gate that never opens is aborted from outside the runtime: it resolves
/// to cancelled, its future is dropped once, and a late wake of its stale waker is harmless.
#[test]
fn abort_idle_task() {
    for (name, rt) in flavours() {
        let gate = Gate::new();
        let drops = DropCounter::new();
        let after = Flag::new();
        let (pending_tx, pending_rx) = mpsc::channel();
        let handle = rt.spawn(common::signal_when_pending(
            {
                let gate = gate.clone();
                let guard = drops.guard();
                let after = after.clone();
                async move {
                    let _guard = guard;
                    gate.wait().await;
                    after.set();
                }
            },
            pending_tx,
        ));
        rt.block_on(common::yield_until("the task to park", || {
            pending_rx.try_recv().is_ok()
        }));
        assert_eq!(gate.num_waiters(), 1, "{name}");
        assert!(!handle.is_finished(), "{name}");

        handle.abort();
        rt.block_on(common::yield_until("the cancellation", || {
            handle.is_finished()
        }));
        let error = rt.block_on(handle).expect_err("aborted");
        assert!(
            error.is_cancelled() && !error.is_panic(),
            "{name}: {error:?}"
        );
        assert_eq!(drops.get(), 1, "{name}");

        // The gate still holds the dead task's waker; waking it must do nothing.
        gate.open();
        let still_fine = rt.block_on(async { task::spawn(async { 3 }).await.unwrap() });
        assert_eq!(still_fine, 3, "{name}");
        assert!(!after.get(), "{name}: code after the await never ran");
        assert_eq!(drops.get(), 1, "{name}");
    }
}

/// A task is aborted while it is being polled: it finishes that poll and is cancelled at its
/// next await; the code after that await never runs.
#[test]
fn abort_running_task() {
    for (name, rt) in flavours() {
        let started = Flag::new();
        let release = Flag::new();
        let before = Flag::new();
        let after = Flag::new();
        let drops = DropCounter::new();
        let handle = Arc::new(rt.spawn({
            let (started, release) = (started.clone(), release.clone());
            let (before, after) = (before.clone(), after.clone());
            let guard = drops.guard();
            async move {
                let _guard = guard;
                started.set();
                // Hold the thread until the abort has been issued.
                common::hold_until(&release);
                before.set();
                task::yield_now().await;
                after.set();
            }
        }));
        let done = Gate::new();
        let aborter = {
            let (handle, done) = (handle.clone(), done.clone());
            let (started, release) = (started.clone(), release.clone());
            std::thread::spawn(move || {
                common::hold_until(&started);
                handle.abort();
                release.set();
                done.open();
            })
        };
        // On the current-thread runtime the task runs (and holds) inside this block_on.
        rt.block_on(done.wait());
        aborter.join().unwrap();
        let handle = Arc::into_inner(handle).expect("the aborter dropped its reference");
        let error = rt.block_on(handle).expect_err("aborted while running");
        assert!(error.is_cancelled(), "{name}: {error:?}");
        assert!(before.get(), "{name}: the running poll finished");
        assert!(!after.get(), "{name}: cancelled at the next await");
        assert_eq!(drops.get(), 1, "{name}");
    }
}

/// A task spawned from outside onto a one-worker runtime whose worker is busy waits in the
/// global queue; aborted there, it is never polled.
#[test]
fn abort_task_queued_behind_a_busy_worker() {
    let rt = common::multi(1);
    let started = Flag::new();
    let release = Flag::new();
    let blocker = rt.spawn({
        let (started, release) = (started.clone(), release.clone());
        async move {
            started.set();
            common::hold_until(&release);
        }
    });
    common::hold_until(&started);

    let polled = Flag::new();
    let drops = DropCounter::new();
    let queued = rt.spawn({
        let polled = polled.clone();
        let guard = drops.guard();
        async move {
            let _guard = guard;
            polled.set();
        }
    });
    assert_eq!(rt.metrics().global_queue_depth(), 1);
    queued.abort();
    release.set();
    let error = rt.block_on(queued).expect_err("aborted in the queue");
    assert!(error.is_cancelled());
    assert!(!polled.get(), "an aborted queued task is never polled");
    assert_eq!(drops.get(), 1);
    rt.block_on(blocker).unwrap();
}

/// A task aborted right after it was spawned from inside a task (so it sits in the LIFO slot
/// on the multi-thread runtime, in the local queue on the current-thread one) is never polled.
#[test]
fn abort_freshly_spawned_task() {
    for (name, rt) in flavours() {
        let polled = Flag::new();
        let drops = DropCounter::new();
        let child = {
            let polled = polled.clone();
            let guard = drops.guard();
            async move {
                let _guard = guard;
                polled.set();
            }
        };
        let result = rt.block_on(async {
            task::spawn(async move {
                let child = task::spawn(child);
                child.abort();
                child.await
            })
            .await
            .unwrap()
        });
        let error = result.expect_err("aborted before its first poll");
        assert!(error.is_cancelled(), "{name}");
        assert!(!polled.get(), "{name}");
        assert_eq!(drops.get(), 1, "{name}");
    }
}

/// `abort()` on a task that already completed keeps its output.
#[test]
fn abort_after_completion_keeps_the_output() {
    for (name, rt) in flavours() {
        let handle = rt.spawn(async { "kept" });
        rt.block_on(common::yield_until("completion", || handle.is_finished()));
        handle.abort();
        handle.abort();
        assert_eq!(rt.block_on(handle).unwrap(), "kept", "{name}");
    }
}

/// Aborting twice, or aborting and dropping the handle, still drops the future exactly once
/// and leaves other tasks alone.
#[test]
fn abort_is_idempotent_and_targeted() {
    for (name, rt) in flavours() {
        let gate = Gate::new();
        let drops = DropCounter::new();
        let survivor = rt.spawn({
            let gate = gate.clone();
            async move {
                gate.wait().await;
                "survived"
            }
        });
        let victims: Vec<_> = (0..2)
            .map(|_| {
                let gate = gate.clone();
                let guard = drops.guard();
                rt.spawn(async move {
                    let _guard = guard;
                    gate.wait().await;
                })
            })
            .collect();
        for victim in &victims {
            victim.abort();
            victim.abort();
        }
        let mut victims = victims.into_iter();
        let first = victims.next().unwrap();
        drop(victims); // The second handle goes away without being awaited.
        assert!(rt.block_on(first).unwrap_err().is_cancelled(), "{name}");
        rt.block_on(common::yield_until("both victims dropped", || {
            drops.get() == 2
        }));
        gate.open();
        assert_eq!(rt.block_on(survivor).unwrap(), "survived", "{name}");
        assert_eq!(drops.get(), 2, "{name}");
    }
}

/// A task aborts another task's handle that it owns, and awaits it.
#[test]
fn abort_from_another_task() {
    for (name, rt) in flavours() {
        let gate = Gate::new();
        let error = rt.block_on(async {
            let (pending_tx, pending_rx) = mpsc::channel();
            let target = task::spawn(common::signal_when_pending(gate.wait(), pending_tx));
            task::spawn(async move {
                common::yield_until("the target to park", move || pending_rx.try_recv().is_ok())
                    .await;
                target.abort();
                target.await
            })
            .await
            .unwrap()
        });
        assert!(error.unwrap_err().is_cancelled(), "{name}");
    }
}

/// An `AbortHandle` outlives the `JoinHandle`: aborting through it after the `JoinHandle` was
/// dropped cancels the task (its future is dropped once), and clones share the task.
#[test]
fn abort_handle_after_join_handle_dropped() {
    for (name, rt) in flavours() {
        let drops = DropCounter::new();
        let gate = Gate::new();
        let (pending_tx, pending_rx) = mpsc::channel();
        let handle = rt.spawn(common::signal_when_pending(
            {
                let gate = gate.clone();
                let guard = drops.guard();
                async move {
                    let _guard = guard;
                    gate.wait().await;
                }
            },
            pending_tx,
        ));
        let abort = handle.abort_handle();
        let clone = abort.clone();
        assert_eq!(abort.id(), handle.id(), "{name}");
        drop(handle);
        rt.block_on(common::yield_until("the task to park", || {
            pending_rx.try_recv().is_ok()
        }));
        assert!(!clone.is_finished(), "{name}");
        drop(abort);
        clone.abort();
        rt.block_on(common::yield_until("the cancellation", || {
            clone.is_finished()
        }));
        assert_eq!(drops.get(), 1, "{name}");
        clone.abort();
        drop(clone);
        assert_eq!(drops.get(), 1, "{name}");
    }
}

/// `AbortHandle::abort` on a completed task keeps its output for the `JoinHandle`.
#[test]
fn abort_handle_after_completion_keeps_the_output() {
    for (name, rt) in flavours() {
        let handle = rt.spawn(async { 11 });
        let abort = handle.abort_handle();
        rt.block_on(common::yield_until("completion", || abort.is_finished()));
        abort.abort();
        assert_eq!(rt.block_on(handle).unwrap(), 11, "{name}");
        // The handle still answers after the JoinHandle consumed the output.
        assert!(abort.is_finished(), "{name}");
    }
}

/// An `AbortHandle` is the last reference to a detached, completed task: dropping it frees
/// the task (and its output) exactly once.
#[test]
fn abort_handle_last_reference_frees_the_output() {
    let rt = common::multi(2);
    let drops = DropCounter::new();
    let guard = drops.guard();
    let handle = rt.spawn(async move { guard });
    let abort = handle.abort_handle();
    drop(handle);
    // `is_finished` turns true when the task completes, a moment before the worker drops
    // the detached output, so wait for the drop itself.
    rt.block_on(common::yield_until("the output is dropped", || {
        drops.get() == 1
    }));
    assert!(abort.is_finished());
    drop(abort);
    assert_eq!(drops.get(), 1);
}
