//! Runtime counters move when the scheduler does what they count.

mod common;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use blitz_io::runtime::{Handle, RuntimeMetrics};
use blitz_io::task;
use common::Gate;

fn sum(metrics: &RuntimeMetrics, counter: fn(&RuntimeMetrics, usize) -> u64) -> u64 {
    (0..metrics.num_workers())
        .map(|i| counter(metrics, i))
        .sum()
}

#[test]
fn polls_are_counted() {
    for rt in [common::current(), common::multi(1), common::multi(2)] {
        let metrics = rt.metrics();
        assert_eq!(metrics.total_poll_count(), 0);
        rt.block_on(async {
            let handles: Vec<_> = (0..10).map(|_| task::spawn(task::yield_now())).collect();
            for handle in handles {
                handle.await.unwrap();
            }
        });
        // Ten tasks, each polled twice (before and after its yield).
        assert!(metrics.total_poll_count() >= 20, "{metrics:?}");
        assert_eq!(
            metrics.total_poll_count(),
            sum(&metrics, RuntimeMetrics::worker_poll_count)
        );
    }
}

/// Workers with nothing to do park; shutdown wakes them, and the drop counts that unpark.
#[test]
fn idle_workers_park_and_unpark() {
    let rt = common::multi(2);
    let handle = rt.handle().clone();
    drop(rt);
    let metrics = handle.metrics();
    for worker in 0..2 {
        assert!(metrics.worker_park_count(worker) >= 1, "{metrics:?}");
        assert!(metrics.worker_unpark_count(worker) >= 1, "{metrics:?}");
        assert!(metrics.worker_sleep_count(worker) <= metrics.worker_park_count(worker));
    }
    assert_eq!(
        metrics.total_park_count(),
        sum(&metrics, RuntimeMetrics::worker_park_count)
    );
}

/// A task spawned from outside wakes the parked worker, which counts an unpark.
#[test]
fn remote_spawn_unparks_a_parked_worker() {
    let rt = common::multi(1);
    let metrics = rt.metrics();
    // Parked right now: it counted a park and has not counted the matching unpark.
    common::wait_until("the idle worker to park", || {
        metrics.worker_park_count(0) > metrics.worker_unpark_count(0)
    });
    let unparks = metrics.worker_unpark_count(0);
    rt.spawn(async {}).blocking_join().unwrap();
    assert!(metrics.worker_unpark_count(0) > unparks, "{metrics:?}");
    assert!(metrics.remote_schedule_count() >= 1);
    assert!(metrics.worker_global_queue_pop_count(0) >= 1);
}

#[test]
fn current_thread_parks_while_waiting() {
    let rt = common::current();
    let metrics = rt.metrics();
    rt.block_on(async {
        let metrics = Handle::current().metrics();
        // The job returns only after the block_on thread, with nothing else to do, parked.
        task::spawn_blocking(move || {
            common::wait_until("block_on to park", || metrics.worker_park_count(0) > 0)
        })
        .await
        .unwrap();
    });
    assert!(metrics.worker_park_count(0) >= 1);
    assert!(metrics.worker_unpark_count(0) >= 1);
}

/// One worker spawns bursts of tasks; the other, idle, steals some of them. On a loaded machine
/// the idle worker may not get the CPU before a burst is done, so bursts repeat (each task
/// busy for a few microseconds) until a steal shows, for at most 10 s.
#[test]
fn idle_worker_steals() {
    let rt = common::multi(2);
    let metrics = rt.metrics();
    let rounds = rt.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut round = 0;
        while Instant::now() < deadline {
            round += 1;
            task::spawn(async {
                let handles: Vec<_> = (0..64)
                    .map(|_| {
                        task::spawn(async {
                            let busy = Instant::now();
                            while busy.elapsed() < Duration::from_micros(20) {
                                std::hint::spin_loop();
                            }
                            task::yield_now().await;
                        })
                    })
                    .collect();
                for handle in handles {
                    handle.await.unwrap();
                }
            })
            .await
            .unwrap();
            if sum(
                &Handle::current().metrics(),
                RuntimeMetrics::worker_steal_count,
            ) > 0
            {
                return round;
            }
        }
        panic!("no steal in 10 s ({round} rounds of 64 tasks)");
    });
    let steals = sum(&metrics, RuntimeMetrics::worker_steal_count);
    let operations = sum(&metrics, RuntimeMetrics::worker_steal_operations);
    assert!(
        operations >= 1 && operations <= steals,
        "{steals} {operations} after {rounds}"
    );
}

#[test]
fn lifo_hits_and_local_schedules() {
    let rt = common::multi(1);
    let metrics = rt.metrics();
    rt.block_on(async {
        task::spawn(async { task::spawn(async {}).await.unwrap() })
            .await
            .unwrap()
    });
    assert!(metrics.worker_lifo_hit_count(0) >= 1, "{metrics:?}");
    assert!(metrics.worker_local_schedule_count(0) >= 1);
    // Only the root came from outside; the child and the wake of its parent stayed local.
    assert_eq!(metrics.remote_schedule_count(), 1);
}

#[test]
fn global_queue_pops_and_remote_schedules() {
    // Current-thread: spawned from a plain thread, taken from the remote queue.
    let rt = common::current();
    let handle = rt.handle().clone();
    let spawned = std::thread::spawn(move || handle.spawn(async { 5 }))
        .join()
        .unwrap();
    assert_eq!(rt.metrics().global_queue_depth(), 1);
    assert_eq!(rt.block_on(spawned).unwrap(), 5);
    assert_eq!(rt.metrics().global_queue_depth(), 0);
    assert!(rt.metrics().worker_global_queue_pop_count(0) >= 1);
    assert!(rt.metrics().remote_schedule_count() >= 1);

    // Multi-thread: spawned from the block_on thread.
    let rt = common::multi(1);
    rt.block_on(rt.spawn(async {})).unwrap();
    assert!(rt.metrics().worker_global_queue_pop_count(0) >= 1);
    assert!(rt.metrics().remote_schedule_count() >= 1);
}

#[test]
fn local_queue_overflows_into_the_global_queue() {
    let rt = common::multi(1);
    let metrics = rt.metrics();
    let overflowed = rt.block_on(async {
        task::spawn(async {
            let handles: Vec<_> = (0..300).map(|_| task::spawn(async {})).collect();
            // Nobody else can take from the global queue while this task runs.
            let overflowed = Handle::current().metrics().global_queue_depth();
            for handle in handles {
                handle.await.unwrap();
            }
            overflowed
        })
        .await
        .unwrap()
    });
    assert!(overflowed >= 128, "half the full queue moved: {overflowed}");
    assert!(metrics.worker_overflow_count(0) >= 1);
}

#[test]
fn forced_yields_are_counted() {
    for rt in [common::current(), common::multi(1)] {
        rt.block_on(async {
            task::spawn(async {
                for _ in 0..1000 {
                    task::consume_budget().await;
                }
            })
            .await
            .unwrap()
        });
        assert!(rt.metrics().worker_budget_forced_yield_count(0) >= 1);
    }
}

#[test]
fn alive_tasks_are_counted() {
    let rt = common::current();
    let metrics = rt.metrics();
    assert_eq!(metrics.num_alive_tasks(), 0);
    let inner = metrics.clone();
    rt.block_on(rt.spawn(async move { assert_eq!(inner.num_alive_tasks(), 1) }))
        .unwrap();
    assert_eq!(metrics.num_alive_tasks(), 0);

    let rt = common::multi(2);
    let metrics = rt.metrics();
    let gate = Gate::new();
    let (pending_tx, pending_rx) = mpsc::channel();
    let handles: Vec<_> = (0..3)
        .map(|_| rt.spawn(common::signal_when_pending(gate.wait(), pending_tx.clone())))
        .collect();
    assert_eq!(metrics.num_alive_tasks(), 3);
    for _ in 0..3 {
        pending_rx.recv().unwrap();
    }
    assert_eq!(metrics.num_alive_tasks(), 3, "idle tasks are alive");
    gate.open();
    for handle in handles {
        handle.blocking_join().unwrap();
    }
    // A handle can see its task's output a moment before the task leaves the count.
    common::wait_until("the count to drop", || metrics.num_alive_tasks() == 0);
}

#[test]
fn worker_index_out_of_range_panics() {
    let rt = common::multi(1);
    let metrics = rt.metrics();
    let error = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        metrics.worker_poll_count(1)
    }))
    .unwrap_err();
    let text = common::panic_text(error.as_ref()).unwrap();
    assert!(text.contains("out of range"), "{text}");
}

/// The local-queue depth is sampled at maintenance; with `event_interval(1)` that happens
/// before every task, so children spawned in one burst see the backlog behind them.
#[test]
fn local_queue_depth_is_sampled() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;

    let rt = blitz_io::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .event_interval(1)
        .build()
        .unwrap();
    let deepest = Arc::new(AtomicUsize::new(0));
    let parent = {
        let deepest = deepest.clone();
        rt.spawn(async move {
            let children: Vec<_> = (0..100)
                .map(|_| {
                    let deepest = deepest.clone();
                    blitz_io::task::spawn(async move {
                        let metrics = blitz_io::runtime::Handle::current().metrics();
                        deepest.fetch_max(metrics.worker_local_queue_depth(0), SeqCst);
                    })
                })
                .collect();
            for child in children {
                child.await.unwrap();
            }
        })
    };
    parent.blocking_join().unwrap();
    let deepest = deepest.load(SeqCst);
    assert!(
        (50..=100).contains(&deepest),
        "children saw a local queue depth of at most {deepest}"
    );
}

/// Between rounds of yields a scheduler polls the I/O driver without blocking, but only when
/// something is registered there: with no socket the poll (a syscall) is skipped.
#[test]
fn the_io_driver_is_polled_between_yields_only_when_sockets_exist() {
    for backend in common::io_backends() {
        let rt = blitz_io::runtime::Builder::new_current_thread()
            .backend(backend)
            .build()
            .unwrap();
        let metrics = rt.metrics();
        let turns_during_yields = || {
            let before = metrics.io_driver_turn_count();
            rt.block_on(async {
                task::spawn(async {
                    for _ in 0..100 {
                        task::yield_now().await;
                    }
                })
                .await
                .unwrap();
            });
            metrics.io_driver_turn_count() - before
        };
        let without_sockets = turns_during_yields();
        assert!(without_sockets < 10, "{backend:?}: {without_sockets} turns");
        let listener = rt.block_on(async {
            blitz_io::net::TcpListener::bind("127.0.0.1:0")
                .await
                .unwrap()
        });
        let with_a_socket = turns_during_yields();
        assert!(with_a_socket >= 100, "{backend:?}: {with_a_socket} turns");
        drop(listener);
    }
}

/// Every spawn counts once, from any thread and on either flavour, and the count stays after
/// the tasks are gone; blocking jobs and spawns refused after shutdown do not count.
#[test]
fn spawned_tasks_are_counted() {
    for rt in [common::current(), common::multi(2)] {
        let metrics = rt.metrics();
        assert_eq!(metrics.spawned_tasks_count(), 0);
        rt.block_on(async {
            let handles: Vec<_> = (0..10).map(|_| task::spawn(async {})).collect();
            for handle in handles {
                handle.await.unwrap();
            }
            task::spawn_blocking(|| ()).await.unwrap();
        });
        let handle = rt.handle().clone();
        let remote = std::thread::spawn(move || handle.spawn(async {}))
            .join()
            .unwrap();
        rt.block_on(remote).unwrap();
        assert_eq!(metrics.spawned_tasks_count(), 11, "{metrics:?}");

        let handle = rt.handle().clone();
        drop(rt);
        assert!(handle.spawn(async {}).blocking_join().is_err());
        assert_eq!(metrics.spawned_tasks_count(), 11, "a refused spawn counted");
    }
}

/// Spins on its thread for at least `at_least`; returns how long it spun, measured inside.
async fn spin(at_least: Duration) -> Duration {
    let start = Instant::now();
    while start.elapsed() < at_least {
        std::hint::spin_loop();
    }
    start.elapsed()
}

/// A task that spins makes its worker's busy time grow by at least the spin; time parked in
/// a sleep does not count (the margin covers the scheduler's own work on a loaded machine).
#[test]
fn busy_duration_covers_a_spinning_task_and_not_a_park() {
    let rt = common::current();
    let metrics = rt.metrics();
    assert_eq!(metrics.worker_total_busy_duration(0), Duration::ZERO);
    let spun = rt.block_on(async {
        let spun = task::spawn(spin(Duration::from_millis(30))).await.unwrap();
        // Parked for the whole sleep: nothing else is runnable.
        blitz_io::time::sleep(Duration::from_millis(300)).await;
        spun
    });
    // The block_on thread added its last stretch when it left block_on.
    let busy = metrics.worker_total_busy_duration(0);
    assert!(busy >= spun, "busy {busy:?} < spun {spun:?}");
    assert!(
        busy < spun + Duration::from_millis(200),
        "busy {busy:?} counts the 300 ms park (spun {spun:?})"
    );

    let built = Instant::now();
    let rt = common::multi(1);
    let metrics = rt.metrics();
    let before = metrics.worker_total_busy_duration(0);
    let spun = rt
        .block_on(rt.spawn(spin(Duration::from_millis(30))))
        .unwrap();
    // The worker adds the stretch when it parks, with nothing left to run.
    common::wait_until("the worker's busy time to cover the spin", || {
        metrics.worker_total_busy_duration(0) >= before + spun
    });
    drop(rt);
    let busy = metrics.worker_total_busy_duration(0);
    assert!(
        busy <= built.elapsed(),
        "busy {busy:?} is longer than the runtime lived"
    );
}
