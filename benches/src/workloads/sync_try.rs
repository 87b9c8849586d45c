//! The sync primitives' immediate and uncontended paths, one thread (the Zig original's
//! `mutex`, `rwlock read`, `rwlock write` and `semaphore` cases at its 1M operations, plus an
//! awaited uncontended `lock()`): each operation takes and releases the primitive.
//!
//! The try workloads do not need a runtime (both sides' `try_` methods are plain functions);
//! the awaited one runs inside `block_on` on the current-thread runtime of its own side, so
//! both sides pay their cooperative-budget check per poll. The primitive is created once per
//! iteration (1M operations). `black_box` keeps the loop from being folded away.
//!
//! Check: the counter the operations bump is exactly the operation count.

use std::hint::black_box;

/// Operations per iteration (the Zig harness's 1M).
pub(crate) const OPS: usize = 1_000_000;

macro_rules! workload {
    ($side:literal, $sync:path, $Runtime:ty, mod $name:ident) => {
        pub(crate) mod $name {
            use super::*;
            use $sync as sync;

            pub(crate) fn mutex_try(_rt: &$Runtime) {
                let mutex = sync::Mutex::new(0usize);
                for _ in 0..OPS {
                    let mut guard = black_box(&mutex).try_lock().expect("uncontended");
                    *guard += 1;
                }
                let count = mutex.into_inner();
                assert_eq!(count, OPS, "{}: mutex_try: lost increments", $side);
            }

            pub(crate) fn rwlock_read_try(_rt: &$Runtime) {
                let lock = sync::RwLock::new(1usize);
                let mut sum = 0;
                for _ in 0..OPS {
                    sum += *black_box(&lock).try_read().expect("uncontended");
                }
                assert_eq!(sum, OPS, "{}: rwlock_read_try: wrong sum", $side);
            }

            pub(crate) fn rwlock_write_try(_rt: &$Runtime) {
                let lock = sync::RwLock::new(0usize);
                for _ in 0..OPS {
                    *black_box(&lock).try_write().expect("uncontended") += 1;
                }
                let count = lock.into_inner();
                assert_eq!(count, OPS, "{}: rwlock_write_try: lost increments", $side);
            }

            pub(crate) fn semaphore_try(_rt: &$Runtime) {
                let sem = sync::Semaphore::new(1);
                let mut taken = 0;
                for _ in 0..OPS {
                    let permit = black_box(&sem).try_acquire().expect("uncontended");
                    taken += permit.num_permits();
                }
                assert_eq!(taken, OPS, "{}: semaphore_try: wrong permit count", $side);
                assert_eq!(sem.available_permits(), 1);
            }

            pub(crate) fn mutex_lock(rt: &$Runtime) {
                let mutex = sync::Mutex::new(0usize);
                rt.block_on(async {
                    for _ in 0..OPS {
                        *black_box(&mutex).lock().await += 1;
                    }
                });
                let count = mutex.into_inner();
                assert_eq!(count, OPS, "{}: mutex_lock: lost increments", $side);
            }
        }
    };
}

workload!("blitz-io", blitz_io::sync, blitz_io::Runtime, mod blitz);
workload!("tokio", tokio::sync, tokio::runtime::Runtime, mod tokio_side);
