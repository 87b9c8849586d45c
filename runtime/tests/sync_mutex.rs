//! `sync::Mutex` end to end: exactness under contention on the multi-thread runtime, FIFO
//! hand-off, cancellation at every point of a wait, owned and blocking locking, and guards
//! narrowed by `map`/`try_map` (borrowed, owned and mapped).

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll};

use blitz_io::sync::{MappedMutexGuard, Mutex, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard};
use common::{counting_waker, scaled, signal_when_pending};

/// 8 tasks x 10k lock/unlock on a plain counter: no increment is lost.
#[test]
fn contended_counter_is_exact() {
    let rt = common::multi(4);
    let per_task = scaled(10_000);
    let counter = Arc::new(Mutex::new(0usize));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let counter = counter.clone();
            rt.spawn(async move {
                for _ in 0..per_task {
                    let mut guard = counter.lock().await;
                    *guard += 1;
                }
            })
        })
        .collect();
    for task in tasks {
        rt.block_on(task).unwrap();
    }
    assert_eq!(*counter.try_lock().unwrap(), 8 * per_task);
}

/// Waiters get the lock in the order they queued.
#[test]
fn waiters_are_served_in_fifo_order() {
    let rt = common::multi(2);
    let mutex = Arc::new(Mutex::new(Vec::new()));
    let held = mutex.clone().try_lock_owned().unwrap();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (queued_tx, queued_rx) = mpsc::channel();
        let mutex = mutex.clone();
        tasks.push(rt.spawn(signal_when_pending(
            async move { mutex.lock().await.push(i) },
            queued_tx,
        )));
        queued_rx.recv().unwrap();
        // A queued waiter blocks newcomers, even the immediate kind.
        assert!(held.mutex().try_lock().is_err());
    }
    drop(held);
    for task in tasks {
        rt.block_on(task).unwrap();
    }
    assert_eq!(*rt.block_on(mutex.lock()), (0..8).collect::<Vec<_>>());
}

/// A lock future dropped before its first poll never touched the queue.
#[test]
fn cancel_before_registration() {
    let mutex = Mutex::new(1);
    drop(mutex.lock());
    assert_eq!(*mutex.try_lock().unwrap(), 1);
}

/// A queued waiter dropped mid-wait leaves the queue; the one behind it gets the lock.
#[test]
fn cancel_while_queued() {
    let mutex = Mutex::new(0);
    let (_, waker) = counting_waker();
    let (next_wakes, next_waker) = counting_waker();
    let held = mutex.try_lock().unwrap();
    let mut first = Box::pin(mutex.lock());
    let mut second = pin!(mutex.lock());
    assert!(first
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    assert!(second
        .as_mut()
        .poll(&mut Context::from_waker(&next_waker))
        .is_pending());
    drop(first);
    drop(held);
    assert_eq!(next_wakes.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert!(second
        .as_mut()
        .poll(&mut Context::from_waker(&next_waker))
        .is_ready());
}

/// A waiter handed the lock but dropped before it saw it passes the lock on: it never stays
/// locked with no owner.
#[test]
fn cancel_after_being_handed_the_lock() {
    let mutex = Mutex::new(0);
    let (first_wakes, waker) = counting_waker();
    let (next_wakes, next_waker) = counting_waker();
    let held = mutex.try_lock().unwrap();
    let mut first = Box::pin(mutex.lock());
    let mut second = pin!(mutex.lock());
    assert!(first
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    assert!(second
        .as_mut()
        .poll(&mut Context::from_waker(&next_waker))
        .is_pending());
    drop(held);
    assert_eq!(first_wakes.load(std::sync::atomic::Ordering::SeqCst), 1);
    drop(first);
    assert_eq!(next_wakes.load(std::sync::atomic::Ordering::SeqCst), 1);
    let Poll::Ready(mut guard) = second.as_mut().poll(&mut Context::from_waker(&next_waker)) else {
        panic!("the lock was passed on")
    };
    *guard += 1;
    drop(guard);
    assert_eq!(*mutex.try_lock().unwrap(), 1);
}

/// Aborting tasks that wait for the lock leaves it usable and unlocked.
#[test]
fn aborted_waiters_do_not_leak_the_lock() {
    let rt = common::multi(2);
    let mutex = Arc::new(Mutex::new(0));
    let held = mutex.clone().try_lock_owned().unwrap();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (queued_tx, queued_rx) = mpsc::channel();
        let mutex = mutex.clone();
        tasks.push(rt.spawn(signal_when_pending(
            async move { *mutex.lock().await += 1 },
            queued_tx,
        )));
        queued_rx.recv().unwrap();
    }
    tasks[1].abort();
    tasks[2].abort();
    drop(held);
    let results: Vec<_> = tasks.into_iter().map(|t| rt.block_on(t).is_ok()).collect();
    assert_eq!(results, [true, false, false, true]);
    assert_eq!(*mutex.try_lock().unwrap(), 2);
}

/// The owned guard moves into another task and unlocks there.
#[test]
fn owned_guard_moves_between_tasks() {
    let rt = common::multi(2);
    let mutex = Arc::new(Mutex::new(String::new()));
    rt.block_on(async {
        let mut guard = mutex.clone().lock_owned().await;
        let other = blitz_io::task::spawn(async move {
            guard.push_str("moved");
        });
        other.await.unwrap();
        assert_eq!(*mutex.lock().await, "moved");
    });
}

/// `blocking_lock` on a plain thread waits for a task to unlock.
#[test]
fn blocking_lock_from_a_plain_thread() {
    let rt = common::multi(2);
    let mutex = Arc::new(Mutex::new(0));
    let (locked_tx, locked_rx) = mpsc::channel();
    let release = common::Gate::new();
    let release_rx = release.wait();
    let holder = rt.spawn({
        let mutex = mutex.clone();
        async move {
            let mut guard = mutex.lock().await;
            locked_tx.send(()).unwrap();
            release_rx.await;
            *guard = 1;
        }
    });
    locked_rx.recv().unwrap();
    let blocked = std::thread::spawn({
        let mutex = mutex.clone();
        move || *mutex.blocking_lock() * 10
    });
    release.open();
    assert_eq!(blocked.join().unwrap(), 10);
    rt.block_on(holder).unwrap();
}

/// Blocking inside async code is refused with a message that says what to do instead.
#[test]
fn blocking_lock_in_async_context_panics_clearly() {
    let rt = common::current();
    let mutex = Mutex::new(0);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            drop(mutex.blocking_lock());
        })
    }));
    let payload = outcome.unwrap_err();
    let text = common::panic_text(&*payload).unwrap();
    assert!(
        text.contains("Mutex::blocking_lock") && text.contains("lock().await"),
        "{text}"
    );
}

/// `map` narrows the guard and keeps the lock until the mapped guard drops.
#[test]
fn mapped_guard_holds_the_lock() {
    let mutex = Mutex::new((1, vec![2]));
    let mut mapped = MutexGuard::map(mutex.try_lock().unwrap(), |pair| &mut pair.1);
    mapped.push(3);
    assert!(mutex.try_lock().is_err());
    drop(mapped);
    assert_eq!(mutex.try_lock().unwrap().1, [2, 3]);
}

/// Polling a lock whose budget is spent yields instead of locking forever in a loop.
#[test]
fn uncontended_lock_loop_yields_to_other_tasks() {
    let rt = common::current();
    rt.block_on(async {
        let mutex = Arc::new(Mutex::new(0u32));
        let flag = common::Flag::new();
        let other = blitz_io::task::spawn({
            let flag = flag.clone();
            async move { flag.set() }
        });
        // Never contended, so only the cooperative budget can make this loop yield.
        while !flag.get() {
            *mutex.lock().await += 1;
        }
        other.await.unwrap();
        assert!(*mutex.lock().await >= 1);
    });
}

/// A `map` closure that panics leaves the mutex unlocked (the guard unlocks as it unwinds).
#[test]
fn panicking_map_unlocks() {
    common::quiet_expected_panics();
    let mutex = Mutex::new(1);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        MutexGuard::map(mutex.try_lock().unwrap(), |_| -> &mut i32 {
            panic!("{}: map closure", common::EXPECTED)
        })
    }));
    assert!(outcome.is_err());
    assert!(mutex.try_lock().is_ok());
}

/// The data may be unsized (`Mutex<[T]>`, `Mutex<dyn Trait>`), as with `std`'s mutex.
#[test]
fn unsized_data() {
    let rt = common::current();
    let slice: Arc<Mutex<[u32]>> = Arc::new(Mutex::new([1, 2, 3]));
    slice.try_lock().unwrap()[0] = 5;
    rt.block_on(async {
        slice.lock().await[1] = 6;
        let mut owned = slice.clone().lock_owned().await;
        owned[2] = 7;
    });
    assert_eq!(&*slice.try_lock().unwrap(), [5, 6, 7]);
    let shown: Box<Mutex<dyn std::fmt::Debug>> = Box::new(Mutex::new(4));
    assert_eq!(format!("{:?}", &*shown.try_lock().unwrap()), "4");
}

/// Regression for the Zig original's double unlock, which admitted two holders: here only a
/// guard unlocks, once, and one unlock admits exactly one waiter.
#[test]
fn one_unlock_admits_exactly_one_waiter() {
    let mutex = Mutex::new(0);
    let (first_wakes, first_waker) = counting_waker();
    let (second_wakes, second_waker) = counting_waker();
    let held = mutex.try_lock().unwrap();
    let mut first = pin!(mutex.lock());
    let mut second = pin!(mutex.lock());
    assert!(first
        .as_mut()
        .poll(&mut Context::from_waker(&first_waker))
        .is_pending());
    assert!(second
        .as_mut()
        .poll(&mut Context::from_waker(&second_waker))
        .is_pending());
    drop(held);
    assert_eq!(first_wakes.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(second_wakes.load(std::sync::atomic::Ordering::SeqCst), 0);
    let Poll::Ready(guard) = first.as_mut().poll(&mut Context::from_waker(&first_waker)) else {
        panic!("the first waiter holds the lock")
    };
    assert!(second
        .as_mut()
        .poll(&mut Context::from_waker(&second_waker))
        .is_pending());
    assert!(mutex.try_lock().is_err());
    drop(guard);
    assert_eq!(second_wakes.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert!(second
        .as_mut()
        .poll(&mut Context::from_waker(&second_waker))
        .is_ready());
}

/// An owned guard narrowed by `map` is still `'static`: it moves into another task, keeps the
/// lock until it drops there, and then hands the lock to the task waiting for it.
#[test]
fn owned_mapped_guard_moves_between_tasks_and_hands_the_lock_on() {
    let rt = common::multi(2);
    let mutex = Arc::new(Mutex::new((0u32, String::new())));
    let guard = mutex.clone().try_lock_owned().unwrap();
    let mut name = OwnedMutexGuard::map(guard, |pair| &mut pair.1);
    assert!(mutex.try_lock().is_err(), "the mapped guard holds the lock");
    let (parked, is_parked) = mpsc::channel();
    let waiter = rt.spawn({
        let mutex = mutex.clone();
        async move { signal_when_pending(mutex.lock_owned(), parked).await.0 }
    });
    is_parked.recv().unwrap();
    let writer = rt.spawn(async move {
        name.push_str("moved");
        // Dropped here, on the runtime: the waiter gets the lock.
    });
    rt.block_on(writer).unwrap();
    assert_eq!(rt.block_on(waiter).unwrap(), 0);
    assert_eq!(mutex.try_lock().unwrap().1, "moved");
}

/// `try_map` on owned and mapped guards: `None` gives the guard back, still locked;
/// `Some` narrows it. Mapping twice narrows further.
#[test]
fn try_map_declines_or_narrows() {
    let mutex = Arc::new(Mutex::new((vec![1, 2], 3)));
    let guard = mutex.clone().try_lock_owned().unwrap();
    let guard = OwnedMutexGuard::try_map(guard, |t| t.0.get_mut(5)).unwrap_err();
    assert!(mutex.try_lock().is_err(), "declining keeps the lock");
    let list = OwnedMutexGuard::try_map(guard, |t| Some(&mut t.0))
        .ok()
        .unwrap();
    let list = OwnedMappedMutexGuard::try_map(list, |v| v.get_mut(2)).unwrap_err();
    let mut last = OwnedMappedMutexGuard::map(list, |v| v.last_mut().unwrap());
    *last = 20;
    assert!(Arc::ptr_eq(OwnedMappedMutexGuard::mutex(&last), &mutex));
    drop(last);
    assert_eq!(mutex.try_lock().unwrap().0, [1, 20]);

    let borrowed = Mutex::new((vec![1], 2));
    let list = MutexGuard::map(borrowed.try_lock().unwrap(), |t| &mut t.0);
    let list = MappedMutexGuard::try_map(list, |v| v.get_mut(1)).unwrap_err();
    assert!(borrowed.try_lock().is_err());
    let mut first = MappedMutexGuard::try_map(list, |v| v.first_mut())
        .ok()
        .unwrap();
    *first = 10;
    drop(first);
    assert_eq!(borrowed.try_lock().unwrap().0, [10]);
}

/// A panicking closure in an owned `map` or `try_map` leaves the mutex unlocked.
#[test]
fn panicking_owned_map_unlocks() {
    common::quiet_expected_panics();
    let mutex = Arc::new(Mutex::new(1));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        OwnedMutexGuard::map(mutex.clone().try_lock_owned().unwrap(), |_| -> &mut i32 {
            panic!("{}: owned map closure", common::EXPECTED)
        })
    }));
    assert!(outcome.is_err());
    let mapped = OwnedMutexGuard::map(mutex.clone().try_lock_owned().unwrap(), |v| v);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        OwnedMappedMutexGuard::try_map(mapped, |_| -> Option<&mut i32> {
            panic!("{}: mapped try_map closure", common::EXPECTED)
        })
    }));
    assert!(outcome.is_err());
    assert!(mutex.try_lock().is_ok());
    assert_eq!(Arc::strong_count(&mutex), 1, "no guard leaked its Arc");
}
