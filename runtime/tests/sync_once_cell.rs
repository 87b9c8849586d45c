//! `OnceCell` end to end on the multi-thread runtime: initialisation races run one closure,
//! failed and cancelled initialisations let another caller retry.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};

use blitz_io::sync::OnceCell;
use blitz_io::task;
use common::scaled;

/// 8 tasks race to initialise each of many cells: one closure runs per cell and everyone sees
/// its value.
#[test]
fn init_race_runs_one_closure() {
    let rt = common::multi(4);
    rt.block_on(async {
        for round in 0..scaled(300) {
            let cell = Arc::new(OnceCell::new());
            let calls = Arc::new(AtomicUsize::new(0));
            let tasks: Vec<_> = (0..8)
                .map(|id| {
                    let (cell, calls) = (cell.clone(), calls.clone());
                    task::spawn(async move {
                        *cell
                            .get_or_init(|| async {
                                calls.fetch_add(1, SeqCst);
                                task::yield_now().await;
                                round * 100 + id
                            })
                            .await
                    })
                })
                .collect();
            let mut seen = Vec::new();
            for task in tasks {
                seen.push(task.await.unwrap());
            }
            assert_eq!(calls.load(SeqCst), 1);
            assert!(seen.iter().all(|&value| value == seen[0]));
            assert_eq!(cell.get(), Some(&seen[0]));
        }
    });
}

/// The first two initialisation attempts fail; their callers get the error, and the others
/// retry until one succeeds.
#[test]
fn failed_init_lets_the_next_caller_retry() {
    let rt = common::multi(4);
    rt.block_on(async {
        for _round in 0..scaled(200) {
            let cell = Arc::new(OnceCell::new());
            let attempts = Arc::new(AtomicUsize::new(0));
            let tasks: Vec<_> = (0..8)
                .map(|_| {
                    let (cell, attempts) = (cell.clone(), attempts.clone());
                    task::spawn(async move {
                        cell.get_or_try_init(|| async {
                            task::yield_now().await;
                            match attempts.fetch_add(1, SeqCst) {
                                attempt @ (0 | 1) => Err(attempt),
                                attempt => Ok(attempt),
                            }
                        })
                        .await
                        .copied()
                    })
                })
                .collect();
            let mut errors = Vec::new();
            let mut values = Vec::new();
            for task in tasks {
                match task.await.unwrap() {
                    Ok(value) => values.push(value),
                    Err(attempt) => errors.push(attempt),
                }
            }
            errors.sort_unstable();
            assert_eq!(errors, [0, 1]);
            assert_eq!(values, [2; 6]);
            assert_eq!(attempts.load(SeqCst), 3);
        }
    });
}

/// An initialiser aborted mid-initialisation leaves the cell empty, and a task that was
/// waiting for it initialises instead.
#[test]
fn a_cancelled_initialiser_lets_a_waiter_proceed() {
    let rt = common::multi(4);
    rt.block_on(async {
        for _round in 0..scaled(200) {
            let cell = Arc::new(OnceCell::new());
            let (started, running) = mpsc::channel();
            let stuck = {
                let cell = cell.clone();
                task::spawn(async move {
                    *cell
                        .get_or_init(|| async move {
                            started.send(()).unwrap();
                            std::future::pending::<u32>().await
                        })
                        .await
                })
            };
            running.recv().unwrap();
            let (queued, waiting) = mpsc::channel();
            let waiter = {
                let cell = cell.clone();
                task::spawn(common::signal_when_pending(
                    async move { *cell.get_or_init(|| async { 7 }).await },
                    queued,
                ))
            };
            waiting.recv().unwrap();
            assert!(cell.set(1).unwrap_err().is_initializing_err());
            stuck.abort();
            assert!(stuck.await.unwrap_err().is_cancelled());
            assert_eq!(waiter.await.unwrap(), 7);
        }
    });
}
