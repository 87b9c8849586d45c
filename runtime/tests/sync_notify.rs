//! `Notify` end to end on the multi-thread runtime: no lost `notify_one`/`notify_last` under
//! contention, `notify_waiters` reaching every registered task, ping-pong between tasks.

mod common;

use std::collections::VecDeque;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex};

use blitz_io::sync::Notify;
use blitz_io::task;
use common::scaled;

/// A queue whose consumers sleep on a `Notify`, registering before they check (`enable`), and
/// producers that `notify_one` per item: every item is consumed, none twice, no consumer hangs.
#[test]
fn notify_one_is_never_lost_between_producers_and_consumers() {
    single_notifications_are_never_lost(Notify::notify_one);
}

/// The same with `notify_last`, which picks the newest waiter and passes a dropped
/// notification on newest-first.
#[test]
fn notify_last_is_never_lost_between_producers_and_consumers() {
    single_notifications_are_never_lost(Notify::notify_last);
}

fn single_notifications_are_never_lost(notify_single: fn(&Notify)) {
    let rt = common::multi(4);
    let items = scaled(20_000);
    rt.block_on(async move {
        let queue = Arc::new((Mutex::new(VecDeque::new()), Notify::new()));
        let consumed = Arc::new(AtomicUsize::new(0));
        let consumers: Vec<_> = (0..4)
            .map(|_| {
                let (queue, consumed) = (queue.clone(), consumed.clone());
                task::spawn(async move {
                    let mut sum = 0usize;
                    loop {
                        let mut notified = pin!(queue.1.notified());
                        notified.as_mut().enable();
                        let item = queue.0.lock().unwrap().pop_front();
                        match item {
                            Some(None) => return sum,
                            Some(Some(value)) => {
                                sum += value;
                                consumed.fetch_add(1, SeqCst);
                                // Pass the baton: the permit we may hold is someone else's.
                                notify_single(&queue.1);
                            }
                            None => notified.await,
                        }
                    }
                })
            })
            .collect();
        let producers: Vec<_> = (0..2)
            .map(|p| {
                let queue = queue.clone();
                task::spawn(async move {
                    for i in 0..items / 2 {
                        queue.0.lock().unwrap().push_back(Some(p * items + i));
                        notify_single(&queue.1);
                        if i % 64 == 0 {
                            task::yield_now().await;
                        }
                    }
                })
            })
            .collect();
        for producer in producers {
            producer.await.unwrap();
        }
        for _ in 0..4 {
            queue.0.lock().unwrap().push_back(None);
            notify_single(&queue.1);
        }
        let mut total = 0;
        for consumer in consumers {
            total += consumer.await.unwrap();
        }
        let expected: usize = (0..2)
            .flat_map(|p| (0..items / 2).map(move |i| p * items + i))
            .sum();
        assert_eq!(consumed.load(SeqCst), items);
        assert_eq!(total, expected);
    });
}

/// Every task registered when `notify_waiters` runs is woken; a task registering afterwards
/// is not.
#[test]
fn notify_waiters_wakes_every_registered_task() {
    let rt = common::multi(4);
    rt.block_on(async {
        for _round in 0..scaled(50) {
            let notify = Arc::new(Notify::new());
            let (registered, ready) = mpsc::channel();
            let tasks: Vec<_> = (0..40)
                .map(|_| {
                    let (notify, registered) = (notify.clone(), registered.clone());
                    task::spawn(async move {
                        let mut notified = pin!(notify.notified());
                        notified.as_mut().enable();
                        registered.send(()).unwrap();
                        notified.await;
                    })
                })
                .collect();
            for _ in 0..40 {
                ready.recv().unwrap();
            }
            notify.notify_waiters();
            for task in tasks {
                task.await.unwrap();
            }
            let mut late = pin!(notify.notified());
            assert!(!late.as_mut().enable(), "notify_waiters stores no permit");
        }
    });
}

/// Two tasks hand a turn back and forth through two `Notify`s; the count is exact.
#[test]
fn ping_pong_between_tasks() {
    let rt = common::multi(2);
    let rounds = scaled(10_000);
    rt.block_on(async move {
        let ping = Arc::new(Notify::new());
        let pong = Arc::new(Notify::new());
        let hits = Arc::new(AtomicUsize::new(0));
        let ponger = {
            let (ping, pong, hits) = (ping.clone(), pong.clone(), hits.clone());
            task::spawn(async move {
                for _ in 0..rounds {
                    ping.notified().await;
                    hits.fetch_add(1, SeqCst);
                    pong.notify_one();
                }
            })
        };
        for round in 0..rounds {
            ping.notify_one();
            pong.notified().await;
            assert_eq!(hits.load(SeqCst), round + 1);
        }
        ponger.await.unwrap();
    });
}

/// Aborting a task that waits on a `Notify` while a `notify_one` is sent loses nothing: either
/// the aborted task consumed the notification (it had already been polled to completion, as
/// abort is asynchronous) or its dropped future handed it to the other waiter.
#[test]
fn aborted_waiters_hand_their_notification_on() {
    let rt = common::multi(4);
    rt.block_on(async {
        for _round in 0..scaled(200) {
            let notify = Arc::new(Notify::new());
            let (pending, registered) = mpsc::channel();
            let spawn_waiter = |notify: Arc<Notify>| {
                task::spawn(common::signal_when_pending(
                    async move { notify.notified().await },
                    pending.clone(),
                ))
            };
            let doomed = spawn_waiter(notify.clone());
            registered.recv().unwrap();
            let survivor = spawn_waiter(notify.clone());
            registered.recv().unwrap();
            // One notification, racing the abort of the waiter it goes to.
            doomed.abort();
            notify.notify_one();
            if doomed.await.is_ok() {
                // The doomed task completed before the abort took effect: it used the
                // notification, so the survivor needs its own.
                notify.notify_one();
            }
            survivor.await.unwrap();
            let mut extra = pin!(notify.notified());
            assert!(!extra.as_mut().enable(), "no notification was duplicated");
        }
    });
}
