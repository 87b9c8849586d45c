//! Panics in a task's `poll`, in its future's `Drop` (on completion, abort and shutdown) and in
//! blocking jobs become `JoinError`s, and the thread that ran them keeps working.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc;
use std::task::{Context, Poll};

use blitz_io::task::JoinHandle;
use blitz_io::{task, Runtime};
use common::{DropCounter, Gate, PanicOnDrop, EXPECTED};

fn flavours() -> [(&'static str, Runtime); 2] {
    [
        ("current", common::current()),
        ("multi-1", common::multi(1)),
    ]
}

fn text_of(error: blitz_io::task::JoinError) -> String {
    assert!(error.is_panic(), "expected a panic, got {error:?}");
    assert!(!error.is_cancelled());
    let payload = error.into_panic();
    common::panic_text(payload.as_ref())
        .expect("a text payload")
        .to_owned()
}

#[test]
fn panic_in_poll_is_caught_with_its_payload() {
    common::quiet_expected_panics();
    for (name, rt) in flavours() {
        let (literal, formatted, custom) = rt.block_on(async {
            let literal = task::spawn(async {
                task::yield_now().await;
                panic!("expected panic: literal");
            });
            let formatted = task::spawn(async {
                panic!("{EXPECTED}: formatted {}", 7);
            });
            let custom = task::spawn(async {
                std::panic::panic_any(42u32);
            });
            (literal.await, formatted.await, custom.await)
        });
        let literal = literal.unwrap_err();
        assert!(format!("{literal}").contains("panicked"), "{name}");
        assert!(format!("{literal:?}").contains("literal"), "{name}");
        let payload = literal.into_panic();
        assert_eq!(
            payload.downcast_ref::<&str>(),
            Some(&"expected panic: literal"),
            "{name}"
        );
        let formatted = formatted.unwrap_err().into_panic();
        assert_eq!(
            formatted.downcast_ref::<String>().map(String::as_str),
            Some("expected panic: formatted 7"),
            "{name}"
        );
        let custom = custom.unwrap_err().into_panic();
        assert_eq!(custom.downcast_ref::<u32>(), Some(&42), "{name}");
    }
}

/// After panicking tasks, later tasks still run on the same thread: the worker (or the
/// `block_on` thread) survived.
#[test]
fn the_worker_survives_panicking_tasks() {
    common::quiet_expected_panics();
    for (name, rt) in flavours() {
        let before = rt.block_on(task_thread());
        let results = rt.block_on(async {
            let mut results = Vec::new();
            for i in 0..10 {
                let handle = task::spawn(async move {
                    if i % 2 == 0 {
                        panic!("{EXPECTED} number {i}");
                    }
                    i
                });
                results.push(handle.await);
            }
            // A detached panicking task, nobody to report to.
            drop(task::spawn(async { panic!("{EXPECTED}, detached") }));
            results
        });
        for (i, result) in results.into_iter().enumerate() {
            match result {
                Ok(value) => assert_eq!(value, i, "{name}"),
                Err(error) => assert_eq!(text_of(error), format!("{EXPECTED} number {i}")),
            }
        }
        let after = rt.block_on(task_thread());
        assert_eq!(before, after, "{name}: same worker thread before and after");
    }
}

async fn task_thread() -> std::thread::ThreadId {
    task::spawn(async { std::thread::current().id() })
        .await
        .unwrap()
}

/// Aborting an idle task whose future panics when dropped reports that panic.
#[test]
fn panic_in_drop_during_abort() {
    common::quiet_expected_panics();
    for (name, rt) in flavours() {
        let gate = Gate::new();
        let (pending_tx, pending_rx) = mpsc::channel();
        let handle = rt.spawn(common::signal_when_pending(
            {
                let bomb = PanicOnDrop("expected panic in drop during abort");
                let gate = gate.clone();
                async move {
                    let _bomb = bomb;
                    gate.wait().await;
                }
            },
            pending_tx,
        ));
        rt.block_on(common::yield_until("the task to park", || {
            pending_rx.try_recv().is_ok()
        }));
        handle.abort();
        let error = rt.block_on(handle).unwrap_err();
        assert_eq!(
            text_of(error),
            "expected panic in drop during abort",
            "{name}"
        );
        assert_eq!(
            rt.block_on(async { task::spawn(async { 1 }).await })
                .unwrap(),
            1
        );
    }
}

/// Shutdown cancels every task even when one of them panics while being dropped; that task's
/// handle reports the panic, the others report cancellation.
#[test]
fn panic_in_drop_during_shutdown() {
    common::quiet_expected_panics();
    for (name, rt) in flavours() {
        let gate = Gate::new();
        let drops = DropCounter::new();
        let mut handles = Vec::new();
        for i in 0..5 {
            let gate = gate.clone();
            let guard = drops.guard();
            // Built only for task 2: a `PanicOnDrop` built and discarded would panic here.
            let bomb = if i == 2 {
                Some(PanicOnDrop("expected panic in drop during shutdown"))
            } else {
                None
            };
            handles.push(rt.spawn(async move {
                let _guard = guard;
                let _bomb = bomb;
                gate.wait().await;
            }));
        }
        rt.block_on(common::yield_until("every task to park", || {
            gate.num_waiters() == 5
        }));
        drop(rt);
        assert_eq!(drops.get(), 5, "{name}: every future dropped once");
        for (i, handle) in handles.into_iter().enumerate() {
            let error = handle.blocking_join().unwrap_err();
            if i == 2 {
                assert_eq!(text_of(error), "expected panic in drop during shutdown");
            } else {
                assert!(error.is_cancelled(), "{name}: task {i}: {error:?}");
            }
        }
    }
}

/// A future that is ready at once but panics when dropped afterwards.
struct ReadyThenPanicOnDrop {
    _bomb: PanicOnDrop,
}

impl Future for ReadyThenPanicOnDrop {
    type Output = u8;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<u8> {
        Poll::Ready(5)
    }
}

/// The future completed, then panicked while being dropped: the panic wins over the output.
#[test]
fn panic_in_drop_after_completion() {
    common::quiet_expected_panics();
    for (name, rt) in flavours() {
        let result = rt.block_on(async {
            task::spawn(ReadyThenPanicOnDrop {
                _bomb: PanicOnDrop("expected panic in drop after ready"),
            })
            .await
        });
        assert_eq!(
            text_of(result.unwrap_err()),
            "expected panic in drop after ready",
            "{name}"
        );
    }
}

/// The output of a detached task panics when the runtime drops it; the worker carries on.
#[test]
fn panicking_output_of_a_detached_task() {
    common::quiet_expected_panics();
    for (name, rt) in flavours() {
        let value = rt.block_on(async {
            drop(task::spawn(async {
                PanicOnDrop("expected panic dropping a detached output")
            }));
            task::yield_now().await;
            task::spawn(async { "after" }).await.unwrap()
        });
        assert_eq!(value, "after", "{name}");
        let thread = rt.block_on(task_thread());
        assert_eq!(thread, rt.block_on(task_thread()), "{name}");
    }
}

#[test]
fn panic_in_a_blocking_job() {
    common::quiet_expected_panics();
    for (name, rt) in flavours() {
        let job: JoinHandle<()> = rt.spawn_blocking(|| panic!("expected panic in a blocking job"));
        let error = job.blocking_join().unwrap_err();
        assert_eq!(text_of(error), "expected panic in a blocking job", "{name}");
        assert_eq!(
            rt.spawn_blocking(|| 8).blocking_join().unwrap(),
            8,
            "{name}"
        );
    }
}

#[test]
fn cancelled_errors_have_no_payload() {
    common::quiet_expected_panics();
    let rt = common::multi(1);
    let handle = rt.spawn(std::future::pending::<()>());
    handle.abort();
    let error = rt.block_on(handle).unwrap_err();
    let error = error.try_into_panic().expect_err("no payload");
    assert!(error.is_cancelled());
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| error.into_panic()))
        .expect_err("into_panic on a cancelled error panics");
    let text = common::panic_text(caught.as_ref()).unwrap();
    assert!(text.contains("is_panic"), "{text}");
}

/// A panic payload whose drop panics again: `PayloadBomb(0)` panics with a plain message,
/// `PayloadBomb(n)` with `PayloadBomb(n - 1)` as the new payload.
struct PayloadBomb(u32);

impl Drop for PayloadBomb {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        match self.0 {
            0 => panic!("{EXPECTED}: dropping a panic payload"),
            n => std::panic::panic_any(PayloadBomb(n - 1)),
        }
    }
}

/// Whichever side drops the payload of a task's panic (the completing worker for a detached
/// task, the `JoinHandle` dropped after completion, shutdown for a task cancelled while its
/// future's drop panics), a panic from that drop, and from the drop of that panic's own
/// payload, stays inside the runtime: the worker keeps running tasks and the thread dropping
/// the handle or the runtime does not unwind.
#[test]
fn a_panic_payload_that_panics_when_dropped_stays_contained() {
    common::quiet_expected_panics();
    for depth in [0, 1] {
        for (name, rt) in flavours() {
            let name = format!("{name}, depth {depth}");
            let before = thread_running_tasks(&rt, &name);
            // Detached before it panics: the completing worker drops the payload.
            let handle = rt.spawn(async move {
                task::yield_now().await;
                std::panic::panic_any(PayloadBomb(depth));
            });
            let abort = handle.abort_handle();
            drop(handle);
            rt.block_on(common::yield_until("the detached task to finish", || {
                abort.is_finished()
            }));
            assert_eq!(before, thread_running_tasks(&rt, &name), "{name}");
            // Dropped after completion: the handle drops the payload.
            let handle = rt.spawn(async move { std::panic::panic_any(PayloadBomb(depth)) });
            rt.block_on(common::yield_until("the task to finish", || {
                handle.is_finished()
            }));
            drop(handle);
            assert_eq!(before, thread_running_tasks(&rt, &name), "{name}");
            // Shutdown cancels a parked task whose future's drop panics with the bomb, and a
            // finished one whose handle outlives the runtime.
            let gate = Gate::new();
            let (pending_tx, pending_rx) = mpsc::channel();
            let bomb_in_drop = rt.spawn(common::signal_when_pending(
                {
                    let gate = gate.clone();
                    let bomb = PanicWithPayloadOnDrop(depth);
                    async move {
                        let _bomb = bomb;
                        gate.wait().await;
                    }
                },
                pending_tx,
            ));
            let finished = rt.spawn(async move { std::panic::panic_any(PayloadBomb(depth)) });
            let mut parked = false;
            rt.block_on(common::yield_until("the tasks to settle", || {
                parked = parked || pending_rx.try_recv().is_ok();
                parked && finished.is_finished()
            }));
            drop(bomb_in_drop);
            drop(rt);
            drop(finished);
        }
    }
}

/// The thread a new task runs on, bounded: a runtime whose worker died runs no task, and this
/// fails instead of hanging.
fn thread_running_tasks(rt: &Runtime, name: &str) -> std::thread::ThreadId {
    let (tx, rx) = mpsc::channel();
    drop(rt.spawn(async move { tx.send(std::thread::current().id()).unwrap() }));
    let mut thread = None;
    let what = format!("{name}: a new task to run");
    // A current-thread runtime runs its tasks inside `block_on` only.
    rt.block_on(common::yield_until(&what, || {
        thread = thread.or_else(|| rx.try_recv().ok());
        thread.is_some()
    }));
    thread.unwrap()
}

/// A future part whose drop panics with a [`PayloadBomb`] as the payload.
struct PanicWithPayloadOnDrop(u32);

impl Drop for PanicWithPayloadOnDrop {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            std::panic::panic_any(PayloadBomb(self.0));
        }
    }
}
