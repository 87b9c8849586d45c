//! Execution order, pinned with a shared log on a one-worker multi-thread runtime (LIFO slot
//! plus FIFO local queue) and on the current-thread runtime (FIFO only).
//!
//! Every case spawns one root task from `block_on` and everything else from inside the
//! runtime, so on one worker the order is fully determined by the scheduling rules.

mod common;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

use blitz_io::runtime::Builder;
use blitz_io::task::{self, JoinHandle};
use blitz_io::Runtime;
use common::{Gate, Log};

/// Runs `root(log)` as a task and returns what was logged. The root must await (directly or
/// through `Done`) everything it starts.
fn run_root<F>(rt: &Runtime, root: impl FnOnce(Log) -> F) -> Vec<&'static str>
where
    F: Future<Output = ()> + Send + 'static,
{
    let log = Log::new();
    let root = root(log.clone());
    rt.block_on(async move { task::spawn(root).await.unwrap() });
    log.take()
}

fn logged(log: &Log, event: &'static str) -> JoinHandle<()> {
    let log = log.clone();
    task::spawn(async move { log.push(event) })
}

async fn join_all(handles: Vec<JoinHandle<()>>) {
    for handle in handles {
        handle.await.unwrap();
    }
}

/// Opens a gate once `expected` tasks have called `tick`.
#[derive(Clone)]
struct Done {
    count: Arc<AtomicUsize>,
    expected: usize,
    gate: Gate,
}

impl Done {
    fn new(expected: usize) -> Done {
        Done {
            count: Arc::new(AtomicUsize::new(0)),
            expected,
            gate: Gate::new(),
        }
    }

    fn tick(&self) {
        if self.count.fetch_add(1, SeqCst) + 1 == self.expected {
            self.gate.open();
        }
    }
}

/// Asserts the order of a root that spawns children A then B, logs, yields, and logs again:
/// the yield lets both children run first, B before A on the multi-thread runtime (the
/// newest child waits in the LIFO slot, A in the queue), A before B on the current-thread one.
fn assert_yield_runs_after_children_a_and_b<F>(root: impl FnOnce(Log) -> F + Copy)
where
    F: Future<Output = ()> + Send + 'static,
{
    assert_eq!(
        run_root(&common::multi(1), root),
        ["T before yield", "B", "A", "T after yield"]
    );
    assert_eq!(
        run_root(&common::current(), root),
        ["T before yield", "A", "B", "T after yield"]
    );
}

#[test]
fn yield_now_runs_after_already_queued_tasks() {
    let root = |log: Log| async move {
        let children = vec![logged(&log, "A"), logged(&log, "B")];
        log.push("T before yield");
        task::yield_now().await;
        log.push("T after yield");
        join_all(children).await;
    };
    assert_yield_runs_after_children_a_and_b(root);
}

/// Under a combinator that polls its children with a waker of its own (`FuturesUnordered`),
/// `yield_now` cannot skip the wake as it does with the task's own waker: it wakes through the
/// combinator's waker, so the child is polled again, and it still yields behind the tasks
/// already queued.
#[test]
fn yield_now_under_a_combinator_wakes_through_its_waker() {
    use futures_util::StreamExt;
    let root = |log: Log| async move {
        let children = vec![logged(&log, "A"), logged(&log, "B")];
        let mut set = futures_util::stream::FuturesUnordered::new();
        let inner = log.clone();
        set.push(async move {
            inner.push("T before yield");
            task::yield_now().await;
            inner.push("T after yield");
        });
        while set.next().await.is_some() {}
        join_all(children).await;
    };
    assert_yield_runs_after_children_a_and_b(root);
}

/// A task that wakes itself during its poll goes to the back of the run queue, not into the
/// LIFO slot (where it would run again before everything else).
#[test]
fn self_wake_goes_to_the_back_of_the_queue() {
    let root = |log: Log| async move {
        let children = vec![logged(&log, "A"), logged(&log, "B"), logged(&log, "C")];
        log.push("T before wake");
        common::self_wake_once().await;
        log.push("T after wake");
        join_all(children).await;
    };
    assert_eq!(
        run_root(&common::multi(1), root),
        ["T before wake", "C", "A", "B", "T after wake"]
    );
    assert_eq!(
        run_root(&common::current(), root),
        ["T before wake", "A", "B", "C", "T after wake"]
    );
}

/// `spawn` never polls the child inline: the parent runs on until its next await first.
#[test]
fn spawn_never_polls_the_child_inline() {
    let root = |log: Log| async move {
        log.push("T1");
        let child = logged(&log, "child");
        log.push("T2");
        task::yield_now().await;
        log.push("T3");
        child.await.unwrap();
    };
    for rt in [common::multi(1), common::current()] {
        assert_eq!(run_root(&rt, root), ["T1", "T2", "child", "T3"]);
    }
}

/// On the multi-thread runtime the child spawned last by the running task runs next, before
/// the older queued ones; the current-thread runtime and `disable_lifo_slot` keep FIFO order.
#[test]
fn newest_child_runs_first_through_the_lifo_slot() {
    let root = |log: Log| async move {
        let mut children: Vec<_> = ["Q1", "Q2", "Q3"]
            .into_iter()
            .map(|name| logged(&log, name))
            .collect();
        children.push(logged(&log, "newest"));
        join_all(children).await;
    };
    assert_eq!(
        run_root(&common::multi(1), root),
        ["newest", "Q1", "Q2", "Q3"]
    );
    assert_eq!(
        run_root(&common::current(), root),
        ["Q1", "Q2", "Q3", "newest"]
    );
    let no_lifo = Builder::new_multi_thread()
        .worker_threads(1)
        .disable_lifo_slot()
        .build()
        .unwrap();
    assert_eq!(run_root(&no_lifo, root), ["Q1", "Q2", "Q3", "newest"]);
}

/// Spawns a chain of tasks, each spawning the next, logging `names` in turn.
fn chain(log: Log, names: &'static [&'static str], done: Done) {
    drop(task::spawn(async move {
        log.push(names[0]);
        done.tick();
        if names.len() > 1 {
            chain(log, &names[1..], done);
        }
    }));
}

/// At most three LIFO polls in a row: the fourth link of a spawn chain goes to the back of
/// the queue, behind the task that was already waiting, and the chain resumes after it.
#[test]
fn lifo_slot_is_capped_at_three_polls_in_a_row() {
    const LINKS: &[&str] = &["C1", "C2", "C3", "C4", "C5"];
    let run = |rt: &Runtime| {
        let done = Done::new(LINKS.len() + 1);
        let log = Log::new();
        drop(rt.spawn({
            let (log, done) = (log.clone(), done.clone());
            async move {
                let waiting = log.clone();
                let tick = done.clone();
                drop(task::spawn(async move {
                    waiting.push("Q");
                    tick.tick();
                }));
                chain(log, LINKS, done);
            }
        }));
        rt.block_on(done.gate.wait());
        log.take()
    };
    assert_eq!(run(&common::multi(1)), ["C1", "C2", "C3", "Q", "C4", "C5"]);
    assert_eq!(run(&common::current()), ["Q", "C1", "C2", "C3", "C4", "C5"]);
}

/// A task woken by the running task (not by itself) takes the LIFO slot too.
#[test]
fn task_woken_by_the_running_task_runs_next() {
    let root = |log: Log| async move {
        let gate = Gate::new();
        let waiter = {
            let (gate, log) = (gate.clone(), log.clone());
            task::spawn(async move {
                gate.wait().await;
                log.push("woken");
            })
        };
        common::yield_until("the waiter to park", || gate.num_waiters() == 1).await;
        let mut children = vec![logged(&log, "Q1"), logged(&log, "Q2")];
        gate.open();
        log.push("root");
        children.push(waiter);
        join_all(children).await;
    };
    assert_eq!(
        run_root(&common::multi(1), root),
        ["root", "woken", "Q1", "Q2"]
    );
    assert_eq!(
        run_root(&common::current(), root),
        ["root", "Q1", "Q2", "woken"]
    );
}
