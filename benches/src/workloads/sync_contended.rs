//! The sync primitives under contention (the Zig original's `mutex_contended`: 4 tasks x 2 500
//! lock/unlock; `rwlock_contended`: 4 readers + 2 writers x 2 500; `semaphore_contended`: 8
//! tasks x 1 250 acquire/release of a 2-permit semaphore), on the multi-thread runtime.
//!
//! One iteration: inside `block_on`, spawn the tasks, await every `JoinHandle`. Each spawn is
//! one task allocation on either side; the sync operations themselves allocate nothing (see
//! `BENCHMARKS.md`, "Sync allocations"). Both sides use their own primitive, spawn and
//! `JoinHandle`, polled by their own scheduler.
//!
//! Check: every task returned `Ok`; the counters the tasks bump are exact; writers never
//! overlap anyone (each reader checks the pair a writer updates in two steps).

use std::sync::Arc;

/// Tasks and operations per task in `sync_mutex_contended`.
pub(crate) const MUTEX_TASKS: usize = 4;
/// Lock/unlock pairs per task in `sync_mutex_contended`.
pub(crate) const MUTEX_OPS: usize = 2_500;
/// Reader and writer tasks in `sync_rwlock_contended`.
pub(crate) const RW_READERS: usize = 4;
/// Writer tasks in `sync_rwlock_contended`.
pub(crate) const RW_WRITERS: usize = 2;
/// Lock/unlock pairs per task in `sync_rwlock_contended`.
pub(crate) const RW_OPS: usize = 2_500;
/// Tasks in `sync_semaphore_contended`.
pub(crate) const SEM_TASKS: usize = 8;
/// Acquire/release pairs per task in `sync_semaphore_contended`.
pub(crate) const SEM_OPS: usize = 1_250;
/// Permits of the semaphore in `sync_semaphore_contended`.
pub(crate) const SEM_PERMITS: usize = 2;

macro_rules! workload {
    ($side:literal, $sync:path, $Runtime:ty, $spawn:path, mod $name:ident) => {
        pub(crate) mod $name {
            use super::*;
            use $sync as sync;

            pub(crate) fn mutex(rt: &$Runtime) {
                let mutex = Arc::new(sync::Mutex::new(0usize));
                rt.block_on(async {
                    let tasks: Vec<_> = (0..MUTEX_TASKS)
                        .map(|_| {
                            let mutex = mutex.clone();
                            $spawn(async move {
                                for _ in 0..MUTEX_OPS {
                                    *mutex.lock().await += 1;
                                }
                            })
                        })
                        .collect();
                    for task in tasks {
                        task.await.expect("a mutex task failed");
                    }
                });
                let count = *mutex.try_lock().expect("all tasks are done");
                assert_eq!(count, MUTEX_TASKS * MUTEX_OPS, "{}: mutex_contended", $side);
            }

            pub(crate) fn rwlock(rt: &$Runtime) {
                let lock = Arc::new(sync::RwLock::new((0usize, 0usize)));
                rt.block_on(async {
                    let mut tasks = Vec::new();
                    for _ in 0..RW_READERS {
                        let lock = lock.clone();
                        tasks.push($spawn(async move {
                            for _ in 0..RW_OPS {
                                let pair = lock.read().await;
                                assert_eq!(pair.0, pair.1, "a reader overlapped a writer");
                            }
                        }));
                    }
                    for _ in 0..RW_WRITERS {
                        let lock = lock.clone();
                        tasks.push($spawn(async move {
                            for _ in 0..RW_OPS {
                                let mut pair = lock.write().await;
                                pair.0 += 1;
                                pair.1 += 1;
                            }
                        }));
                    }
                    for task in tasks {
                        task.await.expect("an rwlock task failed");
                    }
                });
                let pair = *lock.try_read().expect("all tasks are done");
                let writes = RW_WRITERS * RW_OPS;
                assert_eq!(pair, (writes, writes), "{}: rwlock_contended", $side);
            }

            pub(crate) fn semaphore(rt: &$Runtime) {
                let sem = Arc::new(sync::Semaphore::new(SEM_PERMITS));
                let total = Arc::new(std::sync::atomic::AtomicUsize::new(0));
                rt.block_on(async {
                    let tasks: Vec<_> = (0..SEM_TASKS)
                        .map(|_| {
                            let (sem, total) = (sem.clone(), total.clone());
                            $spawn(async move {
                                for _ in 0..SEM_OPS {
                                    let permit = sem.acquire().await.expect("never closed");
                                    total.fetch_add(
                                        permit.num_permits(),
                                        std::sync::atomic::Ordering::Relaxed,
                                    );
                                }
                            })
                        })
                        .collect();
                    for task in tasks {
                        task.await.expect("a semaphore task failed");
                    }
                });
                let total = total.load(std::sync::atomic::Ordering::Relaxed);
                assert_eq!(total, SEM_TASKS * SEM_OPS, "{}: semaphore_contended", $side);
                assert_eq!(sem.available_permits(), SEM_PERMITS);
            }
        }
    };
}

workload!("blitz-io", blitz_io::sync, blitz_io::Runtime, blitz_io::task::spawn, mod blitz);
workload!("tokio", tokio::sync, tokio::runtime::Runtime, tokio::spawn, mod tokio_side);
