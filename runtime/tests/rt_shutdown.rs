//! Runtime shutdown: every task is cancelled and dropped exactly once whatever state it is in,
//! late spawns are cancelled at once, and the bounded shutdowns do not wait for stuck work.

mod common;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use blitz_io::runtime::Handle;
use blitz_io::task::{self, JoinHandle};
use blitz_io::Runtime;
use common::{DropCounter, Flag, Gate};

/// A task that parks on `gate` forever and records whether it was ever polled.
fn parked_task(
    gate: &Gate,
    drops: &DropCounter,
    polled: &Flag,
) -> impl std::future::Future<Output = ()> {
    let (gate, guard, polled) = (gate.clone(), drops.guard(), polled.clone());
    async move {
        let _guard = guard;
        polled.set();
        gate.wait().await;
        unreachable!("the gate never opens");
    }
}

/// Resolves every handle on a fresh runtime and checks each one was cancelled.
fn assert_all_cancelled(handles: Vec<JoinHandle<()>>) {
    let checker = common::current();
    checker.block_on(async move {
        for (i, handle) in handles.into_iter().enumerate() {
            let error = handle.await.expect_err("cancelled by shutdown");
            assert!(error.is_cancelled(), "task {i}: {error:?}");
        }
    });
}

/// On the current-thread runtime the states are exact: idle on a waker, queued locally (spawned
/// by a `block_on` that then returned), and queued remotely (spawned from a plain thread).
#[test]
fn current_thread_shutdown_cancels_tasks_in_every_state() {
    let rt = common::current();
    let gate = Gate::new();
    let drops = DropCounter::new();
    let mut handles = Vec::new();

    let idle: Vec<Flag> = (0..3).map(|_| Flag::new()).collect();
    for polled in &idle {
        handles.push(rt.spawn(parked_task(&gate, &drops, polled)));
    }
    rt.block_on(common::yield_until("the idle tasks to park", || {
        gate.num_waiters() == 3
    }));

    let local: Vec<Flag> = (0..3).map(|_| Flag::new()).collect();
    let spawned = rt.block_on(async {
        // Returns without yielding: the tasks stay in the local run queue.
        local
            .iter()
            .map(|polled| task::spawn(parked_task(&gate, &drops, polled)))
            .collect::<Vec<_>>()
    });
    handles.extend(spawned);

    let remote: Vec<Flag> = (0..3).map(|_| Flag::new()).collect();
    let handle = rt.handle().clone();
    let spawned = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                remote
                    .iter()
                    .map(|polled| handle.spawn(parked_task(&gate, &drops, polled)))
                    .collect::<Vec<_>>()
            })
            .join()
            .unwrap()
    });
    handles.extend(spawned);
    assert_eq!(rt.metrics().global_queue_depth(), 3);
    assert_eq!(rt.metrics().num_alive_tasks(), 9);

    drop(rt);
    assert_eq!(drops.get(), 9, "every future dropped exactly once");
    assert!(idle.iter().all(Flag::get));
    assert!(
        !local.iter().chain(&remote).any(Flag::get),
        "queued tasks never ran"
    );
    assert_all_cancelled(handles);
    assert_eq!(drops.get(), 9);
}

/// On a two-worker runtime: two tasks running (holding their workers), tasks idle on wakers,
/// a task in a worker's LIFO slot, one in its local queue and tasks in the global queue.
/// `shutdown_timeout` starts the shutdown while both workers are still held, so each task is
/// in its state when the runtime begins to cancel. The held tasks park for good once released,
/// so only cancellation can end any of them.
#[test]
fn multi_thread_shutdown_cancels_tasks_in_every_state() {
    let rt = common::multi(2);
    let gate = Gate::new();
    let drops = DropCounter::new();
    let release = Flag::new();
    let unused = Flag::new();
    let mut handles = Vec::new();

    // Idle on a waker.
    let (parked_tx, parked_rx) = mpsc::channel();
    for _ in 0..3 {
        let task = parked_task(&gate, &drops, &unused);
        handles.push(rt.spawn(common::signal_when_pending(task, parked_tx.clone())));
    }
    for _ in 0..3 {
        parked_rx.recv().unwrap();
    }

    // Running: one holder per worker. The second spawns two children first: the newer waits in
    // its worker's LIFO slot, the older in the local queue (the other worker is held, so
    // neither can be stolen).
    let (started_tx, started_rx) = mpsc::channel();
    let (child_tx, child_rx) = mpsc::channel();
    for spawns_children in [false, true] {
        let (guard, release, started_tx) = (drops.guard(), release.clone(), started_tx.clone());
        let (gate, drops, unused) = (gate.clone(), drops.clone(), unused.clone());
        let child_tx = child_tx.clone();
        handles.push(rt.spawn(async move {
            let _guard = guard;
            if spawns_children {
                for _ in 0..2 {
                    let child = task::spawn(parked_task(&gate, &drops, &unused));
                    child_tx.send(child).unwrap();
                }
            }
            started_tx.send(()).unwrap();
            common::hold_until(&release);
            gate.wait().await;
        }));
        // The second holder is spawned only once the first holds a worker.
        started_rx.recv().unwrap();
    }
    handles.extend(child_rx.try_iter());

    // In the global queue.
    for _ in 0..3 {
        handles.push(rt.spawn(parked_task(&gate, &drops, &unused)));
    }
    assert_eq!(rt.metrics().global_queue_depth(), 3);
    assert_eq!(handles.len(), 10);

    let (returned_tx, returned_rx) = mpsc::channel();
    let shutter = std::thread::spawn(move || {
        rt.shutdown_timeout(Duration::from_millis(20));
        returned_tx.send(()).unwrap();
    });
    let returned = returned_rx.recv_timeout(Duration::from_secs(5)).is_ok();
    release.set();
    shutter.join().unwrap();
    assert!(
        returned,
        "shutdown_timeout(20 ms) waited for the held workers"
    );
    assert_all_cancelled(handles);
    assert_eq!(drops.get(), 10, "every future dropped exactly once");
}

/// Plain `drop` of a one-worker runtime whose worker is held: the drop waits for the worker,
/// and every task (held, idle, queued) ends cancelled and dropped once.
#[test]
fn drop_waits_for_the_held_worker_then_cancels_everything() {
    let rt = common::multi(1);
    let gate = Gate::new();
    let drops = DropCounter::new();
    let mut handles = Vec::new();
    let polled = Flag::new();
    handles.push(rt.spawn(parked_task(&gate, &drops, &polled)));
    let release = Flag::new();
    let (started_tx, started_rx) = mpsc::channel();
    handles.push(rt.spawn({
        let (guard, release) = (drops.guard(), release.clone());
        async move {
            let _guard = guard;
            started_tx.send(()).unwrap();
            common::hold_until(&release);
            std::future::pending::<()>().await;
        }
    }));
    started_rx.recv().unwrap();
    let queued = Flag::new();
    handles.push(rt.spawn(parked_task(&gate, &drops, &queued)));

    let (dropping_tx, dropping_rx) = mpsc::channel();
    let dropper = std::thread::spawn(move || {
        dropping_tx.send(()).unwrap();
        drop(rt);
    });
    dropping_rx.recv().unwrap();
    release.set();
    dropper.join().unwrap();
    assert_eq!(drops.get(), 3);
    assert!(polled.get());
    for handle in handles {
        assert!(handle.blocking_join().unwrap_err().is_cancelled());
    }
}

#[test]
fn spawn_through_a_handle_after_the_runtime_dropped() {
    for rt in [common::current(), common::multi(2)] {
        let handle = rt.handle().clone();
        drop(rt);
        let drops = DropCounter::new();
        let ran = Flag::new();
        let join = handle.spawn({
            let (guard, ran) = (drops.guard(), ran.clone());
            async move {
                let _guard = guard;
                ran.set();
            }
        });
        assert!(join.is_finished(), "cancelled on the spot");
        assert_eq!(drops.get(), 1);
        assert!(join.blocking_join().unwrap_err().is_cancelled());

        let blocking = handle.spawn_blocking({
            let (guard, ran) = (drops.guard(), ran.clone());
            move || {
                let _guard = guard;
                ran.set();
            }
        });
        assert!(blocking.is_finished());
        assert_eq!(drops.get(), 2, "the closure was dropped unrun");
        assert!(blocking.blocking_join().unwrap_err().is_cancelled());

        let entered = {
            let _guard = handle.enter();
            task::spawn(async {})
        };
        assert!(entered.blocking_join().unwrap_err().is_cancelled());
        assert!(!ran.get());
    }
}

/// A future whose `Drop` spawns a task while the runtime shuts down: that task is cancelled at
/// once instead of running or hanging the shutdown.
#[test]
fn spawn_from_a_destructor_during_shutdown() {
    struct SpawnOnDrop {
        handle: Handle,
        spawned: mpsc::Sender<JoinHandle<()>>,
        ran: Flag,
    }
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            let ran = self.ran.clone();
            let join = self.handle.spawn(async move { ran.set() });
            self.spawned.send(join).unwrap();
        }
    }
    for rt in [common::current(), common::multi(2)] {
        let (spawned_tx, spawned_rx) = mpsc::channel();
        let ran = Flag::new();
        let gate = Gate::new();
        let spawner = SpawnOnDrop {
            handle: rt.handle().clone(),
            spawned: spawned_tx,
            ran: ran.clone(),
        };
        let parked = rt.spawn({
            let gate = gate.clone();
            async move {
                let _spawner = spawner;
                gate.wait().await;
            }
        });
        rt.block_on(common::yield_until("the task to park", || {
            gate.num_waiters() == 1
        }));
        drop(rt);
        assert!(parked.blocking_join().unwrap_err().is_cancelled());
        let late = spawned_rx.recv().unwrap();
        assert!(late.blocking_join().unwrap_err().is_cancelled());
        assert!(!ran.get());
    }
}

/// Runs `shutdown` on a helper thread while a blocking job is stuck, and reports whether it
/// returned within 5 s. The job is released afterwards either way, so nothing leaks.
fn returns_while_a_blocking_job_is_stuck(rt: Runtime, shutdown: fn(Runtime)) -> bool {
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let job = rt.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        release_rx.recv().unwrap();
        "finished"
    });
    started_rx.recv().unwrap();
    let (returned_tx, returned_rx) = mpsc::channel();
    let shutter = std::thread::spawn(move || {
        shutdown(rt);
        returned_tx.send(()).unwrap();
    });
    let returned = returned_rx.recv_timeout(Duration::from_secs(5)).is_ok();
    release_tx.send(()).unwrap();
    shutter.join().unwrap();
    // A running job is never interrupted: it finishes and reports its output.
    assert_eq!(job.blocking_join().unwrap(), "finished");
    returned
}

#[test]
fn shutdown_timeout_returns_while_a_blocking_job_is_stuck() {
    for rt in [common::current(), common::multi(1)] {
        let returned = returns_while_a_blocking_job_is_stuck(rt, |rt| {
            rt.shutdown_timeout(Duration::from_millis(50));
        });
        assert!(returned, "shutdown_timeout(50 ms) still waited after 5 s");
    }
}

#[test]
fn shutdown_background_does_not_wait_for_a_blocking_job() {
    for rt in [common::current(), common::multi(1)] {
        let returned = returns_while_a_blocking_job_is_stuck(rt, Runtime::shutdown_background);
        assert!(returned, "shutdown_background still waited after 5 s");
    }
}

#[test]
fn shutdown_background_does_not_wait_for_a_held_worker() {
    let rt = common::multi(1);
    let release = Flag::new();
    let (started_tx, started_rx) = mpsc::channel();
    let held = rt.spawn({
        let release = release.clone();
        async move {
            started_tx.send(()).unwrap();
            common::hold_until(&release);
            task::yield_now().await;
        }
    });
    started_rx.recv().unwrap();
    rt.shutdown_background();
    // Returned while the worker is still held: release it, and its task is cancelled.
    release.set();
    assert!(held.blocking_join().unwrap_err().is_cancelled());
}

/// `drop` waits for a running blocking job: the job below can only finish once shutdown has
/// begun (it probes by spawning tasks until one is cancelled), so it is done when drop returns.
#[test]
fn drop_waits_for_a_running_blocking_job() {
    for rt in [common::current(), common::multi(1)] {
        let finished = Flag::new();
        let (started_tx, started_rx) = mpsc::channel();
        let job = rt.spawn_blocking({
            let finished = finished.clone();
            move || {
                started_tx.send(()).unwrap();
                let handle = Handle::current();
                let deadline = Instant::now() + Duration::from_secs(10);
                let mut saw_shutdown = false;
                while Instant::now() < deadline {
                    // On the current-thread runtime nobody drives tasks, so the first probe
                    // resolves only when shutdown cancels it.
                    if handle.spawn(async {}).blocking_join().is_err() {
                        saw_shutdown = true;
                        break;
                    }
                }
                finished.set();
                saw_shutdown
            }
        });
        started_rx.recv().unwrap();
        drop(rt);
        assert!(
            finished.get(),
            "drop returned before the running job finished"
        );
        assert!(job.blocking_join().unwrap(), "the job saw the shutdown");
    }
}

#[test]
fn dropping_a_runtime_inside_an_async_context_panics() {
    common::quiet_expected_panics();
    let outer = common::current();
    let inner = common::multi(1);
    let error = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        outer.block_on(async move { drop(inner) });
    }))
    .expect_err("dropping a runtime inside block_on panics");
    let text = common::panic_text(error.as_ref()).unwrap();
    assert!(text.contains("shutdown_background"), "{text}");

    // On a worker thread too; the worker survives.
    let outer = common::multi(1);
    let inner = common::current();
    let error = outer
        .block_on(async move { task::spawn(async move { drop(inner) }).await })
        .unwrap_err();
    let payload = error.into_panic();
    let text = common::panic_text(payload.as_ref()).unwrap();
    assert!(text.contains("shutdown_background"), "{text}");
    assert_eq!(
        outer
            .block_on(async { task::spawn(async { 4 }).await })
            .unwrap(),
        4
    );
}

/// `shutdown_background` is the documented way to get rid of a runtime inside async code.
#[test]
fn shutdown_background_inside_an_async_context() {
    for outer in [common::current(), common::multi(1)] {
        let inner = common::multi(1);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            outer.block_on(async move { inner.shutdown_background() });
        }));
        if let Err(payload) = result {
            panic!(
                "shutdown_background inside block_on panicked: {:?}",
                common::panic_text(payload.as_ref())
            );
        }
        let inner = common::current();
        let in_task = outer
            .block_on(async move { task::spawn(async move { inner.shutdown_background() }).await });
        assert!(
            in_task.is_ok(),
            "shutdown_background inside a task: {in_task:?}"
        );
    }
}

/// A task that holds the last reference to its own multi-thread runtime and panics: the
/// unwinding drops the runtime on its own worker. The drop must not wait (a worker cannot
/// join itself; `thread::join` on the current thread panics, and a panic during unwinding
/// aborts the process): it shuts down without waiting, as it does outside a panic, and the
/// task's handle reports the panic. Run in a child process, since the failure is an abort.
#[test]
fn a_runtime_dropped_while_its_own_worker_unwinds_does_not_abort() {
    const CHILD: &str = "BLITZ_RT_SHUTDOWN_UNWIND_CHILD";
    const NAME: &str = "a_runtime_dropped_while_its_own_worker_unwinds_does_not_abort";
    if std::env::var_os(CHILD).is_some() {
        common::quiet_expected_panics();
        let rt = std::sync::Arc::new(common::multi(1));
        let gate = Gate::new();
        let task = {
            let (keep, gate) = (rt.clone(), gate.clone());
            rt.spawn(async move {
                let _keep = keep;
                gate.wait().await;
                panic!(
                    "{}: unwinding drops the last runtime reference",
                    common::EXPECTED
                );
            })
        };
        drop(rt);
        gate.open();
        let (done_tx, done_rx) = mpsc::channel();
        std::thread::spawn(move || done_tx.send(task.blocking_join()).unwrap());
        let error = done_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the task's handle never resolved")
            .expect_err("the task panicked");
        assert!(error.is_panic(), "{error:?}");
        return;
    }
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", NAME, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || done_tx.send(child.wait_with_output().unwrap()).unwrap());
    let output = done_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the child process hung");
    assert!(
        output.status.success(),
        "the child failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}
