//! `Barrier` end to end on the multi-thread runtime: many rounds with exactly one leader each,
//! no early release, and waiters dropped mid-round.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};

use blitz_io::sync::Barrier;
use blitz_io::task;
use common::scaled;

/// 6 tasks × many rounds: each round has one leader, and nobody leaves a round before all six
/// arrived in it.
#[test]
fn many_generations_one_leader_each() {
    const TASKS: usize = 6;
    let rounds = scaled(2_000);
    let rt = common::multi(4);
    rt.block_on(async move {
        let barrier = Arc::new(Barrier::new(TASKS));
        let arrivals = Arc::new(AtomicUsize::new(0));
        let leaders = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let (barrier, arrivals, leaders) =
                    (barrier.clone(), arrivals.clone(), leaders.clone());
                task::spawn(async move {
                    for round in 0..rounds {
                        arrivals.fetch_add(1, SeqCst);
                        if barrier.wait().await.is_leader() {
                            leaders.fetch_add(1, SeqCst);
                        }
                        let seen = arrivals.load(SeqCst);
                        assert!(seen >= (round + 1) * TASKS, "released early");
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(leaders.load(SeqCst), rounds);
    });
}

/// In every round a participant arrives and is aborted before the round completes; its
/// arrival is withdrawn, so the round completes only with the three real participants, who
/// see exactly one leader among them.
#[test]
fn an_aborted_waiter_withdraws_its_arrival() {
    let rt = common::multi(4);
    rt.block_on(async {
        let barrier = Arc::new(Barrier::new(3));
        for _round in 0..scaled(300) {
            let (pending, arrived) = mpsc::channel();
            let ghost = {
                let barrier = barrier.clone();
                task::spawn(common::signal_when_pending(
                    async move { barrier.wait().await.is_leader() },
                    pending,
                ))
            };
            arrived.recv().unwrap();
            ghost.abort();
            assert!(ghost.await.unwrap_err().is_cancelled());

            let real: Vec<_> = (0..3)
                .map(|_| {
                    let barrier = barrier.clone();
                    task::spawn(async move { barrier.wait().await.is_leader() })
                })
                .collect();
            let mut leaders = 0;
            for task in real {
                leaders += usize::from(task.await.unwrap());
            }
            assert_eq!(leaders, 1);
        }
    });
}

/// `Barrier::new(0)` is a barrier of one: every wait leads its own round.
#[test]
fn zero_is_one() {
    let rt = common::multi(2);
    rt.block_on(async {
        let barrier = Barrier::new(0);
        for _ in 0..10 {
            assert!(barrier.wait().await.is_leader());
        }
    });
}
