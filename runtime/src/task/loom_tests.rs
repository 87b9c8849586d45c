//! loom models of the task lifecycle, run against the real harness and state word.
//!
//! Tasks here are scheduled onto a bare [`Queue`] (the `Scheduler::Loom` variant) so that a
//! model controls exactly which thread polls. Each model ends by draining the queue and then
//! checks: the future and the output were each dropped exactly once, the `JoinHandle` saw a
//! coherent result, and every task reference was released (each task holds an `Arc` of the
//! queue, so the queue's strong count returns to one only once every task is freed).

use std::collections::VecDeque;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering::SeqCst as StdSeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use loom::thread;

use super::local::Shared as LocalShared;
use super::owned::OwnedTasks;
use super::{new_task, Id, JoinError, JoinHandle, Notified, Scheduler};
use crate::loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
use crate::loom::sync::Mutex;

/// A run queue with an owned-task list: the whole scheduler, as far as a task can tell.
pub(crate) struct Queue {
    tasks: Mutex<VecDeque<Notified>>,
    pub(crate) owned: OwnedTasks,
}

impl Queue {
    pub(crate) fn new() -> Arc<Queue> {
        Arc::new(Queue {
            tasks: Mutex::new(VecDeque::new()),
            owned: OwnedTasks::new(1),
        })
    }

    pub(crate) fn push(&self, task: Notified) {
        self.tasks.lock().push_back(task);
    }

    fn pop(&self) -> Option<Notified> {
        self.tasks.lock().pop_front()
    }

    /// Runs queued tasks until the queue is empty.
    pub(crate) fn run_all(&self) {
        while let Some(task) = self.pop() {
            match task.run() {
                super::Ran::Done => {}
                super::Ran::Requeue(task) | super::Ran::Defer(task) => self.push(task),
            }
        }
    }
}

/// `count` idle-but-queued tasks (their queue entries), for models of the run queues. The
/// caller must drop the entries and then call `queue.owned.close_and_shutdown_all(0)`.
pub(crate) fn queued_tasks(queue: &Arc<Queue>, count: usize) -> Vec<Notified> {
    for _ in 0..count {
        drop(spawn(queue, std::future::pending::<()>()));
    }
    std::iter::from_fn(|| queue.pop()).collect()
}

#[track_caller]
pub(crate) fn spawn<F>(queue: &Arc<Queue>, future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (task, notified, join) = new_task(
        future,
        Scheduler::Loom(queue.clone()),
        Id::next(),
        Location::caller(),
    );
    queue.owned.bind(task).expect("the model's list is open");
    queue.push(notified);
    join
}

/// Counts drops of the value that holds it.
struct Tracked(Arc<StdAtomicUsize>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, StdSeqCst);
    }
}

/// A condition a task waits on; opening it wakes the registered waker.
struct Gate {
    open: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Gate {
    fn new() -> Arc<Gate> {
        Arc::new(Gate {
            open: AtomicBool::new(false),
            waker: Mutex::new(None),
        })
    }

    fn open(&self) {
        self.open.store(true, SeqCst);
        let waker = self.waker.lock().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// Pending until its gate opens; then ready with a tracked output.
struct GateFuture {
    gate: Arc<Gate>,
    drops: Arc<StdAtomicUsize>,
    _tracked: Tracked,
}

impl Future for GateFuture {
    type Output = Tracked;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Tracked> {
        if !self.gate.open.load(SeqCst) {
            *self.gate.waker.lock() = Some(cx.waker().clone());
            if !self.gate.open.load(SeqCst) {
                return Poll::Pending;
            }
        }
        Poll::Ready(Tracked(self.drops.clone()))
    }
}

fn gate_future(gate: &Arc<Gate>, drops: &Arc<StdAtomicUsize>) -> GateFuture {
    GateFuture {
        gate: gate.clone(),
        drops: drops.clone(),
        _tracked: Tracked(drops.clone()),
    }
}

/// A waker that records whether it fired.
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, SeqCst);
    }
}

fn poll_join<T>(join: &mut JoinHandle<T>, waker: &Waker) -> Poll<Result<T, JoinError>> {
    Pin::new(join).poll(&mut Context::from_waker(waker))
}

fn noop_waker() -> Waker {
    Waker::from(Arc::new(Flag(AtomicBool::new(false))))
}

/// Drains the queue on a second model thread.
fn run_on_another_thread(queue: &Arc<Queue>) -> thread::JoinHandle<()> {
    let queue = queue.clone();
    thread::spawn(move || queue.run_all())
}

/// Opens the gate (waking the task) on a second model thread.
fn open_on_another_thread(gate: &Arc<Gate>) -> thread::JoinHandle<()> {
    let gate = gate.clone();
    thread::spawn(move || gate.open())
}

/// The task finished one way or the other: its output, or a cancellation.
fn assert_output_or_cancelled(join: &mut JoinHandle<Tracked>, pending_message: &str) {
    match poll_join(join, &noop_waker()) {
        Poll::Ready(Ok(output)) => drop(output),
        Poll::Ready(Err(error)) => assert!(error.is_cancelled()),
        Poll::Pending => panic!("{pending_message}"),
    }
}

/// Drops every trace of the model and checks nothing leaked.
fn finish(queue: Arc<Queue>, gate: Arc<Gate>) {
    queue.run_all();
    // The gate may still hold a waker (a reference) of a cancelled task.
    drop(gate.waker.lock().take());
    drop(gate);
    assert_eq!(Arc::strong_count(&queue), 1, "a task reference leaked");
}

#[test]
fn wake_vs_run_vs_join_handle_drop() {
    loom::model(|| {
        let queue = Queue::new();
        let gate = Gate::new();
        let drops = Arc::new(StdAtomicUsize::new(0));
        let join = spawn(&queue, gate_future(&gate, &drops));
        queue.run_all();

        let runner = run_on_another_thread(&queue);
        let opener = open_on_another_thread(&gate);
        drop(join);
        runner.join().unwrap();
        opener.join().unwrap();

        finish(queue, gate);
        // The future and its output, each exactly once.
        assert_eq!(drops.load(StdSeqCst), 2);
    });
}

#[test]
fn abort_vs_run_vs_wake() {
    loom::model(|| {
        let queue = Queue::new();
        let gate = Gate::new();
        let drops = Arc::new(StdAtomicUsize::new(0));
        let mut join = spawn(&queue, gate_future(&gate, &drops));
        queue.run_all();

        let runner = run_on_another_thread(&queue);
        let opener = open_on_another_thread(&gate);
        join.abort();
        runner.join().unwrap();
        opener.join().unwrap();
        queue.run_all();

        assert_output_or_cancelled(
            &mut join,
            "an aborted task must finish once the queue drains",
        );
        drop(join);
        finish(queue, gate);
        // Completed: the future and the output; cancelled: only the future.
        let actual = drops.load(StdSeqCst);
        assert!(actual == 1 || actual == 2, "drops: {actual}");
    });
}

#[test]
fn join_waker_vs_completion() {
    loom::model(|| {
        let queue = Queue::new();
        let gate = Gate::new();
        let drops = Arc::new(StdAtomicUsize::new(0));
        let mut join = spawn(&queue, gate_future(&gate, &drops));
        queue.run_all();

        let completer = {
            let (queue, gate) = (queue.clone(), gate.clone());
            thread::spawn(move || {
                gate.open();
                queue.run_all();
            })
        };
        // Register, then replace the waker (the unset/set path), racing completion.
        let first = Arc::new(Flag(AtomicBool::new(false)));
        let second = Arc::new(Flag(AtomicBool::new(false)));
        let mut result = poll_join(&mut join, &Waker::from(first.clone()));
        if result.is_pending() {
            result = poll_join(&mut join, &Waker::from(second.clone()));
        }
        completer.join().unwrap();
        if result.is_pending() {
            // No lost wake-up: the latest waker must have fired.
            assert!(second.0.load(SeqCst), "join waker not woken");
            result = poll_join(&mut join, &noop_waker());
        }
        match result {
            Poll::Ready(Ok(output)) => drop(output),
            other => panic!("expected the output, got {:?}", other.map(|r| r.is_ok())),
        }
        drop(join);
        finish(queue, gate);
        assert_eq!(drops.load(StdSeqCst), 2);
    });
}

#[test]
fn shutdown_vs_wake_vs_run() {
    loom::model(|| {
        let queue = Queue::new();
        let gate = Gate::new();
        let drops = Arc::new(StdAtomicUsize::new(0));
        let mut join = spawn(&queue, gate_future(&gate, &drops));
        queue.run_all();

        let closer = {
            let queue = queue.clone();
            thread::spawn(move || queue.owned.close_and_shutdown_all(0))
        };
        let opener = open_on_another_thread(&gate);
        queue.run_all();
        closer.join().unwrap();
        opener.join().unwrap();
        queue.run_all();

        assert_output_or_cancelled(&mut join, "shutdown must finish the task");
        drop(join);
        finish(queue, gate);
        let actual = drops.load(StdSeqCst);
        assert!(actual == 1 || actual == 2, "drops: {actual}");
    });
}

#[test]
fn concurrent_wakes_queue_the_task_once() {
    loom::model(|| {
        let queue = Queue::new();
        let gate = Gate::new();
        let drops = Arc::new(StdAtomicUsize::new(0));
        let join = spawn(&queue, gate_future(&gate, &drops));
        queue.run_all();
        let waker = gate.waker.lock().clone().expect("registered on first poll");

        let other = {
            let waker = waker.clone();
            thread::spawn(move || waker.wake())
        };
        waker.wake_by_ref();
        other.join().unwrap();
        // Two wakes of an idle task: it is queued once.
        assert_eq!(queue.tasks.lock().len(), 1);
        drop(waker);
        gate.open();
        queue.run_all();
        assert!(join.is_finished());
        drop(join);
        finish(queue, gate);
        assert_eq!(drops.load(StdSeqCst), 2);
    });
}

/// `yield_now` with the task's own waker skips the wake and lets the runner mark the task
/// notified as it leaves `RUNNING`. A task that only yields must still run again (nothing
/// else would wake it), and the skipped wake must compose with a real wake and an abort from
/// other threads racing the same poll: the task finishes or is cancelled, and no reference
/// leaks.
#[test]
fn own_waker_yield_vs_wake_vs_abort() {
    loom::model(|| {
        let queue = Queue::new();
        let gate = Gate::new();
        let drops = Arc::new(StdAtomicUsize::new(0));
        let mut waiting = gate_future(&gate, &drops);
        let mut join = spawn(&queue, async move {
            // First poll: register with the gate, then yield with the task's own waker.
            let first = std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut waiting).poll(cx)));
            if let Poll::Ready(output) = first.await {
                return output;
            }
            crate::task::yield_now().await;
            waiting.await
        });
        let mut only_yields = spawn(&queue, async {
            crate::task::yield_now().await;
            7
        });

        let runner = run_on_another_thread(&queue);
        let opener = open_on_another_thread(&gate);
        join.abort();
        runner.join().unwrap();
        opener.join().unwrap();
        queue.run_all();

        assert_output_or_cancelled(&mut join, "the yielded task must finish or be cancelled");
        match poll_join(&mut only_yields, &noop_waker()) {
            Poll::Ready(Ok(7)) => {}
            _ => panic!("a task that yielded was never polled again"),
        }
        drop(join);
        drop(only_yields);
        finish(queue, gate);
        let actual = drops.load(StdSeqCst);
        assert!(actual == 1 || actual == 2, "drops: {actual}");
    });
}

/// Runs a `LocalSet`'s queue the way its poll does, until it is empty.
fn run_local(shared: &Arc<LocalShared>) {
    while let Some(task) = shared.pop() {
        match task.run() {
            super::Ran::Done => {}
            super::Ran::Requeue(task) | super::Ran::Defer(task) => shared.requeue([task]),
        }
    }
}

/// A local task parked on a gate, spawned and polled once on the model's main thread (the
/// set's thread).
fn parked_local_task(
    shared: &Arc<LocalShared>,
    gate: &Arc<Gate>,
    drops: &Arc<StdAtomicUsize>,
) -> JoinHandle<Tracked> {
    // SAFETY: the model's future and output are `Send`, so the thread-confinement contract
    // holds trivially; the model still polls and closes only on its main thread.
    let join = unsafe { shared.spawn(gate_future(gate, drops), Location::caller()) };
    run_local(shared);
    join
}

/// Drops every trace of a `LocalSet` model and checks nothing leaked.
fn finish_local(shared: Arc<LocalShared>, gate: Arc<Gate>) {
    drop(gate.waker.lock().take());
    drop(gate);
    assert_eq!(
        Arc::strong_count(&shared),
        1,
        "a local task reference leaked"
    );
}

/// A wake from another thread races the set's last run and its close (the `Drop` of a
/// `LocalSet`): a wake that lands before the close is run or dropped by the close's drain,
/// one after it is dropped by the waker; either way the future is dropped once, on the set's
/// thread's path, and no queue entry outlives the set.
#[test]
fn local_set_wake_vs_close() {
    loom::model(|| {
        let shared = LocalShared::new();
        let gate = Gate::new();
        let drops = Arc::new(StdAtomicUsize::new(0));
        let mut join = parked_local_task(&shared, &gate, &drops);

        let opener = open_on_another_thread(&gate);
        run_local(&shared);
        shared.close();
        opener.join().unwrap();

        assert_output_or_cancelled(&mut join, "closing the set must finish its tasks");
        drop(join);
        finish_local(shared, gate);
        let actual = drops.load(StdSeqCst);
        assert!(actual == 1 || actual == 2, "drops: {actual}");
    });
}

/// An abort from another thread races a wake from a third and the set's close: the task is
/// cancelled by the set (in a run or in the close), never by the aborting thread, and each
/// extra queue entry is released once.
#[test]
fn local_set_abort_vs_wake_vs_close() {
    loom::model(|| {
        let shared = LocalShared::new();
        let gate = Gate::new();
        let drops = Arc::new(StdAtomicUsize::new(0));
        let mut join = parked_local_task(&shared, &gate, &drops);
        let abort = join.abort_handle();

        let aborter = thread::spawn(move || abort.abort());
        let opener = open_on_another_thread(&gate);
        run_local(&shared);
        shared.close();
        aborter.join().unwrap();
        opener.join().unwrap();

        assert_output_or_cancelled(&mut join, "closing the set must finish its tasks");
        drop(join);
        finish_local(shared, gate);
        let actual = drops.load(StdSeqCst);
        assert!(actual == 1 || actual == 2, "drops: {actual}");
    });
}
