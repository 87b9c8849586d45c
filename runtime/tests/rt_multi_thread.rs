//! The multi-thread scheduler: worker threads, parallelism, work stealing, and tasks that run
//! without anyone inside `block_on`.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

use blitz_io::runtime::Handle;
use blitz_io::task;
use common::{Flag, Gate};

/// The seed's `io.run(app)` end to end: nested spawns, handles awaited inside tasks,
/// `spawn_fn`, `spawn_blocking` and `Handle::current`.
#[test]
fn run_end_to_end() {
    let report = blitz_io::run(async {
        let workers = Handle::current().metrics().num_workers();
        let tree = task::spawn(async {
            let leaves: Vec<_> = (1..=10u64)
                .map(|i| task::spawn(async move { task::spawn_fn(move || i * i).await.unwrap() }))
                .collect();
            let mut sum = 0;
            for leaf in leaves {
                sum += leaf.await.unwrap();
            }
            sum
        });
        let squares = tree.await.unwrap();
        let doubled = task::spawn_blocking(move || squares * 2).await.unwrap();
        (workers, squares, doubled)
    });
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    assert_eq!(report, (cpus.min(64), 385, 770));
}

/// Tasks run on the named worker threads; the `block_on` future runs on the caller's thread.
#[test]
fn tasks_run_on_workers_and_block_on_on_the_caller() {
    let rt = common::multi(2);
    let caller = std::thread::current().id();
    let (in_block_on, in_task) = rt.block_on(async {
        let in_task = task::spawn(async {
            let thread = std::thread::current();
            (thread.id(), thread.name().map(str::to_owned))
        })
        .await
        .unwrap();
        (std::thread::current().id(), in_task)
    });
    assert_eq!(in_block_on, caller);
    assert_ne!(in_task.0, caller);
    assert_eq!(in_task.1.as_deref(), Some("blitz-io-worker"));
}

/// Each task counts itself in, then holds its worker until all have arrived (bounded): this
/// only finishes if the tasks really run on `n` threads at once.
fn rendezvous(arrived: &Arc<AtomicUsize>, n: usize) -> impl std::future::Future<Output = bool> {
    let arrived = arrived.clone();
    async move {
        arrived.fetch_add(1, SeqCst);
        let deadline = Instant::now() + Duration::from_secs(10);
        while arrived.load(SeqCst) < n {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::yield_now();
        }
        true
    }
}

#[test]
fn workers_run_tasks_in_parallel() {
    for workers in [2, 4] {
        let rt = common::multi(workers);
        let arrived = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..workers)
            .map(|_| rt.spawn(rendezvous(&arrived, workers)))
            .collect();
        for handle in handles {
            assert!(
                rt.block_on(handle).unwrap(),
                "{workers} tasks never ran at once"
            );
        }
    }
}

/// Two tasks spawned by one task land on its worker (LIFO slot and local queue); they can only
/// meet if an idle worker is woken and steals one of them.
#[test]
fn idle_worker_steals_from_a_busy_one() {
    let rt = common::multi(2);
    let arrived = Arc::new(AtomicUsize::new(0));
    let met = rt.block_on(async {
        task::spawn(async move {
            let first = task::spawn(rendezvous(&arrived, 2));
            let second = task::spawn(rendezvous(&arrived, 2));
            first.await.unwrap() && second.await.unwrap()
        })
        .await
        .unwrap()
    });
    assert!(met, "the second worker never took one of the tasks");
}

/// Nobody is inside `block_on`: the workers still run tasks and wakes.
#[test]
fn tasks_run_without_block_on() {
    let rt = common::multi(1);
    let gate = Gate::new();
    let waiting = rt.spawn({
        let gate = gate.clone();
        async move {
            gate.wait().await;
            task::spawn(async { "child" }).await.unwrap()
        }
    });
    let done = rt.spawn(async { 1 + 1 });
    assert_eq!(done.blocking_join().unwrap(), 2);
    gate.open();
    assert_eq!(waiting.blocking_join().unwrap(), "child");
}

/// Wakes from many plain threads at once all reach their tasks.
#[test]
fn wakes_from_many_threads() {
    let rt = common::multi(2);
    let gates: Vec<Gate> = (0..64).map(|_| Gate::new()).collect();
    let woken = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = gates
        .iter()
        .map(|gate| {
            let (gate, woken) = (gate.clone(), woken.clone());
            rt.spawn(async move {
                gate.wait().await;
                woken.fetch_add(1, SeqCst);
            })
        })
        .collect();
    std::thread::scope(|scope| {
        for chunk in gates.chunks(16) {
            scope.spawn(move || chunk.iter().for_each(Gate::open));
        }
    });
    for handle in handles {
        handle.blocking_join().unwrap();
    }
    assert_eq!(woken.load(SeqCst), 64);
}

/// A task holding one worker does not stop the other worker from running everything else.
#[test]
fn a_held_worker_does_not_block_the_others() {
    let rt = common::multi(2);
    let release = Flag::new();
    let held = rt.spawn({
        let release = release.clone();
        async move { common::hold_until(&release) }
    });
    let sum = rt.block_on(async {
        let handles: Vec<_> = (0..100u32).map(|i| task::spawn(async move { i })).collect();
        let mut sum = 0;
        for handle in handles {
            sum += handle.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, 4950);
    release.set();
    rt.block_on(held).unwrap();
}

#[test]
fn block_on_or_run_inside_a_task_panics() {
    let outer = common::multi(1);
    let other = std::sync::Arc::new(common::current());
    let inner = other.clone();
    let block_on = outer
        .block_on(async move { task::spawn(async move { inner.block_on(async {}) }).await })
        .unwrap_err();
    let run = outer
        .block_on(async { task::spawn(async { blitz_io::run(async {}) }).await })
        .unwrap_err();
    for error in [block_on, run] {
        let payload = error.into_panic();
        let text = common::panic_text(payload.as_ref()).unwrap();
        assert!(text.contains(".await") || text.contains("spawn"), "{text}");
    }
    assert_eq!(other.block_on(async { 1 }), 1);
}

/// One driver turn that makes two sockets readable wakes two tasks onto the queue of the worker
/// that turned it, while that worker is still registered as parked. It must wake the other
/// worker for them (in debug builds the scheduler asserts that a worker registered as parked
/// never notifies: it could pick itself and wake nobody), and the two tasks then run at the
/// same time: each holds its thread until the other has started. When the readiness arrives in
/// two turns instead, the second socket is served by the watcher while the first task holds
/// its thread. Both workers are parked, with the sockets registered, before the bytes are
/// written: a worker that is still on its way to park when the other's turn queues the tasks
/// is counted as running, so nobody wakes it and the tasks run one after the other (as in
/// Tokio), which a task that blocks its thread would turn into a stall.
#[cfg(unix)]
#[test]
fn tasks_woken_by_one_driver_turn_are_shared_with_a_sleeping_worker() {
    use blitz_io::io::AsyncReadExt;
    use std::io::Write;
    use std::sync::mpsc;

    for backend in common::io_backends() {
        let rt = common::multi_on(2, backend);
        for round in 0..20 {
            let arrived = Arc::new(AtomicUsize::new(0));
            let (pending_tx, pending_rx) = mpsc::channel();
            let (done_tx, done_rx) = mpsc::channel();
            let mut writers = Vec::new();
            for _ in 0..2 {
                let (writer, reader) = std::os::unix::net::UnixStream::pair().unwrap();
                reader.set_nonblocking(true).unwrap();
                writers.push(writer);
                let (arrived, pending_tx, done_tx) =
                    (arrived.clone(), pending_tx.clone(), done_tx.clone());
                drop(rt.spawn(async move {
                    let mut reader = blitz_io::net::UnixStream::from_std(reader).unwrap();
                    pending_tx.send(()).unwrap();
                    let mut byte = [0u8; 1];
                    reader.read_exact(&mut byte).await.unwrap();
                    // Holds this worker's thread until the other task runs elsewhere.
                    let met = rendezvous(&arrived, 2).await;
                    done_tx.send((byte[0], met)).unwrap();
                }));
            }
            for _ in 0..2 {
                pending_rx
                    .recv_timeout(Duration::from_secs(10))
                    .expect("a spawned task started");
            }
            // The tasks registered their sockets before saying they were pending, so both
            // workers park with something to watch.
            let metrics = rt.metrics();
            common::wait_until("both workers to park", || {
                (0..2).all(|w| metrics.worker_park_count(w) > metrics.worker_unpark_count(w))
            });
            for writer in &mut writers {
                writer.write_all(&[round]).unwrap();
            }
            for _ in 0..2 {
                let (byte, met) = done_rx
                    .recv_timeout(Duration::from_secs(20))
                    .expect("both woken tasks finished");
                assert_eq!(byte, round);
                assert!(
                    met,
                    "{backend:?} round {round}: the two woken tasks never ran at once ({:?})",
                    rt.metrics()
                );
            }
        }
    }
}
