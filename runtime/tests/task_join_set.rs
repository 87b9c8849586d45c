//! `JoinSet`: completion order, abort_all, abort on drop, panics, detach_all, bookkeeping.

mod common;

use blitz_io::task::{self, JoinSet};
use blitz_io::Runtime;
use common::{DropCounter, Gate};

fn flavours() -> [(&'static str, Runtime); 2] {
    [
        ("current", common::current()),
        ("multi-2", common::multi(2)),
    ]
}

/// Results come in the order the tasks finish, not the order they were spawned: each task
/// waits on its own gate, and the gates are opened in reverse.
#[test]
fn results_in_completion_order() {
    for (name, rt) in flavours() {
        let order = rt.block_on(async {
            let gates: Vec<Gate> = (0..5).map(|_| Gate::new()).collect();
            let mut set = JoinSet::new();
            for (i, gate) in gates.iter().enumerate() {
                let gate = gate.clone();
                set.spawn(async move {
                    gate.wait().await;
                    i
                });
            }
            let mut order = Vec::new();
            for gate in gates.iter().rev() {
                gate.open();
                order.push(set.join_next().await.unwrap().unwrap());
            }
            assert!(set.join_next().await.is_none());
            order
        });
        assert_eq!(order, vec![4, 3, 2, 1, 0], "{name}");
    }
}

/// `abort_all` turns every unfinished task into a cancelled error, and drops its future.
#[test]
fn abort_all_gives_cancelled_errors() {
    for (name, rt) in flavours() {
        let drops = DropCounter::new();
        let cancelled = rt.block_on(async {
            let mut set = JoinSet::new();
            for _ in 0..8 {
                let guard = drops.guard();
                set.spawn(async move {
                    let _guard = guard;
                    std::future::pending::<()>().await;
                });
            }
            task::yield_now().await;
            set.abort_all();
            let mut cancelled = 0;
            while let Some(result) = set.join_next().await {
                assert!(result.unwrap_err().is_cancelled());
                cancelled += 1;
            }
            cancelled
        });
        assert_eq!(cancelled, 8, "{name}");
        assert_eq!(drops.get(), 8, "{name}");
    }
}

/// Dropping the set aborts its tasks: their futures are dropped without ever finishing.
#[test]
fn drop_aborts_every_task() {
    for (name, rt) in flavours() {
        let drops = DropCounter::new();
        rt.block_on(async {
            let mut set = JoinSet::new();
            for _ in 0..4 {
                let guard = drops.guard();
                set.spawn(async move {
                    let _guard = guard;
                    std::future::pending::<()>().await;
                });
            }
            task::yield_now().await;
            drop(set);
            common::yield_until("the aborted futures to drop", || drops.get() == 4).await;
        });
        assert_eq!(drops.get(), 4, "{name}");
    }
}

/// A panicking member surfaces as an `is_panic` error; the others are unaffected.
#[test]
fn panicking_member_is_a_panic_error() {
    common::quiet_expected_panics();
    for (name, rt) in flavours() {
        let (panics, oks) = rt.block_on(async {
            let mut set = JoinSet::new();
            set.spawn(async { 1 });
            set.spawn(async { panic!("{}", common::EXPECTED) });
            set.spawn(async { 3 });
            let (mut panics, mut oks) = (0, 0);
            while let Some(result) = set.join_next().await {
                match result {
                    Ok(_) => oks += 1,
                    Err(error) => {
                        assert!(error.is_panic());
                        panics += 1;
                    }
                }
            }
            (panics, oks)
        });
        assert_eq!((panics, oks), (1, 2), "{name}");
    }
}

/// `detach_all` empties the set but the tasks keep running to completion.
#[test]
fn detach_all_leaves_tasks_running() {
    for (name, rt) in flavours() {
        let gate = Gate::new();
        let finished = DropCounter::new();
        rt.block_on(async {
            let mut set = JoinSet::new();
            for _ in 0..3 {
                let gate = gate.clone();
                let guard = finished.guard();
                set.spawn(async move {
                    gate.wait().await;
                    drop(guard);
                });
            }
            set.detach_all();
            assert!(set.is_empty());
            assert!(set.join_next().await.is_none());
            drop(set);
            gate.open();
            common::yield_until("the detached tasks to finish", || finished.get() == 3).await;
        });
        assert_eq!(finished.get(), 3, "{name}");
    }
}

/// `len` counts tasks until their result is taken; `try_join_next` never waits; an
/// `AbortHandle` from `spawn` cancels one member; `spawn_on` and `spawn_blocking` join too.
#[test]
fn len_bookkeeping_and_spawn_variants() {
    for (name, rt) in flavours() {
        let handle = rt.handle().clone();
        rt.block_on(async move {
            let mut set: JoinSet<u32> = JoinSet::new();
            assert!(set.is_empty());
            assert!(set.try_join_next().is_none());
            let gate = Gate::new();
            let waiting = set.spawn({
                let gate = gate.clone();
                async move {
                    gate.wait().await;
                    1
                }
            });
            set.spawn_on(async { 2 }, &handle);
            set.spawn_blocking(|| 3);
            assert_eq!(set.len(), 3);
            let mut seen = Vec::new();
            for _ in 0..2 {
                seen.push(set.join_next().await.unwrap().unwrap());
            }
            seen.sort();
            assert_eq!(seen, vec![2, 3]);
            assert_eq!(set.len(), 1);
            assert!(
                set.try_join_next().is_none(),
                "the gated task is still running"
            );
            waiting.abort();
            let error = set.join_next().await.unwrap().unwrap_err();
            assert!(error.is_cancelled());
            assert_eq!(error.id(), waiting.id());
            assert_eq!(set.len(), 0);
            assert!(set.join_next().await.is_none());
            // Slots are reused after results are taken.
            for i in 0..100 {
                set.spawn(async move { i });
            }
            assert_eq!(set.len(), 100);
            let mut total = 0;
            while let Some(result) = set.join_next().await {
                total += result.unwrap();
            }
            assert_eq!(total, 4950);
            // try_join_next after the task finished, without awaiting.
            set.spawn(async { 7 });
            let mut got = None;
            while got.is_none() {
                got = set.try_join_next();
                task::yield_now().await;
            }
            assert_eq!(got.unwrap().unwrap(), 7, "{name}");
        });
    }
}

/// A loop over an always-ready `join_next` (here: an empty set) still yields to other tasks
/// through the cooperative budget, on a single-threaded runtime.
#[test]
fn join_next_on_an_empty_set_does_not_starve() {
    let rt = common::current();
    let ran = common::Flag::new();
    rt.block_on(async {
        let looping = task::spawn(async move {
            // Queued behind this task: it only runs if this loop yields.
            let other = task::spawn({
                let ran = ran.clone();
                async move { ran.set() }
            });
            let mut set: JoinSet<()> = JoinSet::new();
            let mut spins = 0u64;
            while !ran.get() {
                assert!(set.join_next().await.is_none());
                spins += 1;
                assert!(spins < 10_000_000, "starved the other task");
            }
            other.await.unwrap();
            spins
        });
        let spins = looping.await.unwrap();
        assert!(spins >= 1);
    });
}

/// `join_all` gathers every output; many tasks drain in one pass.
#[test]
fn join_all_collects_outputs() {
    let rt = common::multi(2);
    let mut outputs = rt.block_on(async {
        let mut set = JoinSet::new();
        for i in 0..1000u64 {
            set.spawn(async move {
                if i % 7 == 0 {
                    task::yield_now().await;
                }
                i
            });
        }
        set.join_all().await
    });
    outputs.sort();
    assert_eq!(outputs, (0..1000).collect::<Vec<_>>());
}

/// `join_next_with_id` pairs each output with the id its `AbortHandle` reported; a failed
/// task's id is in its error; `try_join_next_with_id` does the same without waiting.
#[test]
fn join_next_with_id_names_the_task() {
    for (name, rt) in flavours() {
        rt.block_on(async {
            let mut set = JoinSet::new();
            let gate = Gate::new();
            let handles: Vec<_> = (0..4u32)
                .map(|i| {
                    let gate = gate.clone();
                    set.spawn(async move {
                        gate.wait().await;
                        i
                    })
                })
                .collect();
            let stuck = set.spawn(std::future::pending::<u32>());
            gate.open();
            let mut seen = Vec::new();
            for _ in 0..4 {
                let (id, i) = set.join_next_with_id().await.unwrap().unwrap();
                assert_eq!(id, handles[i as usize].id(), "{name}");
                seen.push(i);
            }
            seen.sort();
            assert_eq!(seen, [0, 1, 2, 3], "{name}");
            assert!(set.try_join_next_with_id().is_none(), "{name}");
            stuck.abort();
            let error = set.join_next_with_id().await.unwrap().unwrap_err();
            assert!(error.is_cancelled(), "{name}");
            assert_eq!(error.id(), stuck.id(), "{name}");

            let quick = set.spawn(async { 9 });
            let got = loop {
                if let Some(result) = set.try_join_next_with_id() {
                    break result.unwrap();
                }
                task::yield_now().await;
            };
            assert_eq!(got, (quick.id(), 9), "{name}");
        });
    }
}

/// `shutdown` returns only when every task has stopped and its future has been dropped (no
/// waiting afterwards, unlike dropping the set), including a task that was in the middle of
/// a poll when it was aborted; the set can be used again afterwards.
#[test]
fn shutdown_waits_for_every_task_to_stop() {
    for (name, rt) in flavours() {
        let drops = DropCounter::new();
        rt.block_on(async {
            let mut set = JoinSet::new();
            for _ in 0..5 {
                let guard = drops.guard();
                set.spawn(async move {
                    let _guard = guard;
                    std::future::pending::<()>().await;
                });
            }
            task::yield_now().await;
            set.shutdown().await;
            assert!(set.is_empty(), "{name}");
            assert_eq!(drops.get(), 5, "{name}");
            set.spawn(async {});
            assert!(set.join_next().await.unwrap().is_ok(), "{name}");
        });
    }

    // Multi-thread: one member holds its worker inside a poll while `shutdown` aborts it; the
    // poll is let go only once `shutdown` has started waiting.
    let rt = common::multi(2);
    let drops = DropCounter::new();
    rt.block_on(async {
        let mut set = JoinSet::new();
        let release = common::Flag::new();
        let (entered_tx, entered_rx) = std::sync::mpsc::channel();
        let guard = drops.guard();
        set.spawn({
            let release = release.clone();
            async move {
                let _guard = guard;
                entered_tx.send(()).unwrap();
                common::hold_until(&release);
                std::future::pending::<()>().await;
            }
        });
        entered_rx.recv().unwrap();
        let (pending_tx, pending_rx) = std::sync::mpsc::channel();
        let releaser = std::thread::spawn(move || {
            pending_rx.recv().unwrap();
            release.set();
        });
        common::signal_when_pending(set.shutdown(), pending_tx).await;
        assert_eq!(
            drops.get(),
            1,
            "the held task's future was dropped before shutdown returned"
        );
        releaser.join().unwrap();
    });
}

/// `collect` and `extend` spawn each future into the set; `spawn_blocking_on` runs on the
/// given runtime's pool.
#[test]
fn collect_extend_and_spawn_blocking_on() {
    for (name, rt) in flavours() {
        let handle = rt.handle().clone();
        rt.block_on(async move {
            let mut set: JoinSet<u32> = (0..3u32).map(|i| async move { i }).collect();
            assert_eq!(set.len(), 3, "{name}");
            set.extend((3..5u32).map(|i| async move { i }));
            set.spawn_blocking_on(|| 5, &handle);
            let mut all = set.join_all().await;
            all.sort();
            assert_eq!(all, [0, 1, 2, 3, 4, 5], "{name}");
        });
    }
}
