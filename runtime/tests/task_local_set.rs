//! `LocalSet` and `spawn_local`: `!Send` tasks, cross-thread wakes and aborts, cancellation
//! when the set is dropped (futures dropped on the set's thread), panics, awaiting the set,
//! and the panic of `spawn_local` outside a set. Each test runs on both runtime flavours.

mod common;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::{mpsc, Arc, Mutex};
use std::thread::{self, ThreadId};

use blitz_io::channel::oneshot;
use blitz_io::task::{self, LocalSet};
use blitz_io::Runtime;
use common::Gate;

fn flavours() -> [(&'static str, Runtime); 2] {
    [
        ("current", common::current()),
        ("multi-2", common::multi(2)),
    ]
}

/// Records the thread its value is dropped on; holds an `Rc` so the future holding it is
/// `!Send`.
struct RecordDrop {
    threads: Arc<Mutex<Vec<ThreadId>>>,
    _not_send: Rc<()>,
}

impl RecordDrop {
    fn new() -> (RecordDrop, Arc<Mutex<Vec<ThreadId>>>) {
        let threads = Arc::new(Mutex::new(Vec::new()));
        let value = RecordDrop {
            threads: threads.clone(),
            _not_send: Rc::new(()),
        };
        (value, threads)
    }
}

impl Drop for RecordDrop {
    fn drop(&mut self) {
        self.threads.lock().unwrap().push(thread::current().id());
    }
}

#[test]
fn rc_task_returns_its_value() {
    for (name, rt) in flavours() {
        let local = LocalSet::new();
        let output = local.block_on(&rt, async {
            let shared = Rc::new(RefCell::new(vec![1]));
            let handle = local_push(shared.clone(), 2);
            let returned: Rc<RefCell<Vec<u32>>> = handle.await.unwrap();
            assert!(Rc::ptr_eq(&returned, &shared), "{name}");
            let values = returned.borrow().clone();
            values
        });
        assert_eq!(output, [1, 2], "{name}");
    }
}

fn local_push(
    shared: Rc<RefCell<Vec<u32>>>,
    value: u32,
) -> task::JoinHandle<Rc<RefCell<Vec<u32>>>> {
    task::spawn_local(async move {
        task::yield_now().await;
        shared.borrow_mut().push(value);
        shared
    })
}

#[test]
fn spawn_local_from_a_local_task_and_from_the_set() {
    for (name, rt) in flavours() {
        let local = LocalSet::new();
        let log = Rc::new(RefCell::new(Vec::new()));
        let from_set = local.spawn_local({
            let log = log.clone();
            async move { log.borrow_mut().push("set") }
        });
        let inner = local.block_on(&rt, {
            let log = log.clone();
            async move {
                let outer = task::spawn_local(async move {
                    let inner = task::spawn_local(async move {
                        log.borrow_mut().push("inner");
                        7
                    });
                    inner.await.unwrap()
                });
                from_set.await.unwrap();
                outer.await.unwrap()
            }
        });
        assert_eq!(inner, 7, "{name}");
        let mut log = log.borrow().clone();
        log.sort_unstable();
        assert_eq!(log, ["inner", "set"], "{name}");
    }
}

/// A local task waits on a oneshot whose sender runs on another thread: a `spawn`ed (Send)
/// task of the runtime, and a plain std thread once the local task is known to be parked.
#[test]
fn wake_from_another_thread() {
    for (name, rt) in flavours() {
        let local = LocalSet::new();
        let sum = local.block_on(&rt, async {
            let (tx_task, rx_task) = oneshot::channel::<u32>();
            let (tx_thread, rx_thread) = oneshot::channel::<u32>();
            let (parked_tx, parked_rx) = mpsc::channel();
            let marker = Rc::new(1);
            let waiter = task::spawn_local(common::signal_when_pending(
                async move {
                    let a = rx_task.await.unwrap();
                    let b = rx_thread.await.unwrap();
                    a + b + *marker
                },
                parked_tx,
            ));
            let sender = thread::spawn(move || {
                parked_rx.recv().unwrap();
                tx_thread.send(20).unwrap();
            });
            drop(task::spawn(async move { tx_task.send(10).unwrap() }));
            let sum = waiter.await.unwrap();
            sender.join().unwrap();
            sum
        });
        assert_eq!(sum, 31, "{name}");
    }
}

/// An idle local task aborted from another thread is cancelled, its future dropped on the
/// set's thread (during the set's poll, not by the aborting thread).
#[test]
fn abort_from_another_thread_drops_the_future_on_the_set_thread() {
    for (name, rt) in flavours() {
        let local = LocalSet::new();
        let gate = Gate::new();
        let (record, threads) = RecordDrop::new();
        let here = thread::current().id();
        local.block_on(&rt, async {
            let handle = task::spawn_local({
                let gate = gate.clone();
                async move {
                    let _record = record;
                    gate.wait().await;
                }
            });
            common::yield_until("the local task to park", || gate.num_waiters() == 1).await;
            let abort = handle.abort_handle();
            thread::spawn(move || abort.abort()).join().unwrap();
            assert!(
                threads.lock().unwrap().is_empty(),
                "{name}: dropped by the aborter"
            );
            let error = handle.await.unwrap_err();
            assert!(error.is_cancelled(), "{name}");
        });
        assert_eq!(*threads.lock().unwrap(), [here], "{name}");
    }
}

/// Dropping the set cancels its tasks (a parked one and one never polled): their futures are
/// dropped there and then, on this thread, and their handles report cancellation. A late wake
/// through a parked task's waker, after the set is gone, is harmless.
#[test]
fn dropping_the_set_cancels_its_tasks_on_its_thread() {
    for (name, rt) in flavours() {
        let local = LocalSet::new();
        let gate = Gate::new();
        let (parked_record, threads) = RecordDrop::new();
        let never_polled_record = RecordDrop {
            threads: threads.clone(),
            _not_send: Rc::new(()),
        };
        let counted = Rc::new(());
        let parked = local.spawn_local({
            let gate = gate.clone();
            let counted = counted.clone();
            async move {
                let _record = parked_record;
                let _counted = counted;
                gate.wait().await;
            }
        });
        local.block_on(
            &rt,
            common::yield_until("the local task to park", || gate.num_waiters() == 1),
        );
        let never_polled = local.spawn_local(async move {
            let _record = never_polled_record;
        });
        drop(local);
        let here = thread::current().id();
        assert_eq!(*threads.lock().unwrap(), [here, here], "{name}");
        assert_eq!(Rc::strong_count(&counted), 1, "{name}: the future leaked");
        gate.open();
        for handle in [parked, never_polled] {
            let error = rt.block_on(handle).unwrap_err();
            assert!(error.is_cancelled(), "{name}");
        }
    }
}

#[test]
fn a_panicking_local_task_gives_a_panic_error() {
    common::quiet_expected_panics();
    for (name, rt) in flavours() {
        let local = LocalSet::new();
        let error = local.block_on(&rt, async {
            let marker = Rc::new(());
            task::spawn_local(async move {
                let _marker = marker;
                task::yield_now().await;
                panic!("{}", common::EXPECTED);
            })
            .await
            .unwrap_err()
        });
        assert!(error.is_panic(), "{name}");
        let payload = error.into_panic();
        assert_eq!(
            common::panic_text(&*payload),
            Some(common::EXPECTED),
            "{name}"
        );
        // The set carries on after a task panicked.
        assert_eq!(
            local.block_on(&rt, async { task::spawn_local(async { 3 }).await.unwrap() }),
            3
        );
    }
}

/// Awaiting the set runs its tasks (which yield and spawn more) and completes once all have
/// finished; an empty set completes at once.
#[test]
fn awaiting_the_set_completes_after_all_tasks() {
    for (name, rt) in flavours() {
        let done = Rc::new(Cell::new(0));
        let local = LocalSet::new();
        for rounds in 0..3 {
            let done = done.clone();
            drop(local.spawn_local(async move {
                for _ in 0..rounds {
                    task::yield_now().await;
                }
                let again = done.clone();
                drop(task::spawn_local(async move {
                    task::yield_now().await;
                    again.set(again.get() + 1);
                }));
                done.set(done.get() + 1);
            }));
        }
        rt.block_on(local);
        assert_eq!(done.get(), 6, "{name}");
        rt.block_on(LocalSet::new());
    }
}

/// More ready tasks than one poll runs: the set yields to its poller in between and still
/// finishes them all.
#[test]
fn many_ready_tasks_all_run() {
    for (name, rt) in flavours() {
        let local = LocalSet::new();
        let count = Rc::new(Cell::new(0));
        for _ in 0..500 {
            let count = count.clone();
            drop(local.spawn_local(async move { count.set(count.get() + 1) }));
        }
        rt.block_on(local);
        assert_eq!(count.get(), 500, "{name}");
    }
}

#[test]
fn spawn_local_outside_a_set_panics_naming_the_fix() {
    let payload = std::panic::catch_unwind(|| drop(task::spawn_local(async {}))).unwrap_err();
    let text = common::panic_text(&*payload).unwrap();
    assert!(text.contains("LocalSet::run_until"), "{text}");
    assert!(text.contains("LocalSet::block_on"), "{text}");
    // An entered set is the target without being polled; leaving it restores the panic.
    let local = LocalSet::new();
    let rt = common::current();
    let handle = {
        let _guard = local.enter();
        task::spawn_local(async { Rc::new(5) })
    };
    assert!(std::panic::catch_unwind(|| drop(task::spawn_local(async {}))).is_err());
    assert_eq!(*local.block_on(&rt, handle).unwrap(), 5);
}

/// A local task that never stops yielding (with its own waker, and through a plain wake)
/// does not starve the outer runtime: the set hands back control after each batch, so a
/// runtime task and the future passed to `run_until` still make progress.
#[test]
fn a_busy_local_task_does_not_starve_the_runtime() {
    for (name, rt) in flavours() {
        let local = LocalSet::new();
        let output = local.block_on(&rt, async {
            let marker = Rc::new(());
            let spinner = task::spawn_local(async move {
                let _marker = marker;
                loop {
                    task::yield_now().await;
                }
            });
            let waker_spinner = task::spawn_local(std::future::poll_fn(|cx| {
                cx.waker().wake_by_ref();
                std::task::Poll::<()>::Pending
            }));
            let value = task::spawn(async { 5 }).await.unwrap();
            spinner.abort();
            waker_spinner.abort();
            assert!(spinner.await.unwrap_err().is_cancelled(), "{name}");
            assert!(waker_spinner.await.unwrap_err().is_cancelled(), "{name}");
            value
        });
        assert_eq!(output, 5, "{name}");
    }
}
