//! Fairness on one worker: a budget-consuming loop, endless LIFO hand-offs and a busy local
//! queue each still let a waiting task run, and a busy local queue does not ration a remote
//! backlog to one task per check. Every loop is bounded, so a starvation bug fails the test
//! instead of hanging it.

mod common;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll, Waker};

use blitz_io::{task, Runtime};
use common::Flag;

/// Iterations after which a loop gives up: far more than any fair scheduler needs.
const GIVE_UP: usize = 5_000_000;

fn one_worker_flavours() -> [(&'static str, Runtime); 2] {
    [
        ("multi-1", common::multi(1)),
        ("current", common::current()),
    ]
}

/// A loop that only ever awaits `consume_budget` is forced to yield when its budget runs out,
/// so a task queued behind it runs and stops it.
#[test]
fn consume_budget_loop_lets_a_queued_task_run() {
    for (name, rt) in one_worker_flavours() {
        let stop = Flag::new();
        let polls = Arc::new(AtomicUsize::new(0));
        // Both spawned from outside, the looper first: it is polled first on both flavours.
        let looper = rt.spawn(common::count_polls(
            {
                let stop = stop.clone();
                async move {
                    let mut iterations = 0;
                    while !stop.get() && iterations < GIVE_UP {
                        task::consume_budget().await;
                        iterations += 1;
                    }
                    iterations
                }
            },
            &polls,
        ));
        let stopper = rt.spawn({
            let stop = stop.clone();
            async move { stop.set() }
        });
        let iterations = rt.block_on(async {
            stopper.await.unwrap();
            looper.await.unwrap()
        });
        assert!(iterations < GIVE_UP, "{name}: the stopper never ran");
        assert!(
            iterations >= 128,
            "{name}: a full budget is spent before yielding"
        );
        assert!(polls.load(SeqCst) >= 2, "{name}: the loop yielded");
        assert!(
            rt.metrics().worker_budget_forced_yield_count(0) > 0,
            "{name}: the yield was forced by the budget"
        );
    }
}

/// Two tasks that each spawn the other, forever, hand over through the LIFO slot; the cap on
/// LIFO polls lets a task that was already queued run and stop them.
#[test]
fn lifo_spawn_ping_pong_does_not_starve_a_queued_task() {
    fn ping(stop: Flag, hops: Arc<AtomicUsize>) {
        if stop.get() || hops.fetch_add(1, SeqCst) >= GIVE_UP {
            return;
        }
        drop(task::spawn(async move { pong(stop, hops) }));
    }
    fn pong(stop: Flag, hops: Arc<AtomicUsize>) {
        if stop.get() || hops.fetch_add(1, SeqCst) >= GIVE_UP {
            return;
        }
        drop(task::spawn(async move { ping(stop, hops) }));
    }
    for (name, rt) in one_worker_flavours() {
        let stop = Flag::new();
        let hops = Arc::new(AtomicUsize::new(0));
        // The root hands the queued task's handle out, to be awaited afterwards.
        #[allow(clippy::async_yields_async)]
        let queued = rt.block_on(async {
            let (stop, hops) = (stop.clone(), hops.clone());
            task::spawn(async move {
                // Queued first; the ping-pong starts after it, from the LIFO slot.
                let queued = task::spawn({
                    let stop = stop.clone();
                    async move { stop.set() }
                });
                ping(stop, hops);
                queued
            })
            .await
            .unwrap()
        });
        rt.block_on(queued).unwrap();
        assert!(stop.get(), "{name}");
        let hops = hops.load(SeqCst);
        assert!(
            hops < GIVE_UP,
            "{name}: the queued task starved ({hops} hops)"
        );
    }
}

/// A reusable wake-up: `pass` wakes the waiter, `take` resolves once per `pass`.
#[derive(Clone, Default)]
struct Baton(Arc<Mutex<(bool, Option<Waker>)>>);

impl Baton {
    fn pass(&self) {
        let waker = {
            let mut state = self.0.lock().unwrap();
            state.0 = true;
            state.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn take(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx: &mut Context<'_>| {
            let mut state = self.0.lock().unwrap();
            if std::mem::take(&mut state.0) {
                return Poll::Ready(());
            }
            state.1 = Some(cx.waker().clone());
            Poll::Pending
        })
    }
}

/// Two long-lived tasks that wake each other endlessly: each wake lands in the LIFO slot, and
/// the cap still lets a queued task run.
#[test]
fn lifo_wake_ping_pong_does_not_starve_a_queued_task() {
    async fn player(mine: Baton, theirs: Baton, stop: Flag, hops: Arc<AtomicUsize>) {
        loop {
            mine.take().await;
            let done = stop.get() || hops.fetch_add(1, SeqCst) >= GIVE_UP;
            // Passing on the way out lets the other player see the stop too.
            theirs.pass();
            if done {
                return;
            }
        }
    }
    for (name, rt) in one_worker_flavours() {
        let stop = Flag::new();
        let hops = Arc::new(AtomicUsize::new(0));
        let (a, b) = (Baton::default(), Baton::default());
        let (queued, players) = rt.block_on({
            let (stop, hops) = (stop.clone(), hops.clone());
            async move {
                task::spawn(async move {
                    let players = [
                        task::spawn(player(a.clone(), b.clone(), stop.clone(), hops.clone())),
                        task::spawn(player(b.clone(), a.clone(), stop.clone(), hops)),
                    ];
                    // Let both players park on their batons.
                    task::yield_now().await;
                    let queued = task::spawn(async move { stop.set() });
                    a.pass();
                    (queued, players)
                })
                .await
                .unwrap()
            }
        });
        rt.block_on(async move {
            queued.await.unwrap();
            for player in players {
                player.await.unwrap();
            }
        });
        let hops = hops.load(SeqCst);
        assert!(
            hops < GIVE_UP,
            "{name}: the queued task starved ({hops} hops)"
        );
    }
}

/// A task that keeps re-queueing itself keeps the local queue busy forever; a task spawned
/// from another thread (global/remote queue) still runs, and stops it.
#[test]
fn remote_queue_is_checked_while_the_local_queue_is_busy() {
    for (name, rt) in one_worker_flavours() {
        let stop = Flag::new();
        let (started_tx, started_rx) = mpsc::channel();
        let busy = rt.spawn({
            let stop = stop.clone();
            async move {
                started_tx.send(()).unwrap();
                let mut rounds = 0;
                while !stop.get() && rounds < GIVE_UP {
                    common::self_wake_once().await;
                    rounds += 1;
                }
                rounds
            }
        });
        let handle = rt.handle().clone();
        let outsider = std::thread::spawn({
            let stop = stop.clone();
            move || {
                started_rx.recv().unwrap();
                handle.spawn(async move { stop.set() }).blocking_join()
            }
        });
        let rounds = rt.block_on(busy).unwrap();
        outsider.join().unwrap().unwrap();
        assert!(rounds < GIVE_UP, "{name}: the remote task starved");
        assert!(rt.metrics().worker_global_queue_pop_count(0) >= 1, "{name}");
    }
}

/// A busy local queue does not ration a remote backlog to one task per global-queue check:
/// the check takes the worker's share of the backlog (all of it, with one worker), so 64
/// remote tasks run within a few checks. One task per check would need 64 checks, each
/// `INTERVAL` ticks apart, while the busy task re-queues itself on every other tick.
#[test]
fn a_remote_backlog_is_taken_in_shares_while_the_local_queue_is_busy() {
    const REMOTE: usize = 64;
    const INTERVAL: u32 = 8;
    let rt = blitz_io::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .global_queue_interval(INTERVAL)
        .build()
        .unwrap();
    let handle = rt.handle().clone();
    let ran = Arc::new(AtomicUsize::new(0));
    let busy = rt.spawn({
        let ran = ran.clone();
        async move {
            // Queue the whole backlog from another thread while this task holds the only
            // worker (joining it here blocks the worker only until the pushes are done).
            let spawner = std::thread::spawn({
                let ran = ran.clone();
                move || {
                    for _ in 0..REMOTE {
                        let ran = ran.clone();
                        drop(handle.spawn(async move {
                            ran.fetch_add(1, SeqCst);
                        }));
                    }
                }
            });
            spawner.join().unwrap();
            let mut rounds = 0;
            while ran.load(SeqCst) < REMOTE && rounds < GIVE_UP {
                common::self_wake_once().await;
                rounds += 1;
            }
            rounds
        }
    });
    let rounds = rt.block_on(busy).unwrap();
    assert!(
        rounds < REMOTE,
        "the backlog took {rounds} rounds of the busy task: rationed to one task per check"
    );
    assert_eq!(ran.load(SeqCst), REMOTE);
}
