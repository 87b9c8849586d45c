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
