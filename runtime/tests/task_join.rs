//! `JoinHandle`: awaiting, `blocking_join`, detaching, ids and the output's lifetime.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc;
use std::task::Poll;

use blitz_io::task::{self, JoinHandle};
use blitz_io::Runtime;
use common::{DropCounter, Gate};

fn flavours() -> [(&'static str, Runtime); 2] {
    [("current", common::current()), ("multi", common::multi(2))]
}

/// Polls `handle` once with the calling task's waker and hands it back.
async fn poll_once<T>(mut handle: JoinHandle<T>) -> (Poll<()>, JoinHandle<T>) {
    let poll =
        std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut handle).poll(cx).map(|_| ()))).await;
    (poll, handle)
}

#[test]
fn outputs_of_any_send_type() {
    for (name, rt) in flavours() {
        let (text, list, unit) = rt.block_on(async {
            let text = task::spawn(async { String::from("text") });
            let list = task::spawn(async { vec![1u8, 2, 3] });
            let unit = task::spawn(async {});
            (text.await, list.await, unit.await)
        });
        assert_eq!(text.unwrap(), "text", "{name}");
        assert_eq!(list.unwrap(), [1, 2, 3], "{name}");
        unit.unwrap();
    }
}

#[test]
fn is_finished_tracks_completion() {
    for (name, rt) in flavours() {
        let gate = Gate::new();
        let (pending_tx, pending_rx) = mpsc::channel();
        let waiting = gate.wait();
        let handle = rt.spawn(common::signal_when_pending(waiting, pending_tx));
        // Drive the runtime until the task is parked on the gate.
        rt.block_on(common::yield_until("the task to wait", || {
            pending_rx.try_recv().is_ok()
        }));
        assert!(!handle.is_finished(), "{name}: the task waits on the gate");
        gate.open();
        rt.block_on(common::yield_until("completion", || handle.is_finished()));
        rt.block_on(handle).unwrap();
    }
}

/// The handle is polled by one task, then moved to another that awaits it: the completion
/// wakes the second task's waker, not the stale first one.
#[test]
fn handle_moved_between_tasks_wakes_the_latest_waiter() {
    for (name, rt) in flavours() {
        let gate = Gate::new();
        let output = rt.block_on({
            let gate = gate.clone();
            async move {
                let target = task::spawn({
                    let gate = gate.clone();
                    async move {
                        gate.wait().await;
                        "done"
                    }
                });
                // Handing the (awaitable) handle back out of the task is the point here.
                #[allow(clippy::async_yields_async)]
                let first = task::spawn(async move {
                    let (poll, handle) = poll_once(target).await;
                    assert!(poll.is_pending(), "the target waits on the gate");
                    handle
                });
                let handle = first.await.unwrap();
                let (pending_tx, pending_rx) = mpsc::channel();
                let second = task::spawn(common::signal_when_pending(
                    async move { handle.await.unwrap() },
                    pending_tx,
                ));
                // The second task registers its waker before the target can finish.
                common::yield_until("the second waiter", || pending_rx.try_recv().is_ok()).await;
                gate.open();
                second.await.unwrap()
            }
        });
        assert_eq!(output, "done", "{name}");
    }
}

#[test]
fn blocking_join_from_a_plain_thread() {
    for (name, rt) in flavours() {
        let gate = Gate::new();
        let handle = rt.spawn({
            let gate = gate.clone();
            async move {
                gate.wait().await;
                11
            }
        });
        let done = Gate::new();
        let joiner = {
            let done = done.clone();
            std::thread::spawn(move || {
                let result = handle.blocking_join();
                done.open();
                result
            })
        };
        // The current-thread runtime only runs the task while a thread is inside block_on.
        rt.block_on(async {
            gate.open();
            done.wait().await;
        });
        assert_eq!(joiner.join().unwrap().unwrap(), 11, "{name}");
    }
}

#[test]
fn blocking_join_inside_the_runtime_panics() {
    common::quiet_expected_panics();
    for (name, rt) in flavours() {
        let text = rt.block_on(async {
            let handle = task::spawn(async { 1 });
            let error = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
                handle.blocking_join()
            }))
            .expect_err("blocking_join inside block_on must panic");
            common::panic_text(error.as_ref()).unwrap().to_owned()
        });
        assert!(text.contains("blocking_join"), "{name}: {text}");
        assert!(text.contains(".await"), "{name}: {text}");
    }
    // On a worker thread too.
    let rt = common::multi(1);
    let error = rt
        .block_on(async {
            task::spawn(async {
                let inner = task::spawn(async {});
                let _ = inner.blocking_join();
            })
            .await
        })
        .expect_err("blocking_join on a worker must panic");
    assert!(error.is_panic());
    let text = common::panic_text(error.into_panic().as_ref())
        .unwrap()
        .to_owned();
    assert!(text.contains(".await"), "{text}");
}

#[test]
fn dropping_the_handle_detaches_the_task() {
    for (_, rt) in flavours() {
        let start = Gate::new();
        let finished = Gate::new();
        let handle = rt.spawn({
            let start = start.clone();
            let finished = finished.clone();
            async move {
                start.wait().await;
                finished.open();
            }
        });
        drop(handle);
        start.open();
        // Returns only if the detached task ran to the end.
        rt.block_on(finished.wait());
    }
}

#[test]
fn output_is_dropped_by_whoever_ends_up_with_it() {
    for (name, rt) in flavours() {
        // Output read through the handle: the caller owns it.
        let read = DropCounter::new();
        let output = rt.block_on(rt.spawn({
            let guard = read.guard();
            async move { guard }
        }));
        assert_eq!(read.get(), 0, "{name}");
        drop(output);
        assert_eq!(read.get(), 1, "{name}");

        // Handle dropped after completion, output never read: dropped with the handle.
        let unread = DropCounter::new();
        let handle = rt.spawn({
            let guard = unread.guard();
            async move { guard }
        });
        rt.block_on(common::yield_until("completion", || handle.is_finished()));
        assert_eq!(unread.get(), 0, "{name}: the output waits for the handle");
        drop(handle);
        assert_eq!(unread.get(), 1, "{name}");

        // Handle dropped first: the output is dropped when the task completes.
        let detached = DropCounter::new();
        let gate = Gate::new();
        let handle = rt.spawn({
            let guard = detached.guard();
            let gate = gate.clone();
            async move {
                gate.wait().await;
                guard
            }
        });
        drop(handle);
        assert_eq!(detached.get(), 0, "{name}");
        rt.block_on(async {
            gate.open();
            common::yield_until("the detached output to drop", || detached.get() == 1).await;
        });
    }
}

#[test]
fn ids_are_unique_and_match_the_error() {
    let rt = common::multi(1);
    let gate = Gate::new();
    let handles: Vec<_> = (0..100).map(|_| rt.spawn(gate.wait())).collect();
    let mut ids: Vec<_> = handles.iter().map(JoinHandle::id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 100);

    let victim = &handles[10];
    let id = victim.id();
    victim.abort();
    let mut handles = handles;
    let victim = handles.remove(10);
    let error = rt.block_on(victim).expect_err("aborted");
    assert_eq!(error.id(), id);
    assert!(format!("{error}").contains(&id.to_string()));
    assert!(format!("{error}").contains("cancelled"));
    assert!(format!("{error:?}").contains("Cancelled"));
    let io: std::io::Error = error.into();
    assert!(io.to_string().contains("cancelled"));
    gate.open();
    rt.block_on(async move {
        for handle in handles {
            handle.await.unwrap();
        }
    });
}

#[test]
fn awaited_from_another_runtime() {
    let source = common::multi(1);
    let gate = Gate::new();
    let handle = source.spawn({
        let gate = gate.clone();
        async move {
            gate.wait().await;
            "cross-runtime"
        }
    });
    let other = common::current();
    let output = other.block_on(async move {
        let (pending_tx, pending_rx) = mpsc::channel();
        let awaiter = task::spawn(common::signal_when_pending(
            async move { handle.await.unwrap() },
            pending_tx,
        ));
        common::yield_until("the awaiter", || pending_rx.try_recv().is_ok()).await;
        gate.open();
        awaiter.await.unwrap()
    });
    assert_eq!(output, "cross-runtime");
}

/// A task of another runtime waits on the handle when that handle's runtime shuts down: it is
/// woken with the cancellation.
#[test]
fn awaiter_on_another_runtime_is_woken_by_shutdown() {
    for source in [common::current(), common::multi(1)] {
        let gate = Gate::new();
        let handle = source.spawn(gate.wait());
        let awaiter_rt = common::multi(1);
        let (pending_tx, pending_rx) = mpsc::channel();
        let awaiter = awaiter_rt.spawn(common::signal_when_pending(handle, pending_tx));
        pending_rx.recv().unwrap();
        drop(source);
        let error = awaiter.blocking_join().unwrap().unwrap_err();
        assert!(error.is_cancelled());
        // The gate still holds the cancelled task's waker; waking it now is harmless.
        gate.open();
    }
}

/// Futures above the size threshold are boxed before spawning; they behave the same.
#[test]
fn large_futures() {
    for (name, rt) in flavours() {
        let big = [7u8; 16 * 1024];
        let sum = rt.block_on(async move {
            task::spawn(async move {
                task::yield_now().await;
                big.iter().map(|&b| u64::from(b)).sum::<u64>()
            })
            .await
            .unwrap()
        });
        assert_eq!(sum, 7 * 16 * 1024, "{name}");
    }
}
