//! `sync::Semaphore` end to end on the multi-thread runtime: the limit holds under contention,
//! FIFO order across batch sizes, a big request is not starved, cancellation and close leak no
//! permit, and overflow is a clear panic.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};

use blitz_io::sync::{AcquireError, Semaphore, TryAcquireError};
use common::{scaled, signal_when_pending};

/// 8 tasks x 1250 acquires of a 2-permit semaphore: never more than 2 inside, none lost.
#[test]
fn limit_holds_under_contention() {
    let rt = common::multi(4);
    let rounds = scaled(1250);
    let sem = Arc::new(Semaphore::new(2));
    let inside = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (sem, inside, done) = (sem.clone(), inside.clone(), done.clone());
            rt.spawn(async move {
                for _ in 0..rounds {
                    let _permit = sem.acquire().await.unwrap();
                    assert!(inside.fetch_add(1, SeqCst) < 2, "more than 2 holders");
                    blitz_io::task::yield_now().await;
                    inside.fetch_sub(1, SeqCst);
                    done.fetch_add(1, SeqCst);
                }
            })
        })
        .collect();
    for task in tasks {
        rt.block_on(task).unwrap();
    }
    assert_eq!(done.load(SeqCst), 8 * rounds);
    assert_eq!(sem.available_permits(), 2);
}

/// Requests of different sizes are served in the order they queued: permits fed one at a time
/// complete exactly the front request, never a later one.
#[test]
fn mixed_batch_sizes_are_served_in_fifo_order() {
    let rt = common::multi(2);
    let sem = Arc::new(Semaphore::new(0));
    let sizes = [3u32, 1, 2, 1, 4];
    let mut tasks = std::collections::VecDeque::new();
    for size in sizes {
        let (queued_tx, queued_rx) = mpsc::channel();
        let sem = sem.clone();
        tasks.push_back(rt.spawn(signal_when_pending(
            async move {
                // Keep the permits, so only the releases below feed the queue.
                sem.acquire_many(size).await.unwrap().forget();
            },
            queued_tx,
        )));
        queued_rx.recv().unwrap();
    }
    for size in sizes {
        for _ in 0..size {
            sem.add_permits(1);
        }
        // The front request is whole now; the ones behind it have nothing.
        let front = tasks.pop_front().unwrap();
        rt.block_on(front).unwrap();
        assert!(tasks.iter().all(|task| !task.is_finished()));
        assert_eq!(sem.available_permits(), 0);
    }
}

/// A request for every permit completes even while small requests keep cycling.
#[test]
fn big_request_is_not_starved_by_small_ones() {
    let rt = common::multi(2);
    let sem = Arc::new(Semaphore::new(4));
    let stop = common::Flag::new();
    let cyclers: Vec<_> = (0..4)
        .map(|_| {
            let (sem, stop) = (sem.clone(), stop.clone());
            rt.spawn(async move {
                let mut rounds = 0u64;
                while !stop.get() {
                    let _permit = sem.acquire().await.unwrap();
                    blitz_io::task::yield_now().await;
                    rounds += 1;
                }
                rounds
            })
        })
        .collect();
    let big = rt.block_on(async {
        // Let the small ones get going first.
        blitz_io::task::yield_now().await;
        sem.acquire_many(4).await.unwrap().num_permits()
    });
    stop.set();
    assert_eq!(big, 4);
    for cycler in cyclers {
        rt.block_on(cycler).unwrap();
    }
    assert_eq!(sem.available_permits(), 4);
}

/// Aborting waiting tasks at random points of their waits leaks nothing.
#[test]
fn aborted_waiters_leak_no_permit() {
    let rt = common::multi(2);
    let sem = Arc::new(Semaphore::new(3));
    let tasks: Vec<_> = (0..scaled(200))
        .map(|i| {
            let sem = sem.clone();
            rt.spawn(async move {
                let _permits = sem.acquire_many(1 + (i % 3) as u32).await.unwrap();
                blitz_io::task::yield_now().await;
            })
        })
        .collect();
    for (i, task) in tasks.iter().enumerate() {
        if i % 3 == 0 {
            task.abort();
        }
    }
    for task in tasks {
        let _ = rt.block_on(task);
    }
    assert_eq!(sem.available_permits(), 3);
}

/// `close` fails every waiting task and every later acquire; held permits still come back.
#[test]
fn close_wakes_waiting_tasks_with_an_error() {
    let rt = common::multi(2);
    let sem = Arc::new(Semaphore::new(1));
    let held = sem.clone().try_acquire_owned().unwrap();
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let (queued_tx, queued_rx) = mpsc::channel();
        let sem = sem.clone();
        tasks.push(rt.spawn(signal_when_pending(
            async move { sem.acquire().await.map(|p| p.num_permits()) },
            queued_tx,
        )));
        queued_rx.recv().unwrap();
    }
    sem.close();
    for task in tasks {
        let result: Result<usize, AcquireError> = rt.block_on(task).unwrap();
        assert!(result.is_err());
    }
    assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::Closed);
    drop(held);
    assert_eq!(sem.available_permits(), 1);
}

/// Owned permits move into spawned tasks and release there.
#[test]
fn owned_permits_release_in_other_tasks() {
    let rt = common::multi(2);
    let sem = Arc::new(Semaphore::new(2));
    rt.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let permit = sem.clone().acquire_owned().await.unwrap();
            tasks.push(blitz_io::task::spawn(async move { drop(permit) }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    });
    assert_eq!(sem.available_permits(), 2);
}

/// Overflowing the permit count is a panic naming the limit, never a wrap.
#[test]
fn overflow_panics_naming_the_limit() {
    let sem = Semaphore::new(Semaphore::MAX_PERMITS);
    let outcome = std::panic::catch_unwind(|| sem.add_permits(1));
    let payload = outcome.unwrap_err();
    let text = common::panic_text(&*payload).unwrap();
    assert!(text.contains("MAX_PERMITS"), "{text}");
    assert_eq!(sem.available_permits(), Semaphore::MAX_PERMITS);
}
