//! Behaviour both scheduler flavours share: each case runs on a current-thread runtime and on
//! multi-thread runtimes with one and two workers.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};

use blitz_io::runtime::{Handle, RuntimeFlavor};
use blitz_io::{task, Runtime};
use common::{Flag, Gate};

/// Generates, for each case `fn name(rt: Runtime)`, a module `name` with one test per flavour.
macro_rules! on_every_flavour {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[test]
            fn current_thread() {
                super::$case(crate::common::current());
            }

            #[test]
            fn multi_thread_1_worker() {
                super::$case(crate::common::multi(1));
            }

            #[test]
            fn multi_thread_2_workers() {
                super::$case(crate::common::multi(2));
            }
        }
    )*};
}

on_every_flavour!(
    block_on_returns_the_output,
    nested_spawns_awaited_inside_tasks,
    spawn_100k_tasks,
    spawn_from_plain_threads_through_a_handle,
    handle_current_inside_and_outside,
    enter_then_spawn_outside_a_task,
    spawn_fn_runs_the_closure_once,
    spawn_blocking_awaited_and_blocking_joined,
    join_handle_woken_by_a_plain_thread,
    block_on_inside_block_on_panics,
    main_future_panic_leaves_the_runtime_usable,
    runtime_spawn_and_handle_spawn,
    enter_guards_dropped_out_of_order_panic,
    handle_block_on_from_a_blocking_job_and_a_plain_thread,
    handle_block_on_inside_the_runtime_panics,
);

fn block_on_returns_the_output(rt: Runtime) {
    assert_eq!(rt.block_on(async { 40 + 2 }), 42);
    // A second block_on on the same runtime works too.
    let text = rt.block_on(async { String::from("again") });
    assert_eq!(text, "again");
}

/// The path the Zig original never wired: spawn inside the runtime, spawn from the spawned
/// tasks, and await the handles inside tasks.
fn nested_spawns_awaited_inside_tasks(rt: Runtime) {
    let total = rt.block_on(async {
        let parents: Vec<_> = (0..8u64)
            .map(|i| {
                task::spawn(async move {
                    let children: Vec<_> = (0..8u64)
                        .map(|j| task::spawn(async move { i * 8 + j }))
                        .collect();
                    let mut sum = 0;
                    for child in children {
                        sum += child.await.expect("child task");
                    }
                    sum
                })
            })
            .collect();
        let mut total = 0;
        for parent in parents {
            total += parent.await.expect("parent task");
        }
        total
    });
    assert_eq!(total, (0..64u64).sum::<u64>());
}

fn spawn_100k_tasks(rt: Runtime) {
    const TASKS: usize = 100_000;
    let ran = Arc::new(AtomicUsize::new(0));
    let counter = ran.clone();
    let sum = rt.block_on(async move {
        // Spawned from inside a task, so on the multi-thread runtime the burst goes through
        // the worker's LIFO slot and local queue (and overflows into the global queue).
        task::spawn(async move {
            let handles: Vec<_> = (0..TASKS)
                .map(|i| {
                    let counter = counter.clone();
                    task::spawn(async move {
                        counter.fetch_add(1, SeqCst);
                        i
                    })
                })
                .collect();
            let mut sum = 0;
            for handle in handles {
                sum += handle.await.expect("task");
            }
            sum
        })
        .await
        .expect("spawner task")
    });
    assert_eq!(ran.load(SeqCst), TASKS);
    assert_eq!(sum, TASKS * (TASKS - 1) / 2);
}

fn spawn_from_plain_threads_through_a_handle(rt: Runtime) {
    let handle = rt.handle().clone();
    let done = Gate::new();
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let handle = handle.clone();
            std::thread::spawn(move || {
                let joins: Vec<_> = (0..100u64)
                    .map(|i| handle.spawn(async move { t * 1000 + i }))
                    .collect();
                joins
                    .into_iter()
                    .map(|join| join.blocking_join().expect("task"))
                    .sum::<u64>()
            })
        })
        .collect();
    // A current-thread runtime only runs tasks while a thread is inside `block_on`: keep one
    // there until every plain thread has its results.
    let waiter = {
        let done = done.clone();
        std::thread::spawn(move || {
            let sums: Vec<u64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
            done.open();
            sums
        })
    };
    rt.block_on(done.wait());
    let sums = waiter.join().unwrap();
    for (t, sum) in sums.into_iter().enumerate() {
        let t = t as u64;
        assert_eq!(sum, (0..100).map(|i| t * 1000 + i).sum::<u64>());
    }
}

fn handle_current_inside_and_outside(rt: Runtime) {
    assert!(Handle::try_current().is_err());
    let error = std::panic::catch_unwind(Handle::current).expect_err("no runtime here");
    let text = common::panic_text(error.as_ref()).expect("a text payload");
    assert!(text.contains("Runtime::enter"), "message: {text}");

    let flavour = rt.handle().runtime_flavor();
    let (in_block_on, in_task, in_blocking) = rt.block_on(async {
        let in_block_on = Handle::try_current().map(|h| h.runtime_flavor());
        let in_task = task::spawn(async {
            // A handle found inside a task spawns onto the same runtime.
            let handle = Handle::current();
            let flavour = handle.runtime_flavor();
            let child = handle.spawn(async { 5 }).await.unwrap();
            (flavour, child)
        })
        .await
        .unwrap();
        let in_blocking =
            task::spawn_blocking(|| Handle::try_current().map(|h| h.runtime_flavor()))
                .await
                .unwrap();
        (in_block_on, in_task, in_blocking)
    });
    assert_eq!(in_block_on, Ok(flavour));
    assert_eq!(in_task, (flavour, 5));
    assert_eq!(in_blocking, Ok(flavour));
    // Leaving block_on leaves the runtime.
    assert!(Handle::try_current().is_err());
}

fn enter_then_spawn_outside_a_task(rt: Runtime) {
    let join = {
        let _guard = rt.enter();
        assert!(Handle::try_current().is_ok());
        task::spawn(async { "spawned after enter" })
    };
    assert!(Handle::try_current().is_err(), "dropping the guard leaves");
    assert_eq!(rt.block_on(join).unwrap(), "spawned after enter");

    // Nested guards restore the previous runtime in reverse order.
    let other = common::current();
    let outer = rt.enter();
    {
        let _inner = other.enter();
        assert_eq!(
            Handle::current().runtime_flavor(),
            RuntimeFlavor::CurrentThread
        );
    }
    assert_eq!(
        Handle::current().runtime_flavor(),
        rt.handle().runtime_flavor()
    );
    drop(outer);
    assert!(Handle::try_current().is_err());
}

fn spawn_fn_runs_the_closure_once(rt: Runtime) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let value = rt.block_on(async move {
        fn add(a: u32, b: u32) -> u32 {
            a + b
        }
        let handle = task::spawn_fn(move || {
            counted.fetch_add(1, SeqCst);
            add(40, 2)
        });
        handle.await.unwrap()
    });
    assert_eq!(value, 42);
    assert_eq!(calls.load(SeqCst), 1);
}

fn spawn_blocking_awaited_and_blocking_joined(rt: Runtime) {
    let main_thread = std::thread::current().id();
    // Awaited inside the runtime; it runs on a pool thread, not the caller's.
    let (value, ran_on) = rt.block_on(async {
        task::spawn_blocking(|| (6 * 7, std::thread::current().id()))
            .await
            .unwrap()
    });
    assert_eq!(value, 42);
    assert_ne!(ran_on, main_thread);

    // Joined from the thread that owns the runtime, outside block_on.
    let joined = rt.spawn_blocking(|| "joined").blocking_join().unwrap();
    assert_eq!(joined, "joined");

    // Spawned and joined from a plain thread.
    let handle = rt.handle().clone();
    let from_thread = std::thread::spawn(move || handle.spawn_blocking(|| 7).blocking_join())
        .join()
        .unwrap();
    assert_eq!(from_thread.unwrap(), 7);
}

/// An awaited JoinHandle is woken when the task completes from a wake that came from outside
/// the runtime (the Zig original never woke it).
fn join_handle_woken_by_a_plain_thread(rt: Runtime) {
    let gate = Gate::new();
    let (pending_tx, pending_rx) = mpsc::channel();
    let opener = {
        let gate = gate.clone();
        std::thread::spawn(move || {
            // Both the task and its awaiter are parked on their wakers before the gate opens.
            pending_rx.recv().unwrap();
            pending_rx.recv().unwrap();
            gate.open();
        })
    };
    let output = rt.block_on(async move {
        let waiting = {
            let pending_tx = pending_tx.clone();
            task::spawn(common::signal_when_pending(
                async move {
                    gate.wait().await;
                    "released"
                },
                pending_tx,
            ))
        };
        let awaiter = task::spawn(common::signal_when_pending(
            async move { waiting.await.unwrap() },
            pending_tx,
        ));
        awaiter.await.unwrap()
    });
    assert_eq!(output, "released");
    opener.join().unwrap();
}

fn block_on_inside_block_on_panics(rt: Runtime) {
    let other = common::current();
    let still_works = rt.block_on(async {
        for inner in [&rt, &other] {
            let error = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                inner.block_on(async {});
            }))
            .expect_err("block_on inside block_on must panic");
            let text = common::panic_text(error.as_ref()).expect("a text payload");
            assert!(
                text.contains(".await") || text.contains("spawn"),
                "message should point at `.await` or `spawn`: {text}"
            );
        }
        // The outer runtime is unaffected by the caught panic.
        task::spawn(async { 1 }).await.unwrap()
    });
    assert_eq!(still_works, 1);
    // And so is the thread: block_on works again once the outer one returned.
    assert_eq!(other.block_on(async { 2 }), 2);
}

fn main_future_panic_leaves_the_runtime_usable(rt: Runtime) {
    common::quiet_expected_panics();
    let error = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            task::yield_now().await;
            panic!("{} from the main future", common::EXPECTED);
        })
    }))
    .expect_err("the main future's panic reaches the caller");
    let text = common::panic_text(error.as_ref()).unwrap();
    assert!(text.contains("from the main future"), "message: {text}");
    assert!(Handle::try_current().is_err(), "the panic left the runtime");
    let value = rt.block_on(async { task::spawn(async { 9 }).await.unwrap() });
    assert_eq!(value, 9);
}

fn runtime_spawn_and_handle_spawn(rt: Runtime) {
    let flag = Flag::new();
    let set = flag.clone();
    let a = rt.spawn(async move {
        set.set();
        1
    });
    let b = rt.handle().spawn(async { 2 });
    assert_ne!(a.id(), b.id());
    let (a, b) = rt.block_on(async { (a.await.unwrap(), b.await.unwrap()) });
    assert_eq!((a, b), (1, 2));
    assert!(flag.get());
}

/// Guards dropped out of order would restore the wrong runtime: here, leave the thread inside
/// `rt` after both guards are gone. As on Tokio, the misuse panics instead.
fn enter_guards_dropped_out_of_order_panic(rt: Runtime) {
    let other = common::current();
    let outer = rt.enter();
    let inner = other.enter();
    let error = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(outer)))
        .expect_err("dropping the outer guard first panics");
    let text = common::panic_text(error.as_ref()).unwrap();
    assert!(text.contains("out of order"), "message: {text}");
    drop(inner);
}

/// `Handle::block_on` on a thread that drives nothing: a blocking job (on a current-thread
/// runtime, the spawned task runs because the main thread is in `Runtime::block_on`), and a
/// plain thread while the runtime is driven.
fn handle_block_on_from_a_blocking_job_and_a_plain_thread(rt: Runtime) {
    let from_job = rt.block_on(async {
        let handle = Handle::current();
        task::spawn_blocking(move || {
            handle.block_on(async { task::spawn(async { 5 }).await.unwrap() })
        })
        .await
        .unwrap()
    });
    assert_eq!(from_job, 5);

    let handle = rt.handle().clone();
    let thread = std::thread::spawn(move || {
        handle.block_on(async {
            let inside = Handle::try_current().is_ok();
            (inside, task::spawn(async { 6 }).await.unwrap())
        })
    });
    // A current-thread runtime runs the plain thread's task only while driven here.
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || done_tx.send(thread.join().unwrap()).unwrap());
    let got = rt.block_on(async move {
        loop {
            if let Ok(got) = done_rx.try_recv() {
                return got;
            }
            task::yield_now().await;
        }
    });
    assert_eq!(got, (true, 6));
}

fn handle_block_on_inside_the_runtime_panics(rt: Runtime) {
    let handle = rt.handle().clone();
    let text = rt.block_on(async move {
        let error = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            handle.block_on(async {});
        }))
        .expect_err("Handle::block_on inside block_on must panic");
        common::panic_text(error.as_ref())
            .expect("a text payload")
            .to_owned()
    });
    assert!(text.contains(".await"), "{text}");
}
